//! `archive::embed::embed_file`: what `graphsig embed` does, as a library call (the CLI and
//! the Python package use it).

mod support;

use std::path::{Path, PathBuf};

use graph_signature::archive::embed::{embed_file, EmbedOptions};
use graph_signature::read::{ReadOptions, Source};
use graph_signature::{Error, RefusedWrite};
use support::fixtures_dir;

fn scratch(test: &str, from: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graphsig-embed-file-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = fixtures_dir().join(from);
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(&src, &dst).unwrap();
    dst
}

fn embedded(path: &Path) -> Result<graph_signature::ExportGraphSignature, Error> {
    ReadOptions { model: None, source: Source::Embedded }.read_path(path).map(|l| l.signature)
}

#[test]
fn the_archives_own_signature_is_embedded_in_place() {
    let archive = scratch("own", "archives/torch-2.15.0/linear.pt2");
    let own = graph_signature::read_path(&archive).unwrap();
    assert_eq!(embed_file(&archive, &archive, None, &EmbedOptions::default()).unwrap().as_deref(), Some("model"));
    assert_eq!(embedded(&archive).unwrap(), own);
}

#[test]
fn another_programs_signature_is_refused_unless_forced() {
    let archive = scratch("other", "archives/torch-2.15.0/linear.pt2");
    let before = std::fs::read(&archive).unwrap();
    let other = graph_signature::read_path(fixtures_dir().join("archives/torch-2.15.0/buffers.pt2")).unwrap();
    let err = embed_file(&archive, &archive, Some(&other), &EmbedOptions::default()).unwrap_err();
    assert!(matches!(&err, Error::Mismatch { reason } if reason.starts_with("graph inputs")), "{err}");
    assert_eq!(std::fs::read(&archive).unwrap(), before, "nothing written");
    let forced = EmbedOptions { force: true, ..EmbedOptions::default() };
    embed_file(&archive, &archive, Some(&other), &forced).unwrap();
    assert_eq!(embedded(&archive).unwrap(), other);
}

#[test]
fn safetensors_take_a_given_signature_and_have_none_of_their_own() {
    let file = scratch("st", "safetensors/no_metadata.safetensors");
    let err = embed_file(&file, &file, None, &EmbedOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NoSignature { kind: ".safetensors file", .. }), "{err}");
    let sig = graph_signature::read_path(fixtures_dir().join("archives/torch-2.15.0/linear.pt2")).unwrap();
    assert_eq!(embed_file(&file, &file, Some(&sig), &EmbedOptions::default()).unwrap(), None);
    assert_eq!(embedded(&file).unwrap(), sig);
}

#[test]
fn a_signature_document_is_not_embedded_into() {
    let doc = scratch("doc", "torch-2.15/mutations/signature.json");
    let err = embed_file(&doc, &doc, None, &EmbedOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Unrecognized { .. }), "{err}");
}

#[test]
fn a_read_only_archive_is_refused_unless_forced() {
    use std::os::unix::fs::PermissionsExt;
    let archive = scratch("ro", "archives/torch-2.15.0/linear.pt2");
    std::fs::set_permissions(&archive, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = embed_file(&archive, &archive, None, &EmbedOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Refused { reason: RefusedWrite::ReadOnly, .. }), "{err}");
    let forced = EmbedOptions { force: true, ..EmbedOptions::default() };
    embed_file(&archive, &archive, None, &forced).unwrap();
    assert_eq!(std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777, 0o444);
}
