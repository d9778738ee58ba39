//! FlatBuffers: root `GraphSignature` of `schema/graph_signature_v1.fbs`, identifier `GSIG`.
//!
//! Untrusted bytes always pass the identifier check and then the FlatBuffers verifier
//! (bounded by [`verifier_options`]) before anything is read; no unchecked entry point is
//! used. [`decode`] maps the whole buffer to the model (and checks the key-sorted indexes
//! against the specs); [`SignatureView`] answers lookups by graph-node name or target with a
//! binary search over the buffer, without decoding anything else.
//!
//! ```
//! use graph_signature::codec::fbs::{self, SignatureView};
//! use graph_signature::{ArgumentSpec, ExportGraphSignature, InputKind, InputSpec, OutputSpec};
//! let sig = ExportGraphSignature::new(
//!     vec![InputSpec::parameter("p_w", "layer.w"), InputSpec::user_input(ArgumentSpec::tensor("x"))],
//!     vec![OutputSpec::user_output(ArgumentSpec::tensor("mm"))],
//! )?;
//! let bytes = fbs::encode(&sig)?;
//! let view = SignatureView::new(&bytes)?;
//! assert_eq!(view.input_index_by_name("x"), Some(1));
//! assert_eq!(view.input_by_target("layer.w")?.map(|s| s.kind), Some(InputKind::Parameter));
//! assert_eq!(view.output_index_by_name("mm"), Some(0));
//! assert_eq!(fbs::decode(&bytes)?, sig);
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::collections::BTreeMap;

use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, VerifierOptions, WIPOffset};

use super::{Document, FieldPath as Path};
use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};
use crate::version::SchemaVersion;
use crate::Error;

/// The code flatc 25.12.19 generated from `schema/graph_signature_v1.fbs`
/// (`scripts/regen-flatbuffers.sh`); not hand-written, not formatted, lints relaxed.
#[allow(
    unsafe_code,
    missing_docs,
    unused_imports,
    dead_code,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    deprecated,
    mismatched_lifetime_syntaxes,
    clippy::all,
    clippy::pedantic
)]
#[rustfmt::skip]
#[path = "generated/graph_signature_v1_generated.rs"]
mod generated;

/// The generated types (`graph_signature.v1` namespace).
pub use generated::graph_signature::v_1 as fb;

/// The `ConstantValue` union of a `ConstantArgument` or `ConstantMeta` table (both have the
/// same generated accessors), as the model's value; returns the error from the caller.
macro_rules! constant {
    ($c:expr, $path:expr) => {{
        let c = $c;
        let path: Path<'_> = $path;
        let empty = || Error::decode(FORMAT, path, "no value set (union value is empty)");
        match c.value_type() {
            fb::ConstantValue::NoneValue => c.value_as_none_value().map(|_| ConstantValue::None).ok_or_else(empty)?,
            fb::ConstantValue::IntValue => ConstantValue::Int(c.value_as_int_value().ok_or_else(empty)?.value()),
            fb::ConstantValue::FloatValue => ConstantValue::Float(c.value_as_float_value().ok_or_else(empty)?.value()),
            fb::ConstantValue::BoolValue => ConstantValue::Bool(c.value_as_bool_value().ok_or_else(empty)?.value()),
            fb::ConstantValue::StringValue => ConstantValue::String(
                c.value_as_string_value().ok_or_else(empty)?.value().unwrap_or_default().to_owned(),
            ),
            fb::ConstantValue::NONE => return Err(empty()),
            other => return Err(unknown(path, "ConstantValue", other.0)),
        }
    }};
}

mod meta;

const FORMAT: &str = "fbs";

/// The file identifier at bytes 4..8 of every buffer.
pub const IDENTIFIER: &[u8; 4] = b"GSIG";

/// The largest buffer read ([`verifier_options`]) and written ([`encode`]): 256 MiB, about
/// ten times a 100,000-spec signature.
pub const MAX_BUFFER: usize = 256 << 20;

/// The verifier's limits for untrusted buffers: flatbuffers' defaults but for the apparent
/// size, capped at [`MAX_BUFFER`].
pub fn verifier_options() -> VerifierOptions {
    VerifierOptions { max_apparent_size: MAX_BUFFER, ..VerifierOptions::default() }
}

