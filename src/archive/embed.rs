//! Embedding a signature into the file of the program it describes, as `graphsig embed`
//! does, for every surface (the CLI, Python, C): which signature (the program's own, or one
//! given and checked against the program's graph), which program, and which archive writer.
//!
//! ```no_run
//! use graph_signature::archive::embed::{embed_file, EmbedOptions};
//! // The archive's own signature, embedded in place.
//! embed_file("model.pt2", "model.pt2", None, &EmbedOptions::default())?;
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::atomic::WriteOptions;
use super::{pt2, safetensors};
use crate::codec::{self, Format};
use crate::read::{FileKind, ReadOptions, Source};
use crate::{ArgumentSpec, Error, ExportGraphSignature};

/// How to embed.
#[derive(Clone, Debug, Default)]
pub struct EmbedOptions {
    /// In a `.pt2` of several programs, the one to embed for (`None`: the only one).
    pub model: Option<String>,
    /// Replace a read-only file, and embed a given signature that does not match the
    /// program's graph.
    pub force: bool,
}

/// Writes `output` (which may be `archive`, an edit in place): the `.pt2` or
/// `.safetensors` file `archive` with `signature` embedded, or, when `signature` is
/// `None`, the program's own signature (a `.pt2` only: a `.safetensors` file has none,
/// [`Error::NoSignature`]). A given signature must name the program's graph inputs and
/// outputs ([`check_matches_program`]) unless `force`. Every other byte of the file is
/// kept, and the write keeps the user's file ([`atomic`](super::atomic)). Returns the
/// program embedded for (`None` for a `.safetensors` file).
pub fn embed_file(
    archive: impl AsRef<Path>,
    output: impl AsRef<Path>,
    signature: Option<&ExportGraphSignature>,
    options: &EmbedOptions,
) -> Result<Option<String>, Error> {
    let (archive, output) = (archive.as_ref(), output.as_ref());
    let read = ReadOptions { model: options.model.clone(), source: Source::Program };
    let own = read.read_path(archive);
    let safetensors = || is_safetensors(archive);
    let own = own.and_then(|own| match own.kind {
        FileKind::Document(_) => Err(Error::Unrecognized {
            found: "a signature document, not an archive to embed into".to_owned(),
            accepted: ".pt2 and .safetensors files",
        }),
        _ => Ok(own),
    });
    let (sig, model) = match (signature, own) {
        (None, Ok(own)) => (Cow::Owned(own.signature), own.model),
        (None, Err(Error::Unrecognized { .. })) if safetensors() => {
            return Err(Error::NoSignature {
                kind: ".safetensors file",
                hint: "it has no program of its own: give the signature to embed",
            })
        }
        (Some(sig), Ok(own)) => {
            if !options.force {
                check_matches_program(sig, &own.signature)?;
            }
            (Cow::Borrowed(sig), own.model)
        }
        // A .safetensors file has no program to check against.
        (Some(sig), Err(Error::Unrecognized { .. })) if safetensors() => (Cow::Borrowed(sig), None),
        (_, Err(e)) => return Err(e),
    };
    let payload = codec::encode(&sig, Format::Json)?;
    let write = WriteOptions { in_place: true, force: options.force, ..WriteOptions::default() };
    match &model {
        Some(model) => pt2::embed(archive, output, model, &payload, &write)?,
        None => {
            let text = String::from_utf8(payload).expect("our JSON is UTF-8");
            safetensors::embed(archive, output, &text, &write)?
        }
    }
    Ok(model)
}

fn is_safetensors(path: &Path) -> bool {
    let mut prefix = Vec::with_capacity(16);
    File::open(path).and_then(|f| f.take(16).read_to_end(&mut prefix)).is_ok()
        && safetensors::looks_like_safetensors(&prefix)
}

/// Whether `sig` names the program's graph inputs and outputs, in order (what the
/// program's own signature names: torch names each spec's argument after its graph node;
/// constants, which have no node, are passed over). [`Error::Mismatch`] says where not.
///
/// ```
/// use graph_signature::archive::embed::check_matches_program;
/// use graph_signature::{ArgumentSpec, Error, ExportGraphSignature, InputSpec};
/// let program = ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor("x"))], vec![])?;
/// let other = ExportGraphSignature::new(vec![InputSpec::user_input(ArgumentSpec::tensor("y"))], vec![])?;
/// assert!(check_matches_program(&program, &program).is_ok());
/// let err = check_matches_program(&other, &program).unwrap_err();
/// assert_eq!(err.to_string(), "the signature does not match the program's graph: graph inputs[0] is \"y\", the program's is \"x\"");
/// # Ok::<(), Error>(())
/// ```
pub fn check_matches_program(sig: &ExportGraphSignature, program: &ExportGraphSignature) -> Result<(), Error> {
    fn names<'s>(args: impl Iterator<Item = &'s ArgumentSpec>) -> Vec<&'s str> {
        args.filter(|a| !matches!(a, ArgumentSpec::Constant { .. })).map(ArgumentSpec::name).collect()
    }
    let pairs = [
        (
            "inputs",
            names(sig.input_specs().iter().map(|s| &s.arg)),
            names(program.input_specs().iter().map(|s| &s.arg)),
        ),
        (
            "outputs",
            names(sig.output_specs().iter().map(|s| &s.arg)),
            names(program.output_specs().iter().map(|s| &s.arg)),
        ),
    ];
    for (what, ours, theirs) in pairs {
        let reason = if ours.len() != theirs.len() {
            format!("{} graph {what}, the program has {}", ours.len(), theirs.len())
        } else if let Some(i) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
            format!("graph {what}[{i}] is {:?}, the program's is {:?}", ours[i], theirs[i])
        } else {
            continue;
        };
        return Err(Error::Mismatch { reason });
    }
    Ok(())
}
