//! The names `torch.save` writes: storage classes, dtypes, and the allow-list of globals.

use std::fmt;

/// A tensor element type, named as torch prints it (`torch.float32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dtype {
    /// `torch.float64` (`DoubleStorage`).
    Float64,
    /// `torch.float32` (`FloatStorage`).
    Float32,
    /// `torch.float16` (`HalfStorage`).
    Float16,
    /// `torch.bfloat16` (`BFloat16Storage`).
    BFloat16,
    /// `torch.int64` (`LongStorage`).
    Int64,
    /// `torch.int32` (`IntStorage`).
    Int32,
    /// `torch.int16` (`ShortStorage`).
    Int16,
    /// `torch.int8` (`CharStorage`).
    Int8,
    /// `torch.uint8` (`ByteStorage`, and `UntypedStorage`, whose elements are bytes).
    UInt8,
    /// `torch.bool` (`BoolStorage`).
    Bool,
    /// `torch.complex128` (`ComplexDoubleStorage`).
    Complex128,
    /// `torch.complex64` (`ComplexFloatStorage`).
    Complex64,
    /// `torch.qint8` (`QInt8Storage`).
    QInt8,
    /// `torch.qint32` (`QInt32Storage`).
    QInt32,
    /// `torch.quint8` (`QUInt8Storage`).
    QUInt8,
    /// `torch.quint4x2` (`QUInt4x2Storage`): two 4-bit values per byte.
    QUInt4x2,
    /// `torch.quint2x4` (`QUInt2x4Storage`): four 2-bit values per byte.
    QUInt2x4,
    /// `torch.float8_e5m2` (an `UntypedStorage` and `_rebuild_tensor_v3`).
    Float8E5M2,
    /// `torch.float8_e4m3fn`.
    Float8E4M3Fn,
    /// `torch.float8_e5m2fnuz`.
    Float8E5M2Fnuz,
    /// `torch.float8_e4m3fnuz`.
    Float8E4M3Fnuz,
    /// `torch.float8_e8m0fnu`.
    Float8E8M0Fnu,
    /// `torch.float4_e2m1fn_x2`: two 4-bit floats per byte.
    Float4E2M1FnX2,
    /// `torch.complex32`.
    Complex32,
    /// `torch.uint16`.
    UInt16,
    /// `torch.uint32`.
    UInt32,
    /// `torch.uint64`.
    UInt64,
    /// `torch.bits8`.
    Bits8,
    /// `torch.bits16`.
    Bits16,
    /// `torch.bits1x8`.
    Bits1x8,
    /// `torch.bits2x4`.
    Bits2x4,
    /// `torch.bits4x2`.
    Bits4x2,
}

/// Every dtype: its attribute name in the `torch` module and its element size in bytes.
const DTYPES: &[(Dtype, &str, u8)] = &[
    (Dtype::Float64, "float64", 8),
    (Dtype::Float32, "float32", 4),
    (Dtype::Float16, "float16", 2),
    (Dtype::BFloat16, "bfloat16", 2),
    (Dtype::Int64, "int64", 8),
    (Dtype::Int32, "int32", 4),
    (Dtype::Int16, "int16", 2),
    (Dtype::Int8, "int8", 1),
    (Dtype::UInt8, "uint8", 1),
    (Dtype::Bool, "bool", 1),
    (Dtype::Complex128, "complex128", 16),
    (Dtype::Complex64, "complex64", 8),
    (Dtype::QInt8, "qint8", 1),
    (Dtype::QInt32, "qint32", 4),
    (Dtype::QUInt8, "quint8", 1),
    (Dtype::QUInt4x2, "quint4x2", 1),
    (Dtype::QUInt2x4, "quint2x4", 1),
    (Dtype::Float8E5M2, "float8_e5m2", 1),
    (Dtype::Float8E4M3Fn, "float8_e4m3fn", 1),
    (Dtype::Float8E5M2Fnuz, "float8_e5m2fnuz", 1),
    (Dtype::Float8E4M3Fnuz, "float8_e4m3fnuz", 1),
    (Dtype::Float8E8M0Fnu, "float8_e8m0fnu", 1),
    (Dtype::Float4E2M1FnX2, "float4_e2m1fn_x2", 1),
    (Dtype::Complex32, "complex32", 4),
    (Dtype::UInt16, "uint16", 2),
    (Dtype::UInt32, "uint32", 4),
    (Dtype::UInt64, "uint64", 8),
    (Dtype::Bits8, "bits8", 1),
    (Dtype::Bits16, "bits16", 2),
    (Dtype::Bits1x8, "bits1x8", 1),
    (Dtype::Bits2x4, "bits2x4", 1),
    (Dtype::Bits4x2, "bits4x2", 1),
];

