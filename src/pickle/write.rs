//! Pickles for Python to read: protocol 4, plain opcodes.
//!
//! The output is what Python's pickler would write for the same values less its memo and
//! frames, which only matter for sharing and streaming: an owned tree shares nothing, and
//! Python reads an unframed protocol 4 pickle all the same. Containers are written in batches
//! of 1,000, as Python does, so that reading back never needs a deep stack.

use super::op;

/// A value to write: an owned tree (no sharing needed).
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Out>),
    List(Vec<Out>),
    Dict(Vec<(Out, Out)>),
    /// A class or function: module, name.
    Global(String, String),
    /// callable(*args).
    Reduce(Box<Out>, Vec<Out>),
    /// class.__new__(class, *args).
    NewObj(Box<Out>, Vec<Out>),
    /// An object given its state (`__setstate__`, or its `__dict__` updated).
    Build(Box<Out>, Box<Out>),
}

/// How many items Python's pickler puts between a MARK and its APPENDS or SETITEMS.
const BATCH: usize = 1_000;

/// Protocol 4 (PROTO 4 ... STOP, without frames), which Python 3.8+ reads.
///
/// The tree is walked with a work list rather than by recursion, so no nesting depth
/// overflows the call stack.
pub fn write(value: &Out) -> Vec<u8> {
    let mut out = vec![op::PROTO, 4];
    // Work is done last in, first out: a value's parts are pushed in reverse.
    let mut work = vec![Work::Value(value)];
    while let Some(next) = work.pop() {
        match next {
            Work::Op(code) => out.push(code),
            Work::Value(value) => write_value(value, &mut out, &mut work),
            Work::Tuple(items) => write_tuple(items, &mut work),
            Work::Entry((key, value)) => {
                work.push(Work::Value(value));
                work.push(Work::Value(key));
            }
        }
    }
    out.push(op::STOP);
    out
}

enum Work<'a> {
    Value(&'a Out),
    Tuple(&'a [Out]),
    Entry(&'a (Out, Out)),
    Op(u8),
}

fn write_value<'a>(value: &'a Out, out: &mut Vec<u8>, work: &mut Vec<Work<'a>>) {
    match value {
        Out::None => out.push(op::NONE),
        Out::Bool(true) => out.push(op::NEWTRUE),
        Out::Bool(false) => out.push(op::NEWFALSE),
        Out::Int(n) => write_int(*n, out),
        Out::Float(x) => {
            out.push(op::BINFLOAT);
            out.extend_from_slice(&x.to_be_bytes());
        }
        Out::Str(text) => write_str(text, out),
        Out::Bytes(bytes) => write_sized(
            bytes,
            [op::SHORT_BINBYTES, op::BINBYTES, op::BINBYTES8],
            out,
        ),
        Out::Tuple(items) => work.push(Work::Tuple(items)),
        Out::List(items) => {
            out.push(op::EMPTY_LIST);
            for batch in items.chunks(BATCH).rev() {
                work.push(Work::Op(op::APPENDS));
                work.extend(batch.iter().rev().map(Work::Value));
                work.push(Work::Op(op::MARK));
            }
        }
        Out::Dict(entries) => {
            out.push(op::EMPTY_DICT);
            for batch in entries.chunks(BATCH).rev() {
                work.push(Work::Op(op::SETITEMS));
                work.extend(batch.iter().rev().map(Work::Entry));
                work.push(Work::Op(op::MARK));
            }
        }
        Out::Global(module, name) => {
            write_str(module, out);
            write_str(name, out);
            out.push(op::STACK_GLOBAL);
        }
        Out::Reduce(callable, args) => {
            work.push(Work::Op(op::REDUCE));
            work.push(Work::Tuple(args));
            work.push(Work::Value(callable));
        }
        Out::NewObj(class, args) => {
            work.push(Work::Op(op::NEWOBJ));
            work.push(Work::Tuple(args));
            work.push(Work::Value(class));
        }
        Out::Build(object, state) => {
            work.push(Work::Op(op::BUILD));
            work.push(Work::Value(state));
            work.push(Work::Value(object));
        }
    }
}

fn write_tuple<'a>(items: &'a [Out], work: &mut Vec<Work<'a>>) {
    let close = match items.len() {
        0 => op::EMPTY_TUPLE,
        1 => op::TUPLE1,
        2 => op::TUPLE2,
        3 => op::TUPLE3,
        _ => op::TUPLE,
    };
    work.push(Work::Op(close));
    work.extend(items.iter().rev().map(Work::Value));
    if items.len() > 3 {
        work.push(Work::Op(op::MARK));
    }
}