/// The verifier's limits for a buffer of `len` bytes: [`verifier_options`], with a table
/// limit of a quarter of the buffer when that is more than the default million. A table
/// takes at least 4 bytes, so an honest buffer never reaches it, while each size of each
/// tensor of a 1.1 buffer's metadata is a table of its own.
fn verifier_options_for(len: usize) -> VerifierOptions {
    let options = verifier_options();
    VerifierOptions { max_tables: options.max_tables.max(len / 4), ..options }
}

/// An upper bound of the encoded size: every string at most twice (in its spec and as an
/// index key) with length prefix, terminator and padding, and a generous allowance for the
/// tables, vtables and offsets of each spec and its index entries.
fn size_bound(sig: &ExportGraphSignature) -> u64 {
    let string = |s: &str| s.len() as u64 + 8;
    let arg = |a: &ArgumentSpec| {
        2 * string(a.name())
            + match a {
                ArgumentSpec::CustomObj { class_fqn, .. } => string(class_fqn),
                ArgumentSpec::Constant { value: ConstantValue::String(v), .. } => string(v),
                _ => 0,
            }
    };
    let target = |t: &Option<String>| t.as_deref().map_or(0, |t| 2 * string(t));
    let inputs: u64 = sig.input_specs().iter().map(|s| arg(&s.arg) + target(&s.target) + 256).sum();
    let outputs: u64 = sig.output_specs().iter().map(|s| arg(&s.arg) + target(&s.target) + 256).sum();
    inputs + outputs + 1024
}

/// Encodes `sig` as a finished, identified FlatBuffer at schema 1.0 (no metadata).
/// Deterministic. A signature whose buffer could exceed [`MAX_BUFFER`] (which no reader
/// of ours would accept, and past 2 GiB no FlatBuffer can hold) is [`Error::TooLarge`].
pub fn encode(sig: &ExportGraphSignature) -> Result<Vec<u8>, Error> {
    encode_with(sig, None)
}

/// Encodes a document at the lowest version that holds it (1.0 without metadata: the bytes
/// of [`encode`]; 1.1 with `GraphSignature.meta`). Metadata its readers would refuse is
/// [`Error::InvalidMeta`]; a buffer that could exceed [`MAX_BUFFER`], [`Error::TooLarge`].
pub fn encode_document(doc: &Document) -> Result<Vec<u8>, Error> {
    if let Some(meta) = &doc.meta {
        crate::codec::meta::check_for_writing(&doc.signature, meta)?;
    }
    encode_with(&doc.signature, doc.meta.as_ref())
}

fn encode_with(sig: &ExportGraphSignature, meta: Option<&crate::model::meta::SignatureMeta>) -> Result<Vec<u8>, Error> {
    let (n_in, n_out) = (sig.input_specs().len(), sig.output_specs().len());
    let bound = size_bound(sig) + meta.map_or(0, |m| meta::size_bound(m, n_in, n_out));
    if bound > MAX_BUFFER as u64 {
        return Err(Error::TooLarge { format: FORMAT, size: bound, limit: MAX_BUFFER as u64 });
    }
    let mut fbb = FlatBufferBuilder::with_capacity(256);
    let v = if meta.is_some() { SchemaVersion::V1_1 } else { SchemaVersion::V1_0 };
    let version = fb::SchemaVersion::create(&mut fbb, &fb::SchemaVersionArgs { major: v.major, minor: v.minor });
    let inputs: Vec<_> = sig.input_specs().iter().map(|s| input_to_fb(&mut fbb, s)).collect();
    let inputs = fbb.create_vector(&inputs);
    let outputs: Vec<_> = sig.output_specs().iter().map(|s| output_to_fb(&mut fbb, s)).collect();
    let outputs = fbb.create_vector(&outputs);
    let indexes = Indexes::of(sig);
    let inputs_by_name = index_to_fb(&mut fbb, &indexes.inputs_by_name);
    let inputs_by_target = index_to_fb(&mut fbb, &indexes.inputs_by_target);
    let outputs_by_name = index_to_fb(&mut fbb, &indexes.outputs_by_name);
    let meta = meta.map(|m| meta::to_fb(&mut fbb, m, n_in, n_out));
    let root = fb::GraphSignature::create(
        &mut fbb,
        &fb::GraphSignatureArgs {
            schema_version: Some(version),
            inputs: Some(inputs),
            outputs: Some(outputs),
            inputs_by_name: Some(inputs_by_name),
            inputs_by_target: Some(inputs_by_target),
            outputs_by_name: Some(outputs_by_name),
            meta,
        },
    );
    fb::finish_graph_signature_buffer(&mut fbb, root);
    let bytes = fbb.finished_data().to_vec();
    debug_assert!(bytes.len() as u64 <= bound, "size_bound {bound} < {} bytes", bytes.len());
    Ok(bytes)
}

