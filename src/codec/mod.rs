//! Adapters between bytes and the model. No adapter knows another; conversions between two
//! formats always pass through [`ExportGraphSignature`](crate::ExportGraphSignature).

pub mod torch_json;
