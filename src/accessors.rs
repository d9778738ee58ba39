//! The dict-style views of torch's `ExportGraphSignature` properties.
//!
//! Python rebuilds each collection on every property access. Here every view is built
//! once, in one pass over the specs, on the first accessor call; later calls borrow it and
//! map lookups are O(1). Maps keep insertion order and, like a Python dict built from
//! pairs, a repeated key keeps its first position and takes the last value.

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};

/// A read-only map from graph-node name to target, in insertion order.
pub type NameMap = IndexMap<String, String>;

/// An entry of [`ExportGraphSignature::user_inputs`] or
/// [`user_outputs`](ExportGraphSignature::user_outputs): a graph-node name, or the value of
/// a constant, as torch returns it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserValue {
    /// The graph-node name of a tensor, symbolic or custom-object argument.
    Name(String),
    /// The value of a constant argument.
    Constant(ConstantValue),
}

impl UserValue {
    /// The name, if this is not a constant.
    pub fn as_name(&self) -> Option<&str> {
        match self {
            Self::Name(n) => Some(n),
            Self::Constant(_) => None,
        }
    }

    /// The constant, if this is one.
    pub fn as_constant(&self) -> Option<&ConstantValue> {
        match self {
            Self::Name(_) => None,
            Self::Constant(c) => Some(c),
        }
    }

    fn of(arg: &ArgumentSpec) -> Self {
        match arg {
            ArgumentSpec::Constant { value, .. } => Self::Constant(value.clone()),
            other => Self::Name(other.name().to_owned()),
        }
    }
}

/// torch.export's `ExportBackwardSignature`: the loss and gradient outputs of a joint graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportBackwardSignature {
    /// Gradient output name → parameter target.
    pub gradients_to_parameters: NameMap,
    /// Gradient output name → user input name.
    pub gradients_to_user_inputs: NameMap,
    /// The loss output's name.
    pub loss_output: String,
}

/// Every view, built in one pass.
#[derive(Debug, Default)]
pub(crate) struct Views {
    parameters: Vec<String>,
    buffers: Vec<String>,
    non_persistent_buffers: Vec<String>,
    lifted_tensor_constants: Vec<String>,
    lifted_custom_objs: Vec<String>,
    user_inputs: Vec<UserValue>,
    user_outputs: Vec<UserValue>,
    inputs_to_parameters: NameMap,
    inputs_to_buffers: NameMap,
    buffers_to_mutate: NameMap,
    parameters_to_mutate: NameMap,
    user_inputs_to_mutate: NameMap,
    inputs_to_lifted_tensor_constants: NameMap,
    inputs_to_lifted_custom_objs: NameMap,
    input_tokens: Vec<String>,
    output_tokens: Vec<String>,
    backward_signature: Option<ExportBackwardSignature>,
}

impl Views {
    /// Builds every view. The spec rules hold (the signature was constructed), so each
    /// branch below sees the argument type and target its kind requires; where torch filters
    /// on them anyway, so do we, to keep the semantics identical.
    pub(crate) fn build(inputs: &[InputSpec], outputs: &[OutputSpec]) -> Self {
        let mut v = Views::default();
        for spec in inputs {
            let target = spec.target.as_deref();
            let name = spec.arg.name();
            let is_tensor = matches!(spec.arg, ArgumentSpec::Tensor { .. });
            match spec.kind {
                InputKind::UserInput => v.user_inputs.push(UserValue::of(&spec.arg)),
                InputKind::Parameter => {
                    if let Some(t) = target {
                        v.parameters.push(t.to_owned());
                        if is_tensor {
                            v.inputs_to_parameters.insert(name.to_owned(), t.to_owned());
                        }
                    }
                }
                InputKind::Buffer => {
                    if let Some(t) = target {
                        v.buffers.push(t.to_owned());
                        if spec.persistent == Some(false) {
                            v.non_persistent_buffers.push(t.to_owned());
                        }
                        if is_tensor {
                            v.inputs_to_buffers.insert(name.to_owned(), t.to_owned());
                        }
                    }
                }
                InputKind::ConstantTensor => {
                    if let Some(t) = target {
                        v.lifted_tensor_constants.push(t.to_owned());
                        if is_tensor {
                            v.inputs_to_lifted_tensor_constants.insert(name.to_owned(), t.to_owned());
                        }
                    }
                }
                InputKind::CustomObj => {
                    if let Some(t) = target {
                        v.lifted_custom_objs.push(t.to_owned());
                        if matches!(spec.arg, ArgumentSpec::CustomObj { .. }) {
                            v.inputs_to_lifted_custom_objs.insert(name.to_owned(), t.to_owned());
                        }
                    }
                }
                InputKind::Token => v.input_tokens.push(name.to_owned()),
            }
        }
        let mut backward = ExportBackwardSignature::default();
        let mut loss = None;
        for spec in outputs {
            let name = spec.arg.name();
            let pair = || (name.to_owned(), spec.target.clone().unwrap_or_default());
            let tensor_with_target = matches!(spec.arg, ArgumentSpec::Tensor { .. }) && spec.target.is_some();
            match spec.kind {
                OutputKind::UserOutput => v.user_outputs.push(UserValue::of(&spec.arg)),
                OutputKind::LossOutput => {
                    v.user_outputs.push(UserValue::of(&spec.arg));
                    loss.get_or_insert_with(|| name.to_owned());
                }
                OutputKind::Token => v.output_tokens.push(name.to_owned()),
                kind if tensor_with_target => {
                    let (k, t) = pair();
                    let map = match kind {
                        OutputKind::BufferMutation => &mut v.buffers_to_mutate,
                        OutputKind::ParameterMutation => &mut v.parameters_to_mutate,
                        OutputKind::UserInputMutation => &mut v.user_inputs_to_mutate,
                        OutputKind::GradientToParameter => &mut backward.gradients_to_parameters,
                        OutputKind::GradientToUserInput => &mut backward.gradients_to_user_inputs,
                        _ => unreachable!("handled above"),
                    };
                    map.insert(k, t);
                }
                _ => {}
            }
        }
        if let Some(loss_output) = loss {
            backward.loss_output = loss_output;
            v.backward_signature = Some(backward);
        }
        v
    }
}