/// Verifies `bytes` and checks the identifier and schema version: the root, ready to read.
fn verified_root(bytes: &[u8]) -> Result<fb::GraphSignature<'_>, Error> {
    if bytes.len() < 8 || &bytes[4..8] != IDENTIFIER {
        return Err(Error::decode(FORMAT, "", "not a graph-signature FlatBuffer (no GSIG file identifier)"));
    }
    let root = fb::root_as_graph_signature_with_opts(&verifier_options_for(bytes.len()), bytes)
        .map_err(|e| Error::decode(FORMAT, "", format!("verifier: {e}")))?;
    let v = root.schema_version();
    SchemaVersion::new(v.major(), v.minor()).check(FORMAT)?;
    Ok(root)
}

/// Decodes a FlatBuffer: verifier, identifier, version, every spec, and the indexes checked
/// against the specs; ends in [`ExportGraphSignature::new`]. The metadata of a 1.1 buffer
/// is verified but not read (see [`decode_document`]).
pub fn decode(bytes: &[u8]) -> Result<ExportGraphSignature, Error> {
    let root = verified_root(bytes)?;
    decode_signature(root, &mut TextBudget::for_buffer(bytes.len()))
}

/// Decodes a FlatBuffer as [`decode`] does, with its metadata (`None` in a 1.0 buffer); the
/// metadata's strings count against the same text budget as the specs'.
pub fn decode_document(bytes: &[u8]) -> Result<Document, Error> {
    let root = verified_root(bytes)?;
    let mut budget = TextBudget::for_buffer(bytes.len());
    let signature = decode_signature(root, &mut budget)?;
    let meta = match root.meta() {
        None => None,
        Some(m) => Some(meta::from_fb(m, signature.input_specs().len(), signature.output_specs().len(), &mut budget)?),
    };
    Ok(Document { signature, meta })
}

fn decode_signature(root: fb::GraphSignature<'_>, budget: &mut TextBudget) -> Result<ExportGraphSignature, Error> {
    let top = Path::Root;
    let in_path = Path::Field(&top, "inputs");
    let out_path = Path::Field(&top, "outputs");
    let (fb_inputs, fb_outputs) = (root.inputs().unwrap_or_default(), root.outputs().unwrap_or_default());
    super::check_spec_count(FORMAT, (fb_inputs.len() + fb_outputs.len()) as u64)?;
    // Tables and strings may be shared between specs: the text decoded is budgeted, so a
    // small buffer cannot decode into gigabytes.
    let mut inputs = Vec::with_capacity(fb_inputs.len());
    for (i, s) in fb_inputs.iter().enumerate() {
        let spec = input_from_fb(s, Path::Index(&in_path, i))?;
        budget.spend(&spec.arg, &spec.target)?;
        inputs.push(spec);
    }
    let mut outputs = Vec::with_capacity(fb_outputs.len());
    for (i, s) in fb_outputs.iter().enumerate() {
        let spec = output_from_fb(s, Path::Index(&out_path, i))?;
        budget.spend(&spec.arg, &spec.target)?;
        outputs.push(spec);
    }
    let sig = ExportGraphSignature::new(inputs, outputs)?;
    let want = Indexes::of(&sig);
    for (name, stored, want) in [
        ("inputs_by_name", root.inputs_by_name(), &want.inputs_by_name),
        ("inputs_by_target", root.inputs_by_target(), &want.inputs_by_target),
        ("outputs_by_name", root.outputs_by_name(), &want.outputs_by_name),
    ] {
        check_index(name, stored, want)?;
    }
    Ok(sig)
}

/// How much text (names, targets, classes, string constants) a buffer may decode into:
/// four times its own size, and 1 MiB whatever its size. A writer that shares strings
/// between specs and indexes stays far below; a buffer whose specs all point at one long
/// string does not.
struct TextBudget {
    spent: u64,
    limit: u64,
}

impl TextBudget {
    fn for_buffer(len: usize) -> Self {
        Self { spent: 0, limit: (4 * len as u64).max(1 << 20) }
    }

