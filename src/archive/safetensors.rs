//! Carrying a signature in a `.safetensors` file: as a string in the header's
//! `__metadata__` map (the only place the format allows text), under
//! [`METADATA_KEY`]. Tensors and their bytes are never touched.
//!
//! The file layout is an 8-byte little-endian header length `N`, `N` bytes of JSON header
//! (optionally padded with spaces), then the tensor data, whose offsets are relative to the
//! end of the header — so a longer header moves no offset.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use indexmap::IndexMap;
use serde_json::value::RawValue;

use super::atomic::{write_file, WriteOptions};
use crate::Error;

const FORMAT: &str = "safetensors";

/// The `__metadata__` key that holds the signature.
pub const METADATA_KEY: &str = "graph_signature";

/// The largest header read, as the safetensors reference implementation limits it.
pub const MAX_HEADER_SIZE: u64 = 100_000_000;

/// The largest number of entries (tensors and `__metadata__`) a header may list: far more
/// than any checkpoint holds, and a bound on what one header costs to read.
pub const MAX_HEADER_ENTRIES: usize = 10_000_000;

/// The header's bytes (without the 8-byte length prefix and the padding) and its length on
/// disk.
struct Header {
    json: Vec<u8>,
    len: u64,
}

fn read_header<R: Read>(reader: &mut R, file_len: Option<u64>) -> Result<Header, Error> {
    let mut prefix = [0u8; 8];
    reader.read_exact(&mut prefix).map_err(|e| truncated(e, "the 8-byte header length"))?;
    let len = u64::from_le_bytes(prefix);
    if len > MAX_HEADER_SIZE {
        return Err(Error::Limit {
            what: "the safetensors header length".to_owned(),
            size: len,
            limit: MAX_HEADER_SIZE,
        });
    }
    if let Some(file_len) = file_len {
        if len.checked_add(8).is_none_or(|end| end > file_len) {
            return Err(Error::decode(
                FORMAT,
                "header",
                format!("header length {len} runs past the end of the {file_len}-byte file"),
            ));
        }
    }
    let mut json = Vec::with_capacity(len as usize);
    reader.take(len).read_to_end(&mut json)?;
    if (json.len() as u64) < len {
        return Err(Error::decode(FORMAT, "header", format!("file ends inside the {len}-byte header")));
    }
    let padding = json.iter().rev().take_while(|b| **b == b' ').count();
    json.truncate(json.len() - padding);
    Ok(Header { json, len })
}

/// The header's entries in order, each value borrowed as raw JSON: no value tree is built,
/// whatever the header holds.
fn entries(json: &[u8]) -> Result<Vec<(String, &RawValue)>, Error> {
    let text = std::str::from_utf8(json).map_err(|e| Error::decode(FORMAT, "header", format!("not UTF-8: {e}")))?;
    crate::json_util::raw_members(text, MAX_HEADER_ENTRIES).map_err(|e| Error::decode(FORMAT, "header", e.to_string()))
}

fn truncated(e: io::Error, what: &str) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::decode(FORMAT, "", format!("file too short for {what}"))
    } else {
        e.into()
    }
}

/// The `__metadata__` map, if the header has one (a string-to-string map by the format).
fn metadata(entries: &[(String, &RawValue)]) -> Result<Option<IndexMap<String, String>>, Error> {
    match entries.iter().find(|(k, _)| k == "__metadata__") {
        None => Ok(None),
        Some((_, raw)) => serde_json::from_str::<Option<IndexMap<String, String>>>(raw.get())
            .map_err(|e| Error::decode(FORMAT, "header.__metadata__", format!("expected a string-to-string map: {e}"))),
    }
}

/// Whether the bytes start like a safetensors file: a plausible header length, then `{`.
pub fn looks_like_safetensors(prefix: &[u8]) -> bool {
    prefix.len() >= 9
        && u64::from_le_bytes(prefix[..8].try_into().expect("8 bytes")) <= MAX_HEADER_SIZE
        && prefix[8] == b'{'
}

/// The embedded signature text (our JSON format) of the file at `path`, if it carries one.
/// Only the header is read.
pub fn read_embedded_path(path: impl AsRef<Path>) -> Result<Option<String>, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let file_len = file.metadata().map_err(|e| Error::from(e).with_path(path))?.len();
    read_embedded(BufReader::new(file), Some(file_len)).map_err(|e| e.with_path(path))
}

/// The embedded signature text (our JSON format), if the file carries one; `file_len`, when
/// known, bounds the header.
pub fn read_embedded<R: Read>(mut reader: R, file_len: Option<u64>) -> Result<Option<String>, Error> {
    let header = read_header(&mut reader, file_len)?;
    let entries = entries(&header.json)?;
    Ok(metadata(&entries)?.and_then(|mut m| m.swap_remove(METADATA_KEY)))
}

