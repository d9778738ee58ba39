//! The archive map: what every graph input and output of a `.pt2` binds to (design note:
//! `docs/map.md`). Built from the program JSON, the payload configs and the `torch.save`
//! pickles of the archive, without executing a pickle and without reading a weight.

pub mod meta;
pub mod pickle;
pub mod program;
pub mod pytree;
