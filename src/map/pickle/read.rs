//! The state-dict reader: a stack machine over symbolic values, with an allow-list of what
//! `torch.save` writes.
//!
//! Containers live in an arena and the stack and memo hold indices into it, so a container
//! filled after it was memoized is seen filled wherever it is referenced, as in Python; the
//! result is copied out of the arena at the end, under the object, byte and depth limits.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::memo::Memo;
use super::op::{ops, Op};
use super::text::{self, Int};
use super::torch::{allowed, storage_class, Allowed, Dtype};
use super::{Fault, MAX_DEPTH, MAX_OBJECTS, MAX_STACK, MAX_TEXT_BYTES};
use crate::Error;

/// A storage named by a persistent id `('storage', torch.<X>Storage, key, location, numel)`:
/// its bytes are the record `<name>/data/<key>` of the `torch.save` zip.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StorageRef {
    /// The record key, e.g. `"0"`.
    pub key: String,
    /// The storage class, e.g. `"FloatStorage"` (`"UntypedStorage"` for dtypes saved as bytes).
    pub class: &'static str,
    /// The element type of the class (`torch.uint8` for an `UntypedStorage`).
    pub dtype: Dtype,
    /// Where torch had it, e.g. `"cpu"` or `"cuda:0"`.
    pub location: String,
    /// Its length in elements of `dtype`.
    pub numel: u64,
}

impl StorageRef {
    /// Its length in bytes, `numel` × the element size, or `None` past `u64`.
    pub fn nbytes(&self) -> Option<u64> {
        self.numel.checked_mul(u64::from(self.dtype.element_size()))
    }
}

/// A tensor as `torch._utils._rebuild_tensor_v2` (or `_v3`, or `_rebuild_parameter` around
/// it) would make it: a view of a storage.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRef {
    /// The storage holding its elements.
    pub storage: StorageRef,
    /// Its element type: the storage's, or `_rebuild_tensor_v3`'s `dtype` argument.
    pub dtype: Dtype,
    /// Where it starts in the storage, in elements of `dtype`.
    pub storage_offset: u64,
    /// Its shape.
    pub size: Vec<u64>,
    /// Its strides, in elements.
    pub stride: Vec<u64>,
    /// Whether it requires grad.
    pub requires_grad: bool,
    /// Whether it was an `nn.Parameter` (`_rebuild_parameter`).
    pub is_parameter: bool,
    /// The `metadata` dict `_rebuild_tensor_v2` takes last (torch writes it when non-empty).
    pub metadata: Option<Box<Value>>,
    /// The state of `_rebuild_parameter_with_state` (a parameter with Python attributes).
    pub state: Option<Box<Value>>,
}

/// A dict or `collections.OrderedDict`, in insertion order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dict {
    /// Whether it is an `OrderedDict`.
    pub ordered: bool,
    /// Its items; a key set twice keeps its first place and its last value, as in Python.
    pub items: Vec<(Value, Value)>,
    /// The attributes a `BUILD` gave an `OrderedDict`: a state dict's `_metadata`.
    pub attributes: Vec<(String, Value)>,
}

/// A value the state-dict reader understands: Python's plain values and torch's tensors.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `None`.
    None,
    /// A bool.
    Bool(bool),
    /// An int in 64 bits.
    Int(i64),
    /// A longer int, as minimal little-endian two's complement.
    BigInt(Box<[u8]>),
    /// A float.
    Float(f64),
    /// A str (and the byte strings of protocols 0 and 1, read as UTF-8 as `torch.load` does).
    Str(String),
    /// `bytes` or `bytearray`.
    Bytes(Vec<u8>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A list.
    List(Vec<Value>),
    /// A dict or `OrderedDict`.
    Dict(Dict),
    /// A set, its items as written.
    Set(Vec<Value>),
    /// A frozenset, its items as written.
    FrozenSet(Vec<Value>),
    /// A tensor or parameter.
    Tensor(Box<TensorRef>),
    /// A storage saved on its own.
    Storage(StorageRef),
    /// A `torch.device`, e.g. `"cuda:0"`.
    Device(String),
    /// A `torch.Size`.
    Size(Vec<i64>),
    /// A `torch.dtype`.
    Dtype(Dtype),
}

impl Value {
    /// Every tensor in the value, depth first, each with its path from the root: `[0]` for
    /// an item of a tuple or list, `["name"]` or `[3]` for a dict value.
    pub fn tensors(&self) -> Vec<(String, &TensorRef)> {
        let mut out = Vec::new();
        self.collect_tensors(&mut String::new(), &mut out);
        out
    }

    fn collect_tensors<'v>(&'v self, path: &mut String, out: &mut Vec<(String, &'v TensorRef)>) {
        let len = path.len();
        match self {
            Value::Tensor(t) => out.push((path.clone(), t)),
            Value::Tuple(items) | Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push_str(&format!("[{i}]"));
                    v.collect_tensors(path, out);
                    path.truncate(len);
                }
            }
            Value::Dict(d) => {
                for (k, v) in &d.items {
                    match k {
                        Value::Str(s) => path.push_str(&format!("[{s:?}]")),
                        Value::Int(i) => path.push_str(&format!("[{i}]")),
                        other => path.push_str(&format!("[<{}>]", other.kind())),
                    }
                    v.collect_tensors(path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// What kind of value this is, for messages: `"str"`, `"tensor"`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(d) if d.ordered => "OrderedDict",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Tensor(_) => "tensor",
            Value::Storage(_) => "storage",
            Value::Device(_) => "torch.device",
            Value::Size(_) => "torch.Size",
            Value::Dtype(_) => "torch.dtype",
        }
    }
}

/// A state dict: names to tensors (and whatever else the module saved, e.g. `_extra_state`).
#[derive(Clone, Debug, PartialEq)]
pub struct StateDict {
    /// Whether it was an `OrderedDict` (what `Module.state_dict()` returns) or a dict.
    pub ordered: bool,
    /// The entries, in the pickle's order.
    pub entries: IndexMap<String, Value>,
    /// The attributes set on it by `BUILD`: `_metadata` (module versions) for
    /// `Module.state_dict()`.
    pub attributes: Vec<(String, Value)>,
}

impl StateDict {
    /// The entries that are tensors, in order.
    pub fn tensors(&self) -> impl Iterator<Item = (&str, &TensorRef)> {
        self.entries.iter().filter_map(|(k, v)| match v {
            Value::Tensor(t) => Some((k.as_str(), &**t)),
            _ => None,
        })
    }

