//! The listing mode: every global a pickle would import and every call it would make, found
//! by walking its stack without building values.

use std::fmt;
use std::sync::Arc;

use super::memo::Memo;
use super::op::{ops, Op};
use super::text;
use super::{Fault, MAX_SCAN_RECORDS, MAX_STACK};
use crate::Error;

/// What an import names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `module.name`, as written in the pickle (protocols 0 to 2 name the builtins
    /// `__builtin__`, which Python 3 reads as `builtins`).
    Global {
        /// The module, e.g. `"posix"`.
        module: Arc<str>,
        /// The name in it, e.g. `"system"`.
        name: Arc<str>,
    },
    /// An extension code (`EXT1`, `EXT2`, `EXT4`): the loader looks the global up in
    /// `copyreg`'s extension registry.
    Extension(i32),
    /// A `STACK_GLOBAL` whose module or name is not a string the walk can tell, e.g. the
    /// result of a call.
    Unresolved,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Global { module, name } => write!(f, "{module}.{name}"),
            Target::Extension(code) => write!(f, "extension code {code}"),
            Target::Unresolved => f.write_str("an unresolved global"),
        }
    }
}

/// One import: a `GLOBAL`, `STACK_GLOBAL`, `INST` or `EXT*` opcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The offset of the opcode.
    pub offset: usize,
    /// The opcode's name, e.g. `"STACK_GLOBAL"`.
    pub opcode: &'static str,
    /// What it imports.
    pub target: Target,
}

/// What a call calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A global, imported by the opcode at `offset`. For `BUILD` this is the object whose
    /// state is set: the global itself, or the global whose call made the object.
    Import {
        /// The offset of the importing opcode.
        offset: usize,
        /// What it imported.
        target: Target,
    },
    /// What the call at `offset` returned (e.g. `getattr(module, name)`).
    ResultOf {
        /// The offset of that call.
        offset: usize,
    },
    /// Nothing the walk can name: a container, a string, a memo entry of such.
    Unknown,
}

/// One call: `REDUCE`, `NEWOBJ`, `NEWOBJ_EX`, `BUILD`, `INST` or `OBJ`.
///
/// (`APPEND`, `SETITEM` and the like call a method of the object below them when it is not
/// a plain list, dict or set; such an object was made by a call or is a global, which the
/// listing already holds, so they are not listed again.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The offset of the opcode.
    pub offset: usize,
    /// The opcode's name, e.g. `"REDUCE"`.
    pub opcode: &'static str,
    /// What it calls.
    pub callee: Callee,
}

/// What [`scan_globals`] found: the listing up to where it stopped, and why it stopped early.
#[derive(Debug, Default)]
pub struct Scan {
    /// The last protocol a `PROTO` opcode declared.
    pub protocol: Option<u8>,
    /// Every import, in order.
    pub imports: Vec<Import>,
    /// Every call, in order.
    pub calls: Vec<Call>,
    /// The offset just after `STOP`: where a next pickle would start.
    pub end: Option<usize>,
    /// Why the walk stopped before `STOP`: malformed or truncated bytes, or a limit.
    pub error: Option<Error>,
}

/// Lists every global the pickle at the start of `bytes` would import and every call it
/// would make, with offsets, without building values and without refusing anything.
///
/// The walk follows the stack and the memo as Python's unpickler does, so the strings a
/// `STACK_GLOBAL` takes are resolved wherever they come from (pushed just before, or
/// memoized earlier); it goes on past values Python might fail to decode (a bad float line),
/// so it can list more than Python would run, never less. It stops at `STOP` ([`Scan::end`]
/// says where: `torch.save`'s legacy format puts several pickles one after the other), or at
/// the first structural fault (truncated bytes, an unknown opcode, a stack underflow, a
/// missing memo entry, a limit), which [`Scan::error`] holds next to the listing so far.
/// `record` names the pickle in that error.
///
/// ```
/// use graph_signature::map::pickle::{scan_globals, Callee, Target};
/// // pickle.dumps of an object whose __reduce__ returns (os.system, ("echo pwned",))
/// let scan = scan_globals(b"cposix\nsystem\np0\n(Vecho pwned\np1\ntp2\nRp3\n.", "");
/// assert!(scan.error.is_none());
/// assert_eq!((scan.imports[0].offset, scan.imports[0].target.to_string()), (0, "posix.system".into()));
/// assert_eq!((scan.calls[0].offset, scan.calls[0].opcode), (37, "REDUCE"));
/// assert!(matches!(&scan.calls[0].callee, Callee::Import { offset: 0, .. }));
/// ```
pub fn scan_globals(bytes: &[u8], record: &str) -> Scan {
    let mut w = Walk::default();
    let mut it = ops(bytes);
    while let Some(next) = it.next_op() {
        let step = next.and_then(|(at, op)| {
            w.at = at;
            w.code = op.code();
            w.step(op)
        });
        match step {
            Ok(true) => {
                w.scan.end = Some(it.offset());
                break;
            }
            Ok(false) => {}
            Err(fault) => {
                w.scan.error = Some(fault.into_error(record));
                break;
            }
        }
    }
    w.scan
}