/// The storage classes of torch's persistent ids (`torch.<X>Storage`, torch's
/// `_dtype_to_storage_type_map`) and the dtype of their elements.
const STORAGES: &[(&str, Dtype)] = &[
    ("DoubleStorage", Dtype::Float64),
    ("FloatStorage", Dtype::Float32),
    ("HalfStorage", Dtype::Float16),
    ("BFloat16Storage", Dtype::BFloat16),
    ("LongStorage", Dtype::Int64),
    ("IntStorage", Dtype::Int32),
    ("ShortStorage", Dtype::Int16),
    ("CharStorage", Dtype::Int8),
    ("ByteStorage", Dtype::UInt8),
    ("BoolStorage", Dtype::Bool),
    ("ComplexDoubleStorage", Dtype::Complex128),
    ("ComplexFloatStorage", Dtype::Complex64),
    ("QInt8Storage", Dtype::QInt8),
    ("QInt32Storage", Dtype::QInt32),
    ("QUInt8Storage", Dtype::QUInt8),
    ("QUInt4x2Storage", Dtype::QUInt4x2),
    ("QUInt2x4Storage", Dtype::QUInt2x4),
    // Tensors of the dtypes added since (float8, uint16, ...) are saved as an untyped
    // storage counted in bytes, with the dtype given to `_rebuild_tensor_v3`.
    ("UntypedStorage", Dtype::UInt8),
];

