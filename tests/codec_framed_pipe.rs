//! Framed streams over a real OS pipe between two processes. This test binary has no libtest
//! harness (Cargo.toml: `harness = false`) so that it can re-invoke itself as the child with
//! its standard output free for frames:
//!
//! - parent: spawns itself with `GRAPHSIG_FRAMED_CHILD=echo`, writes signatures into the
//!   child's stdin pipe from one thread and reads the child's stdout pipe from another;
//! - child (`echo`): reads frames from stdin, decodes each (validation included) and writes
//!   it back re-encoded, flushing after every frame; on a decode error it prints the error
//!   to stderr and exits with status 3.

mod codec_common;

use std::io::{BufReader, BufWriter, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use codec_common::{golden_signatures, signature};
use graph_signature::codec::framed::{FrameReader, FrameWriter};
use graph_signature::ExportGraphSignature;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

const CHILD_ENV: &str = "GRAPHSIG_FRAMED_CHILD";

type Test = fn() -> Result<(), String>;

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    let tests: [(&str, Test); 3] = [
        ("signatures_cross_a_pipe_to_a_child_process_and_back_unchanged", round_trip_through_child),
        ("a_hostile_length_prefix_is_refused_by_the_child_without_reading_it", hostile_prefix),
        ("a_stream_cut_inside_a_frame_is_an_error_in_the_child", truncated_stream),
    ];
    let mut failed = 0;
    for (name, test) in tests {
        match test() {
            Ok(()) => println!("test {name} ... ok"),
            Err(message) => {
                failed += 1;
                println!("test {name} ... FAILED\n{message}");
            }
        }
    }
    println!("\n{} passed, {failed} failed", tests.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn child() -> ExitCode {
    let stdin = std::io::stdin().lock();
    let mut out = FrameWriter::new(BufWriter::new(std::io::stdout().lock()));
    for sig in FrameReader::new(BufReader::new(stdin)) {
        let written = sig.and_then(|sig| {
            out.write(&sig)?;
            out.flush()
        });
        if let Err(e) = written {
            eprintln!("child: {e}");
            return ExitCode::from(3);
        }
    }
    ExitCode::SUCCESS
}

fn spawn_child() -> std::process::Child {
    Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_ENV, "echo")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child")
}

fn sample_signatures() -> Vec<ExportGraphSignature> {
    let mut sigs: Vec<_> = golden_signatures().into_iter().map(|(_, s)| s).collect();
    let mut runner = TestRunner::deterministic();
    let strategy = signature();
    sigs.extend((0..500).map(|_| strategy.new_tree(&mut runner).unwrap().current()));
    sigs
}

fn round_trip_through_child() -> Result<(), String> {
    let sigs = sample_signatures();
    let mut child = spawn_child();
    let stdin = child.stdin.take().unwrap();
    let to_send = sigs.clone();
    let start = Instant::now();
    // Writing from another thread: the child answers while we write, and pipes are small.
    let writer = std::thread::spawn(move || -> Result<usize, String> {
        let mut w = FrameWriter::new(BufWriter::new(stdin));
        for s in &to_send {
            w.write(s).map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
        Ok(to_send.len())
    });
    let back: Result<Vec<_>, _> = FrameReader::new(BufReader::new(child.stdout.take().unwrap())).collect();
    let status = child.wait().unwrap();
    let back = back.map_err(|e| format!("reading the child's frames: {e}"))?;
    let sent = writer.join().unwrap()?;
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(format!("child exited with {status}: {}", stderr(&mut child)));
    }
    if back.len() != sent {
        return Err(format!("sent {sent} signatures, got {} back", back.len()));
    }
    if let Some(i) = (0..sent).find(|&i| back[i] != sigs[i]) {
        return Err(format!("frame {i} differs:\n sent {:?}\n back {:?}", sigs[i], back[i]));
    }
    eprintln!("  {sent} signatures through the child and back in {elapsed:?}");
    Ok(())
}

fn stderr(child: &mut std::process::Child) -> String {
    let mut s = String::new();
    child.stderr.take().unwrap().read_to_string(&mut s).unwrap();
    s
}

fn hostile_prefix() -> Result<(), String> {
    let mut child = spawn_child();
    let mut stdin = child.stdin.take().unwrap();
    // One good frame, then a length prefix claiming 2^60 bytes, then a few bytes; the pipe
    // stays open, so a reader that trusted the prefix would allocate or wait forever.
    let mut w = FrameWriter::new(Vec::new());
    w.write(&golden_signatures()[1].1).unwrap();
    let mut bytes = w.into_inner();
    bytes.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 2, 3]);
    stdin.write_all(&bytes).expect("write to the child");
    stdin.flush().expect("flush to the child");
    let status = child.wait().unwrap();
    drop(stdin);
    let message = stderr(&mut child);
    let mut echoed = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut echoed).unwrap();
    let read: Vec<_> = FrameReader::new(&echoed[..]).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    if status.code() != Some(3) || read.len() != 1 {
        return Err(format!("child: {status}, {} frames echoed, stderr {message:?}", read.len()));
    }
    let want = "child: invalid framed proto at frames[1]: frame length 1152921504606846976 exceeds the limit of 16777216 bytes";
    if message.trim_end() != want {
        return Err(format!("stderr {message:?}, expected {want:?}"));
    }
    Ok(())
}

fn truncated_stream() -> Result<(), String> {
    let mut child = spawn_child();
    let mut stdin = child.stdin.take().unwrap();
    let mut w = FrameWriter::new(Vec::new());
    w.write(&golden_signatures()[2].1).unwrap();
    let bytes = w.into_inner();
    stdin.write_all(&bytes[..bytes.len() - 5]).expect("write to the child");
    drop(stdin);
    let status = child.wait().unwrap();
    let message = stderr(&mut child);
    if status.code() != Some(3) || !message.contains("frames[0]: truncated frame") {
        return Err(format!("child: {status}, stderr {message:?}"));
    }
    Ok(())
}
