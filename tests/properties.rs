//! Property tests: for arbitrary signatures, the text form, the accessors, replace_all_uses
//! and validation agree with plain reference computations written here from torch's
//! Python source (`torch/export/graph_signature.py`, 2.15), independent of the crate; and
//! whatever torch-JSON bytes the writer makes of them, every tier of the reader (the byte
//! scanner, the typed pass, the full reader) reads the same.

use graph_signature::{
    ArgumentSpec, ConstantValue, Error, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec, Rule,
    SpecRef, UserValue,
};
use proptest::prelude::*;

// ---------------------------------------------------------------- strategies

/// Names from a small pool, so duplicates (and therefore last-wins maps) are common; the
/// pool has quotes, non-ASCII and the empty string.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["x", "y", "p_w", "b_buf", "add", "mm", "loss", "g", "tok", "é", "it's", "a\"b", "", "层.权重"])
            .prop_map(str::to_owned),
        1 => "[a-z_]{1,8}",
    ]
}

fn constant() -> impl Strategy<Value = ConstantValue> {
    prop_oneof![
        Just(ConstantValue::None),
        any::<i64>().prop_map(ConstantValue::Int),
        prop_oneof![any::<f64>(), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN), Just(-0.0), Just(1.0)]
            .prop_map(ConstantValue::Float),
        any::<bool>().prop_map(ConstantValue::Bool),
        name().prop_map(ConstantValue::String),
    ]
}

fn any_argument() -> impl Strategy<Value = ArgumentSpec> {
    prop_oneof![
        name().prop_map(|name| ArgumentSpec::Tensor { name }),
        name().prop_map(|name| ArgumentSpec::SymInt { name }),
        name().prop_map(|name| ArgumentSpec::SymFloat { name }),
        name().prop_map(|name| ArgumentSpec::SymBool { name }),
        (name(), constant()).prop_map(|(name, value)| ArgumentSpec::Constant { name, value }),
        (name(), name()).prop_map(|(name, class_fqn)| ArgumentSpec::CustomObj { name, class_fqn }),
        name().prop_map(|name| ArgumentSpec::Token { name }),
    ]
}

fn input_kind() -> impl Strategy<Value = InputKind> {
    prop::sample::select(InputKind::ALL.to_vec())
}

fn output_kind() -> impl Strategy<Value = OutputKind> {
    prop::sample::select(OutputKind::ALL.to_vec())
}

/// Any input spec, valid or not.
fn any_input() -> impl Strategy<Value = InputSpec> {
    (input_kind(), any_argument(), prop::option::of(name()), prop::option::of(any::<bool>()))
        .prop_map(|(kind, arg, target, persistent)| InputSpec { kind, arg, target, persistent })
}

/// Any output spec, valid or not.
fn any_output() -> impl Strategy<Value = OutputSpec> {
    (output_kind(), any_argument(), prop::option::of(name())).prop_map(|(kind, arg, target)| OutputSpec {
        kind,
        arg,
        target,
    })
}

/// Reference: is this argument allowed for the kind? (Written from torch's serializer.)
fn input_arg_ok(kind: InputKind, arg: &ArgumentSpec) -> bool {
    match kind {
        InputKind::UserInput => !matches!(arg, ArgumentSpec::Token { .. }),
        InputKind::CustomObj => matches!(arg, ArgumentSpec::CustomObj { .. }),
        InputKind::Token => matches!(arg, ArgumentSpec::Token { .. }),
        _ => matches!(arg, ArgumentSpec::Tensor { .. }),
    }
}

fn output_arg_ok(kind: OutputKind, arg: &ArgumentSpec) -> bool {
    match kind {
        OutputKind::UserOutput => !matches!(arg, ArgumentSpec::Token { .. }),
        OutputKind::Token => matches!(arg, ArgumentSpec::Token { .. }),
        _ => matches!(arg, ArgumentSpec::Tensor { .. }),
    }
}

