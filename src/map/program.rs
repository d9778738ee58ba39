//! What the archive map needs from an exported program's JSON beyond its signature: the
//! graph's inputs and outputs, the metadata of their values, the range constraints and the
//! root module's call signature (`in_spec`, `out_spec`, `forward_arg_names`).
//!
//! Read for every schema torch released (2.1 to 8.20): unions written with one member or
//! (torch 2.1, 2.2) with every member `null` but one; `storage_offset` a bare integer
//! (torch ≤ 2.4) or a SymInt; bare `NaN`/`Infinity` tokens (torch ≤ 2.6). Values are
//! borrowed as raw JSON and only those of the graph's inputs and outputs are parsed, so the
//! nodes of a large graph cost a scan, not a tree.

use std::collections::HashMap;

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::meta::{Device, Dtype, Hint, Layout, RangeConstraint, SymExpr, SymInt, SymScalar, TensorMeta, ValueMeta};
use crate::codec::FieldPath as Path;
use crate::json_util::raw_members;
use crate::model::ConstantValue;
use crate::Error;

const FORMAT: &str = "torch-json";
/// The most members any object read here may have (a graph of ten million values).
const MAX_MEMBERS: usize = 10_000_000;

/// A value of the graph's inputs or outputs (torch's `Argument` union, as far as the map
/// needs it).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GraphValue {
    /// A named tensor.
    Tensor(String),
    /// A named SymInt.
    SymInt(String),
    /// A named SymFloat.
    SymFloat(String),
    /// A named SymBool.
    SymBool(String),
    /// A named custom object of a class.
    CustomObj {
        /// The graph value's name.
        name: String,
        /// Its class.
        class_fqn: String,
    },
    /// A named effect token.
    Token(String),
    /// A constant (an `int`, `float`, `bool`, `str` or `None` argument).
    Constant(ConstantValue),
    /// Another `Argument` member, by its tag (`as_tensors`, ...).
    Other(String),
}

impl GraphValue {
    /// The graph value's name, for the named kinds.
    pub fn name(&self) -> Option<&str> {
        match self {
            GraphValue::Tensor(n)
            | GraphValue::SymInt(n)
            | GraphValue::SymFloat(n)
            | GraphValue::SymBool(n)
            | GraphValue::Token(n)
            | GraphValue::CustomObj { name: n, .. } => Some(n),
            GraphValue::Constant(_) | GraphValue::Other(_) => None,
        }
    }
}

/// The root module's calling convention.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallSignature {
    /// The treespec of `(args, kwargs)`, as torch's `treespec_dumps` wrote it.
    pub in_spec: Option<String>,
    /// The treespec of the returned value.
    pub out_spec: Option<String>,
    /// The names of `forward`'s parameters (torch 2.5+).
    pub forward_arg_names: Option<Vec<String>>,
    /// Whether `in_spec` is the treespec of the positional arguments alone (torch 2.1's
    /// `call_spec`), not of `(args, kwargs)`.
    pub args_only: bool,
}

/// What the map reads from a program JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// The graph's inputs (placeholders), in order.
    pub inputs: Vec<GraphValue>,
    /// The graph's outputs, in order.
    pub outputs: Vec<GraphValue>,
    /// The metadata of each named input and output value.
    pub values: HashMap<String, ValueMeta>,
    /// The program's range constraints, in the order torch wrote them.
    pub range_constraints: Vec<RangeConstraint>,
    /// The root module's calling convention, when the program records it.
    pub call: Option<CallSignature>,
    /// The torch release that wrote the program (`torch_version`, torch 2.5+).
    pub torch_version: Option<String>,
}

#[derive(Deserialize)]
struct ProgramJson<'a> {
    #[serde(borrow)]
    graph_module: GraphModuleJson<'a>,
    #[serde(default, borrow)]
    range_constraints: Option<&'a RawValue>,
    #[serde(default)]
    torch_version: Option<String>,
}