    fn spend(&mut self, arg: &ArgumentSpec, target: &Option<String>) -> Result<(), Error> {
        let extra = match arg {
            ArgumentSpec::CustomObj { class_fqn, .. } => class_fqn.len(),
            ArgumentSpec::Constant { value: ConstantValue::String(v), .. } => v.len(),
            _ => 0,
        };
        self.spend_text(arg.name().len() + extra + target.as_deref().map_or(0, str::len))
    }

    /// Spends `len` bytes of text (one string of the metadata, say).
    fn spend_text(&mut self, len: usize) -> Result<(), Error> {
        self.spent += len as u64;
        if self.spent > self.limit {
            return Err(Error::Limit {
                what: "the text a fbs buffer decodes into (strings shared between specs count each time)".to_owned(),
                size: self.spent,
                limit: self.limit,
            });
        }
        Ok(())
    }
}

/// The three key-sorted indexes: key → position of the last spec with that key.
struct Indexes<'s> {
    inputs_by_name: BTreeMap<&'s str, u32>,
    inputs_by_target: BTreeMap<&'s str, u32>,
    outputs_by_name: BTreeMap<&'s str, u32>,
}

impl<'s> Indexes<'s> {
    fn of(sig: &'s ExportGraphSignature) -> Self {
        // Inserting in order keeps the last spec for a repeated key (torch's dict semantics).
        // A signature has far fewer than 2^32 specs (the verifier caps a buffer's tables).
        let pos = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let ins = sig.input_specs().iter().enumerate();
        Indexes {
            inputs_by_name: ins.clone().map(|(i, s)| (s.arg.name(), pos(i))).collect(),
            inputs_by_target: ins.filter_map(|(i, s)| Some((s.target.as_deref()?, pos(i)))).collect(),
            outputs_by_name: sig.output_specs().iter().enumerate().map(|(i, s)| (s.arg.name(), pos(i))).collect(),
        }
    }
}

type FbIndex<'b> = Vector<'b, ForwardsUOffset<fb::IndexEntry<'b>>>;

fn index_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, index: &BTreeMap<&str, u32>) -> WIPOffset<FbIndex<'b>> {
    let entries: Vec<_> = index
        .iter()
        .map(|(key, &index)| {
            let key = fbb.create_string(key);
            fb::IndexEntry::create(fbb, &fb::IndexEntryArgs { key: Some(key), index })
        })
        .collect();
    fbb.create_vector(&entries)
}

fn check_index(name: &'static str, stored: Option<FbIndex<'_>>, want: &BTreeMap<&str, u32>) -> Result<(), Error> {
    let stored = stored.unwrap_or_default();
    if stored.len() != want.len() {
        return Err(Error::decode(
            FORMAT,
            name,
            format!("index has {} entries, the specs have {} distinct keys", stored.len(), want.len()),
        ));
    }
    for (i, (entry, (key, index))) in stored.iter().zip(want).enumerate() {
        if entry.key() != *key || entry.index() != *index {
            return Err(Error::decode(
                FORMAT,
                format!("{name}[{i}]"),
                format!(
                    "index entry ({:?} -> {}) does not match the specs (expected {key:?} -> {index}); \
                     the index must be sorted, one entry per key, last spec wins",
                    entry.key(),
                    entry.index()
                ),
            ));
        }
    }
    Ok(())
}

/// A verified buffer, read in place: lookups by key through the sorted indexes (binary
/// search, O(log n)), decoding only the spec asked for.
///
/// The indexes of an untrusted buffer are only as honest as its writer: a lookup never
/// panics and never reads out of bounds, but a hostile buffer can make it miss or point at
/// another spec. [`decode`] checks the indexes against the specs.
pub struct SignatureView<'b> {
    root: fb::GraphSignature<'b>,
}

impl<'b> SignatureView<'b> {
    /// Verifies `bytes` (identifier, verifier, schema version).
    pub fn new(bytes: &'b [u8]) -> Result<Self, Error> {
        Ok(Self { root: verified_root(bytes)? })
    }

    /// The schema version the buffer was written with.
    pub fn schema_version(&self) -> SchemaVersion {
        let v = self.root.schema_version();
        SchemaVersion::new(v.major(), v.minor())
    }

    /// Number of inputs.
    pub fn input_count(&self) -> usize {
        self.root.inputs().map_or(0, |v| v.len())
    }

    /// Number of outputs.
    pub fn output_count(&self) -> usize {
        self.root.outputs().map_or(0, |v| v.len())
    }

