//! The mounted bundle works: schema-valid `config.json`, runc and crun run it (loop and FUSE),
//! the generated config is snapshotted, writes land in the upper directory, the SIF is never
//! written, and setuid bits have no effect (checklist B1, M2).

use super::{Env, crun_cgroup_setup, mode, validate_config};
use crate::support;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sifter_sif::{Arch, DataType, FsType, ObjectInput, PartType, SifWriter};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs `args` with `runtime` in a copy of `bundle`'s config (terminal off, optional user),
/// whose `root.path` still points at the mounted rootfs. Returns (status, stdout, stderr).
fn run_in(
    env: &Env,
    bundle: &Path,
    runtime: &str,
    args: &[&str],
    user: Option<(u32, u32)>,
) -> (i32, String, String) {
    let mut config: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    config["process"]["args"] = args.iter().map(|a| Value::from(*a)).collect();
    config["process"]["terminal"] = Value::Bool(false);
    if let Some((uid, gid)) = user {
        config["process"]["user"] = serde_json::json!({"uid": uid, "gid": gid});
    }
    let id = format!("sifter-mount-test-{}-{runtime}", std::process::id());
    let dir = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(env.fx.path())
        .unwrap();
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let state = env.path(&format!("rt-{runtime}"));
    if runtime == "crun" {
        crun_cgroup_setup();
    }
    let out = Command::new(runtime)
        .arg("--root")
        .arg(&state)
        .args(["run", "--bundle"])
        .arg(dir.path())
        .arg(&id)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha256(p: &Path) -> String {
    format!("{:x}", Sha256::digest(std::fs::read(p).unwrap()))
}

#[test]
fn busybox_bundle_is_valid_and_runs_with_runc_and_crun() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let mut configs = Vec::new();
    for fuse in [false, true] {
        let b = env.path(if fuse { "fuse" } else { "loop" });
        env.mount_ok(&b, fuse);
        validate_config(&b.join("config.json"));
        for runtime in ["runc", "crun"] {
            let (status, stdout, stderr) = run_in(&env, &b, runtime, &["/bin/echo", "hi"], None);
            assert_eq!(
                (status, stdout.as_str()),
                (0, "hi\n"),
                "{runtime} fuse={fuse}: {stderr}"
            );
        }
        let text = std::fs::read_to_string(b.join("config.json")).unwrap();
        configs.push(text.replace(b.to_str().unwrap(), "BUNDLE"));
        env.umount_ok(&b);
        assert!(!b.exists());
    }
    assert_eq!(
        configs[0], configs[1],
        "--fuse must give the same config.json"
    );
    env.assert_clean("after both mounts");
}

#[test]
fn busybox_layout_modes_and_config_snapshot() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    let modes: Vec<(&str, u32)> = [
        ("", 0o700),
        (".sifter-mount.json", 0o600),
        ("config.json", 0o600),
        ("overlay", 0o700),
        ("overlay/upper", 0o755),
        ("overlay/work", 0o700),
        ("volumes", 0o755),
    ]
    .into_iter()
    // rootfs/ (0700) is hidden under the overlay, which shows the image's root directory.
    .filter(|(p, m)| mode(&b.join(p)) != *m)
    .collect();
    assert!(modes.is_empty(), "wrong modes: {modes:?}");
    let text = std::fs::read_to_string(b.join("config.json")).unwrap();
    assert!(text.starts_with("{\n\t\"ociVersion\": \"1.1.0\",\n"));
    insta::assert_snapshot!("busybox_config_json", text);
    let table = sifter_bundle::mountinfo::read().unwrap();
    for p in ["rootfs", "overlay", "overlay/lower"] {
        let e = sifter_bundle::mountinfo::mounted_at(&table, &b.join(p)).unwrap();
        assert!(
            e.has_option("nosuid") && e.has_option("nodev"),
            "{p}: {}",
            e.options
        );
    }
    env.umount_ok(&b);
    env.assert_clean("after umount");
}

#[test]
fn writes_land_in_upper_and_the_sif_is_never_written() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let before = sha256(&env.sif);
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    let script = "echo data > /written && rm /bin/ls && echo ok";
    let (status, stdout, stderr) = run_in(&env, &b, "runc", &["/bin/sh", "-c", script], None);
    assert_eq!((status, stdout.as_str()), (0, "ok\n"), "{stderr}");
    let upper = b.join("overlay/upper");
    assert_eq!(
        std::fs::read_to_string(upper.join("written")).unwrap(),
        "data\n"
    );
    // The deletion is a whiteout in upper; the lower layer still has the file.
    assert!(b.join("overlay/lower/bin/ls").exists());
    assert!(!b.join("rootfs/bin/ls").exists());
    env.umount_ok(&b);
    assert_eq!(sha256(&env.sif), before, "the SIF changed");
    env.assert_clean("after umount");
}

