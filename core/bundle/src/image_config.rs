//! The image config stored in a SIF as `oci-config.json` (oci-reference.md §4.3): strict
//! parsing of the keys sifter uses, with errors naming the field, and the volume rules
//! (normalise, sort, skip, escape). Pure.

use serde_json::{Map, Value};

/// The used keys of a Docker/OCI image `config` object; `null` counts as absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    /// Volume keys as written in the image.
    pub volumes: Vec<String>,
    /// `Labels` when it is an object (read into the mount record; never an error).
    pub labels: Map<String, Value>,
}

/// One image volume after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Normalised absolute path (`/var/lib/db`).
    pub path: String,
    /// Directory name under `BUNDLE/volumes` (`_var_lib_db`).
    pub escaped: String,
}

impl ImageConfig {
    /// Parses the object; the error text is the `<reason>` of §3.1 check 11
    /// (`field "Cmd": expected an array of strings`).
    pub fn parse(bytes: &[u8]) -> Result<ImageConfig, String> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let Value::Object(obj) = value else {
            return Err("expected a JSON object".into());
        };
        Ok(ImageConfig {
            entrypoint: strings(&obj, "Entrypoint")?,
            cmd: strings(&obj, "Cmd")?,
            env: strings(&obj, "Env")?,
            working_dir: string(&obj, "WorkingDir")?,
            user: string(&obj, "User")?,
            volumes: match obj.get("Volumes") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(m)) => m.keys().cloned().collect(),
                Some(_) => return Err(r#"field "Volumes": expected an object"#.into()),
            },
            labels: match obj.get("Labels") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            },
        })
    }

    /// The volumes in mount order, and a WARNING text for each key that is skipped.
    pub fn volumes(&self) -> (Vec<Volume>, Vec<String>) {
        let mut out: Vec<Volume> = Vec::new();
        let mut warnings = Vec::new();
        for key in &self.volumes {
            match normalise_volume(key) {
                Ok(path) => {
                    if !out.iter().any(|v| v.path == path) {
                        out.push(Volume {
                            escaped: escape_volume(&path),
                            path,
                        });
                    }
                }
                Err(why) => warnings.push(format!(
                    "oci-config.json: ignoring volume {} ({why})",
                    serde_json::to_string(key).expect("a string serialises")
                )),
            }
        }
        out.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        (out, warnings)
    }
}

fn strings(obj: &Map<String, Value>, field: &str) -> Result<Vec<String>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("field \"{field}\": expected an array of strings")),
        Some(_) => Err(format!("field \"{field}\": expected an array of strings")),
    }
}

fn string(obj: &Map<String, Value>, field: &str) -> Result<String, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("field \"{field}\": expected a string")),
    }
}

/// §4.3 Volumes step 1: absolute, `//` collapsed, no trailing `/`; refuses `/`, `.`/`..`
/// components, NUL bytes and paths under `/proc`, `/dev`, `/sys`.
pub fn normalise_volume(key: &str) -> Result<String, &'static str> {
    if key.contains('\0') {
        return Err("contains a NUL byte");
    }
    let parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err("has a . or .. component");
    }
    match parts.first() {
        None => Err("is the root directory"),
        Some(&("proc" | "dev" | "sys")) => Err("lies under /proc, /dev or /sys"),
        Some(_) => Ok(format!("/{}", parts.join("/"))),
    }
}

/// §4.3 Volumes step 2: `%`→`%25`, `_`→`%5F`, then `/`→`_`.
pub fn escape_volume(path: &str) -> String {
    path.replace('%', "%25")
        .replace('_', "%5F")
        .replace('/', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_used_keys_and_treats_null_as_absent() {
        let c = ImageConfig::parse(
            br#"{"Entrypoint":["/e"],"Cmd":null,"Env":["A=1"],"WorkingDir":"/w","User":"5",
                "Volumes":{"/data":{}},"Labels":{"k":"v"},"StopSignal":"SIGTERM","X":1}"#,
        )
        .unwrap();
        assert_eq!(c.entrypoint, ["/e"]);
        assert!(c.cmd.is_empty());
        assert_eq!(c.volumes, ["/data"]);
        assert_eq!(c.labels["k"], "v");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let cases = [
            (
                r#"{"Cmd":"sh"}"#,
                r#"field "Cmd": expected an array of strings"#,
            ),
            (
                r#"{"Env":[1]}"#,
                r#"field "Env": expected an array of strings"#,
            ),
            (r#"{"User":0}"#, r#"field "User": expected a string"#),
            (
                r#"{"Volumes":[]}"#,
                r#"field "Volumes": expected an object"#,
            ),
            ("[]", "expected a JSON object"),
        ];
        for (json, want) in cases {
            assert_eq!(ImageConfig::parse(json.as_bytes()).unwrap_err(), want);
        }
        assert!(ImageConfig::parse(b"{").unwrap_err().contains("EOF"));
    }

    #[test]
    fn volumes_are_normalised_sorted_escaped_and_filtered() {
        let c = ImageConfig {
            volumes: [
                "/var/lib/db/",
                "data",
                "//a//b",
                "/my_dir",
                "/50%",
                "/",
                "/a/../b",
                "/proc/x",
                "/a/b",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        };
        let (vols, warnings) = c.volumes();
        let got: Vec<(&str, &str)> = vols
            .iter()
            .map(|v| (v.path.as_str(), v.escaped.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/50%", "_50%25"),
                ("/a/b", "_a_b"),
                ("/data", "_data"),
                ("/my_dir", "_my%5Fdir"),
                ("/var/lib/db", "_var_lib_db"),
            ]
        );
        assert_eq!(warnings.len(), 3);
        assert_eq!(
            warnings[0],
            r#"oci-config.json: ignoring volume "/" (is the root directory)"#
        );
    }
}
