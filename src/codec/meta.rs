//! Schema 1.1's metadata (docs/formats.md, "Schema 1.1: metadata"): what every format checks
//! the same way. Writers refuse metadata their readers would refuse ([`check_for_writing`]);
//! readers align the lists with the specs ([`align`]) and check expressions ([`check_expr`])
//! and the number of values ([`ValueCount`]).

use std::fmt;

use crate::model::meta::{SignatureMeta, SymExpr, SymInt, SymScalar, ValueMeta};
use crate::model::ExportGraphSignature;
use crate::Error;

use super::MAX_META_VALUES;

/// Why an expression's text is not one torch could have written; `None` when it is fine.
/// Torch writes sympy's text (`s0`, `2*s0 + 1`, `Max(2, s0)`, `Symbol('s77',
/// positive=True, integer=True)`): never empty, one line, brackets balanced, quotes closed.
pub(crate) fn check_expr(expr: &str) -> Option<String> {
    if expr.trim().is_empty() {
        return Some("empty expression".to_owned());
    }
    let mut open: Vec<char> = Vec::new();
    let mut quote: Option<char> = None;
    for (at, c) in expr.char_indices() {
        if c.is_control() {
            return Some(format!("control character {c:?} at byte {at} of expression {expr:?}"));
        }
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if open.pop() != Some(want) {
                    return Some(format!("unbalanced {c:?} at byte {at} of expression {expr:?}"));
                }
            }
            _ => {}
        }
    }
    if let Some(q) = quote {
        return Some(format!("unclosed quote {q:?} in expression {expr:?}"));
    }
    if let Some(c) = open.pop() {
        return Some(format!("unclosed {c:?} in expression {expr:?}"));
    }
    None
}

/// Counts the values that [`MAX_META_VALUES`] bounds: sizes, strides and range
/// constraints.
#[derive(Default)]
pub(crate) struct ValueCount {
    count: u64,
}

impl ValueCount {
    pub(crate) fn add(&mut self, format: &'static str, n: usize) -> Result<(), Error> {
        self.count = self.count.saturating_add(n as u64);
        check_value_count(format, self.count)
    }
}

/// Refuses more than [`MAX_META_VALUES`] sizes, strides and range constraints.
pub(crate) fn check_value_count(format: &'static str, count: u64) -> Result<(), Error> {
    if count > MAX_META_VALUES {
        return Err(Error::Limit {
            what: format!("the sizes, strides and range constraints of a {format} document's metadata"),
            size: count,
            limit: MAX_META_VALUES,
        });
    }
    Ok(())
}

/// A reader's list of entries made as long as the specs: refused when longer (naming
/// `path`, e.g. `meta.inputs`), padded with unknown entries when shorter.
pub(crate) fn align<T>(
    format: &'static str,
    path: &str,
    mut entries: Vec<Option<T>>,
    specs: usize,
    what: &str,
) -> Result<Vec<Option<T>>, Error> {
    if entries.len() > specs {
        return Err(Error::decode(format, path, too_many(entries.len(), specs, what)));
    }
    entries.resize_with(specs, || None);
    Ok(entries)
}

/// Refuses a list of `entries` longer than the `specs`, before anything is built.
pub(crate) fn check_entry_count(
    format: &'static str,
    path: &str,
    entries: usize,
    specs: usize,
    what: &str,
) -> Result<(), Error> {
    if entries > specs {
        return Err(Error::decode(format, path, too_many(entries, specs, what)));
    }
    Ok(())
}

fn too_many(entries: usize, specs: usize, what: &str) -> String {
    format!("{entries} entries, the signature has {specs} {what} specs (never more entries than specs)")
}

