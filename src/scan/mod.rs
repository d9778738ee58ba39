//! A security scan of model files: every pickle a torch loader would unpickle, at any depth,
//! judged by an allow-list, without executing anything.
//!
//! `torch.export.load` unpickles several records of a `.pt2` (the sample inputs, the state
//! dict, the constants, pickled constants, custom and opaque objects), most of them with
//! Python's full unpickler, which runs whatever the pickle names; a `torch.save` file is a
//! pickle too. [`scan_path`] reads a file (a `.pt2` of either layout, a `torch.save` zip or
//! legacy file, a TorchScript archive, a bare pickle, a `.safetensors` file), opens every zip
//! stored inside it (to [`MAX_NESTING`] levels), finds every pickle, says which loader reads
//! it and how ([`Loader`]), lists every global it names and every call it makes (with
//! [`scan_globals`](crate::map::pickle::scan_globals), which never executes), and gives a
//! [`Verdict`]:
//!
//! - [`Verdict::Safe`]: only globals torch's own weights-only unpickler allows (tensor
//!   rebuilds, storages, dtypes, layouts, `OrderedDict`, …; the list is read from each
//!   release's `torch._weights_only_unpickler`);
//! - [`Verdict::NeedsTrust`]: TorchScript custom objects and opaque objects: not Python code
//!   in the pickle, but building them runs the class's library, so the class must be trusted;
//! - [`Verdict::Dangerous`]: any other global, or any call of one;
//! - [`Verdict::Malformed`]: a pickle (or container) that cannot be read to its end.
//!
//! ```
//! use graph_signature::scan::{scan_bytes, Options, Verdict};
//! // pickle.dumps of an object whose __reduce__ returns (os.system, ("echo pwned",))
//! let report = scan_bytes(b"cposix\nsystem\np0\n(Vecho pwned\np1\ntp2\nRp3\n.", "evil.pkl", &Options::default());
//! assert_eq!(report.verdict, Verdict::Dangerous);
//! assert_eq!(report.pickles[0].globals[0].name, "posix.system");
//! ```
//!
//! Bounded: every size read from a file is checked against the file and the limits below
//! before it is used; a pickle is read into memory only up to [`MAX_PICKLE_BYTES`], a zip
//! stored inside a zip is read in place (a window of the file) unless compressed, and
//! what cannot be scanned within the limits is [`Verdict::Malformed`], never skipped.
//! The contract (verdicts, loaders per release, JSON schema) is `docs/scan.md`.

mod allowlist;
mod verdict;
mod walk;

use std::fmt;
use std::path::Path;

use serde::Serialize;

pub use verdict::{weights_only_allows, weights_only_releases};

/// The version of the JSON report's schema (`docs/scan.md`): a new field is a minor bump, a
/// field removed or changed in meaning a major one.
pub const JSON_SCHEMA_VERSION: &str = "1.0";
/// The deepest nesting of zips read (a `.pt2` holding a `torch.save` zip is 2 levels).
pub const MAX_NESTING: usize = 4;
/// The largest pickle scanned, in bytes (a 100,000-tensor state dict pickle is about 20 MB).
pub const MAX_PICKLE_BYTES: u64 = 256 << 20;
/// The largest compressed zip record inflated into memory to be read as a zip or a pickle.
pub const MAX_INFLATED_BYTES: u64 = 256 << 20;
/// The largest JSON record read for what the scan needs of it (payload configs, the
/// program's declared classes, torch 2.1's inline constants).
pub const MAX_JSON_BYTES: u64 = 256 << 20;
/// The most pickles read one after another from one stream (torch's legacy format writes 5).
pub const MAX_PICKLES_PER_STREAM: usize = 8;
/// The most pickles listed per file; more is [`Verdict::Malformed`].
pub const MAX_PICKLES_PER_FILE: usize = 100_000;

