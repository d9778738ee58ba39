//! torch's own signature JSON, as `torch._export.serde` writes it at
//! `graph_module.signature` of an exported program, for every schema torch has released:
//! the integer schemas 1 (torch 2.1) and 2 (torch 2.2), 5.x (2.3, 2.4), 7.x (2.5) and 8.x
//! (2.6 to 2.15).
//!
//! Input may be the signature object alone (`{"input_specs": [...], "output_specs": [...]}`)
//! or a whole exported-program JSON (`models/<name>.json` of a `.pt2` archive, or
//! `serialized_exported_program.json` of the legacy zip), whose `schema_version` is then
//! checked and reported.
//!
//! Reading follows torch's own reader: a union is an object with one member; unknown
//! struct keys are ignored; floats may be numbers or the strings `"Infinity"`,
//! `"-Infinity"`, `"NaN"`; an unknown union tag is an error that names it. Every error
//! carries the path of the offending value, e.g. `input_specs[3].buffer.persistent`.
//!
//! What older torch wrote is read too:
//!
//! | quirk | written by | read as |
//! |---|---|---|
//! | a union as an object with *every* member, all but one `null` | torch 2.2 (`dataclasses.asdict`) | the non-null member |
//! | `schema_version` as a bare integer (`2`) | torch 2.2 | version `2.0` |
//! | a BUFFER without `persistent` | torch 2.2 (no such field) | `persistent = true`: every buffer of a 2.2 program is in its `state_dict` (torch ≤ 2.4 set it so itself) |
//! | `"as_none": []` | torch ≤ 2.5 | `None` |
//! | `{"as_int": true}` for a bool constant input | torch 2.4, 2.5 (`isinstance(v, int)` checked first) | `Bool(true)`, the value the program had (torch's own reader turns it into `1`) |
//! | bare `Infinity`, `-Infinity`, `NaN` tokens (not JSON) | torch ≤ 2.6 | the float |
//! | a constant `user_input` (no `constant_input` yet) | torch 2.2, 2.3 | a USER_INPUT with a constant argument |
//! | a dict-style signature (`inputs_to_parameters`, `inputs_to_buffers`, `user_inputs`, `user_outputs`, `buffers_to_mutate`, `backward_signature`), no specs | torch 2.1 (schema 1) | specs rebuilt in the order of the program's `graph_module.graph.inputs`/`outputs`, each classified from the dicts as torch 2.2's `_sig_to_specs` did (the first `len(buffers_to_mutate)` outputs are the mutations); a name a dict gives that the graph lacks is an error. A bare 2.1 signature, without its graph, is refused: only the graph knows the order |
//! | `schema_version` `1` (a bare integer) | torch 2.1 | version `1.0` |
//! | no `parameters`, `buffers`, `assertion_dep_token` members | torch 2.1 (its reader derives the first two from the maps) | the accessors answer from the specs, as torch 2.1 answers from the maps; `assertion_dep_token` is `None`, as torch 2.1 had it for every program it exported |
//! | a BUFFER with no `persistent` anywhere | torch 2.1 | `persistent = true`: torch 2.1's state dict holds every lifted buffer, non-persistent ones included (checked on the fixtures), as torch 2.2 to 2.4 set it |
//! | a lifted constant tensor among `inputs_to_buffers` (target the graph attribute, e.g. `L__self___c`) | torch 2.1 (no CONSTANT_TENSOR yet; 2.2 did the same) | a BUFFER with that target, not a CONSTANT_TENSOR: the kind and name torch 2.1 gave it, since nothing in the file says it was a constant |
//! | targets named after the traced graph's attributes (`L__self___lin.weight`, not `lin.weight`) | torch 2.1 | kept as written: they are torch 2.1's own accessors' answers |
//!
//! ```
//! use graph_signature::codec::torch_json;
//! let json = br#"{"input_specs": [{"parameter": {"arg": {"name": "p_w"}, "parameter_name": "w"}},
//!                 {"user_input": {"arg": {"as_tensor": {"name": "x"}}}}],
//!                 "output_specs": [{"user_output": {"arg": {"as_tensor": {"name": "mm"}}}}]}"#;
//! let read = torch_json::decode(json)?;
//! assert_eq!(read.signature.parameters(), ["w"]);
//! assert_eq!(read.schema_version, None); // a bare signature carries no version
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::fmt;

