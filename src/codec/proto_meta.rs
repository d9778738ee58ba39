//! Schema 1.1's metadata in the `.proto` (`SignatureMeta` and the messages under it): the
//! mapping to the model and back, shared by protobuf and JSON. Every error names the path
//! below the document (`meta.inputs[3].tensor.sizes[1].as_expr.expr`).

use super::pb;
use crate::codec::meta::{align, check_expr, ValueCount};
use crate::codec::FieldPath as Path;
use crate::model::meta::{
    Device, Dtype, Hint, Layout, RangeConstraint, SignatureMeta, SymExpr, SymInt, SymScalar, TensorMeta, ValueMeta,
};
use crate::version::SchemaVersion;
use crate::Error;

/// The wire message for `meta`, with one entry per spec (a shorter list is padded with
/// unknown entries; the writer has checked that none is longer).
pub(super) fn to_pb(meta: &SignatureMeta, inputs: usize, outputs: usize) -> pb::SignatureMeta {
    let list = |entries: &[Option<ValueMeta>], specs: usize| {
        (0..specs.max(entries.len())).map(|i| value_meta_to_pb(entries.get(i).and_then(Option::as_ref))).collect()
    };
    pb::SignatureMeta {
        inputs: list(&meta.inputs, inputs),
        outputs: list(&meta.outputs, outputs),
        range_constraints: meta
            .range_constraints
            .iter()
            .map(|r| pb::RangeConstraint { symbol: r.symbol.clone(), min: r.min, max: r.max })
            .collect(),
    }
}

