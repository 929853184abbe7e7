//! Where the lifecycle meets the hooks (hooks.md §1, §2): the invocation a hook sees, the OCI
//! state for `pre_start` and `post_delete`, and the failure policy of each point.

use crate::store::Record;
use crate::{ContainerId, Engine, Result};
use oci_spec::runtime::{ContainerState, State, StateBuilder};
use sifter_hook_api::ImageInfo;
use sifter_hooks::{HookCall, Invocation};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The inputs hooks see for container `id` on `bundle` (image info from the mount record).
pub fn invocation(
    engine: &Engine,
    id: &ContainerId,
    bundle: &Path,
    devices: &[String],
) -> Invocation {
    let image = match sifter_bundle::read_record(bundle) {
        Ok(Some(r)) => Some(ImageInfo {
            sif_path: r.sif_path().display().to_string(),
            sif_id: r.sif_id().to_string(),
            labels: r.labels().clone(),
            arch: r.arch().to_string(),
        }),
        Ok(None) => None,
        Err(e) => {
            engine.warn(format!(
                "ignoring the mount record of {}: {e}",
                bundle.display()
            ));
            None
        }
    };
    Invocation {
        id: id.to_string(),
        bundle: bundle.to_path_buf(),
        devices: devices.to_vec(),
        image,
        user: None,
        extra_annotations: BTreeMap::new(),
    }
}

/// The OCI state handed to `pre_start` (created, with the PID) and `post_delete` (stopped).
pub fn oci_state(engine: &Engine, id: &ContainerId, rec: &Record, status: ContainerState) -> State {
    let annotations: Option<HashMap<String, String>> =
        std::fs::read(engine.store.private_bundle(id).join("config.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("annotations").cloned())
            .and_then(|a| serde_json::from_value(a).ok());
    let mut b = StateBuilder::default()
        .version(oci_spec::runtime::VERSION)
        .id(id.to_string())
        .status(status)
        .bundle(rec.bundle.clone());
    if status != ContainerState::Stopped && rec.pids.pid > 0 {
        b = b.pid(rec.pids.pid);
    }
    if let Some(a) = annotations {
        b = b.annotations(a);
    }
    b.build().expect("every field has a default")
}

/// `pre_start`: a registry that fails to load, or the first hook error, fails the start.
pub fn pre_start(engine: &Engine, id: &ContainerId, rec: &Record) -> Result<Vec<HookCall>> {
    let registry = engine.registry()?;
    if !registry.has_point(sifter_hooks::HookPoint::PreStart) {
        return Ok(Vec::new());
    }
    let inv = invocation(engine, id, &rec.bundle, &rec.devices);
    let state = oci_state(engine, id, rec, ContainerState::Created);
    Ok(registry.pre_start(&inv, &state)?)
}

/// True when a `pre_start` hook is registered now (then `run` cannot use the runtime's own
/// `run`). A registry that fails to load counts as "yes": the conmon path reports the error.
pub fn has_pre_start(engine: &Engine) -> bool {
    engine
        .registry()
        .map(|r| r.has_point(sifter_hooks::HookPoint::PreStart))
        .unwrap_or(true)
}

/// `post_delete`: every hook runs; load errors and hook errors become WARNINGs.
pub fn post_delete(engine: &Engine, id: &ContainerId, rec: &Record) {
    let registry = match engine.registry() {
        Ok(r) => r,
        Err(e) => {
            engine.warn(format!(
                "skipping post_delete hooks of container \"{id}\": {e}"
            ));
            return;
        }
    };
    // hooks.md §1: a hook that ran at pre_start but is gone (or disabled) now cannot clean up.
    let ran: std::collections::BTreeSet<&str> = rec
        .hook_calls
        .iter()
        .filter(|c| c.get("point").and_then(|p| p.as_str()) == Some("pre_start"))
        .filter_map(|c| c.get("name").and_then(|n| n.as_str()))
        .collect();
    for name in ran {
        let present = registry
            .entries()
            .iter()
            .any(|e| e.name == name && e.enabled);
        if !present {
            engine.warn(format!(
                "hook \"{name}\" ran at pre_start of container \"{id}\" but is no longer registered; its post_delete cannot run"
            ));
        }
    }
    if !registry.has_point(sifter_hooks::HookPoint::PostDelete) {
        return;
    }
    let inv = invocation(engine, id, &rec.bundle, &rec.devices);
    let state = oci_state(engine, id, rec, ContainerState::Stopped);
    let (_calls, errors) = registry.post_delete(&inv, &state);
    for e in errors {
        engine.warn(e.to_string());
    }
}
