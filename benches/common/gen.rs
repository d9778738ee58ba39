//! Deterministic generator of large, realistic signatures and the files the benches and the
//! peer scripts (`benches/peers/`) read: shared by `benches/*.rs` and the examples
//! `gen_signatures` and `perf_timing` through `#[path]`.
//!
//! The signature is what `torch.export` makes of a decoder-only mixture-of-experts language
//! model (Qwen-3-MoE / DeepSeek-like FQNs): per layer an input norm, q/k/v/o projections with
//! q/k norms, a post-attention norm, a router, `experts` experts of gate/up/down projections
//! (every fourth layer dense: one gate/up/down MLP), a persistent router-bias buffer, and a
//! non-persistent K and V cache buffer, each with its BUFFER_MUTATION output. Then the
//! embedding, final norm, lm_head, a non-persistent `rotary_emb.inv_freq` buffer, a lifted
//! tensor constant, three user inputs (`input_ids`, `attention_mask`, `cache_position`), a
//! symbolic sequence length, and the `logits` user output. Inputs come in torch's order
//! (parameters, buffers, constants, user inputs), outputs too (mutations, then user
//! outputs). Placeholder names are torch's (`p_` / `b_` / `c_` + the FQN with `.` → `_`).
//!
//! The same `n` always gives the same signature, of exactly `n` specs.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use graph_signature::codec::{self, torch_json, Format};
use graph_signature::{ArgumentSpec, ExportGraphSignature, InputSpec, OutputKind, OutputSpec};

/// The sizes the benches and peers use.
pub const SIZES: &[usize] = &[1_000, 10_000, 100_000];

/// The number of experts of a MoE layer for a signature of about `n` specs.
fn experts_for(n: usize) -> usize {
    match n {
        0..=2_000 => 8,
        2_001..=20_000 => 32,
        20_001..=200_000 => 128,
        _ => 512,
    }
}

fn placeholder(prefix: &str, fqn: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + fqn.len());
    s.push_str(prefix);
    s.extend(fqn.chars().map(|c| if c == '.' { '_' } else { c }));
    s
}

/// A signature of exactly `n` specs (`n` ≥ 16).
pub fn llm_signature(n: usize) -> ExportGraphSignature {
    assert!(n >= 16, "a signature needs at least 16 specs here");
    let experts = experts_for(n);
    // Fixed specs: embed, final norm, lm_head, inv_freq, one constant, 4 user inputs, 1 user output.
    let fixed = 10;
    let mut params: Vec<String> = Vec::new();
    let mut buffers: Vec<(String, bool)> = Vec::new();
    let mut mutations: Vec<String> = Vec::new();
    let mut budget = n - fixed;
    let mut take = |k: usize| {
        if budget >= k {
            budget -= k;
            true
        } else {
            false
        }
    };
    params.push("model.embed_tokens.weight".to_owned());
    'layers: for layer in 0.. {
        let l = format!("model.layers.{layer}");
        let dense = layer % 4 == 3;
        let mut layer_params = vec![
            format!("{l}.input_layernorm.weight"),
            format!("{l}.self_attn.q_proj.weight"),
            format!("{l}.self_attn.k_proj.weight"),
            format!("{l}.self_attn.v_proj.weight"),
            format!("{l}.self_attn.o_proj.weight"),
            format!("{l}.self_attn.q_norm.weight"),
            format!("{l}.self_attn.k_norm.weight"),
            format!("{l}.post_attention_layernorm.weight"),
        ];
        if dense {
            for p in ["gate_proj", "up_proj", "down_proj"] {
                layer_params.push(format!("{l}.mlp.{p}.weight"));
            }
        } else {
            layer_params.push(format!("{l}.mlp.gate.weight"));
            for e in 0..experts {
                for p in ["gate_proj", "up_proj", "down_proj"] {
                    layer_params.push(format!("{l}.mlp.experts.{e}.{p}.weight"));
                }
            }
        }
        for p in layer_params {
            if !take(1) {
                break 'layers;
            }
            params.push(p);
        }
        if !dense {
            if !take(1) {
                break;
            }
            buffers.push((format!("{l}.mlp.gate.e_score_correction_bias"), true));
        }
        for cache in ["k_cache", "v_cache"] {
            // A cache buffer comes with its mutation output.
            if !take(2) {
                break 'layers;
            }
            buffers.push((format!("{l}.self_attn.{cache}"), false));
            mutations.push(format!("{l}.self_attn.{cache}"));
        }
    }
    // Fill what a partial layer left with more of the last kind (keeps the count exact).
    let mut extra = 0;
    while budget > 0 {
        params.push(format!("model.extra_norms.{extra}.weight"));
        extra += 1;
        budget -= 1;
    }
    params.push("model.norm.weight".to_owned());
    params.push("lm_head.weight".to_owned());
    buffers.push(("model.rotary_emb.inv_freq".to_owned(), false));

    let mut inputs: Vec<InputSpec> = Vec::with_capacity(n);
    inputs.extend(params.iter().map(|p| InputSpec::parameter(placeholder("p_", p), p.as_str())));
    inputs
        .extend(buffers.iter().map(|(b, persistent)| InputSpec::buffer(placeholder("b_", b), b.as_str(), *persistent)));
    inputs.push(InputSpec::constant_tensor("c_lifted_tensor_0", "lifted_tensor_0"));
    inputs.push(InputSpec::user_input(ArgumentSpec::tensor("input_ids")));
    inputs.push(InputSpec::user_input(ArgumentSpec::tensor("attention_mask")));
    inputs.push(InputSpec::user_input(ArgumentSpec::tensor("cache_position")));
    inputs.push(InputSpec::user_input(ArgumentSpec::SymInt { name: "s72".to_owned() }));
    let mut outputs: Vec<OutputSpec> = Vec::with_capacity(mutations.len() + 1);
    for (i, target) in mutations.iter().enumerate() {
        let name = if i == 0 { "index_copy".to_owned() } else { format!("index_copy_{i}") };
        outputs.push(OutputSpec::new(OutputKind::BufferMutation, ArgumentSpec::tensor(name), Some(target)));
    }
    outputs.push(OutputSpec::user_output(ArgumentSpec::tensor("logits")));
    assert_eq!(inputs.len() + outputs.len(), n);
    ExportGraphSignature::new(inputs, outputs).expect("the generator makes valid signatures")
}