/// Reference: the spec-tier violations of a list of specs, as (where, rule code).
fn reference_violations(inputs: &[InputSpec], outputs: &[OutputSpec]) -> Vec<(SpecRef, &'static str)> {
    let mut v = Vec::new();
    for (i, s) in inputs.iter().enumerate() {
        if !input_arg_ok(s.kind, &s.arg) {
            v.push((SpecRef::Input(i), "argument-not-allowed"));
        }
        if !matches!(s.kind, InputKind::UserInput | InputKind::Token) && s.target.is_none() {
            v.push((SpecRef::Input(i), "target-required"));
        }
        if s.kind == InputKind::Buffer && s.persistent.is_none() {
            v.push((SpecRef::Input(i), "persistent-required"));
        }
    }
    let mut losses = 0;
    for (i, s) in outputs.iter().enumerate() {
        if !output_arg_ok(s.kind, &s.arg) {
            v.push((SpecRef::Output(i), "argument-not-allowed"));
        }
        let needs_target = !matches!(s.kind, OutputKind::UserOutput | OutputKind::LossOutput | OutputKind::Token);
        if needs_target && s.target.is_none() {
            v.push((SpecRef::Output(i), "target-required"));
        }
        if s.kind == OutputKind::LossOutput {
            losses += 1;
            if losses > 1 {
                v.push((SpecRef::Output(i), "multiple-loss-outputs"));
            }
        }
    }
    v
}

/// A valid signature: arbitrary specs repaired to satisfy the spec rules.
fn valid_signature() -> impl Strategy<Value = ExportGraphSignature> {
    (prop::collection::vec(any_input(), 0..24), prop::collection::vec(any_output(), 0..24)).prop_map(
        |(mut ins, mut outs)| {
            for s in &mut ins {
                if !input_arg_ok(s.kind, &s.arg) {
                    let name = s.arg.name().to_owned();
                    s.arg = match s.kind {
                        InputKind::CustomObj => ArgumentSpec::CustomObj { name, class_fqn: "__torch__.Foo".into() },
                        InputKind::Token => ArgumentSpec::Token { name },
                        _ => ArgumentSpec::Tensor { name },
                    };
                }
                if !matches!(s.kind, InputKind::UserInput | InputKind::Token) && s.target.is_none() {
                    s.target = Some(format!("t.{}", s.arg.name()));
                }
                if s.kind == InputKind::Buffer && s.persistent.is_none() {
                    s.persistent = Some(false);
                }
            }
            let mut seen_loss = false;
            for s in &mut outs {
                if s.kind == OutputKind::LossOutput {
                    if seen_loss {
                        s.kind = OutputKind::UserOutput;
                    }
                    seen_loss = true;
                }
                if !output_arg_ok(s.kind, &s.arg) {
                    let name = s.arg.name().to_owned();
                    s.arg = if s.kind == OutputKind::Token {
                        ArgumentSpec::Token { name }
                    } else {
                        ArgumentSpec::Tensor { name }
                    };
                }
                let needs_target =
                    !matches!(s.kind, OutputKind::UserOutput | OutputKind::LossOutput | OutputKind::Token);
                if needs_target && s.target.is_none() {
                    s.target = Some("t".into());
                }
            }
            assert!(reference_violations(&ins, &outs).is_empty());
            ExportGraphSignature::new(ins, outs).expect("repaired specs are valid")
        },
    )
}

// ---------------------------------------------------------------- references

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// torch: `f"{arg.name}: {kind.name}{target}{persistent}"`.
fn reference_text(sig: &ExportGraphSignature) -> String {
    let ins: Vec<String> = sig
        .input_specs()
        .iter()
        .map(|s| {
            let mut line = format!("{}: {}", s.arg.name(), s.kind.torch_name());
            if let Some(t) = &s.target {
                line += &format!(" target='{t}'");
            }
            if let Some(p) = s.persistent {
                line += &format!(" persistent={}", py_bool(p));
            }
            line
        })
        .collect();
    let outs: Vec<String> = sig
        .output_specs()
        .iter()
        .map(|s| match &s.target {
            Some(t) => format!("{}: {} target='{t}'", s.arg.name(), s.kind.torch_name()),
            None => format!("{}: {}", s.arg.name(), s.kind.torch_name()),
        })
        .collect();
    format!("\n# inputs\n{}\n\n# outputs\n{}\n", ins.join("\n"), outs.join("\n"))
}

