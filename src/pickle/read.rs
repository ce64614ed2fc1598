//! The pickle machine, interpreted: opcodes in, plain values out, nothing called.
//!
//! A pickle is a program for a stack machine. This reader runs the program in a loop over the
//! opcodes, with its own stack, MARK stack and memo, and builds nodes where Python would build
//! objects. Where Python would import or call something (GLOBAL, STACK_GLOBAL, REDUCE,
//! NEWOBJ, NEWOBJ_EX, BUILD), it checks the name against the caller's allow-list and records
//! the call instead of making it.
//!
//! Anything this reader accepts, Python reads to the same structure; the converse does not
//! hold, on purpose. The reader refuses what Python 3's own pickler never writes and what would
//! make Python call code beyond the named globals: APPEND, SETITEM or BUILD on anything but a
//! list, dict or recorded object (Python would call the object's `append`, `__setitem__` or
//! `__setstate__`), persistent IDs and the extension registry (names the file does not spell
//! out), Python 2 byte strings (their encoding is the loader's guess), out-of-band buffers,
//! text forms Python reads but never writes (`I0x1f`, `1_000`), and values left over or bytes
//! following STOP.

use std::collections::BTreeMap;
use std::num::IntErrorKind;

use thiserror::Error;

use super::op;
use super::value::{Node, NodeId, Pickle, Value};

/// Bounds on what one file may make the reader hold, checked before each allocation.
///
/// Apart from these, everything the reader keeps is bounded by the file's length: every value
/// on the stack or in a container was pushed by an opcode of at least a byte, and copies of
/// shared values (an argument tuple used by many objects, a module name used by many globals)
/// are capped at two values' worth (32 bytes) per byte of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest file read, in bytes.
    pub max_input: usize,
    /// The most MARKs open at once: how deeply MARK-built containers nest.
    pub max_marks: usize,
    /// The most values on the stack at once.
    pub max_stack: usize,
    /// The most nodes (strings, bytes, containers, globals, objects), and the most memo
    /// entries.
    pub max_nodes: usize,
    /// The most items in one tuple, list, set or frozenset, entries in one dict, or arguments
    /// of one object.
    pub max_container_len: usize,
}

impl Default for Limits {
    /// Room for scikit-learn models with 2^21 weights and more, while a hostile file stays
    /// under a few hundred megabytes of arena.
    fn default() -> Self {
        Limits {
            // A float64 array of 2^21 weights is 16 MiB as bytes, and up to 32 MiB in
            // protocol 2, which writes bytes as a latin-1 str encoded as UTF-8.
            max_input: 64 << 20,
            // Python's pickler nests MARKs only as deep as the objects nest, and its own
            // recursion limit stops at 1,000.
            max_marks: 1_000,
            // Python's pickler pushes at most 1,000 items between MARK and APPENDS or
            // SETITEMS; only a tuple's items are all on the stack at once.
            max_stack: 100_000,
            // A node is 80 bytes, so a million is 80 MB; a fitted estimator holds hundreds
            // (its arrays are single bytes nodes).
            max_nodes: 1_000_000,
            // Ten million values are 160 MB; Python containers in a model are short.
            max_container_len: 10_000_000,
        }
    }
}

