//! Shared by the codec tests: strategies for arbitrary valid signatures and the fixed set of
//! signatures behind the golden files.
#![allow(dead_code)]

use graph_signature::{
    ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec,
};
use proptest::prelude::*;

/// Names: empty, identifier-like, dotted, and arbitrary Unicode (non-ASCII, controls).
pub fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z_][a-z0-9_]{0,8}",
        "[a-z]{1,4}(\\.[a-z0-9]{1,4}){0,3}",
        "\\PC{0,6}",
        any::<String>(),
    ]
}

/// Floats with every special: ±0, ±inf, NaN with arbitrary payloads and signs, subnormals.
pub fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        Just(f64::MIN_POSITIVE / 2.0),
        any::<f64>(),
        any::<u64>().prop_map(f64::from_bits),
    ]
}

pub fn constant() -> impl Strategy<Value = ConstantValue> {
    prop_oneof![
        Just(ConstantValue::None),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1), any::<i64>()].prop_map(ConstantValue::Int),
        float().prop_map(ConstantValue::Float),
        any::<bool>().prop_map(ConstantValue::Bool),
        name().prop_map(ConstantValue::String),
    ]
}

/// An argument a USER_INPUT or USER_OUTPUT may have.
pub fn user_arg() -> impl Strategy<Value = ArgumentSpec> {
    prop_oneof![
        name().prop_map(|name| ArgumentSpec::Tensor { name }),
        name().prop_map(|name| ArgumentSpec::SymInt { name }),
        name().prop_map(|name| ArgumentSpec::SymFloat { name }),
        name().prop_map(|name| ArgumentSpec::SymBool { name }),
        (name(), constant()).prop_map(|(name, value)| ArgumentSpec::Constant { name, value }),
        (name(), name()).prop_map(|(name, class_fqn)| ArgumentSpec::CustomObj { name, class_fqn }),
    ]
}

/// A valid input spec of any kind (the spec rules of docs/model.md).
pub fn input_spec() -> impl Strategy<Value = InputSpec> {
    let target = proptest::option::of(name());
    let persistent = proptest::option::of(any::<bool>());
    (0..6u8, user_arg(), name(), name(), target, persistent).prop_map(|(k, user, n, t, any_target, p)| {
        let (kind, arg, target, persistent) = match k {
            0 => (InputKind::UserInput, user, any_target, p),
            1 => (InputKind::Parameter, ArgumentSpec::Tensor { name: n }, Some(t), p),
            2 => (InputKind::Buffer, ArgumentSpec::Tensor { name: n }, Some(t), Some(p.unwrap_or(true))),
            3 => (InputKind::ConstantTensor, ArgumentSpec::Tensor { name: n }, Some(t), p),
            4 => (InputKind::CustomObj, ArgumentSpec::CustomObj { name: n, class_fqn: t.clone() }, Some(t), p),
            _ => (InputKind::Token, ArgumentSpec::Token { name: n }, any_target, p),
        };
        InputSpec { kind, arg, target, persistent }
    })
}

/// A valid output spec of any kind but LOSS_OUTPUT (added at most once by `signature`).
pub fn output_spec() -> impl Strategy<Value = OutputSpec> {
    let target = proptest::option::of(name());
    (0..7u8, user_arg(), name(), name(), target).prop_map(|(k, user, n, t, any_target)| {
        let tensor = ArgumentSpec::Tensor { name: n.clone() };
        let (kind, arg, target) = match k {
            0 => (OutputKind::UserOutput, user, any_target),
            1 => (OutputKind::BufferMutation, tensor, Some(t)),
            2 => (OutputKind::ParameterMutation, tensor, Some(t)),
            3 => (OutputKind::GradientToParameter, tensor, Some(t)),
            4 => (OutputKind::GradientToUserInput, tensor, Some(t)),
            5 => (OutputKind::UserInputMutation, tensor, Some(t)),
            _ => (OutputKind::Token, ArgumentSpec::Token { name: n }, any_target),
        };
        OutputSpec { kind, arg, target }
    })
}

/// An arbitrary valid signature (graph rules not enforced: codecs must carry what torch can
/// hold), with at most one LOSS_OUTPUT.
pub fn signature() -> impl Strategy<Value = ExportGraphSignature> {
    let loss = proptest::option::of((any::<prop::sample::Index>(), name(), proptest::option::of(name())));
    (prop::collection::vec(input_spec(), 0..8), prop::collection::vec(output_spec(), 0..8), loss).prop_map(
        |(inputs, mut outputs, loss)| {
            if let Some((at, n, target)) = loss {
                let at = at.index(outputs.len() + 1);
                outputs.insert(
                    at,
                    OutputSpec { kind: OutputKind::LossOutput, arg: ArgumentSpec::Tensor { name: n }, target },
                );
            }
            ExportGraphSignature::new(inputs, outputs).expect("the strategy builds valid signatures")
        },
    )
}

/// What JSON gives back: every NaN becomes `f64::NAN` (JSON cannot carry a payload).
pub fn json_canonical(sig: &ExportGraphSignature) -> ExportGraphSignature {
    let canon = |arg: &ArgumentSpec| match arg {
        ArgumentSpec::Constant { name, value: ConstantValue::Float(f) } if f.is_nan() => {
            ArgumentSpec::Constant { name: name.clone(), value: ConstantValue::Float(f64::NAN) }
        }
        other => other.clone(),
    };
    let inputs = sig.input_specs().iter().map(|s| InputSpec { arg: canon(&s.arg), ..s.clone() }).collect();
    let outputs = sig.output_specs().iter().map(|s| OutputSpec { arg: canon(&s.arg), ..s.clone() }).collect();
    ExportGraphSignature::new(inputs, outputs).unwrap()
}

