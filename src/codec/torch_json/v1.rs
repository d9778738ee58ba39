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
    for (list, map) in
        [("inputs_to_parameters", &flat.inputs_to_parameters), ("inputs_to_buffers", &flat.inputs_to_buffers)]
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

#[cfg(test)]
mod tests {
    use crate::codec::torch_json::decode;
    use crate::{ArgumentSpec, ConstantValue, Error, InputKind, OutputKind};

    /// A graph argument as torch 2.1 writes it: `dataclasses.asdict` of the union, every
    /// member present and all but one `null`.
    fn arg(member: &str, value: &str) -> String {
        let members = ["as_none", "as_tensor", "as_int", "as_float", "as_sym_int", "as_bool", "as_custom_obj"];
        let body: Vec<String> =
            members.iter().map(|m| format!("\"{m}\": {}", if *m == member { value } else { "null" })).collect();
        format!("{{{}}}", body.join(", "))
    }

    fn tensor(name: &str) -> String {
        arg("as_tensor", &format!("{{\"name\": \"{name}\"}}"))
    }

    fn program(inputs: &[String], outputs: &[String], signature: &str) -> Vec<u8> {
        format!(
            "{{\"graph_module\": {{\"graph\": {{\"inputs\": [{}], \"outputs\": [{}], \"nodes\": []}}, \
             \"signature\": {signature}, \"call_spec\": {{\"in_spec\": null, \"out_spec\": null}}, \
             \"module_call_graph\": []}}, \"opset_version\": {{\"aten\": 10}}, \"range_constraints\": {{}}, \
             \"equality_constraints\": [], \"schema_version\": 1, \"example_inputs\": null}}",
            inputs.join(", "),
            outputs.join(", ")
        )
        .into_bytes()
    }

    fn sig(params: &str, buffers: &str, user_inputs: &str, user_outputs: &str, mutate: &str, backward: &str) -> String {
        format!(
            "{{\"inputs_to_parameters\": {params}, \"inputs_to_buffers\": {buffers}, \"user_inputs\": {user_inputs}, \
             \"user_outputs\": {user_outputs}, \"buffers_to_mutate\": {mutate}, \"backward_signature\": {backward}}}"
        )
    }