    /// Position of the (last) input whose graph node is `name`.
    pub fn input_index_by_name(&self, name: &str) -> Option<usize> {
        lookup(self.root.inputs_by_name(), name, self.input_count())
    }

    /// Position of the (last) input whose target is `target`.
    pub fn input_index_by_target(&self, target: &str) -> Option<usize> {
        lookup(self.root.inputs_by_target(), target, self.input_count())
    }

    /// Position of the (last) output whose graph node is `name`.
    pub fn output_index_by_name(&self, name: &str) -> Option<usize> {
        lookup(self.root.outputs_by_name(), name, self.output_count())
    }

    /// The input at `index`, decoded alone.
    pub fn input(&self, index: usize) -> Result<InputSpec, Error> {
        let inputs = self.root.inputs().unwrap_or_default();
        let top = Path::Root;
        let at = Path::Index(&Path::Field(&top, "inputs"), index).to_string();
        if index >= inputs.len() {
            return Err(Error::decode(FORMAT, at, "no such input"));
        }
        input_from_fb(inputs.get(index), Path::Field(&Path::Root, &at))
    }

    /// The output at `index`, decoded alone.
    pub fn output(&self, index: usize) -> Result<OutputSpec, Error> {
        let outputs = self.root.outputs().unwrap_or_default();
        let top = Path::Root;
        let at = Path::Index(&Path::Field(&top, "outputs"), index).to_string();
        if index >= outputs.len() {
            return Err(Error::decode(FORMAT, at, "no such output"));
        }
        output_from_fb(outputs.get(index), Path::Field(&Path::Root, &at))
    }

    /// The (last) input whose graph node is `name`, decoded alone.
    pub fn input_by_name(&self, name: &str) -> Result<Option<InputSpec>, Error> {
        self.input_index_by_name(name).map(|i| self.input(i)).transpose()
    }

    /// The (last) input whose target is `target`, decoded alone.
    pub fn input_by_target(&self, target: &str) -> Result<Option<InputSpec>, Error> {
        self.input_index_by_target(target).map(|i| self.input(i)).transpose()
    }

    /// The (last) output whose graph node is `name`, decoded alone.
    pub fn output_by_name(&self, name: &str) -> Result<Option<OutputSpec>, Error> {
        self.output_index_by_name(name).map(|i| self.output(i)).transpose()
    }
}

fn lookup(index: Option<FbIndex<'_>>, key: &str, len: usize) -> Option<usize> {
    let entry = index?.lookup_by_key(key, |e, k| e.key_compare_with_value(k))?;
    let i = usize::try_from(entry.index()).ok()?;
    (i < len).then_some(i)
}

fn input_kind_to_fb(kind: InputKind) -> fb::InputKind {
    match kind {
        InputKind::UserInput => fb::InputKind::USER_INPUT,
        InputKind::Parameter => fb::InputKind::PARAMETER,
        InputKind::Buffer => fb::InputKind::BUFFER,
        InputKind::ConstantTensor => fb::InputKind::CONSTANT_TENSOR,
        InputKind::CustomObj => fb::InputKind::CUSTOM_OBJ,
        InputKind::Token => fb::InputKind::TOKEN,
    }
}

fn output_kind_to_fb(kind: OutputKind) -> fb::OutputKind {
    match kind {
        OutputKind::UserOutput => fb::OutputKind::USER_OUTPUT,
        OutputKind::LossOutput => fb::OutputKind::LOSS_OUTPUT,
        OutputKind::BufferMutation => fb::OutputKind::BUFFER_MUTATION,
        OutputKind::ParameterMutation => fb::OutputKind::PARAMETER_MUTATION,
        OutputKind::GradientToParameter => fb::OutputKind::GRADIENT_TO_PARAMETER,
        OutputKind::GradientToUserInput => fb::OutputKind::GRADIENT_TO_USER_INPUT,
        OutputKind::UserInputMutation => fb::OutputKind::USER_INPUT_MUTATION,
        OutputKind::Token => fb::OutputKind::TOKEN,
    }
}

fn input_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, spec: &InputSpec) -> WIPOffset<fb::InputSpec<'b>> {
    let (arg_type, arg) = arg_to_fb(fbb, &spec.arg);
    let target = spec.target.as_deref().map(|t| fbb.create_string(t));
    fb::InputSpec::create(
        fbb,
        &fb::InputSpecArgs {
            kind: input_kind_to_fb(spec.kind),
            arg_type,
            arg: Some(arg),
            target,
            persistent: spec.persistent,
        },
    )
}

