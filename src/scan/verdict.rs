//! The verdict of one pickle: every global it names and every call it makes, judged against
//! an allow-list (what torch's weights-only unpickler allows), never a deny-list.

use std::collections::BTreeSet;

use super::allowlist::WEIGHTS_ONLY;
use super::{CallReport, GlobalReport, LoadMode, Role, Verdict};
use crate::map::pickle::{ops, Callee, Op, Scan, Target};

/// What the allow-list makes of one global, in the context of the loader that reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// On torch's weights-only allow-list (or a TorchScript unpickler builtin).
    Allowed,
    /// `torch.ScriptObject`: a TorchScript custom object pickled by Python; its class's C++
    /// library runs when it is built.
    ScriptObject,
    /// A TorchScript class (`__torch__.…`), read by the TorchScript unpickler.
    TorchScriptClass,
    /// The class of an opaque object, as the program declares it.
    OpaqueClass,
    /// Anything else.
    Other,
}

impl Standing {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Standing::Allowed => "allowed",
            Standing::ScriptObject => "script-object",
            Standing::TorchScriptClass => "torchscript-class",
            Standing::OpaqueClass => "opaque-class",
            Standing::Other => "not-allowed",
        }
    }
}

/// The globals the TorchScript unpickler (`torch/csrc/jit/serialization/unpickler.cpp`)
/// resolves itself, beyond the weights-only list: its list builders and type tags.
const TORCHSCRIPT_BUILTINS: &[&str] = &[
    "torch.jit._pickle.build_boollist",
    "torch.jit._pickle.build_doublelist",
    "torch.jit._pickle.build_intlist",
    "torch.jit._pickle.build_tensor_from_id",
    "torch.jit._pickle.build_tensorlist",
    "torch.jit._pickle.restore_type_tag",
];

/// Python 2 module names that protocols 0 to 2 write and Python 3 (and torch's weights-only
/// unpickler) read under their new name.
fn python3_module(module: &str) -> &str {
    match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    }
}

/// `module.name` as the loader resolves it.
pub(crate) fn normalized(target: &Target) -> Option<String> {
    match target {
        Target::Global { module, name } => Some(format!("{}.{name}", python3_module(module))),
        _ => None,
    }
}

/// Whether torch's weights-only unpickler allows `name` in some release.
pub fn weights_only_allows(name: &str) -> bool {
    WEIGHTS_ONLY.binary_search_by(|(n, _, _)| (*n).cmp(name)).is_ok()
}

/// The releases whose weights-only unpickler allow `name` (first, last), if any.
pub fn weights_only_releases(name: &str) -> Option<(&'static str, &'static str)> {
    WEIGHTS_ONLY.binary_search_by(|(n, _, _)| (*n).cmp(name)).ok().map(|i| (WEIGHTS_ONLY[i].1, WEIGHTS_ONLY[i].2))
}

/// The context a pickle is judged in.
pub(crate) struct Context<'a> {
    pub(crate) mode: LoadMode,
    pub(crate) role: Role,
    /// The classes the program declares for its opaque objects (`class_fqn`).
    pub(crate) opaque_classes: &'a [String],
}

fn standing(name: &str, cx: &Context<'_>) -> Standing {
    if weights_only_allows(name) {
        return Standing::Allowed;
    }
    match cx.mode {
        LoadMode::TorchScript => {
            if TORCHSCRIPT_BUILTINS.contains(&name) {
                Standing::Allowed
            } else if name.starts_with("__torch__.") {
                Standing::TorchScriptClass
            } else {
                Standing::Other
            }
        }
        _ => {
            if name == "torch.ScriptObject" || name == "torch._C.ScriptObject" {
                Standing::ScriptObject
            } else if cx.role == Role::OpaqueObject && cx.opaque_classes.iter().any(|c| c == name) {
                Standing::OpaqueClass
            } else {
                Standing::Other
            }
        }
    }
}

/// What the listing of a pickle comes to.
pub(crate) struct Judged {
    pub(crate) globals: Vec<GlobalReport>,
    pub(crate) calls: Vec<CallReport>,
    pub(crate) verdict: Verdict,
    pub(crate) reasons: Vec<String>,
    pub(crate) classes: Vec<String>,
}

/// The most reasons kept per pickle (the globals and calls are all listed anyway).
const MAX_REASONS: usize = 32;