/// The verdict on a pickle or a file, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Only globals torch's weights-only unpickler allows.
    Safe,
    /// TorchScript custom objects or opaque objects: loading runs their class's library.
    NeedsTrust,
    /// Cannot be read to its end (truncated, corrupt, over a limit).
    Malformed,
    /// A global outside the allow-list, or a call of one.
    Dangerous,
}

impl Verdict {
    /// `"safe"`, `"needs-trust"`, `"malformed"` or `"dangerous"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::NeedsTrust => "needs-trust",
            Verdict::Malformed => "malformed",
            Verdict::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "safe" => Ok(Verdict::Safe),
            "needs-trust" => Ok(Verdict::NeedsTrust),
            "malformed" => Ok(Verdict::Malformed),
            "dangerous" => Ok(Verdict::Dangerous),
            other => Err(format!("unknown verdict {other:?} (safe, needs-trust, malformed, dangerous)")),
        }
    }
}

/// How the loader unpickles, at worst over the releases that read the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadMode {
    /// Python's unpickler: imports and calls whatever the pickle names.
    FullPickle,
    /// torch's weights-only unpickler, with no fallback.
    WeightsOnly,
    /// The TorchScript unpickler (C++): resolves torch's builtins and TorchScript classes.
    #[serde(rename = "torchscript")]
    TorchScript,
    /// No torch loader reads this record; scanned because it is a pickle.
    NotLoaded,
}

impl LoadMode {
    /// The name the JSON report gives it, e.g. `"full-pickle"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadMode::FullPickle => "full-pickle",
            LoadMode::WeightsOnly => "weights-only",
            LoadMode::TorchScript => "torchscript",
            LoadMode::NotLoaded => "not-loaded",
        }
    }
}

/// What a record is, for the loader that reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `data/sample_inputs/<model>.pt` (PT2) or `serialized_example_inputs.pt` (legacy).
    SampleInputs,
    /// The state dict: `serialized_state_dict.pt`/`.json` (legacy), `data/weights/<model>.pt`.
    StateDict,
    /// The constants: `serialized_constants.pt`/`.json` (legacy), `data/constants/<model>.pt`.
    Constants,
    /// A tensor constant of torch 2.1's program JSON (base64 in `graph.constants`).
    InlineConstant,
    /// A custom object of torch 2.1's program JSON (base64 `as_custom_obj.blob`).
    InlineCustomObject,
    /// A weight stored with `use_pickle` (`data/weights/weight_<n>`).
    PickledWeight,
    /// A tensor constant stored with `use_pickle` (`data/constants/tensor_<n>`).
    PickledConstant,
    /// A TorchScript custom object (`data/constants/custom_obj_<n>`).
    CustomObject,
    /// An opaque object (`data/constants/opaque_obj_<n>`).
    OpaqueObject,
    /// A `torch.save` file (`.pt`, `.pth`, `.bin`).
    TorchSave,
    /// A pickle of a TorchScript archive (`torch.jit.save`).
    #[serde(rename = "torchscript-archive")]
    TorchScriptArchive,
    /// A file that is a pickle.
    BarePickle,
    /// A pickle no torch loader reads.
    Unreferenced,
}

impl Role {
    /// The name the JSON report gives it, e.g. `"sample-inputs"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SampleInputs => "sample-inputs",
            Role::StateDict => "state-dict",
            Role::Constants => "constants",
            Role::InlineConstant => "inline-constant",
            Role::InlineCustomObject => "inline-custom-object",
            Role::PickledWeight => "pickled-weight",
            Role::PickledConstant => "pickled-constant",
            Role::CustomObject => "custom-object",
            Role::OpaqueObject => "opaque-object",
            Role::TorchSave => "torch-save",
            Role::TorchScriptArchive => "torchscript-archive",
            Role::BarePickle => "bare-pickle",
            Role::Unreferenced => "unreferenced",
        }
    }
}

