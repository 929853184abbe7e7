//! Unit tests of the `cdi` hook against a fixture host (hooks.md §14 #16).

use super::*;
use sifter_hook_api::harness::{FixtureHost, HookHarness};
use sifter_hook_api::{ContextParts, UserInfo};

const NVIDIA_JSON: &str = r#"{"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu",
  "containerEdits": {"env": ["NVIDIA_VISIBLE_DEVICES=void"], "deviceNodes": [{"path": "/dev/nvidiactl"}],
    "mounts": [{"hostPath": "/usr/bin/nvidia-smi", "containerPath": "/usr/bin/nvidia-smi", "options": ["ro", "bind"]}],
    "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk", "args": ["nvidia-ctk", "hook", "update-ldcache"]}]},
  "devices": [
    {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}},
    {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1", "type": "c", "major": 195, "minor": 1, "permissions": "rw"}]}},
    {"name": "all", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}, {"path": "/dev/nvidia1"}]}}
  ]}"#;

const VENDOR_YAML: &str = "cdiVersion: 0.6.0\nkind: vendor.com/dev\nannotations:\n  a: b\ndevices:\n- name: x\n  containerEdits:\n    env: [VENDOR=yaml]\n    mounts:\n    - {hostPath: /opt/v, containerPath: /opt/v/lib/deep, type: bind}\n    - {hostPath: /opt/w, containerPath: /a}\n";

fn host() -> FixtureHost {
    FixtureHost::new()
        .dir("/etc/cdi", 0o755)
        .file("/etc/cdi/nvidia.json", NVIDIA_JSON)
        .file("/etc/cdi/vendor.yaml", VENDOR_YAML)
        .char_dev("/dev/nvidiactl", 195, 255)
        .char_dev("/dev/nvidia0", 195, 0)
        .char_dev("/dev/nvidia1", 195, 1)
}

fn harness(devices: &[&str], settings: serde_json::Value) -> HookHarness {
    HookHarness::new(ContextParts {
        sifter_version: "0.1.0".into(),
        container_id: "c".into(),
        bundle: "/b".into(),
        rootfs: "/b/rootfs".into(),
        annotations: Default::default(),
        devices: devices.iter().map(|s| s.to_string()).collect(),
        image: None,
        user: UserInfo {
            uid: 0,
            gid: 0,
            name: "root".into(),
            groups: vec![0],
            via_sudo: false,
        },
        settings,
        state: None,
    })
}

fn base() -> Spec {
    serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2",
        "process": {"cwd": "/", "user": {"uid": 1000, "gid": 1000}, "args": ["sh"]},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/dev/shm", "type": "tmpfs", "source": "shm"}]}))
    .unwrap()
}

fn run(
    h: FixtureHost,
    devices: &[&str],
    settings: serde_json::Value,
) -> Result<serde_json::Value, HookError> {
    let mut s = base();
    harness(devices, settings).mutate(&Cdi::with_host(Arc::new(h)), &mut s)?;
    Ok(serde_json::to_value(&s).unwrap())
}

