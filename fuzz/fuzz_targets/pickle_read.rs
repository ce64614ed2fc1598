//! Any bytes offered as a pickle are either refused with an error or read into values whose
//! every reference resolves and whose globals were all allowed; nothing is called, nothing
//! panics, and a value read, written and read again is the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use movieclassifier::pickle::{read, write, Limits, Node, Out, Pickle, Value};

/// What the scikit-learn importer allows, more or less.
fn allowed(module: &str, name: &str) -> bool {
    matches!(
        (module, name),
        (
            "numpy._core.multiarray" | "numpy.core.multiarray",
            "_reconstruct"
        ) | ("numpy._core.numeric", "_frombuffer")
            | ("numpy", "ndarray" | "dtype")
            | ("_codecs", "encode")
            | ("copyreg", "_reconstructor")
            | ("builtins", "object")
            | ("sklearn.linear_model._stochastic_gradient", "SGDClassifier")
    )
}

/// How many nodes a walk visits at most: shared nodes can make a tree exponentially larger
/// than the pickle. Converting to a tree also pays a node for each 256 bytes of text.
const WALK: usize = 10_000;

fuzz_target!(|data: &[u8]| {
    let Ok(pickle) = read(data, &allowed, &Limits::default()) else {
        return;
    };
    check_references(&pickle);
    let mut budget = WALK;
    if let Some(tree) = to_out(&pickle, pickle.root(), 0, &mut budget) {
        let written = write(&tree);
        let again = read(&written, &allowed, &Limits::default()).expect("a written pickle reads");
        let mut budget = WALK;
        let tree_again = to_out(&again, again.root(), 0, &mut budget).expect("the same tree");
        // Compared as bytes, so that NaNs compare by their bits.
        assert_eq!(write(&tree_again), written);
    }
});

/// Whether an accessor answered with the node's own slice (compared by address, since NaN
/// is not equal to itself).
fn same<T>(answer: Option<&[T]>, items: &[T]) -> bool {
    answer.is_some_and(|answer| std::ptr::eq(answer, items))
}

/// Walks from the root, checking each node against the accessors.
fn check_references(pickle: &Pickle) {
    let mut todo = vec![pickle.root()];
    let mut visited = 0;
    while let Some(value) = todo.pop() {
        if visited == WALK {
            break;
        }
        visited += 1;
        if !matches!(value, Value::Node(_)) {
            assert_eq!(pickle.node(value), None);
            continue;
        }
        let node = pickle.node(value).expect("every reference resolves");
        match node {
            Node::Str(text) => assert_eq!(pickle.str(value), Some(text.as_str())),
            Node::Bytes(bytes) => assert_eq!(pickle.bytes(value), Some(bytes.as_slice())),
            Node::Tuple(items) => {
                assert!(same(pickle.tuple(value), items));
                todo.extend(items);
            }
            Node::List(items) => {
                assert!(same(pickle.list(value), items));
                todo.extend(items);
            }
            Node::Set(items) | Node::FrozenSet(items) => todo.extend(items),
            Node::Dict(entries) => {
                assert!(same(pickle.dict(value), entries));
                if let Some(key) = entries.iter().find_map(|&(key, _)| pickle.str(key)) {
                    assert!(pickle.get(value, key).is_some());
                }
                todo.extend(entries.iter().flat_map(|&(key, value)| [key, value]));
            }
            Node::Global { module, name } => {
                assert!(allowed(module, name), "{module}.{name} was not allowed");
                assert_eq!(pickle.global(value), Some((module.as_str(), name.as_str())));
            }
            Node::Object {
                callable,
                args,
                kwargs,
                state,
            } => {
                let (_, object_args, _, object_state) = pickle
                    .object(value)
                    .expect("an object's callable is a global");
                assert!(same(Some(object_args), args));
                assert_eq!(object_state.is_some(), state.is_some());
                todo.push(*callable);
                todo.extend(args);
                todo.extend(kwargs.iter().flat_map(|&(key, value)| [key, value]));
                todo.extend(state);
            }
        }
    }
}

/// The value as a tree the writer takes, if it is one: no sets, no keyword arguments, not
/// too deep, not too large.
fn to_out(pickle: &Pickle, value: Value, depth: usize, budget: &mut usize) -> Option<Out> {
    if depth > 64 || *budget == 0 {
        return None;
    }
    *budget -= 1;
    let mut all = |items: &[Value]| -> Option<Vec<Out>> {
        items
            .iter()
            .map(|&item| to_out(pickle, item, depth + 1, budget))
            .collect()
    };
    Some(match value {
        Value::None => Out::None,
        Value::Bool(b) => Out::Bool(b),
        Value::Int(n) => Out::Int(n),
        Value::Float(x) => Out::Float(x),
        Value::Node(_) => match pickle.node(value)? {
            Node::Str(text) => {
                *budget = budget.checked_sub(text.len() / 256)?;
                Out::Str(text.clone())
            }
            Node::Bytes(bytes) => {
                *budget = budget.checked_sub(bytes.len() / 256)?;
                Out::Bytes(bytes.clone())
            }
            Node::Tuple(items) => Out::Tuple(all(items)?),
            Node::List(items) => Out::List(all(items)?),
            Node::Dict(entries) => {
                let flat: Vec<Value> = entries.iter().flat_map(|&(k, v)| [k, v]).collect();
                let mut flat = all(&flat)?.into_iter();
                let mut pairs = Vec::with_capacity(entries.len());
                while let (Some(key), Some(value)) = (flat.next(), flat.next()) {
                    pairs.push((key, value));
                }
                Out::Dict(pairs)
            }
            Node::Set(_) | Node::FrozenSet(_) => return None,
            Node::Global { module, name } => Out::Global(module.clone(), name.clone()),
            Node::Object {
                callable,
                args,
                kwargs,
                state,
            } => {
                if !kwargs.is_empty() {
                    return None;
                }
                let args = all(args)?;
                let call = Out::Reduce(
                    Box::new(to_out(pickle, *callable, depth + 1, budget)?),
                    args,
                );
                match state {
                    Some(state) => Out::Build(
                        Box::new(call),
                        Box::new(to_out(pickle, *state, depth + 1, budget)?),
                    ),
                    None => call,
                }
            }
        },
    })
}
