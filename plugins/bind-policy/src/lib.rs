//! Compiled-in `bind-policy` hook (hooks.md §13.2): every bind mount's source, canonicalised
//! with symlinks followed, must lie under one of the allowed directory prefixes (whole path
//! components). Runs first (priority -1000), so it polices what the user supplied, not what
//! later site hooks add. Without `allow` it does nothing.

use serde::Deserialize;
use sifter_hook_api::oci_spec::runtime::{Mount, Spec};
use sifter_hook_api::{Hook, HookContext, HookError, HookPoints, submit_hook};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    allow: Option<Vec<PathBuf>>,
    #[serde(default = "default_exempt")]
    exempt_uids: Vec<u32>,
}

fn default_exempt() -> Vec<u32> {
    vec![0]
}

/// The `bind-policy` hook.
#[derive(Debug, Default)]
pub struct BindPolicy;

/// Whether `m` is a bind mount (type `bind`, or a `bind`/`rbind` option).
pub fn is_bind(m: &Mount) -> bool {
    m.typ().as_deref() == Some("bind")
        || m.options()
            .iter()
            .flatten()
            .any(|o| o == "bind" || o == "rbind")
}

/// Whether `path` equals `prefix` or lies below it, by whole components.
pub fn under(path: &Path, prefix: &Path) -> bool {
    path.starts_with(prefix)
}

impl Hook for BindPolicy {
    fn name(&self) -> &str {
        "bind-policy"
    }
    fn points(&self) -> HookPoints {
        HookPoints::MUTATE_CONFIG
    }
    fn priority(&self) -> i32 {
        -1000
    }
    fn mutate_config(&self, cx: &HookContext, spec: &mut Spec) -> Result<(), HookError> {
        let settings: Settings = cx.settings_as()?;
        let Some(allow) = settings.allow else {
            tracing::debug!("no allow list configured, bind mounts are not checked");
            return Ok(());
        };
        if let Some(bad) = allow.iter().find(|p| !p.is_absolute()) {
            return Err(HookError::invalid_settings(format!(
                "allow: {} is not absolute",
                bad.display()
            )));
        }
        if settings.exempt_uids.contains(&cx.user().uid) {
            tracing::debug!(uid = cx.user().uid, "uid is exempt from the bind policy");
            return Ok(());
        }
        // An allowed prefix that is itself a symlink is compared in its resolved form too.
        let prefixes: Vec<PathBuf> = allow
            .iter()
            .flat_map(|p| {
                [
                    p.clone(),
                    std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()),
                ]
            })
            .collect();
        let listed = allow
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        for m in spec.mounts().iter().flatten().filter(|m| is_bind(m)) {
            let dest = m.destination().display();
            let Some(src) = m.source() else {
                return Err(HookError::rejected(format!(
                    "bind mount at {dest} has no source"
                )));
            };
            let real = std::fs::canonicalize(src).map_err(|_| {
                HookError::rejected(format!(
                    "bind source {} (destination {dest}) does not exist; allowed paths are {listed}",
                    src.display()
                ))
            })?;
            if !prefixes.iter().any(|p| under(&real, p)) {
                let shown = if &real == src {
                    src.display().to_string()
                } else {
                    format!("{} (resolves to {})", src.display(), real.display())
                };
                return Err(HookError::rejected(format!(
                    "bind source {shown} (destination {dest}) is outside the allowed paths {listed}"
                )));
            }
        }
        Ok(())
    }
}

submit_hook!(BindPolicy);

#[cfg(test)]
mod tests {
    use super::*;
    use sifter_hook_api::harness::HookHarness;

    fn spec(src: &Path) -> Spec {
        serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2", "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/data", "type": "none", "source": src, "options": ["rbind", "ro"]}]}))
        .unwrap()
    }

    fn check(settings: serde_json::Value, src: &Path) -> Result<(), HookError> {
        HookHarness::default()
            .settings(settings)
            .mutate(&BindPolicy, &mut spec(src))
    }

    #[test]
    fn prefixes_match_whole_components_and_follow_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let (scratch, scratch2) = (d.path().join("scratch"), d.path().join("scratch2"));
        std::fs::create_dir_all(scratch.join("a")).unwrap();
        std::fs::create_dir_all(&scratch2).unwrap();
        std::os::unix::fs::symlink("/etc", scratch.join("link")).unwrap();
        let s = serde_json::json!({"allow": [scratch]});
        assert!(check(s.clone(), &scratch.join("a")).is_ok());
        let e = check(s.clone(), &scratch2).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "bind source {} (destination /data) is outside the allowed paths {}",
                scratch2.display(),
                scratch.display()
            )
        );
        let e = check(s.clone(), &scratch.join("link"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("(resolves to /etc)"), "{e}");
        let e = check(s, &scratch.join("missing")).unwrap_err();
        assert!(
            e.is_rejection() && e.to_string().contains("does not exist"),
            "{e}"
        );
    }

    #[test]
    fn no_allow_list_or_exempt_uid_does_nothing() {
        assert!(check(serde_json::json!({}), Path::new("/etc")).is_ok());
        assert!(
            check(
                serde_json::json!({"allow": ["/scratch"], "exempt_uids": [1000]}),
                Path::new("/etc")
            )
            .is_ok()
        );
        let e = check(serde_json::json!({"allow": "/scratch"}), Path::new("/etc")).unwrap_err();
        assert!(matches!(e, HookError::InvalidSettings { .. }), "{e:?}");
    }
}
