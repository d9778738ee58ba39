//! Schema 1.1's metadata in the FlatBuffer (`GraphSignature.meta`, table `SignatureMeta`):
//! the builder and the reader. Every string read is spent from the buffer's text budget;
//! every table was counted by the verifier.

use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

use super::{constant_to_fb, fb, unknown, Path, TextBudget, FORMAT};
use crate::codec::meta::{align, check_entry_count, check_expr, ValueCount};
use crate::model::meta::{
    Device, Dtype, Hint, Layout, RangeConstraint, SignatureMeta, SymExpr, SymInt, SymScalar, TensorMeta, ValueMeta,
};
use crate::model::ConstantValue;
use crate::Error;

/// An upper bound of what `meta` adds to a buffer: its strings with their length prefix,
/// terminator and padding, and a generous allowance for each table, vtable and offset.
pub(super) fn size_bound(meta: &SignatureMeta, inputs: usize, outputs: usize) -> u64 {
    let string = |s: &str| s.len() as u64 + 8;
    let expr = |e: &SymExpr| string(&e.expr) + 96;
    let sym_int = |v: &SymInt| {
        96 + match v {
            SymInt::Int(_) => 0,
            SymInt::Expr(e) => expr(e),
        }
    };
    let scalar = |v: &SymScalar| {
        96 + match v {
            SymScalar::Known(_) => 0,
            SymScalar::Expr(e) => expr(e),
        }
    };
    let entry = |m: &ValueMeta| match m {
        ValueMeta::Tensor(t) => {
            t.sizes.iter().chain(&t.strides).map(sym_int).sum::<u64>()
                + sym_int(&t.storage_offset)
                + string(&t.device.kind)
                + 256
        }
        ValueMeta::SymInt { value } => sym_int(value),
        ValueMeta::SymFloat { value } | ValueMeta::SymBool { value } => scalar(value),
        ValueMeta::CustomObj { class_fqn } => string(class_fqn),
        ValueMeta::Constant { value: ConstantValue::String(s) } => string(s) + 64,
        _ => 64,
    };
    let entries: u64 = meta.inputs.iter().chain(&meta.outputs).flatten().map(entry).sum();
    let ranges: u64 = meta.range_constraints.iter().map(|r| string(&r.symbol) + 64).sum();
    // Every spec has an entry (unknown ones too): a table, a vtable share and an offset.
    entries + ranges + 64 * (inputs + outputs) as u64 + 256
}

/// Builds the `SignatureMeta` table, one entry per spec.
pub(super) fn to_fb<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    meta: &SignatureMeta,
    inputs: usize,
    outputs: usize,
) -> WIPOffset<fb::SignatureMeta<'b>> {
    let mut list = |entries: &[Option<ValueMeta>], specs: usize| {
        let built: Vec<_> = (0..specs.max(entries.len()))
            .map(|i| value_meta_to_fb(fbb, entries.get(i).and_then(Option::as_ref)))
            .collect();
        fbb.create_vector(&built)
    };
    let inputs = list(&meta.inputs, inputs);
    let outputs = list(&meta.outputs, outputs);
    let ranges: Vec<_> = meta
        .range_constraints
        .iter()
        .map(|r| {
            let symbol = Some(fbb.create_string(&r.symbol));
            fb::RangeConstraint::create(fbb, &fb::RangeConstraintArgs { symbol, min: r.min, max: r.max })
        })
        .collect();
    let range_constraints = fbb.create_vector(&ranges);
    fb::SignatureMeta::create(
        fbb,
        &fb::SignatureMetaArgs {
            inputs: Some(inputs),
            outputs: Some(outputs),
            range_constraints: Some(range_constraints),
        },
    )
}

