//! The payload index: where the bytes of every lifted tensor and object of a program are in
//! the archive file, and the view (dtype, shape, strides, storage offset) over them. Built
//! from the PT2 payload configs (torch 2.9+) or the `torch.save` pickles stored in the
//! archive (torch 2.1 to 2.8), never reading a payload. See `docs/map.md`.

use std::collections::HashMap;
use std::io::{Read, Seek};

use serde::Serialize;
use serde_json::value::RawValue;

use super::meta::{Dtype, SymInt, TensorMeta};
use crate::archive::pt2::{Archive, Layout};
use crate::codec::FieldPath;
use crate::json_util::raw_members;
use crate::Error;

const FORMAT: &str = "pt2";
/// The largest payload config or `data.pkl` read.
pub const MAX_CONFIG_RECORD: u64 = 256 << 20;
/// The most entries a payload config may list.
const MAX_CONFIG_ENTRIES: usize = 10_000_000;

/// Which table of the program a payload belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadTable {
    /// The state dict: parameters and persistent buffers.
    Weights,
    /// The constants: lifted tensor constants, non-persistent buffers, custom objects.
    Constants,
}

/// The bytes of one storage: a record of the archive, or a record of a `torch.save` zip
/// stored in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Storage {
    /// The archive's record (`model/data/weights/weight_0`, `serialized_state_dict.pt`).
    pub record: String,
    /// The record inside a nested `torch.save` zip (`archive/data/0`), if any.
    pub member: Option<String>,
    /// The absolute byte offset of the storage's bytes in the archive file.
    pub offset: u64,
    /// Their length.
    pub length: u64,
    /// Whether they are stored as they are (a runtime can map them), not compressed.
    pub stored: bool,
}

/// How a tensor payload is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// The storage's raw bytes, little-endian, as torch keeps them in memory.
    Raw,
    /// A `torch.save` pickle of a tensor subclass (the PT2 config's `use_pickle`): the bytes
    /// are not the tensor's; loading needs the subclass.
    Pickle,
}

/// One lifted tensor: the view over its storage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorPayload {
    /// Its name in the state dict or constants (the target of its spec).
    pub name: String,
    /// Which table.
    pub table: PayloadTable,
    /// Whether it is a parameter.
    pub is_param: bool,
    /// Index of its storage in [`PayloadIndex::storages`]; tensors with the same index
    /// share one storage (tied weights, views).
    pub storage: usize,
    /// How the storage's bytes are encoded.
    pub encoding: Encoding,
    /// Element type.
    pub dtype: Dtype,
    /// Sizes.
    pub shape: Vec<i64>,
    /// Strides, in elements.
    pub strides: Vec<i64>,
    /// Offset into the storage, in elements.
    pub storage_offset: i64,
    /// Whether it requires grad.
    pub requires_grad: bool,
}

impl TensorPayload {
    /// The byte range of the storage the view reaches: from its first element to one past
    /// its last (empty for a tensor of no elements); `None` on overflow or an unknown
    /// dtype.
    pub fn byte_extent(&self) -> Option<(u64, u64)> {
        let size = self.dtype.element_size()?;
        if self.shape.contains(&0) {
            return Some((0, 0));
        }
        let mut last: i64 = self.storage_offset;
        let mut first: i64 = self.storage_offset;
        for (&n, &s) in self.shape.iter().zip(&self.strides) {
            let span = (n.checked_sub(1)?).checked_mul(s)?;
            if span >= 0 {
                last = last.checked_add(span)?;
            } else {
                first = first.checked_add(span)?;
            }
        }
        let first = u64::try_from(first).ok()?;
        let end = u64::try_from(last).ok()?.checked_add(1)?;
        Some((first.checked_mul(size)?, end.checked_mul(size)?))
    }
}

/// How an object payload is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectEncoding {
    /// A TorchScript object (`torch._C._pickle_save`): needs its class's library to load.
    TorchScript,
    /// A Python pickle of an opaque object (torch 2.13+): needs its class to load.
    Pickle,
    /// Inside a `torch.save` pickle of the constants (torch ≤ 2.8).
    InConstantsPickle,
}

/// One lifted custom or opaque object: named, never unpickled.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ObjectPayload {
    /// Its name in the constants (the target of its spec).
    pub name: String,
    /// Its bytes.
    pub storage: Storage,
    /// How they are encoded.
    pub encoding: ObjectEncoding,
}

