//! Finding the pickles: files, zips inside zips, streams of pickles, and what each torch
//! loader reads.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use super::verdict::{judge, Context};
use super::{
    FileFormat, FileReport, Finding, LoadMode, Loader, Options, PickleReport, Role, Verdict, MAX_INFLATED_BYTES,
    MAX_JSON_BYTES, MAX_NESTING, MAX_PICKLES_PER_FILE, MAX_PICKLES_PER_STREAM, MAX_PICKLE_BYTES,
};
use crate::archive::safetensors::MAX_HEADER_SIZE;
use crate::archive::zipfile::{self, Entry, Window};
use crate::codec::torch_json::{TorchSchemaVersion, TorchTarget};
use crate::map::pickle::scan_globals;
use crate::Error;

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// The first pickle of torch's legacy (non-zip) format: `pickle.dump(MAGIC_NUMBER)` at
/// protocol 2, `MAGIC_NUMBER = 0x1950a86a20f9469cfc6c`.
const LEGACY_MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
/// The pickles torch's legacy format writes one after another: the magic number, the
/// protocol version, `sys_info`, the object, the storage keys (raw storages follow).
const LEGACY_PICKLES: usize = 5;

// What each torch release's loader does with each record (docs/scan.md has the sources).
const LEGACY_ARTIFACT: &str =
    "torch.export.load → deserialize_torch_artifact → torch.load: full pickle in torch 2.1 to \
     2.4 (the default then), weights_only=False in 2.5 to 2.9, weights_only=True then weights_only=False when that \
     fails in 2.10 to 2.15";
const PT2_ARTIFACT: &str = "torch.export.load → deserialize_torch_artifact → torch.load(weights_only=False) in torch \
     2.8 and 2.9; weights_only=True, then weights_only=False when that fails, in 2.10 to 2.15";
const PICKLED_PAYLOAD: &str = "torch.export.load → torch.load(weights_only=False) in torch 2.9 to 2.15 (use_pickle)";
const CUSTOM_OBJECT: &str =
    "torch.export.load → torch._C._pickle_load_obj: the TorchScript unpickler, in torch 2.9 to 2.15";
const OPAQUE_OBJECT: &str = "torch.export.load → pickle.loads in torch 2.13 to 2.15";
const INLINE_CONSTANT: &str = "torch.export.load → deserialize_torch_artifact(base64) → torch.load: full pickle in \
                               torch 2.1";
const INLINE_CUSTOM_OBJECT: &str = "torch.export.load → pickle.loads(base64) in torch 2.1";
const TORCH_SAVE: &str = "torch.load: full pickle by default in torch up to 2.5, weights_only by default from 2.6 \
                          (weights_only=False runs it in every release)";
const TORCHSCRIPT: &str = "torch.jit.load: the TorchScript unpickler";
const BARE_PICKLE: &str = "pickle.load; torch.load reads a non-zip file as its legacy format (full pickle by default \
                           up to torch 2.5)";
const UNREFERENCED: &str = "no torch loader reads this record";

fn loader(role: Role) -> Loader {
    let (mode, how) = match role {
        Role::SampleInputs | Role::StateDict | Role::Constants => (LoadMode::FullPickle, PT2_ARTIFACT),
        Role::InlineConstant => (LoadMode::FullPickle, INLINE_CONSTANT),
        Role::InlineCustomObject => (LoadMode::FullPickle, INLINE_CUSTOM_OBJECT),
        Role::PickledWeight | Role::PickledConstant => (LoadMode::FullPickle, PICKLED_PAYLOAD),
        Role::CustomObject => (LoadMode::TorchScript, CUSTOM_OBJECT),
        Role::OpaqueObject => (LoadMode::FullPickle, OPAQUE_OBJECT),
        Role::TorchSave => (LoadMode::FullPickle, TORCH_SAVE),
        Role::TorchScriptArchive => (LoadMode::TorchScript, TORCHSCRIPT),
        Role::BarePickle => (LoadMode::FullPickle, BARE_PICKLE),
        Role::Unreferenced => (LoadMode::NotLoaded, UNREFERENCED),
    };
    Loader { role, mode, how }
}

fn legacy_loader(role: Role) -> Loader {
    Loader { role, mode: LoadMode::FullPickle, how: LEGACY_ARTIFACT }
}

pub(crate) fn scan_file(path: &Path, options: &Options) -> Result<FileReport, Error> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut w = Walker::new(&path.display().to_string(), len, options);
    w.file(&mut BufReader::with_capacity(1 << 16, file), len, path.extension().and_then(|e| e.to_str()));
    match w.io_error.take() {
        Some(e) => Err(e),
        None => Ok(w.finish()),
    }
}