/// Writes `output` (which may be `input`): `input` with `text` stored under
/// [`METADATA_KEY`] in `__metadata__`, every other header entry and all tensor bytes
/// unchanged. The write keeps the user's file ([`atomic`](super::atomic)). A header that
/// would grow past [`MAX_HEADER_SIZE`] (which safetensors readers refuse) is
/// [`Error::TooLarge`], and nothing is written.
pub fn embed(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    text: &str,
    options: &WriteOptions,
) -> Result<(), Error> {
    let (input, output) = (input.as_ref(), output.as_ref());
    let file = File::open(input).map_err(|e| Error::from(e).with_path(input))?;
    let file_len = file.metadata().map_err(|e| Error::from(e).with_path(input))?.len();
    let mut reader = BufReader::new(file);
    let (header, data_len) = embedded_header(&mut reader, file_len, text).map_err(|e| e.with_path(input))?;
    write_file(output, options, |w| write_embedded(&mut reader, w, &header, data_len, input))
}

/// Writes to `output` the file read from `input` (of `file_len` bytes) with `text` embedded,
/// as [`embed`] does to a file (for standard output, or a buffer).
pub fn embed_into<R: Read, W: Write>(mut input: R, file_len: u64, output: &mut W, text: &str) -> Result<(), Error> {
    let (header, data_len) = embedded_header(&mut input, file_len, text)?;
    write_embedded(&mut input, output, &header, data_len, Path::new("<input>"))
}

/// The new header (length prefix included) and the length of the tensor data after it.
fn embedded_header<R: Read>(reader: &mut R, file_len: u64, text: &str) -> Result<(Vec<u8>, u64), Error> {
    let header = read_header(reader, Some(file_len))?;
    let entries = entries(&header.json)?;
    let mut meta = metadata(&entries)?.unwrap_or_default();
    meta.insert(METADATA_KEY.to_owned(), text.to_owned());
    // Sized for the old metadata and the text (a little more for escapes): a buffer that grew
    // by doubling would hold the old and the new copy at once.
    let old_meta_len = entries.iter().find(|(k, _)| k == "__metadata__").map_or(0, |(_, raw)| raw.get().len());
    let mut meta_json = Vec::with_capacity(old_meta_len + text.len() + text.len() / 8 + 64);
    serde_json::to_writer(&mut meta_json, &meta).map_err(|e| Error::decode(FORMAT, "header", e.to_string()))?;
    let meta_json = String::from_utf8(meta_json).expect("serde_json writes UTF-8");
    drop(meta);
    // The new header holds at least the metadata: refuse before building it when that alone
    // is over the limit.
    if meta_json.len() as u64 > MAX_HEADER_SIZE {
        return Err(Error::TooLarge { format: FORMAT, size: meta_json.len() as u64, limit: MAX_HEADER_SIZE });
    }
    // The length prefix first (set once the header is built), so the header is built once.
    let mut out = Vec::with_capacity(8 + header.json.len() + meta_json.len() + 32);
    out.extend_from_slice(&[0; 8]);
    out.push(b'{');
    let put = |out: &mut Vec<u8>, key: &str, raw: &str| {
        if out.len() > 9 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, key).expect("a string serializes");
        out.push(b':');
        out.extend_from_slice(raw.as_bytes());
    };
    // The metadata first where there was none (where safetensors writers put it), else in
    // its place.
    if !entries.iter().any(|(k, _)| k == "__metadata__") {
        put(&mut out, "__metadata__", &meta_json);
    }
    for (key, raw) in &entries {
        put(&mut out, key, if key == "__metadata__" { &meta_json } else { raw.get() });
    }
    out.push(b'}');
    // Pad to a multiple of 8 so the tensor data stays 8-byte aligned.
    let json_len = (out.len() - 8).next_multiple_of(8);
    if json_len as u64 > MAX_HEADER_SIZE {
        return Err(Error::TooLarge { format: FORMAT, size: json_len as u64, limit: MAX_HEADER_SIZE });
    }
    out.resize(8 + json_len, b' ');
    out[..8].copy_from_slice(&(json_len as u64).to_le_bytes());
    Ok((out, file_len - 8 - header.len))
}

fn write_embedded<R: Read>(
    reader: &mut R,
    w: &mut dyn Write,
    header: &[u8],
    data_len: u64,
    input: &Path,
) -> Result<(), Error> {
    w.write_all(header)?;
    let copied = io::copy(reader, w)?;
    if copied != data_len {
        return Err(Error::decode(FORMAT, "", format!("{} changed while being copied", input.display())));
    }
    Ok(())
}