/// Which loader reads a record, and how, from the sources of each torch release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Loader {
    /// What the record is.
    pub role: Role,
    /// How it is unpickled, at worst.
    pub mode: LoadMode,
    /// The call and the releases, e.g. `torch.load(weights_only=False) in torch 2.8 and 2.9; …`.
    pub how: &'static str,
}

/// One global a pickle names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GlobalReport {
    /// The offset of the opcode in the pickle.
    pub offset: u64,
    /// `GLOBAL`, `STACK_GLOBAL`, `INST`, `EXT1`, …
    pub opcode: &'static str,
    /// `module.name` as Python 3 resolves it (`__builtin__` read as `builtins`).
    pub name: String,
    /// `allowed`, `script-object`, `torchscript-class`, `opaque-class` or `not-allowed`.
    pub standing: &'static str,
}

/// One call a pickle makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallReport {
    /// The offset of the opcode.
    pub offset: u64,
    /// `REDUCE`, `NEWOBJ`, `NEWOBJ_EX`, `BUILD`, `INST` or `OBJ`.
    pub opcode: &'static str,
    /// What is called: a global's name, or what the scan can say of the callee.
    pub target: String,
    /// The standing of the callee, as for globals.
    pub standing: &'static str,
}

/// One pickle found in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PickleReport {
    /// Where it is: the chain of record names from the file down (empty for a file that is
    /// a pickle; `#<n>` for the n-th pickle of a stream after the first).
    pub location: Vec<String>,
    /// Which loader reads it.
    pub loader: Loader,
    /// Its size in bytes.
    pub size: u64,
    /// The protocol its `PROTO` opcode declares.
    pub protocol: Option<u8>,
    /// Every global it names, in order.
    pub globals: Vec<GlobalReport>,
    /// Every call it makes, in order.
    pub calls: Vec<CallReport>,
    /// The classes that need trust (TorchScript and opaque classes).
    pub classes: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why (empty when safe).
    pub reasons: Vec<String>,
}

impl PickleReport {
    /// The location as one string, records joined by ` > `.
    pub fn location_text(&self) -> String {
        if self.location.is_empty() {
            "(the file)".to_owned()
        } else {
            self.location.join(" > ")
        }
    }
}

/// A finding about the file that is not about one pickle (a container that cannot be read,
/// compiled code, a safetensors header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Where: the chain of record names (empty for the file).
    pub location: Vec<String>,
    /// The verdict it gives the file.
    pub verdict: Verdict,
    /// What was found.
    pub reason: String,
}

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// An archive written by `torch.export.save`.
    Pt2,
    /// A `torch.save` zip.
    TorchSave,
    /// A `torch.save` file in the legacy (non-zip) format.
    TorchSaveLegacy,
    /// A TorchScript archive (`torch.jit.save`).
    #[serde(rename = "torchscript")]
    TorchScript,
    /// An AOTInductor package.
    Aoti,
    /// Another zip.
    Zip,
    /// A pickle.
    Pickle,
    /// A safetensors file.
    Safetensors,
    /// None of the above.
    Unknown,
}

/// The scan of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file, as given.
    pub path: String,
    /// What it is.
    pub format: FileFormat,
    /// For a `.pt2`: `legacy-zip` (torch ≤ 2.7) or `pt2-archive` (torch ≥ 2.8).
    pub layout: Option<&'static str>,
    /// The torch releases that wrote it, when the file tells (from its schema version).
    pub release: Option<String>,
    /// Its size in bytes.
    pub size: u64,
    /// Every pickle found, in the order found.
    pub pickles: Vec<PickleReport>,
    /// Findings not about one pickle.
    pub findings: Vec<Finding>,
    /// The worst verdict of its pickles and findings (`safe` when it has none).
    pub verdict: Verdict,
    /// Why, in a line: the first reason of the worst verdict.
    pub reason: String,
}

