//! A semantic diff of two signatures: what was added, removed, re-kinded, re-targeted or
//! renamed, with specs matched the way a model's history makes sense of them.
//!
//! Matching:
//!
//! - lifted state (PARAMETER, BUFFER, CONSTANT_TENSOR, CUSTOM_OBJ inputs) by **target**,
//!   across kinds, so a parameter that became a buffer is one *re-kinded* spec;
//! - mutation and gradient outputs by **kind and target**;
//! - user inputs, user and loss outputs, and tokens by **position** among their own group
//!   (the program's call signature), so a renamed graph node is one *renamed* spec.
//!
//! ```
//! use graph_signature::diff::diff;
//! use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec};
//!
//! let old = ExportGraphSignature::new(vec![InputSpec::buffer("b_mean", "bn.mean", true)], vec![])?;
//! let new = ExportGraphSignature::new(vec![InputSpec::buffer("b_bn_mean", "bn.mean", false)], vec![])?;
//! let d = diff(&old, &new);
//! assert_eq!(d.to_string(), "~ inputs[0] bn.mean: renamed b_mean -> b_bn_mean, persistent True -> False\n");
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;

use serde::Serialize;

use crate::model::{ArgumentSpec, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};

/// Which list a change is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// `input_specs`
    Input,
    /// `output_specs`
    Output,
}

/// What changed in a matched pair of specs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum FieldChange {
    /// The kind changed (e.g. PARAMETER → BUFFER).
    Kind {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// The target changed.
    Target {
        /// Before.
        old: Option<String>,
        /// After.
        new: Option<String>,
    },
    /// The persistent flag changed.
    Persistent {
        /// Before.
        old: Option<bool>,
        /// After.
        new: Option<bool>,
    },
    /// The graph node was renamed.
    Renamed {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// The argument changed otherwise (its type, constant value or class).
    Argument {
        /// Before, as torch's class name with its data.
        old: String,
        /// After.
        new: String,
    },
}

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A spec only the new signature has.
    Added {
        /// Inputs or outputs.
        side: Side,
        /// Its index in the new signature.
        new_index: usize,
        /// The spec, in torch's text form.
        spec: String,
    },
    /// A spec only the old signature has.
    Removed {
        /// Inputs or outputs.
        side: Side,
        /// Its index in the old signature.
        old_index: usize,
        /// The spec, in torch's text form.
        spec: String,
    },
    /// A spec in both, changed.
    Changed {
        /// Inputs or outputs.
        side: Side,
        /// Index in the old signature.
        old_index: usize,
        /// Index in the new signature.
        new_index: usize,
        /// What identifies the pair: the target, or `user input #2`, ...
        matched_by: String,
        /// What changed.
        changes: Vec<FieldChange>,
    },
}

/// Every difference between two signatures, inputs first, in the new signature's order
/// (removals where the old spec stood).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SignatureDiff {
    /// The differences; empty when the signatures mean the same.
    pub changes: Vec<Change>,
}

