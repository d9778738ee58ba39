//! The binding plan: where each graph input comes from and where each graph output goes,
//! in graph order, for a runtime to follow (see `docs/map.md`).

use std::collections::HashMap;

use serde::Serialize;

use super::meta::ValueMeta;
use super::payload::PayloadIndex;
use super::program::{CallSignature, Program};
use super::pytree::{argument_path, keystr, TreeSpec};
use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, OutputKind};

/// Where a graph input comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// A payload of the archive: the tensor of this name in the payload index (`None` when
    /// the index has no such tensor; the checks report it).
    Payload {
        /// The spec's target.
        target: String,
        /// Whether the payload index has it.
        found: bool,
    },
    /// The caller's argument at `path` (`args[0]`, `kwargs['mask']`); `None` when the
    /// program records no calling convention or it does not match the signature.
    Caller {
        /// The pytree path.
        path: Option<String>,
    },
    /// A constant the program was specialised to; the caller's argument at `path`, when
    /// known, must equal it.
    Constant {
        /// The value.
        #[serde(serialize_with = "crate::accessors::constant_as_scalar")]
        value: ConstantValue,
        /// The pytree path.
        path: Option<String>,
    },
    /// A custom or opaque object of the archive.
    CustomObject {
        /// The spec's target.
        target: String,
        /// Its class, when the graph records it.
        class_fqn: Option<String>,
        /// Whether the payload index has it.
        found: bool,
    },
    /// An effect token, made by the runtime.
    Token,
}

/// Where a graph output goes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "to", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Destination {
    /// Returned to the caller at `path` of the returned value (`[0]`, `['logits']`, the
    /// empty path for a single value); `None` when unknown.
    Caller {
        /// The pytree path.
        path: Option<String>,
    },
    /// The loss, also returned to the caller at `path`.
    Loss {
        /// The pytree path.
        path: Option<String>,
    },
    /// Written back into the buffer, parameter or user input `target`.
    WriteBack {
        /// What is written: `BUFFER`, `PARAMETER` or `USER_INPUT`.
        kind: &'static str,
        /// Its target.
        target: String,
    },
    /// The gradient of a parameter or user input.
    Gradient {
        /// Of what: `PARAMETER` or `USER_INPUT`.
        of: &'static str,
        /// Its target.
        target: String,
    },
    /// An effect token, consumed by the runtime.
    Token,
}

/// One graph input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputBinding {
    /// Its position among the graph's inputs.
    pub index: usize,
    /// The graph value's name.
    pub name: String,
    /// The spec's kind, as torch prints it (`PARAMETER`).
    pub kind: &'static str,
    /// Where it comes from.
    pub source: Source,
}

/// One graph output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputBinding {
    /// Its position among the graph's outputs.
    pub index: usize,
    /// The graph value's name (empty for a constant output).
    pub name: String,
    /// The spec's kind (`BUFFER_MUTATION`).
    pub kind: &'static str,
    /// Where it goes.
    pub destination: Destination,
}

/// The whole plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BindingPlan {
    /// The inputs, in graph order.
    pub inputs: Vec<InputBinding>,
    /// The outputs, in graph order.
    pub outputs: Vec<OutputBinding>,
    /// What the plan could not say, and why.
    pub notes: Vec<String>,
}

/// The metadata of each input and output spec's value: the program's record of its graph
/// value (taken out of `values`, cloned only for a value two specs name), or the constant
/// itself.
pub(crate) fn metas(
    sig: &ExportGraphSignature,
    values: &mut HashMap<String, ValueMeta>,
) -> (Vec<Option<ValueMeta>>, Vec<Option<ValueMeta>>) {
    let args = || sig.input_specs().iter().map(|s| &s.arg).chain(sig.output_specs().iter().map(|s| &s.arg));
    let mut uses: HashMap<&str, usize> = HashMap::with_capacity(sig.input_specs().len());
    for arg in args() {
        *uses.entry(arg.name()).or_default() += 1;
    }
    let mut meta_of = |arg: &ArgumentSpec| match arg {
        ArgumentSpec::Constant { value, .. } => Some(ValueMeta::Constant { value: value.clone() }),
        ArgumentSpec::Token { .. } => Some(ValueMeta::Token),
        other => {
            let left = uses.get_mut(other.name()).expect("counted");
            *left -= 1;
            if *left == 0 {
                values.remove(other.name())
            } else {
                values.get(other.name()).cloned()
            }
        }
    };
    let inputs = sig.input_specs().iter().map(|s| meta_of(&s.arg)).collect();
    let outputs = sig.output_specs().iter().map(|s| meta_of(&s.arg)).collect();
    (inputs, outputs)
}

/// Whether a torch 2.1 `call_spec` tree is `(args, kwargs)`: torch 2.1 flattened
/// `(args, kwargs)` when there were keyword arguments and `args` alone otherwise, so a root
/// tuple of a tuple and a dict is read as the pair (a `forward(t: tuple, d: dict)` called
/// without keywords would be misread; `docs/map.md`).
fn is_args_and_kwargs(tree: &TreeSpec) -> bool {
    match (tree.type_name.as_deref(), tree.children.as_slice()) {
        (Some("builtins.tuple"), [(_, args), (_, kwargs)]) => {
            args.type_name.as_deref() == Some("builtins.tuple") && kwargs.type_name.as_deref() == Some("builtins.dict")
        }
        _ => false,
    }
}

