//! `oci umount` refusals and what it keeps (checklist U1, U2, M2), and the root check of both
//! commands (H2) through the real binary run as `nobody`.

use super::Env;
use crate::support;
use std::os::unix::fs::PermissionsExt;

#[test]
fn umount_refuses_a_bundle_claimed_by_a_container() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    let key = sifter_bundle::bundle_key(&std::fs::canonicalize(&b).unwrap());
    let claim = sifter_bundle::claim_path(&env.root, &key);
    std::fs::create_dir_all(claim.parent().unwrap()).unwrap();
    let body = serde_json::json!({"bundle": b, "id": "c1"});
    std::fs::write(&claim, body.to_string()).unwrap();
    let cdir = env.root.join("containers/c1");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::write(cdir.join("state.json"), "{}").unwrap();

    let out = env.umount(&b);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   bundle {} is in use by container \"c1\"; delete it first or use --force\n",
            b.display()
        )
    );
    assert!(b.join("rootfs/bin/sh").exists(), "the bundle was touched");
    assert!(claim.exists());

    // Once the container record is gone the claim is stale: umount removes it too.
    std::fs::remove_dir_all(env.root.join("containers")).unwrap();
    env.umount_ok(&b);
    assert!(!claim.exists());
    env.assert_clean("after umount");
}

#[test]
fn umount_twice_is_harmless() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    env.umount_ok(&b);
    let out = env.umount(&b);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   {} is not a bundle made by sifter oci mount (no mount record)\n",
            b.display()
        )
    );
    // An existing directory without a record is not touched either.
    std::fs::create_dir(&b).unwrap();
    std::fs::write(b.join("keep"), "x").unwrap();
    assert_eq!(env.umount(&b).status, 255);
    assert_eq!(std::fs::read_to_string(b.join("keep")).unwrap(), "x");
    env.assert_clean("after the second umount");
}

#[test]
fn a_pre_existing_bundle_is_kept_and_user_files_are_kept_with_a_warning() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    // Pre-existing, empty: kept, empty, mode unchanged.
    let pre = env.path("pre");
    std::fs::create_dir(&pre).unwrap();
    std::fs::set_permissions(&pre, std::fs::Permissions::from_mode(0o750)).unwrap();
    env.mount_ok(&pre, false);
    env.umount_ok(&pre);
    assert_eq!(std::fs::read_dir(&pre).unwrap().count(), 0);
    assert_eq!(super::mode(&pre), 0o750);

    // Created by mount, then a user file: WARNING, kept with only that file.
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    std::fs::write(b.join("notes.txt"), "mine").unwrap();
    let out = env.umount(&b);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!("WARNING: kept {}: not empty (notes.txt)\n", b.display())
    );
    let left: Vec<_> = std::fs::read_dir(&b)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["notes.txt"]);
    env.assert_clean("after umount");
}

#[test]
fn mounting_onto_a_mounted_or_non_empty_bundle_is_refused() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    let config = std::fs::read(b.join("config.json")).unwrap();
    let out = env.mount(&b, true);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   {} is already a mounted bundle (run sifter oci umount first)\n",
            b.display()
        )
    );
    assert_eq!(std::fs::read(b.join("config.json")).unwrap(), config);
    env.umount_ok(&b);

    let full = env.path("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("x"), "").unwrap();
    let out = env.mount(&full, false);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   bundle directory {} is not empty\n",
            full.display()
        )
    );
    let odd = env.path("a,b");
    let out = env.mount(&odd, false);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr
            .contains("cannot be used for an overlay mount (contains ',' or is too long)")
    );
    assert!(!odd.exists());
    env.assert_clean("after the refusals");
}

#[test]
fn both_commands_require_root() {
    if !support::privileged() {
        return;
    }
    let fx = support::Fixture::new("mount");
    for (sub, args) in [("mount", vec!["a.sif", "b"]), ("umount", vec!["b"])] {
        let argv = ["oci".into(), sub.into()]
            .into_iter()
            .chain(args.iter().map(|a| fx.path().join(a).into_os_string()))
            .collect::<Vec<std::ffi::OsString>>();
        let out = support::sifter_as_nobody(fx.path(), argv);
        assert_eq!(out.status.code(), Some(255), "{sub}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("FATAL:   \"sifter oci {sub}\" command requires root privileges\n")
        );
        assert!(!fx.path().join("b").exists());
    }
}

#[test]
fn a_busy_bundle_fails_to_unmount_and_force_detaches_it() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    let busy = std::fs::File::open(b.join("rootfs/bin/busybox")).unwrap();
    let out = env.umount(&b);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        format!(
            "FATAL:   failed to unmount {}/rootfs: device or resource busy\n",
            b.display()
        )
    );
    assert!(
        b.join(".sifter-mount.json").exists(),
        "the record must stay for a retry"
    );
    assert!(
        b.join("rootfs/bin/sh").exists(),
        "the overlay must stay mounted"
    );

    let out = env.sifter(&["umount", "--force", b.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "WARNING: {}/rootfs is busy; detached it lazily\n",
            b.display()
        )
    );
    assert!(!b.exists());
    drop(busy);
    env.assert_clean("after the forced umount");
}

#[test]
fn umount_finishes_a_bundle_whose_mounts_are_gone() {
    if !support::privileged() {
        return;
    }
    // As after a reboot: the record and directories remain, the mounts do not.
    let env = Env::new("busybox_amd64.sif");
    let b = env.path("bundle");
    env.mount_ok(&b, false);
    for p in ["rootfs", "overlay/lower", "overlay"] {
        nix::mount::umount2(&b.join(p), nix::mount::MntFlags::empty()).unwrap();
    }
    assert!(b.join(".sifter-mount.json").exists());
    env.umount_ok(&b);
    assert!(!b.exists());
    env.assert_clean("after umount");
}