/// The accessors of torch's `ExportGraphSignature`, with the same names and semantics.
impl ExportGraphSignature {
    /// Targets of PARAMETER inputs, in order (`parameters`).
    pub fn parameters(&self) -> &[String] {
        &self.views().parameters
    }

    /// Targets of BUFFER inputs, persistent or not, in order (`buffers`).
    pub fn buffers(&self) -> &[String] {
        &self.views().buffers
    }

    /// Targets of non-persistent BUFFER inputs (`non_persistent_buffers`).
    pub fn non_persistent_buffers(&self) -> &[String] {
        &self.views().non_persistent_buffers
    }

    /// Targets of CONSTANT_TENSOR inputs (`lifted_tensor_constants`).
    pub fn lifted_tensor_constants(&self) -> &[String] {
        &self.views().lifted_tensor_constants
    }

    /// Targets of CUSTOM_OBJ inputs (`lifted_custom_objs`).
    pub fn lifted_custom_objs(&self) -> &[String] {
        &self.views().lifted_custom_objs
    }

    /// USER_INPUT names, or values for constants (`user_inputs`).
    pub fn user_inputs(&self) -> &[UserValue] {
        &self.views().user_inputs
    }

    /// USER_OUTPUT **and LOSS_OUTPUT** names, or values for constants (`user_outputs`).
    pub fn user_outputs(&self) -> &[UserValue] {
        &self.views().user_outputs
    }

    /// Graph input name → parameter (`inputs_to_parameters`).
    pub fn inputs_to_parameters(&self) -> &NameMap {
        &self.views().inputs_to_parameters
    }

    /// Graph input name → buffer (`inputs_to_buffers`).
    pub fn inputs_to_buffers(&self) -> &NameMap {
        &self.views().inputs_to_buffers
    }

    /// Graph output name → mutated buffer (`buffers_to_mutate`).
    pub fn buffers_to_mutate(&self) -> &NameMap {
        &self.views().buffers_to_mutate
    }

    /// Graph output name → mutated parameter (`parameters_to_mutate`).
    pub fn parameters_to_mutate(&self) -> &NameMap {
        &self.views().parameters_to_mutate
    }

    /// Graph output name → mutated user input (`user_inputs_to_mutate`).
    pub fn user_inputs_to_mutate(&self) -> &NameMap {
        &self.views().user_inputs_to_mutate
    }

    /// Graph input name → lifted tensor constant (`inputs_to_lifted_tensor_constants`).
    pub fn inputs_to_lifted_tensor_constants(&self) -> &NameMap {
        &self.views().inputs_to_lifted_tensor_constants
    }

    /// Graph input name → lifted custom object (`inputs_to_lifted_custom_objs`).
    pub fn inputs_to_lifted_custom_objs(&self) -> &NameMap {
        &self.views().inputs_to_lifted_custom_objs
    }

    /// Names of TOKEN inputs (`input_tokens`).
    pub fn input_tokens(&self) -> &[String] {
        &self.views().input_tokens
    }

    /// Names of TOKEN outputs (`output_tokens`).
    pub fn output_tokens(&self) -> &[String] {
        &self.views().output_tokens
    }

