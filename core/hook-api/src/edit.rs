//! The one implementation of the spec edits (hooks.md §10.3) shared by the Lua helpers and the
//! compiled plugins. Every edit replaces by key, so repeating it never duplicates anything.

use crate::error::HookError;
use crate::host::HostView;
use oci_spec::runtime::{
    Linux, LinuxDevice, LinuxDeviceCgroup, LinuxDeviceType, LinuxResources, Mount, Process, Spec,
};
use serde::de::DeserializeOwned;

/// Default options of a bind added through `add_mount`.
pub const DEFAULT_BIND_OPTIONS: [&str; 4] = ["rbind", "nosuid", "nodev", "ro"];

/// A mount to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMount {
    pub source: String,
    pub destination: String,
    /// Defaults to `bind`.
    pub typ: Option<String>,
    /// Default to `DEFAULT_BIND_OPTIONS`.
    pub options: Option<Vec<String>>,
}

/// Options of `add_device`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceOpts {
    /// Path in the container (default: the host path).
    pub path: Option<String>,
    /// Cgroup access, a non-empty subset of `rwm` (default `rwm`).
    pub permissions: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub filemode: Option<u32>,
}

/// A value with every serde default (all optional members absent), unlike oci-spec's `Default`.
fn empty<T: DeserializeOwned>(seed: serde_json::Value) -> T {
    serde_json::from_value(seed).expect("an empty oci-spec object deserialises")
}

fn linux(spec: &mut Spec) -> &mut Linux {
    spec.linux_mut()
        .get_or_insert_with(|| empty(serde_json::json!({})))
}

fn resources(spec: &mut Spec) -> &mut LinuxResources {
    linux(spec)
        .resources_mut()
        .get_or_insert_with(|| empty(serde_json::json!({})))
}

fn process(spec: &mut Spec) -> &mut Process {
    spec.process_mut()
        .get_or_insert_with(|| empty(serde_json::json!({"cwd": "/", "user": {"uid": 0, "gid": 0}})))
}

/// Adds or replaces (same destination, in place) a mount. The destination must be absolute; a
/// bind's source must be absolute and exist on the host.
pub fn add_mount(spec: &mut Spec, m: NewMount, host: &dyn HostView) -> Result<(), HookError> {
    if !m.destination.starts_with('/') {
        return Err(HookError::failed(format!(
            "mount destination {:?} is not absolute",
            m.destination
        )));
    }
    let typ = m.typ.unwrap_or_else(|| "bind".to_string());
    if typ == "bind" {
        if !m.source.starts_with('/') {
            return Err(HookError::failed(format!(
                "bind source {:?} is not absolute",
                m.source
            )));
        }
        if !host.exists(&m.source) {
            return Err(HookError::failed(format!(
                "bind source {} does not exist",
                m.source
            )));
        }
    }
    let options = m
        .options
        .unwrap_or_else(|| DEFAULT_BIND_OPTIONS.iter().map(|s| s.to_string()).collect());
    let mut mount: Mount = empty(serde_json::json!({"destination": m.destination}));
    mount.set_typ(Some(typ));
    mount.set_source(Some(m.source.into()));
    mount.set_options(Some(options));
    put_mount(spec, mount);
    Ok(())
}

/// Replaces the mount at the same destination in place, or appends it.
pub fn put_mount(spec: &mut Spec, mount: Mount) {
    let mounts = spec.mounts_mut().get_or_insert_with(Vec::new);
    match mounts
        .iter_mut()
        .find(|x| x.destination() == mount.destination())
    {
        Some(slot) => *slot = mount,
        None => mounts.push(mount),
    }
}

/// Removes every mount at `destination`; returns how many went.
pub fn remove_mount(spec: &mut Spec, destination: &str) -> usize {
    let Some(mounts) = spec.mounts_mut() else {
        return 0;
    };
    let before = mounts.len();
    mounts.retain(|m| m.destination().as_os_str() != destination);
    before - mounts.len()
}

fn check_permissions(p: &str) -> Result<(), HookError> {
    let ok = !p.is_empty()
        && p.chars().all(|c| "rwm".contains(c))
        && p.chars().collect::<std::collections::BTreeSet<_>>().len() == p.len();
    if ok {
        Ok(())
    } else {
        Err(HookError::failed(format!(
            "device permissions {p:?} are not a non-empty subset of \"rwm\""
        )))
    }
}

/// Stats `host_path` (following symlinks; it must be a char or block device) and sets the
/// device at `opts.path` (default the host path) with its cgroup allow rule.
pub fn add_device(
    spec: &mut Spec,
    host: &dyn HostView,
    host_path: &str,
    opts: DeviceOpts,
) -> Result<(), HookError> {
    let permissions = opts.permissions.unwrap_or_else(|| "rwm".to_string());
    check_permissions(&permissions)?;
    let st = host
        .stat(host_path)
        .map_err(HookError::failed)?
        .ok_or_else(|| HookError::failed(format!("device {host_path} does not exist")))?;
    let typ = match st.kind.as_str() {
        "char" => LinuxDeviceType::C,
        "block" => LinuxDeviceType::B,
        _ => {
            return Err(HookError::failed(format!(
                "{host_path} is not a character or block device"
            )));
        }
    };
    let path = opts.path.unwrap_or_else(|| host_path.to_string());
    if !path.starts_with('/') {
        return Err(HookError::failed(format!(
            "device path {path:?} is not absolute"
        )));
    }
    let mut dev: LinuxDevice = empty(serde_json::json!({"path": path, "type": "c"}));
    dev.set_typ(typ);
    dev.set_major(st.major.unwrap_or(0) as i64);
    dev.set_minor(st.minor.unwrap_or(0) as i64);
    dev.set_file_mode(Some(opts.filemode.unwrap_or(st.mode)));
    dev.set_uid(Some(opts.uid.unwrap_or(st.uid)));
    dev.set_gid(Some(opts.gid.unwrap_or(st.gid)));
    put_device(spec, dev, Some(&permissions));
    Ok(())
}

