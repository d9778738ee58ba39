//! `graphsig embed`, `inspect` and `extract` on real archives, as a user runs them.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;

use graph_signature::archive::pt2;
use graph_signature::codec::{self, Format};
use support::fixtures_dir;

fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-embed-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn graphsig(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(support::graphsig_bin()).args(args).output().unwrap()
}

#[test]
fn inspect_prefers_the_embedded_signature_and_extract_writes_it() {
    let dir = scratch_dir("prefer");
    let target = fixtures_dir().join("archives/torch-2.15.0/linear.pt2");
    let other = fixtures_dir().join("archives/torch-2.15.0/buffers.pt2");
    let out = dir.join("linear.pt2");
    let embed_other = |force: bool| {
        let mut args = vec![
            "embed".as_ref(),
            target.as_os_str(),
            "--signature".as_ref(),
            other.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ];
        if force {
            args.push("--force".as_ref());
        }
        graphsig(&args)
    };
    // Another program's signature does not match this graph: refused, nothing written.
    let run = embed_other(false);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("does not match the program") && err.contains("--force"), "{err}");
    assert!(!out.exists());
    let run = embed_other(true);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let inspected = graphsig(&["inspect".as_ref(), out.as_os_str()]);
    let of_other = graphsig(&["inspect".as_ref(), other.as_os_str()]);
    assert_eq!(inspected.stdout, of_other.stdout, "inspect reads the embedded signature");

    let pb = dir.join("sig.pb");
    let run = graphsig(&[
        "extract".as_ref(),
        out.as_os_str(),
        "--to".as_ref(),
        "proto".as_ref(),
        "-o".as_ref(),
        pb.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let sig = codec::decode(&std::fs::read(&pb).unwrap(), Format::Proto).unwrap();
    assert_eq!(sig, pt2::read_path(&other).unwrap()[0].signature);

    // Embedding again replaces the record (the archive's own signature this time).
    let run = graphsig(&["embed".as_ref(), out.as_os_str()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let inspected = graphsig(&["inspect".as_ref(), out.as_os_str()]);
    assert_eq!(inspected.stdout, graphsig(&["inspect".as_ref(), target.as_os_str()]).stdout);
    assert_eq!(pt2::read_embedded(std::fs::File::open(&out).unwrap()).unwrap().len(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn extract_without_an_embedded_signature_says_how_to_add_one() {
    let archive = fixtures_dir().join("archives/torch-2.15.0/linear.pt2");
    let run = graphsig(&["extract".as_ref(), archive.as_os_str()]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("no embedded signature") && err.contains("graphsig embed"), "{err}");
}