/// Why a pickle is not read. Offsets count bytes from the start of the file.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PickleError {
    #[error("this file would call {module}.{name}; a model never needs that")]
    Forbidden { module: String, name: String },
    #[error("the file is {len} bytes; pickles over {limit} bytes are not read")]
    InputTooLarge { len: usize, limit: usize },
    #[error("the file ends at byte {at} without a STOP opcode: it is truncated")]
    NoStop { at: usize },
    #[error("at byte {at}: the file ends inside {opcode}: it is truncated")]
    Truncated { at: usize, opcode: &'static str },
    #[error("at byte {at}: {opcode} claims {claimed} bytes, but only {left} are left")]
    TooLong {
        at: usize,
        opcode: &'static str,
        claimed: u64,
        left: usize,
    },
    #[error("at byte {at}: 0x{byte:02x} is not a pickle opcode")]
    UnknownOpcode { at: usize, byte: u8 },
    #[error("at byte {at}: {opcode} is not read, since {why}")]
    Unsupported {
        at: usize,
        opcode: &'static str,
        why: &'static str,
    },
    #[error("at byte {at}: this is a protocol {protocol} pickle; protocols up to 5 are read")]
    Protocol { at: usize, protocol: u8 },
    #[error("at byte {at}: {opcode} needs a value the stack does not hold (above its last MARK)")]
    StackUnderflow { at: usize, opcode: &'static str },
    #[error("at byte {at}: {opcode} needs a MARK before it, and none is open")]
    NoMark { at: usize, opcode: &'static str },
    #[error("at byte {at}: {opcode} asks for memo entry {index}, which the file never stored")]
    MemoMissing {
        at: usize,
        opcode: &'static str,
        index: u64,
    },
    #[error("at byte {at}: {opcode} needs {expected}, not {found}")]
    WrongType {
        at: usize,
        opcode: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("at byte {at}: {opcode} holds an integer that does not fit in 64 bits")]
    IntTooLarge { at: usize, opcode: &'static str },
    #[error("at byte {at}: the text of {opcode} is not valid UTF-8")]
    NotUtf8 { at: usize, opcode: &'static str },
    #[error("at byte {at}: {what} would exceed the limit of {limit}")]
    Limit {
        at: usize,
        what: &'static str,
        limit: usize,
    },
    #[error("at byte {at}: {opcode} {problem}")]
    Malformed {
        at: usize,
        opcode: &'static str,
        problem: &'static str,
    },
    #[error("at byte {at}: STOP leaves {values} value(s) and {marks} MARK(s) behind its result")]
    LeftOver {
        at: usize,
        values: usize,
        marks: usize,
    },
    #[error("at byte {at}: {count} byte(s) follow STOP")]
    Trailing { at: usize, count: usize },
}

/// Reads a pickle of protocol 0 to 5 (as Python 3 writes them), refusing any global for which
/// `allowed(module, name)` is false.
pub fn read(
    bytes: &[u8],
    allowed: &dyn Fn(&str, &str) -> bool,
    limits: &Limits,
) -> std::result::Result<Pickle, PickleError> {
    if bytes.len() > limits.max_input {
        return Err(PickleError::InputTooLarge {
            len: bytes.len(),
            limit: limits.max_input,
        });
    }
    Machine {
        bytes,
        pos: 0,
        frame_end: None,
        allowed,
        limits,
        nodes: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: BTreeMap::new(),
        copied: 0,
        protocol: 0,
        at: 0,
        opcode: "",
    }
    .run()
}

type Result<T> = std::result::Result<T, PickleError>;

/// How many bytes of copies of shared values each byte of input pays for: two values' worth,
/// so that a small argument tuple Python shares (a module's constant) can be used often.
const COPY_BYTES_PER_INPUT_BYTE: usize = 2 * std::mem::size_of::<Value>();

struct Machine<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where the current frame ends, while inside one.
    frame_end: Option<usize>,
    allowed: &'a dyn Fn(&str, &str) -> bool,
    limits: &'a Limits,
    nodes: Vec<Node>,
    stack: Vec<Value>,
    /// The stack's length at each open MARK.
    marks: Vec<usize>,
    /// A map, not a vector: an index is the file's to choose (LONG_BINPUT 4,000,000,000).
    memo: BTreeMap<u64, Value>,
    /// Bytes of shared values copied so far (see [`COPY_BYTES_PER_INPUT_BYTE`]).
    copied: usize,
    /// The last PROTO's, as Python keeps it: below 3, globals have Python 2 names.
    protocol: u8,
    /// The current opcode's offset and name, for errors.
    at: usize,
    opcode: &'static str,
}

impl<'a> Machine<'a> {
    fn run(mut self) -> Result<Pickle> {
        loop {
            let code = self.next_opcode()?;
            self.opcode = op::name(code).unwrap_or("?");
            match code {
                op::PROTO => {
                    let [protocol] = self.array()?;
                    if protocol > 5 {
                        return Err(PickleError::Protocol {
                            at: self.at,
                            protocol,
                        });
                    }
                    self.protocol = protocol;
                }
                op::FRAME => self.frame()?,
                op::STOP => return self.stop(),

                op::MARK => {
                    if self.marks.len() >= self.limits.max_marks {
                        return Err(self.limit("the open MARKs", self.limits.max_marks));
                    }
                    self.marks.push(self.stack.len());
                }
                op::POP => {
                    // Right after a MARK, Python's POP takes the MARK.
                    if !self.marks.is_empty() && self.stack.len() == self.fence() {
                        self.marks.pop();
                    } else {
                        self.pop()?;
                    }
                }
                op::POP_MARK => {
                    self.pop_mark()?;
                }
                op::DUP => {
                    let value = self.top()?;
                    self.push(value)?;
                }

                op::NONE => self.push(Value::None)?,
                op::NEWTRUE => self.push(Value::Bool(true))?,
                op::NEWFALSE => self.push(Value::Bool(false))?,
                op::BININT => {
                    let value = i32::from_le_bytes(self.array()?);
                    self.push(Value::Int(value.into()))?;
                }
                op::BININT1 => {
                    let [value] = self.array()?;
                    self.push(Value::Int(value.into()))?;
                }
                op::BININT2 => {
                    let value = u16::from_le_bytes(self.array()?);
                    self.push(Value::Int(value.into()))?;
                }
                op::LONG1 => {
                    let [len] = self.array()?;
                    let bytes = self.take(len.into())?;
                    self.long(bytes)?;
                }
                op::LONG4 => {
                    let len = i32::from_le_bytes(self.array()?);
                    let len =
                        u64::try_from(len).map_err(|_| self.malformed("has a negative length"))?;
                    let bytes = self.take_claimed(len)?;
                    self.long(bytes)?;
                }
                op::INT => {
                    let line = self.line()?;
                    // Protocols 0 and 1 write True and False so.
                    let value = match line {
                        b"00" => Value::Bool(false),
                        b"01" => Value::Bool(true),
                        _ => Value::Int(self.decimal(line)?),
                    };
                    self.push(value)?;
                }
                op::LONG => {
                    let line = self.line()?;
                    let digits = line.strip_suffix(b"L").unwrap_or(line);
                    let value = self.decimal(digits)?;
                    self.push(Value::Int(value))?;
                }
                op::BINFLOAT => {
                    let value = f64::from_be_bytes(self.array()?);
                    self.push(Value::Float(value))?;
                }
                op::FLOAT => {
                    let line = self.line()?;
                    // Every text Rust parses as a float, Python's float() parses to the same
                    // number (both round correctly); Python takes more (`1_0`, spaces).
                    let value = std::str::from_utf8(line)
                        .ok()
                        .and_then(|text| text.parse::<f64>().ok())
                        .ok_or_else(|| self.malformed("holds no number Python writes"))?;
                    self.push(Value::Float(value))?;
                }

                op::SHORT_BINUNICODE => {
                    let [len] = self.array()?;
                    let bytes = self.take(len.into())?;
                    self.str(bytes)?;
                }
                op::BINUNICODE => {
                    let len = u32::from_le_bytes(self.array()?);
                    let bytes = self.take_claimed(len.into())?;
                    self.str(bytes)?;
                }
                op::BINUNICODE8 => {
                    let len = u64::from_le_bytes(self.array()?);
                    let bytes = self.take_claimed(len)?;
                    self.str(bytes)?;
                }
                op::UNICODE => {
                    let line = self.line()?;
                    let text = raw_unicode_escape(line).ok_or_else(|| {
                        self.malformed("holds text Python's raw-unicode-escape does not write")
                    })?;
                    let value = self.add(Node::Str(text))?;
                    self.push(value)?;
                }
                op::SHORT_BINBYTES => {
                    let [len] = self.array()?;
                    let bytes = self.take(len.into())?;
                    self.bytes_node(bytes)?;
                }
                op::BINBYTES => {
                    let len = u32::from_le_bytes(self.array()?);
                    let bytes = self.take_claimed(len.into())?;
                    self.bytes_node(bytes)?;
                }
                op::BINBYTES8 | op::BYTEARRAY8 => {
                    let len = u64::from_le_bytes(self.array()?);
                    let bytes = self.take_claimed(len)?;
                    self.bytes_node(bytes)?;
                }

                op::EMPTY_TUPLE => self.container(Node::Tuple(Vec::new()))?,
                op::TUPLE => {
                    let items = self.pop_mark()?;
                    self.check_len(items.len())?;
                    self.container(Node::Tuple(items))?;
                }
                op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                    let len = usize::from(code - op::TUPLE1) + 1;
                    let mut items = vec![Value::None; len];
                    for item in items.iter_mut().rev() {
                        *item = self.pop()?;
                    }
                    self.container(Node::Tuple(items))?;
                }
                op::EMPTY_LIST => self.container(Node::List(Vec::new()))?,
                op::LIST => {
                    let items = self.pop_mark()?;
                    self.check_len(items.len())?;
                    self.container(Node::List(items))?;
                }
                op::APPEND => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    self.extend(list, vec![item], "a list", list_items)?;
                }
                op::APPENDS => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.extend(list, items, "a list", list_items)?;
                }
                op::EMPTY_DICT => self.container(Node::Dict(Vec::new()))?,
                op::DICT => {
                    let items = self.pop_mark()?;
                    let entries = self.pairs(items)?;
                    self.check_len(entries.len())?;
                    self.container(Node::Dict(entries))?;
                }
                op::SETITEM => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let dict = self.top()?;
                    self.extend(dict, vec![(key, value)], "a dict", dict_entries)?;
                }
                op::SETITEMS => {
                    let items = self.pop_mark()?;
                    let entries = self.pairs(items)?;
                    let dict = self.top()?;
                    self.extend(dict, entries, "a dict", dict_entries)?;
                }
                op::EMPTY_SET => self.container(Node::Set(Vec::new()))?,
                op::ADDITEMS => {
                    let items = self.pop_mark()?;
                    let set = self.top()?;
                    self.extend(set, items, "a set", set_items)?;
                }
                op::FROZENSET => {
                    let items = self.pop_mark()?;
                    self.check_len(items.len())?;
                    self.container(Node::FrozenSet(items))?;
                }

                op::GLOBAL => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let module = self.utf8(module)?;
                    let name = self.utf8(name)?;
                    self.global(module, name)?;
                }
                op::STACK_GLOBAL => self.stack_global()?,
                op::REDUCE => {
                    let args = self.pop()?;
                    let callable = self.top()?;
                    let object = self.object(callable, args, None)?;
                    if let Some(top) = self.stack.last_mut() {
                        *top = object;
                    }
                }
                op::NEWOBJ => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    let object = self.object(class, args, None)?;
                    self.push(object)?;
                }
                op::NEWOBJ_EX => {
                    let kwargs = self.pop()?;
                    let args = self.pop()?;
                    let class = self.pop()?;
                    let object = self.object(class, args, Some(kwargs))?;
                    self.push(object)?;
                }
                op::BUILD => self.build()?,

                op::MEMOIZE => {
                    let index = self.memo.len() as u64;
                    self.put(index)?;
                }
                op::BINPUT => {
                    let [index] = self.array()?;
                    self.put(index.into())?;
                }
                op::LONG_BINPUT => {
                    let index = u32::from_le_bytes(self.array()?);
                    self.put(index.into())?;
                }
                op::PUT => {
                    let line = self.line()?;
                    let index = self.index(line)?;
                    self.put(index)?;
                }
                op::BINGET => {
                    let [index] = self.array()?;
                    self.get(index.into())?;
                }
                op::LONG_BINGET => {
                    let index = u32::from_le_bytes(self.array()?);
                    self.get(index.into())?;
                }
                op::GET => {
                    let line = self.line()?;
                    let index = self.index(line)?;
                    self.get(index)?;
                }

                op::READONLY_BUFFER => {
                    // A read-only view of bytes reads as the bytes.
                    let buffer = self.top()?;
                    if self.bytes_of(buffer).is_none() {
                        return Err(self.wrong_type("bytes or a bytearray", buffer));
                    }
                }
                op::NEXT_BUFFER => {
                    return Err(self.unsupported(
                        "its data is in out-of-band buffers, and none are given to this reader",
                    ))
                }
                op::PERSID | op::BINPERSID => {
                    return Err(
                        self.unsupported("persistent IDs name objects kept outside the file")
                    )
                }
                op::EXT1 | op::EXT2 | op::EXT4 => {
                    return Err(self.unsupported(
                        "extension codes name globals by a registry the file does not carry, so \
                         they cannot be checked",
                    ))
                }
                op::STRING | op::BINSTRING | op::SHORT_BINSTRING => {
                    return Err(self.unsupported(
                        "Python 2 byte strings are decoded by an encoding the file does not name",
                    ))
                }
                op::INST | op::OBJ => {
                    return Err(self.unsupported(
                        "it makes Python 2 classic-class instances, which Python 3 never writes",
                    ))
                }
                byte => return Err(PickleError::UnknownOpcode { at: self.at, byte }),
            }
        }
    }

    // Reading the input.

    /// Where the bytes the next read may take end. As in Python, an opcode and its argument
    /// never straddle the end of a frame.
    fn end(&mut self) -> usize {
        match self.frame_end {
            Some(end) if self.pos < end => end,
            _ => {
                self.frame_end = None;
                self.bytes.len()
            }
        }
    }

    fn next_opcode(&mut self) -> Result<u8> {
        self.at = self.pos;
        let end = self.end();
        match self.bytes.get(self.pos) {
            Some(&code) if self.pos < end => {
                self.pos += 1;
                Ok(code)
            }
            _ => Err(PickleError::NoStop { at: self.pos }),
        }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let end = self.end();
        let input: &'a [u8] = self.bytes;
        let bytes = self
            .pos
            .checked_add(len)
            .filter(|&stop| stop <= end)
            .and_then(|stop| input.get(self.pos..stop));
        match bytes {
            Some(bytes) => {
                self.pos += len;
                Ok(bytes)
            }
            None => Err(self.short()),
        }
    }

    /// Takes a length-prefixed argument, refusing a length longer than what is left before
    /// anything is allocated for it.
    fn take_claimed(&mut self, claimed: u64) -> Result<&'a [u8]> {
        let left = self.end().saturating_sub(self.pos);
        match usize::try_from(claimed) {
            Ok(len) if len <= left => self.take(len),
            _ => Err(PickleError::TooLong {
                at: self.at,
                opcode: self.opcode,
                claimed,
                left,
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        bytes.try_into().map_err(|_| self.short())
    }

    /// A text argument, without its newline.
    fn line(&mut self) -> Result<&'a [u8]> {
        let end = self.end();
        let input: &'a [u8] = self.bytes;
        let rest = input.get(self.pos..end).unwrap_or_default();
        match rest.iter().position(|&byte| byte == b'\n') {
            Some(len) => {
                self.pos += len + 1;
                Ok(&rest[..len])
            }
            None => Err(self.short()),
        }
    }

    /// The error for an argument cut short, by the end of the file or of its frame.
    fn short(&self) -> PickleError {
        if self.frame_end.is_some() {
            self.malformed("runs past the end of its frame")
        } else {
            PickleError::Truncated {
                at: self.at,
                opcode: self.opcode,
            }
        }
    }

    fn frame(&mut self) -> Result<()> {
        let size = u64::from_le_bytes(self.array()?);
        if matches!(self.frame_end, Some(end) if self.pos < end) {
            return Err(self.malformed("starts before the previous frame ends"));
        }
        let left = self.bytes.len().saturating_sub(self.pos);
        match usize::try_from(size) {
            Ok(size) if size <= left => {
                self.frame_end = Some(self.pos + size);
                Ok(())
            }
            _ => Err(PickleError::TooLong {
                at: self.at,
                opcode: self.opcode,
                claimed: size,
                left,
            }),
        }
    }

    fn stop(mut self) -> Result<Pickle> {
        let root = self.pop()?;
        if !self.stack.is_empty() || !self.marks.is_empty() {
            return Err(PickleError::LeftOver {
                at: self.at,
                values: self.stack.len(),
                marks: self.marks.len(),
            });
        }
        if self.pos < self.bytes.len() {
            return Err(PickleError::Trailing {
                at: self.pos,
                count: self.bytes.len() - self.pos,
            });
        }
        Ok(Pickle {
            nodes: self.nodes,
            root,
        })
    }

    // Scalars and text.

    fn long(&mut self, bytes: &[u8]) -> Result<()> {
        let value = int_from_le(bytes).ok_or(PickleError::IntTooLarge {
            at: self.at,
            opcode: self.opcode,
        })?;
        self.push(Value::Int(value))
    }

    /// A decimal integer as Python 3's pickler writes one. Python reads more (`int(text, 0)`
    /// takes `0x1f`, `1_000` and spaces), but nothing Python 3 writes.
    fn decimal(&self, text: &[u8]) -> Result<i64> {
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        let canonical = match digits {
            [b'0'] => true,
            [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
            _ => false,
        };
        let text = std::str::from_utf8(text)
            .ok()
            .filter(|_| canonical)
            .ok_or_else(|| self.malformed("holds no integer Python writes"))?;
        text.parse()
            .map_err(|err: std::num::ParseIntError| match err.kind() {
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => PickleError::IntTooLarge {
                    at: self.at,
                    opcode: self.opcode,
                },
                _ => self.malformed("holds no integer Python writes"),
            })
    }

    /// A memo index of PUT or GET: decimal digits.
    fn index(&self, text: &[u8]) -> Result<u64> {
        if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
            return Err(self.malformed("holds no memo index"));
        }
        std::str::from_utf8(text)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| self.malformed("holds a memo index past 2^64"))
    }

    fn utf8<'t>(&self, bytes: &'t [u8]) -> Result<&'t str> {
        std::str::from_utf8(bytes).map_err(|_| PickleError::NotUtf8 {
            at: self.at,
            opcode: self.opcode,
        })
    }

    fn str(&mut self, bytes: &[u8]) -> Result<()> {
        let text = self.utf8(bytes)?.to_owned();
        let value = self.add(Node::Str(text))?;
        self.push(value)
    }

    fn bytes_node(&mut self, bytes: &[u8]) -> Result<()> {
        let value = self.add(Node::Bytes(bytes.to_vec()))?;
        self.push(value)
    }

    // The stack, the MARKs and the memo.

    /// The stack's length at the last MARK: as in Python, no opcode reaches below it.
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn push(&mut self, value: Value) -> Result<()> {
        if self.stack.len() >= self.limits.max_stack {
            return Err(self.limit("the stack", self.limits.max_stack));
        }
        self.stack.push(value);
        Ok(())
    }

    fn pop(&mut self) -> Result<Value> {
        if self.stack.len() > self.fence() {
            if let Some(value) = self.stack.pop() {
                return Ok(value);
            }
        }
        Err(self.underflow())
    }

    fn top(&self) -> Result<Value> {
        match self.stack.last() {
            Some(&value) if self.stack.len() > self.fence() => Ok(value),
            _ => Err(self.underflow()),
        }
    }

    /// The values above the last MARK, and the MARK, taken off the stack.
    fn pop_mark(&mut self) -> Result<Vec<Value>> {
        let mark = self.marks.pop().ok_or(PickleError::NoMark {
            at: self.at,
            opcode: self.opcode,
        })?;
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn put(&mut self, index: u64) -> Result<()> {
        let value = self.top()?;
        if self.memo.len() >= self.limits.max_nodes && !self.memo.contains_key(&index) {
            return Err(self.limit("the memo's entries", self.limits.max_nodes));
        }
        self.memo.insert(index, value);
        Ok(())
    }

    fn get(&mut self, index: u64) -> Result<()> {
        let value = *self.memo.get(&index).ok_or(PickleError::MemoMissing {
            at: self.at,
            opcode: self.opcode,
            index,
        })?;
        self.push(value)
    }

    // Nodes.

    fn add(&mut self, node: Node) -> Result<Value> {
        let id = u32::try_from(self.nodes.len())
            .ok()
            .filter(|_| self.nodes.len() < self.limits.max_nodes)
            .ok_or_else(|| self.limit("the nodes", self.limits.max_nodes))?;
        self.nodes.push(node);
        Ok(Value::Node(NodeId(id)))
    }

    fn container(&mut self, node: Node) -> Result<()> {
        let value = self.add(node)?;
        self.push(value)
    }

    fn node(&self, value: Value) -> Option<&Node> {
        match value {
            Value::Node(NodeId(id)) => self.nodes.get(usize::try_from(id).ok()?),
            _ => None,
        }
    }

    fn bytes_of(&self, value: Value) -> Option<&[u8]> {
        match self.node(value)? {
            Node::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len > self.limits.max_container_len {
            return Err(self.limit("a container's length", self.limits.max_container_len));
        }
        Ok(())
    }

    fn pairs(&self, items: Vec<Value>) -> Result<Vec<(Value, Value)>> {
        if items.len() % 2 != 0 {
            return Err(self.malformed("has a key without a value (an odd number of items)"));
        }
        Ok(items
            .chunks_exact(2)
            .filter_map(|pair| match *pair {
                [key, value] => Some((key, value)),
                _ => None,
            })
            .collect())
    }

    /// Adds items to the list, dict or set `target`; anything else would have Python call a
    /// method of an object.
    fn extend<T>(
        &mut self,
        target: Value,
        items: Vec<T>,
        expected: &'static str,
        field: fn(&mut Node) -> Option<&mut Vec<T>>,
    ) -> Result<()> {
        let found = self.kind(target);
        let limit = self.limits.max_container_len;
        let error = self.wrong_type_named(expected, found);
        let too_long = self.limit("a container's length", limit);
        let node = match target {
            Value::Node(NodeId(id)) => usize::try_from(id)
                .ok()
                .and_then(|id| self.nodes.get_mut(id)),
            _ => None,
        };
        let vec = node.and_then(field).ok_or(error)?;
        if vec.len().saturating_add(items.len()) > limit {
            return Err(too_long);
        }
        vec.extend(items);
        Ok(())
    }

    fn global(&mut self, module: &str, name: &str) -> Result<()> {
        let (module, name) = python3_name(self.protocol, module, name);
        if !(self.allowed)(module, name) {
            return Err(PickleError::Forbidden {
                module: module.to_owned(),
                name: name.to_owned(),
            });
        }
        let global = Node::Global {
            module: module.to_owned(),
            name: name.to_owned(),
        };
        self.container(global)
    }

    fn stack_global(&mut self) -> Result<()> {
        let name = self.pop()?;
        let module = self.pop()?;
        let (module, name) = match (self.node(module), self.node(name)) {
            (Some(Node::Str(module)), Some(Node::Str(name))) => {
                let (module, name) = python3_name(self.protocol, module, name);
                if !(self.allowed)(module, name) {
                    return Err(PickleError::Forbidden {
                        module: module.to_owned(),
                        name: name.to_owned(),
                    });
                }
                (module.to_owned(), name.to_owned())
            }
            (Some(Node::Str(_)), _) => return Err(self.wrong_type("a str (a name)", name)),
            _ => return Err(self.wrong_type("a str (a module)", module)),
        };
        self.spend(module.len() + name.len())?;
        self.container(Node::Global { module, name })
    }

    /// Records what calling `callable(*args, **kwargs)` would make.
    fn object(&mut self, callable: Value, args: Value, kwargs: Option<Value>) -> Result<Value> {
        if !matches!(self.node(callable), Some(Node::Global { .. })) {
            return Err(self.wrong_type("a global (an allowed class or function)", callable));
        }
        let Some(Node::Tuple(args)) = self.node(args) else {
            return Err(self.wrong_type("a tuple of arguments", args));
        };
        let args = args.clone();
        let kwargs = match kwargs {
            None => Vec::new(),
            Some(kwargs) => match self.node(kwargs) {
                Some(Node::Dict(entries)) => entries.clone(),
                _ => return Err(self.wrong_type("a dict of keyword arguments", kwargs)),
            },
        };
        self.check_len(args.len().saturating_add(kwargs.len()))?;
        self.spend((args.len() + 2 * kwargs.len()).saturating_mul(std::mem::size_of::<Value>()))?;
        self.add(Node::Object {
            callable,
            args,
            kwargs,
            state: None,
        })
    }

    fn build(&mut self) -> Result<()> {
        let state = self.pop()?;
        let target = self.top()?;
        let found = self.kind(target);
        let error = self.wrong_type_named("an object (made by REDUCE or NEWOBJ)", found);
        let again = self.malformed("gives state to an object that already has some");
        let node = match target {
            Value::Node(NodeId(id)) => usize::try_from(id)
                .ok()
                .and_then(|id| self.nodes.get_mut(id)),
            _ => None,
        };
        match node {
            Some(Node::Object { state: slot, .. }) => match slot {
                None => {
                    *slot = Some(state);
                    Ok(())
                }
                Some(_) => Err(again),
            },
            _ => Err(error),
        }
    }

    /// Pays for copying `bytes` of values the file shares, so that referring to one large
    /// value many times cannot cost memory quadratic in the file's length.
    fn spend(&mut self, bytes: usize) -> Result<()> {
        let budget = self.bytes.len().saturating_mul(COPY_BYTES_PER_INPUT_BYTE);
        self.copied = self.copied.saturating_add(bytes);
        if self.copied > budget {
            return Err(self.limit("the bytes of copies of shared values", budget));
        }
        Ok(())
    }

    // Errors.

    fn kind(&self, value: Value) -> &'static str {
        match value {
            Value::None => "None",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::Float(_) => "a float",
            Value::Node(_) => self.node(value).map_or("a value", Node::kind),
        }
    }

    fn underflow(&self) -> PickleError {
        PickleError::StackUnderflow {
            at: self.at,
            opcode: self.opcode,
        }
    }

    fn wrong_type(&self, expected: &'static str, found: Value) -> PickleError {
        self.wrong_type_named(expected, self.kind(found))
    }

    fn wrong_type_named(&self, expected: &'static str, found: &'static str) -> PickleError {
        PickleError::WrongType {
            at: self.at,
            opcode: self.opcode,
            expected,
            found,
        }
    }

    fn malformed(&self, problem: &'static str) -> PickleError {
        PickleError::Malformed {
            at: self.at,
            opcode: self.opcode,
            problem,
        }
    }

    fn unsupported(&self, why: &'static str) -> PickleError {
        PickleError::Unsupported {
            at: self.at,
            opcode: self.opcode,
            why,
        }
    }

    fn limit(&self, what: &'static str, limit: usize) -> PickleError {
        PickleError::Limit {
            at: self.at,
            what,
            limit,
        }
    }
}

