//! The torch-JSON writer: a signature as the bytes torch itself writes. See [`encode`].

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use super::{swar, TorchSchemaVersion};
use crate::model::validate::SpecKind;
use crate::{
    ArgumentSpec, ConstantValue, Error, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec, SpecRef,
    UnrepresentableReason,
};

const FORMAT: &str = "torch-json";

const fn schema(major: u64, minor: u64) -> TorchSchemaVersion {
    TorchSchemaVersion { major, minor }
}

/// The torch release whose reader the bytes are for, named by its schema version.
///
/// Build one from a schema version ([`TorchTarget::from_schema`]), a torch version
/// ([`TorchTarget::from_torch_version`]), a constant, or a string: `"8.14"` (a schema;
/// majors 5, 7, 8) or `"2.9"` / `"2.9.1"` (a torch release).
///
/// ```
/// use graph_signature::codec::torch_json::TorchTarget;
/// assert_eq!("2.9.1".parse::<TorchTarget>()?, TorchTarget::TORCH_2_9);
/// assert_eq!("8.14".parse::<TorchTarget>()?, TorchTarget::TORCH_2_9);
/// assert_eq!(TorchTarget::default(), TorchTarget::TORCH_2_12);
/// // Each release's SCHEMA_VERSION, read from its wheel: 2.10 wrote 8.15, 2.11 8.17, and
/// // 2.12 to 2.15 all 8.20.
/// assert_eq!("2.10".parse::<TorchTarget>()?.schema().to_string(), "8.15");
/// assert_eq!("2.11.0".parse::<TorchTarget>()?, TorchTarget::TORCH_2_11);
/// assert_eq!("2.14.1".parse::<TorchTarget>()?, TorchTarget::TORCH_2_12);
/// assert_eq!(TorchTarget::TORCH_2_12.to_string(), "schema 8.20 (torch 2.12 to 2.15)");
/// # Ok::<(), graph_signature::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TorchTarget {
    schema: TorchSchemaVersion,
}

/// Released torch versions and their schema, oldest first.
const RELEASES: &[(u32, TorchSchemaVersion)] = &[
    (3, schema(5, 1)),
    (4, schema(5, 3)),
    (5, schema(7, 3)),
    (6, schema(8, 2)),
    (7, schema(8, 7)),
    (8, schema(8, 8)),
    (9, schema(8, 14)),
    (10, schema(8, 15)),
    (11, schema(8, 17)),
    (12, schema(8, 20)),
    (13, schema(8, 20)),
    (14, schema(8, 20)),
    (15, schema(8, 20)),
];

const SUPPORTED_TARGETS: &str = "schema 5.1 to 8.20 (torch 2.3 to 2.15)";

impl TorchTarget {
    /// torch 2.3: schema 5.1.
    pub const TORCH_2_3: Self = Self { schema: schema(5, 1) };
    /// torch 2.4: schema 5.3 (tokens and constant inputs).
    pub const TORCH_2_4: Self = Self { schema: schema(5, 3) };
    /// torch 2.5: schema 7.3.
    pub const TORCH_2_5: Self = Self { schema: schema(7, 3) };
    /// torch 2.6: schema 8.2 (`as_none: true`, SymFloat).
    pub const TORCH_2_6: Self = Self { schema: schema(8, 2) };
    /// torch 2.7: schema 8.7 (non-finite floats as strings).
    pub const TORCH_2_7: Self = Self { schema: schema(8, 7) };
    /// torch 2.8: schema 8.8.
    pub const TORCH_2_8: Self = Self { schema: schema(8, 8) };
    /// torch 2.9: schema 8.14 (PARAMETER_MUTATION).
    pub const TORCH_2_9: Self = Self { schema: schema(8, 14) };
    /// torch 2.10: schema 8.15.
    pub const TORCH_2_10: Self = Self { schema: schema(8, 15) };
    /// torch 2.11: schema 8.17.
    pub const TORCH_2_11: Self = Self { schema: schema(8, 17) };
    /// torch 2.12 to 2.15: schema 8.20, the newest. The default.
    pub const TORCH_2_12: Self = Self { schema: schema(8, 20) };

