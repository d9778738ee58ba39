//! Typed tensor metadata, as torch's export schema records it: dtypes, layouts, devices,
//! symbolic sizes and range constraints. The archive map reads it from a program
//! (`crate::map`); our schema 1.1 carries it beside a signature ([`SignatureMeta`]). Numbers are the schema's own enums
//! (`torch/_export/serde/schema.py`: `ScalarType`, `Layout`), the same in every release
//! from 2.1 to 2.15 (later releases only added values).

use std::fmt;

use serde::Serialize;

use crate::model::ConstantValue;

/// A tensor's element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dtype {
    /// `torch.uint8`
    Uint8,
    /// `torch.int8`
    Int8,
    /// `torch.int16`
    Int16,
    /// `torch.int32`
    Int32,
    /// `torch.int64`
    Int64,
    /// `torch.float16`
    Float16,
    /// `torch.float32`
    Float32,
    /// `torch.float64`
    Float64,
    /// `torch.complex32`
    Complex32,
    /// `torch.complex64`
    Complex64,
    /// `torch.complex128`
    Complex128,
    /// `torch.bool`
    Bool,
    /// `torch.bfloat16`
    Bfloat16,
    /// `torch.uint16`
    Uint16,
    /// `torch.uint32`
    Uint32,
    /// `torch.uint64`
    Uint64,
    /// `torch.float8_e4m3fn`
    Float8E4m3fn,
    /// `torch.float8_e5m2`
    Float8E5m2,
    /// `torch.float8_e4m3fnuz`
    Float8E4m3fnuz,
    /// `torch.float8_e5m2fnuz`
    Float8E5m2fnuz,
    /// `torch.float8_e8m0fnu`
    Float8E8m0fnu,
    /// A value of the schema's `ScalarType` this build does not know (0 is torch's
    /// `UNKNOWN`).
    Unknown(i64),
}

/// Every known dtype with its schema number, torch name, element size and the
/// `torch.*Storage` class `torch.save` names it by (where there is one).
const DTYPES: &[(Dtype, i64, &str, u64, Option<&str>)] = &[
    (Dtype::Uint8, 1, "torch.uint8", 1, Some("ByteStorage")),
    (Dtype::Int8, 2, "torch.int8", 1, Some("CharStorage")),
    (Dtype::Int16, 3, "torch.int16", 2, Some("ShortStorage")),
    (Dtype::Int32, 4, "torch.int32", 4, Some("IntStorage")),
    (Dtype::Int64, 5, "torch.int64", 8, Some("LongStorage")),
    (Dtype::Float16, 6, "torch.float16", 2, Some("HalfStorage")),
    (Dtype::Float32, 7, "torch.float32", 4, Some("FloatStorage")),
    (Dtype::Float64, 8, "torch.float64", 8, Some("DoubleStorage")),
    (Dtype::Complex32, 9, "torch.complex32", 4, Some("ComplexHalfStorage")),
    (Dtype::Complex64, 10, "torch.complex64", 8, Some("ComplexFloatStorage")),
    (Dtype::Complex128, 11, "torch.complex128", 16, Some("ComplexDoubleStorage")),
    (Dtype::Bool, 12, "torch.bool", 1, Some("BoolStorage")),
    (Dtype::Bfloat16, 13, "torch.bfloat16", 2, Some("BFloat16Storage")),
    (Dtype::Uint16, 28, "torch.uint16", 2, None),
    (Dtype::Float8E4m3fn, 29, "torch.float8_e4m3fn", 1, None),
    (Dtype::Float8E5m2, 30, "torch.float8_e5m2", 1, None),
    (Dtype::Float8E4m3fnuz, 31, "torch.float8_e4m3fnuz", 1, None),
    (Dtype::Float8E5m2fnuz, 32, "torch.float8_e5m2fnuz", 1, None),
    (Dtype::Float8E8m0fnu, 33, "torch.float8_e8m0fnu", 1, None),
    (Dtype::Uint32, 34, "torch.uint32", 4, None),
    (Dtype::Uint64, 35, "torch.uint64", 8, None),
];

