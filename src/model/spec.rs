//! Input and output specs: what each graph input and output means.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::argument::ArgumentSpec;

macro_rules! kind_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $torch:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every kind, in torch 2.15's declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// torch's enum member name, e.g. `"BUFFER_MUTATION"`.
            pub fn torch_name(self) -> &'static str {
                match self {
                    $($name::$variant => $torch,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.torch_name())
            }
        }

        impl FromStr for $name {
            type Err = UnknownKind;

            /// Parses torch's member name (`"PARAMETER"`).
            fn from_str(s: &str) -> Result<Self, UnknownKind> {
                match s {
                    $($torch => Ok($name::$variant),)*
                    _ => Err(UnknownKind { enum_name: stringify!($name), value: s.to_owned() }),
                }
            }
        }
    };
}

kind_enum! {
    /// torch.export's `InputKind`: what a graph input is.
    ///
    /// Python gives these `auto()` values; they are not part of any format and not exposed.
    InputKind {
        /// A (pytree-flattened) input of the original program.
        UserInput = "USER_INPUT",
        /// A lifted `nn.Parameter`.
        Parameter = "PARAMETER",
        /// A lifted buffer (persistent or not).
        Buffer = "BUFFER",
        /// A lifted constant tensor attribute.
        ConstantTensor = "CONSTANT_TENSOR",
        /// A lifted custom (script or opaque) object.
        CustomObj = "CUSTOM_OBJ",
        /// An effect token.
        Token = "TOKEN",
    }
}

kind_enum! {
    /// torch.export's `OutputKind`: what a graph output is.
    ///
    /// `PARAMETER_MUTATION` was added in torch 2.9 (between `BUFFER_MUTATION` and
    /// `GRADIENT_TO_PARAMETER`, which shifted Python's `auto()` values).
    OutputKind {
        /// A (pytree-flattened) output of the original program.
        UserOutput = "USER_OUTPUT",
        /// The loss of a joint forward-backward graph.
        LossOutput = "LOSS_OUTPUT",
        /// The new value of a mutated buffer.
        BufferMutation = "BUFFER_MUTATION",
        /// The new value of a mutated parameter (torch 2.9+).
        ParameterMutation = "PARAMETER_MUTATION",
        /// The gradient of a parameter.
        GradientToParameter = "GRADIENT_TO_PARAMETER",
        /// The gradient of a user input.
        GradientToUserInput = "GRADIENT_TO_USER_INPUT",
        /// The new value of a mutated user input.
        UserInputMutation = "USER_INPUT_MUTATION",
        /// An effect token.
        Token = "TOKEN",
    }
}

/// A string that names no member of a kind enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKind {
    /// `"InputKind"` or `"OutputKind"`.
    pub enum_name: &'static str,
    /// What was given.
    pub value: String,
}

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.enum_name, self.value)
    }
}

impl std::error::Error for UnknownKind {}

/// torch.export's `InputSpec`: one graph input, its kind, argument and target.
///
/// ```
/// use graph_signature::{ArgumentSpec, InputKind, InputSpec};
/// let spec = InputSpec::buffer("b_running_mean", "bn.running_mean", true);
/// assert_eq!(spec.kind, InputKind::Buffer);
/// assert_eq!(spec.to_string(), "b_running_mean: BUFFER target='bn.running_mean' persistent=True");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InputSpec {
    /// What the input is.
    pub kind: InputKind,
    /// The graph input.
    pub arg: ArgumentSpec,
    /// The fully qualified name of the lifted state (parameter, buffer, constant, object).
    pub target: Option<String>,
    /// For buffers: whether the buffer is in the `state_dict`.
    pub persistent: Option<bool>,
}

impl InputSpec {
    /// A user input with argument `arg` and no target.
    pub fn user_input(arg: ArgumentSpec) -> Self {
        Self { kind: InputKind::UserInput, arg, target: None, persistent: None }
    }

    /// A lifted parameter: tensor input `name` holding parameter `target`.
    pub fn parameter(name: impl Into<String>, target: impl Into<String>) -> Self {
        Self::lifted(InputKind::Parameter, name, target)
    }

    /// A lifted buffer: tensor input `name` holding buffer `target`.
    pub fn buffer(name: impl Into<String>, target: impl Into<String>, persistent: bool) -> Self {
        Self { persistent: Some(persistent), ..Self::lifted(InputKind::Buffer, name, target) }
    }

    /// A lifted constant tensor: tensor input `name` holding constant `target`.
    pub fn constant_tensor(name: impl Into<String>, target: impl Into<String>) -> Self {
        Self::lifted(InputKind::ConstantTensor, name, target)
    }

    fn lifted(kind: InputKind, name: impl Into<String>, target: impl Into<String>) -> Self {
        Self { kind, arg: ArgumentSpec::tensor(name), target: Some(target.into()), persistent: None }
    }
}

/// torch.export's `OutputSpec`: one graph output, its kind, argument and target.
///
/// ```
/// use graph_signature::{ArgumentSpec, OutputKind, OutputSpec};
/// let spec = OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("add_2"), Some("my_buffer2"));
/// assert_eq!(spec.to_string(), "add_2: BUFFER_MUTATION target='my_buffer2'");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutputSpec {
    /// What the output is.
    pub kind: OutputKind,
    /// The graph output.
    pub arg: ArgumentSpec,
    /// The mutated or differentiated parameter, buffer or user input, where the kind has one.
    pub target: Option<String>,
}

impl OutputSpec {
    /// An output spec.
    pub fn new(kind: OutputKind, arg: ArgumentSpec, target: Option<&str>) -> Self {
        Self { kind, arg, target: target.map(str::to_owned) }
    }

    /// A user output with argument `arg`.
    pub fn user_output(arg: ArgumentSpec) -> Self {
        Self::new(OutputKind::UserOutput, arg, None)
    }
}
