//! Human-oriented renderings: the aligned table of `inspect --table`, and the validation
//! report of `validate`.

use std::fmt::Write as _;

use graph_signature::archive::pt2::Layout;
use graph_signature::map::{ArchiveMap, Destination, Encoding, Finding, Severity, Source, ValueMeta};
use graph_signature::{ExportGraphSignature, InputKind, OutputKind, Violation};

/// ANSI styling, on only when asked for (a terminal, and NO_COLOR unset).
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when standard output is a terminal and NO_COLOR is unset or empty
    /// (<https://no-color.org>).
    pub fn for_stdout() -> Self {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style { color: std::io::stdout().is_terminal() && !no_color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn input_color(kind: InputKind) -> &'static str {
    match kind {
        InputKind::UserInput => "1",       // bold
        InputKind::Parameter => "34",      // blue
        InputKind::Buffer => "36",         // cyan
        InputKind::ConstantTensor => "35", // magenta
        InputKind::CustomObj => "33",      // yellow
        InputKind::Token => "2",           // dim
    }
}

fn output_color(kind: OutputKind) -> &'static str {
    match kind {
        OutputKind::UserOutput => "1",
        OutputKind::LossOutput => "31",
        OutputKind::BufferMutation | OutputKind::ParameterMutation | OutputKind::UserInputMutation => "33",
        OutputKind::GradientToParameter | OutputKind::GradientToUserInput => "32",
        OutputKind::Token => "2",
    }
}

/// Rows of cells, aligned by display width (characters), the last column unpadded; the
/// header underlined and each row's kind column (index 2) in its colour.
fn table(out: &mut String, header: &[&str], rows: &[(Vec<String>, &'static str)], style: Style) {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for (row, _) in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |out: &mut String, cells: &[String], paint: &dyn Fn(usize, &str) -> String| {
        let last = cells.len() - 1;
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = if i == last { String::new() } else { " ".repeat(widths[i] - width(cell)) };
                format!("{}{pad}", paint(i, cell))
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    line(out, &header, &|_, cell| style.paint("4", cell));
    for (row, color) in rows {
        line(out, row, &|i, cell| if i == 2 { style.paint(color, cell) } else { cell.to_owned() });
    }
}

/// The dtype and shape columns of a value's metadata (empty when there is none).
fn meta_cells(meta: Option<&ValueMeta>) -> [String; 2] {
    match meta {
        Some(ValueMeta::Tensor(t)) => [t.dtype.to_string(), t.shape_text()],
        Some(ValueMeta::SymInt { value }) => ["SymInt".to_owned(), value.to_string()],
        Some(ValueMeta::SymFloat { .. }) => ["SymFloat".to_owned(), String::new()],
        Some(ValueMeta::SymBool { .. }) => ["SymBool".to_owned(), String::new()],
        Some(ValueMeta::CustomObj { class_fqn }) => [class_fqn.clone(), String::new()],
        _ => [String::new(), String::new()],
    }
}

/// `inspect --table`: inputs and outputs as aligned columns; with the program's metadata
/// (an archive), dtype and shape columns too.
pub fn render_table(sig: &ExportGraphSignature, meta: Option<&ArchiveMap>, style: Style) -> String {
    let mut out = String::new();
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let rows: Vec<(Vec<String>, &'static str)> = sig
        .input_specs()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let persistent = match s.persistent {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            };
            let arg = s.arg.arg_type().torch_name().trim_end_matches("Argument").to_owned();
            let mut row = vec![
                i.to_string(),
                s.arg.name().to_owned(),
                s.kind.to_string(),
                opt(&s.target),
                persistent.to_owned(),
                arg,
            ];
            if let Some(map) = meta {
                row.extend(meta_cells(map.inputs_meta.get(i).and_then(Option::as_ref)));
            }
            (row, input_color(s.kind))
        })
        .collect();
    let _ = writeln!(out, "inputs ({})", rows.len());
    let mut header = vec!["#", "name", "kind", "target", "persistent", "argument"];
    if meta.is_some() {
        header.extend(["dtype", "shape"]);
    }
    table(&mut out, &header, &rows, style);
    let rows: Vec<(Vec<String>, &'static str)> = sig
        .output_specs()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let arg = s.arg.arg_type().torch_name().trim_end_matches("Argument").to_owned();
            let mut row = vec![i.to_string(), s.arg.name().to_owned(), s.kind.to_string(), opt(&s.target), arg];
            if let Some(map) = meta {
                row.extend(meta_cells(map.outputs_meta.get(i).and_then(Option::as_ref)));
            }
            (row, output_color(s.kind))
        })
        .collect();
    let _ = writeln!(out, "\noutputs ({})", rows.len());
    let mut header = vec!["#", "name", "kind", "target", "argument"];
    if meta.is_some() {
        header.extend(["dtype", "shape"]);
    }
    table(&mut out, &header, &rows, style);
    out
}