use serde_json::{Map, Value};

use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};
use crate::Error;

/// The fixed text of a lifted spec around its name and target, as torch spaces it:
/// `{"<tag>": {"arg": {"name": ` and `}, "<target_key>": `. The writer copies each in one
/// piece; the byte scanner compares each in one piece (so what we write is what it reads
/// fastest).
macro_rules! lifted_keys {
    ($tag:literal, $target_key:literal) => {
        (concat!("{\"", $tag, "\": {\"arg\": {\"name\": "), concat!("}, \"", $target_key, "\": "))
    };
}

pub(crate) mod fast;
pub(crate) mod scan;
mod strict;
mod swar;
mod v1;
mod write;
pub use write::{encode, TorchTarget, WriteOptions};

const FORMAT: &str = "torch-json";

/// The torch schema majors this reader understands: 1 and 2 (torch 2.1's and 2.2's integer
/// versions), 5 (2.3, 2.4), 7 (2.5), 8 (2.6 to 2.15). torch released no others.
pub const SUPPORTED_MAJORS: &[u64] = &[1, 2, 5, 7, 8];
const SUPPORTED: &str = "1, 2, 5.x, 7.x and 8.x";

/// torch's `SchemaVersion` of an exported program, e.g. 8.20 for torch 2.12 to 2.15
/// (torch 2.2 wrote a bare integer, `2`, read as 2.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TorchSchemaVersion {
    /// Major version: bumped when a field is removed or added without default.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
}

impl fmt::Display for TorchSchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A signature read from torch JSON, with the schema version when the document has one.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchSignature {
    /// The signature.
    pub signature: ExportGraphSignature,
    /// The exported program's `schema_version`; `None` for a bare signature object.
    pub schema_version: Option<TorchSchemaVersion>,
}

/// Reads a signature object or a whole exported-program JSON.
pub fn decode(bytes: &[u8]) -> Result<TorchSignature, Error> {
    // The fast tiers (a byte scanner, then a typed serde pass) read what torch 2.3+ writes in
    // one pass; everything else (older quirks, errors) is read by the full reader below,
    // which names the path of any error.
    match fast::decode(bytes) {
        Some(read) => Ok(read),
        None => decode_full(bytes),
    }
}

/// The full reader: every quirk, every error with its field path.
pub(crate) fn decode_full(bytes: &[u8]) -> Result<TorchSignature, Error> {
    let quoted = quote_bare_non_finite(bytes);
    let bytes = quoted.as_deref().unwrap_or(bytes);
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| Error::decode(FORMAT, "", e.to_string()))?;
    let root = Path::Root;
    let obj = as_object(&doc, root)?;
    if let Some(gm) = obj.get("graph_module") {
        let version_path = Path::Field(&root, "schema_version");
        let version = match obj.get("schema_version") {
            Some(v) => schema_version(v, version_path)?,
            None => return Err(Error::decode(FORMAT, version_path, "missing field")),
        };
        if !SUPPORTED_MAJORS.contains(&version.major) {
            return Err(Error::UnsupportedVersion { format: FORMAT, found: version.to_string(), supported: SUPPORTED });
        }
        let gm_path = Path::Field(&root, "graph_module");
        let gm = as_object(gm, gm_path)?;
        if version.major == 1 {
            return Ok(TorchSignature { signature: v1::signature(gm, gm_path)?, schema_version: Some(version) });
        }
        let sig_path = Path::Field(&gm_path, "signature");
        let sig = field(gm, "signature", gm_path)?;
        let signature = signature(sig, sig_path, version.major < 5)?;
        Ok(TorchSignature { signature, schema_version: Some(version) })
    } else if obj.contains_key("input_specs") {
        // A bare signature carries no version: torch 2.2's is recognised by its unions,
        // written with every member.
        let legacy = is_all_members_encoding(obj);
        Ok(TorchSignature { signature: signature(&doc, root, legacy)?, schema_version: None })
    } else if V1_SIGNATURE_KEYS.iter().any(|k| obj.contains_key(*k)) {
        // torch 2.1's dict-style signature alone says nothing of the graph's order.
        Err(Error::decode(
            FORMAT,
            "",
            "a torch 2.1 (schema 1) dict-style signature without its program: the order of the graph's inputs \
             and outputs is only in the program (graph_module.graph); read the whole \
             serialized_exported_program.json or the .pt2",
        ))
    } else {
        Err(Error::decode(
            FORMAT,
            "",
            "neither a signature (no \"input_specs\") nor an exported program (no \"graph_module\")",
        ))
    }
}