fn sig(inputs: Vec<InputSpec>, outputs: Vec<OutputSpec>) -> ExportGraphSignature {
    ExportGraphSignature::new(inputs, outputs).unwrap()
}

fn constant_in(name: &str, value: ConstantValue) -> InputSpec {
    InputSpec::user_input(ArgumentSpec::constant(name, value))
}

/// The fixed signatures behind tests/golden/v1.0/: name and signature. NEVER change one
/// that has golden files; add new ones with new names.
pub fn golden_signatures() -> Vec<(&'static str, ExportGraphSignature)> {
    vec![
        ("empty", ExportGraphSignature::empty()),
        (
            "linear_with_buffer_mutation",
            sig(
                vec![
                    InputSpec::parameter("p_weight", "weight"),
                    InputSpec::buffer("b_count", "count", true),
                    InputSpec::buffer("b_scratch", "scratch", false),
                    InputSpec::user_input(ArgumentSpec::tensor("x")),
                ],
                vec![
                    OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("add"), Some("count")),
                    OutputSpec::user_output(ArgumentSpec::tensor("linear")),
                ],
            ),
        ),
        (
            "every_kind",
            sig(
                vec![
                    InputSpec {
                        kind: InputKind::Token,
                        arg: ArgumentSpec::Token { name: "token".into() },
                        target: None,
                        persistent: None,
                    },
                    InputSpec::parameter("p_w", "layer.w"),
                    InputSpec::buffer("b_m", "bn.running_mean", true),
                    InputSpec::constant_tensor("c_lifted_tensor_0", "lifted_tensor_0"),
                    InputSpec {
                        kind: InputKind::CustomObj,
                        arg: ArgumentSpec::CustomObj {
                            name: "obj_attr".into(),
                            class_fqn: "__torch__.torch.classes._TorchScriptTesting._Foo".into(),
                        },
                        target: Some("attr".into()),
                        persistent: None,
                    },
                    InputSpec::user_input(ArgumentSpec::tensor("x")),
                    InputSpec::user_input(ArgumentSpec::SymInt { name: "s0".into() }),
                    InputSpec::user_input(ArgumentSpec::SymFloat { name: "f0".into() }),
                    InputSpec::user_input(ArgumentSpec::SymBool { name: "b0".into() }),
                    InputSpec::user_input(ArgumentSpec::tensor("target")),
                ],
                vec![
                    OutputSpec {
                        kind: OutputKind::Token,
                        arg: ArgumentSpec::Token { name: "token_out".into() },
                        target: None,
                    },
                    OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor("add_1"), Some("bn.running_mean")),
                    OutputSpec::new(OutputKind::ParameterMutation, ArgumentSpec::tensor("mul"), Some("layer.w")),
                    OutputSpec::new(OutputKind::UserInputMutation, ArgumentSpec::tensor("copy"), Some("x")),
                    OutputSpec::new(OutputKind::LossOutput, ArgumentSpec::tensor("loss"), None),
                    OutputSpec::new(OutputKind::GradientToParameter, ArgumentSpec::tensor("grad_w"), Some("layer.w")),
                    OutputSpec::new(OutputKind::GradientToUserInput, ArgumentSpec::tensor("grad_t"), Some("target")),
                    OutputSpec::user_output(ArgumentSpec::SymInt { name: "sym_size".into() }),
                    OutputSpec::user_output(ArgumentSpec::CustomObj { name: "o".into(), class_fqn: "my.Obj".into() }),
                ],
            ),
        ),
        (
            "constants_and_edge_values",
            sig(
                vec![
                    constant_in("c_none", ConstantValue::None),
                    constant_in("c_min", ConstantValue::Int(i64::MIN)),
                    constant_in("c_max", ConstantValue::Int(i64::MAX)),
                    constant_in("c_neg_zero", ConstantValue::Float(-0.0)),
                    constant_in("c_inf", ConstantValue::Float(f64::INFINITY)),
                    constant_in("c_neg_inf", ConstantValue::Float(f64::NEG_INFINITY)),
                    constant_in("c_nan", ConstantValue::Float(f64::NAN)),
                    constant_in("c_tiny", ConstantValue::Float(5e-324)),
                    constant_in("c_third", ConstantValue::Float(1.0 / 3.0)),
                    constant_in("c_true", ConstantValue::Bool(true)),
                    constant_in("c_empty", ConstantValue::String(String::new())),
                    constant_in("c_text", ConstantValue::String("grüße, 名前, 🚀, \"quoted\"\n\u{0}".into())),
                    InputSpec::parameter("p_ünïcödé", "модуль.вес"),
                    InputSpec { target: Some(String::new()), ..InputSpec::user_input(ArgumentSpec::tensor("")) },
                ],
                vec![
                    OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::Float(-0.0))),
                    OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::Float(f64::NAN))),
                    OutputSpec::user_output(ArgumentSpec::constant("named", ConstantValue::String("s".into()))),
                    OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::None)),
                ],
            ),
        ),
    ]
}