fn output_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, spec: &OutputSpec) -> WIPOffset<fb::OutputSpec<'b>> {
    let (arg_type, arg) = arg_to_fb(fbb, &spec.arg);
    let target = spec.target.as_deref().map(|t| fbb.create_string(t));
    fb::OutputSpec::create(
        fbb,
        &fb::OutputSpecArgs { kind: output_kind_to_fb(spec.kind), arg_type, arg: Some(arg), target },
    )
}

fn arg_to_fb<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    arg: &ArgumentSpec,
) -> (fb::Argument, WIPOffset<flatbuffers::UnionWIPOffset>) {
    let name = Some(fbb.create_string(arg.name()));
    match arg {
        ArgumentSpec::Tensor { .. } => (
            fb::Argument::TensorArgument,
            fb::TensorArgument::create(fbb, &fb::TensorArgumentArgs { name }).as_union_value(),
        ),
        ArgumentSpec::SymInt { .. } => (
            fb::Argument::SymIntArgument,
            fb::SymIntArgument::create(fbb, &fb::SymIntArgumentArgs { name }).as_union_value(),
        ),
        ArgumentSpec::SymFloat { .. } => (
            fb::Argument::SymFloatArgument,
            fb::SymFloatArgument::create(fbb, &fb::SymFloatArgumentArgs { name }).as_union_value(),
        ),
        ArgumentSpec::SymBool { .. } => (
            fb::Argument::SymBoolArgument,
            fb::SymBoolArgument::create(fbb, &fb::SymBoolArgumentArgs { name }).as_union_value(),
        ),
        ArgumentSpec::Token { .. } => (
            fb::Argument::TokenArgument,
            fb::TokenArgument::create(fbb, &fb::TokenArgumentArgs { name }).as_union_value(),
        ),
        ArgumentSpec::CustomObj { class_fqn, .. } => {
            let class_fqn = Some(fbb.create_string(class_fqn));
            (
                fb::Argument::CustomObjArgument,
                fb::CustomObjArgument::create(fbb, &fb::CustomObjArgumentArgs { name, class_fqn }).as_union_value(),
            )
        }
        ArgumentSpec::Constant { value, .. } => {
            let (value_type, value) = constant_to_fb(fbb, value);
            let args = fb::ConstantArgumentArgs { name, value_type, value: Some(value) };
            (fb::Argument::ConstantArgument, fb::ConstantArgument::create(fbb, &args).as_union_value())
        }
    }
}

fn constant_to_fb<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    value: &ConstantValue,
) -> (fb::ConstantValue, WIPOffset<flatbuffers::UnionWIPOffset>) {
    match value {
        ConstantValue::None => {
            (fb::ConstantValue::NoneValue, fb::NoneValue::create(fbb, &fb::NoneValueArgs {}).as_union_value())
        }
        ConstantValue::Int(v) => {
            (fb::ConstantValue::IntValue, fb::IntValue::create(fbb, &fb::IntValueArgs { value: *v }).as_union_value())
        }
        ConstantValue::Float(v) => {
            // The builder omits a field equal to its default by `==`, and -0.0 == 0.0: force
            // the value to be written so that -0.0 keeps its sign.
            fbb.force_defaults(true);
            let table = fb::FloatValue::create(fbb, &fb::FloatValueArgs { value: *v });
            fbb.force_defaults(false);
            (fb::ConstantValue::FloatValue, table.as_union_value())
        }
        ConstantValue::Bool(v) => (
            fb::ConstantValue::BoolValue,
            fb::BoolValue::create(fbb, &fb::BoolValueArgs { value: *v }).as_union_value(),
        ),
        ConstantValue::String(v) => {
            let value = Some(fbb.create_string(v));
            (
                fb::ConstantValue::StringValue,
                fb::StringValue::create(fbb, &fb::StringValueArgs { value }).as_union_value(),
            )
        }
    }
}