/// Every payload of one program.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PayloadIndex {
    /// The storages, each once.
    pub storages: Vec<Storage>,
    /// The tensors, in the order their tables list them.
    pub tensors: Vec<TensorPayload>,
    /// The objects.
    pub objects: Vec<ObjectPayload>,
    /// Tensor name → index in `tensors`; object name → index in `objects`.
    #[serde(skip)]
    by_name: HashMap<String, usize>,
    #[serde(skip)]
    objects_by_name: HashMap<String, usize>,
    /// A storage's absolute offset → its index in `storages` (records never overlap, so
    /// the offset names the storage).
    #[serde(skip)]
    storage_ids: HashMap<u64, usize>,
}

impl PayloadIndex {
    /// The tensor named `name`, if any.
    pub fn tensor(&self, name: &str) -> Option<&TensorPayload> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// The object named `name`, if any.
    pub fn object(&self, name: &str) -> Option<&ObjectPayload> {
        self.objects_by_name.get(name).map(|&i| &self.objects[i])
    }

    fn push_tensor(&mut self, t: TensorPayload) {
        // A name given twice keeps its last payload, as a dict does.
        self.by_name.insert(t.name.clone(), self.tensors.len());
        self.tensors.push(t);
    }

    fn push_object(&mut self, o: ObjectPayload) {
        self.objects_by_name.insert(o.name.clone(), self.objects.len());
        self.objects.push(o);
    }

    /// The storage of a tensor.
    pub fn storage_of(&self, tensor: &TensorPayload) -> &Storage {
        &self.storages[tensor.storage]
    }

    fn add_storage(&mut self, storage: Storage) -> usize {
        *self.storage_ids.entry(storage.offset).or_insert_with(|| {
            self.storages.push(storage);
            self.storages.len() - 1
        })
    }

    /// Builds the index of program `model` of an archive.
    pub fn build<R: Read + Seek>(archive: &mut Archive<R>, model: &str) -> Result<PayloadIndex, Error> {
        let mut index = PayloadIndex::default();
        match archive.layout().clone() {
            Layout::Pt2Archive { root } => {
                let weights_config = format!("{root}/data/weights/{model}_weights_config.json");
                if archive.has_record(&weights_config) {
                    index.add_config(archive, &root, &weights_config, PayloadTable::Weights)?;
                    let constants_config = format!("{root}/data/constants/{model}_constants_config.json");
                    if archive.has_record(&constants_config) {
                        index.add_config(archive, &root, &constants_config, PayloadTable::Constants)?;
                    }
                } else {
                    // torch 2.8: torch.save archives of the weights and constants.
                    for (record, table) in [
                        (format!("{root}/data/weights/{model}.pt"), PayloadTable::Weights),
                        (format!("{root}/data/constants/{model}.pt"), PayloadTable::Constants),
                    ] {
                        if archive.has_record(&record) {
                            index.add_torch_save(archive, &record, table)?;
                        }
                    }
                }
            }
            Layout::LegacyZip => {
                for (records, table) in [
                    (["serialized_state_dict.pt", "serialized_state_dict.json"], PayloadTable::Weights),
                    (["serialized_constants.pt", "serialized_constants.json"], PayloadTable::Constants),
                ] {
                    if let Some(record) = records.iter().find(|r| archive.has_record(r)) {
                        index.add_torch_save(archive, record, table)?;
                    }
                }
            }
        }
        index.check_views()?;
        Ok(index)
    }

