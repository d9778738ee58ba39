//! The opcode decoder: bytes to `(offset, Op)`, every opcode of protocols 0 to 5.
//!
//! The opcode table is Python's (`pickletools.opcodes`): 68 opcodes, each with one argument
//! kind read from the bytes after it. Arguments are borrowed from the input, never copied, so
//! decoding allocates nothing; every length read from the bytes is checked against what is
//! left of the input before it is used.

use super::Fault;

/// One opcode with its argument, borrowed from the pickle's bytes.
///
/// Variants are named after `pickletools` (`BINUNICODE` is [`Op::BinUnicode`]); text
/// arguments of the protocol 0 opcodes are the line without its `\n`, as written.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Op<'a> {
    /// `I`: an int (or `01`/`00` for True/False) as a decimal line.
    Int(&'a [u8]),
    /// `J`: a signed 4-byte int.
    BinInt(i32),
    /// `K`: a 1-byte unsigned int.
    BinInt1(u8),
    /// `M`: a 2-byte unsigned int.
    BinInt2(u16),
    /// `L`: an int as a decimal line, with an optional `L` suffix.
    Long(&'a [u8]),
    /// `\x8a`: an int as up to 255 bytes of little-endian two's complement.
    Long1(&'a [u8]),
    /// `\x8b`: an int as bytes of little-endian two's complement, 4-byte length.
    Long4(&'a [u8]),
    /// `S`: a quoted, backslash-escaped string line (Python's `repr` of a byte string).
    String(&'a [u8]),
    /// `T`: a byte string with a signed 4-byte length.
    BinString(&'a [u8]),
    /// `U`: a byte string with a 1-byte length.
    ShortBinString(&'a [u8]),
    /// `B`: bytes with a 4-byte length.
    BinBytes(&'a [u8]),
    /// `C`: bytes with a 1-byte length.
    ShortBinBytes(&'a [u8]),
    /// `\x8e`: bytes with an 8-byte length.
    BinBytes8(&'a [u8]),
    /// `\x96`: a bytearray with an 8-byte length.
    ByteArray8(&'a [u8]),
    /// `\x97`: an out-of-band buffer.
    NextBuffer,
    /// `\x98`: makes the buffer on top of the stack read-only.
    ReadonlyBuffer,
    /// `N`: None.
    None,
    /// `\x88`: True.
    NewTrue,
    /// `\x89`: False.
    NewFalse,
    /// `V`: a str line in Python's raw-unicode-escape encoding.
    Unicode(&'a [u8]),
    /// `\x8c`: UTF-8 text with a 1-byte length.
    ShortBinUnicode(&'a [u8]),
    /// `X`: UTF-8 text with a 4-byte length.
    BinUnicode(&'a [u8]),
    /// `\x8d`: UTF-8 text with an 8-byte length.
    BinUnicode8(&'a [u8]),
    /// `F`: a float as a decimal line.
    Float(&'a [u8]),
    /// `G`: a big-endian IEEE 754 double.
    BinFloat(f64),
    /// `]`: push an empty list.
    EmptyList,
    /// `a`: append the top to the list below it.
    Append,
    /// `e`: extend the list below the mark with the items above it.
    Appends,
    /// `l`: a list of the items above the mark.
    List,
    /// `)`: push an empty tuple.
    EmptyTuple,
    /// `t`: a tuple of the items above the mark.
    Tuple,
    /// `\x85`: a tuple of the top item.
    Tuple1,
    /// `\x86`: a tuple of the top two items.
    Tuple2,
    /// `\x87`: a tuple of the top three items.
    Tuple3,
    /// `}`: push an empty dict.
    EmptyDict,
    /// `d`: a dict of the key/value pairs above the mark.
    Dict,
    /// `s`: set one key/value pair in the dict below them.
    SetItem,
    /// `u`: set the key/value pairs above the mark in the dict below it.
    SetItems,
    /// `\x8f`: push an empty set.
    EmptySet,
    /// `\x90`: add the items above the mark to the set below it.
    AddItems,
    /// `\x91`: a frozenset of the items above the mark.
    FrozenSet,
    /// `0`: discard the top item.
    Pop,
    /// `2`: push a copy of the top item.
    Dup,
    /// `(`: push a mark.
    Mark,
    /// `1`: discard everything down to and including the top mark.
    PopMark,
    /// `g`: push a memo entry, its index as a decimal line.
    Get(u64),
    /// `h`: push a memo entry, 1-byte index.
    BinGet(u8),
    /// `j`: push a memo entry, 4-byte index.
    LongBinGet(u32),
    /// `p`: store the top in the memo, its index as a decimal line.
    Put(u64),
    /// `q`: store the top in the memo, 1-byte index.
    BinPut(u8),
    /// `r`: store the top in the memo, 4-byte index.
    LongBinPut(u32),
    /// `\x94`: store the top in the memo at the next index.
    Memoize,
    /// `\x82`: push the global registered under a 1-byte extension code.
    Ext1(u8),
    /// `\x83`: push the global registered under a 2-byte extension code.
    Ext2(u16),
    /// `\x84`: push the global registered under a signed 4-byte extension code.
    Ext4(i32),
    /// `c`: import `module.name` and push it (two lines).
    Global {
        /// The module line.
        module: &'a [u8],
        /// The name line.
        name: &'a [u8],
    },
    /// `\x93`: import the global named by the two strings on top of the stack.
    StackGlobal,
    /// `R`: call the callable below the top with the top (a tuple) as arguments.
    Reduce,
    /// `b`: set the state (the top) of the object below it.
    Build,
    /// `i`: import `module.name` and call it with the items above the mark (two lines).
    Inst {
        /// The module line.
        module: &'a [u8],
        /// The name line.
        name: &'a [u8],
    },
    /// `o`: call the first item above the mark with the others.
    Obj,
    /// `\x81`: `cls.__new__(cls, *args)` of the two items on top.
    NewObj,
    /// `\x92`: `cls.__new__(cls, *args, **kwargs)` of the three items on top.
    NewObjEx,
    /// `\x80`: the protocol version.
    Proto(u8),
    /// `.`: the end of the pickle; the top is its value.
    Stop,
    /// `\x95`: the length of the frame that follows.
    Frame(u64),
    /// `P`: a persistent id as a line, resolved by the loader.
    PersId(&'a [u8]),
    /// `Q`: the top is a persistent id, resolved by the loader.
    BinPersId,
}

/// The name `pickletools` gives opcode byte `code`, or `None` for a byte that is no opcode.
pub fn opcode_name(code: u8) -> Option<&'static str> {
    Some(match code {
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'M' => "BININT2",
        b'L' => "LONG",
        0x8a => "LONG1",
        0x8b => "LONG4",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8e => "BINBYTES8",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        b'N' => "NONE",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        b'V' => "UNICODE",
        0x8c => "SHORT_BINUNICODE",
        b'X' => "BINUNICODE",
        0x8d => "BINUNICODE8",
        b'F' => "FLOAT",
        b'G' => "BINFLOAT",
        b']' => "EMPTY_LIST",
        b'a' => "APPEND",
        b'e' => "APPENDS",
        b'l' => "LIST",
        b')' => "EMPTY_TUPLE",
        b't' => "TUPLE",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        b'}' => "EMPTY_DICT",
        b'd' => "DICT",
        b's' => "SETITEM",
        b'u' => "SETITEMS",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        b'0' => "POP",
        b'2' => "DUP",
        b'(' => "MARK",
        b'1' => "POP_MARK",
        b'g' => "GET",
        b'h' => "BINGET",
        b'j' => "LONG_BINGET",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        0x94 => "MEMOIZE",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        b'c' => "GLOBAL",
        0x93 => "STACK_GLOBAL",
        b'R' => "REDUCE",
        b'b' => "BUILD",
        b'i' => "INST",
        b'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        0x80 => "PROTO",
        b'.' => "STOP",
        0x95 => "FRAME",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        _ => return None,
    })
}

impl Op<'_> {
    /// The opcode byte.
    pub fn code(&self) -> u8 {
        match self {
            Op::Int(_) => b'I',
            Op::BinInt(_) => b'J',
            Op::BinInt1(_) => b'K',
            Op::BinInt2(_) => b'M',
            Op::Long(_) => b'L',
            Op::Long1(_) => 0x8a,
            Op::Long4(_) => 0x8b,
            Op::String(_) => b'S',
            Op::BinString(_) => b'T',
            Op::ShortBinString(_) => b'U',
            Op::BinBytes(_) => b'B',
            Op::ShortBinBytes(_) => b'C',
            Op::BinBytes8(_) => 0x8e,
            Op::ByteArray8(_) => 0x96,
            Op::NextBuffer => 0x97,
            Op::ReadonlyBuffer => 0x98,
            Op::None => b'N',
            Op::NewTrue => 0x88,
            Op::NewFalse => 0x89,
            Op::Unicode(_) => b'V',
            Op::ShortBinUnicode(_) => 0x8c,
            Op::BinUnicode(_) => b'X',
            Op::BinUnicode8(_) => 0x8d,
            Op::Float(_) => b'F',
            Op::BinFloat(_) => b'G',
            Op::EmptyList => b']',
            Op::Append => b'a',
            Op::Appends => b'e',
            Op::List => b'l',
            Op::EmptyTuple => b')',
            Op::Tuple => b't',
            Op::Tuple1 => 0x85,
            Op::Tuple2 => 0x86,
            Op::Tuple3 => 0x87,
            Op::EmptyDict => b'}',
            Op::Dict => b'd',
            Op::SetItem => b's',
            Op::SetItems => b'u',
            Op::EmptySet => 0x8f,
            Op::AddItems => 0x90,
            Op::FrozenSet => 0x91,
            Op::Pop => b'0',
            Op::Dup => b'2',
            Op::Mark => b'(',
            Op::PopMark => b'1',
            Op::Get(_) => b'g',
            Op::BinGet(_) => b'h',
            Op::LongBinGet(_) => b'j',
            Op::Put(_) => b'p',
            Op::BinPut(_) => b'q',
            Op::LongBinPut(_) => b'r',
            Op::Memoize => 0x94,
            Op::Ext1(_) => 0x82,
            Op::Ext2(_) => 0x83,
            Op::Ext4(_) => 0x84,
            Op::Global { .. } => b'c',
            Op::StackGlobal => 0x93,
            Op::Reduce => b'R',
            Op::Build => b'b',
            Op::Inst { .. } => b'i',
            Op::Obj => b'o',
            Op::NewObj => 0x81,
            Op::NewObjEx => 0x92,
            Op::Proto(_) => 0x80,
            Op::Stop => b'.',
            Op::Frame(_) => 0x95,
            Op::PersId(_) => b'P',
            Op::BinPersId => b'Q',
        }
    }

    /// The opcode's name in `pickletools`, e.g. `"BINUNICODE"`.
    pub fn name(&self) -> &'static str {
        opcode_name(self.code()).unwrap_or("?")
    }
}

/// The opcodes of one pickle, in order, with the offset of each opcode byte.
///
/// Yields `Ok((offset, op))` up to and including `STOP`, then ends; bytes after `STOP` are
/// not read ([`Ops::offset`] says where it stopped). On bytes that are no opcode, or an
/// argument cut short by the end of the input, it yields one `Err` naming the offset and the
/// opcode, then ends.
///
/// ```
/// use graph_signature::map::pickle::{ops, Op};
/// let all: Vec<_> = ops(b"\x80\x02K\x07.").collect::<Result<_, _>>()?;
/// assert_eq!(all, [(0, Op::Proto(2)), (2, Op::BinInt1(7)), (4, Op::Stop)]);
/// # Ok::<(), graph_signature::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Ops<'a> {
    bytes: &'a [u8],
    pos: usize,
    done: bool,
}

/// The opcodes of the pickle that starts at the first byte of `bytes` (see [`Ops`]).
pub fn ops(bytes: &[u8]) -> Ops<'_> {
    Ops { bytes, pos: 0, done: false }
}

impl<'a> Ops<'a> {
    /// The offset of the next opcode: after `STOP`, where the pickle ends.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next opcode, with the fault as the machines use it.
    pub(super) fn next_op(&mut self) -> Option<Result<(usize, Op<'a>), Fault>> {
        if self.done {
            return None;
        }
        let at = self.pos;
        let result = self.decode(at);
        match &result {
            Ok(Op::Stop) | Err(_) => self.done = true,
            Ok(_) => {}
        }
        Some(result.map(|op| (at, op)))
    }

    fn decode(&mut self, at: usize) -> Result<Op<'a>, Fault> {
        let Some(&code) = self.bytes.get(at) else {
            return Err(Fault::new(at, None, "the pickle ends without STOP"));
        };
        self.pos = at + 1;
        let mut r = Args { bytes: self.bytes, pos: self.pos, at, code };
        let op = match code {
            b'I' => Op::Int(r.line()?),
            b'J' => Op::BinInt(i32::from_le_bytes(r.array()?)),
            b'K' => Op::BinInt1(r.u8()?),
            b'M' => Op::BinInt2(u16::from_le_bytes(r.array()?)),
            b'L' => Op::Long(r.line()?),
            0x8a => {
                let n = r.u8()?;
                Op::Long1(r.take(u64::from(n))?)
            }
            0x8b => {
                let n = r.len_i32()?;
                Op::Long4(r.take(n)?)
            }
            b'S' => Op::String(r.line()?),
            b'T' => {
                let n = r.len_i32()?;
                Op::BinString(r.take(n)?)
            }
            b'U' => {
                let n = r.u8()?;
                Op::ShortBinString(r.take(u64::from(n))?)
            }
            b'B' => {
                let n = r.len_u32()?;
                Op::BinBytes(r.take(n)?)
            }
            b'C' => {
                let n = r.u8()?;
                Op::ShortBinBytes(r.take(u64::from(n))?)
            }
            0x8e => {
                let n = r.len_u64()?;
                Op::BinBytes8(r.take(n)?)
            }
            0x96 => {
                let n = r.len_u64()?;
                Op::ByteArray8(r.take(n)?)
            }
            0x97 => Op::NextBuffer,
            0x98 => Op::ReadonlyBuffer,
            b'N' => Op::None,
            0x88 => Op::NewTrue,
            0x89 => Op::NewFalse,
            b'V' => Op::Unicode(r.line()?),
            0x8c => {
                let n = r.u8()?;
                Op::ShortBinUnicode(r.take(u64::from(n))?)
            }
            b'X' => {
                let n = r.len_u32()?;
                Op::BinUnicode(r.take(n)?)
            }
            0x8d => {
                let n = r.len_u64()?;
                Op::BinUnicode8(r.take(n)?)
            }
            b'F' => Op::Float(r.line()?),
            b'G' => Op::BinFloat(f64::from_be_bytes(r.array()?)),
            b']' => Op::EmptyList,
            b'a' => Op::Append,
            b'e' => Op::Appends,
            b'l' => Op::List,
            b')' => Op::EmptyTuple,
            b't' => Op::Tuple,
            0x85 => Op::Tuple1,
            0x86 => Op::Tuple2,
            0x87 => Op::Tuple3,
            b'}' => Op::EmptyDict,
            b'd' => Op::Dict,
            b's' => Op::SetItem,
            b'u' => Op::SetItems,
            0x8f => Op::EmptySet,
            0x90 => Op::AddItems,
            0x91 => Op::FrozenSet,
            b'0' => Op::Pop,
            b'2' => Op::Dup,
            b'(' => Op::Mark,
            b'1' => Op::PopMark,
            b'g' => Op::Get(r.decimal_index()?),
            b'h' => Op::BinGet(r.u8()?),
            b'j' => Op::LongBinGet(u32::from_le_bytes(r.array()?)),
            b'p' => Op::Put(r.decimal_index()?),
            b'q' => Op::BinPut(r.u8()?),
            b'r' => Op::LongBinPut(u32::from_le_bytes(r.array()?)),
            0x94 => Op::Memoize,
            0x82 => Op::Ext1(r.u8()?),
            0x83 => Op::Ext2(u16::from_le_bytes(r.array()?)),
            0x84 => Op::Ext4(i32::from_le_bytes(r.array()?)),
            b'c' => {
                let module = r.line()?;
                Op::Global { module, name: r.line()? }
            }
            0x93 => Op::StackGlobal,
            b'R' => Op::Reduce,
            b'b' => Op::Build,
            b'i' => {
                let module = r.line()?;
                Op::Inst { module, name: r.line()? }
            }
            b'o' => Op::Obj,
            0x81 => Op::NewObj,
            0x92 => Op::NewObjEx,
            0x80 => Op::Proto(r.u8()?),
            b'.' => Op::Stop,
            0x95 => {
                let n = r.len_u64()?;
                // The frame's bytes follow and are read as opcodes; they must be there.
                if n > r.remaining() {
                    return Err(r.fault(format!("a frame of {n} bytes, but {} are left", r.remaining())));
                }
                Op::Frame(n)
            }
            b'P' => Op::PersId(r.line()?),
            b'Q' => Op::BinPersId,
            _ => return Err(Fault::new(at, Some(code), "not an opcode of pickle protocols 0 to 5")),
        };
        self.pos = r.pos;
        Ok(op)
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<(usize, Op<'a>), crate::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_op().map(|r| r.map_err(|f| f.into_error("")))
    }
}

/// Reads the argument of the opcode at `at`.
struct Args<'a> {
    bytes: &'a [u8],
    pos: usize,
    at: usize,
    code: u8,
}

impl<'a> Args<'a> {
    fn fault(&self, reason: impl Into<String>) -> Fault {
        Fault::new(self.at, Some(self.code), reason)
    }

    fn remaining(&self) -> u64 {
        (self.bytes.len() - self.pos) as u64
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Fault> {
        if n > self.remaining() {
            return Err(self.fault(format!("truncated: the argument needs {n} bytes, {} are left", self.remaining())));
        }
        // n <= remaining <= usize::MAX, so the cast is exact.
        let end = self.pos + n as usize;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let s = self.take(N as u64)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, Fault> {
        Ok(self.array::<1>()?[0])
    }

    fn len_u32(&mut self) -> Result<u64, Fault> {
        Ok(u64::from(u32::from_le_bytes(self.array()?)))
    }

    fn len_u64(&mut self) -> Result<u64, Fault> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn len_i32(&mut self) -> Result<u64, Fault> {
        let n = i32::from_le_bytes(self.array()?);
        u64::try_from(n).map_err(|_| self.fault(format!("negative length {n}")))
    }

    /// A line up to `\n`, without it.
    fn line(&mut self) -> Result<&'a [u8], Fault> {
        let rest = &self.bytes[self.pos..];
        let Some(n) = rest.iter().position(|&b| b == b'\n') else {
            return Err(self.fault("truncated: no end of line"));
        };
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    /// A memo index as a decimal line (`GET`/`PUT`).
    fn decimal_index(&mut self) -> Result<u64, Fault> {
        let line = self.line()?;
        let text = std::str::from_utf8(line).ok().map(str::trim);
        match text.and_then(|t| t.parse::<u64>().ok()) {
            Some(i) => Ok(i),
            None => {
                Err(self.fault(format!("memo index {:?} is not a non-negative integer", String::from_utf8_lossy(line))))
            }
        }
    }
}
