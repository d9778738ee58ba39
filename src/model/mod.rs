//! The one in-memory model of torch.export's signature types (see `docs/model.md`).

mod argument;
pub mod meta;
mod signature;
mod spec;
pub mod validate;

pub use argument::{ArgumentSpec, ArgumentType, ConstantValue};
pub use signature::{ExportGraphSignature, Node, SignatureParts};
pub use spec::{InputKind, InputSpec, OutputKind, OutputSpec, UnknownKind};
