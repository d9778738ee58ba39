//! Classification: from a flat, AOT-autograd-style signature (name lists and maps beside
//! the graph's inputs and outputs) to input and output specs, following torch's
//! `_convert_to_export_graph_signature`.
//!
//! - An input named in `input_tokens` is a TOKEN; a non-tensor input is a USER_INPUT; a
//!   tensor input is a USER_INPUT, PARAMETER or BUFFER by which of `user_inputs`,
//!   `inputs_to_parameters`, `inputs_to_buffers` names it first (a buffer is persistent
//!   unless its target is in `non_persistent_buffers`); any other tensor input fails.
//! - Outputs are split by index: the first `#mutations + #output_tokens` outputs are the
//!   buffer, parameter and user-input mutations (by map, in that order of precedence);
//!   later tensor outputs are USER_OUTPUT, GRADIENT_TO_PARAMETER, GRADIENT_TO_USER_INPUT or
//!   LOSS_OUTPUT, in that order of precedence; non-tensor outputs are USER_OUTPUT.
//!
//! ```
//! use graph_signature::classify::{classify, FlatSignature};
//! use graph_signature::ArgumentSpec;
//!
//! let mut flat = FlatSignature::default();
//! flat.graph_inputs = vec![ArgumentSpec::tensor("p_w"), ArgumentSpec::tensor("x")];
//! flat.graph_outputs = vec![ArgumentSpec::tensor("mm")];
//! flat.inputs_to_parameters.insert("p_w".into(), "w".into());
//! flat.user_inputs = vec!["x".into()];
//! flat.user_outputs = vec!["mm".into()];
//! let sig = classify(&flat)?;
//! assert_eq!(sig.to_string(), "\n# inputs\np_w: PARAMETER target='w'\nx: USER_INPUT\n\n# outputs\nmm: USER_OUTPUT\n");
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;

use crate::accessors::{ExportBackwardSignature, NameMap};
use crate::model::validate::SpecRef;
use crate::model::{ArgumentSpec, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};
use crate::Error;

/// A flat signature as AOT autograd's `GraphSignature` gives it, plus the graph's inputs
/// (placeholders, in order) and outputs (flattened output leaves, in order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlatSignature {
    /// The graph's placeholders, as arguments (a tensor named in `input_tokens` is taken as
    /// a token, as torch's `_make_argument_spec` does).
    pub graph_inputs: Vec<ArgumentSpec>,
    /// The graph's output leaves, as arguments.
    pub graph_outputs: Vec<ArgumentSpec>,
    /// Names of user-input placeholders.
    pub user_inputs: Vec<String>,
    /// Placeholder name → parameter target.
    pub inputs_to_parameters: NameMap,
    /// Placeholder name → buffer target.
    pub inputs_to_buffers: NameMap,
    /// Output name → mutated buffer target.
    pub buffers_to_mutate: NameMap,
    /// Output name → mutated parameter target.
    pub parameters_to_mutate: NameMap,
    /// Output name → mutated user input.
    pub user_inputs_to_mutate: NameMap,
    /// Names of user outputs.
    pub user_outputs: Vec<String>,
    /// Loss and gradients, for a joint graph.
    pub backward_signature: Option<ExportBackwardSignature>,
    /// Names of token placeholders.
    pub input_tokens: Vec<String>,
    /// Names of token outputs.
    pub output_tokens: Vec<String>,
    /// Targets of buffers that are not persistent.
    pub non_persistent_buffers: Vec<String>,
}

/// Why classification failed, in torch's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassifyFailure {
    /// A tensor input in none of the name lists: "Unknown tensor input kind".
    UnknownTensorInput,
    /// A tensor output in the mutation range but in no mutation map:
    /// "Unknown tensor mutation kind".
    UnknownTensorMutation,
    /// A tensor output after the mutation range in no list: "Unknown tensor output kind".
    UnknownTensorOutput,
}

impl fmt::Display for ClassifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownTensorInput => "Unknown tensor input kind",
            Self::UnknownTensorMutation => "Unknown tensor mutation kind",
            Self::UnknownTensorOutput => "Unknown tensor output kind",
        })
    }
}

