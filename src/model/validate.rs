//! Validation rules. The policy (which rules run at construction, which on demand) is in
//! `docs/model.md`.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::argument::{ArgumentSpec, ArgumentType};
use super::spec::{InputKind, InputSpec, OutputKind, OutputSpec};

/// Where a violation is: an input spec, an output spec, or the signature as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecRef {
    /// `input_specs[i]`
    Input(usize),
    /// `output_specs[i]`
    Output(usize),
}

impl fmt::Display for SpecRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(i) => write!(f, "inputs[{i}]"),
            Self::Output(i) => write!(f, "outputs[{i}]"),
        }
    }
}

/// An input or output kind, for messages that speak of either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecKind {
    /// An input kind.
    Input(InputKind),
    /// An output kind.
    Output(OutputKind),
}

impl fmt::Display for SpecKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(k) => k.fmt(f),
            Self::Output(k) => k.fmt(f),
        }
    }
}

/// Which validation tier a rule belongs to (see `docs/model.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Enforced on construction: torch raises when it is broken.
    Spec,
    /// Checked on demand by `lint()`: torch's verifier or graph relies on it.
    Graph,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The kind does not allow this argument type (torch's serializer asserts it).
    ArgumentNotAllowed {
        /// The spec's kind.
        kind: SpecKind,
        /// The argument type found.
        found: ArgumentType,
    },
    /// The kind needs a target (the lifted state's or mutated input's name).
    TargetRequired {
        /// The spec's kind.
        kind: SpecKind,
    },
    /// A BUFFER input needs `persistent` ("Failed to specify persistent flag on BUFFER.").
    PersistentRequired,
    /// More than one LOSS_OUTPUT ("multiple LOSS_OUTPUT specs found").
    MultipleLossOutputs {
        /// The output index of the first LOSS_OUTPUT.
        first: usize,
    },
    /// Two inputs share a graph-node name.
    DuplicateInputName {
        /// The shared name.
        name: String,
        /// The input index where the name first appears.
        first: usize,
    },
    /// An output is out of torch's order: tokens, then mutations, then the rest.
    OutputOutOfOrder {
        /// This output's kind.
        kind: OutputKind,
        /// An earlier output that should come after this one.
        after: usize,
        /// That earlier output's kind.
        after_kind: OutputKind,
    },
    /// A mutation output's target names no matching input. (Gradient targets are not
    /// checked: torch's verifier does not, and real joint graphs name user inputs by their
    /// pre-rename placeholder names.)
    UnknownTarget {
        /// The output's kind.
        kind: OutputKind,
        /// The target.
        target: String,
        /// What the target must name.
        expected: &'static str,
    },
}

impl Rule {
    /// Which tier the rule belongs to.
    pub fn tier(&self) -> Tier {
        match self {
            Self::ArgumentNotAllowed { .. }
            | Self::TargetRequired { .. }
            | Self::PersistentRequired
            | Self::MultipleLossOutputs { .. } => Tier::Spec,
            Self::DuplicateInputName { .. } | Self::OutputOutOfOrder { .. } | Self::UnknownTarget { .. } => Tier::Graph,
        }
    }

    /// A short, stable identifier of the rule, e.g. `"target-required"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ArgumentNotAllowed { .. } => "argument-not-allowed",
            Self::TargetRequired { .. } => "target-required",
            Self::PersistentRequired => "persistent-required",
            Self::MultipleLossOutputs { .. } => "multiple-loss-outputs",
            Self::DuplicateInputName { .. } => "duplicate-input-name",
            Self::OutputOutOfOrder { .. } => "output-out-of-order",
            Self::UnknownTarget { .. } => "unknown-target",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            Self::ArgumentNotAllowed { kind, .. } => {
                let allowed: Vec<_> = allowed_arguments(*kind).iter().map(|t| t.torch_name()).collect();
                format!("a {kind} spec takes {}", allowed.join(" or "))
            }
            Self::TargetRequired { kind } => {
                format!("set the target of this {kind} spec to the name of the state it refers to")
            }
            Self::PersistentRequired => {
                "set persistent to true (in the state_dict) or false (register_buffer(..., persistent=False))"
                    .to_owned()
            }
            Self::MultipleLossOutputs { .. } => "keep exactly one LOSS_OUTPUT".to_owned(),
            Self::DuplicateInputName { .. } => "give every graph input a unique node name".to_owned(),
            Self::OutputOutOfOrder { .. } => {
                "order outputs as torch does: TOKEN outputs, then buffer/parameter/user-input mutations, then the rest"
                    .to_owned()
            }
            Self::UnknownTarget { expected, .. } => format!("point the target at {expected}"),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ArgumentNotAllowed { kind, found } => {
                write!(f, "a {kind} spec cannot take a {found}")
            }
            Self::TargetRequired { kind } => write!(f, "a {kind} spec needs a target"),
            Self::PersistentRequired => f.write_str("a BUFFER spec needs a persistent flag"),
            Self::MultipleLossOutputs { first } => {
                write!(f, "a second LOSS_OUTPUT (the first is outputs[{first}])")
            }
            Self::DuplicateInputName { name, first } => {
                write!(f, "input name {name:?} is already used by inputs[{first}]")
            }
            Self::OutputOutOfOrder { kind, after, after_kind } => {
                write!(f, "{kind} output comes after outputs[{after}] ({after_kind})")
            }
            Self::UnknownTarget { kind, target, expected } => write!(f, "{kind} target {target:?} is not {expected}"),
        }
    }
}

