//! The plain C types of the API: borrowed strings, the spec and value structs, and the
//! numbers that name kinds, formats and accessors.
//!
//! Enumerations are `uint32_t` typedefs with `#define`d values, never C enums, so their size
//! is fixed and a value this build does not know is refused (`GSIG_ERR_INVALID_ARGUMENT`)
//! rather than undefined. Kinds, argument types and constant types carry the numbers of
//! `proto/graph_signature/v1/graph_signature.proto`.
#![allow(non_camel_case_types)]

use std::ffi::c_char;

use graph_signature::{
    ArgumentSpec, ArgumentType, ConstantValue, InputKind, InputSpec, OutputKind, OutputSpec, UserValue,
};

/// A UTF-8 string borrowed from a handle: `len` bytes at `data`, **not** NUL-terminated (and
/// it may contain NUL bytes). `data` is never NULL, also when `len` is 0. Valid until the
/// handle it came from is freed; read-only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_str {
    /// The first byte.
    pub data: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl gsig_str {
    /// Borrows `s` (whose owner must outlive the C side's use: the handle's entry).
    pub(crate) fn of(s: &str) -> Self {
        if s.is_empty() {
            // A dangling-but-non-NULL pointer would do for Rust; C code may pass `data` to
            // functions that read it, so point at a real empty string.
            Self { data: c"".as_ptr(), len: 0 }
        } else {
            Self { data: s.as_ptr().cast(), len: s.len() }
        }
    }

    pub(crate) fn empty() -> Self {
        Self::of("")
    }
}

/// torch's `InputKind` (numbers from the .proto).
pub type gsig_input_kind = u32;
/// `USER_INPUT`
pub const GSIG_INPUT_KIND_USER_INPUT: gsig_input_kind = 10;
/// `PARAMETER`
pub const GSIG_INPUT_KIND_PARAMETER: gsig_input_kind = 20;
/// `BUFFER`
pub const GSIG_INPUT_KIND_BUFFER: gsig_input_kind = 30;
/// `CONSTANT_TENSOR`
pub const GSIG_INPUT_KIND_CONSTANT_TENSOR: gsig_input_kind = 40;
/// `CUSTOM_OBJ`
pub const GSIG_INPUT_KIND_CUSTOM_OBJ: gsig_input_kind = 50;
/// `TOKEN`
pub const GSIG_INPUT_KIND_TOKEN: gsig_input_kind = 70;

/// torch's `OutputKind` (numbers from the .proto).
pub type gsig_output_kind = u32;
/// `USER_OUTPUT`
pub const GSIG_OUTPUT_KIND_USER_OUTPUT: gsig_output_kind = 10;
/// `LOSS_OUTPUT`
pub const GSIG_OUTPUT_KIND_LOSS_OUTPUT: gsig_output_kind = 20;
/// `BUFFER_MUTATION`
pub const GSIG_OUTPUT_KIND_BUFFER_MUTATION: gsig_output_kind = 30;
/// `GRADIENT_TO_PARAMETER`
pub const GSIG_OUTPUT_KIND_GRADIENT_TO_PARAMETER: gsig_output_kind = 40;
/// `GRADIENT_TO_USER_INPUT`
pub const GSIG_OUTPUT_KIND_GRADIENT_TO_USER_INPUT: gsig_output_kind = 50;
/// `USER_INPUT_MUTATION`
pub const GSIG_OUTPUT_KIND_USER_INPUT_MUTATION: gsig_output_kind = 60;
/// `TOKEN`
pub const GSIG_OUTPUT_KIND_TOKEN: gsig_output_kind = 70;
/// `PARAMETER_MUTATION` (torch 2.9+)
pub const GSIG_OUTPUT_KIND_PARAMETER_MUTATION: gsig_output_kind = 80;

/// Which of torch's argument classes an argument is (numbers from the .proto).
pub type gsig_argument_type = u32;
/// `TensorArgument`
pub const GSIG_ARGUMENT_TENSOR: gsig_argument_type = 10;
/// `SymIntArgument`
pub const GSIG_ARGUMENT_SYM_INT: gsig_argument_type = 20;
/// `SymFloatArgument`
pub const GSIG_ARGUMENT_SYM_FLOAT: gsig_argument_type = 30;
/// `SymBoolArgument`
pub const GSIG_ARGUMENT_SYM_BOOL: gsig_argument_type = 40;
/// `ConstantArgument`
pub const GSIG_ARGUMENT_CONSTANT: gsig_argument_type = 50;
/// `CustomObjArgument`
pub const GSIG_ARGUMENT_CUSTOM_OBJ: gsig_argument_type = 60;
/// `TokenArgument`
pub const GSIG_ARGUMENT_TOKEN: gsig_argument_type = 70;

