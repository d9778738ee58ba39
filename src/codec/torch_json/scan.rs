//! The byte scanner: the first and fastest of the torch-JSON reader's three tiers.
//!
//! It reads the shape torch 2.3+ writes (and our writer writes) straight from the bytes,
//! with no serde machinery: a cursor, a key compared as a byte slice, a string's end found
//! eight bytes at a time ([`super::swar`]), the common specs in torch's own spacing compared
//! in a few pieces of fixed text. Like the typed fast path ([`super::fast`]) it decides
//! nothing on its own: it answers `None` at the first thing it is not sure of, and the
//! next tier reads the bytes again. It gives way on
//!
//! - an escape in a key, a `\u` escape of a lone surrogate, a control byte in a string;
//! - `as_float` past 40 significant digits, `as_int` past `i64` or written `-0`: serde_json's
//!   number rules decide those;
//! - in a member it skips (the graph of a whole program, above all), a number whose
//!   magnitude could pass `f64`'s range, nesting deeper than [`MAX_DEPTH`]: the full
//!   reader's parse decides those;
//! - everything the typed fast path gives way on (a duplicate key, a union with more than
//!   one member, a BUFFER without `persistent`, an unsupported schema, bad JSON, ...).
//!
//! What it skips it checks as JSON all the same, so it never accepts bytes the full reader
//! refuses. The differential fuzz target `torch_json` runs it beside the full reader.

use super::swar::{special, special_mask, word};
use super::{TorchSchemaVersion, TorchSignature, SUPPORTED_MAJORS};
use crate::model::{ArgumentSpec, ConstantValue, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec};

/// Nesting past this depth makes the scanner give way (serde_json's own limit is 128).
pub(crate) const MAX_DEPTH: u32 = 100;

/// The signature, or `None` when a later tier must read the bytes.
pub(crate) fn decode(text: &str) -> Option<TorchSignature> {
    let mut s = Scanner { text, b: text.as_bytes(), pos: 0, depth: 0 };
    let mut graph_module: Option<Option<Sig>> = None;
    let mut schema_version: Option<TorchSchemaVersion> = None;
    let mut input_specs: Option<Vec<InputSpec>> = None;
    let mut output_specs: Option<Vec<OutputSpec>> = None;
    s.object(|s, key| match key {
        b"graph_module" => set(&mut graph_module, s.graph_module()?),
        b"schema_version" => set(&mut schema_version, s.schema_version()?),
        b"input_specs" => set(&mut input_specs, s.array(Scanner::input_spec)?),
        b"output_specs" => set(&mut output_specs, s.array(Scanner::output_spec)?),
        _ => s.skip_value(),
    })?;
    s.ws();
    if s.pos != s.b.len() {
        return None;
    }
    let (sig, schema_version) = match graph_module {
        Some(sig) => {
            let version = schema_version?;
            // Schema 1 (torch 2.1) has a dict-style signature, read by the full reader only.
            if version.major == 1 || !SUPPORTED_MAJORS.contains(&version.major) {
                return None;
            }
            (sig?, Some(version))
        }
        None => (Sig { inputs: input_specs?, outputs: output_specs? }, None),
    };
    let signature = ExportGraphSignature::new(sig.inputs, sig.outputs).ok()?;
    Some(TorchSignature { signature, schema_version })
}

/// A member read once: a second one makes the scanner give way.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

struct Sig {
    inputs: Vec<InputSpec>,
    outputs: Vec<OutputSpec>,
}

/// A lifted input (parameter, buffer, constant tensor): a tensor name and its target.
#[inline(always)]
fn lifted_input(kind: InputKind, (name, target): (String, String), persistent: Option<bool>) -> InputSpec {
    InputSpec { kind, arg: ArgumentSpec::Tensor { name }, target: Some(target), persistent }
}

