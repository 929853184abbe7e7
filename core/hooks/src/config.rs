//! The site configuration file (`/etc/sifter/sifter.toml`, hooks.md §11; lifecycle keys in
//! oci-reference.md §2.1, plus sifter's own `prime_cgroup_migration`): strict TOML into typed
//! structs, built-in defaults when the default file is missing; a bad value's error names its
//! key. Trust checks on the file are applied by the loader before parsing.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default search path for runc, crun, conmon and squashfuse (never `$PATH`).
pub const DEFAULT_SEARCH_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// `systemd_cgroup`: `"auto"` (true when `/run/systemd/system` exists), `true` or `false`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SystemdCgroup {
    Bool(bool),
    #[default]
    #[serde(deserialize_with = "auto")]
    Auto,
}

fn auto<'de, D: serde::Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    let s = String::deserialize(d)?;
    if s == "auto" {
        Ok(())
    } else {
        Err(serde::de::Error::custom(format!(
            "expected \"auto\", true or false, got \"{s}\""
        )))
    }
}

impl SystemdCgroup {
    /// Resolves `auto` against the host.
    pub fn resolve(self) -> bool {
        match self {
            SystemdCgroup::Bool(b) => b,
            SystemdCgroup::Auto => Path::new("/run/systemd/system").is_dir(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// `runc`, `crun` or a path.
    pub runtime: Option<String>,
    /// Path of conmon.
    pub conmon: Option<PathBuf>,
    /// Where runtime binaries are looked up.
    pub search_path: Option<Vec<PathBuf>>,
    #[serde(default)]
    pub systemd_cgroup: SystemdCgroup,
    /// Seconds to wait for conmon's sync reply (default 30).
    pub create_timeout: Option<u64>,
    /// Whether `run`, `create` and `exec` start the kernel's cgroup-migration wait early from
    /// their helper thread (default true; a sifter key, not in the reference).
    pub prime_cgroup_migration: Option<bool>,
    #[serde(default)]
    pub hooks: HooksConfig,
    /// `[plugins.<name>]` tables: each becomes that hook's `settings`.
    #[serde(default)]
    pub plugins: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    pub lua_dirs: Option<Vec<PathBuf>>,
    pub plugin_dirs: Option<Vec<PathBuf>>,
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub priority: BTreeMap<String, i32>,
    #[serde(default)]
    pub limits: LuaLimits,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LuaLimits {
    #[serde(default = "default_memory")]
    pub lua_memory_mib: u64,
    #[serde(default = "default_instructions")]
    pub lua_instructions: u64,
}

fn default_memory() -> u64 {
    64
}
fn default_instructions() -> u64 {
    10_000_000
}

impl Default for LuaLimits {
    fn default() -> Self {
        LuaLimits {
            lua_memory_mib: default_memory(),
            lua_instructions: default_instructions(),
        }
    }
}

impl SiteConfig {
    /// Parses the TOML text of `path` strictly, then checks value ranges.
    pub fn parse(path: &Path, text: &str) -> crate::Result<Self> {
        let cfg: SiteConfig = toml::from_str(text).map_err(|e| {
            // A bad value's span covers the value: name the key it is assigned to.
            let key = e.span().and_then(|s| key_before(text, s.start));
            let reason = match &key {
                Some(k) if !e.message().contains(k.as_str()) => format!("{k}: {}", e.message()),
                _ => e.message().to_string(),
            };
            crate::PluginError::ConfigSyntax {
                path: path.to_path_buf(),
                reason,
                key,
            }
        })?;
        match cfg.problems(path).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(cfg),
        }
    }

    /// Values outside their ranges (hooks.md §11): `lua_memory_mib` 1..=4096,
    /// `lua_instructions` 10^4..=10^10, valid hook names in the priority table.
    pub fn problems(&self, path: &Path) -> Vec<crate::PluginError> {
        let mut out = Vec::new();
        let bad = |key: &str, reason: String| crate::PluginError::ConfigValue {
            path: path.to_path_buf(),
            key: key.to_string(),
            reason,
        };
        let l = self.hooks.limits;
        if !(1..=4096).contains(&l.lua_memory_mib) {
            out.push(bad(
                "hooks.limits.lua_memory_mib",
                format!("{} is outside 1..=4096", l.lua_memory_mib),
            ));
        }
        if !(10_000..=10_000_000_000).contains(&l.lua_instructions) {
            out.push(bad(
                "hooks.limits.lua_instructions",
                format!("{} is outside 10000..=10000000000", l.lua_instructions),
            ));
        }
        out
    }

    /// Reads the site config: a missing file that was not named explicitly gives the defaults.
    /// An existing file must pass the trust checks (hooks.md §6.1) before it is parsed.
    pub fn load(path: &Path, explicit: bool) -> crate::Result<Self> {
        if !explicit && !path.exists() {
            return Ok(Self::default());
        }
        if path.exists() {
            crate::trust::check(path, crate::trust::Want::File, crate::trust::euid())?;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(source) => Err(crate::PluginError::Config {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The search path as configured, else the built-in default.
    pub fn search_path(&self) -> Vec<PathBuf> {
        self.search_path
            .clone()
            .unwrap_or_else(|| DEFAULT_SEARCH_PATH.iter().map(PathBuf::from).collect())
    }

    /// Seconds to wait for conmon's reply.
    pub fn create_timeout(&self) -> u64 {
        self.create_timeout.unwrap_or(30)
    }

    /// `prime_cgroup_migration`, true unless set false.
    pub fn prime_cgroup_migration(&self) -> bool {
        self.prime_cgroup_migration.unwrap_or(true)
    }
}

/// The key of the `key = value` line whose value starts at byte `at` of `text`, if any.
fn key_before(text: &str, at: usize) -> Option<String> {
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = text[line_start..at].split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty()).then(|| key.to_string())
}

/// A `[plugins.<name>]` table as JSON; TOML datetimes become RFC 3339 strings.
pub fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => J::from(*f),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let c = SiteConfig::parse(Path::new("/x.toml"), "").unwrap();
        assert_eq!(c.create_timeout(), 30);
        assert!(c.prime_cgroup_migration());
        assert_eq!(c.hooks.limits.lua_memory_mib, 64);
        assert_eq!(c.systemd_cgroup, SystemdCgroup::Auto);
    }

    #[test]
    fn prime_cgroup_migration_is_a_bool() {
        let c = SiteConfig::parse(Path::new("/x"), "prime_cgroup_migration = false").unwrap();
        assert!(!c.prime_cgroup_migration());
        let e = SiteConfig::parse(
            Path::new("/x"),
            "runtime = \"crun\"\nprime_cgroup_migration = \"no\"",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid site config /x: prime_cgroup_migration: invalid type: string \"no\", expected a boolean"
        );
    }

    #[test]
    fn a_bad_value_names_its_key_and_an_unknown_key_is_named_once() {
        let e = SiteConfig::parse(Path::new("/x"), "[hooks.limits]\nlua_memory_mib = \"big\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid site config /x: lua_memory_mib: invalid type"),
            "{e}"
        );
        let e = SiteConfig::parse(Path::new("/x"), "[hooks]\nlua_dir = []").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid site config /x: unknown field `lua_dir`"),
            "{e}"
        );
        assert_eq!(key_before("a = 1\n\"b.c\" = x", 15), Some("b.c".into()));
        assert_eq!(key_before("[t]\nx", 4), None);
    }

    #[test]
    fn systemd_cgroup_accepts_bool_and_auto_only() {
        let c = SiteConfig::parse(Path::new("/x"), "systemd_cgroup = false").unwrap();
        assert_eq!(c.systemd_cgroup, SystemdCgroup::Bool(false));
        assert!(SiteConfig::parse(Path::new("/x"), "systemd_cgroup = \"maybe\"").is_err());
    }

    #[test]
    fn limits_are_range_checked() {
        let e = SiteConfig::parse(Path::new("/s.toml"), "[hooks.limits]\nlua_memory_mib = 0")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid site config /s.toml: hooks.limits.lua_memory_mib: 0 is outside 1..=4096"
        );
        assert!(
            SiteConfig::parse(Path::new("/s"), "[hooks.limits]\nlua_instructions = 10").is_err()
        );
        let e = SiteConfig::parse(Path::new("/s"), "[hooks]\nlua_dir = []").unwrap_err();
        assert!(e.to_string().contains("lua_dir"), "{e}");
    }

    #[test]
    fn unknown_key_is_refused() {
        let err = SiteConfig::parse(Path::new("/etc/sifter/sifter.toml"), "runtim = \"crun\"")
            .unwrap_err();
        assert!(err.to_string().contains("/etc/sifter/sifter.toml"), "{err}");
    }
}
