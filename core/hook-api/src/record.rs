//! What the host records about hook calls: `HookCall` (one per call, `hookCalls` in state.json)
//! and `Provenance` (one per attributed config change, hooks.md §12.1). Plain data only.

use serde::{Deserialize, Serialize};

/// One hook call at one point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookCall {
    pub name: String,
    /// `compiled`, `dylib` or `lua`.
    pub kind: String,
    /// `builtin` or the absolute path of the `.so` or `.lua` file.
    pub origin: String,
    pub point: String,
    pub duration_us: u64,
    /// Whether the call changed the config (always false outside `mutate_config`).
    pub changed: bool,
}

/// One config change attributed to the hook that made it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Provenance {
    pub hook: String,
    /// `mounts`, `linux.devices`, `linux.resources.devices`, `process.env`, `annotations`,
    /// `hooks.<stage>`, or a JSON pointer.
    pub field: String,
    pub key: String,
    /// `added`, `removed` or `changed`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_call_is_camel_case() {
        let c = HookCall {
            name: "cdi".into(),
            kind: "compiled".into(),
            origin: "builtin".into(),
            point: "mutate_config".into(),
            duration_us: 12,
            changed: true,
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["durationUs"], 12);
        let p = Provenance {
            hook: "x".into(),
            field: "process.env".into(),
            key: "TZ".into(),
            action: "added".into(),
            source: None,
        };
        assert!(serde_json::to_value(&p).unwrap().get("source").is_none());
    }
}
