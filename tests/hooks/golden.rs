//! Golden configs (hooks.md §14 #1, #9): each shipped Lua script and compiled plugin, alone and
//! all together, on the busybox bundle config; the result is snapshotted, and a second run on
//! the result changes nothing.

use super::*;
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use sifter_hook_api::ImageInfo;
use sifter_hook_api::harness::FixtureHost;
use sifter_plugin_bind_policy::BindPolicy;
use sifter_plugin_cdi::Cdi;

fn assert_golden(hx: &Hx, name: &str, r: &Registry, inv: &Invocation) -> Effective {
    let eff = build(r, inv).unwrap();
    insta::assert_snapshot!(name, text(&eff));
    assert_idempotent(hx, r, inv, &eff);
    eff
}

#[test]
fn site_env_golden() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let toml = "[plugins.site-env]\nset = { TZ = \"Europe/Zurich\", LANG = \"C.UTF-8\" }\nunset = [\"TERM\"]\n\
                prepend = { PATH = \"/opt/site/bin\" }\nappend = { MANPATH = \"/opt/site/man\" }\n";
    let r = registry(vec![lua(&shipped("site-env"))], toml);
    let eff = assert_golden(&hx, "golden_site_env", &r, &inv(&b));
    assert_eq!(eff.changed, ["site-env"]);
}

#[test]
fn deny_privileged_golden_and_refusals() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let r = registry(vec![lua(&shipped("deny-privileged"))], "");
    let eff = assert_golden(&hx, "golden_deny_privileged", &r, &inv(&b));
    assert!(eff.changed.is_empty());
    hx.edit_config(&b, |v| {
        v["process"]["capabilities"]["ambient"] = serde_json::json!(["CAP_SYS_ADMIN"]);
        v["process"]["capabilities"]["bounding"]
            .as_array_mut()
            .unwrap()
            .push("CAP_SYS_PTRACE".into());
    });
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    assert_eq!(
        e,
        "container job-1 rejected by hook deny-privileged: capabilities not allowed: CAP_SYS_PTRACE in bounding, CAP_SYS_ADMIN in ambient"
    );
    let r2 = registry(
        vec![lua(&shipped("deny-privileged"))],
        "[plugins.deny-privileged]\nallow_caps = [\"CAP_SYS_PTRACE\", \"CAP_SYS_ADMIN\"]\n",
    );
    assert!(build(&r2, &inv(&b)).is_ok());
    // root is exempt by default
    let root = Invocation {
        user: Some(user(0, "root")),
        ..inv(&b)
    };
    assert!(build(&r, &root).is_ok());
    hx.edit_config(&b, |v| {
        v["process"]["capabilities"]["ambient"] = serde_json::json!([]);
        v["process"]["capabilities"]["bounding"]
            .as_array_mut()
            .unwrap()
            .pop();
        v["hooks"] = serde_json::json!({"prestart": [{"path": "/tmp/evil"}]});
    });
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    assert!(
        e.ends_with("OCI hook /tmp/evil in hooks.prestart is not allowed (allow_oci_hooks)"),
        "{e}"
    );
}

#[test]
fn deny_privileged_default_set_is_the_mount_default() {
    let script = std::fs::read_to_string(shipped("deny-privileged")).unwrap();
    let start = script.find("local DEFAULT_CAPS = {").unwrap();
    let block = &script[start..start + script[start..].find('}').unwrap()];
    let listed: Vec<&str> = block.split('"').skip(1).step_by(2).collect();
    let fixture: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("tests/fixtures/hooks/busybox-config.json")).unwrap(),
    )
    .unwrap();
    let want: Vec<&str> = fixture["process"]["capabilities"]["bounding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(listed, want);
}

/// The fixture is byte for byte what `oci mount` writes for busybox (oci-reference.md §4.5):
/// `sifter_bundle::config` for its image config `{"Env": [PATH], "Cmd": ["sh"]}`.
#[test]
fn fixture_is_the_config_oci_mount_writes() {
    let image = sifter_bundle::image_config::ImageConfig {
        cmd: vec!["sh".into()],
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
        ..Default::default()
    };
    let host = sifter_bundle::config::HostInfo {
        bundle: FIXTURE_BUNDLE.into(),
        entry_point: None,
        passwd: None,
    };
    let spec = sifter_bundle::config::generate(&image, &host).spec;
    let written = String::from_utf8(sifter_bundle::config::to_bytes(&spec)).unwrap();
    let fixture =
        std::fs::read_to_string(repo_root().join("tests/fixtures/hooks/busybox-config.json"))
            .unwrap();
    assert_eq!(written, fixture);
}