fn list_items(node: &mut Node) -> Option<&mut Vec<Value>> {
    match node {
        Node::List(items) => Some(items),
        _ => None,
    }
}

fn dict_entries(node: &mut Node) -> Option<&mut Vec<(Value, Value)>> {
    match node {
        Node::Dict(entries) => Some(entries),
        _ => None,
    }
}

fn set_items(node: &mut Node) -> Option<&mut Vec<Value>> {
    match node {
        Node::Set(items) => Some(items),
        _ => None,
    }
}

/// The Python 3 name of a global, as Python's unpickler finds it. Below protocol 3, Python 3's
/// pickler writes the Python 2 names of the modules `builtins` and `copyreg` (which protocols
/// 0 and 1 name for every object) and its unpickler translates them back; so does this.
/// Python also translates some fifty other Python 2 modules (`exceptions`, `UserDict`, ...)
/// that no model names: those stay as written, and an allow-list of Python 3 names refuses
/// them.
fn python3_name<'n>(protocol: u8, module: &'n str, name: &'n str) -> (&'n str, &'n str) {
    if protocol >= 3 {
        return (module, name);
    }
    match (module, name) {
        ("__builtin__", "xrange") => ("builtins", "range"),
        ("__builtin__", "reduce") => ("functools", "reduce"),
        ("__builtin__", "intern") => ("sys", "intern"),
        ("__builtin__", "unichr") => ("builtins", "chr"),
        ("__builtin__", "unicode" | "basestring") => ("builtins", "str"),
        ("__builtin__", "long") => ("builtins", "int"),
        ("__builtin__", name) => ("builtins", name),
        ("copy_reg", name) => ("copyreg", name),
        _ => (module, name),
    }
}

