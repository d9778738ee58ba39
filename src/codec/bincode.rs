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
//! Schema 1.1 appends one section after the body (a 1.0 reader skips it, as the trailing
//! bytes of a newer minor): `Option<WireMeta>`, the metadata of the signature's values. A
//! document with metadata is written at 1.1 with the section; one without is written at 1.0,
//! without it, byte for byte as before. A reader of a 1.1 (or newer) header reads the section
//! (and skips whatever a newer minor appended after it).
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

use super::meta::{align, check_entry_count, check_expr, ValueCount};
use super::Document;
use crate::model::meta::{
    Device, Dtype, Hint, Layout, RangeConstraint, SignatureMeta, SymExpr, SymInt, SymScalar, TensorMeta, ValueMeta,
};
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

// Schema 1.1: the metadata section after the body. Same rules: order is the wire format.

#[derive(Serialize, Deserialize)]
struct WireMeta {
    inputs: Vec<Option<WireValueMeta>>,
    outputs: Vec<Option<WireValueMeta>>,
    range_constraints: Vec<WireRange>,
}

/// Same order as the `.proto`'s `ValueMeta` arms (unknown is `None`).
#[derive(Serialize, Deserialize)]
enum WireValueMeta {
    Tensor(WireTensor),
    SymInt(WireSymInt),
    SymFloat(WireSymScalar),
    SymBool(WireSymScalar),
    CustomObj(String),
    Constant(WireConstant),
    Token,
}

#[derive(Serialize, Deserialize)]
struct WireTensor {
    dtype: i64,
    sizes: Vec<WireSymInt>,
    strides: Vec<WireSymInt>,
    storage_offset: WireSymInt,
    device: (String, Option<i64>),
    layout: i64,
    requires_grad: bool,
}

#[derive(Serialize, Deserialize)]
enum WireSymInt {
    Int(i64),
    Expr(WireExpr),
}

#[derive(Serialize, Deserialize)]
enum WireSymScalar {
    Int(i64),
    Float(f64),
    Bool(bool),
    Expr(WireExpr),
}

#[derive(Serialize, Deserialize)]
struct WireExpr {
    expr: String,
    hint: Option<WireHint>,
}

#[derive(Serialize, Deserialize)]
enum WireHint {
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Serialize, Deserialize)]
struct WireRange {
    symbol: String,
    min: Option<i64>,
    max: Option<i64>,
}

/// Encodes `sig` at schema 1.0 (no metadata). Deterministic. A signature whose body would
/// exceed [`MAX_BODY`] (which the reader refuses) is [`Error::TooLarge`].
pub fn encode(sig: &ExportGraphSignature) -> Result<Vec<u8>, Error> {
    encode_with(sig, None)
}

/// Encodes a document at the lowest version that holds it: 1.0 without metadata (the bytes
/// of [`encode`]), 1.1 with the metadata section. Metadata its readers would refuse is
/// [`Error::InvalidMeta`]; a body and section over [`MAX_BODY`] together,
/// [`Error::TooLarge`].
pub fn encode_document(doc: &Document) -> Result<Vec<u8>, Error> {
    if let Some(meta) = &doc.meta {
        super::meta::check_for_writing(&doc.signature, meta)?;
    }
    encode_with(&doc.signature, doc.meta.as_ref())
}

fn encode_with(sig: &ExportGraphSignature, meta: Option<&SignatureMeta>) -> Result<Vec<u8>, Error> {
    let body = Body {
        input_specs: sig.input_specs().iter().map(input_to_wire).collect(),
        output_specs: sig.output_specs().iter().map(output_to_wire).collect(),
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&MAGIC);
    let v = if meta.is_some() { SchemaVersion::V1_1 } else { SchemaVersion::V1_0 };
    for part in [v.major, v.minor] {
        out.extend_from_slice(&u16::try_from(part).unwrap_or(u16::MAX).to_le_bytes());
    }
    let failed =
        |e: ::bincode::error::EncodeError| Error::from(std::io::Error::other(format!("bincode encoding failed: {e}")));
    // Encoding these types into a Vec only fails past the size limit.
    let mut encoded = ::bincode::serde::encode_to_vec(&body, wire_config()).map_err(failed)?;
    if let Some(meta) = meta {
        let section = Some(meta_to_wire(meta, sig.input_specs().len(), sig.output_specs().len()));
        encoded.extend(::bincode::serde::encode_to_vec(&section, wire_config()).map_err(failed)?);
    }
    // The reader refuses a body over MAX_BODY: never write one.
    if encoded.len() > MAX_BODY {
        return Err(Error::TooLarge { format: FORMAT, size: encoded.len() as u64, limit: MAX_BODY as u64 });
    }
    out.extend_from_slice(&encoded);
    Ok(out)
}

