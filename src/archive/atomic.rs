//! Atomic writes to user files: write a temporary file beside the destination, flush it to
//! disk, then rename it over the destination. If anything fails the temporary file is
//! removed and the destination is left as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;

/// Writes `dest` atomically with what `fill` writes into the temporary file.
pub fn write_atomic<F>(dest: &Path, fill: F) -> Result<(), Error>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<(), Error>,
{
    let (tmp, file) = create_temp_beside(dest)?;
    let result = (|| {
        let mut writer = BufWriter::new(file);
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| Error::from(e.into_error()))?;
        file.sync_all()?;
        fs::rename(&tmp, dest)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e: Error| e.with_path(dest))
}

/// Creates a new, uniquely named file in `dest`'s folder.
fn create_temp_beside(dest: &Path) -> Result<(PathBuf, File), Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.graphsig-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::from(e).with_path(tmp)),
        }
    }
    Err(Error::Io {
        path: Some(dir.to_path_buf()),
        source: io::Error::new(io::ErrorKind::AlreadyExists, "cannot create a temporary file"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_failed_write_leaves_the_destination_and_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("graphsig-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("out.bin");
        fs::write(&dest, b"original").unwrap();
        let err = write_atomic(&dest, |w| {
            w.write_all(b"partial")?;
            Err(Error::decode("test", "", "fails midway"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&dest).unwrap(), b"original");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "temporary file left behind");
        write_atomic(&dest, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }
}
