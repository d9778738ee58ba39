//! The archive map: what every graph input and output of a `.pt2` binds to (design note:
//! `docs/map.md`). Built from the program JSON, the payload configs and the `torch.save`
//! pickles of the archive, without executing a pickle and without reading a weight.
//!
//! ```
//! use graph_signature::map::{ArchiveMap, Profile, Source};
//! let map = ArchiveMap::open("examples/tinynet.pt2", None)?;
//! // Graph input 0 is the parameter proj.weight: 128 bytes at byte 64 of the file, which
//! // a runtime can map as a float32 [4, 8] tensor ...
//! let Source::Payload { target, .. } = &map.plan.inputs[0].source else { panic!() };
//! let weight = map.payloads.tensor(target).unwrap();
//! let storage = map.payloads.storage_of(weight);
//! assert_eq!((weight.dtype.to_string(), weight.shape.clone()), ("torch.float32".to_owned(), vec![4, 8]));
//! assert_eq!((storage.offset, storage.length, storage.stored), (64, 128, true));
//! // ... and the caller supplies input 6 as args[0].
//! assert_eq!(map.plan.inputs[6].source, Source::Caller { path: Some("args[0]".into()) });
//! assert!(map.check(Profile::Default).is_empty());
//! # Ok::<(), graph_signature::Error>(())
//! ```

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use serde::Serialize;

use crate::archive::pt2::{Archive, Layout};
use crate::codec::torch_json::TorchSchemaVersion;
use crate::{Error, ExportGraphSignature};

pub mod check;
pub(crate) mod fast;
pub mod payload;
pub mod pickle;
pub mod plan;
pub mod program;
pub mod pytree;

pub use crate::model::meta;
pub use check::{Finding, Profile, Severity};
pub use meta::{
    Device, Dtype, Hint, RangeConstraint, SignatureMeta, SymExpr, SymInt, SymScalar, TensorMeta, ValueMeta,
};
pub use payload::{Encoding, ObjectEncoding, ObjectPayload, PayloadIndex, PayloadTable, Storage, TensorPayload};
pub use plan::{BindingPlan, Destination, InputBinding, OutputBinding, Source};
pub use program::Program;

/// A binding with its value's metadata, as the JSON shows them.
#[derive(Serialize)]
struct WithMeta<'a, B> {
    #[serde(flatten)]
    binding: &'a B,
    meta: &'a Option<ValueMeta>,
}

/// The map of one program of an archive.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchiveMap {
    /// The program's name.
    pub model: String,
    /// The archive's layout.
    pub layout: Layout,
    /// The program's schema version.
    pub schema_version: Option<TorchSchemaVersion>,
    /// The signature.
    pub signature: ExportGraphSignature,
    /// What the program JSON says beyond the signature (`None` when there is none); its
    /// `values` are moved into `inputs_meta` and `outputs_meta`.
    pub program: Option<Program>,
    /// The metadata of each input spec's value, in order.
    pub inputs_meta: Vec<Option<ValueMeta>>,
    /// The metadata of each output spec's value, in order.
    pub outputs_meta: Vec<Option<ValueMeta>>,
    /// Where every lifted tensor's and object's bytes are.
    pub payloads: PayloadIndex,
    /// Where each input comes from and each output goes.
    pub plan: BindingPlan,
}