/// A graph-node name, a target and an output name that exist in `llm_signature(n)`, near
/// the middle of the lists (what the lookup benches ask for).
pub fn probe_keys(sig: &ExportGraphSignature) -> (String, String, String) {
    let ins = sig.input_specs();
    let mid = &ins[ins.len() / 2];
    let outs = sig.output_specs();
    let out = &outs[outs.len() / 2];
    (mid.arg.name().to_owned(), mid.target.clone().unwrap_or_default(), out.arg.name().to_owned())
}

/// torch's JSON of the signature, byte for byte what torch 2.15 writes.
pub fn torch_json_bytes(sig: &ExportGraphSignature) -> Vec<u8> {
    torch_json::encode(sig, &torch_json::WriteOptions::default()).expect("torch can hold the generated signature")
}

/// A whole exported-program JSON (`models/model.json` of a `.pt2`) around the signature,
/// with an empty graph.
pub fn model_json_bytes(sig: &ExportGraphSignature) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        br#"{"graph_module": {"graph": {"inputs": [], "outputs": [], "nodes": [], "sym_int_values": {}, "sym_bool_values": {}, "tensor_values": {}, "is_single_tensor_return": false, "custom_obj_values": {}, "sym_float_values": {}}, "signature": "#,
    );
    out.extend_from_slice(&torch_json_bytes(sig));
    out.extend_from_slice(
        br#", "module_call_graph": [], "metadata": {}, "treespec_namedtuple_fields": {}}, "opset_version": {"aten": 10}, "range_constraints": {}, "schema_version": {"major": 8, "minor": 20}, "verifiers": [], "torch_version": "2.15.0", "guards_code": []}"#,
    );
    out
}

/// One record of a stored (uncompressed) zip: its name and either bytes or a length of
/// zeros written as a hole (a sparse file: no disk used).
pub enum Record<'a> {
    Bytes(&'a str, &'a [u8]),
    Zeros(&'a str, u64),
}

/// CRC-32 of `len` zero bytes.
fn crc_of_zeros(len: u64) -> u32 {
    let chunk = vec![0u8; 1 << 20];
    let mut h = crc32fast::Hasher::new();
    let mut left = len;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        h.update(&chunk[..k]);
        left -= k as u64;
    }
    h.finalize()
}