/// The argument union of an input or output spec (both have the same generated accessors).
macro_rules! argument {
    ($spec:expr, $path:expr) => {{
        let spec = $spec;
        let path: Path<'_> = $path;
        let empty = || Error::decode(FORMAT, path, "no argument set (union arg is empty)");
        let name = |n: Option<&str>| n.unwrap_or_default().to_owned();
        match spec.arg_type() {
            fb::Argument::TensorArgument => {
                ArgumentSpec::Tensor { name: name(spec.arg_as_tensor_argument().ok_or_else(empty)?.name()) }
            }
            fb::Argument::SymIntArgument => {
                ArgumentSpec::SymInt { name: name(spec.arg_as_sym_int_argument().ok_or_else(empty)?.name()) }
            }
            fb::Argument::SymFloatArgument => {
                ArgumentSpec::SymFloat { name: name(spec.arg_as_sym_float_argument().ok_or_else(empty)?.name()) }
            }
            fb::Argument::SymBoolArgument => {
                ArgumentSpec::SymBool { name: name(spec.arg_as_sym_bool_argument().ok_or_else(empty)?.name()) }
            }
            fb::Argument::TokenArgument => {
                ArgumentSpec::Token { name: name(spec.arg_as_token_argument().ok_or_else(empty)?.name()) }
            }
            fb::Argument::CustomObjArgument => {
                let obj = spec.arg_as_custom_obj_argument().ok_or_else(empty)?;
                ArgumentSpec::CustomObj { name: name(obj.name()), class_fqn: name(obj.class_fqn()) }
            }
            fb::Argument::ConstantArgument => {
                let c = spec.arg_as_constant_argument().ok_or_else(empty)?;
                let inner = Path::Field(&path, "constant");
                ArgumentSpec::Constant { name: name(c.name()), value: constant(c, Path::Field(&inner, "value"))? }
            }
            fb::Argument::NONE => return Err(empty()),
            other => return Err(unknown(path, "Argument", other.0)),
        }
    }};
}

fn input_from_fb(spec: fb::InputSpec<'_>, path: Path<'_>) -> Result<InputSpec, Error> {
    let kind_path = Path::Field(&path, "kind");
    let kind = match spec.kind() {
        fb::InputKind::USER_INPUT => InputKind::UserInput,
        fb::InputKind::PARAMETER => InputKind::Parameter,
        fb::InputKind::BUFFER => InputKind::Buffer,
        fb::InputKind::CONSTANT_TENSOR => InputKind::ConstantTensor,
        fb::InputKind::CUSTOM_OBJ => InputKind::CustomObj,
        fb::InputKind::TOKEN => InputKind::Token,
        fb::InputKind::UNSPECIFIED => return Err(Error::decode(FORMAT, kind_path, "UNSPECIFIED")),
        other => return Err(unknown(kind_path, "InputKind", other.0)),
    };
    let arg = argument!(&spec, Path::Field(&path, "arg"));
    Ok(InputSpec { kind, arg, target: spec.target().map(str::to_owned), persistent: spec.persistent() })
}

fn output_from_fb(spec: fb::OutputSpec<'_>, path: Path<'_>) -> Result<OutputSpec, Error> {
    let kind_path = Path::Field(&path, "kind");
    let kind = match spec.kind() {
        fb::OutputKind::USER_OUTPUT => OutputKind::UserOutput,
        fb::OutputKind::LOSS_OUTPUT => OutputKind::LossOutput,
        fb::OutputKind::BUFFER_MUTATION => OutputKind::BufferMutation,
        fb::OutputKind::PARAMETER_MUTATION => OutputKind::ParameterMutation,
        fb::OutputKind::GRADIENT_TO_PARAMETER => OutputKind::GradientToParameter,
        fb::OutputKind::GRADIENT_TO_USER_INPUT => OutputKind::GradientToUserInput,
        fb::OutputKind::USER_INPUT_MUTATION => OutputKind::UserInputMutation,
        fb::OutputKind::TOKEN => OutputKind::Token,
        fb::OutputKind::UNSPECIFIED => return Err(Error::decode(FORMAT, kind_path, "UNSPECIFIED")),
        other => return Err(unknown(kind_path, "OutputKind", other.0)),
    };
    let arg = argument!(&spec, Path::Field(&path, "arg"));
    Ok(OutputSpec { kind, arg, target: spec.target().map(str::to_owned) })
}

fn unknown(path: Path<'_>, name: &str, value: u8) -> Error {
    Error::decode(
        FORMAT,
        path,
        format!("unknown {name} value {value} (a newer {} minor version may define it)", SchemaVersion::CURRENT.major),
    )
}

fn constant(c: fb::ConstantArgument<'_>, path: Path<'_>) -> Result<ConstantValue, Error> {
    Ok(constant!(c, path))
}