fn as_token(arg: &ArgumentSpec, tokens: &HashSet<&str>) -> ArgumentSpec {
    let name = arg.name();
    if !name.is_empty() && tokens.contains(name) {
        ArgumentSpec::Token { name: name.to_owned() }
    } else {
        arg.clone()
    }
}

/// Classifies every graph input and output; see the module docs for the rules.
pub fn classify(flat: &FlatSignature) -> Result<ExportGraphSignature, Error> {
    let fail = |at, name: &str, failure| Error::Classify { at, name: name.to_owned(), failure };
    let user_inputs: HashSet<&str> = flat.user_inputs.iter().map(String::as_str).collect();
    let user_outputs: HashSet<&str> = flat.user_outputs.iter().map(String::as_str).collect();
    let non_persistent: HashSet<&str> = flat.non_persistent_buffers.iter().map(String::as_str).collect();
    let input_tokens: HashSet<&str> = flat.input_tokens.iter().map(String::as_str).collect();
    let output_tokens: HashSet<&str> = flat.output_tokens.iter().map(String::as_str).collect();

    let mut inputs = Vec::with_capacity(flat.graph_inputs.len());
    for (i, arg) in flat.graph_inputs.iter().enumerate() {
        let arg = as_token(arg, &input_tokens);
        let spec = match &arg {
            ArgumentSpec::Token { .. } => InputSpec { kind: InputKind::Token, arg, target: None, persistent: None },
            ArgumentSpec::Tensor { name } => {
                let name = name.clone();
                if user_inputs.contains(name.as_str()) {
                    InputSpec::user_input(arg)
                } else if let Some(target) = flat.inputs_to_parameters.get(&name) {
                    InputSpec::parameter(name, target.as_str())
                } else if let Some(target) = flat.inputs_to_buffers.get(&name) {
                    InputSpec::buffer(name, target.as_str(), !non_persistent.contains(target.as_str()))
                } else {
                    return Err(fail(SpecRef::Input(i), &name, ClassifyFailure::UnknownTensorInput));
                }
            }
            _ => InputSpec::user_input(arg),
        };
        inputs.push(spec);
    }

    let mutation_range = flat.buffers_to_mutate.len()
        + flat.parameters_to_mutate.len()
        + flat.user_inputs_to_mutate.len()
        + flat.output_tokens.len();
    let empty = NameMap::new();
    let (grad_params, grad_user_inputs, loss) = match &flat.backward_signature {
        Some(b) => (&b.gradients_to_parameters, &b.gradients_to_user_inputs, Some(b.loss_output.as_str())),
        None => (&empty, &empty, None),
    };
    let mut outputs = Vec::with_capacity(flat.graph_outputs.len());
    for (i, arg) in flat.graph_outputs.iter().enumerate() {
        let arg = as_token(arg, &output_tokens);
        let ArgumentSpec::Tensor { name } = &arg else {
            let kind =
                if matches!(arg, ArgumentSpec::Token { .. }) { OutputKind::Token } else { OutputKind::UserOutput };
            outputs.push(OutputSpec::new(kind, arg, None));
            continue;
        };
        let (kind, target) = if i < mutation_range {
            if let Some(t) = flat.buffers_to_mutate.get(name) {
                (OutputKind::BufferMutation, Some(t))
            } else if let Some(t) = flat.parameters_to_mutate.get(name) {
                (OutputKind::ParameterMutation, Some(t))
            } else if let Some(t) = flat.user_inputs_to_mutate.get(name) {
                (OutputKind::UserInputMutation, Some(t))
            } else {
                return Err(fail(SpecRef::Output(i), name, ClassifyFailure::UnknownTensorMutation));
            }
        } else if user_outputs.contains(name.as_str()) {
            (OutputKind::UserOutput, None)
        } else if let Some(t) = grad_params.get(name) {
            (OutputKind::GradientToParameter, Some(t))
        } else if let Some(t) = grad_user_inputs.get(name) {
            (OutputKind::GradientToUserInput, Some(t))
        } else if loss == Some(name.as_str()) {
            (OutputKind::LossOutput, None)
        } else {
            return Err(fail(SpecRef::Output(i), name, ClassifyFailure::UnknownTensorOutput));
        };
        let target = target.map(String::as_str);
        outputs.push(OutputSpec::new(kind, arg.clone(), target));
    }
    ExportGraphSignature::new(inputs, outputs)
}