    /// The `_metadata` attribute `Module.state_dict()` sets, if there is one.
    pub fn metadata(&self) -> Option<&Value> {
        self.attributes.iter().find(|(k, _)| k == "_metadata").map(|(_, v)| v)
    }
}

/// Reads a pickle that holds a state dict (a dict or `OrderedDict` of str keys), e.g. the
/// `data.pkl` of `torch.save(model.state_dict())`.
///
/// `record` names the pickle in errors (`"archive/data.pkl"`; may be empty). Errors as
/// [`read_pickle`], and when the pickle holds something other than a dict with str keys.
pub fn read_state_dict(bytes: &[u8], record: &str) -> Result<StateDict, Error> {
    let (value, root_at) = read(bytes).map_err(|f| f.into_error(record))?;
    let not_state_dict = |what: String| Fault::new(root_at.0, Some(root_at.1), what).into_error(record);
    let Value::Dict(dict) = value else {
        return Err(not_state_dict(format!("the pickle holds a {}, not a state dict", value.kind())));
    };
    let mut entries = IndexMap::with_capacity(dict.items.len());
    for (k, v) in dict.items {
        match k {
            Value::Str(name) => {
                entries.insert(name, v);
            }
            other => return Err(not_state_dict(format!("a state dict key is a {}, not a str", other.kind()))),
        }
    }
    Ok(StateDict { ordered: dict.ordered, entries, attributes: dict.attributes })
}

/// Reads a pickle of plain values and tensors, e.g. the `data.pkl` of the
/// `(args, kwargs)` tuple a `.pt2` archive keeps as sample inputs.
///
/// Nothing is imported or called: the allow-listed globals (`collections.OrderedDict`,
/// `torch._utils._rebuild_tensor_v2`, `_rebuild_tensor_v3`, `_rebuild_parameter`,
/// `_rebuild_parameter_with_state`, the storage classes `torch.<X>Storage` and
/// `torch.UntypedStorage`, the dtypes `torch.<dtype>`, `torch.device`, `torch.Size`, and the
/// builtins protocol 2 uses for sets and bytes: `set`, `frozenset`, `bytes`, `bytearray`,
/// `_codecs.encode`) are recognised by name and their effect computed here. Any other global,
/// a call of something not on the list, `BUILD` on anything but an `OrderedDict`, `INST`,
/// `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, extension codes, text persistent ids and out-of-band
/// buffers are refused with an error naming the global (`module.name`) and the offset.
/// Bytes after `STOP` are refused too: `torch.save` writes none.
pub fn read_pickle(bytes: &[u8], record: &str) -> Result<Value, Error> {
    read(bytes).map(|(v, _)| v).map_err(|f| f.into_error(record))
}

/// The value, and the offset and opcode that made it.
fn read(bytes: &[u8]) -> Result<(Value, (usize, u8)), Fault> {
    let mut m = Machine::default();
    let mut it = ops(bytes);
    while let Some(next) = it.next_op() {
        let (at, op) = next?;
        m.at = at;
        m.code = op.code();
        if let Some(root) = m.step(op)? {
            let end = it.offset();
            if end != bytes.len() {
                return Err(Fault::new(at, Some(b'.'), format!("{} bytes after STOP", bytes.len() - end)));
            }
            let root_at = (m.arena[root as usize].at, m.arena[root as usize].code);
            let mut out = Output { arena: &m.arena, attributes: &m.attributes, objects: m.arena.len(), text: 0 };
            return Ok((out.value(root, 0)?, root_at));
        }
    }
    // The decoder ends with STOP or an error; this is for the type checker.
    Err(Fault::new(bytes.len(), None, "the pickle ends without STOP"))
}

type Id = u32;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Mark,
    Item(Id),
}

/// A node and the opcode that made it, for errors found when the result is copied out.
struct Entry {
    node: Node,
    at: usize,
    code: u8,
}

#[derive(Clone, Debug)]
enum Node {
    None,
    Bool(bool),
    Int(Int),
    Float(f64),
    Str(Box<str>),
    Bytes(Box<[u8]>),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    /// A dict; the attributes `BUILD` gives an `OrderedDict` are in `Machine::attributes`.
    Dict {
        ordered: bool,
        items: Vec<(Id, Id)>,
    },
    Set(Vec<Id>),
    FrozenSet(Vec<Id>),
    Global(Allowed),
    Storage(Box<StorageRef>),
    Tensor(Box<TensorNode>),
    /// `_rebuild_parameter(tensor, requires_grad, hooks[, state])`.
    Parameter {
        tensor: Id,
        requires_grad: bool,
        state: Option<Id>,
    },
    Device(String),
    Size(Vec<i64>),
}

#[derive(Clone, Debug)]
struct TensorNode {
    /// A `Node::Storage`.
    storage: Id,
    dtype: Dtype,
    storage_offset: u64,
    size: Box<[u64]>,
    stride: Box<[u64]>,
    requires_grad: bool,
    metadata: Option<Id>,
}