#[test]
fn label_annotations_golden() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let r = registry(vec![lua(&shipped("label-annotations"))], "");
    let mut labels = serde_json::Map::new();
    labels.insert("org.label-schema.usage".into(), "sh".into());
    labels.insert("maintainer".into(), "ops@example.org".into());
    let with_image = Invocation {
        image: Some(ImageInfo {
            sif_path: "/images/busybox_amd64.sif".into(),
            sif_id: "4f307b4c-58a8-4753-9c0f-21dceefed4a6".into(),
            labels,
            arch: "amd64".into(),
        }),
        ..inv(&b)
    };
    hx.edit_config(&b, |v| {
        v["annotations"] = serde_json::json!({"org.sifter.label.maintainer": "kept"})
    });
    assert_golden(&hx, "golden_label_annotations", &r, &with_image);
    let eff = build(&r, &inv(&b)).unwrap();
    assert!(eff.changed.is_empty(), "no image: nothing to copy");
}

/// A fake NVIDIA host under `<tmp>/gpu`: device nodes with the NVIDIA majors, driver
/// information files (PCI order differs from minor order), libraries and a tool.
fn gpu_tree(hx: &Hx) -> (PathBuf, String) {
    let root = hx.dir("gpu");
    let dev = hx.dir("gpu/dev");
    hx.dir("gpu/dev/nvidia-caps");
    for (name, major, minor) in [
        ("nvidiactl", 195, 255),
        ("nvidia0", 195, 0),
        ("nvidia1", 195, 1),
        ("nvidia-modeset", 195, 254),
        ("nvidia-uvm", 511, 0),
        ("nvidia-uvm-tools", 511, 1),
        ("nvidia-caps/nvidia-cap1", 237, 1),
    ] {
        let p = dev.join(name);
        mknod(
            &p,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        )
        .unwrap();
        chmod(&p, 0o666);
    }
    for (pci, minor, uuid) in [
        ("0000:18:00.0", 1, "GPU-aaaa"),
        ("0000:3b:00.0", 0, "GPU-bbbb"),
    ] {
        let d = hx.dir(&format!("gpu/driver/gpus/{pci}"));
        hx.write(&d.join("information"), &format!("Model: \t\t Fake\nGPU UUID: \t {uuid}\nBus Location: \t {pci}\nDevice Minor: \t {minor}\n"), 0o644);
    }
    let lib = hx.dir("gpu/lib");
    for f in ["libnvidia-ml.so.1", "libcuda.so.1", "libunrelated.so.1"] {
        hx.write(&lib.join(f), "", 0o644);
    }
    let bin = hx.dir("gpu/bin");
    hx.write(&bin.join("nvidia-smi"), "", 0o755);
    let r = root.display();
    let toml = format!(
        "[plugins.gpu-binds]\ndev_dir = \"{r}/dev\"\ndriver_dir = \"{r}/driver\"\nlib_dirs = [\"{r}/lib\"]\nbin_dirs = [\"{r}/bin\"]\n"
    );
    (root, toml)
}

fn want_gpus(b: &Path, value: &str) -> Invocation {
    let mut i = inv(b);
    i.extra_annotations
        .insert("org.sifter.gpu.devices".into(), value.into());
    i
}

#[test]
fn gpu_binds_golden_on_a_fake_device_tree() {
    if !crate::support::privileged() {
        return; // mknod needs root
    }
    let hx = Hx::new();
    let b = hx.bundle("b");
    let (_, toml) = gpu_tree(&hx);
    let r = registry(vec![lua(&shipped("gpu-binds"))], &toml);
    let eff = assert_golden(&hx, "golden_gpu_binds_all", &r, &want_gpus(&b, "all"));
    let v: serde_json::Value = serde_json::from_slice(&eff.bytes).unwrap();
    let devices: Vec<&str> = v["linux"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        devices,
        [
            "/dev/nvidiactl",
            "/dev/nvidia-modeset",
            "/dev/nvidia-uvm",
            "/dev/nvidia-uvm-tools",
            "/dev/nvidia-caps/nvidia-cap1",
            "/dev/nvidia1",
            "/dev/nvidia0"
        ]
    );
    let rules = v["linux"]["resources"]["devices"].as_array().unwrap();
    assert_eq!(rules.len(), 8, "deny-all plus one allow rule per node");
    assert!(
        rules
            .iter()
            .any(|r| r["major"] == 195 && r["minor"] == 255 && r["allow"] == true)
    );
    // index 0 is the first GPU in PCI order, whose minor is 1
    let eff = build(&r, &want_gpus(&b, "0")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&eff.bytes).unwrap();
    let gpus: Vec<&str> = v["linux"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["path"].as_str())
        .filter(|p| p.trim_start_matches("/dev/nvidia").parse::<u32>().is_ok())
        .collect();
    assert_eq!(gpus, ["/dev/nvidia1"]);
    let eff = build(&r, &want_gpus(&b, "GPU-bbbb")).unwrap();
    assert!(text(&eff).contains("\"/dev/nvidia0\""));
    let none = build(&r, &want_gpus(&b, "none")).unwrap();
    assert!(
        !text(&none).contains("\"/dev/nvidia0\"") && text(&none).contains("\"/dev/nvidiactl\"")
    );
    let e = build(&r, &want_gpus(&b, "7")).unwrap_err().to_string();
    assert_eq!(
        e,
        "container job-1 rejected by hook gpu-binds: GPU 7 is not present on this host; available: 0 (GPU-aaaa), 1 (GPU-bbbb)"
    );
}