    /// torch's `assertion_dep_token`, which torch 2.15 always answers with `None`.
    pub fn assertion_dep_token(&self) -> Option<&IndexMap<usize, String>> {
        None
    }

    /// The loss and gradients of a joint graph, or `None` without a LOSS_OUTPUT
    /// (`backward_signature`).
    pub fn backward_signature(&self) -> Option<&ExportBackwardSignature> {
        self.views().backward_signature.as_ref()
    }

    /// Every accessor at once, serializable as the JSON object `graphsig inspect --json`
    /// prints (keys in torch's property order; constants as their values, non-finite floats
    /// as `"Infinity"`, `"-Infinity"`, `"NaN"`).
    pub fn accessors(&self) -> AccessorsReport<'_> {
        AccessorsReport(self)
    }
}

/// See [`ExportGraphSignature::accessors`].
#[derive(Clone, Copy, Debug)]
pub struct AccessorsReport<'a>(&'a ExportGraphSignature);

struct Values<'a>(&'a [UserValue]);
struct Backward<'a>(&'a ExportBackwardSignature);

impl Serialize for AccessorsReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sig = self.0;
        let mut st = s.serialize_struct("Accessors", 18)?;
        st.serialize_field("parameters", sig.parameters())?;
        st.serialize_field("buffers", sig.buffers())?;
        st.serialize_field("non_persistent_buffers", sig.non_persistent_buffers())?;
        st.serialize_field("lifted_tensor_constants", sig.lifted_tensor_constants())?;
        st.serialize_field("lifted_custom_objs", sig.lifted_custom_objs())?;
        st.serialize_field("user_inputs", &Values(sig.user_inputs()))?;
        st.serialize_field("user_outputs", &Values(sig.user_outputs()))?;
        st.serialize_field("inputs_to_parameters", sig.inputs_to_parameters())?;
        st.serialize_field("inputs_to_buffers", sig.inputs_to_buffers())?;
        st.serialize_field("buffers_to_mutate", sig.buffers_to_mutate())?;
        st.serialize_field("parameters_to_mutate", sig.parameters_to_mutate())?;
        st.serialize_field("user_inputs_to_mutate", sig.user_inputs_to_mutate())?;
        st.serialize_field("inputs_to_lifted_tensor_constants", sig.inputs_to_lifted_tensor_constants())?;
        st.serialize_field("inputs_to_lifted_custom_objs", sig.inputs_to_lifted_custom_objs())?;
        st.serialize_field("input_tokens", sig.input_tokens())?;
        st.serialize_field("output_tokens", sig.output_tokens())?;
        st.serialize_field("assertion_dep_token", &sig.assertion_dep_token())?;
        st.serialize_field("backward_signature", &sig.backward_signature().map(Backward))?;
        st.end()
    }
}

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| match v {
            UserValue::Name(n) => JsonScalar::Str(n),
            UserValue::Constant(c) => JsonScalar::of(c),
        }))
    }
}

impl Serialize for Backward<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("gradients_to_parameters", &self.0.gradients_to_parameters)?;
        m.serialize_entry("gradients_to_user_inputs", &self.0.gradients_to_user_inputs)?;
        m.serialize_entry("loss_output", &self.0.loss_output)?;
        m.end()
    }
}

/// Serializes a constant as `inspect --json` shows it: a plain JSON scalar, non-finite
/// floats as torch's strings (for `#[serde(serialize_with)]`).
pub(crate) fn constant_as_scalar<S: Serializer>(value: &ConstantValue, s: S) -> Result<S::Ok, S::Error> {
    JsonScalar::of(value).serialize(s)
}

/// A constant as a plain JSON scalar (non-finite floats as torch's strings).
enum JsonScalar<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(&'a str),
}

impl<'a> JsonScalar<'a> {
    fn of(c: &'a ConstantValue) -> Self {
        match c {
            ConstantValue::None => Self::Null,
            ConstantValue::Int(i) => Self::Int(*i),
            ConstantValue::Float(f) if f.is_nan() => Self::Str("NaN"),
            ConstantValue::Float(f) if f.is_infinite() => Self::Str(if *f > 0.0 { "Infinity" } else { "-Infinity" }),
            ConstantValue::Float(f) => Self::Float(*f),
            ConstantValue::Bool(b) => Self::Bool(*b),
            ConstantValue::String(s) => Self::Str(s),
        }
    }
}

impl Serialize for JsonScalar<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_none(),
            Self::Int(i) => s.serialize_i64(*i),
            Self::Float(f) => s.serialize_f64(*f),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Str(v) => s.serialize_str(v),
        }
    }
}
