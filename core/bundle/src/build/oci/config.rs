//! The image config: parsed from the config blob, and re-encoded as the `oci-config.json`
//! GenericJSON object exactly as the reference builder stores it — Go's `encoding/json` of the
//! image-spec `ImageConfig` struct: its field order (User, ExposedPorts, Env, Entrypoint, Cmd,
//! Volumes, WorkingDir, Labels, StopSignal, ArgsEscaped), `omitempty`, map keys sorted, and
//! `<`, `>`, `&`, U+2028, U+2029 escaped. Docker-only keys (Hostname, Image, OnBuild…) are
//! dropped, as the Go struct drops them. `busybox_amd64.sif` holds
//! `{"Env":["PATH=…"],"Cmd":["sh"]}`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{ImportError, Result};

/// The parts of an image config blob sifter uses.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ConfigFile {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub config: Option<ImageConfig>,
}

/// image-spec `ImageConfig`; `null` and absent are the same (Go's zero values).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ImageConfig {
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    #[serde(rename = "ExposedPorts", default)]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Entrypoint", default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default)]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Volumes", default)]
    pub volumes: Option<BTreeMap<String, Value>>,
    #[serde(rename = "WorkingDir", default)]
    pub working_dir: Option<String>,
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "StopSignal", default)]
    pub stop_signal: Option<String>,
    #[serde(rename = "ArgsEscaped", default)]
    pub args_escaped: Option<bool>,
}

impl ConfigFile {
    pub fn parse(bytes: &[u8], origin: &Path) -> Result<ConfigFile> {
        serde_json::from_slice(bytes).map_err(|e| ImportError::Invalid {
            source_path: origin.to_path_buf(),
            what: "image config".into(),
            reason: e.to_string(),
        })
    }

    /// The `config` object, or an empty one.
    pub fn image_config(&self) -> ImageConfig {
        self.config.clone().unwrap_or_default()
    }
}

fn strs(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| Value::String(s.clone())).collect())
}

fn set(m: &mut BTreeMap<String, Value>) -> Value {
    Value::Object(
        m.keys()
            .map(|k| (k.clone(), Value::Object(Map::new())))
            .collect(),
    )
}

impl ImageConfig {
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.labels.clone().unwrap_or_default()
    }

    /// The `oci-config.json` bytes (no trailing newline, as Go's `json.Marshal`).
    pub fn to_reference_json(&self) -> Vec<u8> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty()).map(Value::String);
        let list = |l: &Option<Vec<String>>| l.as_ref().filter(|l| !l.is_empty()).map(|l| strs(l));
        put("User", nonempty(&self.user));
        put(
            "ExposedPorts",
            self.exposed_ports
                .clone()
                .filter(|p| !p.is_empty())
                .map(|mut p| set(&mut p)),
        );
        put("Env", list(&self.env));
        put("Entrypoint", list(&self.entrypoint));
        put("Cmd", list(&self.cmd));
        put(
            "Volumes",
            self.volumes
                .clone()
                .filter(|p| !p.is_empty())
                .map(|mut p| set(&mut p)),
        );
        put("WorkingDir", nonempty(&self.working_dir));
        put(
            "Labels",
            self.labels.as_ref().filter(|l| !l.is_empty()).map(|l| {
                Value::Object(
                    l.iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                )
            }),
        );
        put("StopSignal", nonempty(&self.stop_signal));
        put(
            "ArgsEscaped",
            self.args_escaped.filter(|b| *b).map(Value::Bool),
        );
        go_escape(&serde_json::to_string(&Value::Object(m)).expect("json")).into_bytes()
    }
}

/// Go's `encoding/json` HTML-safe escaping, applied to serde_json output (these characters
/// only occur inside strings there).
pub fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `labels.json` as the reference writes it: `json.MarshalIndent(labels, "", "\t")`.
pub fn labels_json(labels: &BTreeMap<String, String>) -> Vec<u8> {
    if labels.is_empty() {
        return b"{}".to_vec();
    }
    let mut s = String::from("{\n");
    let n = labels.len();
    for (i, (k, v)) in labels.iter().enumerate() {
        let k = serde_json::to_string(k).expect("json");
        let v = serde_json::to_string(v).expect("json");
        s.push_str(&format!("\t{k}: {v}{}\n", if i + 1 < n { "," } else { "" }));
    }
    s.push('}');
    go_escape(&s).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_config_is_byte_identical_to_the_reference() {
        let blob = br#"{"architecture":"amd64","os":"linux","config":{"Hostname":"","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Image":"sha256:x","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{}},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let c = ConfigFile::parse(blob, Path::new("x")).unwrap();
        // The object stored in busybox_amd64.sif at offset 40960, 90 bytes.
        let reference = br#"{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}"#;
        assert_eq!(c.image_config().to_reference_json(), reference.to_vec());
    }

    #[test]
    fn every_field_in_go_order() {
        let blob = br#"{"config":{"StopSignal":"SIGTERM","Labels":{"b":"<&>","a":"1"},"WorkingDir":"/w","Volumes":{"/v":{}},"Cmd":["c"],"Entrypoint":["e"],"Env":["A=1"],"ExposedPorts":{"80/tcp":{}},"User":"1000:1000"}}"#;
        let c = ConfigFile::parse(blob, Path::new("x"))
            .unwrap()
            .image_config();
        let got = String::from_utf8(c.to_reference_json()).unwrap();
        assert_eq!(
            got,
            r#"{"User":"1000:1000","ExposedPorts":{"80/tcp":{}},"Env":["A=1"],"Entrypoint":["e"],"Cmd":["c"],"Volumes":{"/v":{}},"WorkingDir":"/w","Labels":{"a":"1","b":"\u003c\u0026\u003e"},"StopSignal":"SIGTERM"}"#
        );
        assert_eq!(
            String::from_utf8(labels_json(&c.labels())).unwrap(),
            "{\n\t\"a\": \"1\",\n\t\"b\": \"\\u003c\\u0026\\u003e\"\n}"
        );
    }

    #[test]
    fn wrong_types_name_the_config() {
        let e = ConfigFile::parse(br#"{"config":{"Cmd":"sh"}}"#, Path::new("img.tar"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid image config in img.tar: invalid type"),
            "{e}"
        );
    }
}