impl SignatureDiff {
    /// Whether the signatures are the same (nothing but spec order may differ).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The key a spec is matched by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// Lifted state, by target.
    State(String),
    /// A mutation or gradient output, by kind and target.
    Targeted(OutputKind, String),
    /// The n-th member of a positional group.
    Position(Group, usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Group {
    UserInput,
    InputToken,
    UserOutput,
    OutputToken,
    /// A targeted spec without its target (cannot be built, kept for totality).
    Other,
}

impl Key {
    fn describe(&self) -> String {
        match self {
            Key::State(t) | Key::Targeted(_, t) => t.clone(),
            Key::Position(g, i) => {
                let group = match g {
                    Group::UserInput => "user input",
                    Group::InputToken => "input token",
                    Group::UserOutput => "user output",
                    Group::OutputToken => "output token",
                    Group::Other => "spec",
                };
                format!("{group} #{i}")
            }
        }
    }
}

/// Hands out the next position in each group.
#[derive(Default)]
struct Positions(HashMap<Group, usize>);

impl Positions {
    fn next(&mut self, group: Group) -> Key {
        let n = self.0.entry(group).or_default();
        *n += 1;
        Key::Position(group, *n - 1)
    }
}

fn input_keys(specs: &[InputSpec]) -> Vec<Key> {
    let mut positions = Positions::default();
    let mut position = |g| positions.next(g);
    specs
        .iter()
        .map(|s| match (s.kind, &s.target) {
            (InputKind::UserInput, _) => position(Group::UserInput),
            (InputKind::Token, _) => position(Group::InputToken),
            (_, Some(t)) => Key::State(t.clone()),
            (_, None) => position(Group::Other),
        })
        .collect()
}

/// `renamed` maps an old user input's name to its new name, so the targets of user-input
/// mutations and gradients (which name user inputs) follow a renamed input.
fn output_keys(specs: &[OutputSpec], renamed: &HashMap<&str, &str>) -> Vec<Key> {
    let mut positions = Positions::default();
    let mut position = |g| positions.next(g);
    specs
        .iter()
        .map(|s| match (s.kind, &s.target) {
            (OutputKind::UserOutput | OutputKind::LossOutput, _) => position(Group::UserOutput),
            (OutputKind::Token, _) => position(Group::OutputToken),
            (kind @ (OutputKind::UserInputMutation | OutputKind::GradientToUserInput), Some(t)) => {
                Key::Targeted(kind, renamed.get(t.as_str()).map_or_else(|| t.clone(), |n| (*n).to_owned()))
            }
            (kind, Some(t)) => Key::Targeted(kind, t.clone()),
            (_, None) => position(Group::Other),
        })
        .collect()
}

fn arg_text(arg: &ArgumentSpec) -> String {
    match arg {
        ArgumentSpec::Constant { value, .. } => format!("ConstantArgument({value:?})"),
        ArgumentSpec::CustomObj { class_fqn, .. } => format!("CustomObjArgument({class_fqn})"),
        other => other.arg_type().torch_name().to_owned(),
    }
}

/// Kind, target, name and argument changes, common to inputs and outputs.
fn common_changes(
    (old_kind, old_target, old_arg): (String, &Option<String>, &ArgumentSpec),
    (new_kind, new_target, new_arg): (String, &Option<String>, &ArgumentSpec),
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    if old_kind != new_kind {
        out.push(FieldChange::Kind { old: old_kind, new: new_kind });
    }
    if old_target != new_target {
        out.push(FieldChange::Target { old: old_target.clone(), new: new_target.clone() });
    }
    if old_arg.name() != new_arg.name() {
        out.push(FieldChange::Renamed { old: old_arg.name().to_owned(), new: new_arg.name().to_owned() });
    }
    let (a, b) = (arg_text(old_arg), arg_text(new_arg));
    if a != b {
        out.push(FieldChange::Argument { old: a, new: b });
    }
    out
}

fn input_changes(old: &InputSpec, new: &InputSpec) -> Vec<FieldChange> {
    let mut out =
        common_changes((old.kind.to_string(), &old.target, &old.arg), (new.kind.to_string(), &new.target, &new.arg));
    if old.persistent != new.persistent {
        out.push(FieldChange::Persistent { old: old.persistent, new: new.persistent });
    }
    out
}

fn output_changes(old: &OutputSpec, new: &OutputSpec) -> Vec<FieldChange> {
    common_changes((old.kind.to_string(), &old.target, &old.arg), (new.kind.to_string(), &new.target, &new.arg))
}

/// Pairs specs by key; emits changes in the new list's order, each unmatched old spec (a
/// removal) just before the first pair that comes after it in the old list.
fn compare<T: fmt::Display>(
    side: Side,
    old: &[T],
    new: &[T],
    (old_keys, new_keys): (&[Key], &[Key]),
    changes_of: impl Fn(&T, &T) -> Vec<FieldChange>,
    out: &mut Vec<Change>,
) {
    // A key can repeat (two specs with one target): the n-th of the new side pairs with the
    // n-th of the old side.
    let mut old_by_key: HashMap<&Key, VecDeque<usize>> = HashMap::with_capacity(old.len());
    for (i, k) in old_keys.iter().enumerate() {
        old_by_key.entry(k).or_default().push_back(i);
    }
    let pairs: Vec<Option<usize>> =
        new_keys.iter().map(|k| old_by_key.get_mut(k).and_then(VecDeque::pop_front)).collect();
    let mut matched = vec![false; old.len()];
    for i in pairs.iter().flatten() {
        matched[*i] = true;
    }
    let mut next_old = 0;
    let mut removals_before = |upto: usize, out: &mut Vec<Change>| {
        for i in next_old..upto {
            if !matched[i] {
                out.push(Change::Removed { side, old_index: i, spec: old[i].to_string() });
            }
        }
        next_old = next_old.max(upto);
    };
    for (j, pair) in pairs.into_iter().enumerate() {
        match pair {
            Some(i) => {
                removals_before(i, out);
                let changes = changes_of(&old[i], &new[j]);
                if !changes.is_empty() {
                    let matched_by = new_keys[j].describe();
                    out.push(Change::Changed { side, old_index: i, new_index: j, matched_by, changes });
                }
            }
            None => out.push(Change::Added { side, new_index: j, spec: new[j].to_string() }),
        }
    }
    removals_before(old.len(), out);
}

/// The semantic differences from `old` to `new`.
pub fn diff(old: &ExportGraphSignature, new: &ExportGraphSignature) -> SignatureDiff {
    let mut changes = Vec::new();
    let (oi, ni) = (old.input_specs(), new.input_specs());
    let (old_in_keys, new_in_keys) = (input_keys(oi), input_keys(ni));
    // User inputs are matched by position; a pair with different names is a renamed input.
    let new_user: HashMap<&Key, &str> = new_in_keys
        .iter()
        .zip(ni)
        .filter(|(_, s)| s.kind == InputKind::UserInput)
        .map(|(k, s)| (k, s.arg.name()))
        .collect();
    let renamed: HashMap<&str, &str> = old_in_keys
        .iter()
        .zip(oi)
        .filter(|(_, s)| s.kind == InputKind::UserInput)
        .filter_map(|(k, s)| new_user.get(k).map(|n| (s.arg.name(), *n)))
        .collect();
    let (oo, no) = (old.output_specs(), new.output_specs());
    let (old_out_keys, new_out_keys) = (output_keys(oo, &renamed), output_keys(no, &HashMap::new()));
    compare(Side::Input, oi, ni, (&old_in_keys, &new_in_keys), input_changes, &mut changes);
    compare(Side::Output, oo, no, (&old_out_keys, &new_out_keys), output_changes, &mut changes);
    SignatureDiff { changes }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Input => "inputs",
        Side::Output => "outputs",
    }
}

fn py_opt<T: fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "None".to_owned(),
    }
}

