//! Writes that keep a user's file: the new content goes to a temporary file beside the
//! destination, is flushed to disk, given the destination's mode, owner and group, and only
//! then takes the destination's place. What is promised is in `docs/archives.md` ("Writing
//! a user's file"); in short:
//!
//! - an output that is one of the inputs being read (the same file, also through a symlink
//!   or a hard link) is refused before anything is touched, unless the caller edits in
//!   place on purpose ([`WriteOptions::in_place`]), which is safe because the input is read
//!   whole into the temporary file before the destination is replaced;
//! - a symlink is written through: its target is replaced, the link stays;
//! - a file with several hard links is rewritten in place once the temporary file is
//!   complete (a rename would split the links), with termination deferred until it is done;
//! - mode, owner and group are kept; where the owner cannot be kept the write is refused;
//! - a read-only file is refused unless [`WriteOptions::force`];
//! - the folder is flushed after the rename, so the new name survives a crash;
//! - temporary files are named `.<name>.graphsig-<pid>-<n>.tmp`, removed on every error,
//!   and by [`abort_pending_writes`] (which the CLI calls on SIGINT, SIGTERM and SIGHUP);
//!   one left by a killed process is found by [`stale_temporaries`] and removed by the next
//!   write of the same file.
//!
//! ```
//! use graph_signature::archive::atomic::{write_file, WriteOptions};
//! use std::io::Write;
//! let dir = std::env::temp_dir().join(format!("graphsig-doc-atomic-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let dest = dir.join("out.txt");
//! write_file(&dest, &WriteOptions::default(), |w| Ok(w.write_all(b"hello\n")?))?;
//! assert_eq!(std::fs::read(&dest)?, b"hello\n");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::RefusedWrite;
use crate::Error;

/// What sits between a temporary file's target name and its process id.
const TEMP_MARKER: &str = ".graphsig-";
const TEMP_SUFFIX: &str = ".tmp";
/// How many symlinks are followed before giving up (as the kernel's own limit).
const MAX_SYMLINKS: usize = 40;

/// How a user's file is written.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// The files read to make the output: writing over one of them is refused, unless
    /// `in_place`.
    pub inputs: Vec<PathBuf>,
    /// The output may be one of `inputs` (an edit in place, as `graphsig embed` does).
    pub in_place: bool,
    /// Replace a read-only file.
    pub force: bool,
}

impl WriteOptions {
    /// Options for an output made from reading `inputs` (`-`, standard input, is ignored).
    pub fn reading<P: AsRef<Path>>(inputs: impl IntoIterator<Item = P>) -> Self {
        let inputs = inputs.into_iter().map(|p| p.as_ref().to_path_buf()).filter(|p| p != Path::new("-")).collect();
        Self { inputs, ..Self::default() }
    }
}

/// The registry of temporary files not yet in place; `None` once writes were aborted.
static PENDING: Mutex<Option<Vec<PathBuf>>> = Mutex::new(Some(Vec::new()));

fn pending() -> std::sync::MutexGuard<'static, Option<Vec<PathBuf>>> {
    // A panic elsewhere while holding the lock leaves the list as it was: still usable.
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every temporary file of a write still under way and makes every later write
/// fail instead of replacing its destination. For signal handlers: the CLI calls it on
/// SIGINT, SIGTERM and SIGHUP, then exits. A write that is replacing its destination at
/// that moment finishes first (the call waits for it), so the destination is either the old
/// file or the new one, whole.
pub fn abort_pending_writes() {
    let mut guard = pending();
    if let Some(files) = guard.take() {
        for file in files {
            let _ = fs::remove_file(file);
        }
    }
}

/// Writes `dest` with what `fill` writes, keeping the user's file as the module docs say.
/// Errors name `dest`, the path the caller gave.
pub fn write_file<F>(dest: &Path, options: &WriteOptions, fill: F) -> Result<(), Error>
where
    F: FnOnce(&mut dyn Write) -> Result<(), Error>,
{
    let at = |e: io::Error| Error::Io { path: Some(dest.to_path_buf()), source: e };
    let target = resolve_symlinks(dest).map_err(at)?;
    let existing = match fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(at(e)),
    };
    if let Some(meta) = &existing {
        check_replaceable(dest, meta, options)?;
    }
    remove_stale(&target);

    let (tmp, file) = create_temp_beside(&target).map_err(at)?;
    let result = (|| {
        let mut writer = BufWriter::new(file);
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| at(e.into_error()))?;
        if let Some(meta) = &existing {
            keep_metadata(&file, meta).map_err(|reason| Error::Refused { path: dest.to_path_buf(), reason })?;
        }
        file.sync_all().map_err(at)?;
        commit(&tmp, &target, existing.as_ref(), file).map_err(at)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        forget(&tmp);
    }
    result
}

/// Refuses to replace what must not be replaced, before anything is written.
fn check_replaceable(dest: &Path, meta: &fs::Metadata, options: &WriteOptions) -> Result<(), Error> {
    let refuse = |reason| Err(Error::Refused { path: dest.to_path_buf(), reason });
    if !meta.is_file() {
        return refuse(RefusedWrite::NotAFile);
    }
    if !options.in_place {
        for input in &options.inputs {
            if fs::metadata(input).is_ok_and(|m| same_file(&m, meta)) {
                return refuse(RefusedWrite::OutputIsInput { input: input.clone() });
            }
        }
    }
    if meta.permissions().readonly() && !options.force {
        return refuse(RefusedWrite::ReadOnly);
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

/// The file a path names once every symlink is followed (the path itself when it is not a
/// link; a dangling link's target, to be created).
fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("more than {MAX_SYMLINKS} symbolic links to follow")))
}

