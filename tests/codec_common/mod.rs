//! Shared by the codec tests: strategies for arbitrary valid signatures and the fixed set of
//! signatures behind the golden files.
#![allow(dead_code)]

use graph_signature::codec::Document;
use graph_signature::model::meta::{
    Device, Dtype, Hint, Layout, RangeConstraint, SignatureMeta, SymExpr, SymInt, SymScalar, TensorMeta, ValueMeta,
};
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

// ---------- schema 1.1: metadata ----------

/// A hint: any int, any float (every special), any bool.
pub fn hint() -> impl Strategy<Value = Hint> {
    prop_oneof![any::<i64>().prop_map(Hint::Int), float().prop_map(Hint::Float), any::<bool>().prop_map(Hint::Bool)]
}

/// Expressions as torch writes them: plain symbols, arithmetic, sympy functions and sympy's
/// `srepr` form (torch 2.8+), with or without a hint.
pub fn sym_expr() -> BoxedStrategy<SymExpr> {
    let symbol = "[su][0-9]{1,3}";
    let text = prop_oneof![
        symbol.prop_map(|s| s),
        (1..9i64, symbol, 0..5i64).prop_map(|(a, s, b)| format!("{a}*{s} + {b}")),
        (symbol, symbol).prop_map(|(a, b)| format!("Max({a}, FloorDiv({b}, 2))")),
        symbol.prop_map(|s| format!("Symbol('{s}', positive=True, integer=True)")),
        // Quoted text may hold anything but quotes and control characters, brackets too.
        (symbol, "\\PC{0,4}").prop_map(|(s, t)| format!("{s} + ('{}')", t.replace(['\'', '"'], ""))),
    ];
    // Boxed, as the strategies below: the nested types are deep enough to overflow a test
    // thread's stack in a debug build otherwise.
    (text, proptest::option::of(hint())).prop_map(|(e, h)| SymExpr::new(e, h)).boxed()
}

pub fn sym_int() -> BoxedStrategy<SymInt> {
    prop_oneof![
        prop_oneof![Just(0i64), Just(1), Just(-1), Just(i64::MAX), any::<i64>()].prop_map(SymInt::Int),
        sym_expr().prop_map(SymInt::Expr),
    ]
    .boxed()
}

pub fn sym_scalar() -> impl Strategy<Value = SymScalar> {
    prop_oneof![hint().prop_map(SymScalar::Known), sym_expr().prop_map(SymScalar::Expr)]
}

/// Dtypes torch names and numbers it does not (kept as they are).
pub fn dtype() -> impl Strategy<Value = Dtype> {
    prop_oneof![(0..40i64).prop_map(Dtype::from_schema), any::<i64>().prop_map(Dtype::from_schema)]
}

pub fn tensor_meta() -> BoxedStrategy<TensorMeta> {
    let dims = || prop::collection::vec(sym_int(), 0..5);
    let device = (
        prop_oneof![Just("cpu".to_owned()), Just("cuda".to_owned()), Just("meta".to_owned()), name()],
        proptest::option::of(prop_oneof![Just(0i64), any::<i64>()]),
    )
        .prop_map(|(kind, index)| Device { kind, index });
    let layout = prop_oneof![(0..9i64).prop_map(Layout::from_schema), any::<i64>().prop_map(Layout::from_schema)];
    (dtype(), dims(), dims(), sym_int(), device, layout, any::<bool>())
        .prop_map(|(dtype, sizes, strides, storage_offset, device, layout, requires_grad)| TensorMeta {
            dtype,
            sizes,
            strides,
            storage_offset,
            device,
            layout,
            requires_grad,
        })
        .boxed()
}

/// Every `ValueMeta` variant.
pub fn value_meta() -> BoxedStrategy<ValueMeta> {
    prop_oneof![
        tensor_meta().prop_map(ValueMeta::Tensor),
        sym_int().prop_map(|value| ValueMeta::SymInt { value }),
        sym_scalar().prop_map(|value| ValueMeta::SymFloat { value }),
        sym_scalar().prop_map(|value| ValueMeta::SymBool { value }),
        name().prop_map(|class_fqn| ValueMeta::CustomObj { class_fqn }),
        constant().prop_map(|value| ValueMeta::Constant { value }),
        Just(ValueMeta::Token),
    ]
    .boxed()
}

