//! `HookContext`: everything a hook may know about the call (hooks.md §4). It is owned, its
//! fields are private, and its one `Serialize` shape is what the dylib and Lua adapters send.
//! Deliberately nothing here says whether the call is a preview.

use crate::error::HookError;
use crate::user::UserInfo;
use oci_spec::runtime::State;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The SIF image behind the bundle, from its mount record (`ctx.image`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub sif_path: String,
    pub sif_id: String,
    pub labels: Map<String, Value>,
    pub arch: String,
}

/// The context of one hook call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HookContext {
    sifter_version: String,
    container_id: String,
    bundle: String,
    rootfs: String,
    annotations: BTreeMap<String, String>,
    devices: Vec<String>,
    image: Option<ImageInfo>,
    user: UserInfo,
    settings: Value,
    state: Option<State>,
}

/// The host's way to build a context; every field is public here and private in `HookContext`.
#[derive(Debug, Clone)]
pub struct ContextParts {
    pub sifter_version: String,
    pub container_id: String,
    pub bundle: String,
    pub rootfs: String,
    pub annotations: BTreeMap<String, String>,
    pub devices: Vec<String>,
    pub image: Option<ImageInfo>,
    pub user: UserInfo,
    pub settings: Value,
    pub state: Option<State>,
}

impl HookContext {
    /// Builds a context from its parts (used by the host and by test harnesses).
    pub fn new(parts: ContextParts) -> HookContext {
        HookContext {
            sifter_version: parts.sifter_version,
            container_id: parts.container_id,
            bundle: parts.bundle,
            rootfs: parts.rootfs,
            annotations: parts.annotations,
            devices: parts.devices,
            image: parts.image,
            user: parts.user,
            settings: parts.settings,
            state: parts.state,
        }
    }

    /// The same context with another hook's settings.
    pub fn with_settings(&self, settings: Value) -> HookContext {
        HookContext {
            settings,
            ..self.clone()
        }
    }

    pub fn sifter_version(&self) -> &str {
        &self.sifter_version
    }
    pub fn container_id(&self) -> &str {
        &self.container_id
    }
    /// Absolute path of the user's bundle.
    pub fn bundle(&self) -> &str {
        &self.bundle
    }
    /// Absolute rootfs (the user config's `root.path` resolved against the bundle).
    pub fn rootfs(&self) -> &str {
        &self.rootfs
    }
    /// Annotations as they were before the chain (at `mutate_config`) or the effective ones.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }
    /// CDI names given with `--device`, in command-line order.
    pub fn devices(&self) -> &[String] {
        &self.devices
    }
    pub fn image(&self) -> Option<&ImageInfo> {
        self.image.as_ref()
    }
    pub fn user(&self) -> &UserInfo {
        &self.user
    }
    /// The OCI state, only at `pre_start` and `post_delete`.
    pub fn state(&self) -> Option<&State> {
        self.state.as_ref()
    }
    /// This hook's `[plugins.<name>]` table (`{}` when absent).
    pub fn settings(&self) -> &Value {
        &self.settings
    }

    /// The settings as `T`, strictly: an unknown key or a wrong type is `InvalidSettings`
    /// naming the key path (`set.PATH: expected a string`).
    pub fn settings_as<T: DeserializeOwned>(&self) -> Result<T, HookError> {
        settings_from_value(&self.settings)
    }
}

/// Strict conversion of a settings value; shared with the host's `hooks check`.
pub fn settings_from_value<T: DeserializeOwned>(value: &Value) -> Result<T, HookError> {
    let mut unknown = Vec::new();
    let mut record = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let de = serde_ignored::Deserializer::new(value.clone(), &mut record);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(de);
    match parsed {
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            Err(HookError::invalid_settings(if path == "." {
                inner
            } else {
                format!("{path}: {inner}")
            }))
        }
        Ok(_) if !unknown.is_empty() => Err(HookError::invalid_settings(format!(
            "{}: unknown key",
            unknown[0]
        ))),
        Ok(v) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct S {
        #[allow(dead_code)]
        set: BTreeMap<String, String>,
    }

    #[test]
    fn settings_are_strict_with_paths() {
        let e = settings_from_value::<S>(&serde_json::json!({"set": {"PATH": 1}})).unwrap_err();
        assert!(e.to_string().starts_with("set.PATH: invalid type"), "{e}");
        let e = settings_from_value::<S>(&serde_json::json!({"set": {}, "sett": 1})).unwrap_err();
        assert_eq!(e.to_string(), "sett: unknown key");
        assert!(settings_from_value::<S>(&serde_json::json!({"set": {"A": "b"}})).is_ok());
    }
}