/// What a writer checks before writing `meta` beside `sig`: lists no longer than the specs,
/// every expression well formed, at most [`MAX_META_VALUES`] values. The error names the
/// path as a reader would.
pub(crate) fn check_for_writing(sig: &ExportGraphSignature, meta: &SignatureMeta) -> Result<(), Error> {
    let invalid = |path: String, reason: String| Error::InvalidMeta { path, reason };
    for (path, entries, specs, what) in [
        ("meta.inputs", meta.inputs.len(), sig.input_specs().len(), "input"),
        ("meta.outputs", meta.outputs.len(), sig.output_specs().len(), "output"),
    ] {
        if entries > specs {
            return Err(invalid(path.to_owned(), too_many(entries, specs, what)));
        }
    }
    let mut count = meta.range_constraints.len() as u64;
    let mut bad = None;
    each_expr(meta, &mut |path, expr| {
        if bad.is_none() {
            if let Some(reason) = check_expr(&expr.expr) {
                bad = Some((path.to_string(), reason));
            }
        }
    });
    if let Some((path, reason)) = bad {
        return Err(invalid(path, reason));
    }
    for entry in meta.inputs.iter().chain(&meta.outputs).flatten() {
        if let ValueMeta::Tensor(t) = entry {
            count += (t.sizes.len() + t.strides.len()) as u64;
        }
    }
    if count > MAX_META_VALUES {
        return Err(invalid(
            "meta".to_owned(),
            format!("{count} sizes, strides and range constraints, over the limit of {MAX_META_VALUES}"),
        ));
    }
    Ok(())
}

/// A path below `meta`, formatted only when needed: `meta.inputs[3].tensor.sizes[1].as_expr.expr`.
pub(crate) struct MetaPath<'a> {
    list: &'a str,
    index: usize,
    rest: &'a [Segment<'a>],
}

pub(crate) enum Segment<'a> {
    Field(&'a str),
    Index(usize),
}

impl fmt::Display for MetaPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "meta.{}[{}]", self.list, self.index)?;
        for s in self.rest {
            match s {
                Segment::Field(name) => write!(f, ".{name}")?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Calls `f` with every expression of `meta` and its path (`.expr` included).
fn each_expr(meta: &SignatureMeta, f: &mut dyn FnMut(&MetaPath<'_>, &SymExpr)) {
    use Segment::{Field, Index};
    for (list, entries) in [("inputs", &meta.inputs), ("outputs", &meta.outputs)] {
        for (index, entry) in entries.iter().enumerate() {
            let mut at = |rest: &[Segment<'_>], e: &SymExpr| f(&MetaPath { list, index, rest }, e);
            match entry {
                Some(ValueMeta::Tensor(t)) => {
                    for (name, dims) in [("sizes", &t.sizes), ("strides", &t.strides)] {
                        for (i, d) in dims.iter().enumerate() {
                            if let SymInt::Expr(e) = d {
                                at(&[Field("tensor"), Field(name), Index(i), Field("as_expr"), Field("expr")], e);
                            }
                        }
                    }
                    if let SymInt::Expr(e) = &t.storage_offset {
                        at(&[Field("tensor"), Field("storage_offset"), Field("as_expr"), Field("expr")], e);
                    }
                }
                Some(ValueMeta::SymInt { value: SymInt::Expr(e) }) => {
                    at(&[Field("sym_int"), Field("value"), Field("as_expr"), Field("expr")], e);
                }
                Some(ValueMeta::SymFloat { value: SymScalar::Expr(e) }) => {
                    at(&[Field("sym_float"), Field("value"), Field("as_expr"), Field("expr")], e);
                }
                Some(ValueMeta::SymBool { value: SymScalar::Expr(e) }) => {
                    at(&[Field("sym_bool"), Field("value"), Field("as_expr"), Field("expr")], e);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_expr;

    #[test]
    fn expressions_torch_writes_are_well_formed_and_broken_ones_are_named() {
        for ok in [
            "s0",
            "2*s0 + 1",
            "Max(2, s0)",
            "Symbol('s77', positive=True, integer=True)",
            "FloorDiv(s0, 2) + Mod(s1, 3)",
            "s0**2",
            "-s0 + 1/2",
            "Eq(s0, 3)",
            "'(' + s0",
        ] {
            assert_eq!(check_expr(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("  ", "empty"),
            ("s0\n", "control"),
            ("Max(2, s0", "unclosed '('"),
            ("s0)", "unbalanced ')'"),
            ("(s0]", "unbalanced ']'"),
            ("Symbol('s77)", "unclosed quote"),
        ] {
            let reason = check_expr(bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(reason.contains(why), "{bad:?}: {reason}");
        }
    }
}