pub(crate) fn scan_reader<R: Read + Seek>(mut reader: R, len: u64, name: &str, options: &Options) -> FileReport {
    let mut w = Walker::new(name, len, options);
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_owned);
    w.file(&mut reader, len, ext.as_deref());
    if let Some(e) = w.io_error.take() {
        w.report.findings.push(Finding { location: Vec::new(), verdict: Verdict::Malformed, reason: e.to_string() });
    }
    w.finish()
}

struct Walker {
    report: FileReport,
    /// An I/O error that is not about the bytes (the scan stops there).
    io_error: Option<Error>,
    /// The classes the programs of the archive declare for their custom objects.
    declared_classes: Vec<String>,
    too_many_reported: bool,
}

/// What a failure to read something is: a finding about the bytes, or an I/O error.
enum Trouble {
    Bytes(String),
    Io(Error),
}

impl From<Error> for Trouble {
    fn from(e: Error) -> Self {
        match e {
            Error::Io { source, .. } if source.kind() == io::ErrorKind::UnexpectedEof => {
                Trouble::Bytes(format!("truncated: {source}"))
            }
            e @ Error::Io { .. } => Trouble::Io(e),
            other => Trouble::Bytes(other.to_string()),
        }
    }
}

impl From<io::Error> for Trouble {
    fn from(e: io::Error) -> Self {
        Error::from(e).into()
    }
}

impl Walker {
    fn new(path: &str, size: u64, _options: &Options) -> Self {
        Self {
            report: FileReport {
                path: path.to_owned(),
                format: FileFormat::Unknown,
                layout: None,
                release: None,
                size,
                pickles: Vec::new(),
                findings: Vec::new(),
                verdict: Verdict::Safe,
                reason: String::new(),
            },
            io_error: None,
            declared_classes: Vec::new(),
            too_many_reported: false,
        }
    }

    fn finish(mut self) -> FileReport {
        self.report.finish();
        self.report
    }

    fn finding(&mut self, location: &[String], verdict: Verdict, reason: impl Into<String>) {
        self.report.findings.push(Finding { location: location.to_vec(), verdict, reason: reason.into() });
    }

    /// Records a trouble: a finding, or the I/O error that stops the scan.
    fn trouble(&mut self, location: &[String], t: Trouble) {
        match t {
            Trouble::Bytes(reason) => self.finding(location, Verdict::Malformed, reason),
            Trouble::Io(e) => {
                if self.io_error.is_none() {
                    self.io_error = Some(e);
                }
            }
        }
    }

    fn stopped(&self) -> bool {
        self.io_error.is_some()
    }

    fn file(&mut self, r: &mut dyn ReadSeek, len: u64, ext: Option<&str>) {
        let mut prefix = [0u8; 16];
        let n = match read_prefix(r, 0, len, &mut prefix) {
            Ok(n) => n,
            Err(e) => return self.trouble(&[], e.into()),
        };
        let prefix = &prefix[..n];
        if crate::archive::pt2::looks_like_zip(prefix) {
            self.zip(r, &[], 1, None);
        } else if crate::archive::safetensors::looks_like_safetensors(prefix) {
            self.report.format = FileFormat::Safetensors;
            if let Err(t) = self.safetensors(r, len) {
                self.trouble(&[], t);
            }
        } else if prefix.starts_with(&LEGACY_MAGIC[..prefix.len().min(LEGACY_MAGIC.len())]) && n >= LEGACY_MAGIC.len() {
            self.report.format = FileFormat::TorchSaveLegacy;
            self.stream(r, len, &[], loader(Role::TorchSave), Stream::Legacy);
        } else if looks_like_pickle(prefix) || matches!(ext, Some("pkl" | "pickle" | "pt" | "pth" | "bin" | "ckpt")) {
            self.report.format = FileFormat::Pickle;
            self.stream(r, len, &[], loader(Role::BarePickle), Stream::Bare);
        } else if len == 0 {
            self.finding(&[], Verdict::Malformed, "an empty file");
        } else {
            self.finding(
                &[],
                Verdict::Malformed,
                "neither a zip, a pickle nor a safetensors file: nothing the scan can vouch for",
            );
        }
    }

    /// Reads the pickles at the start of `r` (a file, or a record seen through a window).
    fn stream(&mut self, r: &mut dyn ReadSeek, len: u64, location: &[String], loader: Loader, kind: Stream) {
        let take = len.min(MAX_PICKLE_BYTES);
        let bytes = match read_at(r, 0, take) {
            Ok(b) => b,
            Err(e) => return self.trouble(location, e.into()),
        };
        self.pickles(&bytes, len, location, loader, kind, &[]);
    }

