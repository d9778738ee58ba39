//! The typed one-pass readers of the map's hot paths: tensor metadata (a table of one per
//! graph value, or one per payload of a config) deserialized straight into the model, no
//! raw value re-parsed, no path formatted. Anything they do not accept (a malformed value)
//! makes the caller rerun the precise reader of `program.rs`, whose errors name the path:
//! the two read the same documents to the same values (tested).

use std::collections::HashSet;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::meta::{Device, Dtype, Hint, Layout, SymExpr, SymInt, TensorMeta};

/// A union member's value that torch 2.1/2.2 may write as `null` (a member not set).
fn set_once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A, slot: &mut Option<T>) -> Result<(), A::Error> {
    if let Some(v) = map.next_value::<Option<T>>()? {
        if slot.is_some() {
            return Err(de::Error::custom("a member set twice"));
        }
        *slot = Some(v);
    }
    Ok(())
}

struct HintJson(Hint);

impl<'de> Deserialize<'de> for HintJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HintJson;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a SymExprHint")
            }
            // torch 2.1 wrote the hint as a bare integer.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HintJson, E> {
                Ok(HintJson(Hint::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HintJson, E> {
                i64::try_from(v).map(|v| HintJson(Hint::Int(v))).map_err(|_| E::custom("past 64 bits"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HintJson, A::Error> {
                let (mut i, mut f, mut b) = (None, None, None);
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "as_int" => set_once(&mut map, &mut i)?,
                        "as_float" => set_once(&mut map, &mut f)?,
                        "as_bool" => set_once(&mut map, &mut b)?,
                        _ => return Err(de::Error::custom("unknown member")),
                    }
                }
                match (i, f, b) {
                    (Some(v), None, None) => Ok(HintJson(Hint::Int(v))),
                    (None, Some(v), None) => Ok(HintJson(Hint::Float(v))),
                    (None, None, Some(v)) => Ok(HintJson(Hint::Bool(v))),
                    _ => Err(de::Error::custom("not one member")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct SymExprJson {
    expr_str: String,
    #[serde(default)]
    hint: Option<HintJson>,
}

/// A SymInt: a bare integer (torch ≤ 2.4's storage offset) or the union.
struct SymIntJson(SymInt);

impl<'de> Deserialize<'de> for SymIntJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SymIntJson;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a SymInt")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SymIntJson, E> {
                Ok(SymIntJson(SymInt::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SymIntJson, E> {
                i64::try_from(v).map(|v| SymIntJson(SymInt::Int(v))).map_err(|_| E::custom("past 64 bits"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SymIntJson, A::Error> {
                let (mut int, mut expr) = (None, None::<SymExprJson>);
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "as_int" => set_once(&mut map, &mut int)?,
                        "as_expr" => set_once(&mut map, &mut expr)?,
                        _ => return Err(de::Error::custom("unknown member")),
                    }
                }
                match (int, expr) {
                    (Some(v), None) => Ok(SymIntJson(SymInt::Int(v))),
                    (None, Some(e)) => Ok(SymIntJson(SymInt::Expr(SymExpr::new(e.expr_str, e.hint.map(|h| h.0))))),
                    _ => Err(de::Error::custom("not one member")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct DeviceJson {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    index: Option<i64>,
}

/// A `TensorMeta`.
#[derive(Deserialize)]
pub(crate) struct TensorMetaJson {
    dtype: i64,
    sizes: Vec<SymIntJson>,
    #[serde(default)]
    requires_grad: bool,
    device: DeviceJson,
    strides: Vec<SymIntJson>,
    storage_offset: SymIntJson,
    layout: i64,
}

impl From<TensorMetaJson> for TensorMeta {
    fn from(m: TensorMetaJson) -> Self {
        TensorMeta {
            dtype: Dtype::from_schema(m.dtype),
            sizes: m.sizes.into_iter().map(|s| s.0).collect(),
            strides: m.strides.into_iter().map(|s| s.0).collect(),
            storage_offset: m.storage_offset.0,
            device: Device { kind: m.device.kind, index: m.device.index },
            layout: Layout::from_schema(m.layout),
            requires_grad: m.requires_grad,
        }
    }
}

/// The entries of a `tensor_values` object whose names are `wanted`, in one pass; `None`
/// when anything in it is not what torch writes (the precise reader then says what).
pub(crate) fn tensor_values(json: &str, wanted: &HashSet<&str>) -> Option<Vec<(String, TensorMeta)>> {
    struct Seed<'w>(&'w HashSet<&'w str>);
    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Vec<(String, TensorMeta)>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Vec<(String, TensorMeta)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("tensor_values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(self.0.len());
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if self.0.contains(key.as_ref()) {
                    out.push((key.into_owned(), map.next_value::<TensorMetaJson>()?.into()));
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let out = Seed(wanted).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(out)
}

/// One entry of a PT2 payload config.
#[derive(Deserialize)]
pub(crate) struct PayloadMetaJson {
    path_name: String,
    #[serde(default)]
    is_param: bool,
    #[serde(default)]
    use_pickle: bool,
    #[serde(default)]
    tensor_meta: Option<TensorMetaJson>,
}

/// A JSON object's entries in order, a key given twice kept twice (as the precise reader
/// keeps them).
struct Entries<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct ConfigJson {
    config: Entries<PayloadMetaJson>,
}

/// A whole PT2 payload config (`{"config": {name: PayloadMeta}}`) in one pass, in order;
/// `None` when anything in it is not what torch writes.
pub(crate) fn payload_config(json: &[u8]) -> Option<Vec<(String, PayloadMetaJson)>> {
    // The precise reader refuses a config that is not UTF-8 as a whole; serde_json checks
    // only the strings it reads.
    let json = std::str::from_utf8(json).ok()?;
    // A derived struct also reads from a JSON array (its fields in order); the precise
    // reader takes an object only.
    if !json.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{') {
        return None;
    }
    let c: ConfigJson = serde_json::from_str(json).ok()?;
    Some(c.config.0)
}

impl From<PayloadMetaJson> for super::payload::ConfigEntry {
    fn from(m: PayloadMetaJson) -> Self {
        Self {
            path_name: m.path_name,
            is_param: m.is_param,
            use_pickle: m.use_pickle,
            tensor_meta: m.tensor_meta.map(Into::into),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Found by fuzzing the map's readers against each other (fuzz/regressions/map_json/): a
    /// payload config that is not UTF-8 in a member the typed reader skips was read by it and
    /// refused by the precise reader, which checks the whole record.
    #[test]
    fn a_payload_config_that_is_not_utf8_is_refused_by_both_readers() {
        let config = b"{\"config\": {\"w\": {\"path_name\": \"weight_0\", \"note\": \"\xff\"}}}";
        assert!(super::payload_config(config).is_none());
        assert!(super::super::payload::precise_config(config, "c").is_err());
        let valid = b"{\"config\": {\"w\": {\"path_name\": \"weight_0\", \"note\": \"\xc3\xa9\"}}}";
        assert_eq!(super::payload_config(valid).map(|c| c.len()), Some(1));
        assert!(crate::differential::map_payload_config(config).is_ok());
    }

    /// Found by the long campaign (fuzz/regressions/map_json/config-as-array): serde's derived
    /// struct reads `[{}]` as a config whose `config` member is `{}`; the precise reader
    /// takes an object only.
    #[test]
    fn a_payload_config_that_is_an_array_is_refused_by_both_readers() {
        for config in [&b"[{}]"[..], b" \n[{}]", b"[{\"w\": {\"path_name\": \"weight_0\"}}]"] {
            assert!(super::payload_config(config).is_none());
            assert!(super::super::payload::precise_config(config, "c").is_err());
            assert!(crate::differential::map_payload_config(config).is_ok());
        }
        assert_eq!(super::payload_config(b" {\"config\": {}}").map(|c| c.len()), Some(0));
    }
}