/// The Python type of a constant (numbers from the .proto).
pub type gsig_constant_type = u32;
/// `None`
pub const GSIG_CONSTANT_NONE: gsig_constant_type = 10;
/// `int` (in `integer`)
pub const GSIG_CONSTANT_INT: gsig_constant_type = 20;
/// `float` (in `floating`; infinities and NaN included)
pub const GSIG_CONSTANT_FLOAT: gsig_constant_type = 30;
/// `bool` (in `boolean`)
pub const GSIG_CONSTANT_BOOL: gsig_constant_type = 40;
/// `str` (in `string`)
pub const GSIG_CONSTANT_STRING: gsig_constant_type = 50;

/// A constant's value: `type` says which member holds it; the others are zero (`string`
/// is then the empty string).
/// cbindgen:field-names=[type, boolean, integer, floating, string]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_constant {
    /// A `GSIG_CONSTANT_*` value.
    pub type_: gsig_constant_type,
    /// For `GSIG_CONSTANT_BOOL`.
    pub boolean: bool,
    /// For `GSIG_CONSTANT_INT`.
    pub integer: i64,
    /// For `GSIG_CONSTANT_FLOAT`.
    pub floating: f64,
    /// For `GSIG_CONSTANT_STRING`.
    pub string: gsig_str,
}

impl gsig_constant {
    fn blank(type_: gsig_constant_type) -> Self {
        Self { type_, boolean: false, integer: 0, floating: 0.0, string: gsig_str::empty() }
    }

    pub(crate) fn of(c: &ConstantValue) -> Self {
        match c {
            ConstantValue::None => Self::blank(GSIG_CONSTANT_NONE),
            ConstantValue::Int(i) => Self { integer: *i, ..Self::blank(GSIG_CONSTANT_INT) },
            ConstantValue::Float(f) => Self { floating: *f, ..Self::blank(GSIG_CONSTANT_FLOAT) },
            ConstantValue::Bool(b) => Self { boolean: *b, ..Self::blank(GSIG_CONSTANT_BOOL) },
            ConstantValue::String(s) => Self { string: gsig_str::of(s), ..Self::blank(GSIG_CONSTANT_STRING) },
        }
    }
}

/// A graph input or output argument (torch's `ArgumentSpec`).
/// cbindgen:field-names=[type, name, class_fqn, constant]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_argument {
    /// A `GSIG_ARGUMENT_*` value.
    pub type_: gsig_argument_type,
    /// The graph node's name (empty for a constant output, which has no node).
    pub name: gsig_str,
    /// For `GSIG_ARGUMENT_CUSTOM_OBJ`: the class's qualified name; else empty.
    pub class_fqn: gsig_str,
    /// For `GSIG_ARGUMENT_CONSTANT`: the value; else a `GSIG_CONSTANT_NONE`.
    pub constant: gsig_constant,
}

impl gsig_argument {
    pub(crate) fn of(arg: &ArgumentSpec) -> Self {
        let mut out = Self {
            type_: argument_type(arg.arg_type()),
            name: gsig_str::of(arg.name()),
            class_fqn: gsig_str::empty(),
            constant: gsig_constant::blank(GSIG_CONSTANT_NONE),
        };
        match arg {
            ArgumentSpec::Constant { value, .. } => out.constant = gsig_constant::of(value),
            ArgumentSpec::CustomObj { class_fqn, .. } => out.class_fqn = gsig_str::of(class_fqn),
            _ => {}
        }
        out
    }
}

/// An input or output spec (torch's `InputSpec` / `OutputSpec`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_spec {
    /// A `GSIG_INPUT_KIND_*` value for an input, a `GSIG_OUTPUT_KIND_*` one for an output.
    pub kind: u32,
    /// The graph input or output.
    pub arg: gsig_argument,
    /// Whether the spec has a target.
    pub has_target: bool,
    /// The target (the parameter, buffer, constant, object or input it holds or mutates);
    /// empty when `has_target` is false.
    pub target: gsig_str,
    /// Whether the spec has a persistent flag (BUFFER inputs always do; outputs never).
    pub has_persistent: bool,
    /// The persistent flag; false when `has_persistent` is false.
    pub persistent: bool,
}

impl gsig_spec {
    pub(crate) fn input(spec: &InputSpec) -> Self {
        Self {
            kind: input_kind(spec.kind),
            arg: gsig_argument::of(&spec.arg),
            has_target: spec.target.is_some(),
            target: gsig_str::of(spec.target.as_deref().unwrap_or("")),
            has_persistent: spec.persistent.is_some(),
            persistent: spec.persistent.unwrap_or(false),
        }
    }

    pub(crate) fn output(spec: &OutputSpec) -> Self {
        Self {
            kind: output_kind(spec.kind),
            arg: gsig_argument::of(&spec.arg),
            has_target: spec.target.is_some(),
            target: gsig_str::of(spec.target.as_deref().unwrap_or("")),
            has_persistent: false,
            persistent: false,
        }
    }
}