fn py_bool(v: &Option<bool>) -> String {
    match v {
        Some(true) => "True".to_owned(),
        Some(false) => "False".to_owned(),
        None => "None".to_owned(),
    }
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kind { old, new } => write!(f, "kind {old} -> {new}"),
            Self::Target { old, new } => write!(f, "target {} -> {}", py_opt(old), py_opt(new)),
            Self::Persistent { old, new } => write!(f, "persistent {} -> {}", py_bool(old), py_bool(new)),
            Self::Renamed { old, new } => write!(f, "renamed {old} -> {new}"),
            Self::Argument { old, new } => write!(f, "argument {old} -> {new}"),
        }
    }
}

/// One line per change: `+` added, `-` removed, `~` changed.
impl fmt::Display for SignatureDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.changes {
            match c {
                Change::Added { side, new_index, spec } => writeln!(f, "+ {}[{new_index}] {spec}", side_name(*side))?,
                Change::Removed { side, old_index, spec } => writeln!(f, "- {}[{old_index}] {spec}", side_name(*side))?,
                Change::Changed { side, old_index, new_index, matched_by, changes } => {
                    let at = if old_index == new_index {
                        format!("{}[{new_index}]", side_name(*side))
                    } else {
                        format!("{0}[{old_index}] -> {0}[{new_index}]", side_name(*side))
                    };
                    let what: Vec<String> = changes.iter().map(ToString::to_string).collect();
                    writeln!(f, "~ {at} {matched_by}: {}", what.join(", "))?;
                }
            }
        }
        Ok(())
    }
}