    /// A target by schema version: 5.1 to 5.3, 7.0 to 7.3 or 8.0 to 8.20 (versions between
    /// releases, as nightlies had, are accepted and get the features of their schema).
    pub fn from_schema(version: TorchSchemaVersion) -> Result<Self, Error> {
        let ok = match version.major {
            5 => (1..=3).contains(&version.minor),
            7 => version.minor <= 3,
            8 => version.minor <= 20,
            _ => false,
        };
        if ok {
            Ok(Self { schema: version })
        } else {
            Err(unsupported(format!("schema {version}")))
        }
    }

    /// A target by torch version, `"2.9"`, `"2.9.1"` or `"2.9.1+cu128"`: 2.3 to 2.15.
    pub fn from_torch_version(version: &str) -> Result<Self, Error> {
        let mut parts = version.split(['.', '+']);
        let major = parts.next();
        let minor = parts.next().and_then(|m| m.parse::<u32>().ok());
        match (major, minor) {
            (Some("2"), Some(minor)) => RELEASES
                .iter()
                .find(|(m, _)| *m == minor)
                .map(|(_, schema)| Self { schema: *schema })
                .ok_or_else(|| unsupported(format!("torch {version}"))),
            _ => Err(unsupported(format!("torch {version:?}"))),
        }
    }

    /// The schema version written for.
    pub fn schema(self) -> TorchSchemaVersion {
        self.schema
    }

    /// The torch releases that wrote exactly this schema, e.g. `"torch 2.12 to 2.15"`;
    /// `"no torch release"` for an in-between schema.
    pub fn releases(self) -> String {
        let mut minors = RELEASES.iter().filter(|(_, s)| *s == self.schema).map(|(m, _)| *m);
        match (minors.next(), minors.next_back()) {
            (Some(first), Some(last)) => format!("torch 2.{first} to 2.{last}"),
            (Some(only), None) => format!("torch 2.{only}"),
            _ => "no torch release".to_owned(),
        }
    }

    fn at_least(self, major: u64, minor: u64) -> bool {
        self.schema >= schema(major, minor)
    }
}

fn unsupported(found: String) -> Error {
    Error::UnsupportedVersion { format: FORMAT, found, supported: SUPPORTED_TARGETS }
}

impl Default for TorchTarget {
    fn default() -> Self {
        Self::TORCH_2_12
    }
}

impl fmt::Display for TorchTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "schema {} ({})", self.schema, self.releases())
    }
}

impl FromStr for TorchTarget {
    type Err = Error;

    /// `"8.14"` (a schema: major 5, 7 or 8) or `"2.9"`, `"2.9.1"` (a torch version).
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let s = s.strip_prefix("torch").map(|t| t.trim_start_matches(['-', ' ', '='])).unwrap_or(s);
        if s.starts_with("2.") {
            return Self::from_torch_version(s);
        }
        let schema_str = s.strip_prefix("schema").map(|t| t.trim_start_matches(['-', ' ', '='])).unwrap_or(s);
        let parsed = schema_str
            .split_once('.')
            .and_then(|(a, b)| Some(schema(a.parse().ok()?, b.parse().ok()?)))
            .ok_or_else(|| unsupported(format!("{s:?}")))?;
        Self::from_schema(parsed)
    }
}

/// How to write: for which torch, and whether to write the closest form of what that
/// torch cannot hold exactly instead of refusing (see [`encode`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct WriteOptions {
    /// The torch release to write for; default schema 8.20 (torch 2.12 to 2.15).
    pub target: TorchTarget,
    /// Write the closest form instead of refusing a spec torch could not write itself (a
    /// SymBool user input or output) or has no place for (a `target` or `persistent` torch's
    /// JSON lacks), and a constant user input as torch 2.3 wrote it. Version refusals stay
    /// refusals.
    pub lossy: bool,
}

