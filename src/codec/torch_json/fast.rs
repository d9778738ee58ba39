//! The typed fast path of the torch-JSON reader: one streaming pass of serde_json straight
//! into the model, no `Value` tree. It is the second of three tiers: it reads what the byte
//! scanner ([`super::scan`]) gave way on (escapes in names, float constants, ...).
//!
//! It accepts only what torch 2.3+ writes in the common form: every union an object with
//! exactly one member, every struct an object (never an array), no duplicate struct keys,
//! every BUFFER with its `persistent`, a supported schema version. Anything else (older
//! quirks, bare `Infinity` tokens, every malformed input) makes it give up, and
//! [`super::decode`] reads the bytes again with the `Value`-based reader, which knows every
//! quirk and names the field path of every error. So the fast path decides nothing on its
//! own: when it succeeds, it returns what the full reader returns.

// The variants are named as torch names the union members (`as_tensor`, ...).
#![allow(clippy::enum_variant_names)]

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, value::MapAccessDeserializer, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{TorchSchemaVersion, TorchSignature, SUPPORTED_MAJORS};
use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};

/// The signature, or `None` when the bytes need the full reader: the byte scanner
/// ([`super::scan`]) first, then this typed pass.
pub(crate) fn decode(bytes: &[u8]) -> Option<TorchSignature> {
    // One UTF-8 check of the whole input (a JSON text with invalid UTF-8 anywhere is refused
    // by the full reader too) lets both tiers read strings without checking each again.
    let text = std::str::from_utf8(bytes).ok()?;
    super::scan::decode(text).or_else(|| decode_typed(text))
}

/// The typed pass alone (the differential fuzz target checks each tier on its own).
pub(crate) fn decode_typed(text: &str) -> Option<TorchSignature> {
    // What this pass does not read (the graph, above all) it parses all the same, as the
    // full reader does: bytes the full reader refuses there, it refuses (`strict`).
    let mut de = serde_json::Deserializer::from_str(text);
    let root: Obj<Root> = super::strict::deserialize(&mut de).ok()?;
    de.end().ok()?;
    let root = root.0;
    let (sig, schema_version) = match root.graph_module {
        Maybe::Present(gm) => {
            let Maybe::Present(version) = root.schema_version else { return None };
            let version = version.version();
            // Schema 1 (torch 2.1) has a dict-style signature, read by the full reader only.
            if version.major == 1 || !SUPPORTED_MAJORS.contains(&version.major) {
                return None;
            }
            let Maybe::Present(sig) = gm.0.signature else { return None };
            (sig.0, Some(version))
        }
        Maybe::Absent => match (root.input_specs, root.output_specs) {
            (Maybe::Present(input_specs), Maybe::Present(output_specs)) => (Sig { input_specs, output_specs }, None),
            _ => return None,
        },
    };
    let inputs = sig.input_specs.into_iter().map(|s| s.0).collect();
    let outputs = sig.output_specs.into_iter().map(|s| s.0).collect();
    let signature = ExportGraphSignature::new(inputs, outputs).ok()?;
    Some(TorchSignature { signature, schema_version })
}

/// A member that may be absent but, when present, must be a `T` (`null` is not absent).
#[derive(Default)]
enum Maybe<T> {
    #[default]
    Absent,
    Present(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Self::Present)
    }
}

/// A struct that must be a JSON object (derived structs would also take an array).
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(Obj)
    }
}

#[derive(Deserialize)]
struct Root {
    #[serde(default)]
    graph_module: Maybe<Obj<GraphModule>>,
    #[serde(default)]
    schema_version: Maybe<Version>,
    #[serde(default)]
    input_specs: Maybe<Vec<In>>,
    #[serde(default)]
    output_specs: Maybe<Vec<Out>>,
}

#[derive(Deserialize)]
struct GraphModule {
    #[serde(default)]
    signature: Maybe<Obj<Sig>>,
}

#[derive(Deserialize)]
struct Sig {
    input_specs: Vec<In>,
    output_specs: Vec<Out>,
}

/// `schema_version`: a bare integer (torch 2.2) or `{"major", "minor"}`.
enum Version {
    Int(u64),
    Pair(Obj<Pair>),
}

#[derive(Deserialize)]
struct Pair {
    major: u64,
    minor: u64,
}