fn value_meta_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, meta: Option<&ValueMeta>) -> WIPOffset<fb::ValueMeta<'b>> {
    use fb::ValueMetaValue as V;
    let (value_type, value) = match meta {
        None => (V::UnknownMeta, fb::UnknownMeta::create(fbb, &fb::UnknownMetaArgs {}).as_union_value()),
        Some(ValueMeta::Tensor(t)) => {
            let dims = |fbb: &mut FlatBufferBuilder<'b>, list: &[SymInt]| {
                let built: Vec<_> = list.iter().map(|d| sym_int_to_fb(fbb, d)).collect();
                fbb.create_vector(&built)
            };
            let sizes = Some(dims(fbb, &t.sizes));
            let strides = Some(dims(fbb, &t.strides));
            let storage_offset = Some(sym_int_to_fb(fbb, &t.storage_offset));
            let kind = Some(fbb.create_string(&t.device.kind));
            let device = Some(fb::Device::create(fbb, &fb::DeviceArgs { type_: kind, index: t.device.index }));
            let args = fb::TensorMetaArgs {
                dtype: t.dtype.schema_value(),
                sizes,
                strides,
                storage_offset,
                device,
                layout: t.layout.schema_value(),
                requires_grad: t.requires_grad,
            };
            (V::TensorMeta, fb::TensorMeta::create(fbb, &args).as_union_value())
        }
        Some(ValueMeta::SymInt { value }) => {
            let value = Some(sym_int_to_fb(fbb, value));
            (V::SymIntMeta, fb::SymIntMeta::create(fbb, &fb::SymIntMetaArgs { value }).as_union_value())
        }
        Some(ValueMeta::SymFloat { value }) => {
            let value = Some(sym_scalar_to_fb(fbb, value));
            (V::SymFloatMeta, fb::SymFloatMeta::create(fbb, &fb::SymFloatMetaArgs { value }).as_union_value())
        }
        Some(ValueMeta::SymBool { value }) => {
            let value = Some(sym_scalar_to_fb(fbb, value));
            (V::SymBoolMeta, fb::SymBoolMeta::create(fbb, &fb::SymBoolMetaArgs { value }).as_union_value())
        }
        Some(ValueMeta::CustomObj { class_fqn }) => {
            let class_fqn = Some(fbb.create_string(class_fqn));
            (V::CustomObjMeta, fb::CustomObjMeta::create(fbb, &fb::CustomObjMetaArgs { class_fqn }).as_union_value())
        }
        Some(ValueMeta::Constant { value }) => {
            let (value_type, value) = constant_to_fb(fbb, value);
            let args = fb::ConstantMetaArgs { value_type, value: Some(value) };
            (V::ConstantMeta, fb::ConstantMeta::create(fbb, &args).as_union_value())
        }
        Some(ValueMeta::Token) => (V::TokenMeta, fb::TokenMeta::create(fbb, &fb::TokenMetaArgs {}).as_union_value()),
    };
    fb::ValueMeta::create(fbb, &fb::ValueMetaArgs { value_type, value: Some(value) })
}

/// An `IntValue`, `FloatValue` or `BoolValue` table (the float forced, for `-0.0`).
fn hint_table<'b>(fbb: &mut FlatBufferBuilder<'b>, hint: Hint) -> (u8, WIPOffset<UnionWIPOffset>) {
    match hint {
        Hint::Int(value) => (1, fb::IntValue::create(fbb, &fb::IntValueArgs { value }).as_union_value()),
        Hint::Float(value) => {
            // As for float constants: a builder omits a value equal to the default by `==`.
            fbb.force_defaults(true);
            let table = fb::FloatValue::create(fbb, &fb::FloatValueArgs { value });
            fbb.force_defaults(false);
            (2, table.as_union_value())
        }
        Hint::Bool(value) => (3, fb::BoolValue::create(fbb, &fb::BoolValueArgs { value }).as_union_value()),
    }
}

fn expr_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, e: &SymExpr) -> WIPOffset<fb::SymExpr<'b>> {
    let expr = Some(fbb.create_string(&e.expr));
    let (hint_type, hint) = match e.hint {
        None => (fb::Hint::NONE, None),
        // Hint's arms are IntValue (1), FloatValue (2), BoolValue (3).
        Some(h) => {
            let (code, table) = hint_table(fbb, h);
            (fb::Hint(code), Some(table))
        }
    };
    fb::SymExpr::create(fbb, &fb::SymExprArgs { expr, hint_type, hint })
}

fn sym_int_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, v: &SymInt) -> WIPOffset<fb::SymInt<'b>> {
    let (value_type, value) = match v {
        SymInt::Int(value) => {
            (fb::SymIntValue::IntValue, fb::IntValue::create(fbb, &fb::IntValueArgs { value: *value }).as_union_value())
        }
        SymInt::Expr(e) => (fb::SymIntValue::SymExpr, expr_to_fb(fbb, e).as_union_value()),
    };
    fb::SymInt::create(fbb, &fb::SymIntArgs { value_type, value: Some(value) })
}

fn sym_scalar_to_fb<'b>(fbb: &mut FlatBufferBuilder<'b>, v: &SymScalar) -> WIPOffset<fb::SymScalar<'b>> {
    let (value_type, value) = match v {
        // SymScalarValue's first three arms are Hint's: IntValue, FloatValue, BoolValue.
        SymScalar::Known(h) => {
            let (code, table) = hint_table(fbb, *h);
            (fb::SymScalarValue(code), table)
        }
        SymScalar::Expr(e) => (fb::SymScalarValue::SymExpr, expr_to_fb(fbb, e).as_union_value()),
    };
    fb::SymScalar::create(fbb, &fb::SymScalarArgs { value_type, value: Some(value) })
}