#[derive(Deserialize)]
struct GraphModuleJson<'a> {
    #[serde(borrow)]
    graph: GraphJson<'a>,
    #[serde(default, borrow)]
    module_call_graph: Option<&'a RawValue>,
    /// torch 2.1: the calling convention, before the module call graph had it.
    #[serde(default)]
    call_spec: Option<CallSpecJson>,
}

#[derive(Deserialize)]
struct CallSpecJson {
    #[serde(default)]
    in_spec: Option<String>,
    #[serde(default)]
    out_spec: Option<String>,
}

#[derive(Deserialize)]
struct GraphJson<'a> {
    #[serde(borrow)]
    inputs: &'a RawValue,
    #[serde(borrow)]
    outputs: &'a RawValue,
    #[serde(default, borrow)]
    tensor_values: Option<&'a RawValue>,
    #[serde(default, borrow)]
    sym_int_values: Option<&'a RawValue>,
    #[serde(default, borrow)]
    sym_float_values: Option<&'a RawValue>,
    #[serde(default, borrow)]
    sym_bool_values: Option<&'a RawValue>,
    #[serde(default, borrow)]
    custom_obj_values: Option<&'a RawValue>,
}

fn bad(path: impl std::fmt::Display, reason: impl Into<String>) -> Error {
    Error::decode(FORMAT, path, reason)
}

/// Reads the map's part of an exported program's JSON (`models/<name>.json`,
/// `serialized_exported_program.json`).
pub fn read(bytes: &[u8]) -> Result<Program, Error> {
    read_with(bytes, true)
}

/// As [`read`] without the typed fast path of `tensor_values`: what [`read`] must return
/// whenever that path answers (checked by `crate::differential`).
pub(crate) fn read_precise(bytes: &[u8]) -> Result<Program, Error> {
    read_with(bytes, false)
}

fn read_with(bytes: &[u8], fast: bool) -> Result<Program, Error> {
    let quoted = crate::codec::torch_json::quote_bare_non_finite(bytes);
    let bytes = quoted.as_deref().unwrap_or(bytes);
    let doc: ProgramJson<'_> = serde_json::from_slice(bytes).map_err(|e| bad("", e.to_string()))?;
    let graph = &doc.graph_module.graph;
    let root = Path::Root;
    let graph_path = Path::Field(&root, "graph_module.graph");
    let inputs = arguments(graph.inputs, Path::Field(&graph_path, "inputs"))?;
    let outputs = arguments(graph.outputs, Path::Field(&graph_path, "outputs"))?;

    let wanted: std::collections::HashSet<&str> = inputs.iter().chain(&outputs).filter_map(GraphValue::name).collect();
    let mut values = HashMap::with_capacity(wanted.len());
    let tables: [(&str, Option<&RawValue>); 5] = [
        ("tensor_values", graph.tensor_values),
        ("sym_int_values", graph.sym_int_values),
        ("sym_float_values", graph.sym_float_values),
        ("sym_bool_values", graph.sym_bool_values),
        ("custom_obj_values", graph.custom_obj_values),
    ];
    for (table, raw) in tables {
        let Some(raw) = raw.filter(|r| r.get() != "null") else { continue };
        let table_path = Path::Field(&graph_path, table);
        // The table of every graph value, one per node: read in one typed pass, and again
        // by the precise reader below only if that pass refuses it.
        if fast && table == "tensor_values" {
            if let Some(found) = super::fast::tensor_values(raw.get(), &wanted) {
                values.extend(found.into_iter().map(|(name, meta)| (name, ValueMeta::Tensor(meta))));
                continue;
            }
        }
        let members = raw_members(raw.get(), MAX_MEMBERS).map_err(|e| bad(table_path, e.to_string()))?;
        for (name, raw) in members {
            if !wanted.contains(name.as_str()) {
                continue;
            }
            let path = Path::Field(&table_path, &name);
            let meta = match table {
                "tensor_values" => ValueMeta::Tensor(tensor_meta(raw, path)?),
                "sym_int_values" => ValueMeta::SymInt { value: sym_int(raw, path)? },
                "sym_float_values" => ValueMeta::SymFloat { value: sym_scalar(raw, path, "as_float")? },
                "sym_bool_values" => ValueMeta::SymBool { value: sym_scalar(raw, path, "as_bool")? },
                _ => {
                    #[derive(Deserialize)]
                    struct Obj {
                        class_fqn: String,
                    }
                    let obj: Obj = from_raw(raw, path)?;
                    ValueMeta::CustomObj { class_fqn: obj.class_fqn }
                }
            };
            values.insert(name, meta);
        }
    }
    for v in inputs.iter().chain(&outputs) {
        if let GraphValue::Token(name) = v {
            values.insert(name.clone(), ValueMeta::Token);
        }
    }
    Ok(Program {
        inputs,
        outputs,
        values,
        range_constraints: range_constraints(doc.range_constraints)?,
        call: match call_signature(doc.graph_module.module_call_graph)? {
            Some(call) => Some(call),
            None => doc.graph_module.call_spec.map(|c| CallSignature {
                in_spec: c.in_spec,
                out_spec: c.out_spec,
                forward_arg_names: None,
                args_only: true,
            }),
        },
        torch_version: doc.torch_version,
    })
}