impl FileReport {
    fn finish(&mut self) {
        let worst_pickle = self.pickles.iter().max_by_key(|p| p.verdict);
        let worst_finding = self.findings.iter().max_by_key(|f| f.verdict);
        let pv = worst_pickle.map_or(Verdict::Safe, |p| p.verdict);
        let fv = worst_finding.map_or(Verdict::Safe, |f| f.verdict);
        self.verdict = pv.max(fv);
        self.reason = if self.verdict == Verdict::Safe {
            match self.pickles.len() {
                0 => "no pickle".to_owned(),
                n => format!("{n} pickle{}, only allow-listed globals", if n == 1 { "" } else { "s" }),
            }
        } else if fv >= pv {
            let f = worst_finding.expect("a finding");
            prefixed(&f.location, &f.reason)
        } else {
            let p = worst_pickle.expect("a pickle");
            prefixed(&p.location, p.reasons.first().map_or("", String::as_str))
        };
    }
}

fn prefixed(location: &[String], reason: &str) -> String {
    if location.is_empty() {
        reason.to_owned()
    } else {
        format!("{}: {reason}", location.join(" > "))
    }
}

/// How to scan (nothing to choose yet: the allow-list is torch's and not extended).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {}

/// Scans the file at `path`. An error only when the file cannot be opened or read; what is
/// wrong inside it is a finding.
pub fn scan_path(path: impl AsRef<Path>, options: &Options) -> Result<FileReport, crate::Error> {
    let path = path.as_ref();
    walk::scan_file(path, options).map_err(|e| e.with_path(path))
}

/// Scans a file's bytes; `name` is what the report calls it.
pub fn scan_bytes(bytes: &[u8], name: &str, options: &Options) -> FileReport {
    walk::scan_reader(std::io::Cursor::new(bytes), bytes.len() as u64, name, options)
}

/// Scans what `reader` holds (`len` bytes); `name` is what the report calls it.
pub fn scan_reader<R: std::io::Read + std::io::Seek>(reader: R, len: u64, name: &str, options: &Options) -> FileReport {
    walk::scan_reader(reader, len, name, options)
}

/// The file extensions a directory is searched for (a file named on its own is scanned
/// whatever its name).
pub const SCANNED_EXTENSIONS: &[&str] = &["pt2", "pt", "pth", "bin", "ckpt", "pkl", "pickle", "safetensors"];

/// The files to scan for `path`: itself if a file, else every file under it (recursively,
/// symbolic links to directories not followed) whose extension is in
/// [`SCANNED_EXTENSIONS`], sorted.
pub fn files_under(path: impl AsRef<Path>) -> Result<Vec<std::path::PathBuf>, crate::Error> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| crate::Error::from(e).with_path(path))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| crate::Error::from(e).with_path(&dir))?;
        for entry in entries {
            let entry = entry.map_err(|e| crate::Error::from(e).with_path(&dir))?;
            let kind = entry.file_type().map_err(|e| crate::Error::from(e).with_path(entry.path()))?;
            let p = entry.path();
            if kind.is_dir() {
                pending.push(p);
            } else {
                let wanted = p
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| SCANNED_EXTENSIONS.iter().any(|s| s.eq_ignore_ascii_case(e)));
                // A symbolic link is scanned if it leads to a file.
                if wanted && (kind.is_file() || p.is_file()) {
                    found.push(p);
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A file that could not be scanned (not found, unreadable): not a verdict, an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScanError {
    /// The path.
    pub path: String,
    /// What went wrong.
    pub error: String,
}

/// Counts over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Files scanned.
    pub files: usize,
    /// Files per verdict.
    pub safe: usize,
    /// Files that need trust.
    #[serde(rename = "needs-trust")]
    pub needs_trust: usize,
    /// Malformed files.
    pub malformed: usize,
    /// Dangerous files.
    pub dangerous: usize,
    /// Files that could not be scanned.
    pub errors: usize,
    /// Pickles found in all files.
    pub pickles: usize,
    /// Bytes of the files scanned.
    pub bytes: u64,
}

/// The scan of many files: the JSON document `graphsig scan --json` prints (`docs/scan.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScanRun {
    /// Always `"graphsig-scan"`.
    pub schema: &'static str,
    /// [`JSON_SCHEMA_VERSION`].
    pub version: &'static str,
    /// Every file scanned, in the order the paths were given (a directory's files sorted).
    pub files: Vec<FileReport>,
    /// Every path that could not be scanned.
    pub errors: Vec<ScanError>,
    /// Counts.
    pub totals: Totals,
}