/// Encodes a signature as torch's JSON.
///
/// For the default target (schema 8.20, torch 2.12 to 2.15) the bytes are exactly
/// torch 2.15's `_to_json_bytes(GraphModuleSerializer(...).serialize_signature(sig))`:
/// struct keys in torch's dataclass declaration order, `", "` and `": "` separators, one
/// line, strings escaped as Python's `json.dumps` does with `ensure_ascii` (`\uXXXX`,
/// surrogate pairs above U+FFFF), floats in Python's `repr` form (`1e+16`, `1e-05`, `100.0`,
/// `-0.0`) and non-finite floats as the strings `"Infinity"`, `"-Infinity"`, `"NaN"`
/// (so a NaN's sign and payload are not kept, as in torch).
///
/// What the target schema cannot express is refused with
/// [`Error::Unrepresentable`], which names the spec and why:
///
/// | spec | refused when | with `lossy: true` |
/// |---|---|---|
/// | PARAMETER_MUTATION output | target < 8.14 (torch 2.9) | still refused |
/// | SymFloat user input or output | target < 8.0 (torch 2.6) | still refused |
/// | TOKEN input or output | target < 5.3 (torch 2.4) | still refused |
/// | constant user input (`constant_input`) | target < 5.3 (torch 2.4) | written as torch 2.3 did: a `user_input` holding the constant's `Argument`; the input's name is lost |
/// | SymBool user input or output | always: torch's serializer fails (`AssertionError: TODO`) | `{"as_sym_bool": {"as_name": name}}`, the `Argument` member torch uses for SymBool values in graphs; this crate reads it back exactly; torch's signature reader does not give back a `SymBoolArgument` (it looks the name up as a graph node and makes a `ConstantArgument`) |
/// | `target` on USER_INPUT, TOKEN, USER_OUTPUT, LOSS_OUTPUT; `persistent` on anything but BUFFER | always: torch's JSON has no place for it | dropped |
///
/// So the only signatures no target can write exactly are those holding a SymBool user
/// input or output, which torch cannot write either; every other refusal is a target older
/// than the spec, or a `target` / `persistent` torch's JSON has no place for.
///
/// A constant user *output* is written through torch's `Argument` union, bool checked
/// before int, and its name is dropped: that is what torch does, and a constant output has
/// no graph node to name.
///
/// A CustomObj user input or output (an opaque or script object the caller passes in) is
/// written as torch 2.15 writes it, `{"as_custom_obj": {"name", "class_fqn"}}`, without
/// `lossy`. torch's own reader gives it back as a `ConstantArgument` with the same name
/// holding the object (looked up among the graph's nodes or constants), not as a
/// `CustomObjArgument`: an asymmetry of torch's that its own files have too, and that this
/// crate's reader does not share (it gives back the `CustomObj` argument).
///
/// Older targets also change the encoding, as those torch versions wrote it: `as_none` is
/// `[]` before schema 8 (torch 2.6), and before 8.7 (torch 2.7) non-finite floats are the
/// bare tokens `Infinity`, `-Infinity`, `NaN` (not JSON, but what those versions' readers,
/// Python's `json.loads`, take as floats; they would keep the string `"Infinity"` a string).
///
/// ```
/// use graph_signature::codec::torch_json::{self, TorchTarget, WriteOptions};
/// use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputSpec, OutputKind, OutputSpec};
///
/// let sig = ExportGraphSignature::new(
///     vec![InputSpec::parameter("p_w", "w"), InputSpec::user_input(ArgumentSpec::tensor("x"))],
///     vec![
///         OutputSpec::new(OutputKind::ParameterMutation, ArgumentSpec::tensor("copy_"), Some("w")),
///         OutputSpec::user_output(ArgumentSpec::tensor("mm")),
///     ],
/// )?;
/// let bytes = torch_json::encode(&sig, &WriteOptions::default())?;
/// assert!(bytes.starts_with(br#"{"input_specs": [{"parameter": {"arg": {"name": "p_w"}, "parameter_name": "w"}}, "#));
/// assert_eq!(torch_json::decode(&bytes)?.signature, sig);
///
/// // torch 2.8 has no PARAMETER_MUTATION.
/// let old = WriteOptions { target: "2.8".parse()?, ..WriteOptions::default() };
/// let err = torch_json::encode(&sig, &old).unwrap_err();
/// assert!(matches!(err, Error::Unrepresentable { .. }));
/// assert_eq!(
///     err.to_string(),
///     "cannot write outputs[0] as torch-json: a PARAMETER_MUTATION output needs schema 8.14 (torch 2.9+); \
///      the target is schema 8.8 (torch 2.8)"
/// );
/// # Ok::<(), graph_signature::Error>(())
/// ```
pub fn encode(sig: &ExportGraphSignature, options: &WriteOptions) -> Result<Vec<u8>, Error> {
    let (inputs, outputs) = (sig.input_specs(), sig.output_specs());
    // One allocation: the strings plus a spec's fixed text (at most ~90 bytes for the longest
    // tags); escapes are rare.
    let text: usize =
        inputs.iter().map(|s| s.arg.name().len() + s.target.as_deref().map_or(0, str::len)).sum::<usize>()
            + outputs.iter().map(|s| s.arg.name().len() + s.target.as_deref().map_or(0, str::len)).sum::<usize>();
    let capacity = 64 + text + 96 * (inputs.len() + outputs.len());
    let mut w = Writer { out: Vec::with_capacity(capacity), options: *options };
    w.raw("{\"input_specs\": [");
    for (i, spec) in inputs.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        w.input_spec(spec).map_err(|reason| unrepresentable(SpecRef::Input(i), reason))?;
    }
    w.raw("], \"output_specs\": [");
    for (i, spec) in outputs.iter().enumerate() {
        if i > 0 {
            w.raw(", ");
        }
        w.output_spec(spec).map_err(|reason| unrepresentable(SpecRef::Output(i), reason))?;
    }
    w.raw("]}");
    Ok(w.out)
}

