//! Test support: reading the neutral `specs.json` fixture form that the fixture generators
//! write from torch's in-memory Python objects (independent of every codec under test).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use graph_signature::{
    ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec,
};
use serde_json::Value;

pub mod hostile;

/// Every record of a zip, in central-directory order, with its data offset, read with the
/// independent `zip` crate. torch archives hold other zips as records; the archive's offset
/// is fixed so the zip crate does not go looking for its start among their end records.
pub fn zip_records(bytes: &[u8]) -> Vec<(String, Vec<u8>, u64)> {
    use std::io::Read;
    let config = zip::read::Config { archive_offset: zip::read::ArchiveOffset::Known(0) };
    let mut z = zip::ZipArchive::with_config(config, std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data, f.data_start().unwrap())
        })
        .collect()
}

/// The repository's root: the library's package folder, also from the tests of `cli/`.
pub fn repo_root() -> PathBuf {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    if package.join("Cargo.lock").exists() {
        package.to_path_buf()
    } else {
        package.parent().unwrap().to_path_buf()
    }
}

pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures")
}

pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

pub fn constant(v: &Value) -> ConstantValue {
    let (tag, body) = v.as_object().and_then(|o| o.iter().next()).unwrap_or_else(|| panic!("bad constant {v}"));
    match tag.as_str() {
        "none" => ConstantValue::None,
        "int" => ConstantValue::Int(body.as_i64().expect("int")),
        "float" => ConstantValue::Float(match body {
            Value::String(s) if s == "Infinity" => f64::INFINITY,
            Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
            Value::String(s) if s == "NaN" => f64::NAN,
            other => other.as_f64().expect("float"),
        }),
        "bool" => ConstantValue::Bool(body.as_bool().expect("bool")),
        "str" => ConstantValue::String(body.as_str().expect("str").to_owned()),
        other => panic!("unknown constant tag {other}"),
    }
}

pub fn argument(v: &Value) -> ArgumentSpec {
    let name = str_of(v, "name").to_owned();
    match str_of(v, "type") {
        "TensorArgument" => ArgumentSpec::Tensor { name },
        "SymIntArgument" => ArgumentSpec::SymInt { name },
        "SymFloatArgument" => ArgumentSpec::SymFloat { name },
        "SymBoolArgument" => ArgumentSpec::SymBool { name },
        "TokenArgument" => ArgumentSpec::Token { name },
        "CustomObjArgument" => ArgumentSpec::CustomObj { name, class_fqn: str_of(v, "class_fqn").to_owned() },
        "ConstantArgument" => ArgumentSpec::Constant { name, value: constant(&v["value"]) },
        other => panic!("unknown argument type {other}"),
    }
}

pub fn input_spec(v: &Value) -> InputSpec {
    InputSpec {
        kind: str_of(v, "kind").parse::<InputKind>().unwrap(),
        arg: argument(&v["arg"]),
        target: opt_str(&v["target"]),
        persistent: v["persistent"].as_bool(),
    }
}

pub fn output_spec(v: &Value) -> OutputSpec {
    OutputSpec {
        kind: str_of(v, "kind").parse::<OutputKind>().unwrap(),
        arg: argument(&v["arg"]),
        target: opt_str(&v["target"]),
    }
}

pub fn specs(v: &Value) -> (Vec<InputSpec>, Vec<OutputSpec>) {
    let list = |key: &str| v[key].as_array().unwrap_or_else(|| panic!("{key} missing")).clone();
    (list("input_specs").iter().map(input_spec).collect(), list("output_specs").iter().map(output_spec).collect())
}

pub fn signature(v: &Value) -> ExportGraphSignature {
    let (i, o) = specs(v);
    ExportGraphSignature::new(i, o).expect("fixture specs are valid")
}

/// Every fixture folder under `dir`, sorted.
pub fn fixture_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every `.pt2` written by a real torch under `tests/fixtures/archives/torch-*/`, sorted.
pub fn torch_archives() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fixture_dirs(&fixtures_dir().join("archives"))
        .into_iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pt2"))
        .collect();
    found.sort();
    found
}

/// The `graphsig` binary: cargo builds it for the tests of its own package (`cli/`).
/// `GRAPHSIG_TEST_BIN` runs the tests against another build (e.g. an older release, to see
/// which of them it fails).
// The module is shared with the library's tests, where cargo defines no binary: `env!`
// would not compile there.
#[allow(clippy::option_env_unwrap)]
pub fn graphsig_bin() -> String {
    std::env::var("GRAPHSIG_TEST_BIN").unwrap_or_else(|_| {
        option_env!("CARGO_BIN_EXE_graphsig")
            .expect("the graphsig binary is known to the cli package's tests only")
            .to_owned()
    })
}

/// Runs the `graphsig` binary with `args` and `stdin` (RUST_BACKTRACE set, so a panic
/// would show itself in stderr).
pub fn graphsig(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(graphsig_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "1")
        .spawn()
        .expect("graphsig runs");
    let mut input = child.stdin.take().unwrap();
    // The child may refuse before reading (a bad option): a closed pipe is fine.
    if let Err(e) = input.write_all(stdin.unwrap_or_default()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(input);
    child.wait_with_output().unwrap()
}