impl ArchiveMap {
    /// The map of program `model` (`None`: the only one) of the archive at `path`.
    pub fn open(path: impl AsRef<Path>, model: Option<&str>) -> Result<ArchiveMap, Error> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        // Unbuffered: the archive is read in large reads, and the record headers the payload
        // index locates are 30 bytes each; a buffer would be refilled for every one.
        let mut archive = Archive::new(file).map_err(|e| e.with_path(path))?;
        let name = archive.select_model(model)?.to_owned();
        Self::build(&mut archive, &name).map_err(|e| e.with_path(path))
    }

    /// The map of program `model` of an archive.
    pub fn build<R: Read + Seek>(archive: &mut Archive<R>, model: &str) -> Result<ArchiveMap, Error> {
        let (read, bytes) = archive.read_model_with_json(model)?;
        let record = &read.record;
        let mut program = program::read(&bytes).map_err(|e| match e {
            Error::Decode { format, path, reason } => {
                Error::Decode { format, path: format!("{record}: {path}"), reason }
            }
            other => other,
        })?;
        drop(bytes);
        let payloads = PayloadIndex::build(archive, model)?;
        let sig = read.signature;
        let plan = plan::plan(&sig, Some(&program), Some(&payloads));
        let mut values = std::mem::take(&mut program.values);
        let (inputs_meta, outputs_meta) = plan::metas(&sig, &mut values);
        Ok(ArchiveMap {
            model: model.to_owned(),
            layout: read.layout,
            schema_version: read.schema_version,
            signature: sig,
            program: Some(program),
            inputs_meta,
            outputs_meta,
            payloads,
            plan,
        })
    }

    /// The metadata of the signature's values, as our formats carry it (schema 1.1).
    pub fn signature_meta(&self) -> SignatureMeta {
        SignatureMeta {
            inputs: self.inputs_meta.clone(),
            outputs: self.outputs_meta.clone(),
            range_constraints: self.program.as_ref().map(|p| p.range_constraints.clone()).unwrap_or_default(),
        }
    }

    /// The consistency checks (`docs/map.md`), every finding.
    pub fn check(&self, profile: Profile) -> Vec<Finding> {
        check::check(self, profile)
    }

    /// The map as the JSON `graphsig map --json` prints (contract in `docs/cli.md`).
    pub fn to_json(&self, profile: Profile) -> serde_json::Value {
        serde_json::to_value(self.json_view(profile)).expect("the map serializes")
    }

    /// Writes the JSON of [`to_json`](Self::to_json), pretty-printed, without building a
    /// value tree first.
    pub fn write_json<W: std::io::Write>(&self, profile: Profile, writer: W) -> Result<(), Error> {
        serde_json::to_writer_pretty(writer, &self.json_view(profile)).map_err(|e| Error::from(std::io::Error::from(e)))
    }

    fn json_view(&self, profile: Profile) -> impl Serialize + '_ {
        #[derive(Serialize)]
        struct Json<'a> {
            map_version: u32,
            model: &'a str,
            layout: &'static str,
            torch_schema_version: Option<String>,
            torch_version: Option<&'a str>,
            inputs: Vec<WithMeta<'a, InputBinding>>,
            outputs: Vec<WithMeta<'a, OutputBinding>>,
            notes: &'a [String],
            range_constraints: &'a [RangeConstraint],
            storages: &'a [Storage],
            tensors: &'a [TensorPayload],
            objects: &'a [ObjectPayload],
            checks: Vec<Finding>,
        }
        let json = Json {
            map_version: 1,
            model: &self.model,
            layout: match self.layout {
                Layout::LegacyZip => "legacy-zip",
                Layout::Pt2Archive { .. } => "pt2-archive",
            },
            torch_schema_version: self.schema_version.map(|v| v.to_string()),
            torch_version: self.program.as_ref().and_then(|p| p.torch_version.as_deref()),
            inputs: self
                .plan
                .inputs
                .iter()
                .zip(&self.inputs_meta)
                .map(|(binding, meta)| WithMeta { binding, meta })
                .collect(),
            outputs: self
                .plan
                .outputs
                .iter()
                .zip(&self.outputs_meta)
                .map(|(binding, meta)| WithMeta { binding, meta })
                .collect(),
            notes: &self.plan.notes,
            range_constraints: self.program.as_ref().map_or(&[], |p| &p.range_constraints),
            storages: &self.payloads.storages,
            tensors: &self.payloads.tensors,
            objects: &self.payloads.objects,
            checks: self.check(profile),
        };
        json
    }
}
