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

use serde_json::{Map, Value};

use super::atomic::write_atomic;
use crate::Error;

const FORMAT: &str = "safetensors";

/// The `__metadata__` key that holds the signature.
pub const METADATA_KEY: &str = "graph_signature";

/// The largest header read, as the safetensors reference implementation limits it.
pub const MAX_HEADER_SIZE: u64 = 100_000_000;

/// The header's JSON and its length on disk (without the 8-byte length prefix).
struct Header {
    map: Map<String, Value>,
    len: u64,
}

fn read_header<R: Read>(reader: &mut R, file_len: Option<u64>) -> Result<Header, Error> {
    let mut prefix = [0u8; 8];
    reader.read_exact(&mut prefix).map_err(|e| truncated(e, "the 8-byte header length"))?;
    let len = u64::from_le_bytes(prefix);
    if len > MAX_HEADER_SIZE {
        return Err(Error::decode(
            FORMAT,
            "header",
            format!("header length {len} exceeds the limit of {MAX_HEADER_SIZE}"),
        ));
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
    let mut bytes = Vec::new();
    reader.take(len).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < len {
        return Err(Error::decode(FORMAT, "header", format!("file ends inside the {len}-byte header")));
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::decode(FORMAT, "header", format!("not UTF-8: {e}")))?;
    let value: Value =
        serde_json::from_str(text.trim_end_matches(' ')).map_err(|e| Error::decode(FORMAT, "header", e.to_string()))?;
    match value {
        Value::Object(map) => Ok(Header { map, len }),
        _ => Err(Error::decode(FORMAT, "header", "the header is not a JSON object")),
    }
}

fn truncated(e: io::Error, what: &str) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::decode(FORMAT, "", format!("file too short for {what}"))
    } else {
        e.into()
    }
}

fn metadata(map: &Map<String, Value>) -> Result<Option<&Map<String, Value>>, Error> {
    match map.get("__metadata__") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Error::decode(FORMAT, "header.__metadata__", "expected a string-to-string map")),
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
    match metadata(&header.map)?.and_then(|m| m.get(METADATA_KEY)) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::decode(FORMAT, format!("header.__metadata__.{METADATA_KEY}"), "expected a string")),
    }
}

/// Writes `output` (which may be `input`): `input` with `text` stored under
/// [`METADATA_KEY`] in `__metadata__`, every other header entry and all tensor bytes
/// unchanged. The write is atomic.
pub fn embed(input: impl AsRef<Path>, output: impl AsRef<Path>, text: &str) -> Result<(), Error> {
    let (input, output) = (input.as_ref(), output.as_ref());
    let file = File::open(input).map_err(|e| Error::from(e).with_path(input))?;
    let file_len = file.metadata().map_err(|e| Error::from(e).with_path(input))?.len();
    let mut reader = BufReader::new(file);
    let mut header = read_header(&mut reader, Some(file_len)).map_err(|e| e.with_path(input))?;
    let mut meta = metadata(&header.map)?.cloned().unwrap_or_default();
    meta.insert(METADATA_KEY.to_owned(), Value::String(text.to_owned()));
    if !header.map.contains_key("__metadata__") {
        // Put the metadata first, where the safetensors writers put it.
        let mut map = Map::with_capacity(header.map.len() + 1);
        map.insert("__metadata__".to_owned(), Value::Null);
        map.extend(std::mem::take(&mut header.map));
        header.map = map;
    }
    header.map.insert("__metadata__".to_owned(), Value::Object(meta));
    let mut json = serde_json::to_vec(&header.map).map_err(|e| Error::decode(FORMAT, "header", e.to_string()))?;
    // Pad to a multiple of 8 so the tensor data stays 8-byte aligned.
    json.resize(json.len().next_multiple_of(8), b' ');
    let data_len = file_len - 8 - header.len;
    write_atomic(output, |w| {
        w.write_all(&(json.len() as u64).to_le_bytes())?;
        w.write_all(&json)?;
        let copied = io::copy(&mut reader, w)?;
        if copied != data_len {
            return Err(Error::decode(FORMAT, "", format!("{input:?} changed while being copied")));
        }
        Ok(())
    })
}