/// The members of torch 2.1's dict-style `GraphSignature` (schema 1).
const V1_SIGNATURE_KEYS: &[&str] = &["inputs_to_parameters", "inputs_to_buffers", "user_inputs", "buffers_to_mutate"];

/// A lazily formatted field path, so the happy path allocates nothing for it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, v: &Value, path: Path<'_>) -> Error {
    Error::decode(FORMAT, path, format!("expected {what}, found {}", json_type(v)))
}

fn as_object<'v>(v: &'v Value, path: Path<'_>) -> Result<&'v Map<String, Value>, Error> {
    v.as_object().ok_or_else(|| expected("an object", v, path))
}

fn field<'v>(obj: &'v Map<String, Value>, name: &str, path: Path<'_>) -> Result<&'v Value, Error> {
    obj.get(name).ok_or_else(|| Error::decode(FORMAT, path, format!("missing field \"{name}\"")))
}

fn string_field(obj: &Map<String, Value>, name: &str, path: Path<'_>) -> Result<String, Error> {
    let v = field(obj, name, path)?;
    v.as_str().map(str::to_owned).ok_or_else(|| expected("a string", v, Path::Field(&path, name)))
}

fn schema_version(v: &Value, path: Path<'_>) -> Result<TorchSchemaVersion, Error> {
    if let Some(major) = v.as_u64() {
        return Ok(TorchSchemaVersion { major, minor: 0 });
    }
    let obj = as_object(v, path)?;
    let num = |name: &str| {
        let v = field(obj, name, path)?;
        v.as_u64().ok_or_else(|| expected("a non-negative integer", v, Path::Field(&path, name)))
    };
    Ok(TorchSchemaVersion { major: num("major")?, minor: num("minor")? })
}

/// A union: an object with exactly one member, or (torch 2.2) with every member and all
/// but one `null`; returns the tag and value of the one.
fn union<'v>(v: &'v Value, path: Path<'_>) -> Result<(&'v str, &'v Value), Error> {
    let obj = as_object(v, path)?;
    let mut members = obj.iter().filter(|(_, value)| !value.is_null());
    match (members.next(), members.next()) {
        (Some((tag, value)), None) => Ok((tag, value)),
        (None, _) => Err(Error::decode(FORMAT, path, "expected a union (an object with 1 member), found none set")),
        (Some((a, _)), Some((b, _))) => Err(Error::decode(
            FORMAT,
            path,
            format!("expected a union (an object with 1 member), found several set: \"{a}\", \"{b}\""),
        )),
    }
}

/// Whether a signature's specs are unions written with every member (torch 2.2).
fn is_all_members_encoding(sig: &Map<String, Value>) -> bool {
    ["input_specs", "output_specs"].iter().any(|key| {
        let first = sig.get(*key).and_then(Value::as_array).and_then(|l| l.first());
        first.and_then(Value::as_object).is_some_and(|o| o.len() > 1 && o.values().any(Value::is_null))
    })
}