impl Node {
    fn kind(&self) -> String {
        match self {
            Node::None => "None".into(),
            Node::Bool(_) => "bool".into(),
            Node::Int(_) => "int".into(),
            Node::Float(_) => "float".into(),
            Node::Str(_) => "str".into(),
            Node::Bytes(_) => "bytes".into(),
            Node::Tuple(_) => "tuple".into(),
            Node::List(_) => "list".into(),
            Node::Dict { ordered: true, .. } => "OrderedDict".into(),
            Node::Dict { .. } => "dict".into(),
            Node::Set(_) => "set".into(),
            Node::FrozenSet(_) => "frozenset".into(),
            Node::Global(what) => format!("global {}", what.name()),
            Node::Storage(_) => "storage".into(),
            Node::Tensor(_) => "tensor".into(),
            Node::Parameter { .. } => "parameter".into(),
            Node::Device(_) => "torch.device".into(),
            Node::Size(_) => "torch.Size".into(),
        }
    }
}

/// The number of shared nodes: None, False, True, the empty tuple, the ints 0 to 255.
const SHARED: usize = 4 + 256;

#[derive(Default)]
struct Machine {
    arena: Vec<Entry>,
    stack: Vec<Slot>,
    memo: Memo<Id>,
    /// The attributes `BUILD` set on an `OrderedDict`, by node (rare: one per state dict).
    attributes: HashMap<Id, Vec<(Id, Id)>>,
    /// The nodes of the immutable values torch writes over and over, made once each.
    shared: Vec<Option<Id>>,
    at: usize,
    code: u8,
}

impl Machine {
    fn fault(&self, reason: impl Into<String>) -> Fault {
        Fault::new(self.at, Some(self.code), reason)
    }

    fn refuse(&self, what: impl std::fmt::Display) -> Fault {
        self.fault(format!("refused: {what} is not on the allow-list of a torch.save state dict"))
    }

    fn node(&self, id: Id) -> &Node {
        &self.arena[id as usize].node
    }

    fn new_node(&mut self, node: Node) -> Result<Id, Fault> {
        if self.arena.len() >= MAX_OBJECTS {
            return Err(self.fault(format!("more than {MAX_OBJECTS} objects")));
        }
        let id = self.arena.len() as Id; // < MAX_OBJECTS < u32::MAX
        self.arena.push(Entry { node, at: self.at, code: self.code });
        Ok(id)
    }

    fn push_slot(&mut self, slot: Slot) -> Result<(), Fault> {
        if self.stack.len() >= MAX_STACK {
            return Err(self.fault(format!("more than {MAX_STACK} items on the stack")));
        }
        self.stack.push(slot);
        Ok(())
    }

    fn push(&mut self, node: Node) -> Result<(), Fault> {
        let id = self.new_node(node)?;
        self.push_slot(Slot::Item(id))
    }

    /// Pushes the shared node `slot` (see [`SHARED`]), made the first time.
    fn push_shared(&mut self, slot: usize, node: Node) -> Result<(), Fault> {
        if self.shared.len() < SHARED {
            self.shared.resize(SHARED, None);
        }
        let id = match self.shared.get(slot).copied().flatten() {
            Some(id) => id,
            None => {
                let id = self.new_node(node)?;
                if let Some(s) = self.shared.get_mut(slot) {
                    *s = Some(id);
                }
                id
            }
        };
        self.push_slot(Slot::Item(id))
    }

    fn push_int(&mut self, v: Int) -> Result<(), Fault> {
        match v {
            Int::Small(small @ 0..=255) => self.push_shared(4 + small as usize, Node::Int(v)),
            _ => self.push(Node::Int(v)),
        }
    }

    fn pop(&mut self) -> Result<Id, Fault> {
        match self.stack.pop() {
            Some(Slot::Item(id)) => Ok(id),
            Some(Slot::Mark) => Err(self.fault("a MARK where a value was expected")),
            None => Err(self.fault("the stack is empty")),
        }
    }

    fn top(&self) -> Result<Id, Fault> {
        match self.stack.last() {
            Some(&Slot::Item(id)) => Ok(id),
            Some(Slot::Mark) => Err(self.fault("a MARK where a value was expected")),
            None => Err(self.fault("the stack is empty")),
        }
    }

