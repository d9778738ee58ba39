//! The fast path of the protobuf decoder: one pass over the wire bytes straight into the
//! model, with exact capacities, no intermediate `pb` messages.
//!
//! It accepts only the canonical encoding our encoder (and every protobuf library) writes:
//! known fields with their wire types, each singular field at most once, one member of each
//! oneof, valid UTF-8, kinds that exist, a `1.x` version. Anything else (unknown fields,
//! repeated singular fields to merge, errors) makes it give up, and [`super::decode`]
//! decodes with prost, which applies protobuf's merge rules and names the field path of
//! every error. So when it succeeds it returns what the prost path returns.

use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};
use crate::version::SchemaVersion;

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// A cursor over one message's bytes.
struct Wire<'a> {
    buf: &'a [u8],
}

impl<'a> Wire<'a> {
    #[inline]
    fn varint(&mut self) -> Option<u64> {
        // One or two bytes: every tag (fields 20 to 80 take two) and kind here, and the
        // length of every string but huge ones.
        match *self.buf {
            [b0, ..] if b0 < 0x80 => {
                self.buf = &self.buf[1..];
                Some(u64::from(b0))
            }
            [b0, b1, ..] if b1 < 0x80 => {
                self.buf = &self.buf[2..];
                Some(u64::from(b0 & 0x7f) | u64::from(b1) << 7)
            }
            _ => self.varint_slow(),
        }
    }

    #[cold]
    fn varint_slow(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for (i, &b) in self.buf.iter().enumerate().take(10) {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return None;
                }
                self.buf = &self.buf[i + 1..];
                return Some(value);
            }
        }
        None
    }

    /// The next field: (number, wire type), or `None` at the end; `Err` on a bad tag.
    #[inline]
    fn tag(&mut self) -> Result<Option<(u32, u8)>, ()> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint().ok_or(())?;
        let number = u32::try_from(key >> 3).map_err(|_| ())?;
        Ok(Some((number, (key & 7) as u8)))
    }

    #[inline]
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        if len > self.buf.len() {
            return None;
        }
        let (head, tail) = self.buf.split_at(len);
        self.buf = tail;
        Some(head)
    }

    fn fixed64(&mut self) -> Option<u64> {
        let (head, tail) = self.buf.split_first_chunk::<8>()?;
        self.buf = tail;
        Some(u64::from_le_bytes(*head))
    }
}

