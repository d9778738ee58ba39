//! torch's pytree treespecs, as `treespec_dumps` writes them (protocol 1) into a program's
//! `module_call_graph`: `[1, node]`, each node `{"type", "context", "children_spec"}`. A
//! node with type `null` is a leaf; tuples and lists hold their children by position,
//! dicts by key (the keys are the JSON list in `context`), namedtuples by field (the field
//! names are in the program's `treespec_namedtuple_fields`, or by position when absent).
//!
//! What the archive map needs is the path of every leaf, in flattening order, written as
//! torch's `keystr` writes it: `[0]`, `['mask']`, `.field`.

use serde_json::Value;

use crate::Error;

const FORMAT: &str = "treespec";
/// The deepest treespec read (a pytree nests far less).
const MAX_DEPTH: usize = 256;
/// The most nodes a treespec may have.
const MAX_NODES: usize = 10_000_000;

/// How a child is reached from its parent.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// By position (`[0]`).
    Index(usize),
    /// By a dict key (`['mask']`, `[3]`).
    Dict(Value),
    /// By an attribute (`.field`).
    Attr(String),
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Index(i) => write!(f, "[{i}]"),
            Key::Dict(Value::String(s)) => write!(f, "[{}]", python_str_repr(s)),
            Key::Dict(v) => write!(f, "[{v}]"),
            Key::Attr(a) => write!(f, ".{a}"),
        }
    }
}

/// A string as Python's `repr` writes it (single quotes unless the string holds one and no
/// double quote).
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A parsed treespec.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeSpec {
    /// The node's type (`builtins.tuple`, ...); `None` for a leaf.
    pub type_name: Option<String>,
    /// The children, each with its key.
    pub children: Vec<(Key, TreeSpec)>,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::decode(FORMAT, "", reason)
}

impl TreeSpec {
    /// Parses `treespec_dumps` output. `namedtuple_fields` gives the field names of
    /// namedtuple types by name (the program's `treespec_namedtuple_fields`).
    pub fn parse(spec: &str, namedtuple_fields: &dyn Fn(&str) -> Option<Vec<String>>) -> Result<TreeSpec, Error> {
        let value: Value = serde_json::from_str(spec).map_err(|e| bad(e.to_string()))?;
        let Value::Array(parts) = value else { return Err(bad("expected [protocol, tree]")) };
        match parts.as_slice() {
            [Value::Number(p), tree] if p.as_u64() == Some(1) => {
                let mut nodes = 0;
                node(tree, 0, &mut nodes, namedtuple_fields)
            }
            [p, _] => Err(bad(format!("treespec protocol {p} is not supported (this build reads protocol 1)"))),
            _ => Err(bad("expected [protocol, tree]")),
        }
    }

    /// The path of every leaf, in flattening order, each the keys from the root.
    pub fn leaf_paths(&self) -> Vec<Vec<Key>> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        self.walk(&mut path, &mut out);
        out
    }

    fn walk(&self, path: &mut Vec<Key>, out: &mut Vec<Vec<Key>>) {
        if self.type_name.is_none() {
            out.push(path.clone());
            return;
        }
        for (key, child) in &self.children {
            path.push(key.clone());
            child.walk(path, out);
            path.pop();
        }
    }
}