fn unrepresentable(at: SpecRef, reason: UnrepresentableReason) -> Error {
    Error::Unrepresentable { format: FORMAT, at, reason }
}

type Step = Result<(), UnrepresentableReason>;

struct Writer {
    out: Vec<u8>,
    options: WriteOptions,
}

const SYM_BOOL_ERROR: &str = "torch 2.15's serialize_argument_spec raises AssertionError: TODO";
const SYM_BOOL_CLOSEST: &str = "{\"as_sym_bool\": {\"as_name\": name}}, which torch's signature reader \
                                does not give back as a SymBoolArgument (it looks the name up as a graph node)";
const TOKEN_USER_ERROR: &str = "the Argument union has no token member (AssertionError: TODO)";
const TOKEN_USER_CLOSEST: &str = "nothing: it is refused even then";

impl Writer {
    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// Refuses unless the target has at least schema `major.minor`.
    fn needs(&self, major: u64, minor: u64, what: &'static str, min_version: &'static str) -> Step {
        if self.options.target.at_least(major, minor) {
            Ok(())
        } else {
            Err(UnrepresentableReason::NeedsNewerVersion { what, min_version, target: self.options.target.to_string() })
        }
    }

    /// Refuses unless lossy writing was asked for.
    fn unless_lossy(&self, reason: UnrepresentableReason) -> Step {
        if self.options.lossy {
            Ok(())
        } else {
            Err(reason)
        }
    }

    fn no_target(&self, target: &Option<String>, kind: SpecKind) -> Step {
        match target {
            Some(_) => self.unless_lossy(UnrepresentableReason::NoSlot { field: "target", kind }),
            None => Ok(()),
        }
    }

    fn no_persistent(&self, persistent: Option<bool>, kind: SpecKind) -> Step {
        match persistent {
            Some(_) => self.unless_lossy(UnrepresentableReason::NoSlot { field: "persistent", kind }),
            None => Ok(()),
        }
    }