    /// Refuses a view that reaches past its storage's bytes: the index never points a
    /// runtime outside a record.
    fn check_views(&self) -> Result<(), Error> {
        for t in self.tensors.iter().filter(|t| t.encoding == Encoding::Raw) {
            let s = &self.storages[t.storage];
            let fits = t.byte_extent().is_some_and(|(_, end)| end <= s.length);
            if !fits {
                let record = match &s.member {
                    Some(m) => format!("{}: {m}", s.record),
                    None => s.record.clone(),
                };
                return Err(Error::decode(
                    FORMAT,
                    record,
                    format!(
                        "the view of {:?} ({} {:?}, strides {:?}, offset {}) reaches past the record's {} bytes",
                        t.name, t.dtype, t.shape, t.strides, t.storage_offset, s.length
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A PT2 payload config: `{"config": {name: {path_name, is_param, use_pickle,
    /// tensor_meta}}}`, each `path_name` a record beside the config.
    fn add_config<R: Read + Seek>(
        &mut self,
        archive: &mut Archive<R>,
        root: &str,
        config: &str,
        table: PayloadTable,
    ) -> Result<(), Error> {
        let bytes = archive.record(config, MAX_CONFIG_RECORD)?;
        // The typed one-pass reader; the precise one names what is wrong when it refuses.
        let entries = match super::fast::payload_config(&bytes) {
            Some(entries) => entries.into_iter().map(|(name, meta)| (name, meta.into())).collect(),
            None => precise_config(&bytes, config)?,
        };
        if entries.len() > MAX_CONFIG_ENTRIES {
            let what = format!("the entries of {config}");
            return Err(Error::Limit { what, size: entries.len() as u64, limit: MAX_CONFIG_ENTRIES as u64 });
        }
        let dir = match table {
            PayloadTable::Weights => "data/weights",
            PayloadTable::Constants => "data/constants",
        };
        for (name, entry) in entries {
            self.add_entry(archive, &format!("{root}/{dir}/"), config, name, entry, table)?;
        }
        Ok(())
    }

    /// One entry of a payload config: its record located, its view checked concrete.
    fn add_entry<R: Read + Seek>(
        &mut self,
        archive: &mut Archive<R>,
        dir: &str,
        config: &str,
        name: String,
        entry: ConfigEntry,
        table: PayloadTable,
    ) -> Result<(), Error> {
        // Where an error is: formatted only when there is one.
        let at = || format!("{config}: config.{name}");
        if entry.path_name.contains('/') || entry.path_name.is_empty() {
            return Err(Error::decode(FORMAT, at(), format!("path_name {:?} is not a record name", entry.path_name)));
        }
        let record = format!("{dir}{}", entry.path_name);
        let Some(loc) = archive.try_locate(&record)? else {
            return Err(Error::decode(
                FORMAT,
                at(),
                format!("names the record {record}, which the archive does not hold"),
            ));
        };
        let storage = Storage { record, member: None, offset: loc.offset, length: loc.length, stored: loc.stored };
        match entry.tensor_meta {
            Some(tm) => {
                let storage = self.add_storage(storage);
                let encoding = if entry.use_pickle { Encoding::Pickle } else { Encoding::Raw };
                let payload = concrete(name.clone(), table, entry.is_param, storage, encoding, &tm)
                    .map_err(|reason| Error::decode(FORMAT, at(), reason))?;
                self.push_tensor(payload);
            }
            None => {
                let encoding = if entry.path_name.starts_with("opaque_obj_") {
                    ObjectEncoding::Pickle
                } else {
                    ObjectEncoding::TorchScript
                };
                self.push_object(ObjectPayload { name, storage, encoding });
            }
        }
        Ok(())
    }

    /// A `torch.save` zip stored as `record`: its `data.pkl` read by the pickle reader (an
    /// allow-list, nothing executed), each storage key `N` the nested record
    /// `<root>/data/N`.
    fn add_torch_save<R: Read + Seek>(
        &mut self,
        archive: &mut Archive<R>,
        record: &str,
        table: PayloadTable,
    ) -> Result<(), Error> {
        if archive.locate(record)?.length == 0 {
            return Ok(()); // torch writes an empty record when there is nothing to save
        }
        let (mut zip, outer) = archive.nested(record)?;
        let pickle_name = zip
            .entries
            .iter()
            .map(|e| e.name.clone())
            .find(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
            .ok_or_else(|| Error::decode(FORMAT, record, "a torch.save zip without data.pkl"))?;
        let root = &pickle_name[..pickle_name.len() - "data.pkl".len()];
        let pkl = zip.read(&pickle_name, MAX_CONFIG_RECORD)?;
        let at = format!("{record}: {pickle_name}");
        let loaded = super::pickle::read_state_dict(&pkl, &at)?;
        for (name, tensor) in loaded.tensors() {
            let member = format!("{root}data/{}", tensor.storage.key);
            let loc = zip.locate(&member).map_err(|_| {
                Error::decode(
                    FORMAT,
                    &at,
                    format!("tensor {name:?} names storage {:?}, which the zip does not hold", tensor.storage.key),
                )
            })?;
            if tensor.storage.nbytes() != Some(loc.length) {
                return Err(Error::decode(
                    FORMAT,
                    format!("{record}: {member}"),
                    format!(
                        "the pickle says storage {:?} holds {} {} elements, the record has {} bytes",
                        tensor.storage.key,
                        tensor.storage.numel,
                        tensor.storage.dtype.name(),
                        loc.length
                    ),
                ));
            }
            let storage = self.add_storage(Storage {
                record: record.to_owned(),
                member: Some(member),
                offset: loc.offset + outer,
                length: loc.length,
                stored: loc.stored,
            });
            let dtype = Dtype::from_torch_name(tensor.dtype.name()).unwrap_or(Dtype::Unknown(0));
            let signed = |v: u64, what: &str| {
                i64::try_from(v).map_err(|_| {
                    Error::decode(FORMAT, &at, format!("tensor {name:?}: {what} {v} is past 64-bit range"))
                })
            };
            let list = |v: &[u64], what: &str| v.iter().map(|&x| signed(x, what)).collect::<Result<Vec<_>, _>>();
            self.push_tensor(TensorPayload {
                name: name.to_owned(),
                table,
                is_param: tensor.is_parameter,
                storage,
                encoding: Encoding::Raw,
                dtype,
                shape: list(&tensor.size, "a size")?,
                strides: list(&tensor.stride, "a stride")?,
                storage_offset: signed(tensor.storage_offset, "the storage offset")?,
                requires_grad: tensor.requires_grad,
            });
        }
        Ok(())
    }
}

/// One entry of a payload config, parsed.
#[derive(Debug, PartialEq)]
pub(crate) struct ConfigEntry {
    pub(crate) path_name: String,
    pub(crate) is_param: bool,
    pub(crate) use_pickle: bool,
    pub(crate) tensor_meta: Option<TensorMeta>,
}

/// A payload config read entry by entry, every error with its path.
pub(crate) fn precise_config(bytes: &[u8], config: &str) -> Result<Vec<(String, ConfigEntry)>, Error> {
    #[derive(serde::Deserialize)]
    struct Meta<'a> {
        path_name: String,
        #[serde(default)]
        is_param: bool,
        #[serde(default)]
        use_pickle: bool,
        #[serde(default, borrow)]
        tensor_meta: Option<&'a RawValue>,
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Error::decode(FORMAT, config, "not UTF-8"))?;
    let top = raw_members(text, 8).map_err(|e| Error::decode(FORMAT, config, e.to_string()))?;
    let Some((_, entries)) = top.into_iter().find(|(k, _)| k == "config") else {
        return Err(Error::decode(FORMAT, config, "no \"config\" member"));
    };
    let members =
        raw_members(entries.get(), MAX_CONFIG_ENTRIES).map_err(|e| Error::decode(FORMAT, config, e.to_string()))?;
    members
        .into_iter()
        .map(|(name, raw)| {
            let at = format!("{config}: config.{name}");
            let meta: Meta<'_> =
                serde_json::from_str(raw.get()).map_err(|e| Error::decode(FORMAT, &at, e.to_string()))?;
            let tensor_meta = match meta.tensor_meta.filter(|m| m.get() != "null") {
                Some(raw_meta) => Some(
                    super::program::tensor_meta(raw_meta, FieldPath::Root)
                        .map_err(|e| prefix(e, &format!("{at}.tensor_meta")))?,
                ),
                None => None,
            };
            Ok((
                name,
                ConfigEntry {
                    path_name: meta.path_name,
                    is_param: meta.is_param,
                    use_pickle: meta.use_pickle,
                    tensor_meta,
                },
            ))
        })
        .collect()
}

/// A payload's view, which must be concrete (a weight has no symbolic size); the reason
/// when it is not.
fn concrete(
    name: String,
    table: PayloadTable,
    is_param: bool,
    storage: usize,
    encoding: Encoding,
    tm: &TensorMeta,
) -> Result<TensorPayload, String> {
    let ints = |v: &[SymInt], what: &str| -> Result<Vec<i64>, String> {
        v.iter().map(|s| s.as_int().ok_or_else(|| format!("a symbolic {what} in a payload"))).collect()
    };
    Ok(TensorPayload {
        name,
        table,
        is_param,
        storage,
        encoding,
        dtype: tm.dtype,
        shape: ints(&tm.sizes, "size")?,
        strides: ints(&tm.strides, "stride")?,
        storage_offset: tm.storage_offset.as_int().ok_or("a symbolic storage offset in a payload")?,
        requires_grad: tm.requires_grad,
    })
}

/// Puts `at` before the path of a decode error.
fn prefix(e: Error, at: &str) -> Error {
    match e {
        Error::Decode { format, path, reason } if path.is_empty() => {
            Error::Decode { format, path: at.to_owned(), reason }
        }
        Error::Decode { format, path, reason } => Error::Decode { format, path: format!("{at}.{path}"), reason },
        other => other,
    }
}