pub fn range_constraint() -> impl Strategy<Value = RangeConstraint> {
    let bound = proptest::option::of(prop_oneof![Just(0i64), Just(2), Just(i64::MAX), any::<i64>()]);
    ("[su][0-9]{1,3}", bound.clone(), bound).prop_map(|(symbol, min, max)| RangeConstraint { symbol, min, max })
}

/// Metadata aligned with `inputs` and `outputs` specs (some entries unknown).
pub fn meta_for(inputs: usize, outputs: usize) -> BoxedStrategy<SignatureMeta> {
    let entry = || proptest::option::of(value_meta());
    (
        prop::collection::vec(entry(), inputs),
        prop::collection::vec(entry(), outputs),
        prop::collection::vec(range_constraint(), 0..4),
    )
        .prop_map(|(inputs, outputs, range_constraints)| SignatureMeta { inputs, outputs, range_constraints })
        .boxed()
}

/// A document: an arbitrary signature, with aligned metadata or none.
pub fn document() -> BoxedStrategy<Document> {
    signature()
        .prop_flat_map(|sig| {
            let (i, o) = (sig.input_specs().len(), sig.output_specs().len());
            (Just(sig), proptest::option::of(meta_for(i, o))).prop_map(|(signature, meta)| Document { signature, meta })
        })
        .boxed()
}

/// What JSON gives back for a document: every NaN (constants, hints) becomes `f64::NAN`.
pub fn json_canonical_doc(doc: &Document) -> Document {
    let nan = |f: f64| if f.is_nan() { f64::NAN } else { f };
    let hint = |h: Hint| match h {
        Hint::Float(f) => Hint::Float(nan(f)),
        other => other,
    };
    let expr = |e: &SymExpr| SymExpr { hint: e.hint.map(hint), ..e.clone() };
    let sym_int = |v: &SymInt| match v {
        SymInt::Expr(e) => SymInt::Expr(expr(e)),
        other => other.clone(),
    };
    let scalar = |v: &SymScalar| match v {
        SymScalar::Known(h) => SymScalar::Known(hint(*h)),
        SymScalar::Expr(e) => SymScalar::Expr(expr(e)),
    };
    let entry = |m: &Option<ValueMeta>| {
        m.as_ref().map(|m| match m {
            ValueMeta::Tensor(t) => ValueMeta::Tensor(TensorMeta {
                sizes: t.sizes.iter().map(sym_int).collect(),
                strides: t.strides.iter().map(sym_int).collect(),
                storage_offset: sym_int(&t.storage_offset),
                ..t.clone()
            }),
            ValueMeta::SymInt { value } => ValueMeta::SymInt { value: sym_int(value) },
            ValueMeta::SymFloat { value } => ValueMeta::SymFloat { value: scalar(value) },
            ValueMeta::SymBool { value } => ValueMeta::SymBool { value: scalar(value) },
            ValueMeta::Constant { value: ConstantValue::Float(f) } => {
                ValueMeta::Constant { value: ConstantValue::Float(nan(*f)) }
            }
            other => other.clone(),
        })
    };
    Document {
        signature: json_canonical(&doc.signature),
        meta: doc.meta.as_ref().map(|m| SignatureMeta {
            inputs: m.inputs.iter().map(entry).collect(),
            outputs: m.outputs.iter().map(entry).collect(),
            range_constraints: m.range_constraints.clone(),
        }),
    }
}

fn tensor(dtype: Dtype, sizes: Vec<SymInt>, strides: Vec<SymInt>) -> ValueMeta {
    ValueMeta::Tensor(TensorMeta {
        dtype,
        sizes,
        strides,
        storage_offset: SymInt::Int(0),
        device: Device { kind: "cpu".into(), index: None },
        layout: Layout::Strided,
        requires_grad: false,
    })
}