impl Dtype {
    fn entry(self) -> Option<&'static (Dtype, i64, &'static str, u64, Option<&'static str>)> {
        DTYPES.iter().find(|e| e.0 == self)
    }

    /// The dtype of the schema's `ScalarType` number.
    pub fn from_schema(value: i64) -> Dtype {
        DTYPES.iter().find(|e| e.1 == value).map_or(Dtype::Unknown(value), |e| e.0)
    }

    /// The schema's `ScalarType` number.
    pub fn schema_value(self) -> i64 {
        match self {
            Dtype::Unknown(v) => v,
            known => known.entry().map_or(0, |e| e.1),
        }
    }

    /// The dtype of a `torch.*Storage` class name (`FloatStorage`), as `torch.save` writes.
    pub fn from_storage_class(name: &str) -> Option<Dtype> {
        DTYPES.iter().find(|e| e.4 == Some(name)).map(|e| e.0)
    }

    /// The dtype of torch's name (`torch.float32`).
    pub fn from_torch_name(name: &str) -> Option<Dtype> {
        DTYPES.iter().find(|e| e.2 == name).map(|e| e.0)
    }

    /// torch's name, e.g. `torch.float32`; `unknown(N)` for an unknown one.
    pub fn torch_name(self) -> std::borrow::Cow<'static, str> {
        match self.entry() {
            Some(e) => e.2.into(),
            None => format!("unknown({})", self.schema_value()).into(),
        }
    }

    /// Bytes per element; `None` for an unknown dtype.
    pub fn element_size(self) -> Option<u64> {
        self.entry().map(|e| e.3)
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.torch_name())
    }
}

impl Serialize for Dtype {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.torch_name())
    }
}

/// A tensor's memory layout (the schema's `Layout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// `torch.strided`: dense, addressed by strides.
    Strided,
    /// `torch.sparse_coo`
    SparseCoo,
    /// `torch.sparse_csr`
    SparseCsr,
    /// `torch.sparse_csc`
    SparseCsc,
    /// `torch.sparse_bsr`
    SparseBsr,
    /// `torch.sparse_bsc`
    SparseBsc,
    /// `torch._mkldnn`
    Mkldnn,
    /// A number this build does not know (0 is torch's `Unknown`).
    Unknown(i64),
}

impl Layout {
    /// The layout of the schema's number.
    pub fn from_schema(value: i64) -> Layout {
        match value {
            1 => Layout::SparseCoo,
            2 => Layout::SparseCsr,
            3 => Layout::SparseCsc,
            4 => Layout::SparseBsr,
            5 => Layout::SparseBsc,
            6 => Layout::Mkldnn,
            7 => Layout::Strided,
            other => Layout::Unknown(other),
        }
    }

    /// The schema's number (`Strided` is 7).
    pub fn schema_value(self) -> i64 {
        match self {
            Layout::SparseCoo => 1,
            Layout::SparseCsr => 2,
            Layout::SparseCsc => 3,
            Layout::SparseBsr => 4,
            Layout::SparseBsc => 5,
            Layout::Mkldnn => 6,
            Layout::Strided => 7,
            Layout::Unknown(v) => v,
        }
    }

    /// torch's name, e.g. `torch.strided`.
    pub fn torch_name(self) -> String {
        match self {
            Layout::Strided => "torch.strided".into(),
            Layout::SparseCoo => "torch.sparse_coo".into(),
            Layout::SparseCsr => "torch.sparse_csr".into(),
            Layout::SparseCsc => "torch.sparse_csc".into(),
            Layout::SparseBsr => "torch.sparse_bsr".into(),
            Layout::SparseBsc => "torch.sparse_bsc".into(),
            Layout::Mkldnn => "torch._mkldnn".into(),
            Layout::Unknown(v) => format!("unknown({v})"),
        }
    }
}

