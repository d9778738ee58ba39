//! Consistency checks of an archive map, each with a stable rule code (`docs/map.md`).
//! Users compare codes, not messages.

use std::collections::HashSet;

use serde::Serialize;

use super::meta::{SymInt, ValueMeta};
use super::program::GraphValue;
use super::ArchiveMap;
use crate::model::{ArgumentSpec, InputKind};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing: torch itself loads such archives.
    Warning,
    /// The archive does not hold what its signature says.
    Error,
}

/// Which rules apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// What every torch archive must satisfy.
    #[default]
    Default,
    /// Also torch's canonical input order, which runtimes such as torch's C++ NativeRT
    /// require.
    Strict,
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable code, e.g. `map-missing-payload`.
    pub code: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// Where: `inputs[3]`, `outputs[0]`, a payload's name, a symbol.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

/// Every rule code, with its severity and what it checks.
pub const RULES: &[(&str, Severity, &str)] = &[
    ("map-input-names", Severity::Error, "the signature's input names equal the graph's placeholders, in order"),
    ("map-output-args", Severity::Error, "the signature's output arguments equal the graph's outputs, in order"),
    ("map-missing-payload", Severity::Error, "every lifted tensor and object target has a payload"),
    ("map-payload-meta", Severity::Error, "a payload's dtype and shape equal its placeholder's"),
    ("map-unreferenced-payload", Severity::Warning, "a payload no spec references"),
    ("map-unknown-symbol", Severity::Warning, "a range constraint names a symbol no input size uses"),
    ("map-canonical-order", Severity::Error, "inputs in torch's canonical order (strict profile only)"),
];

fn finding(code: &'static str, at: impl Into<String>, message: impl Into<String>) -> Finding {
    let severity = RULES.iter().find(|r| r.0 == code).map_or(Severity::Error, |r| r.1);
    Finding { code, severity, at: at.into(), message: message.into() }
}

/// A graph value as the checks compare it: its name, or its constant value.
fn shown(v: &GraphValue) -> String {
    match v {
        GraphValue::Constant(c) => format!("constant {c:?}"),
        GraphValue::Other(tag) => format!("<{tag}>"),
        named => format!("{:?}", named.name().unwrap_or_default()),
    }
}

fn spec_shown(arg: &ArgumentSpec) -> String {
    match arg {
        ArgumentSpec::Constant { value, .. } => format!("constant {value:?}"),
        other => format!("{:?}", other.name()),
    }
}

/// Whether a spec's argument is the graph value: the same name, or equal constants.
fn same(arg: &ArgumentSpec, v: &GraphValue) -> bool {
    match (arg, v) {
        (ArgumentSpec::Constant { value, .. }, GraphValue::Constant(c)) => value == c,
        // torch 2.2/2.3 wrote constant inputs as placeholders of their own name.
        (ArgumentSpec::Constant { name, .. }, named) if name.is_empty() => named.name().is_some(),
        (arg, v) => v.name() == Some(arg.name()),
    }
}