    /// Scans the pickles of `bytes` (the first `bytes.len()` bytes of `total`).
    fn pickles(
        &mut self,
        bytes: &[u8],
        total: u64,
        location: &[String],
        loader: Loader,
        kind: Stream,
        opaque: &[String],
    ) {
        let limit = match kind {
            Stream::One => 1,
            Stream::Legacy => LEGACY_PICKLES,
            Stream::Bare => MAX_PICKLES_PER_STREAM,
        };
        let mut at = 0usize;
        for index in 0..limit {
            if index > 0 && (at >= bytes.len() || (kind == Stream::Bare && !looks_like_pickle(&bytes[at..]))) {
                break;
            }
            let mut here = location.to_vec();
            if index > 0 {
                here.push(format!("#{index}"));
            }
            let chunk = &bytes[at..];
            let scan = scan_globals(chunk, &here.join(" > "));
            // After the first pickle of a bare stream, only a whole pickle counts: what follows
            // a pickle is often other data, which one pickle.load never reads.
            if index > 0 && kind == Stream::Bare && scan.error.is_some() {
                break;
            }
            if !self.room_for_a_pickle(location) {
                return;
            }
            let cx = Context { mode: loader.mode, role: loader.role, opaque_classes: opaque };
            let mut judged = judge(chunk, &scan, &cx);
            let cut = (bytes.len() as u64) < total && scan.end.is_none();
            if cut && judged.verdict != Verdict::Dangerous {
                judged.verdict = Verdict::Malformed;
                judged
                    .reasons
                    .insert(0, format!("over the scan's limit of {MAX_PICKLE_BYTES} bytes per pickle ({total} bytes)"));
            }
            let size = scan.end.map_or(chunk.len() as u64, |e| e as u64);
            self.report.pickles.push(PickleReport {
                location: here,
                loader: loader.clone(),
                size,
                protocol: scan.protocol,
                globals: judged.globals,
                calls: judged.calls,
                classes: judged.classes,
                verdict: judged.verdict,
                reasons: judged.reasons,
            });
            match scan.end {
                Some(end) => at += end,
                None => break,
            }
        }
    }

    fn room_for_a_pickle(&mut self, location: &[String]) -> bool {
        if self.report.pickles.len() < MAX_PICKLES_PER_FILE {
            return true;
        }
        if !self.too_many_reported {
            self.too_many_reported = true;
            self.finding(
                location,
                Verdict::Malformed,
                format!("more than {MAX_PICKLES_PER_FILE} pickles in one file: the rest are not scanned"),
            );
        }
        false
    }

    /// Reads a zip at `r` (at nesting `depth`, 1 for the file); `role` is what the loader
    /// that opens it takes it for (`None` at the top, where the record names tell).
    fn zip(&mut self, r: &mut dyn ReadSeek, location: &[String], depth: usize, role: Option<Role>) {
        if depth > MAX_NESTING {
            return self.finding(location, Verdict::Malformed, format!("zips nested deeper than {MAX_NESTING} levels"));
        }
        let entries = match zipfile::entries(&mut &mut *r) {
            Ok(e) => e,
            Err(e) => {
                let t = match Trouble::from(e) {
                    Trouble::Bytes(reason) => Trouble::Bytes(format!("not a readable zip: {reason}")),
                    io => io,
                };
                if depth == 1 {
                    self.report.format = FileFormat::Zip;
                }
                return self.trouble(location, t);
            }
        };
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        let kind = ZipKind::of(&names);
        if depth == 1 {
            self.report.format = kind.format();
            if let ZipKind::Pt2 { legacy, .. } = &kind {
                self.report.layout = Some(if *legacy { "legacy-zip" } else { "pt2-archive" });
            }
        }
        let plan = match &kind {
            ZipKind::Pt2 { legacy, root } => self.pt2_plan(r, &entries, *legacy, root, location, depth),
            _ => Plan::default(),
        };
        if self.stopped() {
            return;
        }
        for entry in &entries {
            if self.stopped() {
                return;
            }
            let mut here = location.to_vec();
            here.push(entry.name.clone());
            let what = classify(entry, &kind, &plan, role);
            if let Err(t) = self.entry(r, entry, &here, depth, what) {
                self.trouble(&here, t);
            }
        }
    }