/// An output with a target (a mutation or a gradient): a tensor name and its target.
#[inline(always)]
fn lifted_output(kind: OutputKind, (name, target): (String, String)) -> OutputSpec {
    OutputSpec { kind, arg: ArgumentSpec::Tensor { name }, target: Some(target) }
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    /// Whether the next byte (after whitespace) is `c`, consumed if so.
    #[inline(always)]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// Where the first [`special`] byte at or after `from` is, if any.
    #[inline(always)]
    fn find_special(&self, from: usize) -> Option<usize> {
        let mut i = from;
        while let Some(word) = word(self.b, i) {
            let mask = special_mask(word);
            if mask != 0 {
                return Some(i + (mask.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        self.b[i..].iter().position(|&c| special(c)).map(|p| i + p)
    }

    /// Where a string without escapes lies: its content's start and end.
    #[inline(always)]
    fn str_span(&mut self) -> Option<(usize, usize)> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.find_special(start)?;
        if self.b[end] != b'"' {
            return None; // an escape or a control byte: a later tier reads it
        }
        self.pos = end + 1;
        Some((start, end))
    }

    /// A string without escapes, as its bytes (a key, compared as bytes).
    #[inline(always)]
    fn raw_str(&mut self) -> Option<&'a [u8]> {
        let (start, end) = self.str_span()?;
        Some(&self.b[start..end])
    }

    /// A string the model keeps, escapes decoded.
    #[inline(always)]
    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.find_special(start)?;
        if self.b[end] == b'"' {
            self.pos = end + 1;
            // Both ends are next to an ASCII byte, so on character boundaries of the input
            // (`str` checks the two ends, not the content again).
            return self.text.get(start..end).map(str::to_owned);
        }
        self.escaped_string(start, end)
    }

    /// The rest of a string from its first escape at `at` (`start` is its content's start).
    #[cold]
    fn escaped_string(&mut self, start: usize, mut at: usize) -> Option<String> {
        let mut out = String::from(self.text.get(start..at)?);
        loop {
            match self.b[at] {
                b'"' => {
                    self.pos = at + 1;
                    return Some(out);
                }
                b'\\' => {
                    let (c, len) = self.escape(at)?;
                    out.push(c);
                    at += len;
                }
                _ => return None, // a control byte: not JSON
            }
            let next = self.find_special(at)?;
            out.push_str(self.text.get(at..next)?);
            at = next;
        }
    }

    /// The escape at `at` (a backslash): its character and its length in bytes. A surrogate
    /// gives way unless it is a high one followed by an escaped low one.
    fn escape(&self, at: usize) -> Option<(char, usize)> {
        let simple = match *self.b.get(at + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4(at + 2)?;
                if !(0xD800..0xE000).contains(&unit) {
                    return Some((char::from_u32(unit)?, 6));
                }
                if unit >= 0xDC00 || self.b.get(at + 6..at + 8)? != b"\\u" {
                    return None;
                }
                let low = self.hex4(at + 8)?;
                if !(0xDC00..0xE000).contains(&low) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
                return Some((c, 12));
            }
            _ => return None,
        };
        Some((simple, 2))
    }

    /// Four hex digits at `at`.
    fn hex4(&self, at: usize) -> Option<u32> {
        self.b.get(at..at + 4)?.iter().try_fold(0, |v, &c| Some(v * 16 + char::from(c).to_digit(16)?))
    }

    /// `{ key: value, ... }`, `member` reading each value; `{}` has no members.
    #[inline(always)]
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        self.enter()?;
        if !self.eat(b'}') {
            loop {
                let key = self.raw_str()?;
                self.expect(b':')?;
                member(self, key)?;
                if self.eat(b',') {
                    continue;
                }
                self.expect(b'}')?;
                break;
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// `[ item, ... ]`.
    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.expect(b'[')?;
        self.enter()?;
        let mut out = Vec::new();
        if !self.eat(b']') {
            loop {
                out.push(item(self)?);
                if self.eat(b',') {
                    continue;
                }
                self.expect(b']')?;
                break;
            }
        }
        self.depth -= 1;
        Some(out)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A union: an object with exactly one member, read by `member`.
    #[inline(always)]
    fn union<T>(&mut self, member: impl FnOnce(&mut Self, &'a [u8]) -> Option<T>) -> Option<T> {
        self.expect(b'{')?;
        self.enter()?;
        let key = self.raw_str()?;
        self.expect(b':')?;
        let value = member(self, key)?;
        self.expect(b'}')?;
        self.depth -= 1;
        Some(value)
    }

    /// `{"<key>": ...}` with `read` reading the member, other members skipped; the member
    /// must be there.
    #[inline(always)]
    fn only_member<T>(&mut self, key: &[u8], mut read: impl FnMut(&mut Self) -> Option<T>) -> Option<T> {
        let mut value = None;
        self.object(|s, k| if k == key { set(&mut value, read(s)?) } else { s.skip_value() })?;
        value
    }

    /// `{"name": ...}` (`TensorArgument`, `TokenArgument`).
    #[inline(always)]
    fn named(&mut self) -> Option<String> {
        self.only_member(b"name", Self::string)
    }

    /// `{"name": ..., "class_fqn": ...}`.
    fn custom_obj(&mut self) -> Option<ArgumentSpec> {
        let (mut name, mut class_fqn) = (None, None);
        self.object(|s, key| match key {
            b"name" => set(&mut name, s.string()?),
            b"class_fqn" => set(&mut class_fqn, s.string()?),
            _ => s.skip_value(),
        })?;
        Some(ArgumentSpec::CustomObj { name: name?, class_fqn: class_fqn? })
    }

    /// `{"arg": {"name": ...}, "<target_key>": ...}`: the name and the target.
    #[inline(always)]
    fn with_target(&mut self, target_key: &[u8]) -> Option<(String, String)> {
        let (mut name, mut target) = (None, None);
        self.object(|s, key| {
            if key == b"arg" {
                set(&mut name, s.named()?)
            } else if key == target_key {
                set(&mut target, s.string()?)
            } else {
                s.skip_value()
            }
        })?;
        Some((name?, target?))
    }

    /// `{"arg": <ArgUnion>}` of a user input or output.
    fn user_arg(&mut self) -> Option<ArgumentSpec> {
        self.only_member(b"arg", Self::argument)
    }

    /// `{"arg": {"name": ...}}` (a loss output, a token).
    fn arg_only(&mut self) -> Option<String> {
        self.only_member(b"arg", Self::named)
    }

    /// Whether the bytes at the cursor are `text`, consumed if so (no whitespace skipped).
    #[inline(always)]
    fn text_is(&mut self, text: &[u8]) -> bool {
        let found = self.b[self.pos..].starts_with(text);
        if found {
            self.pos += text.len();
        }
        found
    }

    /// What `read` reads, or `None` with the cursor back where it was.
    #[inline(always)]
    fn or_rewind<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let value = read(self);
        if value.is_none() {
            self.pos = start;
        }
        value
    }

    /// `<head>"name"<middle>"target"<tail>`: a lifted spec in torch's own spacing, its fixed
    /// text ([`lifted_keys`], the writer's) compared in three pieces.
    #[inline(always)]
    fn canonical_pair(&mut self, (head, middle): (&str, &str), tail: &[u8]) -> Option<(String, String)> {
        if !self.text_is(head.as_bytes()) {
            return None;
        }
        let name = self.string()?;
        if !self.text_is(middle.as_bytes()) {
            return None;
        }
        let target = self.string()?;
        self.text_is(tail).then_some((name, target))
    }

    /// `<head>"name"}}}}`: a tensor user input or output in torch's own spacing.
    #[inline(always)]
    fn canonical_tensor(&mut self, head: &[u8]) -> Option<ArgumentSpec> {
        if !self.text_is(head) {
            return None;
        }
        let name = self.string()?;
        self.text_is(b"}}}}").then_some(ArgumentSpec::Tensor { name })
    }

    /// The common specs as torch writes them, byte for byte (its `", "` and `": "`, its key
    /// order): a parameter, a buffer, a tensor user input. Their text is compared in a few
    /// pieces rather than read token by token. `None` (the cursor back where it was) for
    /// anything else, which [`Self::input_spec`] reads the general way; what this accepts,
    /// the general way reads the same.
    #[inline(always)]
    fn canonical_input(&mut self) -> Option<InputSpec> {
        self.or_rewind(|s| match s.b.get(s.pos + 2) {
            Some(b'p') => s
                .canonical_pair(lifted_keys!("parameter", "parameter_name"), b"}}")
                .map(|pair| lifted_input(InputKind::Parameter, pair, None)),
            Some(b'b') => {
                let pair = s.canonical_pair(lifted_keys!("buffer", "buffer_name"), br#", "persistent": "#)?;
                let persistent = if s.text_is(b"true}}") {
                    true
                } else if s.text_is(b"false}}") {
                    false
                } else {
                    return None;
                };
                Some(lifted_input(InputKind::Buffer, pair, Some(persistent)))
            }
            Some(b'u') => {
                s.canonical_tensor(br#"{"user_input": {"arg": {"as_tensor": {"name": "#).map(InputSpec::user_input)
            }
            _ => None,
        })
    }

    /// As [`Self::canonical_input`]: a buffer mutation, a tensor user output.
    #[inline(always)]
    fn canonical_output(&mut self) -> Option<OutputSpec> {
        self.or_rewind(|s| match s.b.get(s.pos + 2) {
            Some(b'b') => s
                .canonical_pair(lifted_keys!("buffer_mutation", "buffer_name"), b"}}")
                .map(|pair| lifted_output(OutputKind::BufferMutation, pair)),
            Some(b'u') => {
                s.canonical_tensor(br#"{"user_output": {"arg": {"as_tensor": {"name": "#).map(OutputSpec::user_output)
            }
            _ => None,
        })
    }

    fn input_spec(&mut self) -> Option<InputSpec> {
        self.ws();
        if let Some(spec) = self.canonical_input() {
            return Some(spec);
        }
        self.union(|s, tag| match tag {
            b"parameter" => Some(lifted_input(InputKind::Parameter, s.with_target(b"parameter_name")?, None)),
            b"buffer" => {
                let (mut name, mut target, mut persistent) = (None, None, None);
                s.object(|s, key| match key {
                    b"arg" => set(&mut name, s.named()?),
                    b"buffer_name" => set(&mut target, s.string()?),
                    b"persistent" => set(&mut persistent, s.bool()?),
                    _ => s.skip_value(),
                })?;
                // A BUFFER without `persistent` is torch 2.2's: the full reader's quirk.
                Some(lifted_input(InputKind::Buffer, (name?, target?), Some(persistent?)))
            }
            b"tensor_constant" => {
                Some(lifted_input(InputKind::ConstantTensor, s.with_target(b"tensor_constant_name")?, None))
            }
            b"user_input" => Some(InputSpec::user_input(s.user_arg()?)),
            b"custom_obj" => {
                let (mut arg, mut target) = (None, None);
                s.object(|s, key| match key {
                    b"arg" => set(&mut arg, s.custom_obj()?),
                    b"custom_obj_name" => set(&mut target, s.string()?),
                    _ => s.skip_value(),
                })?;
                Some(InputSpec { kind: InputKind::CustomObj, arg: arg?, target: Some(target?), persistent: None })
            }
            b"token" => Some(InputSpec {
                kind: InputKind::Token,
                arg: ArgumentSpec::Token { name: s.arg_only()? },
                target: None,
                persistent: None,
            }),
            b"constant_input" => {
                let (mut name, mut value) = (None, None);
                s.object(|s, key| match key {
                    b"name" => set(&mut name, s.string()?),
                    b"value" => set(&mut value, s.union(Scanner::constant_member)?),
                    _ => s.skip_value(),
                })?;
                Some(InputSpec::user_input(ArgumentSpec::Constant { name: name?, value: value? }))
            }
            _ => None,
        })
    }

    fn output_spec(&mut self) -> Option<OutputSpec> {
        self.ws();
        if let Some(spec) = self.canonical_output() {
            return Some(spec);
        }
        self.union(|s, tag| match tag {
            b"user_output" => Some(OutputSpec::user_output(s.user_arg()?)),
            b"buffer_mutation" => Some(lifted_output(OutputKind::BufferMutation, s.with_target(b"buffer_name")?)),
            b"parameter_mutation" => {
                Some(lifted_output(OutputKind::ParameterMutation, s.with_target(b"parameter_name")?))
            }
            b"gradient_to_parameter" => {
                Some(lifted_output(OutputKind::GradientToParameter, s.with_target(b"parameter_name")?))
            }
            b"gradient_to_user_input" => {
                Some(lifted_output(OutputKind::GradientToUserInput, s.with_target(b"user_input_name")?))
            }
            b"user_input_mutation" => {
                Some(lifted_output(OutputKind::UserInputMutation, s.with_target(b"user_input_name")?))
            }
            b"loss_output" => Some(OutputSpec {
                kind: OutputKind::LossOutput,
                arg: ArgumentSpec::Tensor { name: s.arg_only()? },
                target: None,
            }),
            b"token" => Some(OutputSpec {
                kind: OutputKind::Token,
                arg: ArgumentSpec::Token { name: s.arg_only()? },
                target: None,
            }),
            _ => None,
        })
    }

    /// The `Argument` union of a user input or output.
    fn argument(&mut self) -> Option<ArgumentSpec> {
        let constant = |value| ArgumentSpec::Constant { name: String::new(), value };
        self.union(|s, tag| match tag {
            b"as_tensor" => Some(ArgumentSpec::Tensor { name: s.named()? }),
            b"as_sym_int" => Some(ArgumentSpec::SymInt { name: s.sym_name()? }),
            b"as_sym_float" => Some(ArgumentSpec::SymFloat { name: s.sym_name()? }),
            b"as_sym_bool" => Some(ArgumentSpec::SymBool { name: s.sym_name()? }),
            b"as_custom_obj" => s.custom_obj(),
            _ => s.constant_member(tag).map(constant),
        })
    }

    /// The `ConstantValue` union's member `tag` (an `Argument` union's too: it has the same
    /// constant members).
    fn constant_member(&mut self, tag: &[u8]) -> Option<ConstantValue> {
        match tag {
            b"as_none" => self.none().map(|()| ConstantValue::None),
            b"as_bool" => self.bool().map(ConstantValue::Bool),
            b"as_string" => self.string().map(ConstantValue::String),
            b"as_int" => match self.peek()? {
                b't' | b'f' => self.bool().map(ConstantValue::Bool),
                _ => self.small_int().map(ConstantValue::Int),
            },
            b"as_float" => self.float().map(ConstantValue::Float),
            _ => None, // unknown tags: a later tier
        }
    }

    /// `as_float`: `"Infinity"`, `"-Infinity"`, `"NaN"`, or a number of at most 40
    /// significant digits inside `f64`'s range ([`Self::number`]). std's parse rounds it
    /// correctly, as serde_json does in the later tiers (its `float_roundtrip` feature).
    fn float(&mut self) -> Option<f64> {
        if self.peek()? == b'"' {
            return match self.raw_str()? {
                b"Infinity" => Some(f64::INFINITY),
                b"-Infinity" => Some(f64::NEG_INFINITY),
                b"NaN" => Some(f64::NAN),
                _ => None,
            };
        }
        let start = self.pos;
        let significant = self.number()?;
        if significant > 40 {
            self.pos = start;
            return None;
        }
        self.text.get(start..self.pos)?.parse().ok()
    }

    /// `{"as_name": ...}` of `as_sym_*`.
    fn sym_name(&mut self) -> Option<String> {
        self.union(|s, tag| if tag == b"as_name" { s.string() } else { None })
    }

    /// `as_none`: `true` or `[]`.
    fn none(&mut self) -> Option<()> {
        match self.peek()? {
            b't' => self.bool().filter(|&b| b).map(|_| ()),
            b'[' => {
                self.pos += 1;
                self.expect(b']')
            }
            _ => None,
        }
    }

    fn bool(&mut self) -> Option<bool> {
        self.ws();
        let rest = &self.b[self.pos..];
        if rest.starts_with(b"true") {
            self.pos += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.pos += 5;
            Some(false)
        } else {
            None
        }
    }

    /// An integer that fits an `i64`, no `-0` (serde_json reads that as a float).
    fn small_int(&mut self) -> Option<i64> {
        self.ws();
        let negative = self.b.get(self.pos) == Some(&b'-');
        let start = self.pos + usize::from(negative);
        let digits = self.b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        let end = start + digits;
        if digits == 0 || (digits > 1 && self.b[start] == b'0') {
            return None;
        }
        if matches!(self.b.get(end), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let magnitude =
            self.b[start..end].iter().try_fold(0u64, |v, &c| v.checked_mul(10)?.checked_add(u64::from(c - b'0')))?;
        let value = match (negative, magnitude) {
            (true, 0) => return None,
            (true, m) => i64::try_from(-i128::from(m)).ok()?,
            (false, m) => i64::try_from(m).ok()?,
        };
        self.pos = end;
        Some(value)
    }

    /// `{"signature": {...}, ...}` of a whole program.
    fn graph_module(&mut self) -> Option<Option<Sig>> {
        let mut sig = None;
        self.object(|s, key| match key {
            b"signature" => {
                let (mut inputs, mut outputs) = (None, None);
                s.object(|s, key| match key {
                    b"input_specs" => set(&mut inputs, s.array(Scanner::input_spec)?),
                    b"output_specs" => set(&mut outputs, s.array(Scanner::output_spec)?),
                    _ => s.skip_value(),
                })?;
                set(&mut sig, Sig { inputs: inputs?, outputs: outputs? })
            }
            _ => s.skip_value(),
        })?;
        Some(sig)
    }

    /// `schema_version`: a bare integer (torch 2.2) or `{"major", "minor"}`.
    fn schema_version(&mut self) -> Option<TorchSchemaVersion> {
        if self.peek()? != b'{' {
            let major = self.small_int().filter(|&v| v >= 0)?;
            return Some(TorchSchemaVersion { major: major as u64, minor: 0 });
        }
        let (mut major, mut minor) = (None, None);
        self.object(|s, key| match key {
            b"major" => set(&mut major, s.small_int().filter(|&v| v >= 0)?),
            b"minor" => set(&mut minor, s.small_int().filter(|&v| v >= 0)?),
            _ => s.skip_value(),
        })?;
        Some(TorchSchemaVersion { major: major? as u64, minor: minor? as u64 })
    }

    /// Any JSON value, checked and dropped; `None` on anything the full reader's parse might
    /// judge otherwise (see the module docs).
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(|s, _| s.skip_value()),
            b'[' => self.array(Scanner::skip_value).map(drop),
            b'"' => self.skip_string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    /// A string, escapes checked as [`Self::string`] reads them.
    fn skip_string(&mut self) -> Option<()> {
        self.pos += 1; // the opening quote, seen by the caller
        loop {
            let at = self.find_special(self.pos)?;
            match self.b[at] {
                b'"' => {
                    self.pos = at + 1;
                    return Some(());
                }
                b'\\' => self.pos = at + self.escape(at)?.1,
                _ => return None, // a control byte: not JSON
            }
        }
    }

    /// A number by JSON's grammar whose magnitude is surely inside `f64`'s range.
    fn skip_number(&mut self) -> Option<()> {
        self.number().map(drop)
    }

    /// A number by JSON's grammar, consumed: its count of significant digits (leading zeros
    /// not counted: `0.0125e3` has 3). `None` when it is not JSON, or when its magnitude
    /// could pass `f64`'s range.
    fn number(&mut self) -> Option<usize> {
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        let int_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int_digits == 0 || (int_digits > 1 && b[int_start] == b'0') {
            return None;
        }
        i += int_digits;
        let mut frac_digits = 0;
        if b.get(i) == Some(&b'.') {
            frac_digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if frac_digits == 0 {
                return None;
            }
            i += 1 + frac_digits;
        }
        let mut exponent: i64 = 0;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let negative = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 4 {
                return None;
            }
            let value: i64 = b[i..i + digits].iter().fold(0, |v, &c| v * 10 + i64::from(c - b'0'));
            exponent = if negative { -value } else { value };
            i += digits;
        }
        // Below 10^(int_digits + exponent): far inside f64's 1.8e308 when that is <= 300.
        if int_digits as i64 + exponent > 300 {
            return None;
        }
        let int_part = &b[int_start..int_start + int_digits];
        let frac_part = if frac_digits > 0 { &b[int_start + int_digits + 1..][..frac_digits] } else { &[][..] };
        let significant = int_part.iter().chain(frac_part).skip_while(|&&c| c == b'0').count();
        self.pos = i;
        Some(significant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_special_finds_the_first_special_byte() {
        let text = "0123456789abcdef0123456789\"bcdef";
        let s = Scanner { text, b: text.as_bytes(), pos: 0, depth: 0 };
        assert_eq!(s.find_special(0), Some(26));
        assert_eq!(s.find_special(27), None);
    }

    #[test]
    fn the_scanner_reads_what_torch_writes() {
        let json = br#"{"input_specs": [{"parameter": {"arg": {"name": "p_w"}, "parameter_name": "w"}}, {"buffer": {"arg": {"name": "b_b"}, "buffer_name": "b", "persistent": false}}, {"user_input": {"arg": {"as_tensor": {"name": "x"}}}}, {"user_input": {"arg": {"as_sym_int": {"as_name": "s0"}}}}, {"constant_input": {"name": "c", "value": {"as_int": -7}}}], "output_specs": [{"buffer_mutation": {"arg": {"name": "add"}, "buffer_name": "b"}}, {"user_output": {"arg": {"as_none": true}}}]}"#;
        let text = std::str::from_utf8(json).unwrap();
        let read = decode(text).expect("the scanner reads it");
        assert_eq!(read, super::super::decode_full(json).unwrap());
        assert_eq!(read.signature.parameters(), ["w"]);
        // Escapes in names, as torch writes non-ASCII (`ensure_ascii`) and quotes.
        let json = r#"{"input_specs": [{"parameter": {"arg": {"name": "p_\u00e9\ud83d\ude00"}, "parameter_name": "a\"b\\c\/\n\t\b\f\r\u0000"}}], "output_specs": []}"#;
        let read = decode(json).expect("the scanner reads escapes");
        assert_eq!(read, super::super::decode_full(json.as_bytes()).unwrap());
        assert_eq!(read.signature.parameters(), ["a\"b\\c/\n\t\u{8}\u{c}\r\0"]);
        assert_eq!(read.signature.input_specs()[0].arg.name(), "p_\u{e9}\u{1f600}");
    }

    /// The canonical pieces read torch's spacing of the common specs, and leave anything
    /// else (the cursor where it was) to the general path, which reads the same.
    #[test]
    fn canonical_specs_are_read_in_pieces_and_the_rest_token_by_token() {
        let scanner = |text: &'static str| Scanner { text, b: text.as_bytes(), pos: 0, depth: 0 };
        for (text, canonical) in [
            (r#"{"parameter": {"arg": {"name": "p_w"}, "parameter_name": "w"}}"#, true),
            (r#"{"buffer": {"arg": {"name": "b_m"}, "buffer_name": "m", "persistent": true}}"#, true),
            (r#"{"buffer": {"arg": {"name": "b_m"}, "buffer_name": "m", "persistent": false}}"#, true),
            (r#"{"user_input": {"arg": {"as_tensor": {"name": "x\u00e9"}}}}"#, true),
            (r#"{"parameter": {"arg": {"name": "p_w"}, "parameter_name":"w"}}"#, false),
            (r#"{"parameter": {"parameter_name": "w", "arg": {"name": "p_w"}}}"#, false),
            (r#"{"buffer": {"arg": {"name": "b_m"}, "persistent": true, "buffer_name": "m"}}"#, false),
            (r#"{"user_input": {"arg": {"as_sym_int": {"as_name": "s0"}}}}"#, false),
            (r#"{"tensor_constant": {"arg": {"name": "c"}, "tensor_constant_name": "c"}}"#, false),
        ] {
            let mut s = scanner(text);
            let fast = s.canonical_input();
            assert_eq!(fast.is_some(), canonical, "{text}");
            assert_eq!(s.pos, if canonical { text.len() } else { 0 }, "{text}");
            let general = scanner(text).input_spec().expect("the general path reads it");
            assert_eq!(fast.unwrap_or_else(|| general.clone()), general, "{text}");
        }
        for (text, canonical) in [
            (r#"{"buffer_mutation": {"arg": {"name": "add"}, "buffer_name": "m"}}"#, true),
            (r#"{"user_output": {"arg": {"as_tensor": {"name": "mm"}}}}"#, true),
            (r#"{"user_output": {"arg": {"as_none": true}}}"#, false),
            (r#"{"buffer_mutation": {"arg": {"name": "add"}, "buffer_name": "m", "x": 1}}"#, false),
        ] {
            let mut s = scanner(text);
            let fast = s.canonical_output();
            assert_eq!(fast.is_some(), canonical, "{text}");
            assert_eq!(s.pos, if canonical { text.len() } else { 0 }, "{text}");
            let general = scanner(text).output_spec().expect("the general path reads it");
            assert_eq!(fast.unwrap_or_else(|| general.clone()), general, "{text}");
        }
    }

    #[test]
    fn the_scanner_gives_way_on_what_a_later_tier_decides() {
        for json in [
            // An escape in a key, a lone surrogate, long or far floats, `-0`, a 19-digit integer.
            r#"{"input_specs": [{"parameter": {"arg": {"n\u0061me": "p"}, "parameter_name": "w"}}], "output_specs": []}"#,
            r#"{"input_specs": [{"parameter": {"arg": {"name": "p\ud800"}, "parameter_name": "w"}}], "output_specs": []}"#,
            r#"{"input_specs": [{"parameter": {"arg": {"name": "p\udc00\ud800"}, "parameter_name": "w"}}], "output_specs": []}"#,
            r#"{"input_specs": [{"constant_input": {"name": "c", "value": {"as_float": 0.12345678901234567890123456789012345678901}}}], "output_specs": []}"#,
            r#"{"input_specs": [{"constant_input": {"name": "c", "value": {"as_float": 1e400}}}], "output_specs": []}"#,
            r#"{"input_specs": [{"constant_input": {"name": "c", "value": {"as_int": -0}}}], "output_specs": []}"#,
            r#"{"input_specs": [{"constant_input": {"name": "c", "value": {"as_int": 9223372036854775808}}}], "output_specs": []}"#,
            r#"{"input_specs": [{"constant_input": {"name": "c", "value": {"as_int": -9223372036854775809}}}], "output_specs": []}"#,
            // In a skipped member: a lone surrogate, a number that may pass f64, deep nesting.
            r#"{"input_specs": [], "output_specs": [], "x": "\ud83d\u0041"}"#,
            r#"{"input_specs": [], "output_specs": [], "x": 1e300}"#,
            // What the typed fast path gives way on too.
            r#"{"input_specs": [{"buffer": {"arg": {"name": "b"}, "buffer_name": "b"}}], "output_specs": []}"#,
            r#"{"input_specs": [{"parameter": {"arg": {"name": "p"}, "parameter_name": "w", "parameter_name": "v"}}], "output_specs": []}"#,
            r#"{"input_specs": [{"user_input": null, "parameter": {"arg": {"name": "p"}, "parameter_name": "w"}}], "output_specs": []}"#,
            r#"{"input_specs": [], "output_specs": []} x"#,
        ] {
            assert!(decode(json).is_none(), "{json}");
        }
        let deep = format!(r#"{{"input_specs": [], "output_specs": [], "x": {}{}}}"#, "[".repeat(101), "]".repeat(101));
        assert!(decode(&deep).is_none());
        let fine = format!(
            r#"{{"input_specs": [], "output_specs": [], "x": [{}{}, "\n\"\u00e9", -0.5e-3, 1e299, {{}}]}}"#,
            "[".repeat(90),
            "]".repeat(90)
        );
        assert!(decode(&fine).is_some());
    }
}

#[cfg(test)]
mod fixtures {
    /// Every torch JSON file of the fixtures (torch 2.2 to 2.15, bare signatures and whole
    /// programs): where the scanner answers, it answers what the full reader does, and it
    /// answers for most of what torch 2.3+ wrote, whole programs (graphs skipped) included.
    #[test]
    fn the_scanner_agrees_with_the_full_reader_on_every_fixture() {
        let (mut signatures, mut programs, mut total) = (0, 0, 0);
        for path in super::super::fixture_files(super::super::is_torch_json_fixture) {
            let bytes = std::fs::read(&path).unwrap();
            total += 1;
            let Ok(text) = std::str::from_utf8(&bytes) else { continue };
            if let Some(read) = super::decode(text) {
                assert_eq!(read, super::super::decode_full(&bytes).unwrap(), "{}", path.display());
                // The same JSON re-spaced misses every canonical piece and is read token by
                // token: the same answer.
                let value: serde_json::Value = serde_json::from_str(text).unwrap();
                let pretty = serde_json::to_string_pretty(&value).unwrap();
                assert_eq!(super::decode(&pretty).as_ref(), Some(&read), "re-spaced {}", path.display());
                if path.ends_with("model.json") {
                    programs += 1;
                } else {
                    signatures += 1;
                }
            } else {
                assert!(super::super::fast::decode_typed(text).is_none(), "read by the typed pass: {}", path.display());
            }
        }
        eprintln!("the scanner read {signatures} signatures and {programs} programs of {total} files");
        assert!(signatures > 20 && programs >= 4, "{signatures} signatures, {programs} programs of {total}");
    }

    /// The programs of every `.pt2` fixture (torch 2.2 to 2.15 wrote them): where the scanner
    /// answers, the full reader answers the same; and it reads every program the typed pass
    /// reads (so on what torch wrote, it never costs a second parse).
    #[test]
    fn the_scanner_agrees_with_the_full_reader_on_every_archived_program() {
        use crate::archive::pt2::Archive;
        let (mut read, mut total, mut missed) = (0, 0, Vec::new());
        for path in super::super::fixture_files(|p| p.extension().is_some_and(|e| e == "pt2")) {
            let Ok(mut archive) = Archive::new(std::fs::File::open(&path).unwrap()) else { continue };
            for model in archive.models().to_vec() {
                let record = archive.model_record(&model).unwrap();
                let bytes = archive.record(&record, u64::MAX).unwrap();
                total += 1;
                let Ok(text) = std::str::from_utf8(&bytes) else { continue };
                match super::decode(text) {
                    Some(scanned) => {
                        let full = super::super::decode_full(&bytes).unwrap();
                        assert_eq!(scanned, full, "{} {model}", path.display());
                        read += 1;
                    }
                    None => {
                        if super::super::fast::decode_typed(text).is_some() {
                            missed.push(format!("{} {model}", path.display()));
                        }
                    }
                }
            }
        }
        eprintln!("the scanner read {read} of {total} archived programs");
        assert!(read > 50, "{read} of {total}");
        assert!(missed.is_empty(), "programs the typed pass reads and the scanner gave way on: {missed:#?}");
    }
}