fn from_raw<'a, T: Deserialize<'a>>(raw: &'a RawValue, path: Path<'_>) -> Result<T, Error> {
    serde_json::from_str(raw.get()).map_err(|e| bad(path, e.to_string()))
}

/// The member of a union: the one member (torch 2.3+), or the one member not `null` among
/// all of them (torch 2.1, 2.2). Nothing is allocated: the tag is borrowed.
fn member<'a>(raw: &'a RawValue, path: Path<'_>) -> Result<(&'a str, &'a RawValue), Error> {
    struct One;
    impl<'de> Visitor<'de> for One {
        type Value = Result<(&'de str, &'de RawValue), String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a union (an object)")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found: Option<(&'de str, &'de RawValue)> = None;
            let mut members = 0usize;
            while let Some((key, value)) = map.next_entry::<&'de str, &'de RawValue>()? {
                members += 1;
                if members > 64 {
                    return Err(serde::de::Error::custom("more than 64 members"));
                }
                if value.get() == "null" {
                    continue;
                }
                if let Some((first, _)) = found {
                    return Ok(Err(format!("several members of the union are set ({first}, {key})")));
                }
                found = Some((key, value));
            }
            Ok(found.ok_or_else(|| "no member of the union is set".to_owned()))
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let result = de.deserialize_map(One).map_err(|e| bad(path, format!("expected a union (an object): {e}")))?;
    result.map_err(|reason| bad(path, reason))
}

fn arguments(raw: &RawValue, path: Path<'_>) -> Result<Vec<GraphValue>, Error> {
    let items: Vec<&RawValue> = from_raw(raw, path)?;
    items.into_iter().enumerate().map(|(i, item)| argument(item, Path::Index(&path, i))).collect()
}

fn argument(raw: &RawValue, path: Path<'_>) -> Result<GraphValue, Error> {
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    #[derive(Deserialize)]
    struct Obj {
        name: String,
        class_fqn: String,
    }
    let (tag, body) = member(raw, path)?;
    let at = Path::Field(&path, tag);
    Ok(match tag {
        "as_tensor" => GraphValue::Tensor(from_raw::<Named>(body, at)?.name),
        "as_token" => GraphValue::Token(from_raw::<Named>(body, at)?.name),
        "as_custom_obj" => {
            let o: Obj = from_raw(body, at)?;
            GraphValue::CustomObj { name: o.name, class_fqn: o.class_fqn }
        }
        "as_sym_int" | "as_sym_float" | "as_sym_bool" => {
            let (inner, value) = member(body, at)?;
            if inner != "as_name" {
                // A constant in the Sym*Argument union (as_int, as_float, as_bool).
                return Ok(GraphValue::Constant(constant(inner, value, at)?));
            }
            let name: String = from_raw(value, at)?;
            match tag {
                "as_sym_int" => GraphValue::SymInt(name),
                "as_sym_float" => GraphValue::SymFloat(name),
                _ => GraphValue::SymBool(name),
            }
        }
        "as_none" | "as_int" | "as_float" | "as_bool" | "as_string" => GraphValue::Constant(constant(tag, body, at)?),
        other => GraphValue::Other(other.to_owned()),
    })
}