    /// What a `.pt2` tells before its records are read: the configs that say which payloads
    /// are pickled, the classes its programs declare, its release; torch 2.1's inline pickles.
    fn pt2_plan(
        &mut self,
        r: &mut dyn ReadSeek,
        entries: &[Entry],
        legacy: bool,
        root: &str,
        location: &[String],
        depth: usize,
    ) -> Plan {
        let mut plan = Plan::default();
        for entry in entries {
            let name = entry.name.as_str();
            let rel = if legacy { Some(name) } else { name.strip_prefix(root).and_then(|n| n.strip_prefix('/')) };
            let Some(rel) = rel else { continue };
            let is_config = (rel.starts_with("data/weights/") && rel.ends_with("_weights_config.json"))
                || (rel.starts_with("data/constants/") && rel.ends_with("_constants_config.json"));
            let is_program = if legacy {
                rel == "serialized_exported_program.json"
            } else {
                rel.starts_with("models/") && rel.ends_with(".json")
            };
            if !is_config && !is_program {
                continue;
            }
            let mut here = location.to_vec();
            here.push(name.to_owned());
            let bytes = match read_record(r, entry, MAX_JSON_BYTES) {
                Ok(b) => b,
                Err(t) => {
                    self.trouble(&here, t);
                    continue;
                }
            };
            if is_config {
                match serde_json::from_slice::<PayloadConfig>(&bytes) {
                    Ok(config) => {
                        let dir = if rel.starts_with("data/weights/") { "data/weights/" } else { "data/constants/" };
                        for meta in config.config.into_values() {
                            if meta.use_pickle {
                                plan.pickled.insert(format!("{dir}{}", meta.path_name));
                            }
                        }
                    }
                    Err(e) => self.finding(&here, Verdict::Malformed, format!("payload config is not readable: {e}")),
                }
            } else {
                self.program(&bytes, &here, depth);
            }
        }
        plan.pickled_known = true;
        plan
    }

