//! Calling one hook at one point (hooks.md §1, §5, §12.1): a `hook` span with `hook`, `kind`,
//! `origin`, `point` and `id`, panics caught and turned into `HookError::Panicked`, the timing,
//! a closing event with the outcome, and the invariant checks run after `mutate_config`.

use crate::registry::Entry;
use sifter_hook_api::oci_spec::runtime::{LinuxDeviceType, Spec};
use sifter_hook_api::{HookCall, HookContext, HookError, HookPoint};
use std::time::Instant;

/// The result of one call.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<(), HookError>,
    pub duration_us: u64,
    /// At `mutate_config`, when the call touched the spec: the normalised spec before and
    /// after it (`None` when the typed spec came back equal).
    pub values: Option<(serde_json::Value, serde_json::Value)>,
}

impl Outcome {
    /// Whether the call changed the config.
    pub fn changed(&self) -> bool {
        self.values.as_ref().is_some_and(|(a, b)| a != b)
    }
}

/// Calls `entry` at `point`. `spec` is given only for `mutate_config`.
pub fn call(
    entry: &Entry,
    point: HookPoint,
    id: &str,
    cx: &HookContext,
    spec: Option<&mut Spec>,
) -> Outcome {
    let span = tracing::debug_span!(
        "hook",
        hook = %entry.name,
        kind = entry.kind.as_str(),
        origin = %entry.origin,
        point = point.as_str(),
        id = %id
    );
    let _guard = span.enter();
    // A typed copy to compare with: far cheaper than rendering the config before and after
    // every call, which most calls (changing nothing) never need.
    let before = spec.as_deref().cloned();
    let started = Instant::now();
    let hook = entry.hook();
    // `Lua` and hook state are not unwind-safe; a panicking call's partial edits are dropped
    // with the spec copy by the caller, so asserting unwind safety is sound here.
    let mut spec = spec;
    let caught = sifter_hook_api::panic::catch(|| match (point, spec.as_deref_mut()) {
        (HookPoint::MutateConfig, Some(spec)) => hook.mutate_config(cx, spec),
        (HookPoint::MutateConfig, None) => Ok(()),
        (HookPoint::PreStart, _) => hook.pre_start(cx),
        (HookPoint::PostDelete, _) => hook.post_delete(cx),
    });
    let result = caught.unwrap_or_else(|m| Err(HookError::panicked(m)));
    let duration_us = started.elapsed().as_micros() as u64;
    let values = match (before, spec.as_deref()) {
        (Some(b), Some(a)) if b != *a => {
            Some((crate::strict::normalize(&b), crate::strict::normalize(a)))
        }
        _ => None,
    };
    let changed = values.as_ref().is_some_and(|(a, b)| a != b);
    match &result {
        Ok(()) => {
            let outcome = if changed { "changed" } else { "unchanged" };
            tracing::debug!(duration_us, outcome, "hook finished")
        }
        Err(e) if point == HookPoint::PostDelete => {
            tracing::warn!(duration_us, outcome = outcome(e), error = %e, "hook failed")
        }
        Err(e) => tracing::error!(duration_us, outcome = outcome(e), error = %e, "hook failed"),
    }
    Outcome {
        result,
        duration_us,
        values,
    }
}

fn outcome(e: &HookError) -> &'static str {
    if e.is_rejection() {
        "rejected"
    } else {
        "error"
    }
}

/// The `hookCalls` record of one call.
pub fn record(entry: &Entry, point: HookPoint, duration_us: u64, changed: bool) -> HookCall {
    HookCall {
        name: entry.name.clone(),
        kind: entry.kind.as_str().to_string(),
        origin: entry.origin.clone(),
        point: point.as_str().to_string(),
        duration_us,
        changed,
    }
}

/// The checks run after every `mutate_config` (hooks.md §5): absolute mount destinations and
/// device paths, device types `c`, `b`, `u` or `p`, and `=` in every env entry.
pub fn check_invariants(spec: &Spec) -> Result<(), String> {
    for (i, m) in spec.mounts().iter().flatten().enumerate() {
        if !m.destination().is_absolute() {
            return Err(format!(
                "mounts[{i}].destination {:?} is not absolute",
                m.destination().display().to_string()
            ));
        }
    }
    if let Some(linux) = spec.linux() {
        for (i, d) in linux.devices().iter().flatten().enumerate() {
            if !d.path().is_absolute() {
                return Err(format!(
                    "linux.devices[{i}].path {:?} is not absolute",
                    d.path().display().to_string()
                ));
            }
            if d.typ() == LinuxDeviceType::A {
                return Err(format!(
                    "linux.devices[{i}].type \"a\" is not one of c, b, u, p"
                ));
            }
        }
    }
    if let Some(p) = spec.process() {
        for (i, e) in p.env().iter().flatten().enumerate() {
            if !e.contains('=') {
                return Err(format!("process.env[{i}] {e:?} has no '='"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invariants_catch_relative_destination_and_bare_env() {
        let s: Spec = serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2", "mounts": [{"destination": "/ok"}, {"destination": ""}]
        }))
        .unwrap();
        assert_eq!(
            check_invariants(&s).unwrap_err(),
            "mounts[1].destination \"\" is not absolute"
        );
        let s: Spec = serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2", "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["A=1", "B"]}
        }))
        .unwrap();
        assert_eq!(
            check_invariants(&s).unwrap_err(),
            "process.env[1] \"B\" has no '='"
        );
    }
}