/// Reads the `SignatureMeta` table, aligned with `inputs` and `outputs` specs.
pub(super) fn from_fb(
    meta: fb::SignatureMeta<'_>,
    inputs: usize,
    outputs: usize,
    budget: &mut TextBudget,
) -> Result<SignatureMeta, Error> {
    let mut count = ValueCount::default();
    let ranges = meta.range_constraints().unwrap_or_default();
    count.add(FORMAT, ranges.len())?;
    let root = Path::Root;
    let meta_path = Path::Field(&root, "meta");
    let mut lists = Vec::with_capacity(2);
    for (name, entries, specs, what) in
        [("inputs", meta.inputs(), inputs, "input"), ("outputs", meta.outputs(), outputs, "output")]
    {
        let path = Path::Field(&meta_path, name);
        let entries = entries.unwrap_or_default();
        check_entry_count(FORMAT, &path.to_string(), entries.len(), specs, what)?;
        let mut decoded = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            decoded.push(value_meta_from_fb(entry, Path::Index(&path, i), budget, &mut count)?);
        }
        lists.push(align(FORMAT, &path.to_string(), decoded, specs, what)?);
    }
    let mut range_constraints = Vec::with_capacity(ranges.len());
    for r in ranges {
        let symbol = r.symbol().unwrap_or_default();
        budget.spend_text(symbol.len())?;
        range_constraints.push(RangeConstraint { symbol: symbol.to_owned(), min: r.min(), max: r.max() });
    }
    let outputs = lists.pop().unwrap_or_default();
    let inputs = lists.pop().unwrap_or_default();
    Ok(SignatureMeta { inputs, outputs, range_constraints })
}

fn missing(path: Path<'_>) -> Error {
    Error::decode(FORMAT, path, "missing")
}

fn empty(path: Path<'_>, union: &str) -> Error {
    Error::decode(FORMAT, path, format!("no value set (union {union} is empty)"))
}

fn value_meta_from_fb(
    entry: fb::ValueMeta<'_>,
    path: Path<'_>,
    budget: &mut TextBudget,
    count: &mut ValueCount,
) -> Result<Option<ValueMeta>, Error> {
    use fb::ValueMetaValue as V;
    let arm = |name: &'static str| Path::Field(&path, name);
    let none = || empty(path, "value");
    Ok(Some(match entry.value_type() {
        V::UnknownMeta => {
            entry.value_as_unknown_meta().ok_or_else(none)?;
            return Ok(None);
        }
        V::TensorMeta => {
            let t = entry.value_as_tensor_meta().ok_or_else(none)?;
            let at = arm("tensor");
            let (sizes, strides) = (t.sizes().unwrap_or_default(), t.strides().unwrap_or_default());
            count.add(FORMAT, sizes.len() + strides.len())?;
            let mut dims = |list: flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<fb::SymInt<'_>>>,
                            name: &'static str|
             -> Result<Vec<SymInt>, Error> {
                let list_path = Path::Field(&at, name);
                let mut out = Vec::with_capacity(list.len());
                for (i, d) in list.iter().enumerate() {
                    out.push(sym_int_from_fb(d, Path::Index(&list_path, i), budget)?);
                }
                Ok(out)
            };
            let sizes = dims(sizes, "sizes")?;
            let strides = dims(strides, "strides")?;
            let offset_path = Path::Field(&at, "storage_offset");
            let storage_offset =
                sym_int_from_fb(t.storage_offset().ok_or_else(|| missing(offset_path))?, offset_path, budget)?;
            let device = t.device().ok_or_else(|| missing(Path::Field(&at, "device")))?;
            let kind = device.type_().unwrap_or_default();
            budget.spend_text(kind.len())?;
            ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::from_schema(t.dtype()),
                sizes,
                strides,
                storage_offset,
                device: Device { kind: kind.to_owned(), index: device.index() },
                layout: Layout::from_schema(t.layout()),
                requires_grad: t.requires_grad(),
            })
        }
        V::SymIntMeta => {
            let at = Path::Field(&arm("sym_int"), "value");
            let value = entry.value_as_sym_int_meta().ok_or_else(none)?.value().ok_or_else(|| missing(at))?;
            ValueMeta::SymInt { value: sym_int_from_fb(value, at, budget)? }
        }
        V::SymFloatMeta => {
            let at = Path::Field(&arm("sym_float"), "value");
            let value = entry.value_as_sym_float_meta().ok_or_else(none)?.value().ok_or_else(|| missing(at))?;
            ValueMeta::SymFloat { value: sym_scalar_from_fb(value, at, budget)? }
        }
        V::SymBoolMeta => {
            let at = Path::Field(&arm("sym_bool"), "value");
            let value = entry.value_as_sym_bool_meta().ok_or_else(none)?.value().ok_or_else(|| missing(at))?;
            ValueMeta::SymBool { value: sym_scalar_from_fb(value, at, budget)? }
        }
        V::CustomObjMeta => {
            let class_fqn = entry.value_as_custom_obj_meta().ok_or_else(none)?.class_fqn().unwrap_or_default();
            budget.spend_text(class_fqn.len())?;
            ValueMeta::CustomObj { class_fqn: class_fqn.to_owned() }
        }
        V::ConstantMeta => {
            let c = entry.value_as_constant_meta().ok_or_else(none)?;
            let value = constant!(c, Path::Field(&arm("constant"), "value"));
            if let ConstantValue::String(s) = &value {
                budget.spend_text(s.len())?;
            }
            ValueMeta::Constant { value }
        }
        V::TokenMeta => {
            entry.value_as_token_meta().ok_or_else(none)?;
            ValueMeta::Token
        }
        V::NONE => {
            return Err(Error::decode(
                FORMAT,
                path,
                "no metadata set (union value is empty; a newer minor version may define its arm)",
            ))
        }
        other => return Err(unknown(path, "ValueMetaValue", other.0)),
    }))
}