/// torch ≤ 2.6 wrote non-finite floats as the bare tokens `Infinity`, `-Infinity` and
/// `NaN`, which are not JSON; quotes them (outside strings) so they read like the
/// `"Infinity"` strings later versions write. `None` when there is none.
pub(crate) fn quote_bare_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    const TOKENS: [&[u8]; 3] = [b"-Infinity", b"Infinity", b"NaN"];
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied, mut in_string) = (0, 0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if let Some(token) = TOKENS.iter().find(|t| bytes[i..].starts_with(t)) {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
            buf.extend_from_slice(&bytes[copied..i]);
            buf.push(b'"');
            buf.extend_from_slice(token);
            buf.push(b'"');
            i += token.len();
            copied = i;
            continue;
        }
        i += 1;
    }
    let mut out = out?;
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

fn list<'v>(obj: &'v Map<String, Value>, name: &str, path: Path<'_>) -> Result<&'v [Value], Error> {
    let v = field(obj, name, path)?;
    v.as_array().map(Vec::as_slice).ok_or_else(|| expected("an array", v, Path::Field(&path, name)))
}

/// `legacy`: written by torch 2.2, whose BUFFER specs have no `persistent`.
fn signature(v: &Value, path: Path<'_>, legacy: bool) -> Result<ExportGraphSignature, Error> {
    let obj = as_object(v, path)?;
    let in_path = Path::Field(&path, "input_specs");
    let out_path = Path::Field(&path, "output_specs");
    let inputs = list(obj, "input_specs", path)?
        .iter()
        .enumerate()
        .map(|(i, s)| input_spec(s, Path::Index(&in_path, i), legacy))
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = list(obj, "output_specs", path)?
        .iter()
        .enumerate()
        .map(|(i, s)| output_spec(s, Path::Index(&out_path, i)))
        .collect::<Result<Vec<_>, _>>()?;
    ExportGraphSignature::new(inputs, outputs)
}

/// A bare `TensorArgument` / `TokenArgument`: `{"name": ...}`.
fn named(v: &Value, path: Path<'_>) -> Result<String, Error> {
    string_field(as_object(v, path)?, "name", path)
}

fn input_spec(v: &Value, path: Path<'_>, legacy: bool) -> Result<InputSpec, Error> {
    let (tag, body) = union(v, path)?;
    let path = Path::Field(&path, tag);
    let obj = as_object(body, path)?;
    let arg_path = Path::Field(&path, "arg");
    let lifted = |kind, target_field: &str| -> Result<InputSpec, Error> {
        Ok(InputSpec {
            kind,
            arg: ArgumentSpec::Tensor { name: named(field(obj, "arg", path)?, arg_path)? },
            target: Some(string_field(obj, target_field, path)?),
            persistent: None,
        })
    };
    Ok(match tag {
        "user_input" => InputSpec::user_input(argument(field(obj, "arg", path)?, arg_path)?),
        "parameter" => lifted(InputKind::Parameter, "parameter_name")?,
        "buffer" => {
            let persistent = match obj.get("persistent") {
                None if legacy => true,
                None => return Err(Error::decode(FORMAT, path, "missing field \"persistent\"")),
                Some(p) => p.as_bool().ok_or_else(|| expected("a boolean", p, Path::Field(&path, "persistent")))?,
            };
            InputSpec { persistent: Some(persistent), ..lifted(InputKind::Buffer, "buffer_name")? }
        }
        "tensor_constant" => lifted(InputKind::ConstantTensor, "tensor_constant_name")?,
        "custom_obj" => {
            let arg = as_object(field(obj, "arg", path)?, arg_path)?;
            InputSpec {
                kind: InputKind::CustomObj,
                arg: ArgumentSpec::CustomObj {
                    name: string_field(arg, "name", arg_path)?,
                    class_fqn: string_field(arg, "class_fqn", arg_path)?,
                },
                target: Some(string_field(obj, "custom_obj_name", path)?),
                persistent: None,
            }
        }
        "token" => InputSpec {
            kind: InputKind::Token,
            arg: ArgumentSpec::Token { name: named(field(obj, "arg", path)?, arg_path)? },
            target: None,
            persistent: None,
        },
        "constant_input" => {
            let value = constant_value(field(obj, "value", path)?, Path::Field(&path, "value"))?;
            InputSpec::user_input(ArgumentSpec::Constant { name: string_field(obj, "name", path)?, value })
        }
        other => return Err(unknown_tag("InputSpec", other, path)),
    })
}