/// One broken rule at one place.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Violation {
    /// Where.
    pub at: SpecRef,
    /// What.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.rule)
    }
}

/// The argument types a kind allows (torch's serializer assertions and accessors).
pub fn allowed_arguments(kind: SpecKind) -> &'static [ArgumentType] {
    use ArgumentType as A;
    const USER: &[ArgumentType] = &[A::Tensor, A::SymInt, A::SymFloat, A::SymBool, A::Constant, A::CustomObj];
    match kind {
        SpecKind::Input(InputKind::UserInput) | SpecKind::Output(OutputKind::UserOutput) => USER,
        SpecKind::Input(InputKind::CustomObj) => &[A::CustomObj],
        SpecKind::Input(InputKind::Token) | SpecKind::Output(OutputKind::Token) => &[A::Token],
        _ => &[A::Tensor],
    }
}

fn input_needs_target(kind: InputKind) -> bool {
    !matches!(kind, InputKind::UserInput | InputKind::Token)
}

fn output_needs_target(kind: OutputKind) -> bool {
    !matches!(kind, OutputKind::UserOutput | OutputKind::LossOutput | OutputKind::Token)
}

/// The spec-tier rules: the ones enforced on construction.
pub(crate) fn spec_violations(inputs: &[InputSpec], outputs: &[OutputSpec]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, spec) in inputs.iter().enumerate() {
        let at = SpecRef::Input(i);
        let kind = SpecKind::Input(spec.kind);
        let found = spec.arg.arg_type();
        if !allowed_arguments(kind).contains(&found) {
            out.push(Violation { at, rule: Rule::ArgumentNotAllowed { kind, found } });
        }
        if input_needs_target(spec.kind) && spec.target.is_none() {
            out.push(Violation { at, rule: Rule::TargetRequired { kind } });
        }
        if spec.kind == InputKind::Buffer && spec.persistent.is_none() {
            out.push(Violation { at, rule: Rule::PersistentRequired });
        }
    }
    let mut first_loss = None;
    for (i, spec) in outputs.iter().enumerate() {
        let at = SpecRef::Output(i);
        let kind = SpecKind::Output(spec.kind);
        let found = spec.arg.arg_type();
        if !allowed_arguments(kind).contains(&found) {
            out.push(Violation { at, rule: Rule::ArgumentNotAllowed { kind, found } });
        }
        if output_needs_target(spec.kind) && spec.target.is_none() {
            out.push(Violation { at, rule: Rule::TargetRequired { kind } });
        }
        if spec.kind == OutputKind::LossOutput {
            match first_loss {
                None => first_loss = Some(i),
                Some(first) => out.push(Violation { at, rule: Rule::MultipleLossOutputs { first } }),
            }
        }
    }
    out
}

/// Output order rank: tokens, then mutations, then the rest.
fn output_rank(kind: OutputKind) -> u8 {
    match kind {
        OutputKind::Token => 0,
        OutputKind::BufferMutation | OutputKind::ParameterMutation | OutputKind::UserInputMutation => 1,
        _ => 2,
    }
}

/// The graph-tier rules: checked on demand by `lint()`.
pub(crate) fn graph_violations(inputs: &[InputSpec], outputs: &[OutputSpec]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(inputs.len());
    let mut parameters = HashSet::new();
    let mut buffers = HashSet::new();
    let mut user_inputs = HashSet::new();
    for (i, spec) in inputs.iter().enumerate() {
        let name = spec.arg.name();
        // torch 2.2 and 2.3 wrote constant inputs without a name: not a graph node name.
        let unnamed = name.is_empty() && matches!(spec.arg, ArgumentSpec::Constant { .. });
        if unnamed {
            // Nothing to compare.
        } else if let Some(&first) = seen.get(name) {
            out.push(Violation {
                at: SpecRef::Input(i),
                rule: Rule::DuplicateInputName { name: name.to_owned(), first },
            });
        } else {
            seen.insert(name, i);
        }
        match (spec.kind, spec.target.as_deref()) {
            (InputKind::Parameter, Some(t)) => {
                parameters.insert(t);
            }
            (InputKind::Buffer, Some(t)) => {
                buffers.insert(t);
            }
            (InputKind::UserInput, _) => {
                user_inputs.insert(name);
            }
            _ => {}
        }
    }
    // The latest output seen of each rank, to report the one that should have come later.
    let mut latest_of_rank: [Option<usize>; 3] = [None; 3];
    for (i, spec) in outputs.iter().enumerate() {
        let rank = output_rank(spec.kind) as usize;
        if let Some(after) = latest_of_rank[rank + 1..].iter().flatten().max().copied() {
            out.push(Violation {
                at: SpecRef::Output(i),
                rule: Rule::OutputOutOfOrder { kind: spec.kind, after, after_kind: outputs[after].kind },
            });
        }
        latest_of_rank[rank] = Some(i);
        let Some(target) = spec.target.as_deref() else { continue };
        let (known, expected) = match spec.kind {
            OutputKind::BufferMutation => (buffers.contains(target), "the target of a BUFFER input"),
            OutputKind::ParameterMutation => (parameters.contains(target), "the target of a PARAMETER input"),
            OutputKind::UserInputMutation => (user_inputs.contains(target), "the name of a USER_INPUT"),
            _ => continue,
        };
        if !known {
            out.push(Violation {
                at: SpecRef::Output(i),
                rule: Rule::UnknownTarget { kind: spec.kind, target: target.to_owned(), expected },
            });
        }
    }
    out
}