/// Decodes a bincode document; the metadata section of a 1.1 document is decoded (and
/// checked against the limits) but not mapped.
pub fn decode(bytes: &[u8]) -> Result<ExportGraphSignature, Error> {
    decode_parts(bytes).map(|(signature, _)| signature)
}

/// Decodes a bincode document with its metadata (`None` in a 1.0 document). Bad metadata is
/// [`Error::Decode`] naming its path.
pub fn decode_document(bytes: &[u8]) -> Result<Document, Error> {
    let (signature, meta) = decode_parts(bytes)?;
    let meta = match meta {
        None => None,
        Some(m) => Some(meta_from_wire(m, signature.input_specs().len(), signature.output_specs().len())?),
    };
    Ok(Document { signature, meta })
}

fn decode_parts(bytes: &[u8]) -> Result<(ExportGraphSignature, Option<WireMeta>), Error> {
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
    let (mut meta, mut rest) = (None, &body_bytes[used..]);
    if version.minor >= 1 {
        // Schema 1.1's section: present in every document of a 1.1 or newer header.
        let (section, used): (Option<WireMeta>, usize) = ::bincode::serde::decode_from_slice(rest, wire_config())
            .map_err(|e| Error::decode(FORMAT, meta_error_path(rest), format!("the 1.1 metadata section: {e}")))?;
        if let Some(m) = &section {
            let (inputs, outputs) = (body.input_specs.len(), body.output_specs.len());
            check_entry_count(FORMAT, "meta.inputs", m.inputs.len(), inputs, "input")?;
            check_entry_count(FORMAT, "meta.outputs", m.outputs.len(), outputs, "output")?;
        }
        if (body_bytes.len() - rest.len()) + used > MAX_BODY {
            let size = ((body_bytes.len() - rest.len()) + used) as u64;
            return Err(Error::Limit {
                what: "a bincode body and its sections".to_owned(),
                size,
                limit: MAX_BODY as u64,
            });
        }
        meta = section;
        rest = &rest[used..];
    }
    let newer_minor = version.minor > SchemaVersion::CURRENT.minor;
    if !rest.is_empty() && !newer_minor {
        let what = if version.minor >= 1 { "the metadata" } else { "the signature" };
        return Err(Error::decode(FORMAT, "", format!("{} trailing bytes after {what}", rest.len())));
    }
    let inputs = body.input_specs.into_iter().map(input_from_wire).collect();
    let outputs = body.output_specs.into_iter().map(output_from_wire).collect();
    Ok((ExportGraphSignature::new(inputs, outputs)?, meta))
}

fn meta_to_wire(meta: &SignatureMeta, inputs: usize, outputs: usize) -> WireMeta {
    let list = |entries: &[Option<ValueMeta>], specs: usize| {
        (0..specs.max(entries.len())).map(|i| entries.get(i).and_then(Option::as_ref).map(value_meta_to_wire)).collect()
    };
    WireMeta {
        inputs: list(&meta.inputs, inputs),
        outputs: list(&meta.outputs, outputs),
        range_constraints: meta
            .range_constraints
            .iter()
            .map(|r| WireRange { symbol: r.symbol.clone(), min: r.min, max: r.max })
            .collect(),
    }
}