/// The shortest of Python's encodings: unsigned one and two bytes, signed four, and beyond
/// those the fewest two's-complement bytes.
fn write_int(n: i64, out: &mut Vec<u8>) {
    if let Ok(byte) = u8::try_from(n) {
        out.extend_from_slice(&[op::BININT1, byte]);
    } else if let Ok(short) = u16::try_from(n) {
        out.push(op::BININT2);
        out.extend_from_slice(&short.to_le_bytes());
    } else if let Ok(int) = i32::try_from(n) {
        out.push(op::BININT);
        out.extend_from_slice(&int.to_le_bytes());
    } else {
        let bytes = n.to_le_bytes();
        // Drop high bytes that only repeat the sign of the byte below them.
        let mut len = bytes.len();
        while len > 1 {
            let (top, below) = (bytes[len - 1], bytes[len - 2]);
            let sign_only = (top == 0 && below & 0x80 == 0) || (top == 0xff && below & 0x80 != 0);
            if !sign_only {
                break;
            }
            len -= 1;
        }
        out.extend_from_slice(&[op::LONG1, len as u8]);
        out.extend_from_slice(&bytes[..len]);
    }
}

fn write_str(text: &str, out: &mut Vec<u8>) {
    write_sized(
        text.as_bytes(),
        [op::SHORT_BINUNICODE, op::BINUNICODE, op::BINUNICODE8],
        out,
    );
}

