//! `graphsig validate`, `diff`, `inspect --table/--summary`, `completions` and the help
//! texts, run as a user runs them; and the README's commands being the ones CI runs.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use graph_signature::codec::{self, Format};
use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec, OutputKind, OutputSpec};
use support::fixtures_dir;

fn graphsig<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(support::graphsig_bin()).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(dir: &Path, name: &str, sig: &ExportGraphSignature) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, codec::encode(sig, Format::Json).unwrap()).unwrap();
    path
}

fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

fn no_panic(out: &Output) {
    let err = text(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn validate_exits_0_for_valid_1_for_invalid_2_for_unreadable_and_reports_every_problem() {
    let dir = scratch("validate");
    let valid = fixture("archives/torch-2.15.0/mutation.pt2");
    let out = graphsig(&["validate".as_ref(), valid.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(": valid ("), "{}", text(&out.stdout));

    // Graph-rule problems: duplicate input name, a mutation of no buffer, a token after it.
    let broken = ExportGraphSignature::new(
        vec![InputSpec::parameter("x", "w"), InputSpec::user_input(ArgumentSpec::tensor("x"))],
        vec![
            OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("m"), Some("nope")),
            OutputSpec::new(OutputKind::Token, ArgumentSpec::Token { name: "t".into() }, None),
        ],
    )
    .unwrap();
    let broken = write_json(&dir, "broken.json", &broken);
    // Spec-rule problems (a torch-written file whose signature torch refuses elsewhere).
    let losses = fixture("torch-2.15/synthetic_multiple_losses/signature.json");
    let out = graphsig(&["validate".as_ref(), valid.as_os_str(), broken.as_os_str(), losses.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    for expected in [
        "broken.json: invalid: 3 problems",
        "inputs[1]: input name \"x\" is already used by inputs[0] [duplicate-input-name]",
        "outputs[0]: BUFFER_MUTATION target \"nope\" is not the target of a BUFFER input [unknown-target]",
        "outputs[1]: TOKEN output comes after outputs[0] (BUFFER_MUTATION) [output-out-of-order]",
        "hint: give every graph input a unique node name",
        "signature.json: invalid: 1 problem",
        "outputs[1]: a second LOSS_OUTPUT (the first is outputs[0]) [multiple-loss-outputs]",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
    }

    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01garbage").unwrap();
    let out = graphsig(&["validate".as_ref(), broken.as_os_str(), garbage.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("garbage.bin: unrecognised input (it starts with"));
    assert!(text(&out.stdout).contains("broken.json: invalid"), "the other file is still reported");
    no_panic(&out);
}

#[test]
fn diff_matches_state_by_target_and_exits_like_diff() {
    let dir = scratch("diff");
    let old = ExportGraphSignature::new(
        vec![
            InputSpec::parameter("p_w", "layer.w"),
            InputSpec::buffer("b_mean", "bn.mean", true),
            InputSpec::buffer("b_old", "old", true),
            InputSpec::user_input(ArgumentSpec::tensor("x")),
        ],
        vec![
            OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("add"), Some("bn.mean")),
            OutputSpec::user_output(ArgumentSpec::tensor("y")),
        ],
    )
    .unwrap();
    let new = ExportGraphSignature::new(
        vec![
            InputSpec::buffer("b_w", "layer.w", false),
            InputSpec::buffer("b_mean", "bn.mean", false),
            InputSpec::user_input(ArgumentSpec::tensor("input")),
            InputSpec::user_input(ArgumentSpec::tensor("mask")),
        ],
        vec![
            OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("add_1"), Some("bn.mean")),
            OutputSpec::user_output(ArgumentSpec::tensor("y")),
        ],
    )
    .unwrap();
    let (a, b) = (write_json(&dir, "old.json", &old), dir.join("new.pb"));
    std::fs::write(&b, codec::encode(&new, Format::Proto).unwrap()).unwrap();

    let out = graphsig(&["diff".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "~ inputs[0] layer.w: kind PARAMETER -> BUFFER, renamed p_w -> b_w, persistent None -> False\n\
         ~ inputs[1] bn.mean: persistent True -> False\n\
         - inputs[2] b_old: BUFFER target='old' persistent=True\n\
         ~ inputs[3] -> inputs[2] user input #0: renamed x -> input\n\
         + inputs[3] mask: USER_INPUT\n\
         ~ outputs[0] bn.mean: renamed add -> add_1\n"
    );

    let out = graphsig(&["diff".as_ref(), "--json".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 6);
    assert_eq!(changes[0]["change"], "changed");
    assert_eq!(changes[0]["changes"][0], serde_json::json!({"field": "kind", "old": "PARAMETER", "new": "BUFFER"}));
    assert_eq!(changes[2]["change"], "removed");

    let same = graphsig(&["diff".as_ref(), a.as_os_str(), a.as_os_str()]);
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty());
    let trouble = graphsig(&["diff".as_ref(), a.as_os_str(), dir.join("missing.json").as_os_str()]);
    assert_eq!(trouble.status.code(), Some(2));
    assert!(text(&trouble.stderr).contains("missing.json"));
    no_panic(&trouble);
}

#[test]
fn diff_follows_a_renamed_user_input_into_its_mutation_target() {
    // torch 2.3 named user inputs arg1_1, torch 2.15 names them after the argument.
    let (old, new) = (fixture("archives/torch-2.3.1/mutation.pt2"), fixture("archives/torch-2.15.0/mutation.pt2"));
    let out = graphsig(&["diff".as_ref(), old.as_os_str(), new.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(report.contains("~ outputs[1] x: target arg1_1 -> x"), "{report}");
    assert!(!report.contains("USER_INPUT_MUTATION"), "matched, not added and removed:\n{report}");
}

#[test]
fn inspect_table_and_summary() {
    let mutations = fixture("torch-2.15/mutations/signature.json");
    let out = graphsig(&["inspect".as_ref(), "--table".as_ref(), mutations.as_os_str()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(!table.contains('\x1b'), "no colour with NO_COLOR set / not a terminal");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "inputs (5)");
    assert_eq!(lines[1], "#  name       kind        target   persistent  argument");
    assert_eq!(lines[3], "1  b_count    BUFFER      count    yes         Tensor");
    assert!(table.contains("0  mul_1  PARAMETER_MUTATION   w        Tensor"), "{table}");

    let out = graphsig(&[
        "inspect".as_ref(),
        "--summary".as_ref(),
        fixture("torch-2.15/many_params/signature.json").as_os_str(),
    ]);
    assert_eq!(
        text(&out.stdout),
        "inputs: 301 (USER_INPUT 1, PARAMETER 300)\noutputs: 1 (USER_OUTPUT 1)\nparameters and buffers by module:\n  layers.*  300 parameters in 150 modules\n"
    );
    let out = graphsig(&["inspect", "--json", "--table", "x"]);
    assert_eq!(out.status.code(), Some(2), "conflicting options are a usage error");
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef graphsig"), ("fish", "complete -c graphsig")] {
        let out = graphsig(&["completions", shell]);
        assert!(out.status.success());
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}");
        for sub in ["inspect", "validate", "diff", "convert", "embed", "extract"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    let top = text(&graphsig(&["--help"]).stdout);
    let subcommands = ["inspect", "validate", "diff", "convert", "embed", "extract", "stream", "completions"];
    for sub in subcommands {
        assert!(top.contains(sub), "top-level help lacks {sub}");
        let out = graphsig(&[sub, "--help"]);
        assert!(out.status.success(), "{sub}");
        let help = text(&out.stdout);
        assert!(
            help.contains("Example") && help.contains(&format!("graphsig {sub}")),
            "{sub} --help has no example:\n{help}"
        );
    }
}

#[test]
fn garbage_to_every_reading_subcommand_is_a_clean_error() {
    let dir = scratch("garbage");
    let garbage = dir.join("garbage.pt2");
    std::fs::write(&garbage, b"PK\x03\x04 truncated zip").unwrap();
    let g = garbage.to_str().unwrap();
    let out_path = dir.join("out.json");
    let o = out_path.to_str().unwrap();
    for args in [
        vec!["inspect", g],
        vec!["inspect", "--table", g],
        vec!["inspect", "--summary", g],
        vec!["validate", g],
        vec!["diff", g, g],
        vec!["convert", g, o],
        vec!["embed", g],
        vec!["extract", g],
        vec!["stream", g, "-"],
    ] {
        let out = graphsig(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.starts_with("graphsig: error: ") && err.contains("garbage.pt2"), "{args:?}: {err}");
        no_panic(&out);
    }
    assert!(!out_path.exists(), "convert wrote a file despite the error");
    assert_eq!(std::fs::read(&garbage).unwrap(), b"PK\x03\x04 truncated zip", "embed changed the input");
}

#[test]
fn the_readme_commands_are_the_ones_ci_runs() {
    let root = support::repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let quick_start = readme.split("## Quick start").nth(1).unwrap();
    let block = quick_start.split("```sh").nth(1).unwrap().split("```").next().unwrap();
    let commands: Vec<&str> =
        block.lines().map(|l| l.split('#').next().unwrap().trim()).filter(|l| !l.is_empty()).collect();
    assert_eq!(commands.len(), 2, "the quick start is two commands: {commands:?}");
    for command in commands {
        let command =
            command.replace("cargo run -q", "cargo run -q --locked").replace("cargo test", "cargo test --locked");
        assert!(ci.contains(&command), "CI does not run the README's `{command}`");
    }
}