fn value_meta_to_wire(meta: &ValueMeta) -> WireValueMeta {
    match meta {
        ValueMeta::Tensor(t) => WireValueMeta::Tensor(WireTensor {
            dtype: t.dtype.schema_value(),
            sizes: t.sizes.iter().map(sym_int_to_wire).collect(),
            strides: t.strides.iter().map(sym_int_to_wire).collect(),
            storage_offset: sym_int_to_wire(&t.storage_offset),
            device: (t.device.kind.clone(), t.device.index),
            layout: t.layout.schema_value(),
            requires_grad: t.requires_grad,
        }),
        ValueMeta::SymInt { value } => WireValueMeta::SymInt(sym_int_to_wire(value)),
        ValueMeta::SymFloat { value } => WireValueMeta::SymFloat(sym_scalar_to_wire(value)),
        ValueMeta::SymBool { value } => WireValueMeta::SymBool(sym_scalar_to_wire(value)),
        ValueMeta::CustomObj { class_fqn } => WireValueMeta::CustomObj(class_fqn.clone()),
        ValueMeta::Constant { value } => WireValueMeta::Constant(constant_to_wire(value)),
        ValueMeta::Token => WireValueMeta::Token,
    }
}

fn expr_to_wire(e: &SymExpr) -> WireExpr {
    let hint = e.hint.map(|h| match h {
        Hint::Int(i) => WireHint::Int(i),
        Hint::Float(f) => WireHint::Float(f),
        Hint::Bool(b) => WireHint::Bool(b),
    });
    WireExpr { expr: e.expr.clone(), hint }
}

fn sym_int_to_wire(v: &SymInt) -> WireSymInt {
    match v {
        SymInt::Int(i) => WireSymInt::Int(*i),
        SymInt::Expr(e) => WireSymInt::Expr(expr_to_wire(e)),
    }
}

fn sym_scalar_to_wire(v: &SymScalar) -> WireSymScalar {
    match v {
        SymScalar::Known(Hint::Int(i)) => WireSymScalar::Int(*i),
        SymScalar::Known(Hint::Float(f)) => WireSymScalar::Float(*f),
        SymScalar::Known(Hint::Bool(b)) => WireSymScalar::Bool(*b),
        SymScalar::Expr(e) => WireSymScalar::Expr(expr_to_wire(e)),
    }
}

/// The model's metadata of the section, aligned with `inputs` and `outputs` specs.
fn meta_from_wire(meta: WireMeta, inputs: usize, outputs: usize) -> Result<SignatureMeta, Error> {
    let mut count = ValueCount::default();
    count.add(FORMAT, meta.range_constraints.len())?;
    let mut lists = Vec::with_capacity(2);
    for (name, entries, specs, what) in
        [("inputs", meta.inputs, inputs, "input"), ("outputs", meta.outputs, outputs, "output")]
    {
        let decoded = entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.map(|e| value_meta_from_wire(e, &format!("meta.{name}[{i}]"), &mut count)).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        lists.push(align(FORMAT, &format!("meta.{name}"), decoded, specs, what)?);
    }
    let outputs = lists.pop().unwrap_or_default();
    let inputs = lists.pop().unwrap_or_default();
    let range_constraints = meta
        .range_constraints
        .into_iter()
        .map(|r| RangeConstraint { symbol: r.symbol, min: r.min, max: r.max })
        .collect();
    Ok(SignatureMeta { inputs, outputs, range_constraints })
}