/// `graphsig map`: the binding plan, the payload index, the range constraints and the
/// checks, for people.
pub fn render_map(map: &ArchiveMap, findings: &[Finding], style: Style) -> String {
    let mut out = String::new();
    let layout = match map.layout {
        Layout::LegacyZip => "legacy zip",
        Layout::Pt2Archive { .. } => "PT2 archive",
    };
    let schema = map.schema_version.map(|v| format!(", torch schema {v}")).unwrap_or_default();
    let torch = map
        .program
        .as_ref()
        .and_then(|p| p.torch_version.as_deref())
        .map(|v| format!(", written by torch {v}"))
        .unwrap_or_default();
    let _ = writeln!(out, "model {} ({layout}{schema}{torch})\n", map.model);
    let where_ = |target: &str| -> String {
        match map.payloads.tensor(target) {
            Some(t) => {
                let s = map.payloads.storage_of(t);
                format!("storage {} at byte {}", t.storage, s.offset)
            }
            None => "(no payload)".to_owned(),
        }
    };
    let rows: Vec<(Vec<String>, &'static str)> = map
        .plan
        .inputs
        .iter()
        .zip(map.signature.input_specs())
        .map(|(b, spec)| {
            let from = match &b.source {
                Source::Payload { target, .. } => format!("payload {target} ({})", where_(target)),
                Source::Caller { path } => format!("caller {}", path.as_deref().unwrap_or("(unknown path)")),
                Source::Constant { value, path } => {
                    format!("constant {value:?}{}", path.as_ref().map(|p| format!(" at {p}")).unwrap_or_default())
                }
                Source::CustomObject { target, class_fqn, .. } => {
                    format!("object {target}{}", class_fqn.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())
                }
                Source::Token => "token".to_owned(),
                _ => String::new(),
            };
            let [dtype, shape] = meta_cells(map.inputs_meta[b.index].as_ref());
            (vec![b.index.to_string(), b.name.clone(), b.kind.to_owned(), from, dtype, shape], input_color(spec.kind))
        })
        .collect();
    let _ = writeln!(out, "inputs ({})", rows.len());
    table(&mut out, &["#", "name", "kind", "from", "dtype", "shape"], &rows, style);
    let rows: Vec<(Vec<String>, &'static str)> = map
        .plan
        .outputs
        .iter()
        .zip(map.signature.output_specs())
        .map(|(b, spec)| {
            let to = match &b.destination {
                Destination::Caller { path } => format!(
                    "caller {}",
                    path.as_deref().map(|p| if p.is_empty() { "(the value)" } else { p }).unwrap_or("(unknown path)")
                ),
                Destination::Loss { path } => format!("loss, caller {}", path.as_deref().unwrap_or("(unknown path)")),
                Destination::WriteBack { kind, target } => format!("write back into {kind} {target}"),
                Destination::Gradient { of, target } => format!("gradient of {of} {target}"),
                Destination::Token => "token".to_owned(),
                _ => String::new(),
            };
            let [dtype, shape] = meta_cells(map.outputs_meta[b.index].as_ref());
            (vec![b.index.to_string(), b.name.clone(), b.kind.to_owned(), to, dtype, shape], output_color(spec.kind))
        })
        .collect();
    let _ = writeln!(out, "\noutputs ({})", rows.len());
    table(&mut out, &["#", "name", "kind", "to", "dtype", "shape"], &rows, style);
    for note in &map.plan.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "\npayloads ({} tensors in {} storages, {} objects)",
        map.payloads.tensors.len(),
        map.payloads.storages.len(),
        map.payloads.objects.len()
    );
    let mut viewing: Vec<Vec<&graph_signature::map::TensorPayload>> = vec![Vec::new(); map.payloads.storages.len()];
    for t in &map.payloads.tensors {
        viewing[t.storage].push(t);
    }
    for (i, s) in map.payloads.storages.iter().enumerate() {
        let member = s.member.as_ref().map(|m| format!(" ({m})")).unwrap_or_default();
        let stored = if s.stored { "stored" } else { "compressed" };
        let _ = writeln!(
            out,
            "  storage {i}: {}{member}, bytes {}..{} ({} bytes, {stored})",
            s.record,
            s.offset,
            s.offset + s.length,
            s.length
        );
        for t in &viewing[i] {
            let _ = writeln!(
                out,
                "    {} {} {:?} strides {:?} offset {}{}",
                t.name,
                t.dtype,
                t.shape,
                t.strides,
                t.storage_offset,
                if t.encoding == Encoding::Pickle { " (pickled tensor subclass)" } else { "" }
            );
        }
    }
    for o in &map.payloads.objects {
        let _ = writeln!(
            out,
            "  object {}: {}, bytes {}..{} ({:?})",
            o.name,
            o.storage.record,
            o.storage.offset,
            o.storage.offset + o.storage.length,
            o.encoding
        );
    }
    if let Some(p) = &map.program {
        if !p.range_constraints.is_empty() {
            let _ = writeln!(out, "\nrange constraints");
            for r in &p.range_constraints {
                let bound = |b: Option<i64>| b.map_or("?".to_owned(), |v| v.to_string());
                let _ = writeln!(out, "  {}: {}..={}", r.symbol, bound(r.min), bound(r.max));
            }
        }
    }
    let _ = writeln!(
        out,
        "\nchecks: {}",
        if findings.is_empty() { "all passed".to_owned() } else { count(findings.len(), "finding") }
    );
    for f in findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "  {severity}: {}: {} [{}]", f.at, f.message, f.code);
    }
    out
}

/// `validate`: one block per file.
/// `N things`, with the plural only where it belongs.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The report of a valid signature, with a note on what was normalised: constant inputs
/// torch 2.2 and 2.3 wrote without a name are not held to the unique-name rule.
pub fn render_valid(file: &str, sig: &ExportGraphSignature) -> String {
    let (i, o) = (sig.input_specs().len(), sig.output_specs().len());
    let mut out = format!("{file}: valid ({}, {})\n", count(i, "input"), count(o, "output"));
    let unnamed = sig.unnamed_constant_inputs();
    if unnamed > 1 {
        let _ = writeln!(
            out,
            "  note: {unnamed} constant inputs have no name (as torch 2.2 and 2.3 wrote them); \
             they are not held to unique names"
        );
    }
    out
}

pub fn render_violations(file: &str, violations: &[Violation]) -> String {
    let mut out = String::new();
    let n = violations.len();
    let _ = writeln!(out, "{file}: invalid: {}", count(n, "problem"));
    for v in violations {
        let _ = writeln!(out, "  {v} [{}]", v.rule.code());
        let _ = writeln!(out, "    hint: {}", v.rule.hint());
    }
    out
}