fn constant(tag: &str, raw: &RawValue, path: Path<'_>) -> Result<ConstantValue, Error> {
    Ok(match tag {
        "as_none" => ConstantValue::None,
        "as_int" => ConstantValue::Int(from_raw(raw, path)?),
        "as_bool" => ConstantValue::Bool(from_raw(raw, path)?),
        "as_string" => ConstantValue::String(from_raw(raw, path)?),
        "as_float" => ConstantValue::Float(float(raw, path)?),
        other => return Err(bad(path, format!("not a constant: {other}"))),
    })
}

/// A float: a number, or the strings torch writes for non-finite values.
fn float(raw: &RawValue, path: Path<'_>) -> Result<f64, Error> {
    match raw.get() {
        "\"Infinity\"" => Ok(f64::INFINITY),
        "\"-Infinity\"" => Ok(f64::NEG_INFINITY),
        "\"NaN\"" => Ok(f64::NAN),
        _ => from_raw(raw, path),
    }
}

fn hint(raw: &RawValue, path: Path<'_>) -> Result<Option<Hint>, Error> {
    if raw.get() == "null" {
        return Ok(None);
    }
    // torch 2.1 wrote the hint as a bare integer.
    if raw.get().starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return from_raw(raw, path).map(|v| Some(Hint::Int(v)));
    }
    let (tag, value) = member(raw, path)?;
    Ok(Some(match tag {
        "as_int" => Hint::Int(from_raw(value, path)?),
        "as_float" => Hint::Float(float(value, path)?),
        "as_bool" => Hint::Bool(from_raw(value, path)?),
        other => return Err(bad(path, format!("unknown hint member {other:?}"))),
    }))
}

fn sym_expr(raw: &RawValue, path: Path<'_>) -> Result<SymExpr, Error> {
    #[derive(Deserialize)]
    struct Expr<'a> {
        expr_str: String,
        #[serde(default, borrow)]
        hint: Option<&'a RawValue>,
    }
    let e: Expr<'_> = from_raw(raw, path)?;
    let h = match e.hint {
        Some(h) => hint(h, Path::Field(&path, "hint"))?,
        None => None,
    };
    Ok(SymExpr::new(e.expr_str, h))
}

fn sym_int(raw: &RawValue, path: Path<'_>) -> Result<SymInt, Error> {
    // torch <= 2.4 wrote storage_offset as a bare integer.
    if raw.get().starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return from_raw(raw, path).map(SymInt::Int);
    }
    let (tag, value) = member(raw, path)?;
    match tag {
        "as_int" => Ok(SymInt::Int(from_raw(value, path)?)),
        "as_expr" => Ok(SymInt::Expr(sym_expr(value, Path::Field(&path, "as_expr"))?)),
        other => Err(bad(path, format!("unknown SymInt member {other:?}"))),
    }
}

fn sym_scalar(raw: &RawValue, path: Path<'_>, known_tag: &str) -> Result<SymScalar, Error> {
    let (tag, value) = member(raw, path)?;
    if tag == "as_expr" {
        return Ok(SymScalar::Expr(sym_expr(value, Path::Field(&path, "as_expr"))?));
    }
    if tag != known_tag {
        return Err(bad(path, format!("unknown member {tag:?}")));
    }
    Ok(SymScalar::Known(match known_tag {
        "as_float" => Hint::Float(float(value, path)?),
        _ => Hint::Bool(from_raw(value, path)?),
    }))
}