fn value_meta_from_wire(meta: WireValueMeta, path: &str, count: &mut ValueCount) -> Result<ValueMeta, Error> {
    Ok(match meta {
        WireValueMeta::Tensor(t) => {
            count.add(FORMAT, t.sizes.len() + t.strides.len())?;
            let dims = |list: Vec<WireSymInt>, name: &str| {
                list.into_iter()
                    .enumerate()
                    .map(|(i, d)| sym_int_from_wire(d, &format!("{path}.tensor.{name}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()
            };
            ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::from_schema(t.dtype),
                sizes: dims(t.sizes, "sizes")?,
                strides: dims(t.strides, "strides")?,
                storage_offset: sym_int_from_wire(t.storage_offset, &format!("{path}.tensor.storage_offset"))?,
                device: Device { kind: t.device.0, index: t.device.1 },
                layout: Layout::from_schema(t.layout),
                requires_grad: t.requires_grad,
            })
        }
        WireValueMeta::SymInt(v) => {
            ValueMeta::SymInt { value: sym_int_from_wire(v, &format!("{path}.sym_int.value"))? }
        }
        WireValueMeta::SymFloat(v) => {
            ValueMeta::SymFloat { value: sym_scalar_from_wire(v, &format!("{path}.sym_float.value"))? }
        }
        WireValueMeta::SymBool(v) => {
            ValueMeta::SymBool { value: sym_scalar_from_wire(v, &format!("{path}.sym_bool.value"))? }
        }
        WireValueMeta::CustomObj(class_fqn) => ValueMeta::CustomObj { class_fqn },
        WireValueMeta::Constant(c) => ValueMeta::Constant { value: constant_from_wire(c) },
        WireValueMeta::Token => ValueMeta::Token,
    })
}

fn expr_from_wire(e: WireExpr, path: &str) -> Result<SymExpr, Error> {
    if let Some(reason) = check_expr(&e.expr) {
        return Err(Error::decode(FORMAT, format!("{path}.as_expr.expr"), reason));
    }
    let hint = e.hint.map(|h| match h {
        WireHint::Int(i) => Hint::Int(i),
        WireHint::Float(f) => Hint::Float(f),
        WireHint::Bool(b) => Hint::Bool(b),
    });
    Ok(SymExpr::new(e.expr, hint))
}

fn sym_int_from_wire(v: WireSymInt, path: &str) -> Result<SymInt, Error> {
    Ok(match v {
        WireSymInt::Int(i) => SymInt::Int(i),
        WireSymInt::Expr(e) => SymInt::Expr(expr_from_wire(e, path)?),
    })
}

fn sym_scalar_from_wire(v: WireSymScalar, path: &str) -> Result<SymScalar, Error> {
    Ok(match v {
        WireSymScalar::Int(i) => SymScalar::Known(Hint::Int(i)),
        WireSymScalar::Float(f) => SymScalar::Known(Hint::Float(f)),
        WireSymScalar::Bool(b) => SymScalar::Known(Hint::Bool(b)),
        WireSymScalar::Expr(e) => SymScalar::Expr(expr_from_wire(e, path)?),
    })
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

/// Where decoding the metadata section stopped, as [`error_path`] finds it for the body:
/// `meta.inputs[3]` (positions below an entry are given as `[i]`).
fn meta_error_path(section: &[u8]) -> String {
    let mut decoder = ::bincode::serde::BorrowedSerdeDecoder::from_slice(section, wire_config(), ());
    let Err(e) = serde_path_to_error::deserialize::<_, Option<WireMeta>>(decoder.as_deserializer()) else {
        return "meta".to_owned();
    };
    let mut path = "meta".to_owned();
    let positions = e.path().iter().filter_map(|segment| match segment {
        serde_path_to_error::Segment::Seq { index } => Some(*index),
        _ => None,
    });
    for (level, i) in positions.enumerate() {
        match (level, ["inputs", "outputs", "range_constraints"].get(i)) {
            (0, Some(name)) => {
                path.push('.');
                path.push_str(name);
            }
            _ => path.push_str(&format!("[{i}]")),
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
        ArgumentSpec::Constant { name, value } => WireArg::Constant(name.clone(), constant_to_wire(value)),
    }
}

fn constant_to_wire(value: &ConstantValue) -> WireConstant {
    match value {
        ConstantValue::None => WireConstant::None,
        ConstantValue::Int(v) => WireConstant::Int(*v),
        ConstantValue::Float(v) => WireConstant::Float(*v),
        ConstantValue::Bool(v) => WireConstant::Bool(*v),
        ConstantValue::String(v) => WireConstant::String(v.clone()),
    }
}

fn constant_from_wire(value: WireConstant) -> ConstantValue {
    match value {
        WireConstant::None => ConstantValue::None,
        WireConstant::Int(v) => ConstantValue::Int(v),
        WireConstant::Float(v) => ConstantValue::Float(v),
        WireConstant::Bool(v) => ConstantValue::Bool(v),
        WireConstant::String(v) => ConstantValue::String(v),
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
        WireArg::Constant(name, value) => ArgumentSpec::Constant { name, value: constant_from_wire(value) },
    }
}