/// A Python dict built from pairs: a repeated key keeps its first slot, takes the last value.
fn py_dict(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut d: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match d.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => d.push((k, v)),
        }
    }
    d
}

fn pairs(m: &graph_signature::NameMap) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn in_targets(sig: &ExportGraphSignature, kind: InputKind) -> Vec<String> {
    sig.input_specs().iter().filter(|s| s.kind == kind).filter_map(|s| s.target.clone()).collect()
}

fn in_map(sig: &ExportGraphSignature, kind: InputKind, custom_obj: bool) -> Vec<(String, String)> {
    py_dict(sig.input_specs().iter().filter(|s| s.kind == kind).filter_map(|s| {
        let type_ok = if custom_obj {
            matches!(s.arg, ArgumentSpec::CustomObj { .. })
        } else {
            matches!(s.arg, ArgumentSpec::Tensor { .. })
        };
        match (&s.target, type_ok) {
            (Some(t), true) => Some((s.arg.name().to_owned(), t.clone())),
            _ => None,
        }
    }))
}

fn out_map(sig: &ExportGraphSignature, kind: OutputKind) -> Vec<(String, String)> {
    py_dict(sig.output_specs().iter().filter(|s| s.kind == kind).filter_map(|s| match (&s.target, &s.arg) {
        (Some(t), ArgumentSpec::Tensor { name }) => Some((name.clone(), t.clone())),
        _ => None,
    }))
}

