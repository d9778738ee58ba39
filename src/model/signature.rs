//! `ExportGraphSignature`: the validated list of input and output specs.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::argument::ArgumentSpec;
use super::spec::{InputSpec, OutputSpec};
use super::validate::{graph_violations, spec_violations, Violation};
use crate::accessors::Views;
use crate::error::ValidationError;

/// torch.export's `ExportGraphSignature`: what every graph input and output means.
///
/// A value of this type always satisfies the spec rules of `docs/model.md` (checked by
/// [`ExportGraphSignature::new`]), so every accessor answers without failing. The specs are
/// read-only; edits go through methods such as [`replace_all_uses`](Self::replace_all_uses).
///
/// ```
/// use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec, OutputSpec};
///
/// let sig = ExportGraphSignature::new(
///     vec![
///         InputSpec::parameter("p_weight", "weight"),
///         InputSpec::user_input(ArgumentSpec::tensor("x")),
///     ],
///     vec![OutputSpec::user_output(ArgumentSpec::tensor("linear"))],
/// )?;
/// assert_eq!(sig.inputs_to_parameters()["p_weight"], "weight");
/// assert_eq!(sig.parameters(), ["weight"]);
/// # Ok::<(), graph_signature::Error>(())
/// ```
#[derive(Serialize, Deserialize)]
#[serde(try_from = "SignatureParts", into = "SignatureParts")]
pub struct ExportGraphSignature {
    input_specs: Vec<InputSpec>,
    output_specs: Vec<OutputSpec>,
    /// Accessor views, built on first use and dropped by every edit.
    views: OnceLock<Box<Views>>,
}

/// The two spec lists, unvalidated: the serde shape of [`ExportGraphSignature`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignatureParts {
    /// Graph inputs, in graph order.
    pub input_specs: Vec<InputSpec>,
    /// Graph outputs, in graph order.
    pub output_specs: Vec<OutputSpec>,
}

impl TryFrom<SignatureParts> for ExportGraphSignature {
    type Error = crate::Error;

    fn try_from(parts: SignatureParts) -> Result<Self, crate::Error> {
        Self::new(parts.input_specs, parts.output_specs)
    }
}

impl From<ExportGraphSignature> for SignatureParts {
    fn from(sig: ExportGraphSignature) -> Self {
        let (input_specs, output_specs) = sig.into_parts();
        Self { input_specs, output_specs }
    }
}

impl ExportGraphSignature {
    /// Builds a signature, checking the spec rules; every violation is reported at once.
    ///
    /// ```
    /// use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputKind, InputSpec};
    /// let mut buffer = InputSpec::buffer("b_mean", "mean", true);
    /// buffer.persistent = None;
    /// let err = ExportGraphSignature::new(vec![buffer], vec![]).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid signature: inputs[0]: a BUFFER spec needs a persistent flag");
    /// ```
    pub fn new(input_specs: Vec<InputSpec>, output_specs: Vec<OutputSpec>) -> Result<Self, crate::Error> {
        let violations = spec_violations(&input_specs, &output_specs);
        if !violations.is_empty() {
            return Err(ValidationError::new(violations).into());
        }
        Ok(Self { input_specs, output_specs, views: OnceLock::new() })
    }

    /// A signature with no inputs and no outputs.
    pub fn empty() -> Self {
        Self { input_specs: Vec::new(), output_specs: Vec::new(), views: OnceLock::new() }
    }

    /// How many constant inputs have no name: torch 2.2 and 2.3 wrote them so. The
    /// unique-name rule of [`lint`](Self::lint) passes over them.
    pub fn unnamed_constant_inputs(&self) -> usize {
        self.input_specs
            .iter()
            .filter(|s| matches!(s.arg, ArgumentSpec::Constant { ref name, .. } if name.is_empty()))
            .count()
    }

    /// The input specs, in graph-placeholder order.
    pub fn input_specs(&self) -> &[InputSpec] {
        &self.input_specs
    }

    /// The output specs, in graph-output order.
    pub fn output_specs(&self) -> &[OutputSpec] {
        &self.output_specs
    }

    /// Takes the signature apart.
    pub fn into_parts(self) -> (Vec<InputSpec>, Vec<OutputSpec>) {
        (self.input_specs, self.output_specs)
    }