impl Dtype {
    fn entry(self) -> &'static (Dtype, &'static str, u8) {
        DTYPES.iter().find(|e| e.0 == self).expect("every dtype is in DTYPES")
    }

    /// torch's name, e.g. `"torch.float32"`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Float64 => "torch.float64",
            Dtype::Float32 => "torch.float32",
            Dtype::Float16 => "torch.float16",
            Dtype::BFloat16 => "torch.bfloat16",
            Dtype::Int64 => "torch.int64",
            Dtype::Int32 => "torch.int32",
            Dtype::Int16 => "torch.int16",
            Dtype::Int8 => "torch.int8",
            Dtype::UInt8 => "torch.uint8",
            Dtype::Bool => "torch.bool",
            Dtype::Complex128 => "torch.complex128",
            Dtype::Complex64 => "torch.complex64",
            Dtype::QInt8 => "torch.qint8",
            Dtype::QInt32 => "torch.qint32",
            Dtype::QUInt8 => "torch.quint8",
            Dtype::QUInt4x2 => "torch.quint4x2",
            Dtype::QUInt2x4 => "torch.quint2x4",
            Dtype::Float8E5M2 => "torch.float8_e5m2",
            Dtype::Float8E4M3Fn => "torch.float8_e4m3fn",
            Dtype::Float8E5M2Fnuz => "torch.float8_e5m2fnuz",
            Dtype::Float8E4M3Fnuz => "torch.float8_e4m3fnuz",
            Dtype::Float8E8M0Fnu => "torch.float8_e8m0fnu",
            Dtype::Float4E2M1FnX2 => "torch.float4_e2m1fn_x2",
            Dtype::Complex32 => "torch.complex32",
            Dtype::UInt16 => "torch.uint16",
            Dtype::UInt32 => "torch.uint32",
            Dtype::UInt64 => "torch.uint64",
            Dtype::Bits8 => "torch.bits8",
            Dtype::Bits16 => "torch.bits16",
            Dtype::Bits1x8 => "torch.bits1x8",
            Dtype::Bits2x4 => "torch.bits2x4",
            Dtype::Bits4x2 => "torch.bits4x2",
        }
    }

    /// The size of one element in bytes (`torch.<dtype>.itemsize`); the sub-byte types
    /// pack several values into one element of 1 byte.
    pub fn element_size(self) -> u8 {
        self.entry().2
    }

    /// The dtype named `attr` in the `torch` module (`"float32"`), if it is one.
    pub fn from_torch_attr(attr: &str) -> Option<Dtype> {
        DTYPES.iter().find(|e| e.1 == attr).map(|e| e.0)
    }

    /// The element dtype of the storage class `torch.<class>` (`"FloatStorage"`), if it is one.
    pub fn from_storage_class(class: &str) -> Option<Dtype> {
        STORAGES.iter().find(|e| e.0 == class).map(|e| e.1)
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A global on the allow-list of the state-dict reader: what it is, never what it would run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Allowed {
    OrderedDict,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    RebuildParameterWithState,
    Device,
    Size,
    Set,
    FrozenSet,
    /// `_codecs.encode`: how protocols 0 to 2 write a non-empty `bytes`.
    CodecsEncode,
    /// `bytes`: how protocols 0 to 2 write an empty `bytes`.
    Bytes,
    /// `bytearray`: how protocols 0 to 4 write a `bytearray`.
    ByteArray,
    /// `torch.<X>Storage` (`untyped`: `torch.UntypedStorage`): only as the type in a storage
    /// persistent id.
    Storage {
        dtype: Dtype,
        untyped: bool,
    },
    /// `torch.<dtype>`: an argument of `_rebuild_tensor_v3`, or a value.
    Dtype(Dtype),
}

/// The allow-list: `module.name` as written in the pickle to what it is. Protocols 0 to 2
/// name the builtins module `__builtin__` (Python 2's name, which Python 3 maps back).
pub(super) fn allowed(module: &str, name: &str) -> Option<Allowed> {
    Some(match (module, name) {
        ("collections", "OrderedDict") => Allowed::OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2") => Allowed::RebuildTensorV2,
        ("torch._utils", "_rebuild_tensor_v3") => Allowed::RebuildTensorV3,
        ("torch._utils", "_rebuild_parameter") => Allowed::RebuildParameter,
        ("torch._utils", "_rebuild_parameter_with_state") => Allowed::RebuildParameterWithState,
        ("torch", "device") => Allowed::Device,
        ("torch", "Size") => Allowed::Size,
        ("builtins" | "__builtin__", "set") => Allowed::Set,
        ("builtins" | "__builtin__", "frozenset") => Allowed::FrozenSet,
        ("builtins" | "__builtin__", "bytes") => Allowed::Bytes,
        ("builtins" | "__builtin__", "bytearray") => Allowed::ByteArray,
        ("_codecs", "encode") => Allowed::CodecsEncode,
        // `UntypedStorage` is defined in `torch.storage` and exported as `torch.UntypedStorage`.
        ("torch" | "torch.storage", "UntypedStorage") => Allowed::Storage { dtype: Dtype::UInt8, untyped: true },
        ("torch", attr) => match Dtype::from_storage_class(attr) {
            Some(dtype) => Allowed::Storage { dtype, untyped: false },
            None => Allowed::Dtype(Dtype::from_torch_attr(attr)?),
        },
        _ => return None,
    })
}

impl Allowed {
    /// The global's name, for messages (the builtins as `builtins.<name>`).
    pub(super) fn name(self) -> String {
        match self {
            Allowed::OrderedDict => "collections.OrderedDict".into(),
            Allowed::RebuildTensorV2 => "torch._utils._rebuild_tensor_v2".into(),
            Allowed::RebuildTensorV3 => "torch._utils._rebuild_tensor_v3".into(),
            Allowed::RebuildParameter => "torch._utils._rebuild_parameter".into(),
            Allowed::RebuildParameterWithState => "torch._utils._rebuild_parameter_with_state".into(),
            Allowed::Device => "torch.device".into(),
            Allowed::Size => "torch.Size".into(),
            Allowed::Set => "builtins.set".into(),
            Allowed::FrozenSet => "builtins.frozenset".into(),
            Allowed::CodecsEncode => "_codecs.encode".into(),
            Allowed::Bytes => "builtins.bytes".into(),
            Allowed::ByteArray => "builtins.bytearray".into(),
            Allowed::Storage { dtype, untyped } => format!("torch.{}", storage_class(dtype, untyped)),
            Allowed::Dtype(d) => d.name().into(),
        }
    }
}

/// The storage class of a persistent id: `UntypedStorage`, or the class of `dtype`.
pub(super) fn storage_class(dtype: Dtype, untyped: bool) -> &'static str {
    if untyped {
        return "UntypedStorage";
    }
    STORAGES.iter().find(|e| e.1 == dtype).map_or("UntypedStorage", |e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_has_a_torch_name_and_size() {
        for &(d, attr, size) in DTYPES {
            assert_eq!(d.name(), format!("torch.{attr}"));
            assert_eq!(d.element_size(), size);
            assert_eq!(Dtype::from_torch_attr(attr), Some(d));
            assert_eq!(allowed("torch", attr), Some(Allowed::Dtype(d)));
        }
    }

    #[test]
    fn every_storage_class_is_allowed_with_its_dtype() {
        for &(class, dtype) in STORAGES {
            let untyped = class == "UntypedStorage";
            assert_eq!(allowed("torch", class), Some(Allowed::Storage { dtype, untyped }));
            assert_eq!(storage_class(dtype, untyped), class);
            assert_eq!(Allowed::Storage { dtype, untyped }.name(), format!("torch.{class}"));
        }
        assert_eq!(Dtype::from_storage_class("BFloat16Storage"), Some(Dtype::BFloat16));
        assert_eq!(allowed("torch", "load"), None);
        assert_eq!(allowed("os", "system"), None);
        assert_eq!(allowed("torch._utils", "_rebuild_qtensor"), None);
    }
}