    /// The items above the topmost mark, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<Id>, Fault> {
        let Some(mark) = self.stack.iter().rposition(|s| *s == Slot::Mark) else {
            return Err(self.fault("no MARK on the stack"));
        };
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        // Above the topmost mark, every slot is an item.
        Ok(items
            .into_iter()
            .filter_map(|s| match s {
                Slot::Item(id) => Some(id),
                Slot::Mark => None,
            })
            .collect())
    }

    fn memo_put(&mut self, key: u64) -> Result<(), Fault> {
        let id = self.top()?;
        self.memo.put(key, id).map_err(|e| self.fault(e))
    }

    fn memo_get(&mut self, key: u64) -> Result<(), Fault> {
        let Some(&id) = self.memo.get(key) else {
            return Err(self.fault(format!("memo entry {key} is not set")));
        };
        self.push_slot(Slot::Item(id))
    }

    fn utf8(&self, bytes: &[u8]) -> Result<Box<str>, Fault> {
        std::str::from_utf8(bytes).map(Into::into).map_err(|e| self.fault(format!("the text is not UTF-8: {e}")))
    }

    fn global(&mut self, module: &str, name: &str) -> Result<(), Fault> {
        let Some(what) = allowed(module, name) else {
            return Err(self.refuse(format_args!("the global {module}.{name}")));
        };
        self.push(Node::Global(what))
    }

    fn str_of(&self, id: Id, what: &str) -> Result<&str, Fault> {
        match self.node(id) {
            Node::Str(s) => Ok(s),
            other => Err(self.fault(format!("{what} is a {}, not a str", other.kind()))),
        }
    }

    /// Runs one opcode; at STOP, the result.
    fn step(&mut self, op: Op<'_>) -> Result<Option<Id>, Fault> {
        match op {
            Op::Proto(p) if p > 5 => return Err(self.fault(format!("unsupported pickle protocol {p}"))),
            Op::Proto(_) | Op::Frame(_) => {}
            Op::Stop => {
                let root = self.pop()?;
                if !self.stack.is_empty() {
                    return Err(self.fault(format!("{} items left on the stack at STOP", self.stack.len())));
                }
                return Ok(Some(root));
            }
            Op::Mark => self.push_slot(Slot::Mark)?,
            Op::Pop => {
                if self.stack.pop().is_none() {
                    return Err(self.fault("the stack is empty"));
                }
            }
            Op::PopMark => {
                self.pop_mark()?;
            }
            Op::Dup => {
                let id = self.top()?;
                self.push_slot(Slot::Item(id))?;
            }
            Op::None => self.push_shared(0, Node::None)?,
            Op::NewFalse | Op::Int(b"00") => self.push_shared(1, Node::Bool(false))?,
            Op::NewTrue | Op::Int(b"01") => self.push_shared(2, Node::Bool(true))?,
            Op::Int(line) => {
                let v = text::int_from_decimal(line).map_err(|e| self.fault(e))?;
                self.push_int(v)?;
            }
            Op::BinInt(v) => self.push_int(Int::Small(v.into()))?,
            Op::BinInt1(v) => self.push_int(Int::Small(v.into()))?,
            Op::BinInt2(v) => self.push_int(Int::Small(v.into()))?,
            Op::Long(line) => {
                let digits = line.strip_suffix(b"L").unwrap_or(line);
                let v = text::int_from_decimal(digits).map_err(|e| self.fault(e))?;
                self.push_int(v)?;
            }
            Op::Long1(b) | Op::Long4(b) => {
                let v = text::int_from_le(b).map_err(|e| self.fault(e))?;
                self.push_int(v)?;
            }
            Op::Float(line) => {
                let v = text::float_from_decimal(line).map_err(|e| self.fault(e))?;
                self.push(Node::Float(v))?;
            }
            Op::BinFloat(v) => self.push(Node::Float(v))?,
            Op::String(line) => {
                let raw = text::quoted_string(line).map_err(|e| self.fault(e))?;
                let s = self.utf8(&raw)?;
                self.push(Node::Str(s))?;
            }
            Op::BinString(b)
            | Op::ShortBinString(b)
            | Op::ShortBinUnicode(b)
            | Op::BinUnicode(b)
            | Op::BinUnicode8(b) => {
                let s = self.utf8(b)?;
                self.push(Node::Str(s))?;
            }
            Op::Unicode(line) => {
                let s = text::raw_unicode_escape(line).map_err(|e| self.fault(e))?;
                self.push(Node::Str(s.into()))?;
            }
            Op::BinBytes(b) | Op::ShortBinBytes(b) | Op::BinBytes8(b) | Op::ByteArray8(b) => {
                self.push(Node::Bytes(b.into()))?;
            }
            Op::NextBuffer | Op::ReadonlyBuffer => {
                return Err(self.fault("refused: out-of-band buffers are not part of a torch.save pickle"));
            }
            Op::EmptyList => self.push(Node::List(Vec::new()))?,
            Op::EmptyTuple => self.push_shared(3, Node::Tuple(Vec::new()))?,
            Op::EmptyDict => self.push(Node::Dict { ordered: false, items: Vec::new() })?,
            Op::EmptySet => self.push(Node::Set(Vec::new()))?,
            Op::List => {
                let items = self.pop_mark()?;
                self.push(Node::List(items))?;
            }
            Op::Tuple => {
                let items = self.pop_mark()?;
                self.push(Node::Tuple(items))?;
            }
            Op::Tuple1 | Op::Tuple2 | Op::Tuple3 => {
                let n = usize::from(op.code() - 0x84);
                let mut items = vec![0; n];
                for slot in items.iter_mut().rev() {
                    *slot = self.pop()?;
                }
                self.push(Node::Tuple(items))?;
            }
            Op::Dict => {
                let items = self.pop_mark()?;
                let pairs = self.pairs(&items)?;
                self.push(Node::Dict { ordered: false, items: pairs })?;
            }
            Op::FrozenSet => {
                let items = self.pop_mark()?;
                self.push(Node::FrozenSet(items))?;
            }
            Op::Append => {
                let v = self.pop()?;
                self.extend_list(&[v])?;
            }
            Op::Appends => {
                let items = self.pop_mark()?;
                self.extend_list(&items)?;
            }
            Op::SetItem => {
                let v = self.pop()?;
                let k = self.pop()?;
                self.set_items(&[(k, v)])?;
            }
            Op::SetItems => {
                let items = self.pop_mark()?;
                let pairs = self.pairs(&items)?;
                self.set_items(&pairs)?;
            }
            Op::AddItems => {
                let items = self.pop_mark()?;
                let target = self.top()?;
                match &mut self.arena[target as usize].node {
                    Node::Set(set) => set.extend(items),
                    other => {
                        let kind = other.kind();
                        return Err(self.refuse(format_args!("ADDITEMS to a {kind}")));
                    }
                }
            }
            Op::Get(i) => self.memo_get(i)?,
            Op::BinGet(i) => self.memo_get(i.into())?,
            Op::LongBinGet(i) => self.memo_get(i.into())?,
            Op::Put(i) => self.memo_put(i)?,
            Op::BinPut(i) => self.memo_put(i.into())?,
            Op::LongBinPut(i) => self.memo_put(i.into())?,
            Op::Memoize => self.memo_put(self.memo.len() as u64)?,
            Op::Ext1(code) => return Err(self.refuse(format_args!("extension code {code}"))),
            Op::Ext2(code) => return Err(self.refuse(format_args!("extension code {code}"))),
            Op::Ext4(code) => return Err(self.refuse(format_args!("extension code {code}"))),
            Op::Global { module, name } => {
                let (module, name) = (self.utf8(module)?, self.utf8(name)?);
                self.global(&module, &name)?;
            }
            Op::StackGlobal => {
                let name = self.pop()?;
                let module = self.pop()?;
                let name = self.str_of(name, "the STACK_GLOBAL name")?.to_owned();
                let module = self.str_of(module, "the STACK_GLOBAL module")?.to_owned();
                self.global(&module, &name)?;
            }
            Op::Inst { module, name } => {
                let module = String::from_utf8_lossy(module);
                let name = String::from_utf8_lossy(name);
                return Err(self.refuse(format_args!("INST of the global {module}.{name}")));
            }
            Op::Obj => {
                let items = self.pop_mark()?;
                let what = match items.first() {
                    Some(&cls) => self.node(cls).kind(),
                    None => "nothing".into(),
                };
                return Err(self.refuse(format_args!("OBJ of {what}")));
            }
            Op::NewObj | Op::NewObjEx => {
                let below = if matches!(op, Op::NewObj) { 1 } else { 2 };
                let cls = match self.stack.len().checked_sub(below + 1).map(|i| self.stack[i]) {
                    Some(Slot::Item(id)) => self.node(id).kind(),
                    _ => "nothing".into(),
                };
                return Err(self.refuse(format_args!("{} of {cls}", op.name())));
            }
            Op::PersId(_) => return Err(self.refuse("a text persistent id (PERSID)")),
            Op::BinPersId => {
                let pid = self.pop()?;
                let storage = self.storage(pid)?;
                self.push(Node::Storage(Box::new(storage)))?;
            }
            Op::Reduce => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let node = self.reduce(callable, args)?;
                self.push(node)?;
            }
            Op::Build => {
                let state = self.pop()?;
                let target = self.top()?;
                self.build(target, state)?;
            }
        }
        Ok(None)
    }

    fn pairs(&self, items: &[Id]) -> Result<Vec<(Id, Id)>, Fault> {
        if !items.len().is_multiple_of(2) {
            return Err(self.fault(format!("an odd number of items ({}) for key/value pairs", items.len())));
        }
        Ok(items.chunks_exact(2).map(|p| (p[0], p[1])).collect())
    }

    fn extend_list(&mut self, items: &[Id]) -> Result<(), Fault> {
        let target = self.top()?;
        match &mut self.arena[target as usize].node {
            Node::List(list) => {
                list.extend_from_slice(items);
                Ok(())
            }
            other => {
                let kind = other.kind();
                Err(self.refuse(format_args!("appending to a {kind}")))
            }
        }
    }

    fn set_items(&mut self, pairs: &[(Id, Id)]) -> Result<(), Fault> {
        let target = self.top()?;
        match &mut self.arena[target as usize].node {
            Node::Dict { items, .. } => {
                items.extend_from_slice(pairs);
                Ok(())
            }
            other => {
                let kind = other.kind();
                Err(self.refuse(format_args!("setting items of a {kind}")))
            }
        }
    }

    fn build(&mut self, target: Id, state: Id) -> Result<(), Fault> {
        let attributes: Vec<(Id, Id)> = match self.node(state) {
            Node::None => Vec::new(),
            Node::Dict { items, .. } => {
                for &(k, _) in items {
                    self.str_of(k, "an attribute name")?;
                }
                items.clone()
            }
            other => return Err(self.refuse(format_args!("BUILD with a {} state", other.kind()))),
        };
        match &self.arena[target as usize].node {
            Node::Dict { ordered: true, .. } => {
                self.attributes.entry(target).or_default().extend(attributes);
                Ok(())
            }
            other => {
                let kind = other.kind();
                Err(self.refuse(format_args!("BUILD on a {kind}")))
            }
        }
    }

    fn int_of(&self, id: Id, what: &str) -> Result<i64, Fault> {
        match self.node(id) {
            Node::Int(Int::Small(v)) => Ok(*v),
            Node::Int(Int::Big(_)) => Err(self.fault(format!("{what} does not fit 64 bits"))),
            other => Err(self.fault(format!("{what} is a {}, not an int", other.kind()))),
        }
    }

    fn uint_of(&self, id: Id, what: &str) -> Result<u64, Fault> {
        let v = self.int_of(id, what)?;
        u64::try_from(v).map_err(|_| self.fault(format!("{what} is negative ({v})")))
    }

    fn bool_of(&self, id: Id, what: &str) -> Result<bool, Fault> {
        match self.node(id) {
            Node::Bool(b) => Ok(*b),
            other => Err(self.fault(format!("{what} is a {}, not a bool", other.kind()))),
        }
    }

    /// A tuple, list or `torch.Size` of ints.
    fn ints_of(&self, id: Id, what: &str) -> Result<Vec<i64>, Fault> {
        match self.node(id) {
            Node::Tuple(items) | Node::List(items) => {
                items.iter().enumerate().map(|(i, &v)| self.int_of(v, &format!("{what}[{i}]"))).collect()
            }
            Node::Size(v) => Ok(v.clone()),
            other => Err(self.fault(format!("{what} is a {}, not a tuple of ints", other.kind()))),
        }
    }

    fn uints_of(&self, id: Id, what: &str) -> Result<Vec<u64>, Fault> {
        self.ints_of(id, what)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| u64::try_from(v).map_err(|_| self.fault(format!("{what}[{i}] is negative ({v})"))))
            .collect()
    }

    fn tuple_of(&self, id: Id, what: &str) -> Result<&[Id], Fault> {
        match self.node(id) {
            Node::Tuple(items) => Ok(items),
            other => Err(self.fault(format!("{what} is a {}, not a tuple", other.kind()))),
        }
    }

    /// A str, or bytes read as ASCII (torch's `_maybe_decode_ascii`).
    fn text_of(&self, id: Id, what: &str) -> Result<String, Fault> {
        match self.node(id) {
            Node::Str(s) => Ok(s.to_string()),
            Node::Bytes(b) if b.is_ascii() => Ok(String::from_utf8_lossy(b).into_owned()),
            other => Err(self.fault(format!("{what} is a {}, not a str", other.kind()))),
        }
    }

    /// torch's persistent id of a storage: `('storage', torch.<X>Storage, key, location, numel)`.
    fn storage(&self, pid: Id) -> Result<StorageRef, Fault> {
        let items = self.tuple_of(pid, "the persistent id")?;
        let [typename, class, key, location, numel] = items else {
            return Err(self.fault(format!("the persistent id has {} items, not 5", items.len())));
        };
        let typename = self.text_of(*typename, "the persistent id's type")?;
        if typename != "storage" {
            return Err(self.refuse(format_args!("a persistent id of type {typename:?}")));
        }
        let (class, dtype) = match self.node(*class) {
            Node::Global(Allowed::Storage { dtype, untyped }) => (storage_class(*dtype, *untyped), *dtype),
            other => {
                return Err(self.fault(format!("the storage type is a {}, not a torch storage class", other.kind())))
            }
        };
        Ok(StorageRef {
            key: self.str_of(*key, "the storage key")?.to_owned(),
            class,
            dtype,
            location: self.text_of(*location, "the storage location")?,
            numel: self.uint_of(*numel, "the storage numel")?,
        })
    }

    fn empty_hooks(&self, id: Id) -> Result<(), Fault> {
        match self.node(id) {
            Node::None => Ok(()),
            Node::Dict { items, .. } if items.is_empty() => Ok(()),
            Node::Dict { .. } => Err(self.refuse("a tensor with backward hooks")),
            other => Err(self.fault(format!("backward_hooks is a {}, not an OrderedDict", other.kind()))),
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
    /// backward_hooks[, metadata])`, or `_v3` with `dtype` before `metadata`.
    fn tensor(&self, args: &[Id], v3: bool) -> Result<TensorNode, Fault> {
        let fixed = if v3 { 7 } else { 6 };
        if args.len() != fixed && args.len() != fixed + 1 {
            let f = if v3 { "_rebuild_tensor_v3" } else { "_rebuild_tensor_v2" };
            return Err(self.fault(format!("{f} takes {fixed} or {} arguments, not {}", fixed + 1, args.len())));
        }
        let storage_dtype = match self.node(args[0]) {
            Node::Storage(s) => s.dtype,
            other => return Err(self.fault(format!("the tensor's storage is a {}, not a persistent id", other.kind()))),
        };
        let storage_offset = self.uint_of(args[1], "storage_offset")?;
        let size = self.uints_of(args[2], "size")?;
        let stride = self.uints_of(args[3], "stride")?;
        if size.len() != stride.len() {
            return Err(self.fault(format!("size has {} dimensions, stride {}", size.len(), stride.len())));
        }
        let requires_grad = self.bool_of(args[4], "requires_grad")?;
        self.empty_hooks(args[5])?;
        let dtype = if v3 {
            match self.node(args[6]) {
                Node::Global(Allowed::Dtype(d)) => *d,
                other => return Err(self.fault(format!("the dtype argument is a {}, not a torch dtype", other.kind()))),
            }
        } else {
            storage_dtype
        };
        let metadata = args.get(fixed).copied();
        Ok(TensorNode {
            storage: args[0],
            dtype,
            storage_offset,
            size: size.into(),
            stride: stride.into(),
            requires_grad,
            metadata,
        })
    }

    fn reduce(&self, callable: Id, args: Id) -> Result<Node, Fault> {
        let what = match self.node(callable) {
            Node::Global(what) => *what,
            other => return Err(self.refuse(format_args!("calling a {} (REDUCE)", other.kind()))),
        };
        let args = self.tuple_of(args, "the REDUCE arguments")?;
        let arity = |n: &[usize]| -> Result<(), Fault> {
            if n.contains(&args.len()) {
                Ok(())
            } else {
                Err(self.fault(format!("{} called with {} arguments", what.name(), args.len())))
            }
        };
        Ok(match what {
            Allowed::OrderedDict => {
                arity(&[0])?;
                Node::Dict { ordered: true, items: Vec::new() }
            }
            Allowed::RebuildTensorV2 | Allowed::RebuildTensorV3 => {
                Node::Tensor(Box::new(self.tensor(args, what == Allowed::RebuildTensorV3)?))
            }
            Allowed::RebuildParameter | Allowed::RebuildParameterWithState => {
                let with_state = what == Allowed::RebuildParameterWithState;
                arity(if with_state { &[4] } else { &[3] })?;
                match self.node(args[0]) {
                    Node::Tensor(_) => {}
                    other => {
                        return Err(self.fault(format!("the parameter's data is a {}, not a tensor", other.kind())))
                    }
                }
                let requires_grad = self.bool_of(args[1], "requires_grad")?;
                self.empty_hooks(args[2])?;
                Node::Parameter { tensor: args[0], requires_grad, state: with_state.then(|| args[3]) }
            }
            Allowed::Device => {
                arity(&[1, 2])?;
                let kind = self.str_of(args[0], "the device type")?;
                match args.get(1).map(|&i| self.node(i)) {
                    None | Some(Node::None) => Node::Device(kind.to_owned()),
                    Some(_) => Node::Device(format!("{kind}:{}", self.int_of(args[1], "the device index")?)),
                }
            }
            Allowed::Size => {
                arity(&[0, 1])?;
                Node::Size(match args.first() {
                    Some(&a) => self.ints_of(a, "the torch.Size")?,
                    None => Vec::new(),
                })
            }
            Allowed::Set | Allowed::FrozenSet => {
                arity(&[0, 1])?;
                let items = match args.first().map(|&a| self.node(a)) {
                    None => Vec::new(),
                    Some(Node::List(items) | Node::Tuple(items)) => items.clone(),
                    Some(other) => return Err(self.fault(format!("a set made of a {}", other.kind()))),
                };
                if what == Allowed::Set {
                    Node::Set(items)
                } else {
                    Node::FrozenSet(items)
                }
            }
            Allowed::Bytes => {
                arity(&[0])?;
                Node::Bytes(Box::default())
            }
            Allowed::CodecsEncode | Allowed::ByteArray => {
                if what == Allowed::CodecsEncode {
                    arity(&[2])?;
                } else {
                    arity(&[0, 1, 2])?;
                }
                match args {
                    [] => Node::Bytes(Box::default()),
                    [b] => match self.node(*b) {
                        Node::Bytes(b) => Node::Bytes(b.clone()),
                        other => return Err(self.fault(format!("a bytearray made of a {}", other.kind()))),
                    },
                    [s, encoding] => {
                        let encoding = self.str_of(*encoding, "the encoding")?;
                        if encoding != "latin1" && encoding != "latin-1" {
                            return Err(self.refuse(format_args!("encoding text as {encoding:?}")));
                        }
                        let s = self.str_of(*s, "the encoded text")?;
                        let bytes: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
                        Node::Bytes(
                            bytes.ok_or_else(|| self.fault("latin-1 text with a character past U+00FF"))?.into(),
                        )
                    }
                    _ => unreachable!("arity checked"),
                }
            }
            Allowed::Storage { .. } => return Err(self.refuse(format_args!("calling {}", what.name()))),
            Allowed::Dtype(d) => return Err(self.refuse(format_args!("calling {d}"))),
        })
    }
}

/// Copies the result out of the arena, under the limits.
struct Output<'m> {
    arena: &'m [Entry],
    attributes: &'m HashMap<Id, Vec<(Id, Id)>>,
    objects: usize,
    text: usize,
}

