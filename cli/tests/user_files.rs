//! A user's file is sacred: every command that writes keeps it whole and keeps what it is
//! (mode, owner, symlink, hard links), refuses to write over its own input, and leaves
//! nothing behind when it fails or is killed. Each test runs the real binary on a real
//! torch archive. `GRAPHSIG_TEST_BIN` points them at another build.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use graph_signature::archive::pt2;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-user-files-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the shipped torch 2.15 archive in `dir`.
fn archive_in(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    fs::copy(support::repo_root().join("examples/tinynet.pt2"), &path).unwrap();
    path
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(support::graphsig_bin()).args(args).current_dir(dir).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The names in `dir`, sorted: what a failed or refused write may not add to.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

fn embedded_models(path: &Path) -> usize {
    pt2::read_embedded(fs::File::open(path).unwrap()).unwrap().len()
}

#[test]
fn convert_and_extract_refuse_to_write_over_their_own_input() {
    let dir = scratch("own-input");
    let archive = archive_in(&dir, "m.pt2");
    assert!(run(&dir, &["embed", "m.pt2"]).status.success());
    std::os::unix::fs::symlink("m.pt2", dir.join("link.pt2")).unwrap();
    fs::hard_link(&archive, dir.join("hard.pt2")).unwrap();
    let before = fs::read(&archive).unwrap();
    for args in [
        &["convert", "m.pt2", "m.pt2", "--to", "json"][..],
        &["convert", "m.pt2", "link.pt2", "--to", "json"],
        &["convert", "m.pt2", "hard.pt2", "--to", "proto"],
        &["convert", "link.pt2", "./m.pt2", "--to", "json"],
        &["extract", "m.pt2", "-o", "m.pt2"],
        &["extract", "m.pt2", "-o", "hard.pt2"],
    ] {
        let out = run(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?} was not refused: {}", stderr(&out));
        assert!(stderr(&out).contains("writing it would destroy what is being read"), "{args:?}: {}", stderr(&out));
        assert!(fs::read(&archive).unwrap() == before, "{args:?} changed the archive");
    }
    assert_eq!(listing(&dir), ["hard.pt2", "link.pt2", "m.pt2"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_edit_in_place_keeps_mode_owner_and_group() {
    let dir = scratch("mode");
    let archive = archive_in(&dir, "m.pt2");
    fs::set_permissions(&archive, fs::Permissions::from_mode(0o600)).unwrap();
    // As root (CI), give the file another owner and group; otherwise keep ours.
    let (uid, gid) = if unsafe { libc::geteuid() } == 0 {
        (4321, 8765)
    } else {
        (fs::metadata(&archive).unwrap().uid(), fs::metadata(&archive).unwrap().gid())
    };
    std::os::unix::fs::chown(&archive, Some(uid), Some(gid)).unwrap();
    let out = run(&dir, &["embed", "m.pt2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = fs::metadata(&archive).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o600, "mode");
    assert_eq!((meta.uid(), meta.gid()), (uid, gid), "owner and group");
    assert_eq!(embedded_models(&archive), 1);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_symlink_is_written_through_and_stays_a_symlink() {
    let dir = scratch("symlink");
    let real = archive_in(&dir, "real.pt2");
    std::os::unix::fs::symlink("real.pt2", dir.join("link.pt2")).unwrap();
    let out = run(&dir, &["embed", "link.pt2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::symlink_metadata(dir.join("link.pt2")).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(embedded_models(&real), 1, "the target was not written");
    // convert into a link writes its target too.
    let out = run(&dir, &["convert", "real.pt2", "sig-link.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::os::unix::fs::symlink("sig.json", dir.join("to-sig.json")).unwrap();
    let out = run(&dir, &["convert", "real.pt2", "to-sig.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::symlink_metadata(dir.join("to-sig.json")).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(dir.join("sig.json")).unwrap(), fs::read(dir.join("sig-link.json")).unwrap());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hard_links_stay_one_file() {
    let dir = scratch("hardlink");
    let archive = archive_in(&dir, "m.pt2");
    let other = dir.join("other-name.pt2");
    fs::hard_link(&archive, &other).unwrap();
    let out = run(&dir, &["embed", "m.pt2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (fs::metadata(&archive).unwrap(), fs::metadata(&other).unwrap());
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2), "the hard link was split");
    assert_eq!(embedded_models(&other), 1);
    assert_eq!(listing(&dir), ["m.pt2", "other-name.pt2"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_read_only_file_is_refused_unless_forced() {
    let dir = scratch("readonly");
    let archive = archive_in(&dir, "m.pt2");
    fs::set_permissions(&archive, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(&archive).unwrap();
    let out = run(&dir, &["embed", "m.pt2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("m.pt2: is read-only; nothing was written (use --force"), "{}", stderr(&out));
    assert!(fs::read(&archive).unwrap() == before, "the refused embed changed the archive");
    let out = run(&dir, &["convert", "m.pt2", "m.pt2.json"]);
    assert!(out.status.success());
    fs::set_permissions(dir.join("m.pt2.json"), fs::Permissions::from_mode(0o444)).unwrap();
    assert_eq!(run(&dir, &["convert", "m.pt2", "m.pt2.json"]).status.code(), Some(2));
    let out = run(&dir, &["embed", "m.pt2", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::metadata(&archive).unwrap().mode() & 0o777, 0o444, "--force kept the mode");
    assert_eq!(embedded_models(&archive), 1);
    assert_eq!(listing(&dir), ["m.pt2", "m.pt2.json"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn embed_dash_o_dash_writes_standard_output() {
    let dir = scratch("stdout");
    let archive = archive_in(&dir, "m.pt2");
    let before = fs::read(&archive).unwrap();
    let out = run(&dir, &["embed", "m.pt2", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(listing(&dir), ["m.pt2"], "a file named '-' was written");
    assert!(fs::read(&archive).unwrap() == before, "the input changed");
    let embedded = pt2::read_embedded(std::io::Cursor::new(&out.stdout)).unwrap();
    assert_eq!(embedded.len(), 1);
    assert!(out.stdout[..4096] == before[..4096], "the records before the central directory changed");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn errors_name_the_users_file_not_a_temporary_one() {
    let dir = scratch("names");
    archive_in(&dir, "m.pt2");
    let out = run(&dir, &["convert", "m.pt2", "no-such-folder/out.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("graphsig: error: no-such-folder/out.json: ") && !err.contains(".tmp"), "{err}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn validate_reports_a_temporary_file_left_by_a_killed_write_and_the_next_write_removes_it() {
    let dir = scratch("stale");
    archive_in(&dir, "m.pt2");
    // What a write killed by SIGKILL leaves: its temporary file, named after a process that
    // is gone (pids on Linux stay far below this one).
    let stale = format!(".m.pt2.graphsig-{}-0.tmp", u32::MAX - 1);
    fs::write(dir.join(&stale), b"partial").unwrap();
    let out = run(&dir, &["validate", "m.pt2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains(&stale) && report.contains("interrupted write"), "{report}");
    assert!(run(&dir, &["embed", "m.pt2"]).status.success());
    assert_eq!(listing(&dir), ["m.pt2"]);
    fs::remove_dir_all(dir).unwrap();
}

/// A PT2 archive of `size` bytes: tinynet's records, then one large STORED weight record
/// (zeros, written sparse), then the central directory.
fn large_archive(path: &Path, size: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let small = fs::read(support::repo_root().join("examples/tinynet.pt2")).unwrap();
    let entries = pt2::read(std::io::Cursor::new(&small)).unwrap();
    assert_eq!(entries.len(), 1);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&small)).unwrap();
    let mut out = zip::ZipWriter::new(fs::File::create(path).unwrap());
    for i in 0..archive.len() {
        out.raw_copy_file(archive.by_index_raw(i).unwrap()).unwrap();
    }
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
    out.start_file("tinynet/data/weights/big", options).unwrap();
    let chunk = vec![0u8; 8 << 20];
    let mut written = 0;
    while written < size {
        out.write_all(&chunk).unwrap();
        written += chunk.len() as u64;
    }
    let mut file = out.finish().unwrap();
    file.seek(SeekFrom::End(0)).unwrap();
}

#[test]
fn sigterm_during_a_large_write_leaves_the_original_and_no_temporary_file() {
    let dir = scratch("sigterm");
    let archive = dir.join("big.pt2");
    large_archive(&archive, 1 << 30);
    let before = fs::metadata(&archive).unwrap();
    let tail = |p: &Path| {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = fs::File::open(p).unwrap();
        f.seek(SeekFrom::End(-4096)).unwrap();
        let mut t = Vec::new();
        f.read_to_end(&mut t).unwrap();
        t
    };
    let tail_before = tail(&archive);
    let mut child = Command::new(support::graphsig_bin()).args(["embed", "big.pt2"]).current_dir(&dir).spawn().unwrap();
    // Wait until the temporary copy is under way, then terminate.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let growing = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name() != "big.pt2" && e.metadata().is_ok_and(|m| m.len() > 16 << 20));
        if growing {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the write finished before it could be interrupted");
        assert!(std::time::Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status).or(status.code().map(|c| c - 128)),
        Some(libc::SIGTERM),
        "{status:?}"
    );
    assert_eq!(listing(&dir), ["big.pt2"], "a temporary file was left behind");
    let after = fs::metadata(&archive).unwrap();
    assert_eq!(
        (after.len(), after.ino(), after.mtime(), after.mtime_nsec()),
        (before.len(), before.ino(), before.mtime(), before.mtime_nsec())
    );
    assert!(tail(&archive) == tail_before, "the archive's central directory changed");
    assert_eq!(embedded_models(&archive), 0);
    fs::remove_dir_all(dir).unwrap();
}