impl Serialize for Layout {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.torch_name())
    }
}

/// Where a tensor lives: `cpu`, `cuda:0`, `meta`, ...
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Device {
    /// The device type, e.g. `cpu`.
    pub kind: String,
    /// The device index, if any.
    pub index: Option<i64>,
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}:{i}", self.kind),
            None => f.write_str(&self.kind),
        }
    }
}

impl Serialize for Device {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The value a symbol had when the program was traced. Floats compare bit for bit, as in
/// [`ConstantValue`] (a NaN equals the same NaN, `-0.0` differs from `0.0`), so that a value
/// carried through a format compares equal to what was written.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(untagged)]
pub enum Hint {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A bool.
    Bool(bool),
}

impl PartialEq for Hint {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Hint::Int(a), Hint::Int(b)) => a == b,
            (Hint::Float(a), Hint::Float(b)) => a.to_bits() == b.to_bits(),
            (Hint::Bool(a), Hint::Bool(b)) => a == b,
            _ => false,
        }
    }
}

/// A symbolic expression as torch wrote it, with a short form and the traced value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SymExpr {
    /// The expression as torch wrote it: `s0`, `2*s0`, or sympy's form
    /// `Symbol('s77', positive=True, integer=True)` (torch 2.8+).
    pub expr: String,
    /// The short form: each `Symbol('name', ...)` replaced by its name (`s77`).
    pub short: String,
    /// The value when the program was traced.
    pub hint: Option<Hint>,
}

impl SymExpr {
    /// An expression and its short form.
    pub fn new(expr: impl Into<String>, hint: Option<Hint>) -> Self {
        let expr = expr.into();
        let short = short_form(&expr);
        Self { expr, short, hint }
    }

    /// The symbol names the expression uses (in its short form): identifiers that start
    /// with a letter and are not sympy function names.
    pub fn symbols(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let s = self.short.as_str();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                // A name followed by '(' is a function (Max, floor, ...), not a symbol.
                if bytes.get(i) != Some(&b'(') && !out.contains(&&s[start..i]) {
                    out.push(&s[start..i]);
                }
            } else {
                i += 1;
            }
        }
        out
    }
}

/// Replaces every `Symbol('name', ...)` (sympy's `srepr` form, which torch 2.8+ writes) by
/// `name`; other text is kept.
fn short_form(expr: &str) -> String {
    const OPEN: &str = "Symbol('";
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let (Some(name_end), Some(close)) = (after.find('\''), after.find(')')) else {
            out.push_str(&rest[at..]);
            return out;
        };
        if name_end > close {
            out.push_str(&rest[at..]);
            return out;
        }
        out.push_str(&after[..name_end]);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A size, stride or offset: an integer, or a symbolic expression.
#[derive(Clone, Debug, PartialEq)]
pub enum SymInt {
    /// A known integer.
    Int(i64),
    /// A symbolic expression.
    Expr(SymExpr),
}

impl SymInt {
    /// The integer, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            SymInt::Int(v) => Some(*v),
            SymInt::Expr(_) => None,
        }
    }
}

impl fmt::Display for SymInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymInt::Int(v) => write!(f, "{v}"),
            SymInt::Expr(e) => f.write_str(&e.short),
        }
    }
}

impl Serialize for SymInt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SymInt::Int(v) => s.serialize_i64(*v),
            SymInt::Expr(e) => e.serialize(s),
        }
    }
}

/// A symbolic float or bool: a known value, or an expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SymScalar {
    /// A known value.
    Known(Hint),
    /// A symbolic expression.
    Expr(SymExpr),
}

/// What torch recorded about a tensor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorMeta {
    /// The element type.
    pub dtype: Dtype,
    /// The sizes.
    #[serde(rename = "shape")]
    pub sizes: Vec<SymInt>,
    /// The strides, in elements.
    pub strides: Vec<SymInt>,
    /// The offset into the storage, in elements.
    pub storage_offset: SymInt,
    /// The device.
    pub device: Device,
    /// The layout.
    pub layout: Layout,
    /// Whether it requires grad.
    pub requires_grad: bool,
}

