//! `graphsig scan`: runs the library's scan over files and directories, and prints it as a
//! table (or JSON), with a progress line on a terminal.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use graph_signature::scan::{self, FileReport, Options, Progress, ScanRun, Verdict};

/// What `graphsig scan` was asked.
pub struct ScanArgs {
    pub paths: Vec<PathBuf>,
    pub json: bool,
    pub fail_on: Verdict,
    pub jobs: usize,
    pub verbose: bool,
    pub progress: bool,
}

/// Exit status: 0 when no file reaches `fail_on`, 1 when one does, 2 when a path could not
/// be scanned (not found, unreadable) or standard output failed.
pub fn run(args: &ScanArgs) -> ExitCode {
    let started = Instant::now();
    let bar = ProgressLine::new(args.progress && io::stderr().is_terminal());
    let run = scan::scan_paths(&args.paths, &Options::default(), args.jobs, &|p| bar.update(p));
    bar.clear();
    let elapsed = started.elapsed();

    let mut out = io::stdout().lock();
    let printed = if args.json { writeln!(out, "{}", run.to_json()) } else { table(&mut out, &run, args, elapsed) };
    if printed.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    for e in &run.errors {
        eprintln!("graphsig scan: {}: {}", e.path, e.error);
    }
    if !run.errors.is_empty() {
        ExitCode::from(2)
    } else if run.files.iter().any(|f| f.verdict >= args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn table(out: &mut impl Write, run: &ScanRun, args: &ScanArgs, elapsed: Duration) -> io::Result<()> {
    let width = run.files.iter().map(|f| f.path.chars().count()).max().unwrap_or(4).clamp(4, 72);
    writeln!(out, "{:<11}  {:<width$}  {:>7}  REASON", "VERDICT", "FILE", "PICKLES")?;
    for f in &run.files {
        writeln!(out, "{:<11}  {:<width$}  {:>7}  {}", f.verdict.as_str(), f.path, f.pickles.len(), f.reason)?;
        if args.verbose || f.verdict >= args.fail_on {
            details(out, f, args.verbose)?;
        }
    }
    let t = &run.totals;
    let secs = elapsed.as_secs_f64().max(1e-9);
    writeln!(
        out,
        "\n{} files, {} pickles: {} safe, {} needs-trust, {} malformed, {} dangerous{}; {:.1} MB in {:.2} s ({:.0} files/s, {:.1} MB/s)",
        t.files,
        t.pickles,
        t.safe,
        t.needs_trust,
        t.malformed,
        t.dangerous,
        if t.errors > 0 { format!(", {} not scanned", t.errors) } else { String::new() },
        t.bytes as f64 / 1e6,
        secs,
        t.files as f64 / secs,
        t.bytes as f64 / 1e6 / secs,
    )
}

/// The pickles and findings of a file that reach the threshold (every one when verbose).
fn details(out: &mut impl Write, f: &FileReport, verbose: bool) -> io::Result<()> {
    for finding in &f.findings {
        writeln!(
            out,
            "    {:<11}  {}: {}",
            finding.verdict.as_str(),
            if finding.location.is_empty() { "(the file)".to_owned() } else { finding.location.join(" > ") },
            finding.reason
        )?;
    }
    for p in &f.pickles {
        if !verbose && p.verdict == Verdict::Safe {
            continue;
        }
        writeln!(
            out,
            "    {:<11}  {}  [{}, {}]",
            p.verdict.as_str(),
            p.location_text(),
            p.loader.role.as_str(),
            p.loader.mode.as_str()
        )?;
        for r in &p.reasons {
            writeln!(out, "                 - {r}")?;
        }
        if verbose {
            let globals: Vec<&str> = p.globals.iter().map(|g| g.name.as_str()).collect();
            writeln!(out, "                 globals: {}", globals.join(", "))?;
        }
    }
    Ok(())
}

/// One line on standard error, redrawn at most ten times a second; nothing when off.
struct ProgressLine {
    on: bool,
    state: Mutex<(Instant, Instant)>,
}

impl ProgressLine {
    fn new(on: bool) -> Self {
        let now = Instant::now();
        Self { on, state: Mutex::new((now, now)) }
    }

    fn update(&self, p: Progress) {
        if !self.on {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if p.done != p.total && now.duration_since(state.1) < Duration::from_millis(100) {
            return;
        }
        state.1 = now;
        let secs = now.duration_since(state.0).as_secs_f64().max(1e-9);
        let filled = (p.done * 30).checked_div(p.total).unwrap_or(30);
        eprint!(
            "\r[{}{}] {}/{} files  {:.1} MB/s ",
            "#".repeat(filled),
            " ".repeat(30 - filled),
            p.done,
            p.total,
            p.bytes as f64 / 1e6 / secs
        );
    }

    fn clear(&self) {
        if self.on {
            eprint!("\r{}\r", " ".repeat(72));
        }
    }
}