fn output_spec(v: &Value, path: Path<'_>) -> Result<OutputSpec, Error> {
    let (tag, body) = union(v, path)?;
    let path = Path::Field(&path, tag);
    let obj = as_object(body, path)?;
    let arg_path = Path::Field(&path, "arg");
    let tensor = || -> Result<ArgumentSpec, Error> {
        Ok(ArgumentSpec::Tensor { name: named(field(obj, "arg", path)?, arg_path)? })
    };
    let with_target = |kind, target_field: &str| -> Result<OutputSpec, Error> {
        Ok(OutputSpec { kind, arg: tensor()?, target: Some(string_field(obj, target_field, path)?) })
    };
    Ok(match tag {
        "user_output" => OutputSpec::user_output(argument(field(obj, "arg", path)?, arg_path)?),
        "loss_output" => OutputSpec { kind: OutputKind::LossOutput, arg: tensor()?, target: None },
        "buffer_mutation" => with_target(OutputKind::BufferMutation, "buffer_name")?,
        "parameter_mutation" => with_target(OutputKind::ParameterMutation, "parameter_name")?,
        "gradient_to_parameter" => with_target(OutputKind::GradientToParameter, "parameter_name")?,
        "gradient_to_user_input" => with_target(OutputKind::GradientToUserInput, "user_input_name")?,
        "user_input_mutation" => with_target(OutputKind::UserInputMutation, "user_input_name")?,
        "token" => OutputSpec {
            kind: OutputKind::Token,
            arg: ArgumentSpec::Token { name: named(field(obj, "arg", path)?, arg_path)? },
            target: None,
        },
        other => return Err(unknown_tag("OutputSpec", other, path)),
    })
}

fn unknown_tag(union: &str, tag: &str, path: Path<'_>) -> Error {
    Error::decode(FORMAT, path, format!("unknown {union} member \"{tag}\""))
}

/// The `Argument` union of a user input or output.
fn argument(v: &Value, path: Path<'_>) -> Result<ArgumentSpec, Error> {
    let (tag, body) = union(v, path)?;
    let inner = Path::Field(&path, tag);
    // `as_sym_*` hold a union of a symbol name or a literal; only names are written for
    // signature arguments.
    let sym_name = |literal_tag: &str| -> Result<String, Error> {
        let (sym_tag, sym) = union(body, inner)?;
        match sym_tag {
            "as_name" => {
                sym.as_str().map(str::to_owned).ok_or_else(|| expected("a string", sym, Path::Field(&inner, "as_name")))
            }
            t if t == literal_tag => Err(Error::decode(
                FORMAT,
                Path::Field(&inner, t),
                "a literal symbolic value is not a graph argument; expected \"as_name\"",
            )),
            other => Err(unknown_tag(tag, other, inner)),
        }
    };
    let constant = |value| ArgumentSpec::Constant { name: String::new(), value };
    Ok(match tag {
        "as_tensor" => ArgumentSpec::Tensor { name: named(body, inner)? },
        "as_sym_int" => ArgumentSpec::SymInt { name: sym_name("as_int")? },
        "as_sym_float" => ArgumentSpec::SymFloat { name: sym_name("as_float")? },
        "as_sym_bool" => ArgumentSpec::SymBool { name: sym_name("as_bool")? },
        "as_custom_obj" => {
            let obj = as_object(body, inner)?;
            ArgumentSpec::CustomObj {
                name: string_field(obj, "name", inner)?,
                class_fqn: string_field(obj, "class_fqn", inner)?,
            }
        }
        "as_none" => constant(none(body, inner)?),
        "as_int" => constant(int_or_bool(body, inner)?),
        "as_float" => constant(ConstantValue::Float(float(body, inner)?)),
        "as_string" => constant(ConstantValue::String(string(body, inner)?)),
        "as_bool" => constant(ConstantValue::Bool(boolean(body, inner)?)),
        other => {
            return Err(Error::decode(
                FORMAT,
                inner,
                format!(
                "Argument member \"{other}\" cannot be a signature input or output (the model has no such argument)"
            ),
            ))
        }
    })
}

