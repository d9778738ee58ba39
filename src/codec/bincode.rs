//! bincode 2.0.1 (pinned; RUSTSEC-2025-0141 is acknowledged in docs/formats.md).
//!
//! Layout: the magic `GSBC`, the schema version (major and minor, u16 little-endian each),
//! then the body: bincode's `standard()` encoding (little-endian, varint integers) of the
//! bincode-facing types below. Those types are separate from the model so that the model's
//! declaration order (which follows torch) can never renumber bincode's variants; their
//! variant order is frozen for 1.x and only appended to.
//!
//! Decoding checks the magic and the version, decodes with a limit of [`MAX_BODY`] bytes,
//! refuses trailing bytes (unless the header's minor is newer than this build's: those are a
//! newer minor's appended sections) and ends in [`ExportGraphSignature::new`].
//!
//! ```
//! use graph_signature::codec::bincode;
//! use graph_signature::{ExportGraphSignature, InputSpec};
//! let sig = ExportGraphSignature::new(vec![InputSpec::parameter("p_w", "w")], vec![])?;
//! let bytes = bincode::encode(&sig)?;
//! assert_eq!(&bytes[..8], b"GSBC\x01\x00\x00\x00");
//! assert_eq!(bincode::decode(&bytes)?, sig);
//! # Ok::<(), graph_signature::Error>(())
//! ```

use ::bincode::config::{self, Config};
use serde::{Deserialize, Serialize};

use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};
use crate::version::SchemaVersion;
use crate::Error;

const FORMAT: &str = "bincode";

/// The first four bytes of every bincode document.
pub const MAGIC: [u8; 4] = *b"GSBC";

/// Magic and version.
const HEADER_LEN: usize = 8;

/// The largest body the decoder reads: 64 MiB. bincode counts every claimed length against
/// it, so no length in the input can make the decoder allocate more.
pub const MAX_BODY: usize = 64 << 20;

fn wire_config() -> impl Config {
    config::standard().with_limit::<MAX_BODY>()
}

// The bincode-facing types. Variant and field ORDER IS THE WIRE FORMAT: never reorder,
// never insert; append only, in a minor bump (docs/formats.md). They use no serde
// attributes at all (bincode 2.0.1 loses data with flatten, skip*, tag, untagged).

#[derive(Serialize, Deserialize)]
struct Body {
    input_specs: Vec<WireInput>,
    output_specs: Vec<WireOutput>,
}

