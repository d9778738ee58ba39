#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
// `deny`, not `forbid`: the generated FlatBuffers code (src/codec/fbs/generated/) is allowed
// its unsafe reads behind the verifier; hand-written code has none.
#![deny(unsafe_code)]

pub mod accessors;
pub mod archive;
pub mod classify;
pub mod codec;
pub mod diff;
#[doc(hidden)]
pub mod differential;
mod display;
mod error;
mod json_util;
pub mod map;
pub mod model;
pub mod read;
pub mod scan;
pub mod summary;
pub mod version;

pub use accessors::{AccessorsReport, ExportBackwardSignature, NameMap, UserValue};
pub use error::UnrepresentableReason;
pub use error::{Error, ModelSelection, RefusedWrite, ValidationError};
pub use model::validate::{Rule, SpecRef, Violation};
pub use model::{
    ArgumentSpec, ArgumentType, ConstantValue, ExportGraphSignature, InputKind, InputSpec, Node, OutputKind, OutputSpec,
};
pub use read::{read_bytes, read_path};