impl ScanRun {
    /// The worst verdict of its files (`safe` for none).
    pub fn worst(&self) -> Verdict {
        self.files.iter().map(|f| f.verdict).max().unwrap_or(Verdict::Safe)
    }

    /// The run as JSON (the schema of `docs/scan.md`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serializes")
    }
}

/// How far a run is, given to the progress callback of [`scan_paths`] after each file.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Files done.
    pub done: usize,
    /// Files in all.
    pub total: usize,
    /// Bytes of the files done.
    pub bytes: u64,
}

/// Scans every file of `paths` (directories searched with [`files_under`]) on `jobs`
/// threads (0: one per core), calling `progress` after each file.
pub fn scan_paths<P: AsRef<Path>>(
    paths: &[P],
    options: &Options,
    jobs: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> ScanRun {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;

    let mut errors = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        match files_under(p) {
            Ok(found) => files.extend(found),
            Err(e) => errors.push(ScanError { path: p.as_ref().display().to_string(), error: e.to_string() }),
        }
    }
    let jobs = if jobs == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { jobs };
    let jobs = jobs.clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    let results: Mutex<Vec<Option<Result<FileReport, ScanError>>>> = Mutex::new(vec![None; files.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let result = scan_path(path, options)
                    .map_err(|e| ScanError { path: path.display().to_string(), error: e.to_string() });
                let size = result.as_ref().map_or(0, |r| r.size);
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(result);
                let total_bytes = bytes.fetch_add(size, Ordering::Relaxed) + size;
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress(Progress { done: d, total: files.len(), bytes: total_bytes });
            });
        }
    });
    let mut reports = Vec::with_capacity(files.len());
    for r in results.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter().flatten() {
        match r {
            Ok(report) => reports.push(report),
            Err(e) => errors.push(e),
        }
    }
    let mut totals = Totals { files: reports.len(), errors: errors.len(), ..Totals::default() };
    for r in &reports {
        match r.verdict {
            Verdict::Safe => totals.safe += 1,
            Verdict::NeedsTrust => totals.needs_trust += 1,
            Verdict::Malformed => totals.malformed += 1,
            Verdict::Dangerous => totals.dangerous += 1,
        }
        totals.pickles += r.pickles.len();
        totals.bytes += r.size;
    }
    ScanRun { schema: "graphsig-scan", version: JSON_SCHEMA_VERSION, files: reports, errors, totals }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `as_str` gives are the ones the JSON report carries.
    #[test]
    fn names_match_the_json() {
        for role in [Role::SampleInputs, Role::InlineCustomObject, Role::TorchScriptArchive, Role::Unreferenced] {
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        for mode in [LoadMode::FullPickle, LoadMode::WeightsOnly, LoadMode::TorchScript, LoadMode::NotLoaded] {
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
        }
        assert_eq!(serde_json::to_value(FileFormat::TorchScript).unwrap(), "torchscript");
        assert_eq!(serde_json::to_value(FileFormat::TorchSaveLegacy).unwrap(), "torch-save-legacy");
        for v in [Verdict::Safe, Verdict::NeedsTrust, Verdict::Malformed, Verdict::Dangerous] {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
            assert_eq!(v.as_str().parse::<Verdict>().unwrap(), v);
        }
    }
}
