//! A 100,000-spec signature: views are built once and answer lookups from then on.

use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec, OutputKind, OutputSpec};

fn large(n: usize) -> ExportGraphSignature {
    let mut inputs = Vec::with_capacity(n);
    let mut outputs = Vec::new();
    for i in 0..n / 2 {
        inputs.push(InputSpec::parameter(format!("p_layers_{i}_weight"), format!("layers.{i}.weight")));
    }
    for i in 0..n / 2 {
        let target = format!("layers.{i}.kv_cache");
        if i % 10 == 0 {
            let arg = ArgumentSpec::tensor(format!("copy_{i}"));
            outputs.push(OutputSpec::new(OutputKind::BufferMutation, arg, Some(&target)));
        }
        inputs.push(InputSpec::buffer(format!("b_layers_{i}_kv_cache"), target, i % 2 == 0));
    }
    inputs.push(InputSpec::user_input(ArgumentSpec::tensor("tokens")));
    outputs.push(OutputSpec::user_output(ArgumentSpec::tensor("logits")));
    ExportGraphSignature::new(inputs, outputs).unwrap()
}

#[test]
fn accessors_of_a_100k_spec_signature_are_built_once_and_answer_lookups() {
    let sig = large(100_000);
    let first = sig.inputs_to_parameters();
    assert_eq!(first.len(), 50_000);
    assert_eq!(first["p_layers_49999_weight"], "layers.49999.weight");
    assert_eq!(first.get_index_of("p_layers_123_weight"), Some(123), "insertion order kept");
    // Later calls borrow the same views instead of rebuilding them.
    assert!(std::ptr::eq(first, sig.inputs_to_parameters()));
    assert!(std::ptr::eq(sig.buffers(), sig.buffers()));
    assert_eq!(sig.non_persistent_buffers().len(), 25_000);
    assert_eq!(sig.buffers_to_mutate()["copy_49990"], "layers.49990.kv_cache");
    assert!(sig.lint().is_empty());
}

#[test]
fn an_edit_drops_the_views() {
    let mut sig = large(1_000);
    assert!(sig.buffers_to_mutate().contains_key("copy_0"));
    sig.replace_all_uses("copy_0", "copy_0_renamed");
    assert!(!sig.buffers_to_mutate().contains_key("copy_0"));
    assert_eq!(sig.buffers_to_mutate()["copy_0_renamed"], "layers.0.kv_cache");
}