fn expr(text: &str, hint: Option<Hint>) -> SymInt {
    SymInt::Expr(SymExpr::new(text, hint))
}

/// The fixed documents behind tests/golden/v1.1/: name and document, each with metadata.
/// NEVER change one that has golden files; add new ones with new names.
pub fn golden_documents() -> Vec<(&'static str, Document)> {
    let linear = golden_signatures().into_iter().find(|(n, _)| *n == "linear_with_buffer_mutation").unwrap().1;
    let every_kind = golden_signatures().into_iter().find(|(n, _)| *n == "every_kind").unwrap().1;
    let s0 = || expr("s0", Some(Hint::Int(8)));
    let linear_meta = SignatureMeta {
        inputs: vec![
            Some(ValueMeta::Tensor(TensorMeta {
                requires_grad: true,
                ..match tensor(
                    Dtype::Float32,
                    vec![SymInt::Int(4), SymInt::Int(3)],
                    vec![SymInt::Int(3), SymInt::Int(1)],
                ) {
                    ValueMeta::Tensor(t) => t,
                    _ => unreachable!(),
                }
            })),
            Some(tensor(Dtype::Int64, vec![], vec![])),
            Some(ValueMeta::Tensor(TensorMeta {
                device: Device { kind: "cuda".into(), index: Some(0) },
                ..match tensor(Dtype::Bfloat16, vec![SymInt::Int(4)], vec![SymInt::Int(1)]) {
                    ValueMeta::Tensor(t) => t,
                    _ => unreachable!(),
                }
            })),
            Some(tensor(Dtype::Float32, vec![s0(), SymInt::Int(3)], vec![SymInt::Int(3), SymInt::Int(1)])),
        ],
        outputs: vec![
            Some(tensor(Dtype::Int64, vec![], vec![])),
            Some(tensor(Dtype::Float32, vec![s0(), SymInt::Int(4)], vec![SymInt::Int(4), SymInt::Int(1)])),
        ],
        range_constraints: vec![RangeConstraint { symbol: "s0".into(), min: Some(2), max: None }],
    };
    let srepr = "Symbol('s77', positive=True, integer=True)";
    let every_meta = SignatureMeta {
        inputs: vec![
            Some(ValueMeta::Token),
            // Unknown dtype and layout numbers, kept as they are; a sparse layout.
            Some(ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::Unknown(99),
                sizes: vec![SymInt::Int(2), SymInt::Int(i64::MAX)],
                strides: vec![SymInt::Int(-1), SymInt::Int(0)],
                storage_offset: SymInt::Int(5),
                device: Device { kind: "meta".into(), index: None },
                layout: Layout::Unknown(42),
                requires_grad: true,
            })),
            Some(ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::Unknown(0),
                sizes: vec![],
                strides: vec![],
                storage_offset: SymInt::Int(0),
                device: Device { kind: "cuda".into(), index: Some(1) },
                layout: Layout::SparseCsr,
                requires_grad: false,
            })),
            None,
            Some(ValueMeta::CustomObj { class_fqn: "__torch__.torch.classes._TorchScriptTesting._Foo".into() }),
            // Symbolic sizes, strides and offset, sympy's srepr form among them.
            Some(ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::Float8E4m3fn,
                sizes: vec![expr(srepr, Some(Hint::Int(3))), expr("2*s1 + 1", None), SymInt::Int(1)],
                strides: vec![expr("2*s1 + 1", None), SymInt::Int(1), SymInt::Int(1)],
                storage_offset: expr("Max(1, s1)", Some(Hint::Int(1))),
                device: Device { kind: "cpu".into(), index: None },
                layout: Layout::Strided,
                requires_grad: false,
            })),
            Some(ValueMeta::SymInt { value: expr("s0", Some(Hint::Int(-3))) }),
            Some(ValueMeta::SymFloat { value: SymScalar::Expr(SymExpr::new("zuf0", Some(Hint::Float(-0.0)))) }),
            Some(ValueMeta::SymBool { value: SymScalar::Expr(SymExpr::new("Eq(s0, 3)", Some(Hint::Bool(true)))) }),
            None,
        ],
        outputs: vec![
            Some(ValueMeta::Token),
            Some(ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::Complex64,
                sizes: vec![SymInt::Int(4)],
                strides: vec![SymInt::Int(1)],
                storage_offset: SymInt::Int(0),
                device: Device { kind: "mps".into(), index: Some(0) },
                layout: Layout::Strided,
                requires_grad: false,
            })),
            None,
            None,
            Some(ValueMeta::Tensor(TensorMeta {
                dtype: Dtype::Float64,
                sizes: vec![],
                strides: vec![],
                storage_offset: SymInt::Int(0),
                device: Device { kind: "cpu".into(), index: None },
                layout: Layout::Strided,
                requires_grad: true,
            })),
            None,
            None,
            Some(ValueMeta::SymInt { value: SymInt::Int(7) }),
            Some(ValueMeta::CustomObj { class_fqn: "my.Obj".into() }),
        ],
        range_constraints: vec![
            RangeConstraint { symbol: "s0".into(), min: Some(0), max: Some(i64::MAX) },
            RangeConstraint { symbol: "s1".into(), min: None, max: Some(64) },
            RangeConstraint { symbol: "s77".into(), min: Some(2), max: None },
            RangeConstraint { symbol: "zuf0".into(), min: None, max: None },
        ],
    };
    let constants = ExportGraphSignature::new(
        vec![
            constant_in("c_inf", ConstantValue::Float(f64::INFINITY)),
            constant_in("c_text", ConstantValue::String("名前".into())),
            InputSpec::user_input(ArgumentSpec::SymFloat { name: "f0".into() }),
            InputSpec::user_input(ArgumentSpec::SymFloat { name: "f1".into() }),
            InputSpec::user_input(ArgumentSpec::SymBool { name: "b0".into() }),
        ],
        vec![OutputSpec::user_output(ArgumentSpec::constant("", ConstantValue::Float(f64::NEG_INFINITY)))],
    )
    .unwrap();
    let constants_meta = SignatureMeta {
        inputs: vec![
            Some(ValueMeta::Constant { value: ConstantValue::Float(f64::INFINITY) }),
            Some(ValueMeta::Constant { value: ConstantValue::String("名前".into()) }),
            Some(ValueMeta::SymFloat { value: SymScalar::Known(Hint::Float(f64::NAN)) }),
            Some(ValueMeta::SymFloat {
                value: SymScalar::Expr(SymExpr::new("zuf1/2", Some(Hint::Float(f64::NEG_INFINITY)))),
            }),
            Some(ValueMeta::SymBool { value: SymScalar::Known(Hint::Bool(false)) }),
        ],
        outputs: vec![Some(ValueMeta::Constant { value: ConstantValue::Float(f64::NEG_INFINITY) })],
        range_constraints: vec![],
    };
    vec![
        ("linear_with_symbolic_batch", Document::with_meta(linear.clone(), linear_meta)),
        ("every_value_meta", Document::with_meta(every_kind, every_meta)),
        ("constants_and_non_finite_hints", Document::with_meta(constants, constants_meta)),
        // Metadata that records nothing but is there: still 1.1, every entry unknown.
        (
            "all_unknown",
            Document::with_meta(
                linear.clone(),
                SignatureMeta { inputs: vec![None; 4], outputs: vec![None; 2], range_constraints: vec![] },
            ),
        ),
        (
            "empty_with_range_constraints",
            Document::with_meta(
                ExportGraphSignature::empty(),
                SignatureMeta {
                    range_constraints: vec![RangeConstraint {
                        symbol: "s0".into(),
                        min: Some(i64::MIN),
                        max: Some(-1),
                    }],
                    ..SignatureMeta::default()
                },
            ),
        ),
    ]
}
