//! The zip container of torch archives, read and extended by hand.
//!
//! Reading parses only the end records and the central directory, then reads the records
//! asked for; nothing else of the file is touched, so the cost does not grow with the
//! weights. The end-of-central-directory record is the one whose comment ends exactly at the
//! end of the file: torch archives hold other zips (`torch.save` pickles) as records, and
//! their end records must not be mistaken for the archive's.
//!
//! Appending adds one STORED record while keeping every byte of every other record where it
//! was: the records are copied as they are, the new record goes after them (its data
//! 64-byte aligned, as torch's writer aligns records), and a new central directory (ZIP64,
//! as torch writes) follows. A record of the same name is replaced: it drops out of the
//! central directory, so no reader sees it.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::Error;

const FORMAT: &str = "zip";
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
/// The alignment torch's `PyTorchStreamWriter` gives record data.
const ALIGNMENT: u64 = 64;
/// torch pads with an extra field of id "FB" filled with 'Z'.
const PAD_EXTRA_ID: u16 = u16::from_le_bytes(*b"FB");
/// The largest central directory read (a torch archive has a few records per tensor).
const MAX_CENTRAL_DIRECTORY: u64 = 256 << 20;

fn bad(reason: impl Into<String>) -> Error {
    Error::decode(FORMAT, "", reason)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Where the central directory is.
struct Directory {
    offset: u64,
    size: u64,
    comment: Vec<u8>,
}

fn find_directory<R: Read + Seek>(r: &mut R) -> Result<Directory, Error> {
    let len = r.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65535 + 20);
    r.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail)?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD_SIG && i + 22 + u16_at(&tail, i + 20) as usize == tail.len())
        .ok_or_else(|| bad("no end-of-central-directory record (truncated or not a zip archive)"))?;
    let comment = tail[eocd + 22..].to_vec();
    let (mut offset, mut size) = (u64::from(u32_at(&tail, eocd + 16)), u64::from(u32_at(&tail, eocd + 12)));
    if eocd >= 20 && u32_at(&tail, eocd - 20) == ZIP64_LOCATOR_SIG {
        let record_at = u64_at(&tail, eocd - 20 + 8);
        let mut record = [0u8; 56];
        r.seek(SeekFrom::Start(record_at))?;
        r.read_exact(&mut record).map_err(|_| bad("truncated ZIP64 end-of-central-directory record"))?;
        if u32_at(&record, 0) != ZIP64_EOCD_SIG {
            return Err(bad("the ZIP64 locator points at no ZIP64 end-of-central-directory record"));
        }
        size = u64_at(&record, 40);
        offset = u64_at(&record, 48);
    }
    if size > MAX_CENTRAL_DIRECTORY || offset.checked_add(size).is_none_or(|end| end > len) {
        return Err(bad(format!("central directory ({size} bytes at {offset}) does not fit the {len}-byte archive")));
    }
    Ok(Directory { offset, size, comment })
}

/// One central-directory entry: its raw bytes and the fields a reader needs.
pub(crate) struct Entry {
    /// The record name.
    pub(crate) name: String,
    raw: Vec<u8>,
    pub(crate) method: u16,
    crc: u32,
    pub(crate) compressed_size: u64,
    pub(crate) size: u64,
    pub(crate) local_offset: u64,
    /// Where the next record (or the central directory) begins: this record's bytes must
    /// end by then.
    span_end: u64,
}

/// A ZIP64 extended-information extra field overrides the 32-bit fields that are all ones.
fn apply_zip64_extra(extra: &[u8], size: &mut u64, compressed: &mut u64, offset: &mut u64) -> Result<(), Error> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, at), u16_at(extra, at + 2) as usize);
        let body = extra.get(at + 4..at + 4 + len).ok_or_else(|| bad("extra field runs past its entry"))?;
        if id == 1 {
            let mut fields = body.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
            for slot in [size, compressed, offset] {
                if *slot == u64::from(u32::MAX) {
                    *slot = fields.next().ok_or_else(|| bad("ZIP64 extra field too short"))?;
                }
            }
            return Ok(());
        }
        at += 4 + len;
    }
    Ok(())
}

