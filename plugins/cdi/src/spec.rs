//! CDI spec files (hooks.md §13.1): the typed file format, decoding from JSON or YAML, and the
//! validation rules (required fields, name rules, features newer than the declared version).

use crate::name;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const VERSIONS: [&str; 10] = [
    "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "1.0.0", "1.1.0",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CdiSpec {
    pub cdi_version: String,
    pub kind: String,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub devices: Vec<Device>,
    #[serde(default)]
    pub container_edits: Option<Edits>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Device {
    pub name: String,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub container_edits: Edits,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Edits {
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub device_nodes: Vec<DeviceNode>,
    #[serde(default)]
    pub hooks: Vec<CdiHook>,
    #[serde(default)]
    pub mounts: Vec<CdiMount>,
    #[serde(default)]
    pub intel_rdt: Option<Value>,
    #[serde(default)]
    pub additional_gids: Vec<u32>,
    #[serde(default)]
    pub net_devices: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeviceNode {
    pub path: String,
    pub host_path: Option<String>,
    #[serde(rename = "type")]
    pub typ: Option<String>,
    pub major: Option<i64>,
    pub minor: Option<i64>,
    pub file_mode: Option<u32>,
    pub permissions: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CdiMount {
    pub host_path: String,
    pub container_path: String,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(rename = "type")]
    pub typ: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CdiHook {
    pub hook_name: String,
    pub path: String,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    pub timeout: Option<i64>,
}

/// OCI hook stages a CDI hook may name.
pub const STAGES: [&str; 6] = [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

fn version_index(v: &str) -> Option<usize> {
    VERSIONS.iter().position(|x| *x == v)
}

/// Decodes a file by its extension.
pub fn decode(file: &str, text: &str) -> Result<CdiSpec, String> {
    if file.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())
    }
}

fn edits_features(e: &Edits, out: &mut Vec<(&'static str, &'static str)>) {
    if e.mounts.iter().any(|m| m.typ.is_some()) {
        out.push(("mount type", "0.4.0"));
    }
    if e.device_nodes.iter().any(|d| d.host_path.is_some()) {
        out.push(("deviceNodes hostPath", "0.5.0"));
    }
    if !e.additional_gids.is_empty() {
        out.push(("additionalGids", "0.7.0"));
    }
}

/// Validates a decoded spec; the error says what is wrong (the caller names the file).
pub fn validate(s: &CdiSpec) -> Result<(), String> {
    let declared = version_index(&s.cdi_version)
        .ok_or_else(|| format!("unsupported cdiVersion \"{}\"", s.cdi_version))?;
    let (vendor, class) = name::parse_kind(&s.kind)
        .ok_or_else(|| format!("invalid kind \"{}\" (want vendor/class)", s.kind))?;
    let _ = vendor;
    let mut features: Vec<(&str, &str)> = Vec::new();
    if class.contains('.') {
        features.push(("a '.' in the class", "0.6.0"));
    }
    if s.annotations.is_some() || s.devices.iter().any(|d| d.annotations.is_some()) {
        features.push(("annotations", "0.6.0"));
    }
    if let Some(e) = &s.container_edits {
        edits_features(e, &mut features);
    }
    let mut seen = BTreeSet::new();
    for d in &s.devices {
        if !name::valid_device_name(&d.name) {
            return Err(format!("invalid device name \"{}\"", d.name));
        }
        if !seen.insert(d.name.as_str()) {
            return Err(format!("device \"{}\" is defined twice", d.name));
        }
        if d.name.starts_with(|c: char| c.is_ascii_digit()) {
            features.push(("a device name starting with a digit", "0.5.0"));
        }
        edits_features(&d.container_edits, &mut features);
    }
    for (what, min) in features {
        if version_index(min).unwrap_or(0) > declared {
            return Err(format!(
                "uses {what}, which needs cdiVersion {min} or later, but declares {}",
                s.cdi_version
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_gates() {
        let s = decode("x.json", r#"{"cdiVersion":"0.3.0","kind":"a.com/b","devices":[{"name":"0","containerEdits":{}}]}"#).unwrap();
        assert_eq!(
            validate(&s).unwrap_err(),
            "uses a device name starting with a digit, which needs cdiVersion 0.5.0 or later, but declares 0.3.0"
        );
        let s = decode("x.yaml", "cdiVersion: 0.6.0\nkind: a.com/b.c\ndevices:\n- name: d\n  containerEdits:\n    env: [A=1]\n").unwrap();
        assert!(validate(&s).is_ok());
        let s = decode(
            "x.yaml",
            "cdiVersion: 0.5.0\nkind: a.com/b.c\ndevices: []\n",
        )
        .unwrap();
        assert!(validate(&s).unwrap_err().contains("'.' in the class"));
        assert!(
            decode(
                "x.json",
                r#"{"cdiVersion":"0.3.0","kind":"a.com/b","bogus":1}"#
            )
            .is_err()
        );
    }
}
