//! Reading JSON objects without building a value tree: each member's value borrowed as raw
//! JSON, for readers that pick a few members out of large documents.

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of the JSON object `json`, in order, each value borrowed as raw JSON; at
/// most `max` of them.
pub(crate) fn raw_members(json: &str, max: usize) -> Result<Vec<(String, &RawValue)>, serde_json::Error> {
    struct Members(usize);
    impl<'de> Visitor<'de> for Members {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                if out.len() == self.0 {
                    return Err(serde::de::Error::custom(format!("more than {} members", self.0)));
                }
                out.push((key, value));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let found = de.deserialize_map(Members(max))?;
    de.end()?;
    Ok(found)
}