/// A dict key that Python would find equal to another, to merge keys set twice.
#[derive(PartialEq, Eq, Hash)]
enum Key<'v> {
    None,
    Int(i64),
    Str(&'v str),
    Bytes(&'v [u8]),
}

fn key_of(v: &Value) -> Option<Key<'_>> {
    Some(match v {
        Value::None => Key::None,
        Value::Bool(b) => Key::Int(i64::from(*b)),
        Value::Int(i) => Key::Int(*i),
        Value::Str(s) => Key::Str(s),
        Value::Bytes(b) => Key::Bytes(b),
        _ => return None,
    })
}

/// Merges keys set twice as Python's dict does: first place, last value.
fn merge_keys(items: &mut Vec<(Value, Value)>) {
    let mut moves = Vec::new();
    {
        let mut first: HashMap<Key<'_>, usize> = HashMap::with_capacity(items.len());
        for (i, (k, _)) in items.iter().enumerate() {
            if let Some(key) = key_of(k) {
                match first.get(&key) {
                    Some(&f) => moves.push((f, i)),
                    None => {
                        first.insert(key, i);
                    }
                }
            }
        }
    }
    if moves.is_empty() {
        return;
    }
    let mut gone = vec![false; items.len()];
    for (f, i) in moves {
        items[f].1 = std::mem::replace(&mut items[i].1, Value::None);
        gone[i] = true;
    }
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        !gone[i - 1]
    });
}