    /// What the scan needs of a program's JSON: its schema version (the release), the classes
    /// of its custom objects, and torch 2.1's inline pickles.
    fn program(&mut self, bytes: &[u8], location: &[String], depth: usize) {
        // torch ≤ 2.6 wrote non-finite floats as bare tokens, which are not JSON.
        let quoted = crate::codec::torch_json::quote_bare_non_finite(bytes);
        let head: ProgramHead = match serde_json::from_slice(quoted.as_deref().unwrap_or(bytes)) {
            Ok(h) => h,
            // Not this scan's business: torch.export.load fails on it before unpickling.
            Err(_) => return,
        };
        if self.report.release.is_none() {
            self.report.release = head.schema_version.as_ref().and_then(release_of);
        }
        let Some(gm) = head.graph_module else { return };
        if let Some(specs) = gm.signature.and_then(|s| s.input_specs) {
            for spec in specs {
                if let Some(class) = spec.pointer("/custom_obj/arg/class_fqn").and_then(|v| v.as_str()) {
                    if !self.declared_classes.iter().any(|c| c == class) {
                        self.declared_classes.push(class.to_owned());
                    }
                }
            }
        }
        // torch 2.1: tensor constants as base64 torch.save zips in the graph's constants.
        if let Some(constants) = gm.graph.and_then(|g| g.constants) {
            for (name, value) in constants {
                let Some(text) = value.as_str() else { continue };
                let mut here = location.to_vec();
                here.push(format!("graph.constants.{name} (base64)"));
                match base64_decode(text) {
                    Some(raw) => self.inline(&raw, &here, depth, Role::InlineConstant),
                    None => self.finding(&here, Verdict::Malformed, "not base64"),
                }
            }
        }
        // torch 2.1: custom objects as base64 pickles (`as_custom_obj.blob`).
        if memchr(bytes, b"\"blob\"") {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
                let mut blobs = Vec::new();
                collect_blobs(&value, &mut blobs, 0);
                for (i, blob) in blobs.into_iter().enumerate() {
                    let mut here = location.to_vec();
                    here.push(format!("as_custom_obj.blob[{i}] (base64)"));
                    match base64_decode(&blob) {
                        Some(raw) => self.inline(&raw, &here, depth, Role::InlineCustomObject),
                        None => self.finding(&here, Verdict::Malformed, "not base64"),
                    }
                }
            }
        }
    }

    /// Bytes found inside a JSON record: a zip (torch.save) or a pickle.
    fn inline(&mut self, raw: &[u8], location: &[String], depth: usize, role: Role) {
        if crate::archive::pt2::looks_like_zip(raw) {
            let mut cursor = io::Cursor::new(raw);
            self.zip(&mut cursor, location, depth + 1, Some(role));
        } else {
            let opaque = self.declared_classes.clone();
            self.pickles(raw, raw.len() as u64, location, loader(role), Stream::One, &opaque);
        }
    }

    fn entry(
        &mut self,
        r: &mut dyn ReadSeek,
        entry: &Entry,
        here: &[String],
        depth: usize,
        what: What,
    ) -> Result<(), Trouble> {
        match what {
            What::Skip => Ok(()),
            What::NativeCode => {
                self.finding(
                    here,
                    Verdict::NeedsTrust,
                    "compiled code (an AOTInductor package): loading the package runs it",
                );
                Ok(())
            }
            What::Pickle(role) => {
                let loader = self.loader_for(role);
                let bytes = read_record(r, entry, MAX_PICKLE_BYTES).map_err(|t| over_limit(t, entry))?;
                if crate::archive::pt2::looks_like_zip(&bytes) {
                    // A loader of pickles given a zip: torch.load reads a zip, pickle.loads fails.
                    let mut cursor = io::Cursor::new(&bytes[..]);
                    self.zip(&mut cursor, here, depth + 1, Some(loader.role));
                    return Ok(());
                }
                let opaque = if loader.role == Role::OpaqueObject { self.declared_classes.clone() } else { Vec::new() };
                self.pickles(&bytes, bytes.len() as u64, here, loader, Stream::One, &opaque);
                Ok(())
            }
            // A torch.save file read by torch.load: a zip, or the legacy format.
            What::Artifact(role) => self.nested(r, entry, here, depth, role),
            What::Sniff => self.sniff(r, entry, here, depth),
        }
    }

    /// A record a loader reads as a `torch.save` file (zip or legacy format).
    fn nested(
        &mut self,
        r: &mut dyn ReadSeek,
        entry: &Entry,
        here: &[String],
        depth: usize,
        role: Role,
    ) -> Result<(), Trouble> {
        let (start, len) = zipfile::data_range(&mut &mut *r, entry)?;
        if entry.method == 0 {
            if len != entry.size {
                return Err(Trouble::Bytes(format!(
                    "a STORED record of {len} bytes that declares {} bytes",
                    entry.size
                )));
            }
            let mut prefix = [0u8; 16];
            let n = read_prefix(r, start, start + len, &mut prefix)?;
            let mut window = Window::new(&mut *r, start, len);
            if crate::archive::pt2::looks_like_zip(&prefix[..n]) {
                self.zip(&mut window, here, depth + 1, Some(role));
            } else {
                let kind = if prefix[..n].starts_with(LEGACY_MAGIC) { Stream::Legacy } else { Stream::One };
                let loader = self.loader_for(role);
                self.stream(&mut window, len, here, loader, kind);
            }
            Ok(())
        } else {
            let bytes = read_record(r, entry, MAX_INFLATED_BYTES).map_err(|t| over_limit(t, entry))?;
            let mut cursor = io::Cursor::new(&bytes[..]);
            if crate::archive::pt2::looks_like_zip(&bytes) {
                self.zip(&mut cursor, here, depth + 1, Some(role));
            } else {
                let kind = if bytes.starts_with(LEGACY_MAGIC) { Stream::Legacy } else { Stream::One };
                let loader = self.loader_for(role);
                self.pickles(&bytes, bytes.len() as u64, here, loader, kind, &[]);
            }
            Ok(())
        }
    }

    fn loader_for(&self, role: Role) -> Loader {
        match (self.report.layout, role) {
            (Some("legacy-zip"), Role::SampleInputs | Role::StateDict | Role::Constants) => legacy_loader(role),
            _ => loader(role),
        }
    }

    /// A record no loader is known to read: looked at only if it is a zip or a whole pickle.
    fn sniff(&mut self, r: &mut dyn ReadSeek, entry: &Entry, here: &[String], depth: usize) -> Result<(), Trouble> {
        let (start, len) = zipfile::data_range(&mut &mut *r, entry)?;
        if entry.method != 0 {
            // A compressed record: inflate it only if small enough to look at whole.
            if entry.size > MAX_INFLATED_BYTES {
                return Ok(());
            }
            let bytes = read_record(r, entry, MAX_INFLATED_BYTES)?;
            return self.sniffed(&bytes, bytes.len() as u64, here, depth, None);
        }
        let mut prefix = [0u8; 16];
        let n = read_prefix(r, start, start + len, &mut prefix)?;
        let prefix = &prefix[..n];
        if crate::archive::pt2::looks_like_zip(prefix) {
            let mut window = Window::new(&mut *r, start, len);
            self.zip(&mut window, here, depth + 1, Some(Role::Unreferenced));
        } else if looks_like_pickle(prefix) || entry.name.ends_with(".pkl") {
            let bytes = read_at(r, start, len.min(MAX_PICKLE_BYTES))?;
            self.sniffed(&bytes, len, here, depth, Some(entry.name.ends_with(".pkl")))?;
        }
        Ok(())
    }

    fn sniffed(
        &mut self,
        bytes: &[u8],
        total: u64,
        here: &[String],
        depth: usize,
        named_pickle: Option<bool>,
    ) -> Result<(), Trouble> {
        if crate::archive::pt2::looks_like_zip(bytes) {
            let mut cursor = io::Cursor::new(bytes);
            self.zip(&mut cursor, here, depth + 1, Some(Role::Unreferenced));
            return Ok(());
        }
        if !looks_like_pickle(bytes) && named_pickle != Some(true) {
            return Ok(());
        }
        // Data that happens to start like a pickle is not one: only a whole pickle (or a
        // record named like one) is listed.
        let whole = scan_globals(bytes, "").error.is_none();
        if whole || named_pickle == Some(true) {
            self.pickles(bytes, total, here, loader(Role::Unreferenced), Stream::One, &[]);
        }
        Ok(())
    }

    /// Header sanity of a safetensors file: no pickle in it, but a header that cannot be
    /// read, or offsets outside the file, make readers fail or misread.
    fn safetensors(&mut self, r: &mut dyn ReadSeek, len: u64) -> Result<(), Trouble> {
        let mut n = [0u8; 8];
        r.seek(SeekFrom::Start(0))?;
        r.read_exact(&mut n)?;
        let header_len = u64::from_le_bytes(n);
        if header_len > MAX_HEADER_SIZE || header_len.checked_add(8).is_none_or(|end| end > len) {
            return Err(Trouble::Bytes(format!(
                "safetensors header of {header_len} bytes does not fit the {len}-byte file (or the {MAX_HEADER_SIZE}-byte limit)"
            )));
        }
        let header = read_at(r, 8, header_len)?;
        let map: indexmap::IndexMap<String, serde_json::Value> = serde_json::from_slice(&header)
            .map_err(|e| Trouble::Bytes(format!("safetensors header is not a JSON object: {e}")))?;
        let data_len = len - 8 - header_len;
        let mut spans = Vec::with_capacity(map.len());
        for (name, value) in &map {
            if name == "__metadata__" {
                if !value.as_object().is_some_and(|m| m.values().all(|v| v.is_string())) {
                    return Err(Trouble::Bytes("safetensors __metadata__ is not a string-to-string map".into()));
                }
                continue;
            }
            let tensor: SafetensorsEntry = serde_json::from_value(value.clone())
                .map_err(|e| Trouble::Bytes(format!("safetensors entry {name:?}: {e}")))?;
            let Some(width) = dtype_bits(&tensor.dtype) else {
                return Err(Trouble::Bytes(format!("safetensors entry {name:?}: unknown dtype {:?}", tensor.dtype)));
            };
            let [begin, end] = tensor.data_offsets;
            let elements = tensor.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
            let bytes = elements.and_then(|e| e.checked_mul(width)).map(|bits| bits.div_ceil(8));
            if begin > end || end > data_len || bytes != Some(end - begin) {
                return Err(Trouble::Bytes(format!(
                    "safetensors entry {name:?}: offsets {begin}..{end} do not hold its shape and dtype within the {data_len} data bytes"
                )));
            }
            spans.push((begin, end));
        }
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(Trouble::Bytes("safetensors entries overlap".into()));
        }
        Ok(())
    }
}