    fn decode_err(bytes: &[u8]) -> String {
        match decode(bytes) {
            Err(e @ Error::Decode { .. }) => e.to_string(),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn a_dict_style_signature_is_classified_in_graph_order() {
        let bytes = program(
            &[tensor("arg0_1"), tensor("arg1_1"), tensor("arg2_1")],
            &[tensor("add"), tensor("mul"), arg("as_sym_int", r#"{"as_name": "sym_size", "as_int": null}"#)],
            &sig(
                r#"{"arg0_1": "L__self___w"}"#,
                r#"{"arg1_1": "L__self___buf"}"#,
                r#"["arg2_1"]"#,
                r#"["mul", "sym_size"]"#,
                r#"{"add": "L__self___buf"}"#,
                "null",
            ),
        );
        let read = decode(&bytes).unwrap();
        assert_eq!(read.schema_version.map(|v| v.to_string()).as_deref(), Some("1.0"));
        let s = read.signature;
        let kinds: Vec<InputKind> = s.input_specs().iter().map(|i| i.kind).collect();
        assert_eq!(kinds, [InputKind::Parameter, InputKind::Buffer, InputKind::UserInput]);
        // torch 2.1 records no persistent flag: every buffer is read as persistent.
        assert_eq!(s.input_specs()[1].persistent, Some(true));
        let kinds: Vec<OutputKind> = s.output_specs().iter().map(|o| o.kind).collect();
        assert_eq!(kinds, [OutputKind::BufferMutation, OutputKind::UserOutput, OutputKind::UserOutput]);
        assert_eq!(s.output_specs()[2].arg, ArgumentSpec::SymInt { name: "sym_size".into() });
        assert_eq!(s.parameters(), ["L__self___w"]);
        assert_eq!(s.buffers_to_mutate()["add"], "L__self___buf");
    }

    #[test]
    fn a_joint_graph_has_its_loss_and_gradients() {
        let bytes = program(
            &[tensor("arg0_1"), tensor("arg1_1")],
            &[tensor("loss"), tensor("grad_w")],
            &sig(
                r#"{"arg0_1": "w"}"#,
                "{}",
                r#"["arg1_1"]"#,
                "[]",
                "{}",
                r#"{"gradients_to_parameters": {"grad_w": "w"}, "gradients_to_user_inputs": {}, "loss_output": "loss"}"#,
            ),
        );
        let s = decode(&bytes).unwrap().signature;
        let kinds: Vec<OutputKind> = s.output_specs().iter().map(|o| o.kind).collect();
        assert_eq!(kinds, [OutputKind::LossOutput, OutputKind::GradientToParameter]);
        assert_eq!(s.backward_signature().unwrap().loss_output, "loss");
    }

    #[test]
    fn constant_outputs_and_as_none_lists_are_read() {
        // torch 2.1's as_none is Tuple[()], written as [].
        let bytes = program(
            &[tensor("arg0_1")],
            &[tensor("add"), arg("as_none", "[]"), arg("as_int", "3")],
            &sig("{}", "{}", r#"["arg0_1"]"#, r#"["add"]"#, "{}", "null"),
        );
        let s = decode(&bytes).unwrap().signature;
        let constant = |value| ArgumentSpec::Constant { name: String::new(), value };
        assert_eq!(s.output_specs()[1].arg, constant(ConstantValue::None));
        assert_eq!(s.output_specs()[2].arg, constant(ConstantValue::Int(3)));
    }

    #[test]
    fn names_the_graph_lacks_are_errors_naming_where() {
        let io = [tensor("arg0_1"), tensor("arg1_1")];
        let out = [tensor("add")];
        let bad = program(&io, &out, &sig(r#"{"arg9_1": "w"}"#, "{}", r#"["arg1_1"]"#, r#"["add"]"#, "{}", "null"));
        assert_eq!(
            decode_err(&bad),
            "invalid torch-json at graph_module.signature.inputs_to_parameters: \"arg9_1\" is not one of the graph's inputs \
             (graph_module.graph.inputs)"
        );
        let bad = program(&io, &out, &sig(r#"{"arg0_1": "w"}"#, "{}", r#"["arg1_1"]"#, r#"["nope"]"#, "{}", "null"));
        assert!(decode_err(&bad).contains("signature.user_outputs: \"nope\" is not one of the graph's outputs"));
        // A graph input none of the dicts names.
        let bad = program(&io, &out, &sig("{}", "{}", r#"["arg1_1"]"#, r#"["add"]"#, "{}", "null"));
        assert_eq!(
            decode_err(&bad),
            "invalid torch-json at graph_module.graph.inputs[0]: Unknown tensor input kind: \"arg0_1\" is named by neither \
             user_inputs, inputs_to_parameters nor inputs_to_buffers of graph_module.signature"
        );
        // An output in the mutation range that is no mutation.
        let out2 = [tensor("add"), tensor("add_1")];
        let bad = program(
            &io,
            &out2,
            &sig(r#"{"arg0_1": "w"}"#, "{}", r#"["arg1_1"]"#, r#"["add"]"#, r#"{"add_1": "b"}"#, "null"),
        );
        assert!(decode_err(&bad)
            .starts_with("invalid torch-json at graph_module.graph.outputs[0]: Unknown tensor mutation kind"));
    }

    #[test]
    fn malformed_schema_1_programs_are_typed_errors() {
        let io = [tensor("arg0_1")];
        let out = [tensor("add")];
        let good = sig("{}", "{}", r#"["arg0_1"]"#, r#"["add"]"#, "{}", "null");
        let cases = [
            (program(&io, &out, &good.replace("\"user_inputs\": [\"arg0_1\"], ", "")), "missing field \"user_inputs\""),
            (program(&io, &out, &good.replace(r#"["arg0_1"]"#, r#"[0]"#)), "user_inputs[0]: expected a string"),
            (
                program(&io, &out, &good.replace(r#""inputs_to_buffers": {}"#, r#""inputs_to_buffers": []"#)),
                "inputs_to_buffers: expected an object",
            ),
            (
                program(&io, &out, &good.replace("null}", r#"{"loss_output": "add"}}"#)),
                "missing field \"gradients_to_parameters\"",
            ),
            (
                program(&[arg("as_tensor", "null")], &out, &good),
                "graph.inputs[0]: expected a union (an object with 1 member), found none set",
            ),
            (program(&io, &out, "[]"), "graph_module.signature: expected an object, found an array"),
        ];
        for (bytes, want) in cases {
            let err = decode_err(&bytes);
            assert!(err.contains(want), "{err:?} does not contain {want:?}");
        }
        let no_graph = br#"{"graph_module": {"signature": {}}, "schema_version": 1}"#;
        assert!(decode_err(no_graph).contains("graph_module: missing field \"graph\""));
    }

    #[test]
    fn a_bare_dict_style_signature_is_refused_saying_why() {
        let bare = sig("{}", "{}", r#"["x"]"#, r#"["y"]"#, "{}", "null");
        let err = decode_err(bare.as_bytes());
        assert!(err.contains("torch 2.1 (schema 1) dict-style signature without its program"), "{err}");
    }
}