fn node(
    value: &Value,
    depth: usize,
    nodes: &mut usize,
    namedtuple_fields: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<TreeSpec, Error> {
    if depth > MAX_DEPTH {
        return Err(bad(format!("nested deeper than {MAX_DEPTH}")));
    }
    *nodes += 1;
    if *nodes > MAX_NODES {
        return Err(bad(format!("more than {MAX_NODES} nodes")));
    }
    let Value::Object(n) = value else { return Err(bad("a node that is not an object")) };
    let no_children = Vec::new();
    let children_spec = match n.get("children_spec") {
        None | Some(Value::Null) => &no_children,
        Some(Value::Array(c)) => c,
        Some(_) => return Err(bad("children_spec is not a list")),
    };
    let type_name = match n.get("type") {
        None | Some(Value::Null) => {
            if !children_spec.is_empty() {
                return Err(bad("a leaf with children"));
            }
            return Ok(TreeSpec { type_name: None, children: Vec::new() });
        }
        Some(Value::String(t)) => t.clone(),
        Some(_) => return Err(bad("a type that is not a string")),
    };
    // The context is itself JSON, dumped to a string.
    let context: Value = match n.get("context").unwrap_or(&Value::Null) {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
        other => other.clone(),
    };
    let count = children_spec.len();
    let keys: Vec<Key> = match type_name.as_str() {
        "builtins.dict" | "collections.OrderedDict" => dict_keys(&context, count)?,
        "collections.defaultdict" => dict_keys(context.get("dict_context").unwrap_or(&Value::Null), count)?,
        "collections.namedtuple" => {
            let name = context.as_str().unwrap_or_default();
            match namedtuple_fields(name) {
                Some(fields) if fields.len() == count => fields.into_iter().map(Key::Attr).collect(),
                _ => (0..count).map(Key::Index).collect(),
            }
        }
        _ => (0..count).map(Key::Index).collect(),
    };
    let children = keys
        .into_iter()
        .zip(children_spec)
        .map(|(k, c)| Ok((k, node(c, depth + 1, nodes, namedtuple_fields)?)))
        .collect::<Result<_, Error>>()?;
    Ok(TreeSpec { type_name: Some(type_name), children })
}

fn dict_keys(context: &Value, count: usize) -> Result<Vec<Key>, Error> {
    match context {
        Value::Array(keys) if keys.len() == count => Ok(keys.iter().cloned().map(Key::Dict).collect()),
        Value::Array(keys) => Err(bad(format!("a dict with {} keys and {count} children", keys.len()))),
        Value::Null if count == 0 => Ok(Vec::new()),
        other => Err(bad(format!("a dict context that is not a list of keys: {other}"))),
    }
}

/// Writes a path as torch's `keystr` does: the keys one after the other.
pub fn keystr(path: &[Key]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// The caller's argument a leaf of an `in_spec` (the treespec of `(args, kwargs)`) stands
/// for: `args[0]`, `kwargs['mask']`, `args[1]['k'][0]`.
pub fn argument_path(path: &[Key]) -> String {
    match path.split_first() {
        Some((Key::Index(0), rest)) => format!("args{}", keystr(rest)),
        Some((Key::Index(1), rest)) => format!("kwargs{}", keystr(rest)),
        _ => keystr(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<Vec<String>> {
        None
    }

    #[test]
    fn leaf_paths_of_args_and_kwargs() {
        // forward(x, d, *, mask) with d = {"k": t, "v": [t, t]}
        let spec = r#"[1, {"type": "builtins.tuple", "context": "null", "children_spec": [
            {"type": "builtins.tuple", "context": "null", "children_spec": [
                {"type": null, "context": null, "children_spec": []},
                {"type": "builtins.dict", "context": "[\"k\", \"v\"]", "children_spec": [
                    {"type": null, "context": null, "children_spec": []},
                    {"type": "builtins.list", "context": "null", "children_spec": [
                        {"type": null, "context": null, "children_spec": []},
                        {"type": null, "context": null, "children_spec": []}]}]}]},
            {"type": "builtins.dict", "context": "[\"mask\"]", "children_spec": [
                {"type": null, "context": null, "children_spec": []}]}]}]"#;
        let tree = TreeSpec::parse(spec, &none).unwrap();
        let paths: Vec<String> = tree.leaf_paths().iter().map(|p| argument_path(p)).collect();
        assert_eq!(paths, ["args[0]", "args[1]['k']", "args[1]['v'][0]", "args[1]['v'][1]", "kwargs['mask']"]);
    }

    #[test]
    fn namedtuples_by_field_and_bad_specs_refused() {
        let spec = r#"[1, {"type": "collections.namedtuple", "context": "\"__main__.Out\"", "children_spec": [
            {"type": null, "context": null, "children_spec": []}, {"type": null, "context": null, "children_spec": []}]}]"#;
        let fields = |n: &str| (n == "__main__.Out").then(|| vec!["logits".to_owned(), "loss".to_owned()]);
        let tree = TreeSpec::parse(spec, &fields).unwrap();
        let paths: Vec<String> = tree.leaf_paths().iter().map(|p| keystr(p)).collect();
        assert_eq!(paths, [".logits", ".loss"]);
        assert!(TreeSpec::parse("[2, {}]", &none).unwrap_err().to_string().contains("protocol 2"));
        assert!(TreeSpec::parse("{", &none).is_err());
        let deep = format!(
            "[1, {}{}]",
            r#"{"type": "builtins.list", "context": null, "children_spec": ["#.repeat(300),
            "]}".repeat(300)
        );
        assert!(TreeSpec::parse(&deep, &none).is_err());
        assert_eq!(Key::Dict(Value::String("it's".into())).to_string(), "[\"it's\"]");
    }
}
