//! Framed streams: a sequence of signatures over any `Read` / `Write`, each written as its
//! protobuf `SignatureDocument` preceded by the byte length as a base-128 varint — protobuf's
//! length-delimited convention (Java's `writeDelimitedTo` / `parseDelimitedFrom`, C++'s
//! `SerializeDelimitedToOstream`, Python's `_VarintBytes(len(b)) + b`).
//!
//! The reader refuses a length above its limit before reading the frame, and reads a frame
//! incrementally, so a hostile length prefix cannot make it allocate (or wait for) more than
//! what was really sent.
//!
//! ```
//! use graph_signature::codec::framed::{FrameReader, FrameWriter};
//! use graph_signature::{ExportGraphSignature, InputSpec};
//! let a = ExportGraphSignature::new(vec![InputSpec::parameter("p_w", "w")], vec![])?;
//! let b = ExportGraphSignature::empty();
//! let mut writer = FrameWriter::new(Vec::new());
//! writer.write(&a)?;
//! writer.write(&b)?;
//! let bytes = writer.into_inner();
//! let read: Vec<_> = FrameReader::new(&bytes[..]).collect::<Result<_, _>>()?;
//! assert_eq!(read, [a, b]);
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::io::{self, Read, Write};

use super::{proto, Document};
use crate::model::ExportGraphSignature;
use crate::Error;

const FORMAT: &str = "framed proto";

/// The default largest frame a [`FrameReader`] accepts: 16 MiB (a signature of a model with
/// a hundred thousand lifted tensors is a few MiB).
pub const DEFAULT_MAX_FRAME: u64 = 16 << 20;

/// A varint is at most 10 bytes for a u64.
const MAX_VARINT_LEN: usize = 10;

/// Writes signatures as length-delimited protobuf frames.
pub struct FrameWriter<W: Write> {
    inner: W,
}

impl<W: Write> FrameWriter<W> {
    /// A writer over `inner` (wrap files and sockets in a `BufWriter`).
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    /// Writes one frame: `sig` alone, at schema 1.0.
    pub fn write(&mut self, sig: &ExportGraphSignature) -> Result<(), Error> {
        self.write_frame(&proto::encode(sig))
    }

    /// Writes one frame: a document at the lowest version that holds it (1.1 with
    /// metadata). Metadata its readers would refuse is [`Error::InvalidMeta`], and nothing
    /// is written.
    pub fn write_document(&mut self, doc: &Document) -> Result<(), Error> {
        self.write_frame(&proto::encode_document(doc)?)
    }

    fn write_frame(&mut self, body: &[u8]) -> Result<(), Error> {
        let mut prefix = [0u8; MAX_VARINT_LEN];
        let n = encode_varint(body.len() as u64, &mut prefix);
        self.inner.write_all(&prefix[..n])?;
        self.inner.write_all(body)?;
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> Result<(), Error> {
        Ok(self.inner.flush()?)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Reads length-delimited protobuf frames; an iterator of signatures that ends at end of
/// input on a frame boundary.
pub struct FrameReader<R: Read> {
    inner: R,
    max_frame: u64,
    index: usize,
    failed: bool,
}

impl<R: Read> FrameReader<R> {
    /// A reader over `inner` with the [`DEFAULT_MAX_FRAME`] limit.
    pub fn new(inner: R) -> Self {
        Self::with_max_frame(inner, DEFAULT_MAX_FRAME)
    }

    /// A reader that refuses frames longer than `max_frame` bytes.
    pub fn with_max_frame(inner: R, max_frame: u64) -> Self {
        Self { inner, max_frame, index: 0, failed: false }
    }

    /// Reads the next signature (a 1.1 frame's metadata is parsed, then ignored); `Ok(None)`
    /// at end of input on a frame boundary. Errors name the frame (`frames[2]`).
    pub fn read_next(&mut self) -> Result<Option<ExportGraphSignature>, Error> {
        self.next_frame(proto::decode)
    }

    /// Reads the next document with its metadata (`None` in a 1.0 frame); `Ok(None)` at end
    /// of input on a frame boundary. Errors name the frame (`frames[2].meta.inputs[0]`).
    pub fn read_next_document(&mut self) -> Result<Option<Document>, Error> {
        self.next_frame(proto::decode_document)
    }

    fn next_frame<T>(&mut self, decode: impl FnOnce(&[u8]) -> Result<T, Error>) -> Result<Option<T>, Error> {
        let at = format!("frames[{}]", self.index);
        let Some(len) = self.read_varint(&at)? else { return Ok(None) };
        if len > self.max_frame {
            return Err(Error::decode(
                FORMAT,
                at,
                format!("frame length {len} exceeds the limit of {} bytes", self.max_frame),
            ));
        }
        let mut body = Vec::new();
        // Grows with what arrives, never with what the prefix claims.
        (&mut self.inner).take(len).read_to_end(&mut body)?;
        if body.len() as u64 != len {
            return Err(Error::decode(
                FORMAT,
                at,
                format!("truncated frame: the length prefix says {len} bytes, the stream ended after {}", body.len()),
            ));
        }
        let decoded = decode(&body).map_err(|e| match e {
            Error::Decode { path, reason, .. } => {
                let path = if path.is_empty() { at.clone() } else { format!("{at}.{path}") };
                Error::Decode { format: FORMAT, path, reason }
            }
            other => other,
        })?;
        self.index += 1;
        Ok(Some(decoded))
    }

    /// Reads a varint; `None` on end of input before its first byte.
    fn read_varint(&mut self, at: &str) -> Result<Option<u64>, Error> {
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let mut byte = [0u8];
            loop {
                match self.inner.read(&mut byte) {
                    Ok(0) if i == 0 => return Ok(None),
                    Ok(0) => return Err(Error::decode(FORMAT, at, "truncated length prefix")),
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            let b = byte[0];
            let bits = u64::from(b & 0x7f);
            // The 10th byte may only carry the top bit of a u64.
            if i == MAX_VARINT_LEN - 1 && bits > 1 {
                return Err(Error::decode(FORMAT, at, "length prefix overflows 64 bits"));
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(Some(value));
            }
        }
        Err(Error::decode(FORMAT, at, "length prefix longer than 10 bytes"))
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Result<ExportGraphSignature, Error>;

    /// Stops after the first error: the stream position is then unknown.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.read_next().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

fn encode_varint(mut value: u64, buf: &mut [u8; MAX_VARINT_LEN]) -> usize {
    let mut n = 0;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            buf[n] = byte;
            return n + 1;
        }
        buf[n] = byte | 0x80;
        n += 1;
    }
}