impl TensorMeta {
    /// The sizes, if all are integers.
    pub fn int_sizes(&self) -> Option<Vec<i64>> {
        self.sizes.iter().map(SymInt::as_int).collect()
    }

    /// The shape as text: `[4, s77]`.
    pub fn shape_text(&self) -> String {
        let parts: Vec<String> = self.sizes.iter().map(ToString::to_string).collect();
        format!("[{}]", parts.join(", "))
    }
}

/// What a graph input or output is, beyond its name: the metadata torch recorded for its
/// graph value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValueMeta {
    /// A tensor.
    Tensor(TensorMeta),
    /// A SymInt.
    SymInt {
        /// Its value or expression.
        value: SymInt,
    },
    /// A SymFloat.
    SymFloat {
        /// Its value or expression.
        value: SymScalar,
    },
    /// A SymBool.
    SymBool {
        /// Its value or expression.
        value: SymScalar,
    },
    /// A custom object (a TorchScript class or an opaque object).
    CustomObj {
        /// Its class.
        class_fqn: String,
    },
    /// A constant.
    Constant {
        /// Its value.
        #[serde(serialize_with = "crate::accessors::constant_as_scalar")]
        value: ConstantValue,
    },
    /// An effect token.
    Token,
}

/// What torch recorded about a signature's values, aligned with its specs: the metadata of
/// each input's and output's graph value (`None` where unknown) and the program's range
/// constraints. Carried by our formats from schema 1.1 (`docs/formats.md`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SignatureMeta {
    /// One entry per input spec, in order.
    pub inputs: Vec<Option<ValueMeta>>,
    /// One entry per output spec, in order.
    pub outputs: Vec<Option<ValueMeta>>,
    /// The program's range constraints.
    pub range_constraints: Vec<RangeConstraint>,
}

/// The range a symbol may take, inclusive, as torch recorded it in `range_constraints`.
/// A side torch wrote as `null` is `None`; torch writes unbounded sides as `null` or as a
/// very large integer, kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RangeConstraint {
    /// The symbol, as torch keyed it (`s0`, `s77`).
    pub symbol: String,
    /// The least value.
    pub min: Option<i64>,
    /// The greatest value.
    pub max: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_form_names_sympy_symbols() {
        let e = SymExpr::new("Symbol('s77', positive=True, integer=True)", Some(Hint::Int(3)));
        assert_eq!(e.short, "s77");
        let e = SymExpr::new("2*Symbol('s0', positive=True, integer=True) + Symbol('s1', integer=True)", None);
        assert_eq!(e.short, "2*s0 + s1");
        assert_eq!(e.symbols(), ["s0", "s1"]);
        let e = SymExpr::new("Max(2, s0)", None);
        assert_eq!(e.short, "Max(2, s0)");
        assert_eq!(e.symbols(), ["s0"]);
        assert_eq!(SymExpr::new("Symbol('unclosed", None).short, "Symbol('unclosed");
    }

    #[test]
    fn dtypes_round_trip_through_schema_numbers_and_names() {
        for &(d, n, name, size, storage) in DTYPES {
            assert_eq!(Dtype::from_schema(n), d);
            assert_eq!(d.schema_value(), n);
            assert_eq!(Dtype::from_torch_name(name), Some(d));
            assert_eq!(d.element_size(), Some(size));
            if let Some(s) = storage {
                assert_eq!(Dtype::from_storage_class(s), Some(d));
            }
        }
        assert_eq!(Dtype::from_schema(99), Dtype::Unknown(99));
        for n in -1..=9 {
            assert_eq!(Layout::from_schema(n).schema_value(), n);
        }
        assert_eq!(Dtype::Unknown(99).torch_name(), "unknown(99)");
    }
}