impl Version {
    fn version(&self) -> TorchSchemaVersion {
        match self {
            Self::Int(major) => TorchSchemaVersion { major: *major, minor: 0 },
            Self::Pair(p) => TorchSchemaVersion { major: p.0.major, minor: p.0.minor },
        }
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a schema version")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Version, E> {
                Ok(Version::Int(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Version, A::Error> {
                Pair::deserialize(MapAccessDeserializer::new(map)).map(|p| Version::Pair(Obj(p)))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"name": ...}`: a `TensorArgument` or `TokenArgument`.
#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct CustomObj {
    name: String,
    class_fqn: String,
}

#[derive(Deserialize)]
struct Param {
    arg: Obj<Named>,
    parameter_name: String,
}

#[derive(Deserialize)]
struct Buffer {
    arg: Obj<Named>,
    buffer_name: String,
    #[serde(default)]
    persistent: Maybe<bool>,
}

#[derive(Deserialize)]
struct TensorConstant {
    arg: Obj<Named>,
    tensor_constant_name: String,
}

#[derive(Deserialize)]
struct CustomObjInput {
    arg: Obj<CustomObj>,
    custom_obj_name: String,
}

#[derive(Deserialize)]
struct Token {
    arg: Obj<Named>,
}

#[derive(Deserialize)]
struct UserArg {
    arg: Arg,
}

#[derive(Deserialize)]
struct ConstantInput {
    name: String,
    value: Constant,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum InputUnion {
    UserInput(Obj<UserArg>),
    Parameter(Obj<Param>),
    Buffer(Obj<Buffer>),
    TensorConstant(Obj<TensorConstant>),
    CustomObj(Obj<CustomObjInput>),
    Token(Obj<Token>),
    ConstantInput(Obj<ConstantInput>),
}

/// An input spec, read through [`InputUnion`].
struct In(InputSpec);

impl<'de> Deserialize<'de> for In {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let lifted = |kind, name: String, target: String| InputSpec {
            kind,
            arg: ArgumentSpec::Tensor { name },
            target: Some(target),
            persistent: None,
        };
        Ok(In(match InputUnion::deserialize(d)? {
            InputUnion::UserInput(Obj(u)) => InputSpec::user_input(u.arg.0),
            InputUnion::Parameter(Obj(p)) => lifted(InputKind::Parameter, p.arg.0.name, p.parameter_name),
            InputUnion::Buffer(Obj(b)) => {
                let Maybe::Present(persistent) = b.persistent else {
                    return Err(de::Error::custom("no persistent: for the full reader"));
                };
                InputSpec { persistent: Some(persistent), ..lifted(InputKind::Buffer, b.arg.0.name, b.buffer_name) }
            }
            InputUnion::TensorConstant(Obj(c)) => {
                lifted(InputKind::ConstantTensor, c.arg.0.name, c.tensor_constant_name)
            }
            InputUnion::CustomObj(Obj(c)) => InputSpec {
                kind: InputKind::CustomObj,
                arg: ArgumentSpec::CustomObj { name: c.arg.0.name, class_fqn: c.arg.0.class_fqn },
                target: Some(c.custom_obj_name),
                persistent: None,
            },
            InputUnion::Token(Obj(t)) => InputSpec {
                kind: InputKind::Token,
                arg: ArgumentSpec::Token { name: t.arg.0.name },
                target: None,
                persistent: None,
            },
            InputUnion::ConstantInput(Obj(c)) => {
                InputSpec::user_input(ArgumentSpec::Constant { name: c.name, value: c.value.0 })
            }
        }))
    }
}

#[derive(Deserialize)]
struct Tensor {
    arg: Obj<Named>,
}

#[derive(Deserialize)]
struct WithParameter {
    arg: Obj<Named>,
    parameter_name: String,
}

#[derive(Deserialize)]
struct WithBuffer {
    arg: Obj<Named>,
    buffer_name: String,
}

#[derive(Deserialize)]
struct WithUserInput {
    arg: Obj<Named>,
    user_input_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum OutputUnion {
    UserOutput(Obj<UserArg>),
    LossOutput(Obj<Tensor>),
    BufferMutation(Obj<WithBuffer>),
    ParameterMutation(Obj<WithParameter>),
    GradientToParameter(Obj<WithParameter>),
    GradientToUserInput(Obj<WithUserInput>),
    UserInputMutation(Obj<WithUserInput>),
    Token(Obj<Token>),
}

/// An output spec, read through [`OutputUnion`].
struct Out(OutputSpec);

impl<'de> Deserialize<'de> for Out {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let with = |kind, name: String, target: String| OutputSpec {
            kind,
            arg: ArgumentSpec::Tensor { name },
            target: Some(target),
        };
        Ok(Out(match OutputUnion::deserialize(d)? {
            OutputUnion::UserOutput(Obj(u)) => OutputSpec::user_output(u.arg.0),
            OutputUnion::LossOutput(Obj(t)) => OutputSpec {
                kind: OutputKind::LossOutput,
                arg: ArgumentSpec::Tensor { name: t.arg.0.name },
                target: None,
            },
            OutputUnion::BufferMutation(Obj(b)) => with(OutputKind::BufferMutation, b.arg.0.name, b.buffer_name),
            OutputUnion::ParameterMutation(Obj(p)) => {
                with(OutputKind::ParameterMutation, p.arg.0.name, p.parameter_name)
            }
            OutputUnion::GradientToParameter(Obj(p)) => {
                with(OutputKind::GradientToParameter, p.arg.0.name, p.parameter_name)
            }
            OutputUnion::GradientToUserInput(Obj(u)) => {
                with(OutputKind::GradientToUserInput, u.arg.0.name, u.user_input_name)
            }
            OutputUnion::UserInputMutation(Obj(u)) => {
                with(OutputKind::UserInputMutation, u.arg.0.name, u.user_input_name)
            }
            OutputUnion::Token(Obj(t)) => {
                OutputSpec { kind: OutputKind::Token, arg: ArgumentSpec::Token { name: t.arg.0.name }, target: None }
            }
        }))
    }
}

/// `as_sym_*`: only a symbol name is a graph argument.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SymName {
    AsName(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ArgUnion {
    AsTensor(Obj<Named>),
    AsSymInt(SymName),
    AsSymFloat(SymName),
    AsSymBool(SymName),
    AsCustomObj(Obj<CustomObj>),
    AsNone(NoneValue),
    AsInt(IntOrBool),
    AsFloat(Float),
    AsString(String),
    AsBool(bool),
}

/// The `Argument` union of a user input or output.
struct Arg(ArgumentSpec);

impl<'de> Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let constant = |value| ArgumentSpec::Constant { name: String::new(), value };
        Ok(Arg(match ArgUnion::deserialize(d)? {
            ArgUnion::AsTensor(Obj(n)) => ArgumentSpec::Tensor { name: n.name },
            ArgUnion::AsSymInt(SymName::AsName(name)) => ArgumentSpec::SymInt { name },
            ArgUnion::AsSymFloat(SymName::AsName(name)) => ArgumentSpec::SymFloat { name },
            ArgUnion::AsSymBool(SymName::AsName(name)) => ArgumentSpec::SymBool { name },
            ArgUnion::AsCustomObj(Obj(c)) => ArgumentSpec::CustomObj { name: c.name, class_fqn: c.class_fqn },
            ArgUnion::AsNone(NoneValue) => constant(ConstantValue::None),
            ArgUnion::AsInt(IntOrBool(v)) => constant(v),
            ArgUnion::AsFloat(Float(f)) => constant(ConstantValue::Float(f)),
            ArgUnion::AsString(s) => constant(ConstantValue::String(s)),
            ArgUnion::AsBool(b) => constant(ConstantValue::Bool(b)),
        }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ConstantUnion {
    AsNone(NoneValue),
    AsInt(IntOrBool),
    AsFloat(Float),
    AsString(String),
    AsBool(bool),
}

/// The `ConstantValue` union of a `constant_input`.
struct Constant(ConstantValue);

impl<'de> Deserialize<'de> for Constant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Constant(match ConstantUnion::deserialize(d)? {
            ConstantUnion::AsNone(NoneValue) => ConstantValue::None,
            ConstantUnion::AsInt(IntOrBool(v)) => v,
            ConstantUnion::AsFloat(Float(f)) => ConstantValue::Float(f),
            ConstantUnion::AsString(s) => ConstantValue::String(s),
            ConstantUnion::AsBool(b) => ConstantValue::Bool(b),
        }))
    }
}

/// `as_none`: `true` or `[]`.
struct NoneValue;

impl<'de> Deserialize<'de> for NoneValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NoneValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true or []")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<NoneValue, E> {
                v.then_some(NoneValue).ok_or_else(|| E::custom("false"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoneValue, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(NoneValue),
                    Some(_) => Err(de::Error::custom("a non-empty array")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `as_int`: a 64-bit integer, or the bool torch 2.4 and 2.5 wrote there.
struct IntOrBool(ConstantValue);

impl<'de> Deserialize<'de> for IntOrBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IntOrBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<IntOrBool, E> {
                Ok(IntOrBool(ConstantValue::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrBool, E> {
                Ok(IntOrBool(ConstantValue::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrBool, E> {
                i64::try_from(v).map(|v| IntOrBool(ConstantValue::Int(v))).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// `as_float`: a number (integers too, as Python's `float()`), or `"Infinity"`,
/// `"-Infinity"`, `"NaN"`.
struct Float(f64);

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Float;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a float")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
                Ok(Float(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
                match v {
                    "Infinity" => Ok(Float(f64::INFINITY)),
                    "-Infinity" => Ok(Float(f64::NEG_INFINITY)),
                    "NaN" => Ok(Float(f64::NAN)),
                    _ => Err(E::custom("not a float")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    /// Every torch JSON file of the fixtures (torch 2.2 to 2.15, signatures and whole
    /// programs): where the fast path answers, it answers what the full reader does.
    #[test]
    fn the_fast_path_agrees_with_the_full_reader_on_every_fixture() {
        let (mut fast, mut total) = (0, 0);
        for path in super::super::fixture_files(super::super::is_torch_json_fixture) {
            let bytes = std::fs::read(&path).unwrap();
            total += 1;
            if let Some(read) = super::decode(&bytes) {
                fast += 1;
                assert_eq!(read, super::super::decode_full(&bytes).unwrap(), "{}", path.display());
            }
        }
        assert!(total > 20 && fast > 20, "{fast} of {total} fixtures read by the fast path");
    }

    #[test]
    fn the_fast_path_leaves_quirks_and_errors_to_the_full_reader() {
        for json in [
            // torch 2.2: a union with every member, no persistent.
            r#"{"input_specs": [{"user_input": null, "buffer": {"arg": {"name": "b"}, "buffer_name": "b"}}], "output_specs": []}"#,
            r#"{"input_specs": [{"buffer": {"arg": {"name": "b"}, "buffer_name": "b"}}], "output_specs": []}"#,
            // A struct written as an array, a duplicate key, a null member, bare Infinity.
            r#"{"input_specs": [{"parameter": [{"name": "p"}, "w"]}], "output_specs": []}"#,
            r#"{"input_specs": [{"parameter": {"arg": {"name": "p"}, "parameter_name": "w", "parameter_name": "v"}}], "output_specs": []}"#,
            r#"{"input_specs": [], "output_specs": [], "graph_module": null}"#,
            r#"{"input_specs": [{"user_input": {"arg": {"as_float": Infinity}}}], "output_specs": []}"#,
            // Unsupported version, literal symbolic value, unknown tag.
            r#"{"graph_module": {"signature": {"input_specs": [], "output_specs": []}}, "schema_version": {"major": 9, "minor": 0}}"#,
            r#"{"input_specs": [{"user_input": {"arg": {"as_sym_int": {"as_int": 3}}}}], "output_specs": []}"#,
            r#"{"input_specs": [{"mystery": {}}], "output_specs": []}"#,
        ] {
            assert!(super::decode(json.as_bytes()).is_none(), "{json}");
        }
    }

    /// Found by fuzzing the fast path against the full reader (fuzz/regressions/torch_json/):
    /// serde_json skips a member this pass does not read by its syntax alone, so invalid
    /// UTF-8 there was read by the fast path and refused by the full reader, which parses
    /// every member. So were lone surrogates, numbers past f64 and nesting past serde_json's
    /// limit. The pass parses what it does not read now (`strict`), and both refuse.
    #[test]
    fn what_the_full_reader_refuses_in_a_member_the_fast_path_skips_is_refused() {
        let sig = br#"{"input_specs": [{"user_input": {"arg": {"as_tensor": {"name": "x"}}}}], "output_specs": [], "graph": "#;
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for unread in
            [&b"\"\xff\""[..], br#""\udc00""#, br#""\ud800 alone""#, b"1e400", b"-1234567e305", deep.as_bytes()]
        {
            let bytes = [&sig[..], unread, b"}"].concat();
            assert!(super::decode(&bytes).is_none(), "{}", String::from_utf8_lossy(&bytes));
            assert!(super::super::decode(&bytes).is_err(), "{}", String::from_utf8_lossy(&bytes));
            assert!(crate::differential::torch_json(&bytes).is_ok());
        }
        // A valid pair, exponents in range: the fast path reads on.
        let bytes = [&sig[..], br#"["\u00e9\ud83d\ude00", 1e300, -2.5e-400, {"a": [{}]}]"#, b"}"].concat();
        assert!(super::decode(&bytes).is_some());
    }
}