/// A `TensorMeta` of the program JSON or of a PT2 payload config (torch 2.1 wrapped it in
/// a `TensorValue`: `{"meta": TensorMeta}`).
pub(crate) fn tensor_meta(raw: &RawValue, path: Path<'_>) -> Result<TensorMeta, Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wrapped<'a> {
        #[serde(borrow)]
        meta: &'a RawValue,
    }
    if let Ok(w) = serde_json::from_str::<Wrapped<'_>>(raw.get()) {
        return tensor_meta(w.meta, Path::Field(&path, "meta"));
    }
    #[derive(Deserialize)]
    struct Meta<'a> {
        dtype: i64,
        #[serde(borrow)]
        sizes: Vec<&'a RawValue>,
        #[serde(default)]
        requires_grad: bool,
        device: DeviceJson,
        #[serde(borrow)]
        strides: Vec<&'a RawValue>,
        #[serde(borrow)]
        storage_offset: &'a RawValue,
        layout: i64,
    }
    #[derive(Deserialize)]
    struct DeviceJson {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        index: Option<i64>,
    }
    let m: Meta<'_> = from_raw(raw, path)?;
    let list = |items: &[&RawValue], field: &str| -> Result<Vec<SymInt>, Error> {
        let at = Path::Field(&path, field);
        items.iter().enumerate().map(|(i, r)| sym_int(r, Path::Index(&at, i))).collect()
    };
    Ok(TensorMeta {
        dtype: Dtype::from_schema(m.dtype),
        sizes: list(&m.sizes, "sizes")?,
        strides: list(&m.strides, "strides")?,
        storage_offset: sym_int(m.storage_offset, Path::Field(&path, "storage_offset"))?,
        device: Device { kind: m.device.kind, index: m.device.index },
        layout: Layout::from_schema(m.layout),
        requires_grad: m.requires_grad,
    })
}

fn range_constraints(raw: Option<&RawValue>) -> Result<Vec<RangeConstraint>, Error> {
    #[derive(Deserialize)]
    struct Range {
        #[serde(default)]
        min_val: Option<serde_json::Number>,
        #[serde(default)]
        max_val: Option<serde_json::Number>,
    }
    let Some(raw) = raw.filter(|r| r.get() != "null") else { return Ok(Vec::new()) };
    let members = raw_members(raw.get(), MAX_MEMBERS).map_err(|e| bad("range_constraints", e.to_string()))?;
    members
        .into_iter()
        .map(|(symbol, raw)| {
            let root = Path::Root;
            let constraints = Path::Field(&root, "range_constraints");
            let path = Path::Field(&constraints, &symbol);
            let r: Range = from_raw(raw, path)?;
            let bound = |n: Option<serde_json::Number>, which: &str| -> Result<Option<i64>, Error> {
                n.map(|n| {
                    n.as_i64().ok_or_else(|| bad(format!("{path}.{which}"), format!("{n} is not a 64-bit integer")))
                })
                .transpose()
            };
            Ok(RangeConstraint { min: bound(r.min_val, "min_val")?, max: bound(r.max_val, "max_val")?, symbol })
        })
        .collect()
}