    /// The graph-tier rules (unique input names, output order, mutation and gradient targets
    /// that name an input): every violation, in spec order. Empty when the signature is
    /// clean. The spec-tier rules need no check here: they hold for every value of this type.
    pub fn lint(&self) -> Vec<Violation> {
        graph_violations(&self.input_specs, &self.output_specs)
    }

    /// Both tiers of rules; `Ok` when the signature is clean.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let violations = self.lint();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError::new(violations).into())
        }
    }

    /// Renames every use of graph node `old` to `new`, as torch's `replace_all_uses`: the
    /// argument names of every spec whose argument is not a constant. Targets are never
    /// touched (so a USER_INPUT_MUTATION keeps naming the old user input, as in torch).
    ///
    /// ```
    /// use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec, OutputSpec};
    /// let mut sig = ExportGraphSignature::new(
    ///     vec![InputSpec::user_input(ArgumentSpec::tensor("x"))],
    ///     vec![OutputSpec::user_output(ArgumentSpec::tensor("add"))],
    /// )?;
    /// sig.replace_all_uses("add", "add_1");
    /// assert_eq!(sig.user_outputs()[0].as_name(), Some("add_1"));
    /// # Ok::<(), graph_signature::Error>(())
    /// ```
    pub fn replace_all_uses(&mut self, old: &str, new: &str) {
        self.views.take();
        for spec in &mut self.output_specs {
            spec.arg.rename_use(old, new);
        }
        for spec in &mut self.input_specs {
            spec.arg.rename_use(old, new);
        }
    }

    /// The Rust counterpart of torch's `get_replace_hook`: what to do when a graph rewrite
    /// replaces node `old` by a node named `new` in its user `user`. It renames the uses of
    /// `old` when `user` is the graph's output node, and also when `replace_inputs` is set
    /// and `old` is a placeholder.
    ///
    /// ```
    /// use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec, Node, OutputSpec};
    /// let mut sig = ExportGraphSignature::new(
    ///     vec![InputSpec::user_input(ArgumentSpec::tensor("x"))],
    ///     vec![OutputSpec::user_output(ArgumentSpec::tensor("relu"))],
    /// )?;
    /// let output = Node { name: "output", op: "output" };
    /// sig.on_replace(Node { name: "relu", op: "call_function" }, "relu_1", output, false);
    /// assert_eq!(sig.output_specs()[0].arg.name(), "relu_1");
    /// # Ok::<(), graph_signature::Error>(())
    /// ```
    pub fn on_replace(&mut self, old: Node<'_>, new: &str, user: Node<'_>, replace_inputs: bool) {
        if user.op == "output" {
            self.replace_all_uses(old.name, new);
        }
        if replace_inputs && old.op == "placeholder" {
            self.replace_all_uses(old.name, new);
        }
    }

    /// [`on_replace`](Self::on_replace) as a closure to hand to a graph-rewriting tool.
    pub fn replace_hook(&mut self, replace_inputs: bool) -> impl FnMut(Node<'_>, &str, Node<'_>) + '_ {
        move |old, new, user| self.on_replace(old, new, user, replace_inputs)
    }

    pub(crate) fn views(&self) -> &Views {
        self.views.get_or_init(|| Box::new(Views::build(&self.input_specs, &self.output_specs)))
    }
}

/// An FX graph node as a replace hook sees it: its name and its op
/// (`"placeholder"`, `"call_function"`, `"output"`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    /// The node's name.
    pub name: &'a str,
    /// The node's op.
    pub op: &'a str,
}

impl Clone for ExportGraphSignature {
    fn clone(&self) -> Self {
        Self { input_specs: self.input_specs.clone(), output_specs: self.output_specs.clone(), views: OnceLock::new() }
    }
}

impl PartialEq for ExportGraphSignature {
    fn eq(&self, other: &Self) -> bool {
        self.input_specs == other.input_specs && self.output_specs == other.output_specs
    }
}

impl Eq for ExportGraphSignature {}

impl fmt::Debug for ExportGraphSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportGraphSignature")
            .field("input_specs", &self.input_specs)
            .field("output_specs", &self.output_specs)
            .finish()
    }
}

impl Default for ExportGraphSignature {
    fn default() -> Self {
        Self::empty()
    }
}
