//! Every reference image gives its §3.1 result (checklist M1): images without a mountable root
//! filesystem are refused with their message and leave nothing; the 386 images mount on amd64
//! and show `/hello.txt`; copies patched to another fs type or architecture get checks 8, 10.

use super::Env;
use crate::support;
use sifter_sif::{DESCRIPTOR_SIZE, SifImage};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

fn refused(env: &Env, expected: &str) {
    let b = env.path("bundle");
    let out = env.mount(&b, false);
    assert_eq!(out.status, 255, "{}: {}", env.sif.display(), out.stderr);
    assert_eq!(out.stderr, format!("FATAL:   {expected}\n"));
    assert!(!b.exists(), "{}: bundle created", env.sif.display());
    env.assert_clean(&env.sif.display().to_string());
}

#[test]
fn images_without_a_mountable_root_filesystem_are_refused() {
    if !support::privileged() {
        return;
    }
    let no_primary = "no root filesystem found (no primary system partition)";
    let cases = [
        ("empty.sif", no_primary),
        ("empty-id.sif", no_primary),
        ("empty-launch-script.sif", no_primary),
        ("one-object-crypt-message.sif", no_primary),
        ("one-object-generic-json.sif", no_primary),
        ("one-object-oci-blob.sif", no_primary),
        ("one-object-sbom.sif", no_primary),
        ("one-object-time.sif", no_primary),
        (
            "one-group-signed-legacy.sif",
            "primary partition (id 2) is not a valid squashfs filesystem",
        ),
        (
            "one-group-signed-legacy-all.sif",
            "primary partition (id 2) is not a valid squashfs filesystem",
        ),
        (
            "one-group-signed-legacy-group.sif",
            "primary partition (id 2) is not a valid squashfs filesystem",
        ),
        (
            "empty.oci.sif",
            "is an OCI-SIF image; sifter oci mount needs a native SIF with a squashfs root filesystem",
        ),
        (
            "one-object-oci-root-index.sif",
            "is an OCI-SIF image; sifter oci mount needs a native SIF with a squashfs root filesystem",
        ),
    ];
    for (image, msg) in cases {
        let env = Env::new(image);
        let sep = if msg.starts_with("is an") { " " } else { ": " };
        refused(&env, &format!("{}{sep}{msg}", env.sif.display()));
    }
}

#[test]
fn a_missing_or_non_regular_sif_is_refused() {
    if !support::privileged() {
        return;
    }
    let mut env = Env::new("empty.sif");
    env.sif = env.path("missing.sif");
    refused(
        &env,
        &format!(
            "could not open image {}: No such file or directory (os error 2)",
            env.sif.display()
        ),
    );
    env.sif = env.path("a-directory.sif");
    std::fs::create_dir(&env.sif).unwrap();
    refused(
        &env,
        &format!("{} is not a regular file", env.sif.display()),
    );
}

#[test]
fn the_386_images_mount_on_amd64_and_show_hello() {
    if !support::privileged() {
        return;
    }
    if sifter_sif::Arch::host() != sifter_sif::Arch::Amd64 {
        eprintln!("not an amd64 host: the 386-on-amd64 rule does not apply");
        return;
    }
    for image in [
        "one-group.sif",
        "two-groups.sif",
        "one-group-signed-pgp.sif",
    ] {
        let env = Env::new(image);
        for fuse in [false, true] {
            let b = env.path("bundle");
            env.mount_ok(&b, fuse);
            assert!(b.join("rootfs/hello.txt").is_file(), "{image} fuse={fuse}");
            env.umount_ok(&b);
            env.assert_clean(image);
        }
    }
}

/// Overwrites bytes of the primary partition's extra (fstype at 0, arch at 8).
fn patch_primary(sif: &Path, at: u64, bytes: &[u8]) {
    let img = SifImage::open(sif).unwrap();
    let slot = img.primary_partition().unwrap().slot as u64;
    let off = img.header().descriptors_offset as u64 + slot * DESCRIPTOR_SIZE as u64 + 201 + at;
    let mut f = std::fs::OpenOptions::new().write(true).open(sif).unwrap();
    f.seek(SeekFrom::Start(off)).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn patched_copies_get_checks_8_and_10() {
    if !support::privileged() {
        return;
    }
    let cases: [(u64, &[u8], &str); 4] = [
        (
            0,
            &2i32.to_le_bytes(),
            ": ext3 root filesystems are not supported by sifter oci mount",
        ),
        (
            0,
            &5i32.to_le_bytes(),
            ": the root filesystem is encrypted; encrypted SIF images are not supported",
        ),
        (
            0,
            &6i32.to_le_bytes(),
            ": the root filesystem is encrypted; encrypted SIF images are not supported",
        ),
        (8, b"11", ""),
    ];
    for (at, bytes, msg) in cases {
        let env = Env::new("busybox_amd64.sif");
        patch_primary(&env.sif, at, bytes);
        let expected = if msg.is_empty() {
            let host = sifter_sif::Arch::host();
            format!(
                "the image's architecture (s390x) could not run on the host's ({})",
                host.go_name()
            )
        } else {
            format!("{}{msg}", env.sif.display())
        };
        refused(&env, &expected);
    }
}

#[test]
fn bad_oci_config_json_is_refused_naming_the_field() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    // Same length as the original `"Cmd":["sh"]`: a string where an array belongs.
    let bytes = std::fs::read(&env.sif).unwrap();
    let needle = br#""Cmd":["sh"]"#;
    let pos = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut patched = bytes.clone();
    patched[pos..pos + needle.len()].copy_from_slice(br#""Cmd":"sh  ""#);
    std::fs::write(&env.sif, patched).unwrap();
    refused(
        &env,
        &format!(
            "{}: invalid oci-config.json: field \"Cmd\": expected an array of strings",
            env.sif.display()
        ),
    );
}

#[test]
fn fuse_without_squashfuse_in_the_search_path_is_refused() {
    if !support::privileged() {
        return;
    }
    let env = Env::new("busybox_amd64.sif");
    let config = env.path("sifter.toml");
    std::fs::write(&config, "search_path = [\"/nonexistent\"]\n").unwrap();
    let b = env.path("bundle");
    let out = support::sifter([
        "--config",
        config.to_str().unwrap(),
        "--root",
        env.root.to_str().unwrap(),
        "oci",
        "mount",
        "--fuse",
        env.sif.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 255);
    assert_eq!(
        out.stderr,
        "FATAL:   --fuse needs squashfuse_ll or squashfuse in /nonexistent\n"
    );
    assert!(!b.exists());
    env.assert_clean("after the refusal");
}
