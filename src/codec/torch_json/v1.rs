//! Schema 1: the exported-program JSON of torch 2.1, whose signature is dict-style.
//!
//! torch 2.1's `GraphSignature` has no input or output specs: it holds
//! `inputs_to_parameters`, `inputs_to_buffers`, `user_inputs`, `user_outputs`,
//! `buffers_to_mutate` and `backward_signature` (`parameters` and `buffers` are not written:
//! torch 2.1's reader derives them from the two maps' values, and `assertion_dep_token` is
//! not written at all). The graph order of the inputs and outputs is only in the program's
//! graph (`graph_module.graph.inputs` / `outputs`), so a schema-1 signature is read from a
//! whole program: each graph input and output is classified from the dicts, as torch 2.2's
//! `_sig_to_specs` classified the same program ([`crate::classify`]).
//!
//! What torch 2.1 did not record, and how it is read (see the quirk table of
//! [`super`]): a BUFFER's `persistent` is `true` (2.1's state dict holds every lifted
//! buffer, non-persistent ones included, and torch 2.2 to 2.4 set `persistent=True` on every
//! buffer they classified); a lifted constant tensor is the BUFFER torch 2.1 made of it
//! (its target is the graph attribute, e.g. `L__self___c`), never a CONSTANT_TENSOR.

use serde_json::{Map, Value};

use super::{argument, as_object, expected, field, string, Path, FORMAT};
use crate::accessors::{ExportBackwardSignature, NameMap};
use crate::classify::{classify, FlatSignature};
use crate::model::validate::SpecRef;
use crate::{ArgumentSpec, Error, ExportGraphSignature};

/// The signature of a schema-1 program: `gm` is its `graph_module`, at `gm_path`.
pub(super) fn signature(gm: &Map<String, Value>, gm_path: Path<'_>) -> Result<ExportGraphSignature, Error> {
    let sig_path = Path::Field(&gm_path, "signature");
    let sig = as_object(field(gm, "signature", gm_path)?, sig_path)?;
    let graph_path = Path::Field(&gm_path, "graph");
    let graph = as_object(field(gm, "graph", gm_path)?, graph_path)?;
    let in_path = Path::Field(&graph_path, "inputs");
    let out_path = Path::Field(&graph_path, "outputs");
    let graph_inputs = arguments(graph, "inputs", in_path)?;
    let graph_outputs = arguments(graph, "outputs", out_path)?;

    let flat = FlatSignature {
        user_inputs: names(sig, "user_inputs", sig_path)?,
        inputs_to_parameters: name_map(sig, "inputs_to_parameters", sig_path)?,
        inputs_to_buffers: name_map(sig, "inputs_to_buffers", sig_path)?,
        buffers_to_mutate: name_map(sig, "buffers_to_mutate", sig_path)?,
        user_outputs: names(sig, "user_outputs", sig_path)?,
        backward_signature: backward(sig, sig_path)?,
        graph_inputs,
        graph_outputs,
        ..FlatSignature::default()
    };
    check_names(&flat, sig_path)?;
    classify(&flat).map_err(|e| match e {
        Error::Classify { at, name, failure } => {
            let (list, i) = match at {
                SpecRef::Input(i) => (in_path, i),
                SpecRef::Output(i) => (out_path, i),
            };
            let named_by = match at {
                SpecRef::Input(_) => "user_inputs, inputs_to_parameters nor inputs_to_buffers",
                SpecRef::Output(_) if i < flat.buffers_to_mutate.len() => "buffers_to_mutate",
                SpecRef::Output(_) => "user_outputs nor backward_signature",
            };
            Error::decode(
                FORMAT,
                Path::Index(&list, i),
                format!("{failure}: {name:?} is named by neither {named_by} of {sig_path}"),
            )
        }
        other => other,
    })
}

/// A list of `Argument` unions (torch 2.1 writes every member, all but one `null`).
fn arguments(graph: &Map<String, Value>, name: &str, path: Path<'_>) -> Result<Vec<ArgumentSpec>, Error> {
    let v = field(graph, name, path)?;
    let list = v.as_array().ok_or_else(|| expected("an array", v, path))?;
    list.iter().enumerate().map(|(i, a)| argument(a, Path::Index(&path, i))).collect()
}

/// A list of graph-node names.
fn names(sig: &Map<String, Value>, name: &str, sig_path: Path<'_>) -> Result<Vec<String>, Error> {
    let path = Path::Field(&sig_path, name);
    let v = field(sig, name, sig_path)?;
    let list = v.as_array().ok_or_else(|| expected("an array", v, path))?;
    list.iter().enumerate().map(|(i, n)| string(n, Path::Index(&path, i))).collect()
}

/// A `Dict[str, str]`, in the order written (which is torch's dict order).
fn name_map(obj: &Map<String, Value>, name: &str, obj_path: Path<'_>) -> Result<NameMap, Error> {
    let path = Path::Field(&obj_path, name);
    let map = as_object(field(obj, name, obj_path)?, path)?;
    map.iter().map(|(k, v)| Ok((k.clone(), string(v, Path::Field(&path, k))?))).collect()
}

fn backward(sig: &Map<String, Value>, sig_path: Path<'_>) -> Result<Option<ExportBackwardSignature>, Error> {
    let path = Path::Field(&sig_path, "backward_signature");
    match sig.get("backward_signature") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let b = as_object(v, path)?;
            Ok(Some(ExportBackwardSignature {
                gradients_to_parameters: name_map(b, "gradients_to_parameters", path)?,
                gradients_to_user_inputs: name_map(b, "gradients_to_user_inputs", path)?,
                loss_output: string(field(b, "loss_output", path)?, Path::Field(&path, "loss_output"))?,
            }))
        }
    }
}

/// Every name the dicts give must be a graph input or output: torch 2.1 answers its
/// accessors from the dicts, so a name that is not in the graph would be silently lost by
/// classifying the graph.
fn check_names(flat: &FlatSignature, sig_path: Path<'_>) -> Result<(), Error> {
    let inputs: std::collections::HashSet<&str> = flat.graph_inputs.iter().map(ArgumentSpec::name).collect();
    let outputs: std::collections::HashSet<&str> = flat.graph_outputs.iter().map(ArgumentSpec::name).collect();
    let missing = |list: &str, name: &str, graph_list: &str| {
        Error::decode(
            FORMAT,
            Path::Field(&sig_path, list),
            format!("{name:?} is not one of the graph's {graph_list} (graph_module.graph.{graph_list})"),
        )
    };
    for name in &flat.user_inputs {
        if !inputs.contains(name.as_str()) {
            return Err(missing("user_inputs", name, "inputs"));
        }
    }
    for (list, map) in [("inputs_to_parameters", &flat.inputs_to_parameters), ("inputs_to_buffers", &flat.inputs_to_buffers)]
    {
        if let Some(name) = map.keys().find(|n| !inputs.contains(n.as_str())) {
            return Err(missing(list, name, "inputs"));
        }
    }
    for name in &flat.user_outputs {
        if !outputs.contains(name.as_str()) {
            return Err(missing("user_outputs", name, "outputs"));
        }
    }
    if let Some(name) = flat.buffers_to_mutate.keys().find(|n| !outputs.contains(n.as_str())) {
        return Err(missing("buffers_to_mutate", name, "outputs"));
    }
    Ok(())
}