/// A stack item: what the walk keeps of a value (24 bytes; an import is its index in the
/// listing).
#[derive(Clone, Debug)]
enum Item {
    Mark,
    Str(Arc<str>),
    Import(u32),
    /// What the call at `at` returned; `class` is the import it called, when it was one.
    Made {
        at: usize,
        class: Option<u32>,
    },
    Other,
}

#[derive(Default)]
struct Walk {
    stack: Vec<Item>,
    memo: Memo<Item>,
    scan: Scan,
    at: usize,
    code: u8,
}

impl Walk {
    fn fault(&self, reason: impl Into<String>) -> Fault {
        Fault::new(self.at, Some(self.code), reason)
    }

    fn push(&mut self, item: Item) -> Result<(), Fault> {
        if self.stack.len() >= MAX_STACK {
            return Err(self.fault(format!("more than {MAX_STACK} items on the stack")));
        }
        self.stack.push(item);
        Ok(())
    }

    fn pop(&mut self) -> Result<Item, Fault> {
        match self.stack.pop() {
            Some(Item::Mark) => Err(self.fault("a MARK where a value was expected")),
            Some(item) => Ok(item),
            None => Err(self.fault("the stack is empty")),
        }
    }

    fn top(&self) -> Result<&Item, Fault> {
        match self.stack.last() {
            Some(Item::Mark) => Err(self.fault("a MARK where a value was expected")),
            Some(item) => Ok(item),
            None => Err(self.fault("the stack is empty")),
        }
    }

    fn pop_mark(&mut self) -> Result<Vec<Item>, Fault> {
        let Some(mark) = self.stack.iter().rposition(|s| matches!(s, Item::Mark)) else {
            return Err(self.fault("no MARK on the stack"));
        };
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }

    fn check_records(&self) -> Result<(), Fault> {
        if self.scan.imports.len() + self.scan.calls.len() >= MAX_SCAN_RECORDS {
            return Err(self.fault(format!("more than {MAX_SCAN_RECORDS} imports and calls")));
        }
        Ok(())
    }

    /// Lists an import; its index in the listing.
    fn list_import(&mut self, target: Target) -> Result<u32, Fault> {
        self.check_records()?;
        let opcode = super::opcode_name(self.code).unwrap_or("?");
        let index = self.scan.imports.len() as u32; // < MAX_SCAN_RECORDS
        self.scan.imports.push(Import { offset: self.at, opcode, target });
        Ok(index)
    }

    fn import(&mut self, target: Target) -> Result<(), Fault> {
        let index = self.list_import(target)?;
        self.push(Item::Import(index))
    }

    fn callee_of_import(&self, index: u32) -> Callee {
        match self.scan.imports.get(index as usize) {
            Some(i) => Callee::Import { offset: i.offset, target: i.target.clone() },
            None => Callee::Unknown,
        }
    }

    /// What calling `item` calls.
    fn callee(&self, item: &Item) -> Callee {
        match item {
            Item::Import(index) => self.callee_of_import(*index),
            Item::Made { at, .. } => Callee::ResultOf { offset: *at },
            _ => Callee::Unknown,
        }
    }

    fn call(&mut self, callee: Callee) -> Result<(), Fault> {
        self.check_records()?;
        let opcode = super::opcode_name(self.code).unwrap_or("?");
        self.scan.calls.push(Call { offset: self.at, opcode, callee });
        Ok(())
    }

    /// A call of `callable` that makes a new object, pushed.
    fn call_and_push(&mut self, callable: &Item) -> Result<(), Fault> {
        let class = match callable {
            Item::Import(index) => Some(*index),
            _ => None,
        };
        self.call(self.callee(callable))?;
        self.push(Item::Made { at: self.at, class })
    }

    fn str_item(bytes: &[u8]) -> Item {
        match std::str::from_utf8(bytes) {
            Ok(s) => Item::Str(s.into()),
            Err(_) => Item::Other,
        }
    }