pub(crate) fn check(map: &ArchiveMap, profile: Profile) -> Vec<Finding> {
    let mut out = Vec::new();
    let sig = &map.signature;
    if let Some(program) = &map.program {
        for (what, code, args, graph) in [
            (
                "inputs",
                "map-input-names",
                sig.input_specs().iter().map(|s| &s.arg).collect::<Vec<_>>(),
                &program.inputs,
            ),
            ("outputs", "map-output-args", sig.output_specs().iter().map(|s| &s.arg).collect(), &program.outputs),
        ] {
            if args.len() != graph.len() {
                out.push(finding(
                    code,
                    what,
                    format!("the signature has {} {what}, the graph {}", args.len(), graph.len()),
                ));
            }
            for (i, (arg, v)) in args.iter().zip(graph).enumerate() {
                if !same(arg, v) {
                    out.push(finding(
                        code,
                        format!("{what}[{i}]"),
                        format!("the signature says {}, the graph {}", spec_shown(arg), shown(v)),
                    ));
                }
            }
        }
    }
    let mut referenced = HashSet::new();
    for (i, spec) in sig.input_specs().iter().enumerate() {
        let Some(target) = spec.target.as_deref() else { continue };
        let at = format!("inputs[{i}]");
        match spec.kind {
            InputKind::Parameter | InputKind::Buffer | InputKind::ConstantTensor => {
                referenced.insert(target);
                let Some(payload) = map.payloads.tensor(target) else {
                    out.push(finding(
                        "map-missing-payload",
                        at,
                        format!("no payload for the {} {target:?}", spec.kind),
                    ));
                    continue;
                };
                if let Some(ValueMeta::Tensor(meta)) = &map.inputs_meta[i] {
                    let sizes: Option<Vec<i64>> = meta.sizes.iter().map(SymInt::as_int).collect();
                    if meta.dtype != payload.dtype || sizes.as_ref().is_some_and(|s| *s != payload.shape) {
                        out.push(finding(
                            "map-payload-meta",
                            at.clone(),
                            format!(
                                "the placeholder is {} {}, the payload {target:?} {} {:?}",
                                meta.dtype,
                                meta.shape_text(),
                                payload.dtype,
                                payload.shape
                            ),
                        ));
                    }
                }
            }
            InputKind::CustomObj => {
                referenced.insert(target);
                if map.payloads.object(target).is_none() {
                    out.push(finding(
                        "map-missing-payload",
                        at,
                        format!("no payload for the custom object {target:?}"),
                    ));
                }
            }
            _ => {}
        }
    }
    for t in &map.payloads.tensors {
        if !referenced.contains(t.name.as_str()) {
            out.push(finding("map-unreferenced-payload", t.name.clone(), "a tensor payload no input spec references"));
        }
    }
    for o in &map.payloads.objects {
        if !referenced.contains(o.name.as_str()) {
            out.push(finding("map-unreferenced-payload", o.name.clone(), "an object payload no input spec references"));
        }
    }
    if let Some(program) = &map.program {
        let mut used = HashSet::new();
        for meta in map.inputs_meta.iter().chain(&map.outputs_meta).flatten() {
            if let ValueMeta::Tensor(t) = meta {
                for s in t.sizes.iter().chain(&t.strides) {
                    if let SymInt::Expr(e) = s {
                        used.extend(e.symbols().into_iter().map(str::to_owned));
                    }
                }
            }
            if let ValueMeta::SymInt { value: SymInt::Expr(e) } = meta {
                used.extend(e.symbols().into_iter().map(str::to_owned));
            }
        }
        for r in &program.range_constraints {
            if !used.contains(&r.symbol) {
                out.push(finding(
                    "map-unknown-symbol",
                    r.symbol.clone(),
                    "no size of an input or output uses this symbol",
                ));
            }
        }
    }
    if profile == Profile::Strict {
        let rank = |spec: &crate::InputSpec| match spec.kind {
            InputKind::Token => 0,
            InputKind::Parameter => 1,
            InputKind::Buffer if spec.persistent != Some(false) => 2,
            InputKind::Buffer => 3,
            InputKind::ConstantTensor => 4,
            InputKind::CustomObj => 5,
            InputKind::UserInput => 6,
        };
        let mut highest = (0, 0usize);
        for (i, spec) in sig.input_specs().iter().enumerate() {
            let r = rank(spec);
            if r < highest.0 {
                out.push(finding(
                    "map-canonical-order",
                    format!("inputs[{i}]"),
                    format!("a {} after inputs[{}] (torch's canonical order: tokens, parameters, persistent buffers, non-persistent buffers, constants, custom objects, user inputs)", spec.kind, highest.1),
                ));
            } else {
                highest = (r, i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::{BindingPlan, PayloadIndex};
    use crate::{ArgumentSpec, ExportGraphSignature, InputSpec};

    fn map_of(inputs: Vec<InputSpec>) -> ArchiveMap {
        let signature = ExportGraphSignature::new(inputs, vec![]).unwrap();
        let n = signature.input_specs().len();
        ArchiveMap {
            model: "model".into(),
            layout: crate::archive::pt2::Layout::LegacyZip,
            schema_version: None,
            signature,
            program: None,
            inputs_meta: vec![None; n],
            outputs_meta: vec![],
            payloads: PayloadIndex::default(),
            plan: BindingPlan::default(),
        }
    }

    #[test]
    fn the_strict_profile_wants_torchs_canonical_input_order() {
        let canonical = map_of(vec![
            InputSpec::parameter("p", "w"),
            InputSpec::buffer("b", "b", true),
            InputSpec::buffer("c", "c", false),
            InputSpec::user_input(ArgumentSpec::tensor("x")),
        ]);
        let codes = |m: &ArchiveMap, p| m.check(p).into_iter().map(|f| (f.code, f.at)).collect::<Vec<_>>();
        // Every payload is missing (an empty index), but the order is right.
        assert!(!codes(&canonical, Profile::Strict).iter().any(|(c, _)| *c == "map-canonical-order"));
        let swapped = map_of(vec![
            InputSpec::user_input(ArgumentSpec::tensor("x")),
            InputSpec::buffer("c", "c", false),
            InputSpec::buffer("b", "b", true),
            InputSpec::parameter("p", "w"),
        ]);
        let strict = codes(&swapped, Profile::Strict);
        let order: Vec<&str> =
            strict.iter().filter(|(c, _)| *c == "map-canonical-order").map(|(_, at)| at.as_str()).collect();
        assert_eq!(order, ["inputs[1]", "inputs[2]", "inputs[3]"]);
        assert!(!codes(&swapped, Profile::Default).iter().any(|(c, _)| *c == "map-canonical-order"));
        assert_eq!(strict.iter().filter(|(c, _)| *c == "map-missing-payload").count(), 3);
    }
}