/// Writes a leaf's path (`args[0]`, `[1]['k']`).
type Render = fn(&[super::pytree::Key]) -> String;

/// A leaf of the positional arguments' treespec (torch 2.1): `args[0]`.
fn positional_path(path: &[super::pytree::Key]) -> String {
    format!("args{}", keystr(path))
}

/// The pytree paths of a treespec's leaves, or why there are none.
fn leaf_paths(
    spec: Option<&str>,
    what: &str,
    expected: usize,
    render: &dyn Fn(&TreeSpec) -> Render,
    fields: &dyn Fn(&str) -> Option<Vec<String>>,
    notes: &mut Vec<String>,
) -> Vec<Option<String>> {
    let unknown = vec![None; expected];
    let Some(spec) = spec else {
        notes.push(format!("the program records no {what}: caller paths are unknown"));
        return unknown;
    };
    match TreeSpec::parse(spec, fields) {
        Ok(tree) => {
            let paths = tree.leaf_paths();
            let render = render(&tree);
            if paths.len() == expected {
                paths.iter().map(|p| Some(render(p))).collect()
            } else {
                notes.push(format!(
                    "the {what} has {} leaves and the signature {expected}: caller paths are unknown",
                    paths.len()
                ));
                unknown
            }
        }
        Err(e) => {
            notes.push(format!("the {what} cannot be read ({e}): caller paths are unknown"));
            unknown
        }
    }
}

/// Builds the plan of a signature, with what the program and the payload index say.
pub fn plan(sig: &ExportGraphSignature, program: Option<&Program>, payloads: Option<&PayloadIndex>) -> BindingPlan {
    let mut notes = Vec::new();
    let call = program.and_then(|p| p.call.as_ref());
    let no_fields = |_: &str| None;
    if program.is_none() {
        notes.push("no program JSON (a bare signature): no metadata, no caller paths".to_owned());
    }
    let user_inputs = sig.input_specs().iter().filter(|s| s.kind == InputKind::UserInput).count();
    let returned =
        sig.output_specs().iter().filter(|s| matches!(s.kind, OutputKind::UserOutput | OutputKind::LossOutput)).count();
    let (in_paths, out_paths) = match (program, call) {
        (Some(_), Some(CallSignature { in_spec, out_spec, args_only, .. })) => (
            leaf_paths(
                in_spec.as_deref(),
                "in_spec",
                user_inputs,
                &|tree| if *args_only && !is_args_and_kwargs(tree) { positional_path } else { argument_path },
                &no_fields,
                &mut notes,
            ),
            leaf_paths(out_spec.as_deref(), "out_spec", returned, &|_| keystr, &no_fields, &mut notes),
        ),
        (Some(_), None) => {
            notes.push(
                "the program records no calling convention (module_call_graph): caller paths are unknown".to_owned(),
            );
            (vec![None; user_inputs], vec![None; returned])
        }
        (None, _) => (vec![None; user_inputs], vec![None; returned]),
    };
    let found = |target: &str| payloads.is_some_and(|p| p.tensor(target).is_some());
    let found_object = |target: &str| payloads.is_some_and(|p| p.object(target).is_some());
    let mut in_paths = in_paths.into_iter();
    let inputs = sig
        .input_specs()
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let target = spec.target.clone().unwrap_or_default();
            let source = match (spec.kind, &spec.arg) {
                (InputKind::UserInput, ArgumentSpec::Constant { value, .. }) => {
                    Source::Constant { value: value.clone(), path: in_paths.next().flatten() }
                }
                (InputKind::UserInput, _) => Source::Caller { path: in_paths.next().flatten() },
                (InputKind::Parameter | InputKind::Buffer | InputKind::ConstantTensor, _) => {
                    Source::Payload { found: found(&target), target }
                }
                (InputKind::CustomObj, arg) => Source::CustomObject {
                    found: found_object(&target),
                    target,
                    class_fqn: match arg {
                        ArgumentSpec::CustomObj { class_fqn, .. } => Some(class_fqn.clone()),
                        _ => None,
                    },
                },
                (InputKind::Token, _) => Source::Token,
            };
            InputBinding { index, name: spec.arg.name().to_owned(), kind: spec.kind.torch_name(), source }
        })
        .collect();
    let mut out_paths = out_paths.into_iter();
    let outputs = sig
        .output_specs()
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let target = spec.target.clone().unwrap_or_default();
            let destination = match spec.kind {
                OutputKind::UserOutput => Destination::Caller { path: out_paths.next().flatten() },
                OutputKind::LossOutput => Destination::Loss { path: out_paths.next().flatten() },
                OutputKind::BufferMutation => Destination::WriteBack { kind: "BUFFER", target },
                OutputKind::ParameterMutation => Destination::WriteBack { kind: "PARAMETER", target },
                OutputKind::UserInputMutation => Destination::WriteBack { kind: "USER_INPUT", target },
                OutputKind::GradientToParameter => Destination::Gradient { of: "PARAMETER", target },
                OutputKind::GradientToUserInput => Destination::Gradient { of: "USER_INPUT", target },
                OutputKind::Token => Destination::Token,
            };
            OutputBinding { index, name: spec.arg.name().to_owned(), kind: spec.kind.torch_name(), destination }
        })
        .collect();
    BindingPlan { inputs, outputs, notes }
}