/// The central directory of an archive.
pub(crate) fn entries<R: Read + Seek>(r: &mut R) -> Result<Vec<Entry>, Error> {
    let dir = find_directory(r)?;
    read_entries(r, &dir)
}

/// Where a record's data is: its absolute offset in the archive and its stored length.
/// Only the record's local header is read.
pub(crate) fn data_range<R: Read + Seek>(r: &mut R, entry: &Entry) -> Result<(u64, u64), Error> {
    let fail = |reason: String| Error::decode(FORMAT, &entry.name, reason);
    let mut header = [0u8; 30];
    r.seek(SeekFrom::Start(entry.local_offset))?;
    r.read_exact(&mut header).map_err(|_| fail("truncated local header".into()))?;
    if u32_at(&header, 0) != LOCAL_SIG {
        return Err(fail(format!("no local header at offset {}", entry.local_offset)));
    }
    let skip = 30 + u64::from(u16_at(&header, 26)) + u64::from(u16_at(&header, 28));
    let start = entry.local_offset + skip;
    if start.checked_add(entry.compressed_size).is_none_or(|end| end > entry.span_end) {
        return Err(fail(format!(
            "its {} bytes at offset {start} run into the next record or the central directory (at {})",
            entry.compressed_size, entry.span_end
        )));
    }
    Ok((start, entry.compressed_size))
}

/// Reads one record, refusing a record larger than `limit` bytes (compressed or not) and
/// checking its CRC. torch writes records STORED; DEFLATE is accepted as torch's reader
/// accepts it, and inflated to at most the size the central directory declares.
pub(crate) fn read_entry<R: Read + Seek>(r: &mut R, entry: &Entry, limit: u64) -> Result<Vec<u8>, Error> {
    let fail = |reason: String| Error::decode(FORMAT, &entry.name, reason);
    let declared = entry.size.max(entry.compressed_size);
    if declared > limit {
        return Err(Error::Limit { what: format!("zip record {}", entry.name), size: declared, limit });
    }
    let (start, len) = data_range(r, entry)?;
    r.seek(SeekFrom::Start(start))?;
    let mut stored = Vec::with_capacity(len as usize);
    r.take(len).read_to_end(&mut stored)?;
    if stored.len() as u64 != len {
        return Err(fail("the archive ends inside this record (truncated?)".into()));
    }
    let data = match entry.method {
        0 => stored,
        8 => inflate(&stored, entry.size).map_err(fail)?,
        m => return Err(fail(format!("compression method {m} is not supported (torch writes STORED records)"))),
    };
    // Under cargo-fuzz (`--cfg fuzzing`) a wrong CRC is let through, so the fuzzer's changes
    // to a record's bytes reach the readers of the record instead of stopping here.
    if data.len() as u64 != entry.size || (crc32fast::hash(&data) != entry.crc && !cfg!(fuzzing)) {
        return Err(fail("size or CRC does not match the central directory (corrupt archive?)".into()));
    }
    Ok(data)
}

/// Inflates DEFLATE data to at most `declared` bytes: more is an error, so a small record
/// that claims a small size cannot expand into gigabytes.
fn inflate(stored: &[u8], declared: u64) -> Result<Vec<u8>, String> {
    use miniz_oxide::inflate::TINFLStatus;
    // One byte more than declared tells "larger than declared" from "exactly declared".
    let cap = usize::try_from(declared).map_err(|_| "declared size does not fit in memory".to_owned())?;
    match miniz_oxide::inflate::decompress_to_vec_with_limit(stored, cap.saturating_add(1)) {
        Ok(data) if data.len() <= cap => Ok(data),
        Ok(_) => Err(format!("inflates to more than the {declared} bytes its entry declares")),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => {
            Err(format!("inflates to more than the {declared} bytes its entry declares"))
        }
        Err(e) => Err(format!("corrupt DEFLATE data ({:?})", e.status)),
    }
}