fn over_limit(t: Trouble, entry: &Entry) -> Trouble {
    match t {
        Trouble::Bytes(reason) if entry.size.max(entry.compressed_size) > MAX_PICKLE_BYTES => {
            Trouble::Bytes(format!("{reason}: over the scan's limit, so it cannot be vouched for"))
        }
        other => other,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// One pickle (a record a loader unpickles once).
    One,
    /// torch's legacy format: five pickles.
    Legacy,
    /// A file: the first pickle, and the whole pickles that follow it.
    Bare,
}

/// What to do with a record.
enum What {
    Skip,
    Pickle(Role),
    Artifact(Role),
    NativeCode,
    Sniff,
}

#[derive(Default)]
struct Plan {
    /// The payload records (`data/weights/weight_0`) the configs say are pickled.
    pickled: BTreeSet<String>,
    pickled_known: bool,
}

enum ZipKind {
    Pt2 { legacy: bool, root: String },
    TorchSave { root: String },
    TorchScript,
    Aoti,
    Other,
}

impl ZipKind {
    fn of(names: &[&str]) -> Self {
        if names.contains(&"serialized_exported_program.json") {
            return ZipKind::Pt2 { legacy: true, root: String::new() };
        }
        let root = names.first().and_then(|n| n.split_once('/')).map(|(r, _)| r.to_owned());
        let under = |suffix: &str| names.iter().any(|n| n.split_once('/').is_some_and(|(_, rest)| rest == suffix));
        let under_dir =
            |dir: &str| names.iter().any(|n| n.split_once('/').is_some_and(|(_, rest)| rest.starts_with(dir)));
        match root {
            Some(root) if names.iter().any(|n| n.strip_prefix(root.as_str()) == Some("/archive_format")) => {
                if under_dir("models/") {
                    ZipKind::Pt2 { legacy: false, root }
                } else if under_dir("data/aotinductor/") {
                    ZipKind::Aoti
                } else {
                    ZipKind::Pt2 { legacy: false, root }
                }
            }
            Some(_) if under("constants.pkl") && under_dir("code/") => ZipKind::TorchScript,
            Some(root) if under("data.pkl") => ZipKind::TorchSave { root },
            _ => ZipKind::Other,
        }
    }

    fn format(&self) -> FileFormat {
        match self {
            ZipKind::Pt2 { .. } => FileFormat::Pt2,
            ZipKind::TorchSave { .. } => FileFormat::TorchSave,
            ZipKind::TorchScript => FileFormat::TorchScript,
            ZipKind::Aoti => FileFormat::Aoti,
            ZipKind::Other => FileFormat::Zip,
        }
    }
}

fn is_native_code(name: &str) -> bool {
    [".so", ".dll", ".dylib", ".pyd"].iter().any(|s| name.ends_with(s))
}

/// What a loader does with `entry` of a zip of `kind`; `role` is what the loader that
/// opened the zip takes it for.
fn classify(entry: &Entry, kind: &ZipKind, plan: &Plan, role: Option<Role>) -> What {
    let name = entry.name.as_str();
    match kind {
        ZipKind::Pt2 { legacy: true, .. } => match name {
            "serialized_state_dict.pt" | "serialized_state_dict.json" => What::Artifact(Role::StateDict),
            "serialized_constants.pt" | "serialized_constants.json" => What::Artifact(Role::Constants),
            "serialized_example_inputs.pt" => What::Artifact(Role::SampleInputs),
            "serialized_exported_program.json" | "version" => What::Skip,
            _ if is_native_code(name) => What::NativeCode,
            _ => What::Sniff,
        },
        ZipKind::Pt2 { legacy: false, root } => {
            let Some(rel) = name.strip_prefix(root.as_str()).and_then(|n| n.strip_prefix('/')) else {
                return What::Sniff;
            };
            let file = |dir: &str| rel.strip_prefix(dir).filter(|f| !f.is_empty() && !f.contains('/'));
            if let Some(f) = file("data/sample_inputs/") {
                if f.ends_with(".pt") {
                    return What::Artifact(Role::SampleInputs);
                }
            }
            if let Some(f) = file("data/weights/") {
                if f.ends_with(".pt") {
                    return What::Artifact(Role::StateDict);
                }
                if plan.pickled.contains(rel) {
                    return What::Artifact(Role::PickledWeight);
                }
            }
            if let Some(f) = file("data/constants/") {
                if f.ends_with(".pt") {
                    return What::Artifact(Role::Constants);
                }
                if f.starts_with("custom_obj_") {
                    return What::Artifact(Role::CustomObject);
                }
                if f.starts_with("opaque_obj_") {
                    return What::Pickle(Role::OpaqueObject);
                }
                if plan.pickled.contains(rel) {
                    return What::Artifact(Role::PickledConstant);
                }
            }
            if is_native_code(rel) {
                return What::NativeCode;
            }
            if rel.starts_with("models/") || rel.starts_with("extra/") {
                return What::Skip;
            }
            What::Sniff
        }
        ZipKind::TorchSave { root } => {
            let rel = name.strip_prefix(root.as_str()).and_then(|n| n.strip_prefix('/')).unwrap_or(name);
            if rel == "data.pkl" {
                // Read by the loader that opened the zip (for a custom object, the TorchScript
                // unpickler reads the zip torch._C._pickle_save wrote).
                What::Pickle(role.unwrap_or(Role::TorchSave))
            } else if rel.starts_with("data/") || matches!(rel, "version" | "byteorder" | ".format_version") {
                // Storages: raw bytes, never unpickled.
                What::Skip
            } else {
                What::Sniff
            }
        }
        ZipKind::TorchScript => {
            if name.ends_with(".pkl") {
                What::Pickle(Role::TorchScriptArchive)
            } else if name.split_once('/').is_some_and(|(_, rest)| rest.starts_with("data/")) {
                What::Skip
            } else {
                What::Sniff
            }
        }
        ZipKind::Aoti | ZipKind::Other => {
            if is_native_code(name) {
                What::NativeCode
            } else {
                What::Sniff
            }
        }
    }
}

fn looks_like_pickle(prefix: &[u8]) -> bool {
    matches!(prefix, [0x80, proto, ..] if *proto <= 5)
}

/// Reads up to `buf.len()` bytes at `at`, but not past `end`.
fn read_prefix(r: &mut dyn ReadSeek, at: u64, end: u64, buf: &mut [u8]) -> io::Result<usize> {
    r.seek(SeekFrom::Start(at))?;
    let want = usize::try_from(end.saturating_sub(at)).map_or(buf.len(), |left| left.min(buf.len()));
    let buf = &mut buf[..want];
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn read_at(r: &mut dyn ReadSeek, at: u64, len: u64) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(at))?;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    r.take(len).read_to_end(&mut out)?;
    if (out.len() as u64) < len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file ends inside a record"));
    }
    Ok(out)
}