    fn input_spec(&mut self, spec: &InputSpec) -> Step {
        let kind = SpecKind::Input(spec.kind);
        if spec.kind != InputKind::Buffer {
            self.no_persistent(spec.persistent, kind)?;
        }
        // The spec rules of `ExportGraphSignature` guarantee a target where torch needs one.
        let target = spec.target.as_deref().unwrap_or_default();
        let name = spec.arg.name();
        match spec.kind {
            InputKind::UserInput => {
                self.no_target(&spec.target, kind)?;
                if let ArgumentSpec::Constant { name, value } = &spec.arg {
                    if self.options.target.at_least(5, 3) {
                        self.raw("{\"constant_input\": {\"name\": ");
                        self.string(name);
                        self.raw(", \"value\": {");
                        self.constant_value(value);
                        self.raw("}}}");
                        return Ok(());
                    }
                    if !self.options.lossy {
                        self.needs(5, 3, "a constant user input (constant_input)", "schema 5.3 (torch 2.4+)")?;
                    }
                }
                self.raw("{\"user_input\": {\"arg\": ");
                self.user_argument(&spec.arg, true)?;
                self.raw("}}");
            }
            InputKind::Parameter => self.lifted(lifted_keys!("parameter", "parameter_name"), name, target),
            InputKind::Buffer => {
                let (head, middle) = lifted_keys!("buffer", "buffer_name");
                self.raw(head);
                self.string(name);
                self.raw(middle);
                self.string(target);
                self.raw(if spec.persistent == Some(false) {
                    ", \"persistent\": false}}"
                } else {
                    ", \"persistent\": true}}"
                });
            }
            InputKind::ConstantTensor => {
                self.lifted(lifted_keys!("tensor_constant", "tensor_constant_name"), name, target)
            }
            InputKind::CustomObj => {
                self.raw("{\"custom_obj\": {\"arg\": ");
                self.custom_obj(&spec.arg);
                self.raw(", \"custom_obj_name\": ");
                self.string(target);
                self.raw("}}");
            }
            InputKind::Token => {
                self.needs(5, 3, "a TOKEN input", "schema 5.3 (torch 2.4+)")?;
                self.no_target(&spec.target, kind)?;
                self.raw("{\"token\": {\"arg\": {\"name\": ");
                self.string(name);
                self.raw("}}}");
            }
        }
        Ok(())
    }

    fn output_spec(&mut self, spec: &OutputSpec) -> Step {
        let kind = SpecKind::Output(spec.kind);
        let target = spec.target.as_deref().unwrap_or_default();
        let name = spec.arg.name();
        match spec.kind {
            OutputKind::UserOutput => {
                self.no_target(&spec.target, kind)?;
                self.raw("{\"user_output\": {\"arg\": ");
                self.user_argument(&spec.arg, false)?;
                self.raw("}}");
            }
            OutputKind::LossOutput => {
                self.no_target(&spec.target, kind)?;
                self.raw("{\"loss_output\": {\"arg\": {\"name\": ");
                self.string(name);
                self.raw("}}}");
            }
            OutputKind::BufferMutation => self.lifted(lifted_keys!("buffer_mutation", "buffer_name"), name, target),
            OutputKind::ParameterMutation => {
                self.needs(8, 14, "a PARAMETER_MUTATION output", "schema 8.14 (torch 2.9+)")?;
                self.lifted(lifted_keys!("parameter_mutation", "parameter_name"), name, target);
            }
            OutputKind::GradientToParameter => {
                self.lifted(lifted_keys!("gradient_to_parameter", "parameter_name"), name, target)
            }
            OutputKind::GradientToUserInput => {
                self.lifted(lifted_keys!("gradient_to_user_input", "user_input_name"), name, target)
            }
            OutputKind::UserInputMutation => {
                self.lifted(lifted_keys!("user_input_mutation", "user_input_name"), name, target)
            }
            OutputKind::Token => {
                self.needs(5, 3, "a TOKEN output", "schema 5.3 (torch 2.4+)")?;
                self.no_target(&spec.target, kind)?;
                self.raw("{\"token\": {\"arg\": {\"name\": ");
                self.string(name);
                self.raw("}}}");
            }
        }
        Ok(())
    }

    /// `{"<tag>": {"arg": {"name": <name>}, "<target_key>": <target>}}`, the fixed text in
    /// two pieces ([`lifted_keys`]).
    fn lifted(&mut self, (head, middle): (&str, &str), name: &str, target: &str) {
        self.raw(head);
        self.string(name);
        self.raw(middle);
        self.string(target);
        self.raw("}}");
    }

