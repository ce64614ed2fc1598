//! What a read pickle holds: plain values in an arena.
//!
//! Python objects in a pickle can be shared (the memo hands out the same list twice) and
//! mutated after they are made (APPENDS fills a list already put in a dict), and a list can
//! even hold itself. An arena of nodes addressed by [`NodeId`] gives all three the meaning
//! they have in Python without reference counting, and keeps every derived trait (Debug,
//! equality, drop) flat: no walk over a nested value recurses.

/// Where a node is in its [`Pickle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A value on the pickle machine's stack: scalars inline, everything else a node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Node(NodeId),
}

/// A value that lives in the arena.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Str(String),
    /// `bytes`, and `bytearray` (BYTEARRAY8) too.
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    /// Entries in the order the pickle set them. A key set twice is kept twice (finding the
    /// earlier one would cost a search per entry); [`Pickle::get`] takes the later, as the
    /// dict Python builds would.
    Dict(Vec<(Value, Value)>),
    /// Items in the order the pickle added them, repeats kept.
    Set(Vec<Value>),
    FrozenSet(Vec<Value>),
    /// A class or function the caller allowed, by its Python 3 name: below protocol 3, the
    /// file's `__builtin__` and `copy_reg` read as `builtins` and `copyreg`, as in Python.
    Global {
        module: String,
        name: String,
    },
    /// What REDUCE, NEWOBJ or NEWOBJ_EX would make, NOT made: the callable (a Value that is
    /// a Global node), its positional args, its keyword args (NEWOBJ_EX only), and the state
    /// BUILD gave it.
    Object {
        callable: Value,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
        state: Option<Value>,
    },
}

impl Node {
    /// The node's Python type, for error messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "a str",
            Node::Bytes(_) => "bytes",
            Node::Tuple(_) => "a tuple",
            Node::List(_) => "a list",
            Node::Dict(_) => "a dict",
            Node::Set(_) => "a set",
            Node::FrozenSet(_) => "a frozenset",
            Node::Global { .. } => "a global",
            Node::Object { .. } => "an object",
        }
    }
}

/// A read pickle: an arena of nodes (so that memo references share, and mutations like
/// APPENDS, SETITEMS, SETITEM, ADDITEMS and BUILD apply to the one node, as in Python) and
/// the root.
#[derive(Clone, Debug, PartialEq)]
pub struct Pickle {
    pub(super) nodes: Vec<Node>,
    pub(super) root: Value,
}

impl Pickle {
    /// The value the pickle stands for (what Python's `pickle.loads` would return).
    pub fn root(&self) -> Value {
        self.root
    }

    /// The node a value names; None for scalars (and for a `NodeId` from another pickle
    /// that is out of this one's range).
    pub fn node(&self, value: Value) -> Option<&Node> {
        match value {
            Value::Node(NodeId(id)) => self.nodes.get(usize::try_from(id).ok()?),
            _ => None,
        }
    }

    pub fn str(&self, value: Value) -> Option<&str> {
        match self.node(value)? {
            Node::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The bytes of a `bytes` or `bytearray`.
    pub fn bytes(&self, value: Value) -> Option<&[u8]> {
        match self.node(value)? {
            Node::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    pub fn tuple(&self, value: Value) -> Option<&[Value]> {
        match self.node(value)? {
            Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    pub fn list(&self, value: Value) -> Option<&[Value]> {
        match self.node(value)? {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn dict(&self, value: Value) -> Option<&[(Value, Value)]> {
        match self.node(value)? {
            Node::Dict(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under the string key `key` in a dict: the last one set, as in Python.
    pub fn get(&self, dict: Value, key: &str) -> Option<Value> {
        self.dict(dict)?
            .iter()
            .rev()
            .find(|(k, _)| self.str(*k) == Some(key))
            .map(|&(_, v)| v)
    }

    /// (module, name) of a Global node.
    pub fn global(&self, value: Value) -> Option<(&str, &str)> {
        match self.node(value)? {
            Node::Global { module, name } => Some((module, name)),
            _ => None,
        }
    }

    /// (callable's module, callable's name, args, kwargs, state) of an Object node.
    #[allow(clippy::type_complexity)]
    pub fn object(
        &self,
        value: Value,
    ) -> Option<((&str, &str), &[Value], &[(Value, Value)], Option<Value>)> {
        match self.node(value)? {
            Node::Object {
                callable,
                args,
                kwargs,
                state,
            } => Some((self.global(*callable)?, args, kwargs, *state)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Pickle {
        let nodes = vec![
            Node::Str("a".into()),
            Node::Str("b".into()),
            Node::Dict(vec![
                (Value::Node(NodeId(0)), Value::Int(1)),
                (Value::Node(NodeId(1)), Value::Node(NodeId(3))),
                (Value::Node(NodeId(0)), Value::Int(2)),
            ]),
            Node::List(vec![Value::Node(NodeId(3))]),
            Node::Global {
                module: "m".into(),
                name: "f".into(),
            },
            Node::Object {
                callable: Value::Node(NodeId(4)),
                args: vec![Value::None],
                kwargs: vec![],
                state: Some(Value::Node(NodeId(2))),
            },
            Node::Object {
                callable: Value::Node(NodeId(0)),
                args: vec![],
                kwargs: vec![],
                state: None,
            },
        ];
        Pickle {
            nodes,
            root: Value::Node(NodeId(2)),
        }
    }

    #[test]
    fn accessors_answer_only_for_their_own_kind() {
        let pickle = sample();
        let root = pickle.root();
        assert_eq!(pickle.dict(root).map(<[_]>::len), Some(3));
        assert_eq!(pickle.list(root), None);
        assert_eq!(pickle.str(Value::Node(NodeId(0))), Some("a"));
        assert_eq!(pickle.bytes(Value::Node(NodeId(0))), None);
        assert_eq!(pickle.tuple(root), None);
        assert_eq!(pickle.node(Value::Int(3)), None);
        assert_eq!(pickle.str(Value::None), None);
        assert_eq!(pickle.global(Value::Node(NodeId(4))), Some(("m", "f")));
        assert_eq!(
            pickle.object(Value::Node(NodeId(5))),
            Some((
                ("m", "f"),
                &[Value::None][..],
                &[][..],
                Some(Value::Node(NodeId(2)))
            ))
        );
    }

    #[test]
    fn an_object_whose_callable_is_not_a_global_is_not_an_object() {
        assert_eq!(sample().object(Value::Node(NodeId(6))), None);
    }

    #[test]
    fn ids_out_of_range_are_none_not_a_panic() {
        let pickle = sample();
        assert_eq!(pickle.node(Value::Node(NodeId(7))), None);
        assert_eq!(pickle.node(Value::Node(NodeId(u32::MAX))), None);
    }

    #[test]
    fn a_key_set_twice_reads_as_its_last_value() {
        let pickle = sample();
        let root = pickle.root();
        assert_eq!(pickle.get(root, "a"), Some(Value::Int(2)));
        assert_eq!(pickle.get(root, "b"), Some(Value::Node(NodeId(3))));
        assert_eq!(pickle.get(root, "c"), None);
        assert_eq!(pickle.get(Value::Node(NodeId(3)), "a"), None);
    }

    #[test]
    fn a_list_that_holds_itself_prints_and_compares_without_recursing() {
        let pickle = sample();
        let text = format!("{pickle:?}");
        assert!(text.contains("List([Node(NodeId(3))])"), "{text}");
        assert_eq!(pickle.clone(), pickle);
    }
}