/// A `string` field: UTF-8, or `None` (prost refuses it too).
#[inline]
fn string(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

/// Reads each field of a message with `field(wire, number, wire type)`; `seen` catches a
/// singular field given twice (numbers are multiples of 10 below 80, one bit each).
#[inline]
fn each_field<'a>(buf: &'a [u8], mut field: impl FnMut(&mut Wire<'a>, u32, u8) -> Option<()>) -> Option<()> {
    let mut wire = Wire { buf };
    let mut seen = 0u32;
    while let Some((number, wire_type)) = wire.tag().ok()? {
        if number % 10 != 0 || number == 0 || number > 80 {
            return None;
        }
        let bit = 1 << (number / 10);
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        field(&mut wire, number, wire_type)?;
    }
    Some(())
}

/// A message holding just `string name = 10`.
fn name_only(buf: &[u8]) -> Option<String> {
    let mut name = None;
    each_field(buf, |w, n, t| match (n, t) {
        (10, LEN) => {
            name = Some(string(w.bytes()?)?);
            Some(())
        }
        _ => None,
    })?;
    Some(name.unwrap_or_default())
}

fn constant_value(buf: &[u8]) -> Option<ConstantValue> {
    let mut value = None;
    each_field(buf, |w, n, t| {
        if value.is_some() {
            return None; // a second oneof member
        }
        value = Some(match (n, t) {
            (10, LEN) => w.bytes()?.is_empty().then_some(ConstantValue::None)?,
            (20, VARINT) => ConstantValue::Int(w.varint()? as i64),
            (30, FIXED64) => ConstantValue::Float(f64::from_bits(w.fixed64()?)),
            (40, VARINT) => ConstantValue::Bool(bool_value(w.varint()?)?),
            (50, LEN) => ConstantValue::String(string(w.bytes()?)?),
            _ => return None,
        });
        Some(())
    })?;
    value
}

fn bool_value(v: u64) -> Option<bool> {
    match v {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn argument(buf: &[u8]) -> Option<ArgumentSpec> {
    let mut arg = None;
    each_field(buf, |w, n, t| {
        if arg.is_some() || t != LEN {
            return None;
        }
        let body = w.bytes()?;
        arg = Some(match n {
            10 => ArgumentSpec::Tensor { name: name_only(body)? },
            20 => ArgumentSpec::SymInt { name: name_only(body)? },
            30 => ArgumentSpec::SymFloat { name: name_only(body)? },
            40 => ArgumentSpec::SymBool { name: name_only(body)? },
            50 => {
                let (mut name, mut value) = (None, None);
                each_field(body, |w, n, t| {
                    match (n, t) {
                        (10, LEN) => name = Some(string(w.bytes()?)?),
                        (20, LEN) => value = Some(constant_value(w.bytes()?)?),
                        _ => return None,
                    }
                    Some(())
                })?;
                ArgumentSpec::Constant { name: name.unwrap_or_default(), value: value? }
            }
            60 => {
                let (mut name, mut class_fqn) = (None, None);
                each_field(body, |w, n, t| {
                    match (n, t) {
                        (10, LEN) => name = Some(string(w.bytes()?)?),
                        (20, LEN) => class_fqn = Some(string(w.bytes()?)?),
                        _ => return None,
                    }
                    Some(())
                })?;
                ArgumentSpec::CustomObj { name: name.unwrap_or_default(), class_fqn: class_fqn.unwrap_or_default() }
            }
            70 => ArgumentSpec::Token { name: name_only(body)? },
            _ => return None,
        });
        Some(())
    })?;
    arg
}

fn input_kind(v: u64) -> Option<InputKind> {
    Some(match v {
        10 => InputKind::UserInput,
        20 => InputKind::Parameter,
        30 => InputKind::Buffer,
        40 => InputKind::ConstantTensor,
        50 => InputKind::CustomObj,
        70 => InputKind::Token,
        _ => return None,
    })
}

fn output_kind(v: u64) -> Option<OutputKind> {
    Some(match v {
        10 => OutputKind::UserOutput,
        20 => OutputKind::LossOutput,
        30 => OutputKind::BufferMutation,
        40 => OutputKind::GradientToParameter,
        50 => OutputKind::GradientToUserInput,
        60 => OutputKind::UserInputMutation,
        70 => OutputKind::Token,
        80 => OutputKind::ParameterMutation,
        _ => return None,
    })
}

fn input_spec(buf: &[u8]) -> Option<InputSpec> {
    let (mut kind, mut arg, mut target, mut persistent) = (None, None, None, None);
    each_field(buf, |w, n, t| {
        match (n, t) {
            (10, VARINT) => kind = Some(input_kind(w.varint()?)?),
            (20, LEN) => arg = Some(argument(w.bytes()?)?),
            (30, LEN) => target = Some(string(w.bytes()?)?),
            (40, VARINT) => persistent = Some(bool_value(w.varint()?)?),
            _ => return None,
        }
        Some(())
    })?;
    Some(InputSpec { kind: kind?, arg: arg?, target, persistent })
}

fn output_spec(buf: &[u8]) -> Option<OutputSpec> {
    let (mut kind, mut arg, mut target) = (None, None, None);
    each_field(buf, |w, n, t| {
        match (n, t) {
            (10, VARINT) => kind = Some(output_kind(w.varint()?)?),
            (20, LEN) => arg = Some(argument(w.bytes()?)?),
            (30, LEN) => target = Some(string(w.bytes()?)?),
            _ => return None,
        }
        Some(())
    })?;
    Some(OutputSpec { kind: kind?, arg: arg?, target })
}

fn version(buf: &[u8]) -> Option<SchemaVersion> {
    let (mut major, mut minor) = (0u32, 0u32);
    each_field(buf, |w, n, t| {
        match (n, t) {
            (10, VARINT) => major = u32::try_from(w.varint()?).ok()?,
            (20, VARINT) => minor = u32::try_from(w.varint()?).ok()?,
            _ => return None,
        }
        Some(())
    })?;
    Some(SchemaVersion::new(major, minor))
}

fn signature(buf: &[u8]) -> Option<ExportGraphSignature> {
    // Capacity from the size of the first specs (the specs of one signature are alike), with
    // a margin; what is left over is given back at the end. Counting every spec first would
    // read the whole buffer twice.
    let (mut sampled, mut sample_bytes) = (0usize, 0usize);
    let mut probe = Wire { buf };
    while sampled < 32 {
        let before = probe.buf.len();
        match probe.tag().ok()? {
            Some((_, LEN)) => probe.bytes()?,
            _ => break,
        };
        sampled += 1;
        sample_bytes += before - probe.buf.len();
    }
    // At most one spec per 16 input bytes, so hostile first specs cannot make it reserve
    // more than a few times the input's size (a short estimate only makes the vector grow).
    let estimate = if probe.buf.is_empty() || sampled == 0 {
        sampled
    } else {
        (buf.len() / (sample_bytes / sampled).max(1) * 5 / 4).min(buf.len() / 16)
    };
    let mut inputs = Vec::with_capacity(estimate);
    let mut outputs = Vec::new();
    let mut wire = Wire { buf };
    while let Some((number, wire_type)) = wire.tag().ok()? {
        if wire_type != LEN {
            return None;
        }
        let body = wire.bytes()?;
        match number {
            10 => inputs.push(input_spec(body)?),
            20 => outputs.push(output_spec(body)?),
            _ => return None,
        }
    }
    inputs.shrink_to_fit();
    ExportGraphSignature::new(inputs, outputs).ok()
}

/// Skips one field's value of wire type `wire_type`; `None` when it does not parse.
fn skip(wire: &mut Wire<'_>, wire_type: u8) -> Option<()> {
    match wire_type {
        VARINT => wire.varint().map(drop),
        FIXED64 => wire.fixed64().map(drop),
        LEN => wire.bytes().map(drop),
        5 => {
            let (_, tail) = wire.buf.split_first_chunk::<4>()?;
            wire.buf = tail;
            Some(())
        }
        _ => None,
    }
}

/// How many input and output specs a `SignatureDocument` holds, counted without decoding
/// them, over every `signature` field (protobuf merges repeated ones) as far as the bytes
/// parse: checked against the limit before any decoder builds them.
pub(super) fn count_specs(bytes: &[u8]) -> (u64, u64) {
    let (mut inputs, mut outputs) = (0u64, 0u64);
    for body in fields(bytes, 20) {
        for (number, _) in fields_any(body) {
            match number {
                10 => inputs += 1,
                20 => outputs += 1,
                _ => {}
            }
        }
    }
    (inputs, outputs)
}

/// What a document's metadata (field 30, schema 1.1) holds, counted on the wire before
/// anything is built: entries per list, and sizes, strides and range constraints together.
#[derive(Default)]
pub(super) struct MetaCount {
    pub(super) inputs: usize,
    pub(super) outputs: usize,
    pub(super) values: u64,
}

/// Counts the metadata over every `meta` field (protobuf merges repeated ones), as far as
/// the bytes parse; a count may only be too high (an entry given twice), never too low.
pub(super) fn count_meta(bytes: &[u8]) -> MetaCount {
    let mut count = MetaCount::default();
    for meta in fields(bytes, 30) {
        for (number, body) in fields_any(meta) {
            match number {
                10 | 20 => {
                    if number == 10 {
                        count.inputs += 1;
                    } else {
                        count.outputs += 1;
                    }
                    // ValueMeta.tensor = 20 -> TensorMeta.sizes = 20, strides = 30.
                    for tensor in fields(body, 20) {
                        for (dim, _) in fields_any(tensor) {
                            if dim == 20 || dim == 30 {
                                count.values += 1;
                            }
                        }
                    }
                }
                30 => count.values += 1,
                _ => {}
            }
        }
    }
    count
}

/// The length-delimited fields of a message, as (number, body), as far as the bytes parse.
fn fields_any(buf: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut wire = Wire { buf };
    std::iter::from_fn(move || loop {
        let (number, wire_type) = wire.tag().ok()??;
        if wire_type == LEN {
            return Some((number, wire.bytes()?));
        }
        skip(&mut wire, wire_type)?;
    })
}

/// The bodies of the length-delimited field `number` of a message.
fn fields(buf: &[u8], number: u32) -> impl Iterator<Item = &[u8]> {
    fields_any(buf).filter_map(move |(n, body)| (n == number).then_some(body))
}

/// The signature of a `SignatureDocument` and the bytes of its metadata (field 30, not
/// decoded), or `None` when the prost path must decide.
pub(super) fn decode(bytes: &[u8]) -> Option<(ExportGraphSignature, Option<&[u8]>)> {
    let (mut v, mut sig, mut meta) = (None, None, None);
    each_field(bytes, |w, n, t| {
        match (n, t) {
            (10, LEN) => v = Some(version(w.bytes()?)?),
            (20, LEN) => sig = Some(w.bytes()?),
            (30, LEN) => meta = Some(w.bytes()?),
            _ => return None,
        }
        Some(())
    })?;
    // The version is checked before the signature is read, as the prost path does.
    v?.check("proto").ok()?;
    Some((signature(sig?)?, meta))
}

/// Writes `sig` as a `SignatureDocument` at version `v`, then `meta` (the encoded
/// `SignatureMeta`) as field 30: byte for byte what prost writes for
/// [`super::document_to_pb`] (fields in number order, proto3 defaults omitted, `optional`
/// and oneof members always written), without building the `pb` messages of the signature
/// and cloning every string first.
pub(super) fn encode(sig: &ExportGraphSignature, v: SchemaVersion, meta: Option<&[u8]>) -> Vec<u8> {
    let version_len = implicit_varint_len(10, u64::from(v.major)) + implicit_varint_len(20, u64::from(v.minor));
    let sig_len: usize = sig.input_specs().iter().map(|s| field_len(10, input_len(s))).sum::<usize>()
        + sig.output_specs().iter().map(|s| field_len(20, output_len(s))).sum::<usize>();
    let meta_len = meta.map_or(0, |m| field_len(30, m.len()));
    let total = field_len(10, version_len) + field_len(20, sig_len) + meta_len;
    let mut out = Vec::with_capacity(total);
    put_header(&mut out, 10, version_len);
    put_implicit_varint(&mut out, 10, u64::from(v.major));
    put_implicit_varint(&mut out, 20, u64::from(v.minor));
    put_header(&mut out, 20, sig_len);
    for spec in sig.input_specs() {
        put_header(&mut out, 10, input_len(spec));
        put_implicit_varint(&mut out, 10, super::input_kind_to_pb(spec.kind) as i32 as u64);
        put_argument(&mut out, &spec.arg);
        if let Some(t) = &spec.target {
            put_bytes(&mut out, 30, t.as_bytes());
        }
        if let Some(p) = spec.persistent {
            put_varint(&mut out, key(40, VARINT));
            out.push(u8::from(p));
        }
    }
    for spec in sig.output_specs() {
        put_header(&mut out, 20, output_len(spec));
        put_implicit_varint(&mut out, 10, super::output_kind_to_pb(spec.kind) as i32 as u64);
        put_argument(&mut out, &spec.arg);
        if let Some(t) = &spec.target {
            put_bytes(&mut out, 30, t.as_bytes());
        }
    }
    if let Some(m) = meta {
        put_bytes(&mut out, 30, m);
    }
    debug_assert_eq!(out.len(), total);
    out
}

fn key(field: u32, wire_type: u8) -> u64 {
    (u64::from(field) << 3) | u64::from(wire_type)
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field of `len` bytes, tag and length included.
fn field_len(field: u32, len: usize) -> usize {
    varint_len(key(field, LEN)) + varint_len(len as u64) + len
}

fn put_header(out: &mut Vec<u8>, field: u32, len: usize) {
    put_varint(out, key(field, LEN));
    put_varint(out, len as u64);
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_header(out, field, bytes.len());
    out.extend_from_slice(bytes);
}

/// A proto3 scalar without presence: omitted when zero.
fn implicit_varint_len(field: u32, v: u64) -> usize {
    if v == 0 {
        0
    } else {
        varint_len(key(field, VARINT)) + varint_len(v)
    }
}

fn put_implicit_varint(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        put_varint(out, key(field, VARINT));
        put_varint(out, v);
    }
}

/// A proto3 string without presence: omitted when empty.
fn implicit_str_len(field: u32, s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        field_len(field, s.len())
    }
}

fn put_implicit_str(out: &mut Vec<u8>, field: u32, s: &str) {
    if !s.is_empty() {
        put_bytes(out, field, s.as_bytes());
    }
}

fn constant_len(value: &ConstantValue) -> usize {
    match value {
        ConstantValue::None => field_len(10, 0),
        ConstantValue::Int(v) => varint_len(key(20, VARINT)) + varint_len(*v as u64),
        ConstantValue::Float(_) => varint_len(key(30, FIXED64)) + 8,
        ConstantValue::Bool(_) => varint_len(key(40, VARINT)) + 1,
        ConstantValue::String(s) => field_len(50, s.len()),
    }
}

/// The oneof member of an `ArgumentSpec` and the length of its message.
fn argument_member(arg: &ArgumentSpec) -> (u32, usize) {
    match arg {
        ArgumentSpec::Tensor { name } => (10, implicit_str_len(10, name)),
        ArgumentSpec::SymInt { name } => (20, implicit_str_len(10, name)),
        ArgumentSpec::SymFloat { name } => (30, implicit_str_len(10, name)),
        ArgumentSpec::SymBool { name } => (40, implicit_str_len(10, name)),
        ArgumentSpec::Constant { name, value } => (50, implicit_str_len(10, name) + field_len(20, constant_len(value))),
        ArgumentSpec::CustomObj { name, class_fqn } => {
            (60, implicit_str_len(10, name) + implicit_str_len(20, class_fqn))
        }
        ArgumentSpec::Token { name } => (70, implicit_str_len(10, name)),
    }
}

fn argument_len(arg: &ArgumentSpec) -> usize {
    let (member, len) = argument_member(arg);
    field_len(member, len)
}

fn put_argument(out: &mut Vec<u8>, arg: &ArgumentSpec) {
    let (member, len) = argument_member(arg);
    put_header(out, 20, field_len(member, len));
    put_header(out, member, len);
    match arg {
        ArgumentSpec::Tensor { name }
        | ArgumentSpec::SymInt { name }
        | ArgumentSpec::SymFloat { name }
        | ArgumentSpec::SymBool { name }
        | ArgumentSpec::Token { name } => put_implicit_str(out, 10, name),
        ArgumentSpec::CustomObj { name, class_fqn } => {
            put_implicit_str(out, 10, name);
            put_implicit_str(out, 20, class_fqn);
        }
        ArgumentSpec::Constant { name, value } => {
            put_implicit_str(out, 10, name);
            put_header(out, 20, constant_len(value));
            match value {
                ConstantValue::None => put_header(out, 10, 0),
                ConstantValue::Int(v) => {
                    put_varint(out, key(20, VARINT));
                    put_varint(out, *v as u64);
                }
                ConstantValue::Float(f) => {
                    put_varint(out, key(30, FIXED64));
                    out.extend_from_slice(&f.to_bits().to_le_bytes());
                }
                ConstantValue::Bool(b) => {
                    put_varint(out, key(40, VARINT));
                    out.push(u8::from(*b));
                }
                ConstantValue::String(s) => put_bytes(out, 50, s.as_bytes()),
            }
        }
    }
}

fn input_len(spec: &InputSpec) -> usize {
    implicit_varint_len(10, super::input_kind_to_pb(spec.kind) as i32 as u64)
        + field_len(20, argument_len(&spec.arg))
        + spec.target.as_ref().map_or(0, |t| field_len(30, t.len()))
        + spec.persistent.map_or(0, |_| varint_len(key(40, VARINT)) + 1)
}

fn output_len(spec: &OutputSpec) -> usize {
    implicit_varint_len(10, super::output_kind_to_pb(spec.kind) as i32 as u64)
        + field_len(20, argument_len(&spec.arg))
        + spec.target.as_ref().map_or(0, |t| field_len(30, t.len()))
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::super::{decode_with_prost, pb, to_document};
    use crate::version::SchemaVersion;
    use crate::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputSpec, OutputKind, OutputSpec};

    /// `string` fields: ASCII and UTF-8 beyond ASCII are taken, bytes that are not UTF-8
    /// refused, at every length around a word and every place.
    #[test]
    fn string_fields_take_ascii_and_utf8_and_refuse_the_rest() {
        for len in 0..40 {
            let ascii: String = (0..len).map(|i| char::from(b' ' + (i * 7 % 95) as u8)).collect();
            assert_eq!(super::string(ascii.as_bytes()).as_deref(), Some(ascii.as_str()));
            let all: Vec<u8> = (0..len as u8).chain(0x70..0x80).collect();
            assert_eq!(super::string(&all).map(String::into_bytes), Some(all.clone()));
            for at in 0..len {
                let mut utf8 = ascii.clone();
                utf8.insert(at, 'é');
                assert_eq!(super::string(utf8.as_bytes()).as_deref(), Some(utf8.as_str()));
                for bad in [0x80u8, 0xC3, 0xFF] {
                    let mut bytes = ascii.clone().into_bytes();
                    bytes[at] = bad;
                    assert_eq!(super::string(&bytes), None, "{bytes:?}");
                }
            }
        }
    }

    fn every_kind() -> ExportGraphSignature {
        let c = |v| ArgumentSpec::constant("c", v);
        ExportGraphSignature::new(
            vec![
                InputSpec::parameter("p_w", "w"),
                InputSpec::buffer("b_m", "m", false),
                InputSpec::constant_tensor("c_t", "t"),
                InputSpec::user_input(ArgumentSpec::SymInt { name: "s0".into() }),
                InputSpec::user_input(ArgumentSpec::SymFloat { name: "f0".into() }),
                InputSpec::user_input(ArgumentSpec::SymBool { name: "b0".into() }),
                InputSpec::user_input(ArgumentSpec::CustomObj { name: "o".into(), class_fqn: "__torch__.O".into() }),
                InputSpec::user_input(c(ConstantValue::None)),
                InputSpec::user_input(c(ConstantValue::Int(-7))),
                InputSpec::user_input(c(ConstantValue::Float(-0.0))),
                InputSpec::user_input(c(ConstantValue::Bool(true))),
                InputSpec::user_input(c(ConstantValue::String("é\"".into()))),
                InputSpec::user_input(ArgumentSpec::tensor("x")),
            ],
            vec![
                OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("add"), Some("m")),
                OutputSpec::new(OutputKind::ParameterMutation, ArgumentSpec::tensor("mul"), Some("w")),
                OutputSpec::user_output(ArgumentSpec::tensor("out")),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_fast_path_agrees_with_prost_on_canonical_bytes() {
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1.0");
        let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(golden)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pb"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        inputs.push(super::super::encode(&every_kind()));
        inputs.push(super::super::encode(&ExportGraphSignature::empty()));
        assert!(inputs.len() >= 3);
        for bytes in inputs {
            let (fast, meta) = super::decode(&bytes).expect("canonical bytes take the fast path");
            assert!(meta.is_none());
            assert_eq!(fast, decode_with_prost(&bytes).unwrap().signature);
        }
    }

    #[test]
    fn the_direct_writer_writes_what_prost_writes() {
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1.0");
        let mut sigs: Vec<ExportGraphSignature> = std::fs::read_dir(golden)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pb"))
            .map(|p| decode_with_prost(&std::fs::read(p).unwrap()).unwrap().signature)
            .collect();
        let mut edge = every_kind().into_parts();
        edge.0.push(InputSpec::user_input(ArgumentSpec::constant("", ConstantValue::Int(i64::MIN))));
        edge.0.push(InputSpec::user_input(ArgumentSpec::constant("e", ConstantValue::String(String::new()))));
        edge.0.push(InputSpec::user_input(ArgumentSpec::constant("z", ConstantValue::Int(0))));
        edge.0.push(InputSpec::user_input(ArgumentSpec::constant("f", ConstantValue::Bool(false))));
        edge.0.push(InputSpec::user_input(ArgumentSpec::tensor("")));
        edge.0.push(InputSpec::parameter("p_long", "x".repeat(300)));
        sigs.push(ExportGraphSignature::new(edge.0, edge.1).unwrap());
        sigs.push(every_kind());
        sigs.push(ExportGraphSignature::empty());
        for sig in sigs {
            assert_eq!(super::encode(&sig, SchemaVersion::V1_0, None), to_document(&sig).encode_to_vec(), "{sig:?}");
        }
    }

    #[test]
    fn what_needs_protobuf_merge_rules_or_errors_goes_to_prost() {
        let bytes = super::super::encode(&every_kind());
        // An unknown field, a singular field twice (prost merges), a truncation, kind 0.
        let mut unknown = bytes.clone();
        unknown.extend_from_slice(&[0xf8, 0x06, 0x01]); // field 111, varint 1
        let mut twice = bytes.clone();
        let version = pb::SchemaVersion { major: 1, minor: 0 }.encode_to_vec();
        twice.push(0x52);
        twice.push(version.len() as u8);
        twice.extend_from_slice(&version);
        let mut doc = to_document(&every_kind());
        doc.signature.as_mut().unwrap().input_specs[0].kind = 0;
        for bad in [unknown, twice, bytes[..bytes.len() - 1].to_vec(), doc.encode_to_vec()] {
            assert!(super::decode(&bad).is_none());
        }
    }
}