    /// torch's `Argument` union for a user input (`input`) or output, or why it cannot be
    /// written.
    fn user_argument(&mut self, arg: &ArgumentSpec, input: bool) -> Step {
        match arg {
            ArgumentSpec::Tensor { name } => {
                self.raw("{\"as_tensor\": {\"name\": ");
                self.string(name);
                self.raw("}}");
            }
            ArgumentSpec::SymInt { name } => self.sym("as_sym_int", name),
            ArgumentSpec::SymFloat { name } => {
                let what = if input { "a SymFloat user input" } else { "a SymFloat user output" };
                self.needs(8, 0, what, "schema 8.x (torch 2.6+)")?;
                self.sym("as_sym_float", name);
            }
            ArgumentSpec::SymBool { name } => {
                self.unless_lossy(UnrepresentableReason::WriterFails {
                    what: if input { "a SymBool user input" } else { "a SymBool user output" },
                    writer_error: SYM_BOOL_ERROR,
                    closest: SYM_BOOL_CLOSEST,
                })?;
                self.sym("as_sym_bool", name);
            }
            // torch's serialize_argument_spec writes it so (torch 2.3+); its reader gives it
            // back as a ConstantArgument holding the object, for its own files as for ours.
            ArgumentSpec::CustomObj { .. } => {
                self.raw("{\"as_custom_obj\": ");
                self.custom_obj(arg);
                self.raw("}");
            }
            // torch's serialize_input: bool, str, int, float, None; the name is dropped.
            ArgumentSpec::Constant { value, .. } => {
                self.raw("{");
                self.constant_value(value);
                self.raw("}");
            }
            // Not a valid user input or output (the spec rules refuse it); kept total.
            ArgumentSpec::Token { .. } => {
                return Err(UnrepresentableReason::WriterFails {
                    what: if input { "a TOKEN argument as a user input" } else { "a TOKEN argument as a user output" },
                    writer_error: TOKEN_USER_ERROR,
                    closest: TOKEN_USER_CLOSEST,
                })
            }
        }
        Ok(())
    }

    fn sym(&mut self, tag: &str, name: &str) {
        self.raw("{\"");
        self.raw(tag);
        self.raw("\": {\"as_name\": ");
        self.string(name);
        self.raw("}}");
    }

    /// `{"name": ..., "class_fqn": ...}`
    fn custom_obj(&mut self, arg: &ArgumentSpec) {
        let (name, class_fqn) = match arg {
            ArgumentSpec::CustomObj { name, class_fqn } => (name.as_str(), class_fqn.as_str()),
            other => (other.name(), ""),
        };
        self.raw("{\"name\": ");
        self.string(name);
        self.raw(", \"class_fqn\": ");
        self.string(class_fqn);
        self.raw("}");
    }

    /// The one member of a `ConstantValue` (or constant `Argument`): `"as_int": 3`. The two
    /// unions spell every member alike.
    fn constant_value(&mut self, value: &ConstantValue) {
        match value {
            ConstantValue::None => {
                self.raw(if self.options.target.at_least(8, 0) { "\"as_none\": true" } else { "\"as_none\": []" })
            }
            ConstantValue::Int(v) => {
                self.raw("\"as_int\": ");
                let _ = write!(Buf(&mut self.out), "{v}");
            }
            ConstantValue::Float(v) => {
                self.raw("\"as_float\": ");
                self.float(*v);
            }
            ConstantValue::String(s) => {
                self.raw("\"as_string\": ");
                self.string(s);
            }
            ConstantValue::Bool(b) => self.raw(if *b { "\"as_bool\": true" } else { "\"as_bool\": false" }),
        }
    }

    fn float(&mut self, v: f64) {
        let quoted = self.options.target.at_least(8, 7);
        let special = if v.is_nan() {
            "NaN"
        } else if v == f64::INFINITY {
            "Infinity"
        } else if v == f64::NEG_INFINITY {
            "-Infinity"
        } else {
            push_python_float_repr(&mut self.out, v);
            return;
        };
        if quoted {
            self.out.push(b'"');
            self.raw(special);
            self.out.push(b'"');
        } else {
            self.raw(special);
        }
    }

    fn string(&mut self, s: &str) {
        push_json_string_ascii(&mut self.out, s);
    }
}

/// `fmt::Write` into a byte buffer.
struct Buf<'a>(&'a mut Vec<u8>);

