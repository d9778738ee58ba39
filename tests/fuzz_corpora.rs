//! Memory safety of the public surface without a nightly toolchain or cargo-fuzz: every file
//! of every fuzz corpus committed under `fuzz/` (the seeds `scripts/fuzz_seeds.py` builds
//! from the fixtures, and the regression files of the bugs fuzzing found) is replayed
//! through the check of its target, the same function the fuzz target runs
//! (`fuzz/src/lib.rs`). Each must give a typed result: accepted, or refused with an error,
//! never a panic, and never a difference between a fast reader and its precise reader.

use std::path::{Path, PathBuf};

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when the folder does not exist).
fn corpus(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Replays the seeds and regression files of `target`; fails naming every file that
/// panicked, and when no seed is accepted (a seed corpus of refusals tests little).
fn replay(target: &str) {
    let check = checks::check(target).unwrap_or_else(|| panic!("no check named {target}"));
    let seeds = corpus("seeds", target);
    let regressions = corpus("regressions", target);
    assert!(!seeds.is_empty(), "fuzz/seeds/{target}/ is empty: run python3 scripts/fuzz_seeds.py");
    let mut failed = Vec::new();
    let mut accepted = 0;
    for file in seeds.iter().chain(&regressions) {
        let bytes = std::fs::read(file).unwrap();
        match std::panic::catch_unwind(|| check(&bytes)) {
            Ok(true) if seeds.contains(file) => accepted += 1,
            Ok(_) => {}
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failed.push(format!("{}: {message}", file.strip_prefix(fuzz_dir()).unwrap().display()));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} files failed:\n{}",
        failed.len(),
        seeds.len() + regressions.len(),
        failed.join("\n")
    );
    assert!(accepted > 0, "none of the {} seeds of {target} is accepted by its reader", seeds.len());
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        /// Every target has a test above, and every corpus folder a target.
        #[test]
        fn every_target_and_every_corpus_is_replayed() {
            let tested = [$(stringify!($target)),*];
            let targets: Vec<&str> = checks::TARGETS.iter().map(|(name, _)| *name).collect();
            assert_eq!(tested.to_vec(), targets, "the replay tests and the fuzz targets of fuzz/src/lib.rs");
            for kind in ["seeds", "regressions"] {
                let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) else { continue };
                for entry in entries {
                    let name = entry.unwrap().file_name().into_string().unwrap();
                    assert!(targets.contains(&name.as_str()), "fuzz/{kind}/{name}/ belongs to no target of fuzz/src/lib.rs");
                }
            }
        }
    };
}

replay_tests!(
    decode_any,
    codec_json,
    codec_fbs,
    codec_bincode,
    proto,
    framed,
    torch_json,
    map_json,
    pickle,
    pt2,
    archive_map,
    safetensors,
    embed,
    scan,
);
