//! Applying CDI container edits to the spec (hooks.md §13.1 table): env by key, device nodes
//! filled from the host when needed with their cgroup rules, mounts by destination and then
//! sorted by depth, OCI hooks per stage, additional gids. Unsupported edits are refused.

use crate::spec::{CdiHook, Edits, STAGES};
use sifter_hook_api::oci_spec::runtime::{
    Hook as OciHook, Hooks, LinuxDevice, LinuxDeviceType, Mount, Spec,
};
use sifter_hook_api::{HookError, HostView, edit};

fn fail(msg: String) -> HookError {
    HookError::failed(msg)
}

fn device_type(t: &str) -> Option<LinuxDeviceType> {
    Some(match t {
        "c" => LinuxDeviceType::C,
        "b" => LinuxDeviceType::B,
        "u" => LinuxDeviceType::U,
        "p" => LinuxDeviceType::P,
        _ => return None,
    })
}

fn host_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "char" => "c",
        "block" => "b",
        "fifo" => "p",
        _ => return None,
    })
}

/// Applies one edits block from `file` (for device `device`).
pub fn apply(
    spec: &mut Spec,
    host: &dyn HostView,
    e: &Edits,
    file: &str,
    device: &str,
) -> Result<(), HookError> {
    if e.intel_rdt.is_some() || e.net_devices.is_some() {
        let what = if e.intel_rdt.is_some() {
            "intelRdt"
        } else {
            "netDevices"
        };
        return Err(fail(format!(
            "{file}: device {device} uses {what}, which sifter does not support"
        )));
    }
    for kv in &e.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| fail(format!("{file}: env entry {kv:?} has no '='")))?;
        edit::set_env(spec, k, v)?;
    }
    let (puid, pgid) = spec
        .process()
        .as_ref()
        .map(|p| (p.user().uid(), p.user().gid()))
        .unwrap_or((0, 0));
    for n in &e.device_nodes {
        let host_path = n.host_path.clone().unwrap_or_else(|| n.path.clone());
        let declared = n.typ.as_deref();
        let (mut typ, mut major, mut minor) = (
            declared.map(str::to_string),
            n.major.unwrap_or(0),
            n.minor.unwrap_or(0),
        );
        if declared.is_none() || (major == 0 && declared != Some("p")) {
            let st = host.stat(&host_path).map_err(fail)?.ok_or_else(|| {
                fail(format!(
                    "{file}: device node {host_path} does not exist on the host"
                ))
            })?;
            let ht = host_type(&st.kind)
                .ok_or_else(|| fail(format!("{file}: {host_path} is not a device node")))?;
            if let Some(d) = declared
                && d != ht
                && !(d == "u" && ht == "c")
            {
                return Err(fail(format!(
                    "{file}: device node {host_path} is type {ht} on the host, not {d}"
                )));
            }
            typ = Some(declared.unwrap_or(ht).to_string());
            major = st.major.unwrap_or(0) as i64;
            minor = st.minor.unwrap_or(0) as i64;
        }
        let t = typ.unwrap_or_default();
        let lt = device_type(&t)
            .ok_or_else(|| fail(format!("{file}: device node {} has type {t:?}", n.path)))?;
        let mut dev: LinuxDevice =
            serde_json::from_value(serde_json::json!({"path": n.path, "type": t}))
                .map_err(|e| fail(format!("{file}: device node {}: {e}", n.path)))?;
        dev.set_major(major);
        dev.set_minor(minor);
        dev.set_file_mode(n.file_mode);
        dev.set_uid(n.uid.or((puid != 0).then_some(puid)));
        dev.set_gid(n.gid.or((pgid != 0).then_some(pgid)));
        let perms = n.permissions.clone().unwrap_or_else(|| "rwm".to_string());
        let rule = matches!(lt, LinuxDeviceType::B | LinuxDeviceType::C).then_some(perms.as_str());
        edit::put_device(spec, dev, rule);
    }
    for m in &e.mounts {
        let mut mount: Mount =
            serde_json::from_value(serde_json::json!({"destination": m.container_path}))
                .map_err(|e| fail(format!("{file}: mount {}: {e}", m.container_path)))?;
        mount.set_source(Some(m.host_path.clone().into()));
        mount.set_options(m.options.clone());
        mount.set_typ(m.typ.clone());
        edit::put_mount(spec, mount);
    }
    for h in &e.hooks {
        add_hook(spec, h, file)?;
    }
    if !e.additional_gids.is_empty()
        && let Some(p) = spec.process_mut()
    {
        let user = p.user_mut();
        let mut gids = user.additional_gids().clone().unwrap_or_default();
        for g in &e.additional_gids {
            if *g != 0 && !gids.contains(g) {
                gids.push(*g);
            }
        }
        user.set_additional_gids(Some(gids));
    }
    Ok(())
}

fn add_hook(spec: &mut Spec, h: &CdiHook, file: &str) -> Result<(), HookError> {
    if !STAGES.contains(&h.hook_name.as_str()) {
        return Err(fail(format!(
            "{file}: unknown hookName {:?} (one of {})",
            h.hook_name,
            STAGES.join(", ")
        )));
    }
    let hook: OciHook = serde_json::from_value(serde_json::json!({
        "path": h.path, "args": h.args, "env": h.env, "timeout": h.timeout,
    }))
    .map_err(|e| fail(format!("{file}: hook {}: {e}", h.path)))?;
    let hooks: &mut Hooks = spec
        .hooks_mut()
        .get_or_insert_with(|| serde_json::from_value(serde_json::json!({})).expect("empty hooks"));
    #[allow(deprecated)]
    let list = match h.hook_name.as_str() {
        "prestart" => hooks.prestart_mut(),
        "createRuntime" => hooks.create_runtime_mut(),
        "createContainer" => hooks.create_container_mut(),
        "startContainer" => hooks.start_container_mut(),
        "poststart" => hooks.poststart_mut(),
        _ => hooks.poststop_mut(),
    };
    // An identical hook is not added twice, so re-running the chain changes nothing.
    let list = list.get_or_insert_with(Vec::new);
    if !list.contains(&hook) {
        list.push(hook);
    }
    Ok(())
}

/// Number of `/` in the cleaned destination.
pub fn depth(dest: &str) -> usize {
    let mut parts: Vec<&str> = Vec::new();
    for c in dest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.len()
}

/// Sorts all mounts by depth, then destination.
pub fn sort_mounts(spec: &mut Spec) {
    if let Some(m) = spec.mounts_mut() {
        m.sort_by(|a, b| {
            let (da, db) = (
                a.destination().display().to_string(),
                b.destination().display().to_string(),
            );
            (depth(&da), da).cmp(&(depth(&db), db))
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn depth_of_clean_paths() {
        assert_eq!(super::depth("/"), 0);
        assert_eq!(super::depth("/usr/bin/"), 2);
        assert_eq!(super::depth("/a/./b/../c"), 2);
    }
}