    /// Runs one opcode; `true` at STOP.
    fn step(&mut self, op: Op<'_>) -> Result<bool, Fault> {
        match op {
            Op::Proto(p) => {
                if p > 5 {
                    return Err(self.fault(format!("unsupported pickle protocol {p}")));
                }
                self.scan.protocol = Some(p);
            }
            Op::Frame(_) => {}
            Op::Stop => {
                self.pop()?;
                return Ok(true);
            }
            Op::Mark => self.push(Item::Mark)?,
            Op::Pop => {
                if self.stack.pop().is_none() {
                    return Err(self.fault("the stack is empty"));
                }
            }
            Op::PopMark => {
                self.pop_mark()?;
            }
            Op::Dup => {
                let top = self.top()?.clone();
                self.push(top)?;
            }
            Op::String(line) => {
                let item = text::quoted_string(line).map_or(Item::Other, |b| Self::str_item(&b));
                self.push(item)?;
            }
            Op::BinString(b)
            | Op::ShortBinString(b)
            | Op::ShortBinUnicode(b)
            | Op::BinUnicode(b)
            | Op::BinUnicode8(b) => {
                self.push(Self::str_item(b))?;
            }
            Op::Unicode(line) => {
                let item = text::raw_unicode_escape(line).map_or(Item::Other, |s| Item::Str(s.into()));
                self.push(item)?;
            }
            Op::Int(_)
            | Op::BinInt(_)
            | Op::BinInt1(_)
            | Op::BinInt2(_)
            | Op::Long(_)
            | Op::Long1(_)
            | Op::Long4(_)
            | Op::Float(_)
            | Op::BinFloat(_)
            | Op::BinBytes(_)
            | Op::ShortBinBytes(_)
            | Op::BinBytes8(_)
            | Op::ByteArray8(_)
            | Op::None
            | Op::NewTrue
            | Op::NewFalse
            | Op::EmptyList
            | Op::EmptyTuple
            | Op::EmptyDict
            | Op::EmptySet
            | Op::NextBuffer
            | Op::PersId(_) => self.push(Item::Other)?,
            Op::ReadonlyBuffer => {
                self.top()?;
            }
            Op::List | Op::Tuple | Op::Dict | Op::FrozenSet => {
                self.pop_mark()?;
                self.push(Item::Other)?;
            }
            Op::Tuple1 | Op::Tuple2 | Op::Tuple3 => {
                for _ in 0..(op.code() - 0x84) {
                    self.pop()?;
                }
                self.push(Item::Other)?;
            }
            Op::BinPersId => {
                self.pop()?;
                self.push(Item::Other)?;
            }
            Op::Append => {
                self.pop()?;
                self.top()?;
            }
            Op::SetItem => {
                self.pop()?;
                self.pop()?;
                self.top()?;
            }
            Op::Appends | Op::SetItems | Op::AddItems => {
                self.pop_mark()?;
                self.top()?;
            }
            Op::Get(i) => self.get(i)?,
            Op::BinGet(i) => self.get(i.into())?,
            Op::LongBinGet(i) => self.get(i.into())?,
            Op::Put(i) => self.put(i)?,
            Op::BinPut(i) => self.put(i.into())?,
            Op::LongBinPut(i) => self.put(i.into())?,
            Op::Memoize => self.put(self.memo.len() as u64)?,
            Op::Ext1(code) => self.import(Target::Extension(code.into()))?,
            Op::Ext2(code) => self.import(Target::Extension(code.into()))?,
            Op::Ext4(code) => self.import(Target::Extension(code))?,
            Op::Global { module, name } => {
                let target = Target::Global {
                    module: String::from_utf8_lossy(module).into(),
                    name: String::from_utf8_lossy(name).into(),
                };
                self.import(target)?;
            }
            Op::StackGlobal => {
                let name = self.pop()?;
                let module = self.pop()?;
                let target = match (module, name) {
                    (Item::Str(module), Item::Str(name)) => Target::Global { module, name },
                    _ => Target::Unresolved,
                };
                self.import(target)?;
            }
            Op::Inst { module, name } => {
                let target = Target::Global {
                    module: String::from_utf8_lossy(module).into(),
                    name: String::from_utf8_lossy(name).into(),
                };
                let index = self.list_import(target)?;
                self.pop_mark()?;
                self.call_and_push(&Item::Import(index))?;
            }
            Op::Obj => {
                let items = self.pop_mark()?;
                let Some(cls) = items.first() else {
                    return Err(self.fault("OBJ without a class above the MARK"));
                };
                self.call_and_push(cls)?;
            }
            Op::Reduce | Op::NewObj => {
                self.pop()?;
                let callable = self.pop()?;
                self.call_and_push(&callable)?;
            }
            Op::NewObjEx => {
                self.pop()?;
                self.pop()?;
                let cls = self.pop()?;
                self.call_and_push(&cls)?;
            }
            Op::Build => {
                self.pop()?;
                // The state of an object made by calling a global goes to that global's code.
                let callee = match self.top()? {
                    Item::Made { class: Some(index), .. } => self.callee_of_import(*index),
                    other => self.callee(other),
                };
                self.call(callee)?;
            }
        }
        Ok(false)
    }

    fn get(&mut self, key: u64) -> Result<(), Fault> {
        let Some(item) = self.memo.get(key).cloned() else {
            return Err(self.fault(format!("memo entry {key} is not set")));
        };
        self.push(item)
    }

    fn put(&mut self, key: u64) -> Result<(), Fault> {
        let item = self.top()?.clone();
        self.memo.put(key, item).map_err(|e| self.fault(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One stack item and one memo entry per value: their size is the walk's memory per opcode.
    #[test]
    fn stack_items_stay_small() {
        assert!(std::mem::size_of::<Item>() <= 24, "{}", std::mem::size_of::<Item>());
    }
}