fn read_entries<R: Read + Seek>(r: &mut R, dir: &Directory) -> Result<Vec<Entry>, Error> {
    r.seek(SeekFrom::Start(dir.offset))?;
    let mut cd = vec![0u8; dir.size as usize];
    r.read_exact(&mut cd)?;
    let mut entries = Vec::new();
    let mut at = 0usize;
    while at < cd.len() {
        if cd.len() - at < 46 || u32_at(&cd, at) != CENTRAL_SIG {
            return Err(bad(format!("malformed central directory entry at offset {}", dir.offset + at as u64)));
        }
        let n = u16_at(&cd, at + 28) as usize;
        let total = 46 + n + u16_at(&cd, at + 30) as usize + u16_at(&cd, at + 32) as usize;
        let raw = cd.get(at..at + total).ok_or_else(|| bad("central directory entry runs past its end"))?;
        let name = String::from_utf8(raw[46..46 + n].to_vec())
            .map_err(|_| bad(format!("record name at offset {} is not UTF-8", dir.offset + at as u64)))?;
        let (mut size, mut compressed_size) = (u64::from(u32_at(raw, 24)), u64::from(u32_at(raw, 20)));
        let mut local_offset = u64::from(u32_at(raw, 42));
        let extra = &raw[46 + n..46 + n + u16_at(raw, 30) as usize];
        apply_zip64_extra(extra, &mut size, &mut compressed_size, &mut local_offset)?;
        entries.push(Entry {
            name,
            method: u16_at(raw, 10),
            crc: u32_at(raw, 16),
            compressed_size,
            size,
            local_offset,
            span_end: dir.offset,
            raw: raw.to_vec(),
        });
        at += total;
    }
    set_spans(&mut entries, dir.offset)?;
    Ok(entries)
}

/// Gives every entry the offset its bytes must end by (the next record's start, or the
/// central directory's), refusing overlapping records: a zip whose records share bytes
/// would let a small file be read as many large ones.
fn set_spans(entries: &mut [Entry], directory_offset: u64) -> Result<(), Error> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].local_offset);
    for (k, &i) in order.iter().enumerate() {
        let end = order.get(k + 1).map_or(directory_offset, |&next| entries[next].local_offset);
        let e = &entries[i];
        let min_len = 30 + e.name.len() as u64 + e.compressed_size;
        if e.local_offset.checked_add(min_len).is_none_or(|min_end| min_end > end) {
            return Err(Error::decode(
                FORMAT,
                &e.name,
                format!(
                    "record at offset {} ({} bytes) overlaps the next record or the central directory at {end}",
                    e.local_offset, e.compressed_size
                ),
            ));
        }
        entries[i].span_end = end;
    }
    Ok(())
}

/// A zip's central directory, read once and indexed by record name (the last entry of a
/// name wins, as zip readers take it).
pub(crate) struct Zip<R> {
    pub(crate) reader: R,
    pub(crate) entries: Vec<Entry>,
    index: std::collections::HashMap<String, usize>,
}

/// Where a record's bytes are in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    /// The absolute offset of its (stored or compressed) data.
    pub(crate) offset: u64,
    /// The length of that data.
    pub(crate) length: u64,
    /// Whether the data is STORED (its bytes are the record's bytes).
    pub(crate) stored: bool,
}

impl<R: Read + Seek> Zip<R> {
    pub(crate) fn open(mut reader: R) -> Result<Self, Error> {
        let entries = entries(&mut reader)?;
        let mut index = std::collections::HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            index.insert(e.name.clone(), i);
        }
        Ok(Self { reader, entries, index })
    }

    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// The bytes of record `name`, refusing one larger than `limit`.
    pub(crate) fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let i = *self.index.get(name).ok_or_else(|| Error::decode(FORMAT, name, "record not found"))?;
        read_entry(&mut self.reader, &self.entries[i], limit)
    }

    /// Where record `name`'s data is (only its local header is read).
    pub(crate) fn locate(&mut self, name: &str) -> Result<Location, Error> {
        let i = *self.index.get(name).ok_or_else(|| Error::decode(FORMAT, name, "record not found"))?;
        let entry = &self.entries[i];
        let (offset, length) = data_range(&mut self.reader, entry)?;
        Ok(Location { offset, length, stored: entry.method == 0 })
    }
}

/// A window of `len` bytes at `start` of a reader, seen as a file of its own: a zip stored
/// inside a zip (a `torch.save` archive inside a `.pt2`) is read through it without being
/// copied out.
pub(crate) struct Window<R> {
    inner: R,
    start: u64,
    len: u64,
    pos: u64,
}

