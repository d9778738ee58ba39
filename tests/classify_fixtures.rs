//! Classification against torch 2.15's `_convert_to_export_graph_signature`, on flat
//! signatures of real graphs recorded by `tests/fixtures/gen_torch_fixtures.py`.

mod support;

use graph_signature::classify::{classify, FlatSignature};
use graph_signature::{Error, ExportBackwardSignature, NameMap};
use serde_json::Value;
use support::{argument, fixtures_dir, read_json};

/// A list of node names. AOT's `user_outputs` holds `None` for a constant output; such an
/// entry names no tensor, so it cannot affect classification and is left out.
fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().filter(|s| !s.is_null()).map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn map(v: &Value) -> NameMap {
    v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

fn flat(case: &Value) -> FlatSignature {
    let aot = &case["aot_signature"];
    FlatSignature {
        graph_inputs: case["graph_inputs"].as_array().unwrap().iter().map(argument).collect(),
        graph_outputs: case["graph_outputs"].as_array().unwrap().iter().map(argument).collect(),
        user_inputs: names(&aot["user_inputs"]),
        inputs_to_parameters: map(&aot["inputs_to_parameters"]),
        inputs_to_buffers: map(&aot["inputs_to_buffers"]),
        buffers_to_mutate: map(&aot["buffers_to_mutate"]),
        parameters_to_mutate: map(&aot["parameters_to_mutate"]),
        user_inputs_to_mutate: map(&aot["user_inputs_to_mutate"]),
        user_outputs: names(&aot["user_outputs"]),
        backward_signature: match &aot["backward_signature"] {
            Value::Null => None,
            b => Some(ExportBackwardSignature {
                gradients_to_parameters: map(&b["gradients_to_parameters"]),
                gradients_to_user_inputs: map(&b["gradients_to_user_inputs"]),
                loss_output: b["loss_output"].as_str().unwrap().to_owned(),
            }),
        },
        input_tokens: names(&aot["input_tokens"]),
        output_tokens: names(&aot["output_tokens"]),
        non_persistent_buffers: names(&case["non_persistent_buffers"]),
    }
}

#[test]
fn classification_equals_torch_on_every_recorded_graph() {
    let dir = fixtures_dir().join("classify");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    let (mut ok, mut errors) = (0, 0);
    for path in &cases {
        let case = read_json(path);
        let result = classify(&flat(&case));
        if let Some(expected) = case.get("expected") {
            let sig = result.unwrap_or_else(|e| panic!("{}: torch classified it, we failed: {e}", path.display()));
            assert_eq!(sig, support::signature(expected), "{}", path.display());
            ok += 1;
        } else {
            let torch_error = case["expected_error"].as_str().expect("expected or expected_error");
            match result {
                Err(e @ Error::Classify { .. }) => {
                    // torch: "AssertionError: Unknown tensor output kind: mul_2"; ours ends
                    // with the same "<failure>: <name>".
                    let torch_tail = torch_error.trim_start_matches("AssertionError: ");
                    assert!(
                        e.to_string().ends_with(torch_tail),
                        "{}: torch said {torch_error:?}, we said {e}",
                        path.display()
                    );
                    errors += 1;
                }
                other => panic!("{}: torch failed with {torch_error:?}, we gave {other:?}", path.display()),
            }
        }
    }
    assert!(ok >= 4 && errors >= 2, "expected at least 4 classified and 2 failing cases, found {ok} and {errors}");
}
