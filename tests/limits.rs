//! Hostile inputs to the library: each is refused with a typed error naming the limit or
//! the place, before it costs more than a documented bound (`docs/formats.md`, "Limits on
//! untrusted input"; `docs/archives.md`).

mod support;

use graph_signature::codec::{self, Format, MAX_SPECS};
use graph_signature::read::{ReadOptions, MAX_DOCUMENT};
use graph_signature::{Error, ExportGraphSignature, InputSpec};
use support::hostile;

fn model_json() -> Vec<u8> {
    std::fs::read(support::repo_root().join("examples/batchnorm.model.json")).unwrap()
}

#[test]
fn a_deflate_record_inflating_past_its_declared_size_is_refused_naming_it() {
    let archive = hostile::pt2_with_deflate_bomb(hostile::deflate_bomb(64), 1024);
    let err = graph_signature::read_bytes(&archive).unwrap_err();
    let text = err.to_string();
    assert_eq!(text, "invalid pt2 at m/models/model.json: inflates to more than the 1024 bytes its entry declares");
}

#[test]
fn a_record_declaring_more_than_the_limit_is_refused_before_it_is_read() {
    let mut archive = hostile::pt2_with_deflate_bomb(vec![0x03, 0x00], u32::MAX);
    // Declared size 4 GiB - 1: over the 1 GiB model-record limit.
    let err = graph_signature::read_bytes(&archive).unwrap_err();
    assert!(
        matches!(&err, Error::Limit { what, size, .. } if what == "zip record m/models/model.json" && *size == u64::from(u32::MAX)),
        "{err}"
    );
    archive.truncate(archive.len() - 1);
    assert!(graph_signature::read_bytes(&archive).is_err());
}

#[test]
fn overlapping_records_are_refused() {
    let archive = hostile::pt2_with_overlapping_records(&model_json());
    let err = graph_signature::read_bytes(&archive).unwrap_err();
    assert!(err.to_string().contains("overlaps the next record"), "{err}");
}

#[test]
fn an_archive_of_thousands_of_programs_reads_each_and_lists_a_few_when_asked_to_choose() {
    let archive = hostile::pt2_with_models(3000, &model_json());
    let path = std::env::temp_dir().join(format!("graphsig-limits-models-{}.pt2", std::process::id()));
    std::fs::write(&path, &archive).unwrap();
    let all = ReadOptions::default().read_all(&path).unwrap();
    assert_eq!(all.len(), 3000);
    assert_eq!(all[2999].model.as_deref(), Some("model_02999"));
    let err = graph_signature::read_path(&path).unwrap_err().to_string();
    assert!(err.starts_with("the archive holds 3000 models (model_00000, model_00001,"), "{err}");
    assert!(err.ends_with("and 2990 more); choose one with --model") && err.len() < 300, "{err}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_protobuf_document_of_millions_of_empty_specs_is_refused_before_any_is_built() {
    let n = MAX_SPECS as usize + 1;
    let bytes = hostile::proto_of_empty_specs(n);
    for err in [codec::decode(&bytes, Format::Proto).unwrap_err(), graph_signature::read_bytes(&bytes).unwrap_err()] {
        assert!(matches!(err, Error::Limit { size, limit: MAX_SPECS, .. } if size == n as u64), "{err}");
    }
}

#[test]
fn a_flatbuffer_whose_specs_share_one_long_string_is_refused_by_its_text_budget() {
    let bytes = hostile::fbs_of_shared_names(20_000, 4096);
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let err = codec::decode(&bytes, Format::Fbs).unwrap_err();
    assert!(err.to_string().contains("strings shared between specs count each time"), "{err}");
    // The same sharing within the budget decodes.
    let small = hostile::fbs_of_shared_names(10, 16);
    assert_eq!(codec::decode(&small, Format::Fbs).unwrap().input_specs().len(), 10);
}

#[test]
fn the_bincode_writer_refuses_what_its_reader_would_refuse() {
    let name = "n".repeat(1000);
    let specs: Vec<InputSpec> =
        (0..70_000).map(|i| InputSpec::parameter(format!("p{i}_{name}"), format!("t{i}_{name}"))).collect();
    let sig = ExportGraphSignature::new(specs, vec![]).unwrap();
    let err = codec::encode(&sig, Format::Bincode).unwrap_err();
    assert!(matches!(err, Error::TooLarge { format: "bincode", limit, .. } if limit == 64 << 20), "{err}");
}

#[test]
fn torch_json_with_bare_nan_is_recognised_and_read() {
    let sig = graph_signature::read_bytes(hostile::NAN_SIGNATURE_JSON).unwrap();
    let value = sig.user_inputs()[1].as_constant().cloned();
    assert!(matches!(value, Some(graph_signature::ConstantValue::Float(f)) if f.is_nan()), "{value:?}");
    assert_eq!(Format::detect(hostile::NAN_SIGNATURE_JSON), Some(Format::TorchJson));
}

#[test]
fn unrecognised_input_names_its_first_bytes_and_what_is_read() {
    let err = graph_signature::read_bytes(&[0u8; 4096]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unrecognised input (it starts with bytes 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 …); expected a \
         .pt2 written by torch.export.save, torch's signature or program JSON, a json, proto, fbs or bincode \
         signature document, or a .safetensors file carrying a signature"
    );
    let err = graph_signature::read_bytes(b"").unwrap_err();
    assert!(err.to_string().starts_with("unrecognised input (an empty file)"), "{err}");
}

#[test]
fn a_stream_is_read_no_further_than_its_first_bytes_when_they_are_nothing_known() {
    // An endless stream of zeros: refused after its first bytes.
    let err = ReadOptions::default().read_from(std::io::repeat(0)).unwrap_err();
    assert!(matches!(err, Error::Unrecognized { .. }), "{err}");
    // An endless JSON-looking stream stops at the document limit (not read here: the limit
    // is what is checked).
    assert_eq!(MAX_DOCUMENT, 1 << 30);
}

#[test]
fn zips_that_are_not_exported_programs_are_named() {
    let checkpoint = hostile::zip(&[
        hostile::Record::stored("archive/data.pkl", b"\x80\x02}q\x00."),
        hostile::Record::stored("archive/version", b"3\n"),
    ]);
    let err = graph_signature::read_bytes(&checkpoint).unwrap_err();
    assert!(err.to_string().contains("a torch.save checkpoint"), "{err}");
    let torchscript = hostile::zip(&[
        hostile::Record::stored("m/data.pkl", b"x"),
        hostile::Record::stored("m/code/__torch__.py", b"x"),
        hostile::Record::stored("m/constants.pkl", b"x"),
    ]);
    let err = graph_signature::read_bytes(&torchscript).unwrap_err();
    assert!(err.to_string().contains("a TorchScript archive"), "{err}");
    // The records of a real AOTInductor package torch 2.15 wrote (its compiled code left out).
    let listing = std::fs::read_to_string(support::fixtures_dir().join("aoti/tiny_aoti.records.txt")).unwrap();
    let names: Vec<&str> = listing.lines().filter(|l| !l.starts_with('#')).collect();
    let records: Vec<hostile::Record> = names
        .iter()
        .map(|n| hostile::Record::stored(n, if n.ends_with("archive_format") { b"pt2" } else { b"x" }))
        .collect();
    let err = graph_signature::read_bytes(&hostile::zip(&records)).unwrap_err();
    assert!(err.to_string().contains("an AOTInductor package"), "{err}");
    assert!(err.to_string().contains("of the models model:"), "{err}");
}
