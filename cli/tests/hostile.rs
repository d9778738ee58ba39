//! Hostile files given to the real binary: each fails fast, with a short message, in
//! bounded memory. Peak memory is the children's maximum resident size (`getrusage`), so
//! this test binary runs its cases one after the other in one test.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::hostile;

/// The most memory any case may take (the binary itself takes a few MB).
const MAX_RSS_BYTES: i64 = 400 << 20;
/// The longest any case may take, on a slow shared machine.
const MAX_SECONDS: u64 = 30;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs graphsig, killing it past the time limit.
fn run(args: &[&str], dir: &Path) -> Output {
    let mut child = Command::new(support::graphsig_bin())
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(MAX_SECONDS) {
            child.kill().unwrap();
            panic!("{args:?} ran for more than {MAX_SECONDS} s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// The largest resident size of any child waited for so far.
fn children_peak_rss() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) }, 0);
    usage.ru_maxrss * 1024
}

fn refused_briefly(what: &str, out: &Output, words: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: exit {:?}, stderr {}", out.status, &err[..err.len().min(500)]);
    assert!(err.len() < 1000, "{what}: a {}-byte error message", err.len());
    for w in words {
        assert!(err.contains(w), "{what}: the error does not say {w:?}: {err}");
    }
    let rss = children_peak_rss();
    assert!(rss < MAX_RSS_BYTES, "{what}: peak memory of the children so far {} MB", rss >> 20);
}

#[test]
fn hostile_files_fail_fast_with_short_messages_in_bounded_memory() {
    let dir = scratch();
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).unwrap();
    };

    // A DEFLATE record declaring 1 KiB that inflates to 1 GiB.
    write("bomb.pt2", &hostile::pt2_with_deflate_bomb(hostile::deflate_bomb(1024), 1024));
    refused_briefly(
        "deflate bomb",
        &run(&["inspect", "bomb.pt2"], &dir),
        &["m/models/model.json", "inflates to more than the 1024 bytes"],
    );

    // Endless input: a device and a pipe.
    refused_briefly("/dev/zero", &run(&["inspect", "/dev/zero"], &dir), &["unrecognised input", "bytes 00 00"]);
    let fifo = dir.join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || {
            use std::io::Write;
            let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let chunk = vec![0xAAu8; 1 << 16];
            // Until the reader gives up (a broken pipe).
            while pipe.write_all(&chunk).is_ok() {}
        }
    });
    refused_briefly("a FIFO of garbage", &run(&["inspect", "fifo"], &dir), &["unrecognised input", "bytes aa aa"]);
    writer.join().unwrap();

    // A protobuf document of 10 million empty specs (20 MB).
    write("empty-specs.pb", &hostile::proto_of_empty_specs(10_000_000));
    refused_briefly(
        "empty specs",
        &run(&["inspect", "empty-specs.pb"], &dir),
        &["number of specs", "over the limit of 4000000"],
    );

    // A FlatBuffer whose 20,000 specs share one 10 KB name: 200 MB of text from a 90 KB
    // buffer, within the verifier's 256 MiB apparent size.
    write("shared.gsig", &hostile::fbs_of_shared_names(20_000, 10_000));
    refused_briefly("shared strings", &run(&["inspect", "shared.gsig"], &dir), &["strings shared between specs"]);

    // A safetensors header of ~99 MB: 1.6 million tensor entries, no signature.
    let file = hostile::safetensors_of_empty_tensors(99_000_000);
    write("huge-header.safetensors", &file);
    refused_briefly("huge header", &run(&["inspect", "huge-header.safetensors"], &dir), &["no embedded signature"]);
    drop(file);

    // Embedding that would grow a header past the 100 MB safetensors readers accept.
    write("full.safetensors", &hostile::safetensors_with_metadata_of(99_999_000));
    let before = std::fs::read(dir.join("full.safetensors")).unwrap();
    let sig = support::repo_root().join("examples/batchnorm.model.json");
    let out = run(&["embed", "full.safetensors", "--signature", sig.to_str().unwrap()], &dir);
    refused_briefly("header over 100 MB", &out, &["too large for safetensors", "100000000"]);
    assert!(std::fs::read(dir.join("full.safetensors")).unwrap() == before, "the refused embed changed the file");

    // torch <= 2.6 JSON with a bare NaN: read, not "unrecognised".
    write("nan.json", hostile::NAN_SIGNATURE_JSON);
    let out = run(&["inspect", "nan.json"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("eps: USER_INPUT"));

    let mut left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert!(left.iter().all(|n| !n.to_string_lossy().contains(".tmp")), "temporary files left: {left:?}");
    std::fs::remove_dir_all(dir).unwrap();
}
