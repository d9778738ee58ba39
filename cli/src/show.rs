//! Human-oriented renderings: the aligned table of `inspect --table`, and the validation
//! report of `validate`.

use std::fmt::Write as _;

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

/// `inspect --table`: inputs and outputs as aligned columns.
pub fn render_table(sig: &ExportGraphSignature, style: Style) -> String {
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
            (
                vec![
                    i.to_string(),
                    s.arg.name().to_owned(),
                    s.kind.to_string(),
                    opt(&s.target),
                    persistent.to_owned(),
                    arg,
                ],
                input_color(s.kind),
            )
        })
        .collect();
    let _ = writeln!(out, "inputs ({})", rows.len());
    table(&mut out, &["#", "name", "kind", "target", "persistent", "argument"], &rows, style);
    let rows: Vec<(Vec<String>, &'static str)> = sig
        .output_specs()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let arg = s.arg.arg_type().torch_name().trim_end_matches("Argument").to_owned();
            (
                vec![i.to_string(), s.arg.name().to_owned(), s.kind.to_string(), opt(&s.target), arg],
                output_color(s.kind),
            )
        })
        .collect();
    let _ = writeln!(out, "\noutputs ({})", rows.len());
    table(&mut out, &["#", "name", "kind", "target", "argument"], &rows, style);
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
