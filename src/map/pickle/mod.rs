//! A pickle reader that never executes anything.
//!
//! `torch.save` writes a zip whose `<name>/data.pkl` is a pickle (protocol 2) of the saved
//! object, every tensor in it a call of `torch._utils._rebuild_tensor_v2` on a *persistent
//! id* `('storage', torch.FloatStorage, key, location, numel)` naming the record
//! `<name>/data/<key>` that holds the bytes. Unpickling it with Python runs whatever globals
//! the pickle names; this module reads it without running, importing or calling anything:
//!
//! - [`ops`]: the opcode decoder, `(offset, Op)` for every opcode of protocols 0 to 5,
//!   borrowing its arguments from the input (it allocates nothing);
//! - [`read_state_dict`] and [`read_pickle`]: a symbolic stack machine that understands
//!   exactly what `torch.save` writes for state dicts and for lists, tuples and dicts of
//!   tensors, and refuses everything else with an error naming the global and the offset;
//! - [`scan_globals`]: walks any pickle without building values and lists every global it
//!   would import and every call it would make, for a later security scan.
//!
//! ```
//! use graph_signature::map::pickle::{read_state_dict, Dtype};
//! # let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"),
//! #     "/tests/fixtures/pickle/torch/2.3.1-buffers-constants.pkl")).unwrap();
//! // `bytes`: the `archive/data.pkl` of a torch.save zip holding {"scratch": torch.zeros(4)}
//! let state = read_state_dict(&bytes, "archive/data.pkl")?;
//! let (name, t) = state.tensors().next().unwrap();
//! assert_eq!((name, t.dtype, t.size.as_slice()), ("scratch", Dtype::Float32, &[4][..]));
//! assert_eq!((t.storage.key.as_str(), t.storage.numel), ("0", 4)); // bytes in archive/data/0
//! # Ok::<(), graph_signature::Error>(())
//! ```
//!
//! Errors are [`Error::Decode`] with format `"pickle"` and a path
//! naming where: the record (when the caller gives one), the byte offset of the opcode and
//! its name, e.g. `archive/data.pkl, byte 0 (GLOBAL)`.
//!
//! # Why not an existing crate
//!
//! Two Rust crates read pickles; neither fits. **serde-pickle** 1.2.0 (MIT/Apache-2.0,
//! maintained, Nov 2024) never executes and decodes protocols 0 to 5, but it refuses the
//! persistent-id opcodes every torch pickle uses for its storages (on torch 2.3's
//! `data.pkl` of a `Linear` state dict: `Unsupported('Q')` at byte 183), and it turns
//! every global outside its small table into an opaque `Global::Other`, dropping the module
//! and the name, so neither an allow-list nor a listing of globals can be built on it.
//! **repugnant-pickle** 0.0.1 (Apache-2.0, its only release, "best-effort scraping") exposes
//! GLOBAL, REDUCE, BUILD and persistent ids structurally and reads torch's pickles, but it
//! copies a memoized value at every reference and has no limit: a 188-byte pickle of 26
//! nested lists, each holding the previous one twice, took 18.7 s and 9.2 GB of memory to
//! evaluate (measured); it also carries `anyhow`, `nom` 7, `num-bigint` and `once_cell`,
//! reports errors without offsets and has `expect`s on input-driven paths. The reader here is
//! a few hundred lines over Python's opcode table (`pickletools`, read for facts), without
//! dependencies, bounded by the limits below.
//!
//! # Limits
//!
//! Every length read from the bytes is checked against what is left of the input before it
//! is used, and the machines stop with an error past these limits. They are far above what
//! `torch.save` writes: the state dict of a model of 100,000 tensors (with its `_metadata`, a
//! 20 MB pickle) takes about 2.6 million objects, 1.3 million memo entries and a stack of a
//! few thousand items; it reads in 1.0 s at a peak of 375 MB, and scans in 0.3 s at 96 MB
//! (release build, measured on a pickle written as torch writes it).
//!
//! - [`MAX_STACK`] items on the stack, marks included;
//! - [`MAX_MEMO`] memo entries;
//! - [`MAX_OBJECTS`] objects built (values on the stack and in the result together);
//! - [`MAX_DEPTH`] levels of nesting in a result;
//! - [`MAX_TEXT_BYTES`] bytes of strings and bytes in a result;
//! - [`MAX_INT_BYTES`] bytes of one int (Python writes 64-bit ints in 8);
//! - [`MAX_SCAN_RECORDS`] imports and calls listed by a scan.

mod memo;
mod op;
mod read;
mod scan;
mod text;
mod torch;

pub use op::{opcode_name, ops, Op, Ops};
pub use read::{read_pickle, read_state_dict, Dict, StateDict, StorageRef, TensorRef, Value};
pub use scan::{scan_globals, Call, Callee, Import, Scan, Target};
pub use torch::Dtype;

use crate::Error;

/// The most items the stack holds at once, marks included.
pub const MAX_STACK: usize = 1 << 16;
/// The most memo entries.
pub const MAX_MEMO: usize = 1 << 22;
/// The most objects built while reading one pickle: every value pushed on the stack, and
/// every value of the result (a value the pickle references twice is built twice there).
pub const MAX_OBJECTS: usize = 1 << 22;
/// The deepest nesting of containers in a result (a state dict nests 3 levels deep).
pub const MAX_DEPTH: usize = 256;
/// The most bytes of strings, bytes and big ints in a result, counted at every reference.
pub const MAX_TEXT_BYTES: usize = 1 << 28;
/// The longest int read, in bytes of two's complement.
pub const MAX_INT_BYTES: usize = 4096;
/// The most imports and calls a scan lists (each needs at least one opcode).
pub const MAX_SCAN_RECORDS: usize = 1 << 20;

const FORMAT: &str = "pickle";

/// What went wrong at which opcode, before the record name is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    offset: usize,
    opcode: Option<u8>,
    reason: String,
}

impl Fault {
    fn new(offset: usize, opcode: Option<u8>, reason: impl Into<String>) -> Self {
        Self { offset, opcode, reason: reason.into() }
    }

    /// The crate's error, its path `"{record}, byte {offset} ({OPCODE})"`.
    fn into_error(self, record: &str) -> Error {
        let op = match self.opcode {
            Some(code) => match opcode_name(code) {
                Some(name) => format!(" ({name})"),
                None => format!(" (0x{code:02x}, no opcode)"),
            },
            None => String::new(),
        };
        let at = format!("byte {}{op}", self.offset);
        let path = if record.is_empty() { at } else { format!("{record}, {at}") };
        Error::decode(FORMAT, path, self.reason)
    }
}