/// Whether a user value is a name or a constant.
pub type gsig_user_value_type = u32;
/// The graph node name of a tensor, symbolic, custom-object or token argument.
pub const GSIG_USER_VALUE_NAME: gsig_user_value_type = 1;
/// A constant argument's value.
pub const GSIG_USER_VALUE_CONSTANT: gsig_user_value_type = 2;

/// An entry of torch's `user_inputs` or `user_outputs`: a name, or a constant's value.
/// cbindgen:field-names=[type, name, constant]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct gsig_user_value {
    /// `GSIG_USER_VALUE_NAME` or `GSIG_USER_VALUE_CONSTANT`.
    pub type_: gsig_user_value_type,
    /// The name (empty for a constant).
    pub name: gsig_str,
    /// The constant (a `GSIG_CONSTANT_NONE` for a name).
    pub constant: gsig_constant,
}

impl gsig_user_value {
    pub(crate) fn of(v: &UserValue) -> Self {
        match v {
            UserValue::Name(n) => Self {
                type_: GSIG_USER_VALUE_NAME,
                name: gsig_str::of(n),
                constant: gsig_constant::blank(GSIG_CONSTANT_NONE),
            },
            UserValue::Constant(c) => {
                Self { type_: GSIG_USER_VALUE_CONSTANT, name: gsig_str::empty(), constant: gsig_constant::of(c) }
            }
        }
    }
}

pub(crate) fn input_kind(kind: InputKind) -> gsig_input_kind {
    match kind {
        InputKind::UserInput => GSIG_INPUT_KIND_USER_INPUT,
        InputKind::Parameter => GSIG_INPUT_KIND_PARAMETER,
        InputKind::Buffer => GSIG_INPUT_KIND_BUFFER,
        InputKind::ConstantTensor => GSIG_INPUT_KIND_CONSTANT_TENSOR,
        InputKind::CustomObj => GSIG_INPUT_KIND_CUSTOM_OBJ,
        InputKind::Token => GSIG_INPUT_KIND_TOKEN,
    }
}

pub(crate) fn output_kind(kind: OutputKind) -> gsig_output_kind {
    match kind {
        OutputKind::UserOutput => GSIG_OUTPUT_KIND_USER_OUTPUT,
        OutputKind::LossOutput => GSIG_OUTPUT_KIND_LOSS_OUTPUT,
        OutputKind::BufferMutation => GSIG_OUTPUT_KIND_BUFFER_MUTATION,
        OutputKind::ParameterMutation => GSIG_OUTPUT_KIND_PARAMETER_MUTATION,
        OutputKind::GradientToParameter => GSIG_OUTPUT_KIND_GRADIENT_TO_PARAMETER,
        OutputKind::GradientToUserInput => GSIG_OUTPUT_KIND_GRADIENT_TO_USER_INPUT,
        OutputKind::UserInputMutation => GSIG_OUTPUT_KIND_USER_INPUT_MUTATION,
        OutputKind::Token => GSIG_OUTPUT_KIND_TOKEN,
    }
}

pub(crate) fn argument_type(t: ArgumentType) -> gsig_argument_type {
    match t {
        ArgumentType::Tensor => GSIG_ARGUMENT_TENSOR,
        ArgumentType::SymInt => GSIG_ARGUMENT_SYM_INT,
        ArgumentType::SymFloat => GSIG_ARGUMENT_SYM_FLOAT,
        ArgumentType::SymBool => GSIG_ARGUMENT_SYM_BOOL,
        ArgumentType::Constant => GSIG_ARGUMENT_CONSTANT,
        ArgumentType::CustomObj => GSIG_ARGUMENT_CUSTOM_OBJ,
        ArgumentType::Token => GSIG_ARGUMENT_TOKEN,
    }
}

/// The kind whose number is `n`, if any.
pub(crate) fn input_kind_from(n: u32) -> Option<InputKind> {
    InputKind::ALL.iter().copied().find(|k| input_kind(*k) == n)
}

pub(crate) fn output_kind_from(n: u32) -> Option<OutputKind> {
    OutputKind::ALL.iter().copied().find(|k| output_kind(*k) == n)
}

const ARGUMENT_TYPES: [ArgumentType; 7] = [
    ArgumentType::Tensor,
    ArgumentType::SymInt,
    ArgumentType::SymFloat,
    ArgumentType::SymBool,
    ArgumentType::Constant,
    ArgumentType::CustomObj,
    ArgumentType::Token,
];

pub(crate) fn argument_type_from(n: u32) -> Option<ArgumentType> {
    ARGUMENT_TYPES.iter().copied().find(|t| argument_type(*t) == n)
}
