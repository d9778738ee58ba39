//! Model archives that carry signatures: the zip files `torch.export.save` writes.

pub mod pt2;
