//! Not part of the API (hidden from the docs, no stability promise): each fast reader of the
//! crate run beside the precise reader it stands in for, on the same bytes, for the
//! differential fuzz targets of `fuzz/` and their corpus replay in `tests/fuzz_corpora.rs`.
//!
//! Three readers have a typed one-pass fast path that gives way to a precise reader when it
//! meets anything unusual: torch's JSON (`codec::torch_json`, in two tiers: a byte scanner,
//! then a typed serde pass), protobuf (the hand-written wire reader beside prost) and the
//! archive map's tensor metadata and payload configs.
//! A fast path decides nothing on its own, so the contract checked here is: **whenever the
//! fast path answers, the precise reader gives the same answer** (both accept with equal
//! models, or both refuse); when the fast path gives way, the precise reader's answer is the
//! reader's. An [`Err`] describes an input on which they differ: a bug in one of them.
//!
//! ```
//! use graph_signature::differential::{self, Outcome};
//! let json = br#"{"input_specs": [{"user_input": {"arg": {"as_tensor": {"name": "x"}}}}], "output_specs": []}"#;
//! assert_eq!(differential::torch_json(json), Ok(Outcome::BothAccepted));
//! assert_eq!(differential::torch_json(b"{"), Ok(Outcome::BothRefused));
//! ```

use std::fmt::Debug;

use crate::codec::{proto, torch_json};
use crate::map::{fast, payload, program};

/// How a fast reader and its precise reader answered the same bytes, when they agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Both read the bytes, to equal models.
    BothAccepted,
    /// Both refused the bytes (or the fast path gave way and the precise reader refused).
    BothRefused,
    /// The fast path gave way (as it does for anything unusual) and the precise reader read
    /// the bytes.
    FastGaveWay,
}

fn compare<T: PartialEq + Debug, E: Debug, F: Debug>(
    what: &str,
    fast: Option<Result<T, E>>,
    precise: Result<T, F>,
) -> Result<Outcome, String> {
    match (fast, precise) {
        (None, Ok(_)) => Ok(Outcome::FastGaveWay),
        (None, Err(_)) => Ok(Outcome::BothRefused),
        (Some(Ok(a)), Ok(b)) if a == b => Ok(Outcome::BothAccepted),
        (Some(Err(_)), Err(_)) => Ok(Outcome::BothRefused),
        (Some(Ok(a)), Ok(b)) => Err(format!("{what}: the fast path read {a:?}, the precise reader {b:?}")),
        (Some(Ok(a)), Err(e)) => Err(format!("{what}: the fast path read {a:?}, the precise reader refused: {e:?}")),
        (Some(Err(e)), Ok(b)) => Err(format!("{what}: the fast path refused ({e:?}), the precise reader read {b:?}")),
    }
}

/// torch's JSON: the fast tiers against the full `Value`-based reader (every quirk). Each
/// fast tier is checked on its own: the byte scanner, the typed serde pass, and the two
/// chained as [`torch_json::decode`] chains them; the answer is the chain's.
pub fn torch_json(bytes: &[u8]) -> Result<Outcome, String> {
    torch_json_tiers(bytes).map(|tiers| tiers.chain)
}

/// How each tier of the torch-JSON reader answered against the full reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TorchJsonTiers {
    /// The byte scanner (`FastGaveWay` too when the bytes are not UTF-8: it reads text).
    pub scanner: Outcome,
    /// The typed serde pass (likewise).
    pub typed: Outcome,
    /// The two chained, as `torch_json::decode` runs them.
    pub chain: Outcome,
}

/// [`torch_json`], with each tier's outcome.
pub fn torch_json_tiers(bytes: &[u8]) -> Result<TorchJsonTiers, String> {
    let full = torch_json::decode_full(bytes);
    let (scanner, typed) = match std::str::from_utf8(bytes) {
        Ok(text) => {
            let scanned = torch_json::scan::decode(text);
            let scanner = compare("torch-json byte scanner", scanned.as_ref().map(Ok::<_, ()>), full.as_ref())?;
            let typed = torch_json::fast::decode_typed(text);
            (scanner, compare("torch-json typed pass", typed.as_ref().map(Ok::<_, ()>), full.as_ref())?)
        }
        Err(_) => {
            let gave_way = if full.is_ok() { Outcome::FastGaveWay } else { Outcome::BothRefused };
            (gave_way, gave_way)
        }
    };
    let fast = torch_json::fast::decode(bytes).map(Ok::<_, ()>);
    let chain = compare("torch-json", fast, full)?;
    Ok(TorchJsonTiers { scanner, typed, chain })
}

/// Protobuf: the hand-written wire reader against prost, for the signature alone
/// ([`proto::decode`]) and for the document with its metadata ([`proto::decode_document`]).
/// Both paths run after the same counts on the wire; bytes those refuse are refused by both.
pub fn proto(bytes: &[u8]) -> Result<Outcome, String> {
    if proto::check_counts(bytes).is_err() {
        return Ok(Outcome::BothRefused);
    }
    compare("proto document", proto::fast_document(bytes), proto::decode_with_prost(bytes))?;
    compare("proto signature", proto::fast_signature(bytes), proto::prost_signature(bytes))
}

/// The archive map's program reader with the typed one-pass reader of `tensor_values`
/// against the same reader without it (the precise reader of every value).
pub fn map_program(bytes: &[u8]) -> Result<Outcome, String> {
    let with_fast = program::read(bytes);
    let precise = program::read_precise(bytes);
    match (&with_fast, &precise) {
        (Ok(a), Ok(b)) if a == b => Ok(Outcome::BothAccepted),
        (Err(_), Err(_)) => Ok(Outcome::BothRefused),
        _ => Err(format!("map program: with the fast path {with_fast:?}, precise {precise:?}")),
    }
}

/// A PT2 payload config (`data/weights/<model>_model_weights_config.json` and the like):
/// the typed one-pass reader against the precise reader of each entry.
pub fn map_payload_config(bytes: &[u8]) -> Result<Outcome, String> {
    let fast = fast::payload_config(bytes)
        .map(|entries| Ok::<_, ()>(entries.into_iter().map(|(n, m)| (n, payload::ConfigEntry::from(m))).collect()));
    compare("payload config", fast, payload::precise_config(bytes, "config"))
}
