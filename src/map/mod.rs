//! What a `.pt2` archive holds besides its signature, read without executing anything.
//!
//! For now one reader: [`pickle`], which decodes the pickles `torch.save` writes (the
//! `data.pkl` of every `torch.save` zip in an archive) into tensor metadata on an allow-list,
//! and lists every global any pickle would import and call. It is the base of the archive map
//! (where each tensor's bytes are) and of a security scan.

pub mod pickle;
