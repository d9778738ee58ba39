//! Model archives that carry signatures: the zip files `torch.export.save` writes, and
//! `.safetensors` files. An archive adapter finds the records that hold signatures; the
//! codecs turn their bytes into the model.

pub mod atomic;
pub mod embed;
pub mod pt2;
pub mod safetensors;
pub(crate) mod zipfile;