fn user_value(arg: &ArgumentSpec) -> UserValue {
    match arg {
        ArgumentSpec::Constant { value, .. } => UserValue::Constant(value.clone()),
        other => UserValue::Name(other.name().to_owned()),
    }
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Names with quotes, non-ASCII (written as `\u` escapes, surrogate pairs above U+FFFF)
    /// and empty ones, every kind, every constant: the writer's bytes (lossy, so that every
    /// signature has some) are read by each tier to the same signature, and the bytes written
    /// again from it are the same bytes. The one exception is the scanner's documented one:
    /// it gives way on a number of magnitude 1e300 or more (its bound on what surely fits an
    /// `f64`), and the typed pass reads it.
    #[test]
    fn every_torch_json_reader_tier_reads_what_the_writer_writes(sig in valid_signature()) {
        use graph_signature::codec::torch_json::{self, WriteOptions};
        use graph_signature::differential::{self, Outcome};
        let options = WriteOptions { lossy: true, ..WriteOptions::default() };
        let bytes = torch_json::encode(&sig, &options).expect("lossy writes every valid signature");
        let tiers = differential::torch_json_tiers(&bytes).map_err(TestCaseError::fail)?;
        let huge_float = |arg: &ArgumentSpec| {
            matches!(arg, ArgumentSpec::Constant { value: ConstantValue::Float(v), .. } if v.is_finite() && v.abs() >= 1e300)
        };
        let scanner_gives_way = sig.input_specs().iter().any(|s| huge_float(&s.arg))
            || sig.output_specs().iter().any(|s| huge_float(&s.arg));
        let scanner = if scanner_gives_way { Outcome::FastGaveWay } else { Outcome::BothAccepted };
        prop_assert_eq!(tiers.scanner, scanner);
        prop_assert_eq!(tiers.typed, Outcome::BothAccepted);
        prop_assert_eq!(tiers.chain, Outcome::BothAccepted);
        let read = torch_json::decode(&bytes).expect("read back");
        prop_assert_eq!(torch_json::encode(&read.signature, &options).expect("written again"), bytes);
    }

    #[test]
    fn text_form_matches_python_format(sig in valid_signature()) {
        prop_assert_eq!(sig.to_string(), reference_text(&sig));
    }

    #[test]
    fn accessors_match_python_semantics(sig in valid_signature()) {
        prop_assert_eq!(sig.parameters().to_vec(), in_targets(&sig, InputKind::Parameter));
        prop_assert_eq!(sig.buffers().to_vec(), in_targets(&sig, InputKind::Buffer));
        let non_persistent: Vec<String> = sig.input_specs().iter()
            .filter(|s| s.kind == InputKind::Buffer && s.persistent == Some(false))
            .filter_map(|s| s.target.clone()).collect();
        prop_assert_eq!(sig.non_persistent_buffers(), non_persistent.as_slice());
        prop_assert_eq!(sig.lifted_tensor_constants().to_vec(), in_targets(&sig, InputKind::ConstantTensor));
        prop_assert_eq!(sig.lifted_custom_objs().to_vec(), in_targets(&sig, InputKind::CustomObj));

        let user_inputs: Vec<UserValue> = sig.input_specs().iter()
            .filter(|s| s.kind == InputKind::UserInput).map(|s| user_value(&s.arg)).collect();
        prop_assert_eq!(sig.user_inputs(), user_inputs.as_slice());
        let user_outputs: Vec<UserValue> = sig.output_specs().iter()
            .filter(|s| matches!(s.kind, OutputKind::UserOutput | OutputKind::LossOutput))
            .map(|s| user_value(&s.arg)).collect();
        prop_assert_eq!(sig.user_outputs(), user_outputs.as_slice());

        prop_assert_eq!(pairs(sig.inputs_to_parameters()), in_map(&sig, InputKind::Parameter, false));
        prop_assert_eq!(pairs(sig.inputs_to_buffers()), in_map(&sig, InputKind::Buffer, false));
        prop_assert_eq!(pairs(sig.inputs_to_lifted_tensor_constants()), in_map(&sig, InputKind::ConstantTensor, false));
        prop_assert_eq!(pairs(sig.inputs_to_lifted_custom_objs()), in_map(&sig, InputKind::CustomObj, true));
        prop_assert_eq!(pairs(sig.buffers_to_mutate()), out_map(&sig, OutputKind::BufferMutation));
        prop_assert_eq!(pairs(sig.parameters_to_mutate()), out_map(&sig, OutputKind::ParameterMutation));
        prop_assert_eq!(pairs(sig.user_inputs_to_mutate()), out_map(&sig, OutputKind::UserInputMutation));

        let tokens_in: Vec<String> = sig.input_specs().iter().filter(|s| s.kind == InputKind::Token).map(|s| s.arg.name().to_owned()).collect();
        let tokens_out: Vec<String> = sig.output_specs().iter().filter(|s| s.kind == OutputKind::Token).map(|s| s.arg.name().to_owned()).collect();
        prop_assert_eq!(sig.input_tokens(), tokens_in.as_slice());
        prop_assert_eq!(sig.output_tokens(), tokens_out.as_slice());
        prop_assert!(sig.assertion_dep_token().is_none());

        let loss = sig.output_specs().iter().find(|s| s.kind == OutputKind::LossOutput).map(|s| s.arg.name().to_owned());
        match (sig.backward_signature(), loss) {
            (None, None) => {}
            (Some(b), Some(loss)) => {
                prop_assert_eq!(&b.loss_output, &loss);
                prop_assert_eq!(pairs(&b.gradients_to_parameters), out_map(&sig, OutputKind::GradientToParameter));
                prop_assert_eq!(pairs(&b.gradients_to_user_inputs), out_map(&sig, OutputKind::GradientToUserInput));
            }
            (ours, loss) => prop_assert!(false, "backward_signature {:?} but loss {:?}", ours, loss),
        }
    }

    #[test]
    fn replace_all_uses_renames_every_non_constant_argument_and_no_target(
        sig in valid_signature(), old in name(), new in name(),
    ) {
        let rename = |arg: &ArgumentSpec| -> ArgumentSpec {
            let mut a = arg.clone();
            let is_constant = matches!(a, ArgumentSpec::Constant { .. });
            if !is_constant && a.name() == old {
                match &mut a {
                    ArgumentSpec::Tensor { name } | ArgumentSpec::SymInt { name } | ArgumentSpec::SymFloat { name }
                    | ArgumentSpec::SymBool { name } | ArgumentSpec::CustomObj { name, .. } | ArgumentSpec::Token { name }
                    | ArgumentSpec::Constant { name, .. } => *name = new.clone(),
                }
            }
            a
        };
        let expected_in: Vec<InputSpec> = sig.input_specs().iter().map(|s| InputSpec { arg: rename(&s.arg), ..s.clone() }).collect();
        let expected_out: Vec<OutputSpec> = sig.output_specs().iter().map(|s| OutputSpec { arg: rename(&s.arg), ..s.clone() }).collect();
        let mut edited = sig.clone();
        let _ = edited.parameters(); // build the views, so the edit must drop them
        edited.replace_all_uses(&old, &new);
        prop_assert_eq!(edited.input_specs(), expected_in.as_slice());
        prop_assert_eq!(edited.output_specs(), expected_out.as_slice());
        let fresh = ExportGraphSignature::new(expected_in, expected_out).unwrap();
        prop_assert_eq!(serde_json::to_value(edited.accessors()).unwrap(), serde_json::to_value(fresh.accessors()).unwrap());
    }

    #[test]
    fn a_signature_does_not_differ_from_itself_and_any_edit_shows(sig in valid_signature(), old in name()) {
        prop_assert!(graph_signature::diff::diff(&sig, &sig).is_empty());
        let mut edited = sig.clone();
        edited.replace_all_uses(&old, "renamed_node");
        let d = graph_signature::diff::diff(&sig, &edited);
        prop_assert_eq!(d.is_empty(), edited == sig, "{}", d);
    }

    #[test]
    fn construction_rejects_exactly_the_spec_rule_violations(
        ins in prop::collection::vec(any_input(), 0..12),
        outs in prop::collection::vec(any_output(), 0..12),
    ) {
        let expected = reference_violations(&ins, &outs);
        match ExportGraphSignature::new(ins, outs) {
            Ok(_) => prop_assert!(expected.is_empty(), "accepted, but violates {:?}", expected),
            Err(Error::Invalid(err)) => {
                let found: Vec<(SpecRef, &'static str)> = err.violations().iter().map(|v| (v.at, v.rule.code())).collect();
                prop_assert_eq!(found, expected);
            }
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}

// ---------------------------------------------------------------- one test per rule

fn new(ins: Vec<InputSpec>, outs: Vec<OutputSpec>) -> Vec<(SpecRef, Rule)> {
    match ExportGraphSignature::new(ins, outs) {
        Ok(_) => vec![],
        Err(Error::Invalid(e)) => e.violations().iter().map(|v| (v.at, v.rule.clone())).collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn buffer_without_persistent_is_rejected() {
    let mut b = InputSpec::buffer("b", "buf", true);
    b.persistent = None;
    assert_eq!(new(vec![b], vec![]), vec![(SpecRef::Input(0), Rule::PersistentRequired)]);
}

#[test]
fn parameter_without_target_is_rejected() {
    let mut p = InputSpec::parameter("p", "w");
    p.target = None;
    let v = new(vec![p], vec![]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.code(), "target-required");
}

#[test]
fn mutation_without_target_is_rejected_for_every_target_kind() {
    for kind in [
        OutputKind::BufferMutation,
        OutputKind::ParameterMutation,
        OutputKind::GradientToParameter,
        OutputKind::GradientToUserInput,
        OutputKind::UserInputMutation,
    ] {
        let v = new(vec![], vec![OutputSpec::new(kind, ArgumentSpec::tensor("o"), None)]);
        assert_eq!(v.len(), 1, "{kind}");
        assert_eq!(v[0].1.code(), "target-required", "{kind}");
    }
}

#[test]
fn wrong_argument_types_are_rejected_with_the_allowed_types_in_the_hint() {
    let spec = InputSpec {
        kind: InputKind::Parameter,
        arg: ArgumentSpec::SymInt { name: "s0".into() },
        target: Some("w".into()),
        persistent: None,
    };
    let v = new(vec![spec], vec![]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.to_string(), "a PARAMETER spec cannot take a SymIntArgument");
    assert_eq!(v[0].1.hint(), "a PARAMETER spec takes TensorArgument");
    let token_user = OutputSpec::user_output(ArgumentSpec::Token { name: "t".into() });
    assert_eq!(new(vec![], vec![token_user])[0].1.code(), "argument-not-allowed");
}

#[test]
fn second_loss_output_is_rejected_naming_the_first() {
    let loss = OutputSpec::new(OutputKind::LossOutput, ArgumentSpec::tensor("l"), None);
    let v = new(vec![], vec![OutputSpec::user_output(ArgumentSpec::tensor("y")), loss.clone(), loss]);
    assert_eq!(v, vec![(SpecRef::Output(2), Rule::MultipleLossOutputs { first: 1 })]);
}

#[test]
fn every_violation_is_reported_not_only_the_first() {
    let mut b = InputSpec::buffer("b", "buf", true);
    b.persistent = None;
    b.target = None;
    let v = new(vec![b], vec![OutputSpec::new(OutputKind::Token, ArgumentSpec::tensor("t"), None)]);
    let codes: Vec<_> = v.iter().map(|(at, r)| format!("{at} {}", r.code())).collect();
    assert_eq!(
        codes,
        ["inputs[0] target-required", "inputs[0] persistent-required", "outputs[0] argument-not-allowed"]
    );
}

#[test]
fn graph_rules_are_checked_on_demand() {
    let sig = ExportGraphSignature::new(
        vec![
            InputSpec::parameter("x", "w"),
            InputSpec::user_input(ArgumentSpec::tensor("x")),
            InputSpec::buffer("b", "buf", true),
        ],
        vec![
            OutputSpec::user_output(ArgumentSpec::tensor("y")),
            OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("m"), Some("nope")),
            OutputSpec::new(OutputKind::Token, ArgumentSpec::Token { name: "t".into() }, None),
            OutputSpec::new(OutputKind::GradientToUserInput, ArgumentSpec::tensor("g"), Some("x")),
            OutputSpec::new(OutputKind::GradientToParameter, ArgumentSpec::tensor("g2"), Some("w")),
        ],
    )
    .expect("graph rules do not run on construction");
    let found: Vec<String> = sig.lint().iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "inputs[1]: input name \"x\" is already used by inputs[0]",
            "outputs[1]: BUFFER_MUTATION output comes after outputs[0] (USER_OUTPUT)",
            "outputs[1]: BUFFER_MUTATION target \"nope\" is not the target of a BUFFER input",
            "outputs[2]: TOKEN output comes after outputs[1] (BUFFER_MUTATION)",
        ]
    );
    assert!(matches!(sig.validate(), Err(Error::Invalid(e)) if e.violations().len() == 4));
}

#[test]
fn python_dict_semantics_on_duplicate_keys() {
    let sig = ExportGraphSignature::new(
        vec![InputSpec::parameter("p", "first"), InputSpec::parameter("q", "other"), InputSpec::parameter("p", "last")],
        vec![],
    )
    .unwrap();
    assert_eq!(
        pairs(sig.inputs_to_parameters()),
        [("p".to_owned(), "last".to_owned()), ("q".to_owned(), "other".to_owned())]
    );
    assert_eq!(sig.parameters(), ["first", "other", "last"]);
}

#[test]
fn replace_hook_renames_outputs_always_and_placeholders_only_when_asked() {
    use graph_signature::Node;
    let sig = ExportGraphSignature::new(
        vec![InputSpec::user_input(ArgumentSpec::tensor("x"))],
        vec![OutputSpec::user_output(ArgumentSpec::tensor("x"))],
    )
    .unwrap();
    let placeholder = Node { name: "x", op: "placeholder" };
    let add = Node { name: "add", op: "call_function" };
    let output = Node { name: "output", op: "output" };

    // A placeholder replaced in an ordinary user: nothing changes unless replace_inputs.
    let mut plain = sig.clone();
    plain.replace_hook(false)(placeholder, "x_1", add);
    assert_eq!(plain, sig);
    let mut with_inputs = sig.clone();
    with_inputs.replace_hook(true)(placeholder, "x_1", add);
    assert_eq!(with_inputs.input_specs()[0].arg.name(), "x_1");
    assert_eq!(with_inputs.output_specs()[0].arg.name(), "x_1", "replace_all_uses renames every use");

    // Any node replaced in the output node: renamed.
    let mut in_output = sig.clone();
    in_output.replace_hook(false)(placeholder, "x_2", output);
    assert_eq!(in_output.output_specs()[0].arg.name(), "x_2");
}