impl Output<'_> {
    fn fault(&self, id: Id, reason: impl Into<String>) -> Fault {
        let e = &self.arena[id as usize];
        Fault::new(e.at, Some(e.code), reason)
    }

    /// Counts `n` more objects of the result.
    fn count(&mut self, id: Id, n: usize) -> Result<(), Fault> {
        self.objects = self.objects.saturating_add(n);
        if self.objects > MAX_OBJECTS {
            return Err(self.fault(id, format!("more than {MAX_OBJECTS} objects")));
        }
        Ok(())
    }

    fn count_text(&mut self, id: Id, n: usize) -> Result<(), Fault> {
        self.text = self.text.saturating_add(n);
        if self.text > MAX_TEXT_BYTES {
            return Err(self.fault(id, format!("more than {MAX_TEXT_BYTES} bytes of text")));
        }
        Ok(())
    }

    /// The value of node `root`, built without recursion (children first, then their
    /// container) so that the depth limit, not the thread's stack, bounds the nesting.
    fn value(&mut self, root: Id, depth: usize) -> Result<Value, Fault> {
        enum Task {
            Visit(Id, usize),
            Assemble(Id),
        }
        self.count(root, 1)?;
        let mut tasks = vec![Task::Visit(root, depth)];
        let mut done: Vec<Value> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(id, depth) => {
                    if depth > MAX_DEPTH {
                        return Err(self.fault(id, format!("nested deeper than {MAX_DEPTH} levels (or holds itself)")));
                    }
                    let children = self.children(id);
                    if children.is_empty() {
                        let leaf = self.leaf(id)?;
                        done.push(leaf);
                    } else {
                        // Every child becomes an object: counted before it is queued.
                        self.count(id, children.len())?;
                        tasks.push(Task::Assemble(id));
                        tasks.extend(children.into_iter().rev().map(|c| Task::Visit(c, depth + 1)));
                    }
                }
                Task::Assemble(id) => {
                    let n = self.children(id).len();
                    // Each child visited left one value.
                    let Some(first) = done.len().checked_sub(n) else {
                        return Err(self.fault(id, "internal: a child value is missing"));
                    };
                    let parts = done.split_off(first);
                    let value = self.assemble(id, parts)?;
                    done.push(value);
                }
            }
        }
        Ok(done.pop().unwrap_or(Value::None))
    }

    /// A node's value when it has no children (an empty container is one).
    fn leaf(&mut self, id: Id) -> Result<Value, Fault> {
        Ok(match &self.arena[id as usize].node {
            Node::None => Value::None,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(Int::Small(v)) => Value::Int(*v),
            Node::Int(Int::Big(b)) => {
                let b = b.clone();
                self.count_text(id, b.len())?;
                Value::BigInt(b)
            }
            Node::Float(v) => Value::Float(*v),
            Node::Str(s) => {
                let s = s.to_string();
                self.count_text(id, s.len())?;
                Value::Str(s)
            }
            Node::Bytes(b) => {
                let b = b.to_vec();
                self.count_text(id, b.len())?;
                Value::Bytes(b)
            }
            Node::Global(Allowed::Dtype(d)) => Value::Dtype(*d),
            Node::Global(what) => {
                return Err(self.fault(id, format!("refused: the global {} as a value", what.name())));
            }
            Node::Storage(s) => Value::Storage((**s).clone()),
            Node::Device(d) => Value::Device(d.clone()),
            Node::Size(v) => Value::Size(v.clone()),
            _ => return self.assemble(id, Vec::new()),
        })
    }

    /// A container's value from its children's, in the order [`Output::children`] gives them.
    fn assemble(&mut self, id: Id, parts: Vec<Value>) -> Result<Value, Fault> {
        Ok(match &self.arena[id as usize].node {
            Node::Tuple(_) => Value::Tuple(parts),
            Node::List(_) => Value::List(parts),
            Node::Set(_) => Value::Set(parts),
            Node::FrozenSet(_) => Value::FrozenSet(parts),
            Node::Dict { ordered, items, .. } => {
                let mut parts = parts.into_iter();
                let mut pairs = |n: usize| -> Vec<(Value, Value)> {
                    std::iter::from_fn(|| Some((parts.next()?, parts.next()?))).take(n).collect()
                };
                let mut out = pairs(items.len());
                let mut attrs = pairs(usize::MAX);
                merge_keys(&mut out);
                merge_keys(&mut attrs);
                let mut attributes = Vec::with_capacity(attrs.len());
                for (k, v) in attrs {
                    match k {
                        Value::Str(k) => attributes.push((k, v)),
                        other => return Err(self.fault(id, format!("an attribute name is a {}", other.kind()))),
                    }
                }
                Value::Dict(Dict { ordered: *ordered, items: out, attributes })
            }
            Node::Tensor(t) => {
                let metadata = t.metadata.and_then(|_| parts.into_iter().next()).map(Box::new);
                Value::Tensor(Box::new(self.tensor_ref(t, metadata)))
            }
            Node::Parameter { tensor, requires_grad, state } => {
                let Node::Tensor(t) = &self.arena[*tensor as usize].node else {
                    return Err(self.fault(id, "internal: a parameter's data is no tensor"));
                };
                let mut parts = parts.into_iter();
                let metadata = t.metadata.and_then(|_| parts.next()).map(Box::new);
                let state = state.and_then(|_| parts.next()).map(Box::new);
                let t = TensorRef {
                    requires_grad: *requires_grad,
                    is_parameter: true,
                    state,
                    ..self.tensor_ref(t, metadata)
                };
                Value::Tensor(Box::new(t))
            }
            _ => return self.leaf(id),
        })
    }

    /// The nodes a node's value is made of, in order: items; a dict's keys and values, then
    /// its attributes' names and values; a tensor's metadata, then its state.
    fn children(&self, id: Id) -> Vec<Id> {
        match &self.arena[id as usize].node {
            Node::Tuple(items) | Node::List(items) | Node::Set(items) | Node::FrozenSet(items) => items.clone(),
            Node::Dict { items, .. } => {
                let attributes = self.attributes.get(&id).map(Vec::as_slice).unwrap_or_default();
                items.iter().chain(attributes).flat_map(|&(k, v)| [k, v]).collect()
            }
            Node::Tensor(t) => t.metadata.into_iter().collect(),
            Node::Parameter { tensor, state, .. } => match &self.arena[*tensor as usize].node {
                Node::Tensor(t) => t.metadata.into_iter().chain(*state).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn tensor_ref(&self, t: &TensorNode, metadata: Option<Box<Value>>) -> TensorRef {
        let storage = match &self.arena[t.storage as usize].node {
            Node::Storage(s) => (**s).clone(),
            // Checked when the tensor was made.
            _ => StorageRef { key: String::new(), class: "", dtype: t.dtype, location: String::new(), numel: 0 },
        };
        TensorRef {
            storage,
            dtype: t.dtype,
            storage_offset: t.storage_offset,
            size: t.size.to_vec(),
            stride: t.stride.to_vec(),
            requires_grad: t.requires_grad,
            is_parameter: false,
            metadata,
            state: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arena holds one entry per value pushed: its size is the reader's memory per opcode.
    #[test]
    fn arena_entries_stay_small() {
        assert!(std::mem::size_of::<Node>() <= 32, "{}", std::mem::size_of::<Node>());
        assert!(std::mem::size_of::<Entry>() <= 48, "{}", std::mem::size_of::<Entry>());
    }
}