impl fmt::Write for Buf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Python's `repr(float)` of a finite float: the shortest digits that round-trip, the
/// nearest to the value among those, in fixed notation with at least one fractional digit
/// when the decimal exponent is in -4..16, else `d.ddde±XX` with at least two exponent
/// digits.
fn push_python_float_repr(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0.0" } else { b"0.0" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let (digits, exp) = shortest_digits(v.abs());
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for i in 0..int_len {
                out.push(*digits.get(i).unwrap_or(&b'0'));
            }
            out.push(b'.');
            if digits.len() > int_len {
                out.extend_from_slice(&digits[int_len..]);
            } else {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        let _ = write!(Buf(out), "{abs}");
    }
}

/// The shortest round-trip decimal digits of a positive finite `v` and the decimal exponent
/// of the first: `(b"15", 2)` for 150.0. Python (David Gay's `dtoa`) and Rust's formatter
/// agree on the digits except when `v` lies exactly halfway between two shortest
/// candidates: Rust rounds up, Python to the even one (`1695883772318900.25` → `…900.2`).
fn shortest_digits(v: f64) -> (Vec<u8>, i32) {
    let sci = format!("{v:e}"); // "1.2345e-7", "1e16"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let n = digits.len();
    let last = digits[n - 1];
    // A tie can only flip an odd last digit (to the even one below it); checking needs the
    // exact value, so first a cheap look at one more digit.
    if (last - b'0') % 2 == 1 {
        let mut below = digits.clone();
        below[n - 1] = last - 1;
        below.push(b'5');
        let one_more = format!("{v:.n$e}");
        if one_more.bytes().filter(u8::is_ascii_digit).take(n + 1).eq(below.iter().copied()) {
            // Every double's exact decimal expansion has at most 767 significant digits.
            let exact = format!("{v:.800e}");
            let mut exact_digits = exact.split_once('e').map_or("", |(m, _)| m).bytes().filter(u8::is_ascii_digit);
            let halfway =
                exact_digits.by_ref().take(n + 1).eq(below.iter().copied()) && exact_digits.all(|d| d == b'0');
            let same_exp = exact.split_once('e').and_then(|(_, e)| e.parse::<i32>().ok()) == Some(exp);
            if halfway && same_exp {
                digits[n - 1] = last - 1;
            }
        }
    }
    (digits, exp)
}

/// Whether every byte is printable ASCII other than `"` and `\\` (nothing to escape): eight
/// bytes at a time ([`super::swar`]), the last ones padded.
fn is_plain_ascii(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        if !swar::plain_ascii(u64::from_le_bytes(w.try_into().expect("8 bytes"))) {
            return false;
        }
    }
    let rest = words.remainder();
    let mut last = [b'a'; 8];
    last[..rest.len()].copy_from_slice(rest);
    swar::plain_ascii(u64::from_le_bytes(last))
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii=True`: printable
/// ASCII but `"` and `\` as is; `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; every other
/// character as `\uXXXX` (lowercase hex), above U+FFFF as a surrogate pair.
fn push_json_string_ascii(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    // Fast path: printable ASCII with nothing to escape, the usual graph-node name or FQN.
    if is_plain_ascii(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: &[u8] = match c {
            ' '..='~' if c != '"' && c != '\\' => continue,
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            '\u{8}' => b"\\b",
            '\u{c}' => b"\\f",
            _ => b"",
        };
        out.extend_from_slice(&bytes[start..i]);
        start = i + c.len_utf8();
        if !escape.is_empty() {
            out.extend_from_slice(escape);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            let u = *unit;
            out.extend_from_slice(&[
                b'\\',
                b'u',
                HEX[usize::from(u >> 12)],
                HEX[usize::from((u >> 8) & 0xf)],
                HEX[usize::from((u >> 4) & 0xf)],
                HEX[usize::from(u & 0xf)],
            ]);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    /// The block-wise check answers as the byte-by-byte rule for every length around the
    /// block size and every byte at every place (first, inside, last, in the padded tail).
    #[test]
    fn is_plain_ascii_agrees_with_the_byte_rule() {
        let plain = |s: &[u8]| s.iter().all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
        for len in 0..=49 {
            let base = vec![b'x'; len];
            assert!(super::is_plain_ascii(&base));
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut s = base.clone();
                    s[at] = b;
                    assert_eq!(super::is_plain_ascii(&s), plain(&s), "len {len}, byte {b:#x} at {at}");
                }
            }
        }
    }
}