/// Writes a stored zip of `records` (each under 4 GiB, no zip64) to `path`; data starts
/// 64-byte aligned as in torch's archives. Zero records are holes.
pub fn write_zip(path: &Path, records: &[Record<'_>]) -> io::Result<()> {
    let mut f = File::create(path)?;
    let mut central = Vec::new();
    let mut count = 0u16;
    for record in records {
        let (name, len, crc) = match record {
            Record::Bytes(name, bytes) => (*name, bytes.len() as u64, crc32fast::hash(bytes)),
            Record::Zeros(name, len) => (*name, *len, crc_of_zeros(*len)),
        };
        let len32 = u32::try_from(len).expect("records under 4 GiB");
        let offset = f.stream_position()?;
        let header_end = offset + 30 + name.len() as u64 + 4;
        let pad = ((64 - header_end % 64) % 64) as u16;
        let mut extra = Vec::new();
        extra.extend_from_slice(&0xf00du16.to_le_bytes()); // padding field, as torch's "FB" field
        extra.extend_from_slice(&pad.to_le_bytes());
        extra.resize(4 + pad as usize, b'Z');
        let mut local = Vec::new();
        local.extend_from_slice(b"PK\x03\x04");
        local.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // version, flags, stored, time, date
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&len32.to_le_bytes());
        local.extend_from_slice(&len32.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        local.extend_from_slice(&extra);
        f.write_all(&local)?;
        match record {
            Record::Bytes(_, bytes) => f.write_all(bytes)?,
            Record::Zeros(_, len) => {
                f.seek(SeekFrom::Current(*len as i64))?;
            }
        }
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // made by, needed, flags, stored, time, date
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&len32.to_le_bytes());
        central.extend_from_slice(&len32.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&[0; 4]); // external attributes
        central.extend_from_slice(&u32::try_from(offset).expect("under 4 GiB").to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        count += 1;
    }
    let cd_offset = f.stream_position()?;
    f.write_all(&central)?;
    let mut end = Vec::new();
    end.extend_from_slice(b"PK\x05\x06");
    end.extend_from_slice(&[0; 4]);
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&(central.len() as u32).to_le_bytes());
    end.extend_from_slice(&u32::try_from(cd_offset).expect("under 4 GiB").to_le_bytes());
    end.extend_from_slice(&[0, 0]);
    f.write_all(&end)?;
    f.sync_all()
}

/// Writes a torch 2.15-layout `.pt2` holding `model_json` as `model/models/model.json`
/// after a weights record of `weights` bytes (zeros; a hole when large).
pub fn write_pt2(path: &Path, model_json: &[u8], weights: u64) -> io::Result<()> {
    let small = [0u8; 16];
    let weights_record = if weights <= small.len() as u64 {
        Record::Bytes("model/data/weights/weight_0", &small[..weights as usize])
    } else {
        Record::Zeros("model/data/weights/weight_0", weights)
    };
    let config = br#"{"config": {"weight_0": {"path_name": "weight_0", "is_param": true, "use_pickle": false, "tensor_meta": {}}}}"#;
    write_zip(
        path,
        &[
            weights_record,
            Record::Bytes("model/data/weights/model_weights_config.json", config),
            Record::Bytes("model/models/model.json", model_json),
            Record::Bytes("model/archive_format", b"pt2"),
            Record::Bytes("model/archive_version", b"0"),
            Record::Bytes("model/.data/version", b"1\n"),
            Record::Bytes("model/byteorder", b"little"),
        ],
    )
}

/// 1 GiB: the weights of the big archive.
pub const BIG_WEIGHTS: u64 = 1 << 30;

/// The files of one size, under `dir`: `sig_<n>.<ext>` for `torch.json`, `json` (ours),
/// `pb`, `gsig`, `bincode`.
pub fn file(dir: &Path, n: usize, ext: &str) -> PathBuf {
    dir.join(format!("sig_{n}.{ext}"))
}

/// The archives of size `n`: tiny weights and 1 GiB of weights.
pub fn archive(dir: &Path, n: usize, big: bool) -> PathBuf {
    dir.join(format!("model_{n}_{}.pt2", if big { "1gib" } else { "tiny" }))
}

/// Writes every file for size `n` into `dir` (created); archives only when `archives`.
pub fn write_all(dir: &Path, n: usize, archives: bool) -> io::Result<ExportGraphSignature> {
    fs::create_dir_all(dir)?;
    let sig = llm_signature(n);
    fs::write(file(dir, n, "torch.json"), torch_json_bytes(&sig))?;
    for (format, ext) in
        [(Format::Json, "json"), (Format::Proto, "pb"), (Format::Fbs, "gsig"), (Format::Bincode, "bincode")]
    {
        match codec::encode(&sig, format) {
            Ok(bytes) => fs::write(file(dir, n, ext), bytes)?,
            // FlatBuffers (256 MiB) and bincode (64 MiB) refuse a document over their limit:
            // at 1M specs there is no such file, and the benches skip that format.
            Err(graph_signature::Error::TooLarge { .. }) => {
                eprintln!("{n} specs: no {ext} file, over the {format} limit");
                let _ = fs::remove_file(file(dir, n, ext));
            }
            Err(e) => return Err(io::Error::other(e)),
        }
    }
    let (name, target, out) = probe_keys(&sig);
    fs::write(file(dir, n, "keys.txt"), format!("{name}\n{target}\n{out}\n"))?;
    if archives {
        let model = model_json_bytes(&sig);
        write_pt2(&archive(dir, n, false), &model, 16)?;
        write_pt2(&archive(dir, n, true), &model, BIG_WEIGHTS)?;
    }
    Ok(sig)
}