/// The `ConstantValue` union of a `constant_input`.
fn constant_value(v: &Value, path: Path<'_>) -> Result<ConstantValue, Error> {
    let (tag, body) = union(v, path)?;
    let inner = Path::Field(&path, tag);
    Ok(match tag {
        "as_none" => none(body, inner)?,
        "as_int" => int_or_bool(body, inner)?,
        "as_float" => ConstantValue::Float(float(body, inner)?),
        "as_string" => ConstantValue::String(string(body, inner)?),
        "as_bool" => ConstantValue::Bool(boolean(body, inner)?),
        other => return Err(unknown_tag("ConstantValue", other, path)),
    })
}

/// `as_none` is `true` (torch 2.6+) or `[]` (torch ≤ 2.5).
fn none(v: &Value, path: Path<'_>) -> Result<ConstantValue, Error> {
    match v {
        Value::Bool(true) => Ok(ConstantValue::None),
        Value::Array(a) if a.is_empty() => Ok(ConstantValue::None),
        other => Err(expected("true or []", other, path)),
    }
}

/// An `as_int`, or the bool torch 2.4 and 2.5 wrote under `as_int`.
fn int_or_bool(v: &Value, path: Path<'_>) -> Result<ConstantValue, Error> {
    match v {
        Value::Bool(b) => Ok(ConstantValue::Bool(*b)),
        other => int(other, path).map(ConstantValue::Int),
    }
}

fn int(v: &Value, path: Path<'_>) -> Result<i64, Error> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            Error::decode(FORMAT, path, format!("integer {n} does not fit in 64 bits or is not an integer"))
        }),
        other => Err(expected("an integer", other, path)),
    }
}

fn float(v: &Value, path: Path<'_>) -> Result<f64, Error> {
    match v {
        // torch reads floats with Python's float(), which also takes integers.
        Value::Number(n) => n.as_f64().ok_or_else(|| Error::decode(FORMAT, path, format!("{n} is not a float"))),
        Value::String(s) => match s.as_str() {
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            other => Err(Error::decode(FORMAT, path, format!("expected a float, found the string {other:?}"))),
        },
        other => Err(expected("a float", other, path)),
    }
}

fn string(v: &Value, path: Path<'_>) -> Result<String, Error> {
    v.as_str().map(str::to_owned).ok_or_else(|| expected("a string", v, path))
}

fn boolean(v: &Value, path: Path<'_>) -> Result<bool, Error> {
    v.as_bool().ok_or_else(|| expected("a boolean", v, path))
}

/// Every file under `tests/fixtures` whose path `keep` accepts (the tests of the readers'
/// tiers walk the same tree).
#[cfg(test)]
pub(crate) fn fixture_files(keep: impl Fn(&std::path::Path) -> bool) -> Vec<std::path::PathBuf> {
    let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                files.push(path);
            }
        }
    }
    files
}

/// A torch JSON file of the fixtures: a bare signature or a whole program.
#[cfg(test)]
pub(crate) fn is_torch_json_fixture(path: &std::path::Path) -> bool {
    path.file_name().is_some_and(|n| n == "signature.json" || n == "model.json")
}