fn msg(r: Result<serde_json::Value, HookError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn no_requests_reads_nothing() {
    // a broken spec dir would fail any request; none is made
    let h = FixtureHost::new().dir("/etc/cdi", 0o777);
    assert_eq!(
        run(h, &[], serde_json::json!({})).unwrap(),
        serde_json::to_value(base()).unwrap()
    );
}

#[test]
fn json_device_with_host_filled_nodes_hooks_and_mounts() {
    let v = run(
        host(),
        &["nvidia.com/gpu=0", "nvidia.com/gpu=1"],
        serde_json::json!({}),
    )
    .unwrap();
    let devs = v["linux"]["devices"].as_array().unwrap();
    let paths: Vec<&str> = devs.iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/dev/nvidiactl", "/dev/nvidia0", "/dev/nvidia1"]);
    assert_eq!(
        (devs[1]["major"].as_i64(), devs[1]["minor"].as_i64()),
        (Some(195), Some(0))
    );
    assert_eq!(devs[0]["uid"], 1000);
    let rules = v["linux"]["resources"]["devices"].as_array().unwrap();
    assert_eq!(rules[2]["access"], "rw");
    assert_eq!(
        v["process"]["env"],
        serde_json::json!(["NVIDIA_VISIBLE_DEVICES=void"])
    );
    assert_eq!(
        v["hooks"]["createContainer"][0]["path"],
        "/usr/bin/nvidia-ctk"
    );
    let dests: Vec<&str> = v["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["destination"].as_str().unwrap())
        .collect();
    assert_eq!(dests, ["/proc", "/dev/shm", "/usr/bin/nvidia-smi"]);
}

#[test]
fn yaml_and_annotation_requests_and_depth_sort() {
    let mut s = base();
    sifter_hook_api::edit::add_annotation(&mut s, "cdi.k8s.io/x", "vendor.com/dev=x");
    harness(&[], serde_json::json!({}))
        .mutate(&Cdi::with_host(Arc::new(host())), &mut s)
        .unwrap();
    let v = serde_json::to_value(&s).unwrap();
    let dests: Vec<&str> = v["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["destination"].as_str().unwrap())
        .collect();
    assert_eq!(dests, ["/a", "/proc", "/dev/shm", "/opt/v/lib/deep"]);
    assert_eq!(v["process"]["env"], serde_json::json!(["VENDOR=yaml"]));
}

#[test]
fn later_directory_overrides_and_conflicts_are_named() {
    let over = r#"{"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu", "devices": [{"name": "1", "containerEdits": {"env": ["OVER=1"]}}]}"#;
    let h = host()
        .dir("/var/run/cdi", 0o755)
        .file("/var/run/cdi/over.json", over);
    let v = run(h.clone(), &["nvidia.com/gpu=1"], serde_json::json!({})).unwrap();
    assert_eq!(v["process"]["env"], serde_json::json!(["OVER=1"]));
    let h = h.file("/var/run/cdi/over2.json", over);
    assert_eq!(
        msg(run(h, &["nvidia.com/gpu=1"], serde_json::json!({}))),
        "CDI device \"nvidia.com/gpu=1\" is defined in both /var/run/cdi/over.json and /var/run/cdi/over2.json"
    );
}

#[test]
fn unresolvable_lists_what_was_searched() {
    assert_eq!(
        msg(run(host(), &["nvidia.com/gpu=7"], serde_json::json!({}))),
        "unresolvable CDI device \"nvidia.com/gpu=7\"; searched /etc/cdi (nvidia.json, vendor.yaml), /var/run/cdi (missing); nvidia.com/gpu offers: 0, 1, all"
    );
    assert_eq!(
        msg(run(host(), &["nvidia.com/gpu"], serde_json::json!({}))),
        "invalid CDI device name \"nvidia.com/gpu\" in --device"
    );
}

#[test]
fn newer_feature_and_intel_rdt_and_trust_are_refused() {
    let old = r#"{"cdiVersion": "0.3.0", "kind": "x.com/y", "devices": [{"name": "a", "containerEdits": {"additionalGids": [5]}}]}"#;
    let h = host().file("/etc/cdi/old.json", old);
    let e = msg(run(h, &["nvidia.com/gpu=0"], serde_json::json!({})));
    assert_eq!(
        e,
        "invalid CDI spec /etc/cdi/old.json: uses additionalGids, which needs cdiVersion 0.7.0 or later, but declares 0.3.0"
    );
    let rdt = r#"{"cdiVersion": "0.7.0", "kind": "x.com/y", "devices": [{"name": "a", "containerEdits": {"intelRdt": {"closID": "x"}}}]}"#;
    let e = msg(run(
        host().file("/etc/cdi/rdt.json", rdt),
        &["x.com/y=a"],
        serde_json::json!({}),
    ));
    assert_eq!(
        e,
        "/etc/cdi/rdt.json: device x.com/y=a uses intelRdt, which sifter does not support"
    );
    let e = msg(run(
        host().chmod("/etc/cdi/nvidia.json", 0o664),
        &["nvidia.com/gpu=0"],
        serde_json::json!({}),
    ));
    assert_eq!(
        e,
        "refusing /etc/cdi/nvidia.json: writable by group (mode 0664)"
    );
    let e = msg(run(
        host().chmod("/etc/cdi", 0o777),
        &["nvidia.com/gpu=0"],
        serde_json::json!({}),
    ));
    assert_eq!(e, "refusing /etc/cdi: writable by group (mode 0777)");
}

#[test]
fn settings_are_strict_and_dirs_configurable() {
    let e = run(
        host(),
        &["nvidia.com/gpu=0"],
        serde_json::json!({"spec_dir": []}),
    )
    .unwrap_err();
    assert!(matches!(e, HookError::InvalidSettings { .. }), "{e:?}");
    let e = msg(run(
        host(),
        &["nvidia.com/gpu=0"],
        serde_json::json!({"spec_dirs": ["/nowhere"]}),
    ));
    assert!(e.contains("searched /nowhere (missing)"), "{e}");
}

#[test]
fn repeated_application_is_idempotent() {
    let mut s = base();
    let h = harness(&["nvidia.com/gpu=all"], serde_json::json!({}));
    let cdi = Cdi::with_host(Arc::new(host()));
    h.mutate(&cdi, &mut s).unwrap();
    let once = s.clone();
    h.mutate(&cdi, &mut s).unwrap();
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        serde_json::to_value(&once).unwrap()
    );
}