#[test]
fn gpu_binds_does_nothing_without_a_driver() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let empty = hx.dir("emptydev");
    let toml = format!("[plugins.gpu-binds]\ndev_dir = \"{}\"\n", empty.display());
    let r = registry(vec![lua(&shipped("gpu-binds"))], &toml);
    let eff = build(&r, &want_gpus(&b, "all")).unwrap();
    assert!(eff.changed.is_empty() && eff.provenance.is_empty());
    let plain = build(&registry(vec![], ""), &want_gpus(&b, "all")).unwrap();
    assert_eq!(text(&eff), text(&plain));
}

const NVIDIA_CDI: &str = r#"{"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu",
  "containerEdits": {"env": ["NVIDIA_CTK=1"], "deviceNodes": [{"path": "/dev/nvidiactl"}],
    "mounts": [{"hostPath": "/usr/bin/nvidia-smi", "containerPath": "/usr/bin/nvidia-smi", "options": ["ro", "nosuid", "nodev", "bind"]}],
    "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk", "args": ["nvidia-ctk", "hook", "update-ldcache"]}]},
  "devices": [{"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}}]}"#;

fn cdi_host() -> FixtureHost {
    FixtureHost::new()
        .dir("/etc/cdi", 0o755)
        .file("/etc/cdi/nvidia.json", NVIDIA_CDI)
        .char_dev("/dev/nvidiactl", 195, 255)
        .char_dev("/dev/nvidia0", 195, 0)
}

#[test]
fn cdi_golden_with_a_fixture_host() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let hook = || LoadedHook::compiled(Box::new(Cdi::with_host(Arc::new(cdi_host()))));
    let r = registry(vec![hook()], "");
    let i = Invocation {
        devices: vec!["nvidia.com/gpu=0".into()],
        ..inv(&b)
    };
    assert_golden(&hx, "golden_cdi", &r, &i);
    // no request: nothing changes, even with an empty host
    let empty = registry(
        vec![LoadedHook::compiled(Box::new(Cdi::with_host(Arc::new(
            FixtureHost::new(),
        ))))],
        "",
    );
    assert!(build(&empty, &inv(&b)).unwrap().changed.is_empty());
}

#[test]
fn bind_policy_golden_and_refusal() {
    let hx = Hx::new();
    let b = hx.bundle("b");
    let data = hx.dir("scratch/data");
    hx.edit_config(&b, |v| {
        v["mounts"].as_array_mut().unwrap().push(serde_json::json!({"destination": "/data", "type": "bind", "source": data, "options": ["rbind", "rw"]}));
    });
    let toml = format!(
        "[plugins.bind-policy]\nallow = [\"{}\"]\n",
        hx.path("scratch").display()
    );
    let hook = || LoadedHook::compiled(Box::new(BindPolicy));
    let r = registry(vec![hook()], &toml);
    let eff = assert_golden(&hx, "golden_bind_policy", &r, &inv(&b));
    assert!(eff.changed.is_empty());
    hx.edit_config(&b, |v| {
        v["mounts"].as_array_mut().unwrap().push(serde_json::json!({"destination": "/host-etc", "type": "bind", "source": "/etc", "options": ["rbind"]}));
    });
    let e = build(&r, &inv(&b)).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "container job-1 rejected by hook bind-policy: bind source /etc (destination /host-etc) is outside the allowed paths {}",
            hx.path("scratch").display()
        )
    );
}

#[test]
fn all_shipped_hooks_together_golden() {
    if !crate::support::privileged() {
        return; // mknod needs root
    }
    let hx = Hx::new();
    let b = hx.bundle("b");
    let (_, gpu_toml) = gpu_tree(&hx);
    let toml = format!(
        "{gpu_toml}[plugins.site-env]\nset = {{ TZ = \"UTC\" }}\n[plugins.bind-policy]\nallow = [\"{}\"]\n",
        hx.path("gpu").display()
    );
    let mut hooks = vec![
        LoadedHook::compiled(Box::new(BindPolicy)),
        LoadedHook::compiled(Box::new(Cdi::with_host(Arc::new(cdi_host())))),
    ];
    for name in [
        "deny-privileged",
        "gpu-binds",
        "label-annotations",
        "site-env",
    ] {
        hooks.push(lua(&shipped(name)));
    }
    let r = registry(hooks, &toml);
    let mut i = want_gpus(&b, "all");
    i.devices = vec!["nvidia.com/gpu=0".into()];
    // No idempotence check here: on a second pass bind-policy would police the binds that
    // cdi and gpu-binds added in the first (each hook alone is checked above).
    let eff = build(&r, &i).unwrap();
    insta::assert_snapshot!("golden_all_together", text(&eff));
    assert_eq!(
        order(&eff.calls),
        [
            "bind-policy",
            "deny-privileged",
            "cdi",
            "gpu-binds",
            "label-annotations",
            "site-env"
        ]
    );
    assert_eq!(eff.changed, ["cdi", "gpu-binds", "site-env"]);
}