/// A little-endian two's-complement integer (LONG1, LONG4), if it fits in 64 bits.
fn int_from_le(bytes: &[u8]) -> Option<i64> {
    let Some(&last) = bytes.last() else {
        return Some(0);
    };
    let (low, high) = bytes.split_at(bytes.len().min(8));
    let mut word = [if last & 0x80 == 0 { 0 } else { 0xff }; 8];
    word[..low.len()].copy_from_slice(low);
    let value = i64::from_le_bytes(word);
    // Bytes past the eighth may only extend the sign of the first eight.
    let sign = if value < 0 { 0xff } else { 0 };
    high.iter().all(|&byte| byte == sign).then_some(value)
}

/// Text as protocol 0's UNICODE holds it: latin-1, with `\uXXXX` and `\UXXXXXXXX` escapes.
/// Python 3's pickler escapes every backslash, so a backslash that starts no escape is refused
/// rather than read by rules that have changed between Python versions.
fn raw_unicode_escape(line: &[u8]) -> Option<String> {
    let mut text = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((&byte, tail)) = rest.split_first() {
        if byte != b'\\' {
            text.push(char::from(byte));
            rest = tail;
            continue;
        }
        let digits = match tail.first() {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => return None,
        };
        let hex = tail.get(1..1 + digits)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        text.push(char::from_u32(code)?);
        rest = tail.get(1 + digits..)?;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&[u8]; 6] = [
        include_bytes!("../../tests/fixtures/pickles/sample-p0.pkl"),
        include_bytes!("../../tests/fixtures/pickles/sample-p1.pkl"),
        include_bytes!("../../tests/fixtures/pickles/sample-p2.pkl"),
        include_bytes!("../../tests/fixtures/pickles/sample-p3.pkl"),
        include_bytes!("../../tests/fixtures/pickles/sample-p4.pkl"),
        include_bytes!("../../tests/fixtures/pickles/sample-p5.pkl"),
    ];
    const NAMESPACES: [&[u8]; 3] = [
        include_bytes!("../../tests/fixtures/pickles/namespace-p0.pkl"),
        include_bytes!("../../tests/fixtures/pickles/namespace-p1.pkl"),
        include_bytes!("../../tests/fixtures/pickles/namespace-p2.pkl"),
    ];
    const ARANGE_P2: &[u8] = include_bytes!("../../tests/fixtures/pickles/arange-p2.pkl");
    const ARANGE_P4: &[u8] = include_bytes!("../../tests/fixtures/pickles/arange-p4.pkl");
    const ARANGE_P5: &[u8] = include_bytes!("../../tests/fixtures/pickles/arange-p5.pkl");

    /// The little-endian float64s 0.0, 1.0 and 2.0.
    const ARANGE_DATA: [u8; 24] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40,
    ];

    fn numpy(module: &str, name: &str) -> bool {
        matches!(
            (module, name),
            ("numpy._core.multiarray", "_reconstruct")
                | ("numpy._core.numeric", "_frombuffer")
                | ("numpy", "ndarray")
                | ("numpy", "dtype")
                | ("_codecs", "encode")
        )
    }

    fn nothing(_: &str, _: &str) -> bool {
        false
    }

    fn read_plain(bytes: &[u8]) -> Result<Pickle> {
        read(bytes, &nothing, &Limits::default())
    }

    /// A pickle from its parts.
    fn pickle(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn ints(pickle: &Pickle, values: &[Value]) -> Vec<i64> {
        values
            .iter()
            .map(|value| match value {
                Value::Int(n) => *n,
                other => panic!("{other:?} is not an int in {pickle:?}"),
            })
            .collect()
    }

    // Python's own pickles.

    #[test]
    fn python_pickles_of_every_protocol_read_to_their_values() {
        for (protocol, bytes) in SAMPLES.iter().enumerate() {
            let pickle =
                read_plain(bytes).unwrap_or_else(|err| panic!("protocol {protocol}: {err}"));
            let root = pickle.root();
            let get = |key| pickle.get(root, key).unwrap_or_else(|| panic!("no {key}"));
            assert_eq!(
                pickle.str(get("text")),
                Some("héllo, 世界 🎬"),
                "{protocol}"
            );
            let expected_ints = [
                0,
                1,
                -1,
                255,
                256,
                65535,
                65536,
                (1 << 31) - 1,
                -(1 << 31),
                1 << 31,
                i64::MAX,
                i64::MIN,
            ];
            assert_eq!(
                ints(&pickle, pickle.list(get("ints")).unwrap()),
                expected_ints
            );
            let floats = pickle.tuple(get("floats")).unwrap();
            let Value::Float(negative_zero) = floats[1] else {
                panic!("{floats:?}")
            };
            assert_eq!(negative_zero.to_bits(), (-0.0f64).to_bits(), "{protocol}");
            assert_eq!(
                floats,
                [
                    Value::Float(0.5),
                    Value::Float(-0.0),
                    Value::Float(1e-300),
                    Value::Float(f64::INFINITY)
                ]
            );
            assert_eq!(
                pickle.tuple(get("flags")).unwrap(),
                [Value::Bool(true), Value::Bool(false), Value::None]
            );
            let nested = get("nested");
            let a = pickle.list(pickle.get(nested, "a").unwrap()).unwrap();
            assert_eq!(pickle.list(a[0]), Some(&[][..]));
            assert_eq!(pickle.dict(a[1]), Some(&[][..]));
            assert_eq!(pickle.tuple(a[2]), Some(&[][..]));
            assert_eq!(
                pickle.tuple(pickle.get(nested, "b").unwrap()),
                Some(&[Value::Int(1)][..])
            );
            // The memo shares one list between two keys, as Python's objects are shared.
            assert_eq!(get("shared"), get("again"));
            assert_eq!(ints(&pickle, pickle.list(get("shared")).unwrap()), [1, 2]);
            let long = ints(&pickle, pickle.list(get("long")).unwrap());
            assert_eq!(long, (0..1500).collect::<Vec<_>>(), "{protocol}");
            if protocol >= 3 {
                assert_eq!(pickle.bytes(get("bytes")), Some(&b"\x00\x01\xff"[..]));
            }
            if protocol >= 4 {
                assert_eq!(
                    pickle.node(get("set")),
                    Some(&Node::Set(vec![Value::Int(3)]))
                );
                assert_eq!(
                    pickle.node(get("frozen")),
                    Some(&Node::FrozenSet(vec![Value::Int(4)]))
                );
            }
            if protocol >= 5 {
                assert_eq!(pickle.bytes(get("bytearray")), Some(&b"ab"[..]));
            }
        }
    }

    /// The three arguments numpy's `_reconstruct` gets, and the state BUILD gives the array:
    /// (version, shape, dtype, Fortran order, data).
    fn reconstructed(pickle: &Pickle) -> (&[Value], &[Value]) {
        let ((module, name), args, kwargs, state) = pickle.object(pickle.root()).unwrap();
        assert_eq!((module, name), ("numpy._core.multiarray", "_reconstruct"));
        assert!(kwargs.is_empty());
        assert_eq!(pickle.global(args[0]), Some(("numpy", "ndarray")));
        assert_eq!(pickle.tuple(args[1]), Some(&[Value::Int(0)][..]));
        let state = pickle.tuple(state.unwrap()).unwrap();
        assert_eq!(state.len(), 5);
        assert_eq!(state[0], Value::Int(1));
        assert_eq!(pickle.tuple(state[1]), Some(&[Value::Int(3)][..]));
        assert_eq!(state[3], Value::Bool(false));
        (args, state)
    }

    fn assert_is_float64(pickle: &Pickle, dtype: Value) {
        let ((module, name), args, _, state) = pickle.object(dtype).unwrap();
        assert_eq!((module, name), ("numpy", "dtype"));
        assert_eq!(pickle.str(args[0]), Some("f8"));
        assert_eq!(&args[1..], [Value::Bool(false), Value::Bool(true)]);
        let state = pickle.tuple(state.unwrap()).unwrap();
        assert_eq!(state[0], Value::Int(3));
        assert_eq!(pickle.str(state[1]), Some("<"));
        assert_eq!(
            &state[2..],
            [
                Value::None,
                Value::None,
                Value::None,
                Value::Int(-1),
                Value::Int(-1),
                Value::Int(0)
            ]
        );
    }

    #[test]
    fn numpy_arange_protocol_2_holds_its_data_as_a_latin1_str() {
        let pickle = read(ARANGE_P2, &numpy, &Limits::default()).unwrap();
        let (args, state) = reconstructed(&pickle);
        let ((module, name), encode_args, _, _) = pickle.object(args[2]).unwrap();
        assert_eq!((module, name), ("_codecs", "encode"));
        assert_eq!(pickle.str(encode_args[0]), Some("b"));
        assert_eq!(pickle.str(encode_args[1]), Some("latin1"));
        assert_is_float64(&pickle, state[2]);
        let (encode, data_args, _, _) = pickle.object(state[4]).unwrap();
        assert_eq!(encode, ("_codecs", "encode"));
        assert_eq!(pickle.str(data_args[1]), Some("latin1"));
        let data: Vec<u8> = pickle
            .str(data_args[0])
            .unwrap()
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert_eq!(data, ARANGE_DATA);
    }

    #[test]
    fn numpy_arange_protocol_4_holds_its_data_as_bytes() {
        let pickle = read(ARANGE_P4, &numpy, &Limits::default()).unwrap();
        let (args, state) = reconstructed(&pickle);
        assert_eq!(pickle.bytes(args[2]), Some(&b"b"[..]));
        assert_is_float64(&pickle, state[2]);
        assert_eq!(pickle.bytes(state[4]), Some(&ARANGE_DATA[..]));
    }

    #[test]
    fn numpy_arange_protocol_5_is_made_from_an_in_band_buffer() {
        let pickle = read(ARANGE_P5, &numpy, &Limits::default()).unwrap();
        let ((module, name), args, kwargs, state) = pickle.object(pickle.root()).unwrap();
        assert_eq!((module, name), ("numpy._core.numeric", "_frombuffer"));
        assert!(kwargs.is_empty());
        assert_eq!(state, None);
        assert_eq!(args.len(), 4);
        assert_eq!(pickle.bytes(args[0]), Some(&ARANGE_DATA[..]));
        assert_is_float64(&pickle, args[1]);
        assert_eq!(pickle.tuple(args[2]), Some(&[Value::Int(3)][..]));
        assert_eq!(pickle.str(args[3]), Some("C"));
    }

    #[test]
    fn numpy_without_its_globals_allowed_is_forbidden() {
        let forbidden = |module: &str, name: &str| PickleError::Forbidden {
            module: module.into(),
            name: name.into(),
        };
        assert_eq!(
            read_plain(ARANGE_P4),
            Err(forbidden("numpy._core.multiarray", "_reconstruct"))
        );
        let all_but_dtype = |module: &str, name: &str| numpy(module, name) && name != "dtype";
        assert_eq!(
            read(ARANGE_P5, &all_but_dtype, &Limits::default()),
            Err(forbidden("numpy", "dtype"))
        );
    }

    #[test]
    fn plain_objects_read_with_python_3_names_in_every_protocol() {
        let allowed = |module: &str, name: &str| {
            matches!(
                (module, name),
                ("copyreg", "_reconstructor") | ("argparse", "Namespace") | ("builtins", "object")
            )
        };
        for (protocol, bytes) in NAMESPACES.iter().enumerate() {
            let pickle = read(bytes, &allowed, &Limits::default()).unwrap();
            let (callable, args, _, state) = pickle.object(pickle.root()).unwrap();
            if protocol < 2 {
                assert_eq!(callable, ("copyreg", "_reconstructor"));
                assert_eq!(pickle.global(args[0]), Some(("argparse", "Namespace")));
                assert_eq!(pickle.global(args[1]), Some(("builtins", "object")));
                assert_eq!(args[2], Value::None);
            } else {
                assert_eq!((callable, args), (("argparse", "Namespace"), &[][..]));
            }
            assert_eq!(pickle.get(state.unwrap(), "a"), Some(Value::Int(1)));
        }
    }

    #[test]
    fn python_2_names_translate_only_below_protocol_3_as_in_python() {
        let global = |protocol: u8, module: &str, name: &str| {
            let text = pickle(&[
                b"\x80",
                &[protocol],
                b"c",
                module.as_bytes(),
                b"\n",
                name.as_bytes(),
                b"\n.",
            ]);
            match read(&text, &|_, _| true, &Limits::default()) {
                Ok(pickle) => pickle
                    .global(pickle.root())
                    .map(|(module, name)| format!("{module}.{name}")),
                Err(err) => panic!("{err}"),
            }
        };
        assert_eq!(
            global(2, "__builtin__", "set").as_deref(),
            Some("builtins.set")
        );
        assert_eq!(
            global(2, "__builtin__", "unicode").as_deref(),
            Some("builtins.str")
        );
        assert_eq!(
            global(2, "__builtin__", "reduce").as_deref(),
            Some("functools.reduce")
        );
        assert_eq!(
            global(1, "copy_reg", "_reconstructor").as_deref(),
            Some("copyreg._reconstructor")
        );
        assert_eq!(
            global(3, "__builtin__", "set").as_deref(),
            Some("__builtin__.set")
        );
        assert_eq!(
            global(2, "exceptions", "ValueError").as_deref(),
            Some("exceptions.ValueError")
        );
        // The error names what Python would call.
        assert_eq!(
            read_plain(b"c__builtin__\neval\n."),
            Err(PickleError::Forbidden {
                module: "builtins".into(),
                name: "eval".into()
            })
        );
    }

    // Hostile pickles.

    #[test]
    fn a_foreign_global_is_refused_by_name_before_anything_after_it_is_read() {
        // GLOBAL 'os system', then bytes that are no opcodes at all: the error is the global.
        let text = pickle(&[b"\x80\x02cos\nsystem\n", b"\xff\xff\xff"]);
        let err = read_plain(&text).unwrap_err();
        assert_eq!(
            err,
            PickleError::Forbidden {
                module: "os".into(),
                name: "system".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "this file would call os.system; a model never needs that"
        );
        // The same through STACK_GLOBAL, called by REDUCE as a real exploit would.
        let stacked = pickle(&[
            b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94",
            b"\x8c\x06echo 1\x94\x85\x94R\x94.",
        ]);
        assert_eq!(read_plain(&stacked), Err(err));
    }

    #[test]
    fn eval_exec_and_their_kin_are_forbidden_even_when_other_names_are_allowed() {
        let allowed = |module: &str, name: &str| module == "collections" && name == "OrderedDict";
        for (module, name) in [
            ("builtins", "eval"),
            ("builtins", "exec"),
            ("builtins", "getattr"),
            ("__builtin__", "eval"),
            ("subprocess", "Popen"),
            ("posix", "system"),
            ("collections", "OrderedDictX"),
        ] {
            let text = pickle(&[
                b"\x80\x04\x8c",
                &[module.len() as u8],
                module.as_bytes(),
                b"\x8c",
                &[name.len() as u8],
                name.as_bytes(),
                b"\x93\x8c\x0a1+1\x85R.",
            ]);
            let expected = PickleError::Forbidden {
                module: module.into(),
                name: name.into(),
            };
            assert_eq!(read(&text, &allowed, &Limits::default()), Err(expected));
        }
    }

    #[test]
    fn reduce_calls_nothing_and_needs_an_allowed_global() {
        let allowed = |module: &str, name: &str| (module, name) == ("builtins", "print");
        let call = b"\x80\x04\x8c\x08builtins\x8c\x05print\x93\x8c\x02hi\x85R.";
        let pickle = read(call, &allowed, &Limits::default()).unwrap();
        let (callable, args, _, state) = pickle.object(pickle.root()).unwrap();
        assert_eq!(callable, ("builtins", "print"));
        assert_eq!(pickle.str(args[0]), Some("hi"));
        assert_eq!(state, None);
        // A list called with a tuple: Python would fail; so does this reader, by name.
        assert_eq!(
            read_plain(b"\x80\x04])R."),
            Err(PickleError::WrongType {
                at: 4,
                opcode: "REDUCE",
                expected: "a global (an allowed class or function)",
                found: "a list"
            })
        );
        // Arguments that are not a tuple.
        let not_tuple = b"\x80\x04\x8c\x08builtins\x8c\x05print\x93]R.";
        assert!(matches!(
            read(not_tuple, &allowed, &Limits::default()),
            Err(PickleError::WrongType {
                expected: "a tuple of arguments",
                ..
            })
        ));
    }

    #[test]
    fn newobj_newobj_ex_and_build_record_the_object() {
        let allowed = |module: &str, name: &str| (module, name) == ("m", "C");
        let text = b"\x80\x04\x8c\x01m\x8c\x01C\x93\x94K\x01\x85}\x8c\x01kK\x02s\x92\x94}\x8c\x01aK\x03sb.";
        let pickle = read(text, &allowed, &Limits::default()).unwrap();
        let (callable, args, kwargs, state) = pickle.object(pickle.root()).unwrap();
        assert_eq!(callable, ("m", "C"));
        assert_eq!(args, [Value::Int(1)]);
        assert_eq!(kwargs.len(), 1);
        assert_eq!(pickle.str(kwargs[0].0), Some("k"));
        assert_eq!(kwargs[0].1, Value::Int(2));
        assert_eq!(pickle.get(state.unwrap(), "a"), Some(Value::Int(3)));
        // NEWOBJ, and a second BUILD on the same object.
        let twice = b"\x80\x04\x8c\x01m\x8c\x01C\x93)\x81NbNb.";
        assert!(matches!(
            read(twice, &allowed, &Limits::default()),
            Err(PickleError::Malformed {
                at: 14,
                opcode: "BUILD",
                ..
            })
        ));
        // BUILD on a list would have Python set attributes on it.
        assert!(matches!(
            read_plain(b"\x80\x04]}b."),
            Err(PickleError::WrongType {
                opcode: "BUILD",
                found: "a list",
                ..
            })
        ));
    }

    #[test]
    fn mutations_apply_only_to_their_own_kind_of_container() {
        for (text, opcode) in [
            (&b"\x80\x04)Na."[..], "APPEND"),
            (b"\x80\x04}(Ne.", "APPENDS"),
            (b"\x80\x04]NNs.", "SETITEM"),
            (b"\x80\x04)(NNu.", "SETITEMS"),
            (b"\x80\x04](N\x90.", "ADDITEMS"),
            (b"\x80\x04(\x91(N\x90.", "ADDITEMS"),
        ] {
            assert!(
                matches!(read_plain(text), Err(PickleError::WrongType { opcode: o, .. }) if o == opcode),
                "{opcode}: {:?}",
                read_plain(text)
            );
        }
    }

    #[test]
    fn deep_nesting_reads_without_recursion() {
        // 100,000 lists, each appended to the one before: [[[...]]].
        let depth = 100_000;
        let text = pickle(&[
            b"\x80\x04",
            &vec![b']'; depth],
            &vec![b'a'; depth - 1],
            b".",
        ]);
        let pickle = read_plain(&text).unwrap();
        let mut value = pickle.root();
        let mut levels = 1;
        while let Some(&[inner]) = pickle.list(value) {
            value = inner;
            levels += 1;
        }
        assert_eq!(levels, depth);
        // One more than the stack holds.
        let deeper = [b"\x80\x04", &vec![b']'; depth + 1][..], b"."].concat();
        assert_eq!(
            read_plain(&deeper),
            Err(PickleError::Limit {
                at: depth + 2,
                what: "the stack",
                limit: 100_000
            })
        );
    }

    #[test]
    fn a_flood_of_marks_is_refused_at_the_limit() {
        let text = pickle(&[b"\x80\x04", &vec![b'('; 5000], b"N."]);
        assert_eq!(
            read_plain(&text),
            Err(PickleError::Limit {
                at: 1002,
                what: "the open MARKs",
                limit: 1000
            })
        );
    }

    #[test]
    fn lying_lengths_are_refused_before_allocating() {
        let ten_gb = 10_000_000_000u64.to_le_bytes();
        for (code, name) in [
            (op::BINBYTES8, "BINBYTES8"),
            (op::BINUNICODE8, "BINUNICODE8"),
            (op::BYTEARRAY8, "BYTEARRAY8"),
        ] {
            let text = pickle(&[b"\x80\x05", &[code], &ten_gb, b"abc."]);
            assert_eq!(
                read_plain(&text),
                Err(PickleError::TooLong {
                    at: 2,
                    opcode: name,
                    claimed: 10_000_000_000,
                    left: 4
                })
            );
        }
        let four_gb = u32::MAX.to_le_bytes();
        for code in [op::BINUNICODE, op::BINBYTES, op::LONG4] {
            let text = pickle(&[b"\x80\x04", &[code], &four_gb, b"."]);
            assert!(
                matches!(
                    read_plain(&text),
                    Err(PickleError::TooLong { .. } | PickleError::Malformed { .. })
                ),
                "{code:x}"
            );
        }
        let frame = pickle(&[b"\x80\x04\x95", &ten_gb, b"N."]);
        assert!(matches!(
            read_plain(&frame),
            Err(PickleError::TooLong {
                opcode: "FRAME",
                ..
            })
        ));
        let message = read_plain(&pickle(&[b"\x80\x04\x8e", &ten_gb, b"."]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "at byte 2: BINBYTES8 claims 10000000000 bytes, but only 1 are left"
        );
    }

    #[test]
    fn a_huge_memo_index_costs_one_entry() {
        let text = b"\x80\x04Nr\xff\xff\xff\xff0j\xff\xff\xff\xff.";
        let pickle = read_plain(text).unwrap();
        assert_eq!(pickle.root(), Value::None);
        let text = b"\x80\x02Np18446744073709551615\n0g18446744073709551615\n.";
        assert_eq!(read_plain(text).map(|p| p.root()), Ok(Value::None));
        assert!(matches!(
            read_plain(b"\x80\x02Np18446744073709551616\n."),
            Err(PickleError::Malformed { opcode: "PUT", .. })
        ));
    }

    #[test]
    fn a_memo_entry_never_stored_is_an_error() {
        assert_eq!(
            read_plain(b"\x80\x04N\x94h\x01."),
            Err(PickleError::MemoMissing {
                at: 4,
                opcode: "BINGET",
                index: 1
            })
        );
        assert!(matches!(
            read_plain(b"\x80\x04j\x00\x00\x00\x01."),
            Err(PickleError::MemoMissing {
                index: 16_777_216,
                ..
            })
        ));
        assert!(matches!(
            read_plain(b"g7\n."),
            Err(PickleError::MemoMissing { index: 7, .. })
        ));
    }

    #[test]
    fn out_of_band_buffers_persistent_ids_and_extensions_are_unsupported() {
        for (text, name) in [
            (&b"\x80\x05\x97."[..], "NEXT_BUFFER"),
            (b"\x80\x04Pabc\n.", "PERSID"),
            (b"\x80\x04NQ.", "BINPERSID"),
            (b"\x80\x04\x82\x01.", "EXT1"),
            (b"\x80\x04\x83\x01\x00.", "EXT2"),
            (b"\x80\x04\x84\x01\x00\x00\x00.", "EXT4"),
            (b"S'abc'\n.", "STRING"),
            (b"\x80\x02U\x03abc.", "SHORT_BINSTRING"),
            (b"\x80\x02T\x03\x00\x00\x00abc.", "BINSTRING"),
            (b"(ios\nsystem\n.", "INST"),
            (b"(o.", "OBJ"),
        ] {
            match read_plain(text) {
                Err(PickleError::Unsupported { opcode, .. }) => assert_eq!(opcode, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(
            read_plain(b"\x80\x05\x97.").unwrap_err().to_string(),
            "at byte 2: NEXT_BUFFER is not read, since its data is in out-of-band buffers, and \
             none are given to this reader"
        );
    }

    #[test]
    fn readonly_buffer_reads_as_its_bytes() {
        let pickle = read_plain(b"\x80\x05C\x02ab\x98.").unwrap();
        assert_eq!(pickle.bytes(pickle.root()), Some(&b"ab"[..]));
        assert!(matches!(
            read_plain(b"\x80\x05N\x98."),
            Err(PickleError::WrongType { .. })
        ));
    }

    #[test]
    fn stack_underflows_are_errors() {
        for (text, at, opcode) in [
            (&b"\x80\x04."[..], 2, "STOP"),
            (b"\x80\x040", 2, "POP"),
            (b"\x80\x042", 2, "DUP"),
            (b"\x80\x04Na.", 3, "APPEND"),
            (b"\x80\x04NR.", 3, "REDUCE"),
            (b"\x80\x04N\x86.", 3, "TUPLE2"),
            // Nothing reaches below a MARK.
            (b"\x80\x04NN(\x85.", 5, "TUPLE1"),
            (b"\x80\x04](Na", 5, "APPEND"),
            (b"\x80\x04N(\x94", 4, "MEMOIZE"),
            (b"\x80\x04N(Nb", 5, "BUILD"),
            (b"\x80\x04}(NNs", 6, "SETITEM"),
            (b"\x80\x04(e", 3, "APPENDS"),
            (b"\x80\x04N(.", 4, "STOP"),
        ] {
            assert_eq!(
                read_plain(text),
                Err(PickleError::StackUnderflow { at, opcode }),
                "{opcode}"
            );
        }
        assert_eq!(
            read_plain(b"\x80\x04Nt."),
            Err(PickleError::NoMark {
                at: 3,
                opcode: "TUPLE"
            })
        );
    }

    #[test]
    fn pop_right_after_a_mark_takes_the_mark_as_python_does() {
        assert_eq!(
            read_plain(b"\x80\x04N(0.").map(|p| p.root()),
            Ok(Value::None)
        );
        assert_eq!(
            read_plain(b"\x80\x04N(N1.").map(|p| p.root()),
            Ok(Value::None)
        );
    }

    #[test]
    fn every_prefix_of_a_pickle_is_an_error() {
        for bytes in [SAMPLES[0], SAMPLES[4], SAMPLES[5], ARANGE_P2, ARANGE_P5] {
            for len in 0..bytes.len() {
                assert!(
                    read(&bytes[..len], &numpy, &Limits::default()).is_err(),
                    "{len}"
                );
            }
            assert!(read(bytes, &numpy, &Limits::default()).is_ok());
        }
        assert_eq!(read_plain(b""), Err(PickleError::NoStop { at: 0 }));
        assert_eq!(
            read_plain(b"\x80\x04J\x01\x02"),
            Err(PickleError::Truncated {
                at: 2,
                opcode: "BININT"
            })
        );
        assert_eq!(
            read_plain(b"\x80\x04J\x01\x02").unwrap_err().to_string(),
            "at byte 2: the file ends inside BININT: it is truncated"
        );
    }

    #[test]
    fn no_change_of_one_byte_panics() {
        for bytes in [ARANGE_P2, ARANGE_P4, ARANGE_P5] {
            let mut copy = bytes.to_vec();
            for at in 0..bytes.len() {
                for byte in 0..=255 {
                    copy[at] = byte;
                    let _ = read(&copy, &numpy, &Limits::default());
                }
                copy[at] = bytes[at];
            }
        }
    }

    #[test]
    fn unknown_opcodes_are_named_with_their_offset() {
        let err = read_plain(b"\x80\x04N\xff.").unwrap_err();
        assert_eq!(err, PickleError::UnknownOpcode { at: 3, byte: 0xff });
        assert_eq!(err.to_string(), "at byte 3: 0xff is not a pickle opcode");
        assert_eq!(
            read_plain(b"\x80\x06N."),
            Err(PickleError::Protocol { at: 0, protocol: 6 })
        );
    }

    #[test]
    fn integers_beyond_64_bits_are_refused() {
        let read_int = |text: &[u8]| read_plain(text).map(|p| p.root());
        // LONG1 with sign-extension bytes past the eighth fits.
        assert_eq!(
            read_int(b"\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff."),
            Ok(Value::Int(-1))
        );
        assert_eq!(
            read_int(b"\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80."),
            Ok(Value::Int(i64::MIN))
        );
        assert_eq!(read_int(b"\x80\x02\x8a\x01\x80."), Ok(Value::Int(-128)));
        assert_eq!(read_int(b"\x80\x02\x8a\x00."), Ok(Value::Int(0)));
        assert_eq!(
            read_int(b"\x80\x02\x8b\x02\x00\x00\x00\xff\x7f."),
            Ok(Value::Int(32767))
        );
        // 2^63 and 2^64 - 1.
        assert_eq!(
            read_int(b"\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00."),
            Err(PickleError::IntTooLarge {
                at: 2,
                opcode: "LONG1"
            })
        );
        assert!(read_int(b"\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00.").is_err());
        assert!(matches!(
            read_int(b"\x80\x02\x8b\xff\xff\xff\xff."),
            Err(PickleError::Malformed {
                opcode: "LONG4",
                ..
            })
        ));
        assert!(matches!(
            read_int(b"L9223372036854775808L\n."),
            Err(PickleError::IntTooLarge { opcode: "LONG", .. })
        ));
    }

    #[test]
    fn text_opcodes_read_only_what_python_writes() {
        let root = |text: &[u8]| read_plain(text).map(|p| p.root());
        assert_eq!(root(b"I01\n."), Ok(Value::Bool(true)));
        assert_eq!(root(b"I00\n."), Ok(Value::Bool(false)));
        assert_eq!(root(b"I-42\n."), Ok(Value::Int(-42)));
        assert_eq!(root(b"L-9223372036854775808L\n."), Ok(Value::Int(i64::MIN)));
        assert_eq!(root(b"F1e-300\n."), Ok(Value::Float(1e-300)));
        assert_eq!(root(b"F-inf\n."), Ok(Value::Float(f64::NEG_INFINITY)));
        for text in [
            &b"I0x10\n."[..],
            b"I1_000\n.",
            b"I 1\n.",
            b"I010\n.",
            b"I\n.",
            b"F1_0\n.",
            b"F 1\n.",
            b"V\\x41\n.",
            b"V\\\\u0041\n.",
            b"V\\u004\n.",
            b"V\\ud800\n.",
            b"V\\U00110000\n.",
        ] {
            assert!(
                matches!(root(text), Err(PickleError::Malformed { .. })),
                "{:?}: {:?}",
                String::from_utf8_lossy(text),
                root(text)
            );
        }
        let text = read_plain(b"V\xe9\\u4e16\\U0001f3ac\n.").unwrap();
        assert_eq!(text.str(text.root()), Some("é世🎬"));
        // A line cut off by the end of the file.
        assert_eq!(
            read_plain(b"I12"),
            Err(PickleError::Truncated {
                at: 0,
                opcode: "INT"
            })
        );
    }

    #[test]
    fn strings_must_be_utf8() {
        assert_eq!(
            read_plain(b"\x80\x04\x8c\x02\xc3\x28."),
            Err(PickleError::NotUtf8 {
                at: 2,
                opcode: "SHORT_BINUNICODE"
            })
        );
        assert!(matches!(
            read_plain(b"c\xff\nx\n."),
            Err(PickleError::NotUtf8 {
                opcode: "GLOBAL",
                ..
            })
        ));
        // A lone surrogate, which Python writes with 'surrogatepass'.
        assert!(read_plain(b"\x80\x04\x8c\x03\xed\xa0\x80.").is_err());
    }

    #[test]
    fn a_pickle_ends_with_one_value_and_nothing_after_it() {
        assert_eq!(
            read_plain(b"\x80\x04NN."),
            Err(PickleError::LeftOver {
                at: 4,
                values: 1,
                marks: 0
            })
        );
        assert_eq!(
            read_plain(b"\x80\x04(N."),
            Err(PickleError::LeftOver {
                at: 4,
                values: 0,
                marks: 1
            })
        );
        assert_eq!(
            read_plain(b"\x80\x04N.xyz"),
            Err(PickleError::Trailing { at: 4, count: 3 })
        );
    }

    #[test]
    fn frames_hold_whole_opcodes() {
        let framed = b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x01.";
        assert_eq!(read_plain(framed).map(|p| p.root()), Ok(Value::Int(1)));
        // BININT's argument starts in the frame and ends past it.
        let split = b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00J\x01\x00\x00\x00.";
        assert_eq!(
            read_plain(split),
            Err(PickleError::Malformed {
                at: 11,
                opcode: "BININT",
                problem: "runs past the end of its frame"
            })
        );
        let nested =
            b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00\x00N.";
        assert!(matches!(
            read_plain(nested),
            Err(PickleError::Malformed {
                opcode: "FRAME",
                ..
            })
        ));
        // A frame that ends exactly where an opcode's argument begins, as Python allows, or
        // where the next frame begins.
        let exhausted = b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x01.";
        assert_eq!(read_plain(exhausted).map(|p| p.root()), Ok(Value::Int(1)));
        let chained =
            b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x01\x00\x00\x00\x00\x00\x00\x00.";
        assert_eq!(read_plain(chained).map(|p| p.root()), Ok(Value::None));
    }

    #[test]
    fn a_shared_argument_tuple_cannot_multiply_memory() {
        // A tuple of 4,000 Nones, then 20,000 objects each taking it as arguments.
        let allowed = |module: &str, name: &str| (module, name) == ("m", "f");
        let mut text = pickle(&[
            b"\x80\x04\x8c\x01m\x8c\x01f\x93\x940(",
            &vec![b'N'; 4000],
            b"t\x940",
        ]);
        for _ in 0..20_000 {
            text.extend_from_slice(b"h\x00h\x01R0");
        }
        text.extend_from_slice(b"N.");
        let err = read(&text, &allowed, &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                PickleError::Limit {
                    what: "the bytes of copies of shared values",
                    ..
                }
            ),
            "{err}"
        );
        // Used twice, it is fine.
        let mut text = pickle(&[
            b"\x80\x04\x8c\x01m\x8c\x01f\x93\x940(",
            &vec![b'N'; 4000],
            b"t\x940",
        ]);
        for _ in 0..2 {
            text.extend_from_slice(b"h\x00h\x01R0");
        }
        text.extend_from_slice(b"N.");
        assert!(read(&text, &allowed, &Limits::default()).is_ok());
    }

    #[test]
    fn limits_bound_the_input_the_nodes_the_memo_and_containers() {
        let small = Limits {
            max_input: 100,
            max_marks: 10,
            max_stack: 10,
            max_nodes: 3,
            max_container_len: 2,
        };
        assert_eq!(
            read(&[b'N'; 101], &nothing, &small),
            Err(PickleError::InputTooLarge {
                len: 101,
                limit: 100
            })
        );
        assert!(matches!(
            read(b"\x80\x04]]]]", &nothing, &small),
            Err(PickleError::Limit {
                at: 5,
                what: "the nodes",
                limit: 3
            })
        ));
        assert!(matches!(
            read(b"\x80\x04N\x94\x94\x94\x94.", &nothing, &small),
            Err(PickleError::Limit {
                at: 6,
                what: "the memo's entries",
                ..
            })
        ));
        assert!(matches!(
            read(b"\x80\x04](NNNe.", &nothing, &small),
            Err(PickleError::Limit {
                what: "a container's length",
                ..
            })
        ));
        assert!(matches!(
            read(b"\x80\x04]NaNaNa.", &nothing, &small),
            Err(PickleError::Limit {
                at: 8,
                what: "a container's length",
                ..
            })
        ));
        assert!(matches!(
            read(b"\x80\x04(NNNt.", &nothing, &small),
            Err(PickleError::Limit {
                what: "a container's length",
                ..
            })
        ));
        assert!(read(b"\x80\x04](NNe.", &nothing, &small).is_ok());
    }

    #[test]
    fn odd_items_for_a_dict_are_refused() {
        assert!(matches!(
            read_plain(b"\x80\x04(Nd."),
            Err(PickleError::Malformed { opcode: "DICT", .. })
        ));
        assert!(matches!(
            read_plain(b"\x80\x04}(NNNu."),
            Err(PickleError::Malformed {
                opcode: "SETITEMS",
                ..
            })
        ));
    }

    #[test]
    fn memo_references_share_one_node_and_mutations_show_through_them() {
        // A list memoized, put in a tuple, then appended to: the tuple sees the item.
        let pickle = read_plain(b"\x80\x04]\x94\x85\x94h\x00K\x07a0.").unwrap();
        let tuple = pickle.tuple(pickle.root()).unwrap();
        assert_eq!(pickle.list(tuple[0]), Some(&[Value::Int(7)][..]));
        // A list that holds itself.
        let pickle = read_plain(b"\x80\x04]\x94h\x00a.").unwrap();
        assert_eq!(pickle.list(pickle.root()), Some(&[pickle.root()][..]));
        assert!(format!("{pickle:?}").contains("List"));
    }
}