pub(crate) fn judge(bytes: &[u8], scan: &Scan, cx: &Context<'_>) -> Judged {
    let mut reasons: Vec<String> = Vec::new();
    let mut dangerous = false;
    let mut classes: BTreeSet<String> = BTreeSet::new();
    let mut script_objects = false;
    let reason = |r: String, reasons: &mut Vec<String>| {
        if reasons.len() < MAX_REASONS && !reasons.contains(&r) {
            reasons.push(r);
        }
    };

    let mut globals = Vec::with_capacity(scan.imports.len());
    for import in &scan.imports {
        let name = normalized(&import.target);
        let st = name.as_deref().map_or(Standing::Other, |n| standing(n, cx));
        match st {
            Standing::Allowed => {}
            Standing::Other => {
                dangerous = true;
                let what = match &name {
                    Some(n) => format!("imports {n} (byte {}, {})", import.offset, import.opcode),
                    None => format!("imports {} (byte {}, {})", import.target, import.offset, import.opcode),
                };
                reason(format!("{what}: not on torch's weights-only allow-list"), &mut reasons);
            }
            Standing::ScriptObject => script_objects = true,
            Standing::TorchScriptClass | Standing::OpaqueClass => {
                classes.insert(name.clone().unwrap_or_default());
            }
        }
        globals.push(GlobalReport {
            offset: import.offset as u64,
            opcode: import.opcode,
            name: name.unwrap_or_else(|| import.target.to_string()),
            standing: st.as_str(),
        });
    }

    let mut calls = Vec::with_capacity(scan.calls.len());
    for call in &scan.calls {
        let (target, st) = match &call.callee {
            Callee::Import { target, .. } => {
                let name = normalized(target);
                let st = name.as_deref().map_or(Standing::Other, |n| standing(n, cx));
                (name.unwrap_or_else(|| target.to_string()), st)
            }
            Callee::ResultOf { offset } => (format!("the result of the call at byte {offset}"), Standing::Other),
            Callee::Unknown => ("a value that is not a global".to_owned(), Standing::Other),
        };
        match st {
            Standing::Allowed | Standing::TorchScriptClass => {}
            Standing::ScriptObject | Standing::OpaqueClass => {
                // Made with `cls.__new__(cls)` and given its state: what pickle writes for an
                // object of a class. A REDUCE would call the global with arguments of the
                // pickle's choosing, which no class needs.
                if !matches!(call.opcode, "NEWOBJ" | "NEWOBJ_EX" | "BUILD") {
                    dangerous = true;
                    reason(format!("calls {target} with {} (byte {})", call.opcode, call.offset), &mut reasons);
                }
            }
            Standing::Other => {
                dangerous = true;
                reason(format!("calls {target} ({} at byte {})", call.opcode, call.offset), &mut reasons);
            }
        }
        calls.push(CallReport { offset: call.offset as u64, opcode: call.opcode, target, standing: st.as_str() });
    }

    if script_objects {
        let named = script_object_classes(bytes);
        if named.is_empty() {
            classes.insert("torch.ScriptObject (class not named in the pickle)".to_owned());
        }
        classes.extend(named);
    }

    let verdict = if dangerous {
        Verdict::Dangerous
    } else if let Some(e) = &scan.error {
        reasons.insert(0, format!("cannot be read to its end: {e}"));
        Verdict::Malformed
    } else if !classes.is_empty() {
        let what = match cx.mode {
            LoadMode::TorchScript => "TorchScript class",
            _ if script_objects => "TorchScript custom class (a torch.ScriptObject)",
            _ => "opaque-object class",
        };
        for c in &classes {
            reason(format!("builds an object of the {what} {c}: loading runs that class's code"), &mut reasons);
        }
        Verdict::NeedsTrust
    } else {
        Verdict::Safe
    };
    if verdict == Verdict::Dangerous {
        if let Some(e) = &scan.error {
            reason(format!("and cannot be read to its end: {e}"), &mut reasons);
        }
    }
    Judged { globals, calls, verdict, reasons, classes: classes.into_iter().collect() }
}

/// The TorchScript classes a Python pickle of `torch.ScriptObject` names: its state carries
/// the qualified name of the class, `__torch__.torch.classes.<namespace>.<class>`.
fn script_object_classes(bytes: &[u8]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for op in ops(bytes) {
        let Ok((_, op)) = op else { break };
        let text = match op {
            Op::ShortBinUnicode(b)
            | Op::BinUnicode(b)
            | Op::BinUnicode8(b)
            | Op::ShortBinString(b)
            | Op::BinString(b) => b,
            _ => continue,
        };
        if let Ok(s) = std::str::from_utf8(text) {
            if s.starts_with("__torch__.torch.classes.") && found.len() < MAX_REASONS {
                found.insert(s.to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_is_sorted_for_binary_search() {
        assert!(WEIGHTS_ONLY.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(weights_only_allows("torch._utils._rebuild_tensor_v2"));
        assert!(weights_only_allows("collections.OrderedDict"));
        assert!(!weights_only_allows("posix.system"));
        assert!(!weights_only_allows("builtins.eval"));
    }
}