fn value_meta_to_pb(meta: Option<&ValueMeta>) -> pb::ValueMeta {
    use pb::value_meta::Meta;
    let meta = match meta {
        None => Meta::Unknown(pb::UnknownMeta {}),
        Some(ValueMeta::Tensor(t)) => Meta::Tensor(pb::TensorMeta {
            dtype: t.dtype.schema_value(),
            sizes: t.sizes.iter().map(sym_int_to_pb).collect(),
            strides: t.strides.iter().map(sym_int_to_pb).collect(),
            storage_offset: Some(sym_int_to_pb(&t.storage_offset)),
            device: Some(pb::Device { r#type: t.device.kind.clone(), index: t.device.index }),
            layout: t.layout.schema_value(),
            requires_grad: t.requires_grad,
        }),
        Some(ValueMeta::SymInt { value }) => Meta::SymInt(pb::SymIntMeta { value: Some(sym_int_to_pb(value)) }),
        Some(ValueMeta::SymFloat { value }) => {
            Meta::SymFloat(pb::SymFloatMeta { value: Some(sym_scalar_to_pb(value)) })
        }
        Some(ValueMeta::SymBool { value }) => Meta::SymBool(pb::SymBoolMeta { value: Some(sym_scalar_to_pb(value)) }),
        Some(ValueMeta::CustomObj { class_fqn }) => Meta::CustomObj(pb::CustomObjMeta { class_fqn: class_fqn.clone() }),
        Some(ValueMeta::Constant { value }) => {
            Meta::Constant(pb::ConstantMeta { value: Some(super::constant_to_pb(value)) })
        }
        Some(ValueMeta::Token) => Meta::Token(pb::TokenMeta {}),
    };
    pb::ValueMeta { meta: Some(meta) }
}

fn sym_int_to_pb(v: &SymInt) -> pb::SymInt {
    use pb::sym_int::Value;
    let value = match v {
        SymInt::Int(i) => Value::AsInt(*i),
        SymInt::Expr(e) => Value::AsExpr(expr_to_pb(e)),
    };
    pb::SymInt { value: Some(value) }
}

fn sym_scalar_to_pb(v: &SymScalar) -> pb::SymScalar {
    use pb::sym_scalar::Value;
    let value = match v {
        SymScalar::Known(Hint::Int(i)) => Value::AsInt(*i),
        SymScalar::Known(Hint::Float(f)) => Value::AsFloat(*f),
        SymScalar::Known(Hint::Bool(b)) => Value::AsBool(*b),
        SymScalar::Expr(e) => Value::AsExpr(expr_to_pb(e)),
    };
    pb::SymScalar { value: Some(value) }
}

fn expr_to_pb(e: &SymExpr) -> pb::SymExpr {
    use pb::hint::Value;
    let hint = e.hint.map(|h| pb::Hint {
        value: Some(match h {
            Hint::Int(i) => Value::AsInt(i),
            Hint::Float(f) => Value::AsFloat(f),
            Hint::Bool(b) => Value::AsBool(b),
        }),
    });
    pb::SymExpr { expr: e.expr.clone(), hint }
}

/// The model's metadata of a wire message, aligned with `inputs` and `outputs` specs.
pub(super) fn from_pb(
    meta: pb::SignatureMeta,
    inputs: usize,
    outputs: usize,
    format: &'static str,
) -> Result<SignatureMeta, Error> {
    let mut count = ValueCount::default();
    count.add(format, meta.range_constraints.len())?;
    let root = Path::Root;
    let meta_path = Path::Field(&root, "meta");
    let mut lists = Vec::with_capacity(2);
    for (name, entries, specs, what) in
        [("inputs", meta.inputs, inputs, "input"), ("outputs", meta.outputs, outputs, "output")]
    {
        let path = Path::Field(&meta_path, name);
        super::super::meta::check_entry_count(format, &path.to_string(), entries.len(), specs, what)?;
        let decoded = entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| value_meta_from_pb(e, Path::Index(&path, i), format, &mut count))
            .collect::<Result<Vec<_>, _>>()?;
        lists.push(align(format, &path.to_string(), decoded, specs, what)?);
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

fn missing(format: &'static str, path: Path<'_>) -> Error {
    Error::decode(format, path, "missing")
}

fn empty_oneof(format: &'static str, path: Path<'_>, what: &str, oneof: &str) -> Error {
    Error::decode(
        format,
        path,
        format!(
            "no {what} set (oneof {oneof} is empty; a newer {} minor version may define its arm)",
            SchemaVersion::CURRENT.major
        ),
    )
}

fn value_meta_from_pb(
    meta: pb::ValueMeta,
    path: Path<'_>,
    format: &'static str,
    count: &mut ValueCount,
) -> Result<Option<ValueMeta>, Error> {
    use pb::value_meta::Meta;
    let Some(arm) = meta.meta else { return Err(empty_oneof(format, path, "metadata", "meta")) };
    let value_of = |arm: &'static str| Path::Field(&path, arm);
    Ok(Some(match arm {
        Meta::Unknown(_) => return Ok(None),
        Meta::Tensor(t) => {
            let at = Path::Field(&path, "tensor");
            count.add(format, t.sizes.len() + t.strides.len())?;
            let dims = |list: Vec<pb::SymInt>, name: &'static str| {
                let list_path = Path::Field(&at, name);
                list.into_iter()
                    .enumerate()
                    .map(|(i, d)| sym_int_from_pb(d, Path::Index(&list_path, i), format))
                    .collect::<Result<Vec<_>, _>>()
            };
            let sizes = dims(t.sizes, "sizes")?;
            let strides = dims(t.strides, "strides")?;
            let offset_path = Path::Field(&at, "storage_offset");
            let storage_offset =
                sym_int_from_pb(t.storage_offset.ok_or_else(|| missing(format, offset_path))?, offset_path, format)?;
            let device = t.device.ok_or_else(|| missing(format, Path::Field(&at, "device")))?;
            ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::from_schema(t.dtype),
                sizes,
                strides,
                storage_offset,
                device: Device { kind: device.r#type, index: device.index },
                layout: Layout::from_schema(t.layout),
                requires_grad: t.requires_grad,
            })
        }
        Meta::SymInt(m) => {
            let at = Path::Field(&value_of("sym_int"), "value");
            ValueMeta::SymInt { value: sym_int_from_pb(m.value.ok_or_else(|| missing(format, at))?, at, format)? }
        }
        Meta::SymFloat(m) => {
            let at = Path::Field(&value_of("sym_float"), "value");
            ValueMeta::SymFloat { value: sym_scalar_from_pb(m.value.ok_or_else(|| missing(format, at))?, at, format)? }
        }
        Meta::SymBool(m) => {
            let at = Path::Field(&value_of("sym_bool"), "value");
            ValueMeta::SymBool { value: sym_scalar_from_pb(m.value.ok_or_else(|| missing(format, at))?, at, format)? }
        }
        Meta::CustomObj(m) => ValueMeta::CustomObj { class_fqn: m.class_fqn },
        Meta::Constant(m) => {
            let at = Path::Field(&value_of("constant"), "value");
            let value = m.value.ok_or_else(|| missing(format, at))?;
            ValueMeta::Constant { value: super::constant_from_pb(value, at, format)? }
        }
        Meta::Token(_) => ValueMeta::Token,
    }))
}

fn sym_int_from_pb(v: pb::SymInt, path: Path<'_>, format: &'static str) -> Result<SymInt, Error> {
    use pb::sym_int::Value;
    Ok(match v.value.ok_or_else(|| empty_oneof(format, path, "value", "value"))? {
        Value::AsInt(i) => SymInt::Int(i),
        Value::AsExpr(e) => SymInt::Expr(expr_from_pb(e, Path::Field(&path, "as_expr"), format)?),
    })
}

fn sym_scalar_from_pb(v: pb::SymScalar, path: Path<'_>, format: &'static str) -> Result<SymScalar, Error> {
    use pb::sym_scalar::Value;
    Ok(match v.value.ok_or_else(|| empty_oneof(format, path, "value", "value"))? {
        Value::AsInt(i) => SymScalar::Known(Hint::Int(i)),
        Value::AsFloat(f) => SymScalar::Known(Hint::Float(f)),
        Value::AsBool(b) => SymScalar::Known(Hint::Bool(b)),
        Value::AsExpr(e) => SymScalar::Expr(expr_from_pb(e, Path::Field(&path, "as_expr"), format)?),
    })
}

fn expr_from_pb(e: pb::SymExpr, path: Path<'_>, format: &'static str) -> Result<SymExpr, Error> {
    use pb::hint::Value;
    if let Some(reason) = check_expr(&e.expr) {
        return Err(Error::decode(format, Path::Field(&path, "expr"), reason));
    }
    let hint = match e.hint {
        None => None,
        Some(h) => {
            Some(match h.value.ok_or_else(|| empty_oneof(format, Path::Field(&path, "hint"), "hint", "value"))? {
                Value::AsInt(i) => Hint::Int(i),
                Value::AsFloat(f) => Hint::Float(f),
                Value::AsBool(b) => Hint::Bool(b),
            })
        }
    };
    Ok(SymExpr::new(e.expr, hint))
}
