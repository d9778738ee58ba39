//! Hostile inputs, built from their definition: a zip writer that writes what it is told
//! (declared sizes that lie, records that overlap), a DEFLATE bomb, documents of millions of
//! empty specs, a FlatBuffer whose specs all share one long string. Used by the tests and by
//! `examples/hostile_inputs.rs`, which writes them for the peak-memory table of
//! BENCHMARKS.md.
#![allow(dead_code)]

/// One record of a hand-written zip.
pub struct Record<'a> {
    pub name: &'a str,
    /// The bytes stored in the archive.
    pub stored: Vec<u8>,
    /// 0 STORED, 8 DEFLATE.
    pub method: u16,
    /// The uncompressed size the central directory declares.
    pub declared_size: u32,
    pub crc: u32,
    /// Where the local header goes; `None`: after the previous record.
    pub offset: Option<u32>,
}

impl<'a> Record<'a> {
    pub fn stored(name: &'a str, data: &[u8]) -> Self {
        Record {
            name,
            stored: data.to_vec(),
            method: 0,
            declared_size: data.len() as u32,
            crc: crc32(data),
            offset: None,
        }
    }
}

/// The CRC-32 of zip (IEEE, reflected), bit by bit: slow, and independent of the crates
/// under test.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A zip of `records` exactly as described (no ZIP64: every offset below 4 GiB).
pub fn zip(records: &[Record<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for r in records {
        let offset = match r.offset {
            Some(at) => {
                out.resize(out.len().max(at as usize), 0);
                at
            }
            None => out.len() as u32,
        };
        let mut local = Vec::new();
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&20u16.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(&r.method.to_le_bytes());
        local.extend_from_slice(&[0, 0, 0x21, 0]);
        local.extend_from_slice(&r.crc.to_le_bytes());
        local.extend_from_slice(&(r.stored.len() as u32).to_le_bytes());
        local.extend_from_slice(&r.declared_size.to_le_bytes());
        local.extend_from_slice(&(r.name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(r.name.as_bytes());
        let at = offset as usize;
        let end = at + local.len() + r.stored.len();
        if out.len() < end {
            out.resize(end, 0);
        }
        out[at..at + local.len()].copy_from_slice(&local);
        out[at + local.len()..end].copy_from_slice(&r.stored);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&(20u16 | (3 << 8)).to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&r.method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]);
        central.extend_from_slice(&r.crc.to_le_bytes());
        central.extend_from_slice(&(r.stored.len() as u32).to_le_bytes());
        central.extend_from_slice(&r.declared_size.to_le_bytes());
        central.extend_from_slice(&(r.name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(r.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(records.len() as u16).to_le_bytes());
    out.extend_from_slice(&(records.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A raw DEFLATE stream that inflates to `mib` MiB of zeros: one sync-flushed block of 1 MiB
/// repeated (every back-reference finds zeros behind it), then an empty final block.
pub fn deflate_bomb(mib: usize) -> Vec<u8> {
    use miniz_oxide::deflate::core::{compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush};
    let mut compressor = CompressorOxide::new(create_comp_flags_from_zip_params(9, -15, 0));
    let zeros = vec![0u8; 1 << 20];
    let mut block = vec![0u8; 64 << 10];
    let (_, consumed, written) = compress(&mut compressor, &zeros, &mut block, TDEFLFlush::Sync);
    assert_eq!(consumed, zeros.len());
    block.truncate(written);
    let mut out = Vec::with_capacity(block.len() * mib + 2);
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&[0x03, 0x00]); // a final block, fixed Huffman, end of block at once
    out
}

/// A PT2 archive (root `m`) whose model JSON is `bomb`, declaring `declared` bytes.
pub fn pt2_with_deflate_bomb(bomb: Vec<u8>, declared: u32) -> Vec<u8> {
    zip(&[
        Record::stored("m/archive_format", b"pt2"),
        Record { name: "m/models/model.json", stored: bomb, method: 8, declared_size: declared, crc: 0, offset: None },
    ])
}

/// A PT2 archive whose model record is declared at the same bytes as another record.
pub fn pt2_with_overlapping_records(model_json: &[u8]) -> Vec<u8> {
    let mut model = Record::stored("m/models/model.json", model_json);
    model.offset = Some(0);
    let mut twin = Record::stored("m/models/twin.json", model_json);
    twin.offset = Some(0);
    let format = Record::stored("m/archive_format", b"pt2");
    // Both model records start at offset 0; archive_format after them.
    let mut format_at = format;
    format_at.offset = Some((30 + "m/models/model.json".len() + model_json.len()) as u32);
    zip(&[model, twin, format_at])
}

/// A PT2 archive of `n` programs, each the same small model JSON.
pub fn pt2_with_models(n: usize, model_json: &[u8]) -> Vec<u8> {
    let names: Vec<String> = (0..n).map(|i| format!("m/models/model_{i:05}.json")).collect();
    let mut records = vec![Record::stored("m/archive_format", b"pt2")];
    records.extend(names.iter().map(|name| Record::stored(name, model_json)));
    zip(&records)
}

/// A protobuf `SignatureDocument` at version 1.0 whose signature holds `n` empty input specs
/// (two bytes each).
pub fn proto_of_empty_specs(n: usize) -> Vec<u8> {
    let body: Vec<u8> = std::iter::repeat_n([0x52u8, 0x00], n).flatten().collect();
    let mut out = vec![0x52, 0x02, 0x50, 0x01]; // schema_version { major (field 10): 1 }
    out.push(0xa2); // field 20, length-delimited: two-byte tag
    out.push(0x01);
    let mut len = body.len() as u64;
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(&body);
    out
}

/// A FlatBuffer of `n` USER_INPUT specs whose argument tables are one table, naming one
/// string of `name_len` bytes: a small buffer that decodes into `n * name_len` bytes.
pub fn fbs_of_shared_names(n: usize, name_len: usize) -> Vec<u8> {
    use graph_signature::codec::fbs::fb;
    let mut b = flatbuffers::FlatBufferBuilder::new();
    let name = b.create_string(&"x".repeat(name_len));
    let tensor = fb::TensorArgument::create(&mut b, &fb::TensorArgumentArgs { name: Some(name) });
    let spec = fb::InputSpec::create(
        &mut b,
        &fb::InputSpecArgs {
            kind: fb::InputKind::USER_INPUT,
            arg_type: fb::Argument::TensorArgument,
            arg: Some(tensor.as_union_value()),
            ..Default::default()
        },
    );
    let specs = b.create_vector(&vec![spec; n]);
    // The index a reader checks: the one name, at the last spec (torch's dict semantics).
    let entry = fb::IndexEntry::create(&mut b, &fb::IndexEntryArgs { key: Some(name), index: n as u32 - 1 });
    let by_name = b.create_vector(&[entry]);
    let version = fb::SchemaVersion::create(&mut b, &fb::SchemaVersionArgs { major: 1, minor: 0 });
    let root = fb::GraphSignature::create(
        &mut b,
        &fb::GraphSignatureArgs {
            schema_version: Some(version),
            inputs: Some(specs),
            inputs_by_name: Some(by_name),
            ..Default::default()
        },
    );
    b.finish(root, Some("GSIG"));
    b.finished_data().to_vec()
}

/// A `.safetensors` file with no tensors whose `__metadata__` holds one entry of `len`
/// bytes.
pub fn safetensors_with_metadata_of(len: usize) -> Vec<u8> {
    let mut header = format!("{{\"__metadata__\":{{\"note\":\"{}\"}}}}", "a".repeat(len)).into_bytes();
    header.resize(header.len().next_multiple_of(8), b' ');
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&header);
    out
}

/// A `.safetensors` file whose header of at least `len` bytes lists empty tensors (about 60
/// bytes each: 1.6 million for 99 MB) and no signature.
pub fn safetensors_of_empty_tensors(len: usize) -> Vec<u8> {
    let mut header = String::from("{");
    let mut i = 0;
    while header.len() < len {
        header.push_str(&format!("\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}},"));
        i += 1;
    }
    header.pop();
    header.push('}');
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file
}

/// torch's signature JSON as torch 2.6 and older wrote a NaN constant: a bare `NaN` token.
pub const NAN_SIGNATURE_JSON: &[u8] = br#"{"input_specs": [{"user_input": {"arg": {"as_tensor": {"name": "x"}}}}, {"constant_input": {"name": "eps", "value": {"as_float": NaN}}}], "output_specs": [{"user_output": {"arg": {"as_tensor": {"name": "add"}}}}]}"#;