/// Sets the device at its path (replacing one with the same path) and, for `b` and `c`
/// devices with `permissions`, adds the cgroup allow rule unless an identical one exists.
pub fn put_device(spec: &mut Spec, dev: LinuxDevice, permissions: Option<&str>) {
    let rule = match (dev.typ(), permissions) {
        (LinuxDeviceType::B | LinuxDeviceType::C, Some(p)) => {
            let mut r: LinuxDeviceCgroup = empty(serde_json::json!({"allow": true}));
            r.set_typ(Some(dev.typ()));
            r.set_major(Some(dev.major()));
            r.set_minor(Some(dev.minor()));
            r.set_access(Some(p.to_string()));
            Some(r)
        }
        _ => None,
    };
    let devices = linux(spec).devices_mut().get_or_insert_with(Vec::new);
    match devices.iter_mut().find(|d| d.path() == dev.path()) {
        Some(slot) => *slot = dev,
        None => devices.push(dev),
    }
    if let Some(rule) = rule {
        let rules = resources(spec).devices_mut().get_or_insert_with(Vec::new);
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
}

fn check_key(key: &str) -> Result<(), HookError> {
    if key.is_empty() || key.contains('=') {
        Err(HookError::failed(format!(
            "environment variable name {key:?} is empty or contains '='"
        )))
    } else {
        Ok(())
    }
}

/// Replaces `KEY=…` in `process.env` in place, or appends it.
pub fn set_env(spec: &mut Spec, key: &str, value: &str) -> Result<(), HookError> {
    check_key(key)?;
    let entry = format!("{key}={value}");
    let env = process(spec).env_mut().get_or_insert_with(Vec::new);
    let prefix = format!("{key}=");
    match env.iter_mut().find(|e| e.starts_with(&prefix)) {
        Some(slot) => *slot = entry,
        None => env.push(entry),
    }
    Ok(())
}

/// The value of `key` in `process.env`, if set.
pub fn get_env(spec: &Spec, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    spec.process()
        .as_ref()?
        .env()
        .as_ref()?
        .iter()
        .find_map(|e| e.strip_prefix(&prefix).map(str::to_string))
}

/// Removes every entry for `key`; true when one was removed.
pub fn unset_env(spec: &mut Spec, key: &str) -> bool {
    let prefix = format!("{key}=");
    let Some(env) = spec
        .process_mut()
        .as_mut()
        .and_then(|p| p.env_mut().as_mut())
    else {
        return false;
    };
    let before = env.len();
    env.retain(|e| !e.starts_with(&prefix));
    env.len() != before
}

/// Sets `annotations[key]`; returns the previous value.
pub fn add_annotation(spec: &mut Spec, key: &str, value: &str) -> Option<String> {
    spec.annotations_mut()
        .get_or_insert_with(Default::default)
        .insert(key.to_string(), value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RealHost;

    fn spec() -> Spec {
        serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2", "root": {"path": "/r"}}))
            .unwrap()
    }

    #[test]
    fn env_edits_replace_by_key() {
        let mut s = spec();
        set_env(&mut s, "TZ", "UTC").unwrap();
        set_env(&mut s, "TZ", "CET").unwrap();
        assert_eq!(
            s.process().as_ref().unwrap().env().as_ref().unwrap(),
            &["TZ=CET"]
        );
        assert_eq!(get_env(&s, "TZ").as_deref(), Some("CET"));
        assert!(unset_env(&mut s, "TZ"));
        assert!(!unset_env(&mut s, "TZ"));
        assert!(set_env(&mut s, "A=B", "x").is_err());
    }

    #[test]
    fn mounts_replace_by_destination() {
        let mut s = spec();
        let m = NewMount {
            source: "/etc".into(),
            destination: "/host-etc".into(),
            ..Default::default()
        };
        add_mount(&mut s, m.clone(), &RealHost).unwrap();
        add_mount(&mut s, m, &RealHost).unwrap();
        assert_eq!(s.mounts().as_ref().unwrap().len(), 1);
        let bad = NewMount {
            source: "/nonexistent-x".into(),
            destination: "/y".into(),
            ..Default::default()
        };
        assert!(add_mount(&mut s, bad, &RealHost).is_err());
        assert_eq!(remove_mount(&mut s, "/host-etc"), 1);
    }

    #[test]
    fn device_adds_rule_once() {
        let mut s = spec();
        add_device(&mut s, &RealHost, "/dev/null", DeviceOpts::default()).unwrap();
        add_device(&mut s, &RealHost, "/dev/null", DeviceOpts::default()).unwrap();
        let l = s.linux().as_ref().unwrap();
        assert_eq!(l.devices().as_ref().unwrap().len(), 1);
        let rules = l.resources().as_ref().unwrap().devices().as_ref().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].major(), Some(1));
        let bad = DeviceOpts {
            permissions: Some("rx".into()),
            ..Default::default()
        };
        assert!(add_device(&mut s, &RealHost, "/dev/null", bad).is_err());
        assert!(add_device(&mut s, &RealHost, "/etc/passwd", DeviceOpts::default()).is_err());
    }

    #[test]
    fn annotation_returns_previous() {
        let mut s = spec();
        assert_eq!(add_annotation(&mut s, "k", "1"), None);
        assert_eq!(add_annotation(&mut s, "k", "2").as_deref(), Some("1"));
    }
}
