//! One rule for choosing a program in an archive, the same for every command; what torch
//! 2.2 and 2.3 wrote passes `validate`. Real archives, the real binary.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use support::fixtures_dir;

fn run(args: &[&str]) -> Output {
    Command::new(support::graphsig_bin()).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn multi_model_with_both_embedded() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("graphsig-models-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join("multi.pt2");
    std::fs::copy(fixtures_dir().join("pt2/multi_model.pt2"), &archive).unwrap();
    for model in ["decoder", "encoder"] {
        let out = run(&["embed", archive.to_str().unwrap(), "--model", model]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    (dir, archive)
}

#[test]
fn every_command_refuses_to_guess_among_several_programs_and_lists_them() {
    let (dir, archive) = multi_model_with_both_embedded();
    let path = archive.to_str().unwrap();
    let out_json = dir.join("out.json");
    for args in [
        vec!["inspect", path],
        vec!["diff", path, path],
        vec!["convert", path, out_json.to_str().unwrap()],
        vec!["extract", path],
        vec!["embed", path],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("the archive holds 2 models (decoder, encoder); choose one with --model"),
            "{args:?}: {err}"
        );
    }
    for model in ["decoder", "encoder"] {
        let torch = std::fs::read_to_string(fixtures_dir().join(format!("pt2/multi_model.{model}.str.txt"))).unwrap();
        for args in [vec!["inspect", path, "--model", model], vec!["extract", path, "--model", model]] {
            let out = run(&args);
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            if args[0] == "inspect" {
                assert_eq!(text(&out.stdout), torch.clone() + "\n");
            }
        }
        let out = run(&["convert", path, out_json.to_str().unwrap(), "--model", model]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = run(&["inspect", path, "--model", "nope"]);
    assert!(text(&out.stderr).contains("no model named \"nope\"; the archive holds decoder, encoder"));
    // validate is about every program.
    let out = run(&["validate", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("multi.pt2 [model decoder]: valid") && report.contains("multi.pt2 [model encoder]: valid"),
        "{report}"
    );
    // --model on something that is not an archive.
    let out = run(&["inspect", out_json.to_str().unwrap(), "--model", "decoder"]);
    assert!(text(&out.stderr).contains("can only be chosen in a .pt2 archive"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn validate_accepts_the_unnamed_constant_inputs_of_torch_22_and_23_and_says_so() {
    for version in ["2.2.2", "2.3.1"] {
        let archive = fixtures_dir().join(format!("archives/torch-{version}/consts_io.pt2"));
        let out = run(&["validate", archive.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{version}: {}", text(&out.stdout));
        let report = text(&out.stdout);
        assert!(report.contains(": valid (") && report.contains("constant inputs have no name"), "{report}");
    }
}

#[test]
fn files_that_are_not_exported_programs_are_named() {
    let dir = std::env::temp_dir().join(format!("graphsig-models-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = dir.join("weights.pt");
    std::fs::write(
        &checkpoint,
        support::hostile::zip(&[
            support::hostile::Record::stored("weights/data.pkl", b"\x80\x02}q\x00."),
            support::hostile::Record::stored("weights/version", b"3\n"),
        ]),
    )
    .unwrap();
    let out = run(&["inspect", checkpoint.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(err.contains("weights.pt: unrecognised input (a torch.save checkpoint"), "{err}");
    let out = run(&["convert", "x.json", "out.yaml"]);
    assert!(text(&out.stderr).contains("(.json, .pb, .binpb, .gsig, .bincode)"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}
