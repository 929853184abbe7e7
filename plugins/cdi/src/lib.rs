//! Compiled-in `cdi` hook (hooks.md §13.1): applies Container Device Interface specs for the
//! devices requested with `--device` or by `cdi.k8s.io/` annotations. With no requests it does
//! nothing and reads no files. Host access goes through a `HostView`, so tests use fixtures.

pub mod apply;
pub mod load;
pub mod name;
pub mod spec;

use serde::Deserialize;
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{Hook, HookContext, HookError, HookPoints, HostView, RealHost, submit_hook};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Default spec directories; a later one has higher priority.
pub const DEFAULT_SPEC_DIRS: [&str; 2] = ["/etc/cdi", "/var/run/cdi"];
/// Default annotation prefix for requests.
pub const DEFAULT_PREFIX: &str = "cdi.k8s.io/";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    spec_dirs: Option<Vec<String>>,
    annotation_prefixes: Option<Vec<String>>,
}

/// The `cdi` hook.
pub struct Cdi {
    host: Arc<dyn HostView>,
}

impl Default for Cdi {
    fn default() -> Self {
        Cdi {
            host: Arc::new(RealHost),
        }
    }
}

impl Cdi {
    /// A `cdi` hook reading the host through `host`.
    pub fn with_host(host: Arc<dyn HostView>) -> Cdi {
        Cdi { host }
    }
}

fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    sifter_hook_api::user::proc_ids(&status)
        .map(|((_, e), _)| e)
        .unwrap_or(0)
}

/// The requested names, in `--device` order then annotation-key order, duplicates dropped.
pub fn requests(
    cx: &HookContext,
    spec: &Spec,
    prefixes: &[String],
) -> Result<Vec<name::Qualified>, HookError> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |raw: &str, from: &str| -> Result<(), HookError> {
        let q = name::parse(raw.trim()).ok_or_else(|| {
            HookError::failed(format!("invalid CDI device name {raw:?} in {from}"))
        })?;
        if seen.insert(q.to_string()) {
            out.push(q);
        }
        Ok(())
    };
    for d in cx.devices() {
        push(d, "--device")?;
    }
    let annotations: std::collections::BTreeMap<String, String> = spec
        .annotations()
        .as_ref()
        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    for (k, v) in &annotations {
        if prefixes.iter().any(|p| k.starts_with(p.as_str())) {
            for item in v.split(',').filter(|s| !s.trim().is_empty()) {
                push(item, &format!("annotation {k}"))?;
            }
        }
    }
    Ok(out)
}

impl Hook for Cdi {
    fn name(&self) -> &str {
        "cdi"
    }
    fn points(&self) -> HookPoints {
        HookPoints::MUTATE_CONFIG
    }
    fn mutate_config(&self, cx: &HookContext, spec: &mut Spec) -> Result<(), HookError> {
        let settings: Settings = cx.settings_as()?;
        let prefixes = settings
            .annotation_prefixes
            .unwrap_or_else(|| vec![DEFAULT_PREFIX.to_string()]);
        let wanted = requests(cx, spec, &prefixes)?;
        if wanted.is_empty() {
            tracing::debug!("no CDI devices requested");
            return Ok(());
        }
        let dirs = settings
            .spec_dirs
            .unwrap_or_else(|| DEFAULT_SPEC_DIRS.iter().map(|s| s.to_string()).collect());
        let index =
            load::load(self.host.as_ref(), &dirs, effective_uid()).map_err(HookError::failed)?;
        let mut done_specs = BTreeSet::new();
        for q in &wanted {
            let (si, di) = index.resolve(q).map_err(HookError::failed)?;
            let (file, cdi) = &index.specs[si];
            if done_specs.insert(si)
                && let Some(e) = &cdi.container_edits
            {
                apply::apply(spec, self.host.as_ref(), e, file, &q.to_string())?;
            }
            apply::apply(
                spec,
                self.host.as_ref(),
                &cdi.devices[di].container_edits,
                file,
                &q.to_string(),
            )?;
        }
        apply::sort_mounts(spec);
        tracing::info!(
            "applied CDI devices {}",
            wanted
                .iter()
                .map(|q| q.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(())
    }
}

submit_hook!(Cdi);

#[cfg(test)]
mod tests;