/// Gives the temporary file the destination's owner, group and mode (owner first: a change
/// of owner clears set-id bits).
fn keep_metadata(file: &File, meta: &fs::Metadata) -> Result<(), RefusedWrite> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ours = file.metadata().map_err(|e| RefusedWrite::OwnerNotKept { reason: e.to_string() })?;
        if ours.uid() != meta.uid() || ours.gid() != meta.gid() {
            std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
                RefusedWrite::OwnerNotKept {
                    reason: format!("owner {}:{} cannot be given back: {e}", meta.uid(), meta.gid()),
                }
            })?;
        }
    }
    file.set_permissions(meta.permissions()).map_err(|e| RefusedWrite::OwnerNotKept { reason: e.to_string() })
}

/// Puts the complete temporary file in the destination's place.
fn commit(tmp: &Path, target: &Path, existing: Option<&fs::Metadata>, mut file: File) -> io::Result<()> {
    let mut guard = pending();
    let Some(list) = guard.as_mut() else {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted; the file was left as it was"));
    };
    if existing.is_some_and(has_other_links) {
        // A rename would give this name a new file and leave the other links on the old
        // one: copy the bytes over instead, with termination waiting on the lock held here.
        let mut out = OpenOptions::new().write(true).open(target)?;
        file.seek(SeekFrom::Start(0))?;
        let len = io::copy(&mut file, &mut out)?;
        out.set_len(len)?;
        out.sync_all()?;
        fs::remove_file(tmp)?;
    } else {
        fs::rename(tmp, target)?;
        sync_dir(target);
    }
    list.retain(|p| p != tmp);
    Ok(())
}

#[cfg(unix)]
fn has_other_links(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.nlink() > 1
}

#[cfg(not(unix))]
fn has_other_links(_: &fs::Metadata) -> bool {
    false
}

/// Flushes the folder holding `path`, so a rename in it is on disk. Best effort: some file
/// systems cannot open or flush a folder, and the rename itself has happened.
fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(folder_of(path)) {
        let _ = dir.sync_all();
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn forget(tmp: &Path) {
    if let Some(list) = pending().as_mut() {
        list.retain(|p| p != tmp);
    }
}

/// Creates a new, uniquely named file in `dest`'s folder, registered for removal on abort.
fn create_temp_beside(dest: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = folder_of(dest);
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut guard = pending();
    let Some(list) = guard.as_mut() else {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted before writing"));
    };
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}{TEMP_MARKER}{}-{n}{TEMP_SUFFIX}", std::process::id()));
        match OpenOptions::new().read(true).write(true).create_new(true).open(&tmp) {
            Ok(file) => {
                list.push(tmp.clone());
                return Ok((tmp, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot create a temporary file in {}: {e}", dir.display()),
                ))
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("cannot create a temporary file in {}", dir.display())))
}

/// Temporary files beside `dest` (its symlinks followed) left by a process that no longer
/// runs: a write killed before it could clean up (SIGKILL, a crash, a power cut).
/// `graphsig validate` reports them; the next write of `dest` removes them.
pub fn stale_temporaries(dest: &Path) -> Vec<PathBuf> {
    let Ok(target) = resolve_symlinks(dest) else { return Vec::new() };
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else { return Vec::new() };
    let prefix = format!(".{name}{TEMP_MARKER}");
    let Ok(entries) = fs::read_dir(folder_of(&target)) else { return Vec::new() };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let file_name = e.file_name();
            let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { return false };
            let Some(pid) = rest.strip_suffix(TEMP_SUFFIX).and_then(|r| r.split_once('-')).map(|(pid, _)| pid) else {
                return false;
            };
            pid.parse::<u32>().is_ok_and(|pid| !process_runs(pid))
        })
        .map(|e| e.path())
        .collect();
    stale.sort();
    stale
}

fn remove_stale(target: &Path) {
    for file in stale_temporaries(target) {
        let _ = fs::remove_file(file);
    }
}

/// Whether a process runs; where that cannot be told, it is taken to run (so its file is
/// never removed under it).
fn process_runs(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("graphsig-atomic-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_failed_write_leaves_the_destination_and_no_temporary_file() {
        let dir = scratch("failed");
        let dest = dir.join("out.bin");
        fs::write(&dest, b"original").unwrap();
        let err = write_file(&dest, &WriteOptions::default(), |w| {
            w.write_all(b"partial")?;
            Err(Error::decode("test", "", "fails midway"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&dest).unwrap(), b"original");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "temporary file left behind");
        write_file(&dest, &WriteOptions::default(), |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_temporary_file_of_a_dead_process_is_stale_and_the_next_write_removes_it() {
        let dir = scratch("stale");
        let dest = dir.join("m.pt2");
        fs::write(&dest, b"x").unwrap();
        // No process has pid u32::MAX - 1 (Linux caps pids far below).
        let dead = dir.join(format!(".m.pt2{TEMP_MARKER}{}-0{TEMP_SUFFIX}", u32::MAX - 1));
        let live = dir.join(format!(".m.pt2{TEMP_MARKER}{}-999{TEMP_SUFFIX}", std::process::id()));
        fs::write(&dead, b"left by a killed run").unwrap();
        fs::write(&live, b"ours, in use").unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(stale_temporaries(&dest), std::slice::from_ref(&dead));
            write_file(&dest, &WriteOptions::default(), |w| Ok(w.write_all(b"y")?)).unwrap();
            assert!(!dead.exists() && live.exists());
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