/// A tree with an `oci-config.json` using every key of §4.3, and a setuid-root binary that
/// prints its effective uid.
fn custom_sif(env: &Env) -> PathBuf {
    let tree = env.path("tree");
    for d in ["bin", "etc", "srv"] {
        std::fs::create_dir_all(tree.join(d)).unwrap();
    }
    std::fs::copy("/bin/busybox", tree.join("bin/busybox")).unwrap();
    for applet in ["sh", "echo", "cat", "id", "ls"] {
        std::os::unix::fs::symlink("busybox", tree.join("bin").join(applet)).unwrap();
    }
    std::fs::write(
        tree.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1234:app:/srv:/bin/sh\n",
    )
    .unwrap();
    let src = env.path("euid.c");
    std::fs::write(&src, "#include <stdio.h>\n#include <unistd.h>\nint main(void){printf(\"%d\\n\",(int)geteuid());return 0;}\n").unwrap();
    let st = Command::new("gcc")
        .args(["-static", "-O1", "-o"])
        .arg(tree.join("bin/euid"))
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success(), "gcc -static failed");
    std::fs::set_permissions(
        tree.join("bin/euid"),
        std::os::unix::fs::PermissionsExt::from_mode(0o4755),
    )
    .unwrap();
    let sqfs = env.path("root.sqfs");
    let st = Command::new("mksquashfs")
        .arg(&tree)
        .arg(&sqfs)
        .args(["-noappend", "-all-root", "-quiet", "-no-progress"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "mksquashfs failed");
    let config = serde_json::json!({
        "Entrypoint": ["/bin/sh", "-c"],
        "Cmd": ["echo hello"],
        "Env": ["PATH=/bin:/usr/bin", "APP_MODE=production", "NOEQUALS"],
        "WorkingDir": "srv",
        "Volumes": {"/data": {}, "/var/lib/my_db/": {}, "/proc/x": {}},
        "User": "1000",
        "Labels": {"org.example.team": "sifter"},
        "StopSignal": "SIGTERM"
    });
    let mut w = SifWriter::deterministic();
    w.add(ObjectInput::bytes(
        DataType::GenericJson,
        "oci-config.json",
        config.to_string().into_bytes(),
    ));
    w.add(
        ObjectInput::file(DataType::Partition, "", &sqfs)
            .unwrap()
            .partition(FsType::Squashfs, PartType::PrimSys, Arch::host()),
    );
    let out = env.path("custom.sif");
    w.write(&out).unwrap();
    out
}

#[test]
fn image_config_is_applied_with_docker_semantics() {
    if !support::privileged() {
        return;
    }
    let mut env = Env::new("busybox_amd64.sif");
    env.sif = custom_sif(&env);
    let b = env.path("bundle");
    let out = env.mount(&b, false);
    assert_eq!(out.status, 0, "{}", out.stderr);
    insta::assert_snapshot!(
        "custom_mount_transcript",
        out.transcript("oci mount [TMP]/custom.sif [TMP]/bundle")
    );
    let config = b.join("config.json");
    validate_config(&config);
    insta::assert_snapshot!(
        "custom_config_json",
        std::fs::read_to_string(&config).unwrap()
    );
    assert_eq!(mode(&b.join("volumes/_data")), 0o755);
    assert_eq!(mode(&b.join("volumes/_var_lib_my%5Fdb")), 0o755);
    let record: Value =
        serde_json::from_slice(&std::fs::read(b.join(".sifter-mount.json")).unwrap()).unwrap();
    assert_eq!(
        record["labels"],
        serde_json::json!({"org.example.team": "sifter"})
    );

    // The image's own entry point and user, unchanged: prints hello as uid 1000 in /srv.
    let run = |args: &[&str], user| run_in(&env, &b, "runc", args, user);
    let (status, stdout, stderr) = run(&["/bin/sh", "-c", "echo hello; id -u; id -g; pwd"], None);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "hello\n1000\n1234\n/srv\n"),
        "{stderr}"
    );

    // nosuid: the setuid-root binary runs with the caller's uid.
    assert_eq!(mode(&b.join("rootfs/bin/euid")), 0o4755);
    let (status, stdout, stderr) = run(&["/bin/euid"], Some((1000, 1234)));
    assert_eq!((status, stdout.as_str()), (0, "1000\n"), "{stderr}");
    let (status, stdout, stderr) = run(&["/bin/euid"], Some((0, 0)));
    assert_eq!((status, stdout.as_str()), (0, "0\n"), "{stderr}");

    env.umount_ok(&b);
    env.assert_clean("after umount");
}
