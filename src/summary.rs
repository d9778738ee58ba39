//! A summary of a large signature: counts per kind, and parameters and buffers grouped by
//! module, with layer indices folded (`layers.*.self_attn.q_proj`), so a 100,000-spec
//! signature reads in a screenful.
//!
//! ```
//! use graph_signature::summary::Summary;
//! use graph_signature::{ExportGraphSignature, InputSpec};
//! let sig = ExportGraphSignature::new(
//!     (0..3).map(|i| InputSpec::parameter(format!("p{i}"), format!("layers.{i}.mlp.weight"))).collect(),
//!     vec![],
//! )?;
//! let s = Summary::of(&sig);
//! assert_eq!(s.modules[0].module, "layers.*.mlp");
//! assert_eq!(s.modules[0].parameters, 3);
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::{ExportGraphSignature, InputKind, OutputKind};

/// Parameters and buffers of one module pattern.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModuleGroup {
    /// The module path with numeric components folded to `*` (`""` for top-level state).
    pub module: String,
    /// How many module instances matched (e.g. the number of layers).
    pub instances: usize,
    /// PARAMETER inputs.
    pub parameters: usize,
    /// BUFFER inputs.
    pub buffers: usize,
    /// Of which not persistent.
    pub non_persistent_buffers: usize,
}

/// Counts per kind and state per module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Input count per kind, in torch's kind order (kinds that occur only).
    pub inputs: IndexMap<String, usize>,
    /// Output count per kind, in torch's kind order (kinds that occur only).
    pub outputs: IndexMap<String, usize>,
    /// Parameters and buffers by module pattern, in order of first appearance.
    pub modules: Vec<ModuleGroup>,
}

/// `layers.0.attn.q.weight` → (`layers.*.attn.q`, `layers.0.attn.q`).
fn module_of(target: &str) -> (String, &str) {
    let module = target.rsplit_once('.').map_or("", |(m, _)| m);
    let pattern: Vec<&str> = module
        .split('.')
        .map(|part| if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) { "*" } else { part })
        .collect();
    (pattern.join("."), module)
}

impl Summary {
    /// Summarises a signature.
    pub fn of(sig: &ExportGraphSignature) -> Self {
        let mut inputs: IndexMap<String, usize> = InputKind::ALL.iter().map(|k| (k.to_string(), 0)).collect();
        let mut outputs: IndexMap<String, usize> = OutputKind::ALL.iter().map(|k| (k.to_string(), 0)).collect();
        let mut groups: IndexMap<String, (ModuleGroup, std::collections::HashSet<String>)> = IndexMap::new();
        for spec in sig.input_specs() {
            *inputs.get_mut(spec.kind.torch_name()).expect("every kind") += 1;
            let (InputKind::Parameter | InputKind::Buffer, Some(target)) = (spec.kind, &spec.target) else { continue };
            let (pattern, module) = module_of(target);
            let (group, seen) = groups
                .entry(pattern.clone())
                .or_insert_with(|| (ModuleGroup { module: pattern, ..ModuleGroup::default() }, Default::default()));
            if seen.insert(module.to_owned()) {
                group.instances += 1;
            }
            if spec.kind == InputKind::Parameter {
                group.parameters += 1;
            } else {
                group.buffers += 1;
                if spec.persistent == Some(false) {
                    group.non_persistent_buffers += 1;
                }
            }
        }
        for spec in sig.output_specs() {
            *outputs.get_mut(spec.kind.torch_name()).expect("every kind") += 1;
        }
        inputs.retain(|_, n| *n > 0);
        outputs.retain(|_, n| *n > 0);
        Summary { inputs, outputs, modules: groups.into_values().map(|(g, _)| g).collect() }
    }
}

fn counts(f: &mut fmt::Formatter<'_>, title: &str, counts: &IndexMap<String, usize>) -> fmt::Result {
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(f, "{title}: {total}{}", if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        counts(f, "inputs", &self.inputs)?;
        counts(f, "outputs", &self.outputs)?;
        if self.modules.is_empty() {
            return Ok(());
        }
        writeln!(f, "parameters and buffers by module:")?;
        let width = self.modules.iter().map(|g| g.module.len().max(6)).max().unwrap_or(6);
        for g in &self.modules {
            let module = if g.module.is_empty() { "(top)" } else { &g.module };
            let mut what = Vec::new();
            if g.parameters > 0 {
                what.push(format!("{} parameter{}", g.parameters, if g.parameters == 1 { "" } else { "s" }));
            }
            if g.buffers > 0 {
                let np = if g.non_persistent_buffers > 0 {
                    format!(" ({} non-persistent)", g.non_persistent_buffers)
                } else {
                    String::new()
                };
                what.push(format!("{} buffer{}{np}", g.buffers, if g.buffers == 1 { "" } else { "s" }));
            }
            let times = if g.instances > 1 { format!(" in {} modules", g.instances) } else { String::new() };
            writeln!(f, "  {module:<width$}  {}{times}", what.join(", "))?;
        }
        Ok(())
    }
}
