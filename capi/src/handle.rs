//! Handles: what C holds is an id, never the address of Rust memory.
//!
//! A handle's value is `(serial << TAG_BITS) | tag`: the serial counts up from 1 and is
//! never reused while the process lives (on 64-bit targets; see docs/capi.md for 32-bit),
//! and the tag names the handle type. Every call looks its handle up in one registry, so a
//! freed, never-issued, NULL or other-type handle is `GSIG_ERR_INVALID_HANDLE`, not a read of
//! freed memory. The tag makes every handle an odd number, so the address of a real object
//! passed by mistake is refused too.
//!
//! Entries are reference-counted: a call holds its entry for its whole duration, so a
//! handle freed by another thread in the meantime stays alive until that call returns.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::status::{Failure, GSIG_ERR_INVALID_HANDLE};

const TAG_BITS: u32 = 4;
const TAG_MASK: usize = (1 << TAG_BITS) - 1;

/// What kind of object a handle names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    /// `gsig_signature`.
    Signature = 0x5,
    /// `gsig_archive_map` (ABI 1.1).
    ArchiveMap = 0x9,
}

impl Tag {
    fn name(self) -> &'static str {
        match self {
            Tag::Signature => "gsig_signature",
            Tag::ArchiveMap => "gsig_archive_map",
        }
    }
}

/// What the registry holds for one handle.
pub(crate) enum Object {
    Signature(Arc<crate::signature::Entry>),
    ArchiveMap(Arc<crate::map::Entry>),
}

impl Object {
    fn tag(&self) -> Tag {
        match self {
            Object::Signature(_) => Tag::Signature,
            Object::ArchiveMap(_) => Tag::ArchiveMap,
        }
    }
}

struct Registry {
    next_serial: usize,
    live: BTreeMap<usize, Object>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { next_serial: 1, live: BTreeMap::new() });

/// The registry, even after a panic while it was held: every change to it is a single
/// insert or remove, so it is never left half-changed.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `object` and returns its handle value.
pub(crate) fn insert(tag: Tag, object: Object) -> usize {
    let mut reg = registry();
    loop {
        let serial = reg.next_serial;
        // Wraps only after 2^60 handles on 64-bit targets (2^28 on 32-bit ones), and then
        // skips ids still in use.
        reg.next_serial = if serial >= usize::MAX >> TAG_BITS { 1 } else { serial + 1 };
        let id = (serial << TAG_BITS) | tag as usize;
        if let std::collections::btree_map::Entry::Vacant(slot) = reg.live.entry(id) {
            slot.insert(object);
            return id;
        }
    }
}

fn invalid(tag: Tag, id: usize) -> Failure {
    let why = if id == 0 {
        "is NULL".to_owned()
    } else if id & TAG_MASK != tag as usize {
        "is not one (another handle type, or not a handle at all)".to_owned()
    } else {
        "was freed, or was never issued".to_owned()
    };
    Failure::new(GSIG_ERR_INVALID_HANDLE, format!("invalid {} handle {id:#x}: it {why}", tag.name()))
}

/// The signature entry of handle `id`.
pub(crate) fn signature(id: usize) -> Result<Arc<crate::signature::Entry>, Failure> {
    if id & TAG_MASK == Tag::Signature as usize {
        if let Some(Object::Signature(entry)) = registry().live.get(&id) {
            return Ok(Arc::clone(entry));
        }
    }
    Err(invalid(Tag::Signature, id))
}

/// The archive map entry of handle `id`.
pub(crate) fn archive_map(id: usize) -> Result<Arc<crate::map::Entry>, Failure> {
    if id & TAG_MASK == Tag::ArchiveMap as usize {
        if let Some(Object::ArchiveMap(entry)) = registry().live.get(&id) {
            return Ok(Arc::clone(entry));
        }
    }
    Err(invalid(Tag::ArchiveMap, id))
}

/// Removes handle `id`; `Ok(false)` for 0 (freeing NULL does nothing).
pub(crate) fn remove(tag: Tag, id: usize) -> Result<bool, Failure> {
    if id == 0 {
        return Ok(false);
    }
    let removed = {
        let mut reg = registry();
        match reg.live.get(&id) {
            Some(object) if object.tag() == tag => reg.live.remove(&id),
            _ => None,
        }
    };
    // The entry is dropped here, outside the lock (a large signature or map takes a while
    // to free).
    match removed {
        Some(_) => Ok(true),
        None => Err(invalid(tag, id)),
    }
}

/// How many handles are live.
pub(crate) fn live_count() -> usize {
    registry().live.len()
}
