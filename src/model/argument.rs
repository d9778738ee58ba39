//! Arguments: what a graph input or output is (a tensor, a symbolic value, a constant, …).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The value of a [`ArgumentSpec::Constant`]: torch's `int | float | bool | str | None`.
///
/// Equality compares floats by bit pattern, so `NaN == NaN` and `0.0 != -0.0`: a value that
/// went through a codec must come back with the same bits.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ConstantValue {
    /// Python `None`.
    None,
    /// Python `int` (torch's schema stores it as a 64-bit integer).
    Int(i64),
    /// Python `float`, including infinities and NaN.
    Float(f64),
    /// Python `bool`.
    Bool(bool),
    /// Python `str`.
    String(String),
}

impl PartialEq for ConstantValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::None, Self::None) => true,
            (Self::Int(a), Self::Int(b)) => a == b,
            (Self::Float(a), Self::Float(b)) => a.to_bits() == b.to_bits(),
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::String(a), Self::String(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ConstantValue {}

impl std::hash::Hash for ConstantValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Self::None => {}
            Self::Int(v) => v.hash(state),
            Self::Float(v) => v.to_bits().hash(state),
            Self::Bool(v) => v.hash(state),
            Self::String(v) => v.hash(state),
        }
    }
}

/// One graph input or output, as torch.export's `ArgumentSpec` union.
///
/// Every variant has a `name`: the graph node's name (empty for a constant output, which
/// has no node).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArgumentSpec {
    /// `TensorArgument`.
    Tensor {
        /// Graph node name.
        name: String,
    },
    /// `SymIntArgument`: a symbolic integer such as a dynamic dimension.
    SymInt {
        /// Graph node name.
        name: String,
    },
    /// `SymFloatArgument`.
    SymFloat {
        /// Graph node name.
        name: String,
    },
    /// `SymBoolArgument`.
    SymBool {
        /// Graph node name.
        name: String,
    },
    /// `ConstantArgument`: a Python constant baked into the graph.
    Constant {
        /// Graph node name of a constant input; empty for constant outputs.
        name: String,
        /// The constant.
        value: ConstantValue,
    },
    /// `CustomObjArgument`: a TorchScript or opaque custom object.
    CustomObj {
        /// Graph node name.
        name: String,
        /// Qualified class name, e.g. `__torch__.torch.classes.my.Foo`.
        class_fqn: String,
    },
    /// `TokenArgument`: an effect token threading side effects through the graph.
    Token {
        /// Graph node name.
        name: String,
    },
}

/// Which variant an [`ArgumentSpec`] is, without its data; named as torch names the classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgumentType {
    /// `TensorArgument`
    Tensor,
    /// `SymIntArgument`
    SymInt,
    /// `SymFloatArgument`
    SymFloat,
    /// `SymBoolArgument`
    SymBool,
    /// `ConstantArgument`
    Constant,
    /// `CustomObjArgument`
    CustomObj,
    /// `TokenArgument`
    Token,
}

impl ArgumentType {
    /// torch's class name, e.g. `"TensorArgument"`.
    pub fn torch_name(self) -> &'static str {
        match self {
            Self::Tensor => "TensorArgument",
            Self::SymInt => "SymIntArgument",
            Self::SymFloat => "SymFloatArgument",
            Self::SymBool => "SymBoolArgument",
            Self::Constant => "ConstantArgument",
            Self::CustomObj => "CustomObjArgument",
            Self::Token => "TokenArgument",
        }
    }
}

impl fmt::Display for ArgumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.torch_name())
    }
}

impl ArgumentSpec {
    /// A tensor argument named `name`.
    pub fn tensor(name: impl Into<String>) -> Self {
        Self::Tensor { name: name.into() }
    }

    /// A constant argument.
    pub fn constant(name: impl Into<String>, value: ConstantValue) -> Self {
        Self::Constant { name: name.into(), value }
    }

    /// The graph node name (every variant has one).
    pub fn name(&self) -> &str {
        match self {
            Self::Tensor { name }
            | Self::SymInt { name }
            | Self::SymFloat { name }
            | Self::SymBool { name }
            | Self::Constant { name, .. }
            | Self::CustomObj { name, .. }
            | Self::Token { name } => name,
        }
    }

    /// Which variant this is.
    pub fn arg_type(&self) -> ArgumentType {
        match self {
            Self::Tensor { .. } => ArgumentType::Tensor,
            Self::SymInt { .. } => ArgumentType::SymInt,
            Self::SymFloat { .. } => ArgumentType::SymFloat,
            Self::SymBool { .. } => ArgumentType::SymBool,
            Self::Constant { .. } => ArgumentType::Constant,
            Self::CustomObj { .. } => ArgumentType::CustomObj,
            Self::Token { .. } => ArgumentType::Token,
        }
    }

    /// Renames the argument if it is `old` and may be renamed, as torch's
    /// `replace_all_uses` does: every variant but `Constant` (whose name is not a use).
    pub(crate) fn rename_use(&mut self, old: &str, new: &str) {
        match self {
            Self::Constant { .. } => {}
            Self::Tensor { name }
            | Self::SymInt { name }
            | Self::SymFloat { name }
            | Self::SymBool { name }
            | Self::CustomObj { name, .. }
            | Self::Token { name } => {
                if name == old {
                    new.clone_into(name);
                }
            }
        }
    }
}
