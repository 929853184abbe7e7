//! Acceptance tests: build. `sifter build OUT.sif DIR` with the real mksquashfs, read back with
//! the real SIF reader and `unsquashfs`; reproducibility; failures leave nothing behind.

mod failures;

use crate::support::{self, Fixture};
use serde_json::{Value, json};
use sifter_sif::{Arch, DataType, FsType, ObjectInput, PartType, SifImage, SifWriter, ZERO_TIME};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small root tree: busybox with a few applet links, files with other owners and modes,
/// an empty sticky directory and a name with a space.
pub fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static installed");
    for applet in ["sh", "echo", "cat", "ls"] {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hostname"), "sifter\n").unwrap();
    std::fs::create_dir_all(root.join("home/user")).unwrap();
    let secret = root.join("home/user/secret");
    std::fs::write(&secret, "s3cret").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (uid, gid) = secret_owner();
    nix::unistd::chown(
        &secret,
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(gid)),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write(root.join("with space.txt"), "x").unwrap();
}

/// The owner given to `home/user/secret`: another user when we are root (CI), else ourselves.
pub fn secret_owner() -> (u32, u32) {
    if nix::unistd::geteuid().is_root() {
        (1234, 5678)
    } else {
        (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    }
}

/// Every path under `root`, relative, sorted, with its mode, owner and mtime.
pub fn tree_state(root: &Path) -> Vec<(String, u32, u32, u32, i64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            out.push((rel, m.mode(), m.uid(), m.gid(), m.mtime()));
            if m.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `unsquashfs -o OFFSET -lln`: (path, permissions, uid/gid) of every entry but the root.
pub fn unsquashfs_listing(sif: &Path, offset: u64) -> Vec<(String, String, String)> {
    let out = Command::new("unsquashfs")
        .args(["-o", &offset.to_string(), "-lln"])
        .arg(sif)
        .output()
        .expect("unsquashfs installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut entries = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 6 {
            continue;
        }
        let path = fields[5..].join(" ");
        let path = path.split(" -> ").next().unwrap();
        let Some(rel) = path.strip_prefix("squashfs-root/") else {
            continue;
        };
        entries.push((
            rel.to_string(),
            fields[0].to_string(),
            fields[1].to_string(),
        ));
    }
    entries.sort();
    entries
}

/// `unsquashfs -o OFFSET -cat SIF PATH`.
pub fn unsquashfs_cat(sif: &Path, offset: u64, path: &str) -> String {
    let out = Command::new("unsquashfs")
        .args(["-o", &offset.to_string(), "-cat"])
        .arg(sif)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn build(args: &[&str]) -> support::Output {
    let mut argv = vec!["build"];
    argv.extend_from_slice(args);
    support::sifter(argv)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn build_round_trip_reads_back_and_unsquashfs_lists_the_tree() {
    let fx = Fixture::new("build");
    let tree = fx.path().join("tree");
    make_tree(&tree);
    let out_sif = fx.path().join("out.sif");
    let out = build(&[
        "--deterministic",
        "--label",
        "org.example.a=1",
        "--label",
        "b=two words",
        s(&out_sif),
        s(&tree),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.starts_with("INFO:    Built "), "{}", out.stderr);
    let file_size = std::fs::metadata(&out_sif).unwrap().len();
    assert_eq!(std::fs::metadata(&out_sif).unwrap().mode() & 0o777, 0o755);

    // Header: the reference layout, deterministic identity.
    let img = SifImage::open(&out_sif).unwrap();
    let h = img.header();
    assert_eq!(h.version, "01");
    assert_eq!(h.launch_script, "#!/usr/bin/env run-singularity\n");
    assert_eq!(h.arch, Arch::host());
    assert_eq!(h.id, [0; 16]);
    assert_eq!((h.created, h.modified), (ZERO_TIME, ZERO_TIME));
    assert_eq!((h.descriptors_total, h.descriptors_free), (48, 46));
    assert_eq!((h.descriptors_offset, h.descriptors_size), (4096, 48 * 585));
    assert_eq!(h.data_offset, 32176);
    assert_eq!(h.data_size as u64, file_size - 32176);

    // Descriptors: labels right at the data offset, then the 4 KiB-aligned partition whose
    // size with padding counts the alignment gap.
    let d = img.descriptors();
    assert_eq!(d.len(), 2);
    let labels = &d[0];
    assert_eq!(
        (labels.id, labels.data_type, labels.offset),
        (1, DataType::Labels, 32176)
    );
    assert_eq!(labels.size, labels.size_with_padding);
    let label_json: Value = serde_json::from_slice(&img.read_data(labels).unwrap()).unwrap();
    assert_eq!(label_json, json!({"b": "two words", "org.example.a": "1"}));
    let part = img.rootfs_squashfs().unwrap();
    assert_eq!(part.id, 2);
    assert_eq!(part.offset % 4096, 0);
    let gap_start = labels.offset + labels.size;
    assert_eq!(part.offset, gap_start.next_multiple_of(4096));
    assert_eq!(part.size_with_padding, part.offset - gap_start + part.size);
    assert_eq!(part.offset + part.size, file_size);
    let p = part.partition().unwrap();
    assert_eq!(
        (p.fs_type, p.part_type, &p.arch),
        (FsType::Squashfs, PartType::PrimSys, &Arch::host())
    );
    assert_eq!(part.group, Some(1));
    assert_eq!((part.created, part.modified), (ZERO_TIME, ZERO_TIME));

    // Read back identically: writing the decoded image again gives the same bytes.
    let mut w = SifWriter::new(h.id, h.created).launch_script(&h.launch_script);
    for d in img.descriptors() {
        let mut o = ObjectInput::bytes(d.data_type, &d.name, img.read_data(d).unwrap())
            .group(d.group)
            .link(d.link)
            .extra(d.extra.clone());
        if let Some(p) = d.partition() {
            o = o.partition(p.fs_type, p.part_type, p.arch.clone());
        }
        w.add(o);
    }
    let mut again = Vec::new();
    w.write_to(&mut again, Path::new("mem")).unwrap();
    assert!(
        again == std::fs::read(&out_sif).unwrap(),
        "re-written image differs"
    );

    // The CLI's JSON view agrees with the reader.
    let out = support::sifter(["sif", "list", "--format", "json", s(&out_sif)]);
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["offset"], json!(part.offset));
    assert_eq!(rows[1]["sizeWithPadding"], json!(part.size_with_padding));
    assert_eq!(rows[1]["partition"]["arch"], json!(Arch::host().go_name()));
    assert_eq!(rows[1]["primary"], json!(true));

    // The partition holds exactly the source tree, owners and modes kept.
    let listing = unsquashfs_listing(&out_sif, part.offset);
    let names: Vec<&str> = listing.iter().map(|(p, _, _)| p.as_str()).collect();
    let want: Vec<String> = tree_state(&tree).into_iter().map(|t| t.0).collect();
    assert_eq!(names, want);
    let secret = listing.iter().find(|e| e.0 == "home/user/secret").unwrap();
    let (uid, gid) = secret_owner();
    assert_eq!(secret.1, "-rw-------");
    assert_eq!(secret.2, format!("{uid}/{gid}"));
    let tmp = listing.iter().find(|e| e.0 == "tmp").unwrap();
    assert_eq!(tmp.1, "drwxrwxrwt");
    assert_eq!(
        unsquashfs_cat(&out_sif, part.offset, "etc/hostname"),
        "sifter\n"
    );
}

#[test]
fn deterministic_builds_are_byte_identical() {
    let fx = Fixture::new("build");
    let tree = fx.path().join("tree");
    make_tree(&tree);
    let rs = fx.path().join("run.sh");
    std::fs::write(&rs, "#!/bin/sh\necho hello\n").unwrap();
    let mut outputs = Vec::new();
    for dir in ["a", "b"] {
        std::fs::create_dir(fx.path().join(dir)).unwrap();
        let out_sif = fx.path().join(dir).join("img.sif");
        let flags = [
            "--deterministic",
            "--label",
            "k=v",
            "--env",
            "A=1",
            "--runscript",
            s(&rs),
        ];
        let mut args = flags.to_vec();
        args.extend([s(&out_sif), s(&tree)]);
        let out = build(&args);
        assert_eq!(out.status, 0, "{}", out.stderr);
        outputs.push(std::fs::read(&out_sif).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert!(outputs[0] == outputs[1], "two deterministic builds differ");

    // Without --deterministic: a random version-4 UUID and the current time.
    let mut ids = Vec::new();
    for name in ["c.sif", "d.sif"] {
        let out_sif = fx.path().join(name);
        let out = build(&[s(&out_sif), s(&tree)]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        let img = SifImage::open(&out_sif).unwrap();
        let h = img.header();
        assert!(h.created > 1_700_000_000, "{}", h.created);
        assert_eq!(h.id[6] >> 4, 4, "UUID version");
        assert_eq!(
            img.descriptors().len(),
            1,
            "no labels object without --label"
        );
        ids.push(h.id);
    }
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn runscript_and_env_are_placed_like_the_reference_and_the_source_is_untouched() {
    let fx = Fixture::new("build");
    let tree = fx.path().join("tree");
    make_tree(&tree);
    // The source already has a runscript: the one given replaces it in the image only.
    std::fs::create_dir_all(tree.join(".singularity.d")).unwrap();
    std::fs::write(
        tree.join(".singularity.d/runscript"),
        "#!/bin/sh\necho old\n",
    )
    .unwrap();
    let before = tree_state(&tree);
    let rs = fx.path().join("run.sh");
    std::fs::write(&rs, "#!/bin/sh\necho new \"$@\"\n").unwrap();
    let out_sif = fx.path().join("out.sif");
    let out = build(&[
        "--runscript",
        s(&rs),
        "--env",
        "GREETING=hello world",
        "--env",
        "QUOTE=it's",
        s(&out_sif),
        s(&tree),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(tree_state(&tree), before, "the source tree changed");

    let img = SifImage::open(&out_sif).unwrap();
    let off = img.rootfs_squashfs().unwrap().offset;
    assert_eq!(
        unsquashfs_cat(&out_sif, off, ".singularity.d/runscript"),
        "#!/bin/sh\necho new \"$@\"\n"
    );
    let env = unsquashfs_cat(&out_sif, off, ".singularity.d/env/90-environment.sh");
    assert!(env.contains("export GREETING='hello world'\n"), "{env}");
    assert!(env.contains("export QUOTE='it'\\''s'\n"), "{env}");
    let sh = Command::new("sh")
        .arg("-c")
        .arg(format!("{env}\nprintf '%s|%s' \"$GREETING\" \"$QUOTE\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(sh.stdout).unwrap(), "hello world|it's");
    let listing = unsquashfs_listing(&out_sif, off);
    let rs_entry = listing
        .iter()
        .find(|e| e.0 == ".singularity.d/runscript")
        .unwrap();
    assert_eq!(
        (rs_entry.1.as_str(), rs_entry.2.as_str()),
        ("-rwxr-xr-x", "0/0")
    );
    let env_entry = listing
        .iter()
        .find(|e| e.0 == ".singularity.d/env/90-environment.sh")
        .unwrap();
    assert_eq!(env_entry.1, "-rw-r--r--");
}

#[test]
fn output_inside_the_source_tree_is_not_squashed_into_itself() {
    let fx = Fixture::new("build");
    let tree = fx.path().join("tree");
    make_tree(&tree);
    let want: Vec<String> = tree_state(&tree).into_iter().map(|t| t.0).collect();
    let out_sif = tree.join("self.sif");
    let out = build(&[s(&out_sif), s(&tree)]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let img = SifImage::open(&out_sif).unwrap();
    let listing = unsquashfs_listing(&out_sif, img.rootfs_squashfs().unwrap().offset);
    let names: Vec<String> = listing.into_iter().map(|e| e.0).collect();
    assert_eq!(names, want);
    let left: Vec<PathBuf> = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