fn call_signature(raw: Option<&RawValue>) -> Result<Option<CallSignature>, Error> {
    #[derive(Deserialize)]
    struct Entry {
        fqn: String,
        #[serde(default)]
        signature: Option<Sig>,
    }
    #[derive(Deserialize)]
    struct Sig {
        #[serde(default)]
        in_spec: Option<String>,
        #[serde(default)]
        out_spec: Option<String>,
        #[serde(default)]
        forward_arg_names: Option<Vec<String>>,
    }
    let Some(raw) = raw.filter(|r| r.get() != "null") else { return Ok(None) };
    let entries: Vec<Entry> = from_raw(raw, Path::Field(&Path::Root, "graph_module.module_call_graph"))?;
    Ok(entries.into_iter().find(|e| e.fqn.is_empty()).and_then(|e| e.signature).map(|s| CallSignature {
        in_spec: s.in_spec,
        out_spec: s.out_spec,
        forward_arg_names: s.forward_arg_names,
        args_only: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_union_encodings_and_both_storage_offsets() {
        let json = br#"{"graph_module": {"graph": {
            "inputs": [{"as_none": null, "as_tensor": {"name": "x"}, "as_int": null},
                       {"as_sym_int": {"as_name": "s"}}, {"as_int": 3}],
            "outputs": [{"as_tensor": {"name": "y"}}],
            "tensor_values": {
              "x": {"dtype": 7, "sizes": [{"as_expr": {"expr_str": "s0", "hint": {"as_int": 3, "as_float": null}}, "as_int": null}, {"as_int": 4}],
                    "requires_grad": false, "device": {"type": "cpu"}, "strides": [{"as_int": 4}, {"as_int": 1}],
                    "storage_offset": 0, "layout": 7},
              "y": {"dtype": 13, "sizes": [], "requires_grad": true, "device": {"type": "cuda", "index": 1},
                    "strides": [], "storage_offset": {"as_int": 2}, "layout": 7},
              "unused": {"dtype": 7}},
            "sym_int_values": {"s": {"as_expr": {"expr_str": "Symbol('s0', positive=True, integer=True)"}}},
            "nodes": [{"anything": NaN}]},
          "module_call_graph": [{"fqn": "", "signature": {"in_spec": "[1]", "out_spec": "[1]"}}]},
          "range_constraints": {"s0": {"min_val": 2, "max_val": null}}}"#;
        let p = read(json).unwrap();
        assert_eq!(
            p.inputs,
            [
                GraphValue::Tensor("x".into()),
                GraphValue::SymInt("s".into()),
                GraphValue::Constant(ConstantValue::Int(3))
            ]
        );
        let ValueMeta::Tensor(x) = &p.values["x"] else { panic!() };
        assert_eq!(x.shape_text(), "[s0, 4]");
        assert_eq!(x.storage_offset, SymInt::Int(0));
        assert_eq!(x.dtype, Dtype::Float32);
        let ValueMeta::Tensor(y) = &p.values["y"] else { panic!() };
        assert_eq!(
            (y.dtype, y.device.to_string(), y.storage_offset.as_int()),
            (Dtype::Bfloat16, "cuda:1".into(), Some(2))
        );
        let ValueMeta::SymInt { value: SymInt::Expr(e) } = &p.values["s"] else { panic!() };
        assert_eq!(e.short, "s0");
        assert!(!p.values.contains_key("unused"), "values of other nodes are not parsed");
        assert_eq!(p.range_constraints, [RangeConstraint { symbol: "s0".into(), min: Some(2), max: None }]);
        assert_eq!(p.call.unwrap().in_spec.as_deref(), Some("[1]"));
    }

    #[test]
    fn bad_programs_are_errors_naming_the_place() {
        let err = read(
            br#"{"graph_module": {"graph": {"inputs": [{"as_tensor": {"name": "x"}, "as_int": 3}], "outputs": []}}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("graph_module.graph.inputs[0]: several members of the union are set"),
            "{err}"
        );
        let err = read(
            br#"{"graph_module": {"graph": {"inputs": [], "outputs": [],
            "tensor_values": {"x": {"dtype": "seven"}}}}}"#,
        );
        assert!(err.is_ok(), "an unreferenced value is not parsed");
        let err = read(
            br#"{"graph_module": {"graph": {"inputs": [{"as_tensor": {"name": "x"}}], "outputs": [],
            "tensor_values": {"x": {"dtype": "seven"}}}}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("graph_module.graph.tensor_values.x"), "{err}");
    }
}