fn sym_int_from_fb(v: fb::SymInt<'_>, path: Path<'_>, budget: &mut TextBudget) -> Result<SymInt, Error> {
    let none = || empty(path, "value");
    Ok(match v.value_type() {
        fb::SymIntValue::IntValue => SymInt::Int(v.value_as_int_value().ok_or_else(none)?.value()),
        fb::SymIntValue::SymExpr => {
            SymInt::Expr(expr_from_fb(v.value_as_sym_expr().ok_or_else(none)?, Path::Field(&path, "as_expr"), budget)?)
        }
        fb::SymIntValue::NONE => return Err(none()),
        other => return Err(unknown(path, "SymIntValue", other.0)),
    })
}

fn sym_scalar_from_fb(v: fb::SymScalar<'_>, path: Path<'_>, budget: &mut TextBudget) -> Result<SymScalar, Error> {
    let none = || empty(path, "value");
    Ok(match v.value_type() {
        fb::SymScalarValue::IntValue => SymScalar::Known(Hint::Int(v.value_as_int_value().ok_or_else(none)?.value())),
        fb::SymScalarValue::FloatValue => {
            SymScalar::Known(Hint::Float(v.value_as_float_value().ok_or_else(none)?.value()))
        }
        fb::SymScalarValue::BoolValue => {
            SymScalar::Known(Hint::Bool(v.value_as_bool_value().ok_or_else(none)?.value()))
        }
        fb::SymScalarValue::SymExpr => SymScalar::Expr(expr_from_fb(
            v.value_as_sym_expr().ok_or_else(none)?,
            Path::Field(&path, "as_expr"),
            budget,
        )?),
        fb::SymScalarValue::NONE => return Err(none()),
        other => return Err(unknown(path, "SymScalarValue", other.0)),
    })
}

fn expr_from_fb(e: fb::SymExpr<'_>, path: Path<'_>, budget: &mut TextBudget) -> Result<SymExpr, Error> {
    let text = e.expr().unwrap_or_default();
    budget.spend_text(text.len())?;
    if let Some(reason) = check_expr(text) {
        return Err(Error::decode(FORMAT, Path::Field(&path, "expr"), reason));
    }
    let hint_path = Path::Field(&path, "hint");
    let none = || empty(hint_path, "hint");
    let hint = match e.hint_type() {
        fb::Hint::NONE => None,
        fb::Hint::IntValue => Some(Hint::Int(e.hint_as_int_value().ok_or_else(none)?.value())),
        fb::Hint::FloatValue => Some(Hint::Float(e.hint_as_float_value().ok_or_else(none)?.value())),
        fb::Hint::BoolValue => Some(Hint::Bool(e.hint_as_bool_value().ok_or_else(none)?.value())),
        other => return Err(unknown(hint_path, "Hint", other.0)),
    };
    Ok(SymExpr::new(text, hint))
}