impl<R: Read + Seek> Window<R> {
    pub(crate) fn new(inner: R, start: u64, len: u64) -> Self {
        Self { inner, start, len, pos: 0 }
    }
}

impl<R: Read + Seek> Read for Window<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = (buf.len() as u64).min(left) as usize;
        if want == 0 {
            return Ok(0);
        }
        self.inner.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Window<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the window"))?;
        self.pos = target;
        Ok(target)
    }
}

/// Copies the archive `input` to `output` with the record `name` set to `data`.
pub(crate) fn append_record<R: Read + Seek, W: Write>(
    input: &mut R,
    output: &mut W,
    name: &str,
    data: &[u8],
) -> Result<(), Error> {
    let dir = find_directory(input)?;
    let entries = read_entries(input, &dir)?;
    let data_len = u32::try_from(data.len()).map_err(|_| bad("an embedded record must be smaller than 4 GiB"))?;
    let name_len = u16::try_from(name.len()).map_err(|_| bad("record name too long"))?;

    // Every record as it is (up to where the old central directory began).
    input.seek(SeekFrom::Start(0))?;
    let copied = io::copy(&mut input.by_ref().take(dir.offset), output)?;
    if copied != dir.offset {
        return Err(bad("archive ended before its central directory"));
    }

    // The new record, its data aligned like torch's.
    let local_offset = dir.offset;
    let unpadded = local_offset + 30 + u64::from(name_len);
    let mut pad = (ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT;
    if pad > 0 && pad < 4 {
        pad += ALIGNMENT; // an extra field needs 4 bytes of header
    }
    let mut extra = Vec::with_capacity(pad as usize);
    if pad > 0 {
        extra.extend_from_slice(&PAD_EXTRA_ID.to_le_bytes());
        extra.extend_from_slice(&((pad - 4) as u16).to_le_bytes());
        extra.resize(pad as usize, b'Z');
    }
    let crc = crc32fast::hash(data);
    let mut local = Vec::with_capacity(30 + name.len() + extra.len());
    local.extend_from_slice(&LOCAL_SIG.to_le_bytes());
    local.extend_from_slice(&20u16.to_le_bytes()); // version needed
    local.extend_from_slice(&0u16.to_le_bytes()); // flags
    local.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    local.extend_from_slice(&0u16.to_le_bytes()); // time
    local.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
    local.extend_from_slice(&crc.to_le_bytes());
    local.extend_from_slice(&data_len.to_le_bytes());
    local.extend_from_slice(&data_len.to_le_bytes());
    local.extend_from_slice(&name_len.to_le_bytes());
    local.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    local.extend_from_slice(name.as_bytes());
    local.extend_from_slice(&extra);
    output.write_all(&local)?;
    output.write_all(data)?;

    // The central directory: every other entry as it was, then the new one.
    let cd_offset = local_offset + local.len() as u64 + u64::from(data_len);
    let mut cd = Vec::with_capacity(dir.size as usize + 128);
    let mut count: u64 = 0;
    for e in entries.iter().filter(|e| e.name != name) {
        cd.extend_from_slice(&e.raw);
        count += 1;
    }
    let zip64_offset = local_offset >= u64::from(u32::MAX);
    let cd_extra: Vec<u8> = if zip64_offset {
        let mut x = Vec::with_capacity(12);
        x.extend_from_slice(&1u16.to_le_bytes());
        x.extend_from_slice(&8u16.to_le_bytes());
        x.extend_from_slice(&local_offset.to_le_bytes());
        x
    } else {
        Vec::new()
    };
    cd.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
    cd.extend_from_slice(&(20u16 | (3 << 8)).to_le_bytes()); // made by: unix, 2.0
    cd.extend_from_slice(&(if zip64_offset { 45u16 } else { 20 }).to_le_bytes());
    cd.extend_from_slice(&0u16.to_le_bytes()); // flags
    cd.extend_from_slice(&0u16.to_le_bytes()); // method
    cd.extend_from_slice(&0u16.to_le_bytes()); // time
    cd.extend_from_slice(&0x21u16.to_le_bytes()); // date
    cd.extend_from_slice(&crc.to_le_bytes());
    cd.extend_from_slice(&data_len.to_le_bytes());
    cd.extend_from_slice(&data_len.to_le_bytes());
    cd.extend_from_slice(&name_len.to_le_bytes());
    cd.extend_from_slice(&(cd_extra.len() as u16).to_le_bytes());
    cd.extend_from_slice(&0u16.to_le_bytes()); // comment
    cd.extend_from_slice(&0u16.to_le_bytes()); // disk
    cd.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    cd.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // external: regular file
    cd.extend_from_slice(&(if zip64_offset { u32::MAX } else { local_offset as u32 }).to_le_bytes());
    cd.extend_from_slice(name.as_bytes());
    cd.extend_from_slice(&cd_extra);
    count += 1;
    output.write_all(&cd)?;

    // ZIP64 end records (torch always writes them), then the classic one.
    let cd_size = cd.len() as u64;
    let zip64_eocd_offset = cd_offset + cd_size;
    let mut end = Vec::with_capacity(56 + 20 + 22 + dir.comment.len());
    end.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
    end.extend_from_slice(&44u64.to_le_bytes());
    end.extend_from_slice(&(45u16 | (3 << 8)).to_le_bytes());
    end.extend_from_slice(&45u16.to_le_bytes());
    end.extend_from_slice(&0u32.to_le_bytes());
    end.extend_from_slice(&0u32.to_le_bytes());
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&count.to_le_bytes());
    end.extend_from_slice(&cd_size.to_le_bytes());
    end.extend_from_slice(&cd_offset.to_le_bytes());
    end.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
    end.extend_from_slice(&0u32.to_le_bytes());
    end.extend_from_slice(&zip64_eocd_offset.to_le_bytes());
    end.extend_from_slice(&1u32.to_le_bytes());
    let count16 = u16::try_from(count).unwrap_or(u16::MAX);
    let clamp32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    end.extend_from_slice(&EOCD_SIG.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&count16.to_le_bytes());
    end.extend_from_slice(&count16.to_le_bytes());
    end.extend_from_slice(&clamp32(cd_size).to_le_bytes());
    end.extend_from_slice(&clamp32(cd_offset).to_le_bytes());
    end.extend_from_slice(&(dir.comment.len() as u16).to_le_bytes());
    end.extend_from_slice(&dir.comment);
    output.write_all(&end)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn zip_with(records: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, data) in records {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn read_all(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (f.name().unwrap().into_owned(), data)
            })
            .collect()
    }

    #[test]
    fn appends_an_aligned_record_and_keeps_the_others_byte_for_byte() {
        let original = zip_with(&[("a/x", b"hello"), ("a/y", b"world")]);
        let mut out = Vec::new();
        append_record(&mut Cursor::new(&original), &mut out, "a/extra/sig.pb", b"payload").unwrap();
        let dir = find_directory(&mut Cursor::new(&original)).unwrap();
        assert_eq!(&out[..dir.offset as usize], &original[..dir.offset as usize], "records moved");
        let records = read_all(&out);
        assert_eq!(records.len(), 3);
        assert_eq!(records[2], ("a/extra/sig.pb".to_owned(), b"payload".to_vec()));
        let data_at = out.windows(7).position(|w| w == b"payload").unwrap();
        assert_eq!(data_at % 64, 0, "record data is 64-byte aligned");
    }

    #[test]
    fn replacing_a_record_hides_the_old_one() {
        let original = zip_with(&[("a/x", b"hello")]);
        let mut once = Vec::new();
        append_record(&mut Cursor::new(&original), &mut once, "a/s", b"first").unwrap();
        let mut twice = Vec::new();
        append_record(&mut Cursor::new(&once), &mut twice, "a/s", b"second").unwrap();
        let records = read_all(&twice);
        assert_eq!(records, [("a/x".to_owned(), b"hello".to_vec()), ("a/s".to_owned(), b"second".to_vec())]);
    }

    #[test]
    fn truncated_and_garbage_archives_are_errors() {
        let original = zip_with(&[("a/x", b"hello")]);
        for bytes in [&original[..original.len() - 5], &b"not a zip at all"[..], &[][..]] {
            let err = append_record(&mut Cursor::new(bytes), &mut Vec::new(), "a/s", b"x").unwrap_err();
            assert!(matches!(err, Error::Decode { .. } | Error::Io { .. }), "{err}");
        }
    }
}