/// A record's bytes, at most `limit`: a STORED record's bytes as they are in the file (a
/// lenient loader reads them whatever the CRC says), a compressed one inflated.
fn read_record(r: &mut dyn ReadSeek, entry: &Entry, limit: u64) -> Result<Vec<u8>, Trouble> {
    if entry.method == 0 {
        let (start, len) = zipfile::data_range(&mut &mut *r, entry)?;
        if len > limit {
            return Err(Trouble::Bytes(format!("a record of {len} bytes, over the limit of {limit}")));
        }
        Ok(read_at(r, start, len)?)
    } else {
        Ok(zipfile::read_entry(&mut &mut *r, entry, limit)?)
    }
}

fn memchr(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn collect_blobs(value: &serde_json::Value, out: &mut Vec<String>, depth: usize) {
    if depth > 256 || out.len() >= MAX_PICKLES_PER_FILE {
        return;
    }
    match value {
        serde_json::Value::Object(map) => {
            if let Some(blob) = map.get("as_custom_obj").and_then(|o| o.get("blob")).and_then(|b| b.as_str()) {
                out.push(blob.to_owned());
            }
            for v in map.values() {
                collect_blobs(v, out, depth + 1);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect_blobs(v, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Standard base64 (with or without padding); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let body = text.trim_end_matches('=').as_bytes();
    if text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8]),
            2 => out.push((acc >> 16) as u8),
            _ => return None,
        }
    }
    Some(out)
}

/// The releases a schema version was written by: `{"major": 8, "minor": 20}`, or the bare
/// integer torch 2.1 (1) and 2.2 (2) wrote.
fn release_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => match n.as_u64()? {
            1 => Some("torch 2.1".to_owned()),
            2 => Some("torch 2.2".to_owned()),
            _ => None,
        },
        serde_json::Value::Object(m) => {
            let major = m.get("major")?.as_u64()?;
            let minor = m.get("minor")?.as_u64()?;
            let target = TorchTarget::from_schema(TorchSchemaVersion { major, minor }).ok()?;
            let releases = target.releases();
            (releases != "no torch release").then(|| format!("{releases} (schema {major}.{minor})"))
        }
        _ => None,
    }
}

/// Bits per element of a safetensors dtype.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        _ => return None,
    })
}

#[derive(Deserialize)]
struct SafetensorsEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

#[derive(Deserialize)]
struct PayloadConfig {
    config: indexmap::IndexMap<String, PayloadMeta>,
}

#[derive(Deserialize)]
struct PayloadMeta {
    path_name: String,
    #[serde(default)]
    use_pickle: bool,
}

#[derive(Deserialize)]
struct ProgramHead {
    #[serde(default)]
    schema_version: Option<serde_json::Value>,
    #[serde(default)]
    graph_module: Option<GraphModuleHead>,
}

#[derive(Deserialize)]
struct GraphModuleHead {
    #[serde(default)]
    graph: Option<GraphHead>,
    #[serde(default)]
    signature: Option<SignatureHead>,
}

#[derive(Deserialize)]
struct GraphHead {
    #[serde(default)]
    constants: Option<indexmap::IndexMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct SignatureHead {
    #[serde(default)]
    input_specs: Option<Vec<serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_reads_what_python_writes() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a").is_none());
        assert!(base64_decode("a$==").is_none());
    }
}