#[derive(Serialize, Deserialize)]
struct WireInput {
    kind: WireInputKind,
    arg: WireArg,
    target: Option<String>,
    persistent: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct WireOutput {
    kind: WireOutputKind,
    arg: WireArg,
    target: Option<String>,
}

/// Same order as the proto values (torch's thrift ids).
#[derive(Serialize, Deserialize)]
enum WireInputKind {
    UserInput,
    Parameter,
    Buffer,
    ConstantTensor,
    CustomObj,
    Token,
}

/// Same order as the proto values (torch's thrift ids): PARAMETER_MUTATION last.
#[derive(Serialize, Deserialize)]
enum WireOutputKind {
    UserOutput,
    LossOutput,
    BufferMutation,
    GradientToParameter,
    GradientToUserInput,
    UserInputMutation,
    Token,
    ParameterMutation,
}

#[derive(Serialize, Deserialize)]
enum WireArg {
    Tensor(String),
    SymInt(String),
    SymFloat(String),
    SymBool(String),
    Constant(String, WireConstant),
    CustomObj(String, String),
    Token(String),
}

#[derive(Serialize, Deserialize)]
enum WireConstant {
    None,
    Int(i64),
    /// The IEEE 754 bits, as 8 little-endian bytes: bit-exact.
    Float(f64),
    Bool(bool),
    String(String),
}

/// Encodes `sig` at the current schema version. Deterministic. A signature whose body would
/// exceed [`MAX_BODY`] (which the reader refuses) is [`Error::TooLarge`].
pub fn encode(sig: &ExportGraphSignature) -> Result<Vec<u8>, Error> {
    let body = Body {
        input_specs: sig.input_specs().iter().map(input_to_wire).collect(),
        output_specs: sig.output_specs().iter().map(output_to_wire).collect(),
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&MAGIC);
    let v = SchemaVersion::CURRENT;
    for part in [v.major, v.minor] {
        out.extend_from_slice(&u16::try_from(part).unwrap_or(u16::MAX).to_le_bytes());
    }
    // Encoding these types into a Vec only fails past the size limit.
    let encoded = ::bincode::serde::encode_to_vec(&body, wire_config())
        .map_err(|e| Error::from(std::io::Error::other(format!("bincode encoding failed: {e}"))))?;
    // The reader refuses a body over MAX_BODY: never write one.
    if encoded.len() > MAX_BODY {
        return Err(Error::TooLarge { format: FORMAT, size: encoded.len() as u64, limit: MAX_BODY as u64 });
    }
    out.extend_from_slice(&encoded);
    Ok(out)
}

/// Decodes a bincode document.
pub fn decode(bytes: &[u8]) -> Result<ExportGraphSignature, Error> {
    if bytes.len() < HEADER_LEN {
        return Err(Error::decode(FORMAT, "", format!("truncated header: {} of {HEADER_LEN} bytes", bytes.len())));
    }
    if bytes[..4] != MAGIC {
        return Err(Error::decode(
            FORMAT,
            "",
            format!("not a graph-signature bincode document (magic {:?})", &bytes[..4]),
        ));
    }
    let version = SchemaVersion::new(
        u32::from(u16::from_le_bytes([bytes[4], bytes[5]])),
        u32::from(u16::from_le_bytes([bytes[6], bytes[7]])),
    );
    version.check(FORMAT)?;
    let body_bytes = &bytes[HEADER_LEN..];
    let (body, used): (Body, usize) = match ::bincode::serde::decode_from_slice(body_bytes, wire_config()) {
        Ok(ok) => ok,
        Err(e) => return Err(Error::decode(FORMAT, error_path(body_bytes), e.to_string())),
    };
    let newer_minor = version.minor > SchemaVersion::CURRENT.minor;
    if used != body_bytes.len() && !newer_minor {
        return Err(Error::decode(
            FORMAT,
            "",
            format!("{} trailing bytes after the signature", body_bytes.len() - used),
        ));
    }
    let inputs = body.input_specs.into_iter().map(input_from_wire).collect();
    let outputs = body.output_specs.into_iter().map(output_from_wire).collect();
    ExportGraphSignature::new(inputs, outputs)
}

/// Where a failed decode stopped, found by decoding again while tracking the path (the slow
/// path runs only for errors), named as the `.proto` names fields: `input_specs[1].target`.
fn error_path(body: &[u8]) -> String {
    let mut decoder = ::bincode::serde::BorrowedSerdeDecoder::from_slice(body, wire_config(), ());
    let Err(e) = serde_path_to_error::deserialize::<_, Body>(decoder.as_deserializer()) else {
        return String::new();
    };
    // bincode decodes structs as sequences, so the tracked path is positions only
    // (`[0][1][2]`); name the ones that are struct fields.
    let positions: Vec<usize> = e
        .path()
        .iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => Some(*index),
            _ => None,
        })
        .collect();
    let mut path = String::new();
    for (level, &i) in positions.iter().enumerate() {
        let list = positions.first().copied();
        let name = match (level, list) {
            (0, _) => ["input_specs", "output_specs"].get(i).copied(),
            (2, Some(0)) => ["kind", "arg", "target", "persistent"].get(i).copied(),
            (2, Some(1)) => ["kind", "arg", "target"].get(i).copied(),
            _ => None,
        };
        match name {
            Some(name) if path.is_empty() => path.push_str(name),
            Some(name) => {
                path.push('.');
                path.push_str(name);
            }
            None => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn input_to_wire(spec: &InputSpec) -> WireInput {
    let kind = match spec.kind {
        InputKind::UserInput => WireInputKind::UserInput,
        InputKind::Parameter => WireInputKind::Parameter,
        InputKind::Buffer => WireInputKind::Buffer,
        InputKind::ConstantTensor => WireInputKind::ConstantTensor,
        InputKind::CustomObj => WireInputKind::CustomObj,
        InputKind::Token => WireInputKind::Token,
    };
    WireInput { kind, arg: arg_to_wire(&spec.arg), target: spec.target.clone(), persistent: spec.persistent }
}

fn output_to_wire(spec: &OutputSpec) -> WireOutput {
    let kind = match spec.kind {
        OutputKind::UserOutput => WireOutputKind::UserOutput,
        OutputKind::LossOutput => WireOutputKind::LossOutput,
        OutputKind::BufferMutation => WireOutputKind::BufferMutation,
        OutputKind::ParameterMutation => WireOutputKind::ParameterMutation,
        OutputKind::GradientToParameter => WireOutputKind::GradientToParameter,
        OutputKind::GradientToUserInput => WireOutputKind::GradientToUserInput,
        OutputKind::UserInputMutation => WireOutputKind::UserInputMutation,
        OutputKind::Token => WireOutputKind::Token,
    };
    WireOutput { kind, arg: arg_to_wire(&spec.arg), target: spec.target.clone() }
}

fn arg_to_wire(arg: &ArgumentSpec) -> WireArg {
    match arg {
        ArgumentSpec::Tensor { name } => WireArg::Tensor(name.clone()),
        ArgumentSpec::SymInt { name } => WireArg::SymInt(name.clone()),
        ArgumentSpec::SymFloat { name } => WireArg::SymFloat(name.clone()),
        ArgumentSpec::SymBool { name } => WireArg::SymBool(name.clone()),
        ArgumentSpec::Token { name } => WireArg::Token(name.clone()),
        ArgumentSpec::CustomObj { name, class_fqn } => WireArg::CustomObj(name.clone(), class_fqn.clone()),
        ArgumentSpec::Constant { name, value } => WireArg::Constant(
            name.clone(),
            match value {
                ConstantValue::None => WireConstant::None,
                ConstantValue::Int(v) => WireConstant::Int(*v),
                ConstantValue::Float(v) => WireConstant::Float(*v),
                ConstantValue::Bool(v) => WireConstant::Bool(*v),
                ConstantValue::String(v) => WireConstant::String(v.clone()),
            },
        ),
    }
}

fn input_from_wire(spec: WireInput) -> InputSpec {
    let kind = match spec.kind {
        WireInputKind::UserInput => InputKind::UserInput,
        WireInputKind::Parameter => InputKind::Parameter,
        WireInputKind::Buffer => InputKind::Buffer,
        WireInputKind::ConstantTensor => InputKind::ConstantTensor,
        WireInputKind::CustomObj => InputKind::CustomObj,
        WireInputKind::Token => InputKind::Token,
    };
    InputSpec { kind, arg: arg_from_wire(spec.arg), target: spec.target, persistent: spec.persistent }
}

fn output_from_wire(spec: WireOutput) -> OutputSpec {
    let kind = match spec.kind {
        WireOutputKind::UserOutput => OutputKind::UserOutput,
        WireOutputKind::LossOutput => OutputKind::LossOutput,
        WireOutputKind::BufferMutation => OutputKind::BufferMutation,
        WireOutputKind::ParameterMutation => OutputKind::ParameterMutation,
        WireOutputKind::GradientToParameter => OutputKind::GradientToParameter,
        WireOutputKind::GradientToUserInput => OutputKind::GradientToUserInput,
        WireOutputKind::UserInputMutation => OutputKind::UserInputMutation,
        WireOutputKind::Token => OutputKind::Token,
    };
    OutputSpec { kind, arg: arg_from_wire(spec.arg), target: spec.target }
}

fn arg_from_wire(arg: WireArg) -> ArgumentSpec {
    match arg {
        WireArg::Tensor(name) => ArgumentSpec::Tensor { name },
        WireArg::SymInt(name) => ArgumentSpec::SymInt { name },
        WireArg::SymFloat(name) => ArgumentSpec::SymFloat { name },
        WireArg::SymBool(name) => ArgumentSpec::SymBool { name },
        WireArg::Token(name) => ArgumentSpec::Token { name },
        WireArg::CustomObj(name, class_fqn) => ArgumentSpec::CustomObj { name, class_fqn },
        WireArg::Constant(name, value) => ArgumentSpec::Constant {
            name,
            value: match value {
                WireConstant::None => ConstantValue::None,
                WireConstant::Int(v) => ConstantValue::Int(v),
                WireConstant::Float(v) => ConstantValue::Float(v),
                WireConstant::Bool(v) => ConstantValue::Bool(v),
                WireConstant::String(v) => ConstantValue::String(v),
            },
        },
    }
}