/// Bytes behind the smallest length prefix that holds their length: one byte, four or eight.
fn write_sized(bytes: &[u8], [short, long, long8]: [u8; 3], out: &mut Vec<u8>) {
    if let Ok(len) = u8::try_from(bytes.len()) {
        out.extend_from_slice(&[short, len]);
    } else if let Ok(len) = u32::try_from(bytes.len()) {
        out.push(long);
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        out.push(long8);
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;
    use crate::pickle::{read, Limits, Node, Pickle, Value};

    fn s(text: &str) -> Out {
        Out::Str(text.into())
    }

    fn global(module: &str, name: &str) -> Out {
        Out::Global(module.into(), name.into())
    }

    /// Values of every kind, in every size class of their encodings.
    fn sample() -> Out {
        let ints = [
            0,
            1,
            255,
            256,
            65535,
            65536,
            -1,
            -256,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::from(i32::MAX) + 1,
            i64::from(i32::MIN) - 1,
            i64::MAX,
            i64::MIN,
        ];
        Out::Dict(vec![
            (
                s("ints"),
                Out::List(ints.into_iter().map(Out::Int).collect()),
            ),
            (
                s("floats"),
                Out::Tuple(vec![
                    Out::Float(-0.0),
                    Out::Float(1e-300),
                    Out::Float(1.5),
                    Out::Float(f64::INFINITY),
                    Out::Float(f64::MAX),
                    Out::Float(5e-324),
                ]),
            ),
            (s("text"), s("héllo, 世界 🎬")),
            (s("long text"), s(&"é".repeat(300))),
            (s("bytes"), Out::Bytes(b"\x00\xffab".to_vec())),
            (s("long bytes"), Out::Bytes(vec![b'x'; 300])),
            (
                s("nested"),
                Out::List(vec![
                    Out::Tuple(vec![]),
                    Out::Tuple(vec![Out::Int(1)]),
                    Out::Tuple(vec![Out::Int(1), Out::Int(2)]),
                    Out::Tuple(vec![Out::Int(1), Out::Int(2), Out::Int(3)]),
                    Out::Tuple((1..=4).map(Out::Int).collect()),
                    Out::List(vec![]),
                    Out::Dict(vec![]),
                    Out::List(vec![Out::List(vec![Out::List(vec![Out::None])])]),
                ]),
            ),
            (Out::Tuple(vec![Out::Int(1), s("key")]), Out::Bool(true)),
            (
                s("flags"),
                Out::List(vec![Out::Bool(true), Out::Bool(false), Out::None]),
            ),
            (s("many"), Out::List((0..2500).map(Out::Int).collect())),
            (
                s("big dict"),
                Out::Dict((0..1500).map(|i| (Out::Int(i), Out::Int(-i))).collect()),
            ),
            (
                s("complex"),
                Out::Reduce(
                    Box::new(global("builtins", "complex")),
                    vec![Out::Float(1.0), Out::Float(-2.5)],
                ),
            ),
        ])
    }

    /// The tree a read pickle stands for, objects as REDUCE (and BUILD) would write them.
    fn to_out(pickle: &Pickle, value: Value, depth: usize) -> Out {
        assert!(depth < 100, "deeper than any test value");
        let all = |items: &[Value]| -> Vec<Out> {
            items
                .iter()
                .map(|&item| to_out(pickle, item, depth + 1))
                .collect()
        };
        match value {
            Value::None => Out::None,
            Value::Bool(b) => Out::Bool(b),
            Value::Int(n) => Out::Int(n),
            Value::Float(x) => Out::Float(x),
            Value::Node(_) => match pickle.node(value).expect("a node") {
                Node::Str(text) => Out::Str(text.clone()),
                Node::Bytes(bytes) => Out::Bytes(bytes.clone()),
                Node::Tuple(items) => Out::Tuple(all(items)),
                Node::List(items) => Out::List(all(items)),
                Node::Dict(entries) => Out::Dict(
                    entries
                        .iter()
                        .map(|&(k, v)| (to_out(pickle, k, depth + 1), to_out(pickle, v, depth + 1)))
                        .collect(),
                ),
                Node::Global { module, name } => Out::Global(module.clone(), name.clone()),
                Node::Object {
                    callable,
                    args,
                    kwargs,
                    state,
                } => {
                    assert!(kwargs.is_empty());
                    let call =
                        Out::Reduce(Box::new(to_out(pickle, *callable, depth + 1)), all(args));
                    match state {
                        Some(state) => {
                            Out::Build(Box::new(call), Box::new(to_out(pickle, *state, depth + 1)))
                        }
                        None => call,
                    }
                }
                other => panic!("the writer makes no {other:?}"),
            },
        }
    }

    fn read_back(bytes: &[u8]) -> Pickle {
        let allowed = |module: &str, name: &str| {
            matches!(
                (module, name),
                ("builtins", "complex") | ("argparse", "Namespace") | ("m", "f")
            )
        };
        read(bytes, &allowed, &Limits::default()).expect("a written pickle reads")
    }

    #[test]
    fn small_values_are_written_as_python_writes_them() {
        let cases: [(Out, &[u8]); 12] = [
            (Out::None, b"N"),
            (Out::Bool(true), b"\x88"),
            (Out::Int(300), b"M,\x01"),
            (Out::Int(-1), b"J\xff\xff\xff\xff"),
            (Out::Int(1 << 31), b"\x8a\x05\x00\x00\x00\x80\x00"),
            (Out::Int(-(1 << 31) - 1), b"\x8a\x05\xff\xff\xff\x7f\xff"),
            (
                Out::Int(i64::MIN),
                b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80",
            ),
            (Out::Float(1.0), b"G\x3f\xf0\x00\x00\x00\x00\x00\x00"),
            (s("é"), b"\x8c\x02\xc3\xa9"),
            (Out::Tuple(vec![]), b")"),
            (Out::List(vec![Out::None]), b"](Ne"),
            (
                Out::Build(Box::new(global("m", "f")), Box::new(Out::None)),
                b"\x8c\x01m\x8c\x01f\x93Nb",
            ),
        ];
        for (value, body) in cases {
            assert_eq!(
                write(&value),
                [&b"\x80\x04"[..], body, b"."].concat(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn long_strings_and_bytes_take_four_byte_lengths() {
        let written = write(&Out::Bytes(vec![7; 256]));
        assert_eq!(&written[..7], b"\x80\x04B\x00\x01\x00\x00");
        let written = write(&s(&"a".repeat(70_000)));
        assert_eq!(&written[..7], b"\x80\x04X\x70\x11\x01\x00");
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let value = sample();
        let bytes = write(&value);
        let pickle = read_back(&bytes);
        assert_eq!(to_out(&pickle, pickle.root(), 0), value);
        // Floats keep their bits.
        let floats = pickle
            .tuple(pickle.get(pickle.root(), "floats").unwrap())
            .unwrap();
        assert!(matches!(floats[0], Value::Float(x) if x.to_bits() == (-0.0f64).to_bits()));
        let nan = Out::Float(f64::from_bits(0x7ff8_0000_dead_beef));
        let pickle = read_back(&write(&nan));
        assert!(matches!(pickle.root(), Value::Float(x) if x.to_bits() == 0x7ff8_0000_dead_beef));
    }

    #[test]
    fn newobj_and_build_read_back_as_an_object_with_state() {
        let value = Out::Build(
            Box::new(Out::NewObj(Box::new(global("m", "f")), vec![Out::Int(5)])),
            Box::new(Out::Dict(vec![(s("a"), Out::Int(1))])),
        );
        let pickle = read_back(&write(&value));
        let (callable, args, kwargs, state) = pickle.object(pickle.root()).unwrap();
        assert_eq!(callable, ("m", "f"));
        assert_eq!(args, [Value::Int(5)]);
        assert!(kwargs.is_empty());
        assert_eq!(pickle.get(state.unwrap(), "a"), Some(Value::Int(1)));
    }

    #[test]
    fn deep_nesting_is_written_without_recursion() {
        let depth = 100_000;
        let mut value = Out::List(vec![]);
        for _ in 1..depth {
            value = Out::List(vec![value]);
        }
        let bytes = write(&value);
        // Dropped level by level: the derived drop would recurse.
        let mut next = Some(value);
        while let Some(Out::List(mut items)) = next {
            next = items.pop();
        }
        let limits = Limits {
            max_marks: depth,
            ..Limits::default()
        };
        let pickle = read(&bytes, &|_, _| false, &limits).unwrap();
        let mut levels = 1;
        let mut value = pickle.root();
        while let Some(&[inner]) = pickle.list(value) {
            value = inner;
            levels += 1;
        }
        assert_eq!(levels, depth);
    }

    /// What Python prints for `sample()`.
    fn sample_repr() -> String {
        let many = (0..2500)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let big_dict = (0..1500)
            .map(|i| format!("{i}: {}", -i))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{{'ints': [0, 1, 255, 256, 65535, 65536, -1, -256, 2147483647, -2147483648, \
             2147483648, -2147483649, 9223372036854775807, -9223372036854775808], \
             'floats': (-0.0, 1e-300, 1.5, inf, 1.7976931348623157e+308, 5e-324), \
             'text': 'héllo, 世界 🎬', 'long text': '{}', 'bytes': b'\\x00\\xffab', \
             'long bytes': b'{}', \
             'nested': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], {{}}, [[[None]]]], \
             (1, 'key'): True, 'flags': [True, False, None], 'many': [{many}], \
             'big dict': {{{big_dict}}}, 'complex': (1-2.5j), 'namespace': Namespace(a=1)}}",
            "é".repeat(300),
            "x".repeat(300),
        )
    }

    #[test]
    fn python_reads_what_is_written() {
        let Out::Dict(mut entries) = sample() else {
            unreachable!()
        };
        entries.push((
            s("namespace"),
            Out::Build(
                Box::new(Out::NewObj(
                    Box::new(global("argparse", "Namespace")),
                    vec![],
                )),
                Box::new(Out::Dict(vec![(s("a"), Out::Int(1))])),
            ),
        ));
        let bytes = write(&Out::Dict(entries));
        let script = "import pickle, sys\n\
                      value = pickle.loads(sys.stdin.buffer.read())\n\
                      sys.stdout.buffer.write(repr(value).encode('utf-8'))";
        let child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(err) => {
                eprintln!("note: python3 cannot be run ({err}); not checking that Python reads the writer's pickles");
                return;
            }
        };
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&bytes)
            .expect("python3 reads the pickle");
        let output = child.wait_with_output().expect("python3 runs");
        assert!(
            output.status.success(),
            "python3 fails: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(String::from_utf8(output.stdout).unwrap(), sample_repr());
    }
}
