//! Strict typed conversion (hooks.md §9.4): any deserializer into `T` where an unknown member
//! is an error and every error carries a JSON-pointer path (`/process/envv: unknown key`). Used
//! for the user config, dylib responses and Lua results. Also the canonical serialisation.

use serde::de::{DeserializeOwned, Deserializer};
use serde_json::Value;

fn ignored_pointer(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}/{index}", ignored_pointer(parent)),
        Path::Map { parent, key } => format!("{}/{key}", ignored_pointer(parent)),
        Path::Some { parent } | Path::NewtypeStruct { parent } => ignored_pointer(parent),
        Path::NewtypeVariant { parent } => ignored_pointer(parent),
    }
}

fn error_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{key}")),
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => out.push_str("/?"),
        }
    }
    if out.is_empty() { "/".to_string() } else { out }
}

/// Deserialises `T` strictly; the error text is `POINTER: problem`.
pub fn from_deserializer<'de, D, T>(de: D) -> Result<T, String>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let mut unknown: Vec<String> = Vec::new();
    let mut record = |p: serde_ignored::Path<'_>| unknown.push(ignored_pointer(&p));
    let ignoring = serde_ignored::Deserializer::new(de, &mut record);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(ignoring);
    match parsed {
        Err(e) => {
            let at = error_pointer(e.path());
            let mut msg = e.into_inner().to_string();
            // serde_json appends " at line L column C"; the pointer says where already.
            if let Some(i) = msg.find(" at line ") {
                msg.truncate(i);
            }
            // mlua's deserializer prefixes its messages; the pointer already says what failed.
            if let Some(rest) = msg.strip_prefix("deserialize error: ") {
                msg = rest.to_string();
            }
            Err(format!("{at}: {msg}"))
        }
        Ok(_) if !unknown.is_empty() => Err(format!("{}: unknown key", unknown[0])),
        Ok(v) => Ok(v),
    }
}

/// Strict `T` from JSON bytes.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match checked_slice(bytes) {
        Ok((v, unknown)) if unknown.is_empty() => Ok(v),
        // The slow path only to word the error: it tracks the JSON pointer of every value.
        _ => tracked_slice(bytes),
    }
}

/// Lenient `T` from JSON bytes plus the pointers of the members `T` does not know, without
/// tracking paths (most of the cost of [`from_slice`] on its error path). Errors are
/// serde_json's own.
pub fn checked_slice<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<(T, Vec<String>), serde_json::Error> {
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_ignored::deserialize(&mut de, |p| unknown.push(ignored_pointer(&p)))?;
    de.end()?;
    Ok((v, unknown))
}

fn tracked_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = from_deserializer(&mut de)?;
    de.end().map_err(|e| format!("/: {e}"))?;
    Ok(v)
}

/// Strict `T` from a JSON value.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    from_deserializer(value)
}

/// Sorts object keys recursively, whatever serde_json's features.
pub fn sort_keys(mut value: Value) -> Value {
    value.sort_all_objects();
    value
}

/// A spec as a normalised value: sorted keys, and the capability arrays (a `HashSet` in
/// oci-spec, so in random order) sorted, so equal specs give equal values and bytes.
pub fn normalize<T: serde::Serialize>(value: &T) -> Value {
    let mut v = sort_keys(serde_json::to_value(value).expect("serialising plain data cannot fail"));
    if let Some(Value::Object(caps)) = v.pointer_mut("/process/capabilities") {
        for set in caps.values_mut() {
            if let Value::Array(items) = set {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
    }
    v
}

/// Canonical JSON: sorted keys, 2-space indent, final newline (hooks.md §2 step 5).
pub fn canonical<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let v = normalize(value);
    let mut out = serde_json::to_vec_pretty(&v).expect("a value serialises");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::Spec;

    #[test]
    fn unknown_member_names_its_pointer() {
        let e = from_slice::<Spec>(
            br#"{"ociVersion":"1.0.2","process":{"cwd":"/","user":{"uid":0,"gid":0},"envv":[]}}"#,
        )
        .unwrap_err();
        assert_eq!(e, "/process/envv: unknown key");
    }

    #[test]
    fn wrong_type_names_its_pointer() {
        let e = from_slice::<Spec>(br#"{"ociVersion":"1.0.2","process":{"cwd":"/","user":{"uid":0,"gid":0},"terminal":"yes"}}"#)
            .unwrap_err();
        assert!(
            e.starts_with("/process/terminal: invalid type: string \"yes\", expected a boolean"),
            "{e}"
        );
    }

    #[test]
    fn checked_slice_lists_unknown_members_and_from_slice_names_the_first() {
        let text = br#"{"ociVersion":"1.0.2","x":1,"process":{"cwd":"/","user":{"uid":0,"gid":0},"envv":[]}}"#;
        let (spec, unknown) = checked_slice::<Spec>(text).unwrap();
        assert_eq!(spec.version(), "1.0.2");
        assert_eq!(unknown, ["/x", "/process/envv"]);
        assert_eq!(from_slice::<Spec>(text).unwrap_err(), "/x: unknown key");
        let (_, none) = checked_slice::<Spec>(br#"{"ociVersion":"1.0.2"}"#).unwrap();
        assert!(none.is_empty());
        assert!(checked_slice::<Spec>(br#"{"ociVersion":"1.0.2"} trailing"#).is_err());
    }

    #[test]
    fn canonical_sorts_keys() {
        let v = serde_json::json!({"b": 1, "a": {"d": 2, "c": [ {"z": 1, "y": 2} ]}});
        let text = String::from_utf8(canonical(&v)).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": {\n    \"c\": [\n      {\n        \"y\": 2,\n        \"z\": 1\n      }\n    ],\n    \"d\": 2\n  },\n  \"b\": 1\n}\n"
        );
    }
}
