//! Hostile OCI images, written here with Python's tarfile: a `../../etc/passwd` entry, writes
//! through a symlink that leaves the root (relative and absolute), a truncated gzip layer and a
//! layer whose content does not match its digest. Each is refused with an error naming the
//! layer or blob; nothing is written outside the staging directory, and neither the SIF (or
//! sandbox) nor the staging directory is left behind. The same builder also makes two valid
//! but unusual layers (multi-frame zstd, multi-member gzip), which must be read whole.

use std::fs;
use std::path::Path;

use crate::support::{self, Fixture, sifter};

const HOSTILE: &str = r#"
import gzip, hashlib, io, json, os, subprocess, sys, tarfile
mode, d, outside, arch = sys.argv[1:5]
os.makedirs(d + "/blobs/sha256")
def put(b, media):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return {"mediaType": media, "digest": "sha256:" + h, "size": len(b)}
def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data, link in entries:
            i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o644; i.mtime = 1700000000
            i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
            t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buf.getvalue()
F, L = tarfile.REGTYPE, tarfile.SYMTYPE
entries = [("ok", F, b"fine\n", "")]
if mode == "dotdot":
    entries.append(("../../etc/passwd", F, b"pwned\n", ""))
if mode == "symlink-relative":
    entries += [("evil", L, b"", "../" * 12 + outside.lstrip("/")), ("evil/pwned", F, b"pwned\n", "")]
if mode == "symlink-absolute":
    entries += [("evil", L, b"", outside), ("evil/pwned", F, b"pwned\n", "")]
layer = tar(entries)
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
media = "application/vnd.oci.image.layer.v1.tar"
if mode == "truncated-gzip":
    gz = gzip.compress(layer, mtime=0)
    ld = put(gz[: len(gz) // 2], media + "+gzip")
elif mode == "zstd-multiframe":
    h = len(layer) // 2
    z = b"".join(subprocess.run(["zstd", "-q", "-c"], input=p, capture_output=True, check=True).stdout
                 for p in (layer[:h], layer[h:]))
    ld = put(z, media + "+zstd")
elif mode == "gzip-multimember":
    h = len(layer) // 2
    ld = put(gzip.compress(layer[:h], mtime=0) + gzip.compress(layer[h:], mtime=0), media + "+gzip")
elif mode == "wrong-digest":
    fake = hashlib.sha256(tar([("ok", F, b"other\n", "")])).hexdigest()
    open(f"{d}/blobs/sha256/{fake}", "wb").write(layer)
    ld = {"mediaType": media, "digest": "sha256:" + fake, "size": len(layer)}
else:
    ld = put(layer, media)
cfg = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
       "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
c = put(json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json")
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": [ld]}
md = put(json.dumps(m).encode(), "application/vnd.oci.image.manifest.v1+json")
open(d + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [md]}))
open(d + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
"#;

/// Writes the image `mode` with the script above; returns its `oci:` source.
fn image(fx: &Fixture, mode: &str) -> (std::path::PathBuf, String) {
    let dir = fx.path().join(mode);
    let outside = fx.path().join(format!("{mode}-outside"));
    fs::create_dir(&outside).unwrap();
    let layout = dir.join("layout");
    let arch = sifter_sif::Arch::host().go_name().to_string();
    let status = std::process::Command::new("python3")
        .args(["-c", HOSTILE, mode])
        .args([&layout, &outside])
        .arg(&arch)
        .status()
        .unwrap();
    assert!(status.success());
    let src = format!("oci:{}", layout.display());
    (dir, src)
}

fn sha(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(fs::read(path).unwrap()).to_vec()
}

/// Builds the hostile image `mode`, converts it (to a SIF, or a sandbox), and checks the
/// refusal; returns the transcript for the snapshot.
fn refused(fx: &Fixture, mode: &str, sandbox: bool, expect: &str) -> String {
    let (dir, src) = image(fx, mode);
    let outside = fx.path().join(format!("{mode}-outside"));
    let out_dir = dir.join("out");
    fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join(if sandbox { "box" } else { "out.sif" });
    let passwd = sha(Path::new("/etc/passwd"));
    let mut args = vec!["build"];
    if sandbox {
        args.push("--sandbox");
    }
    args.extend([target.to_str().unwrap(), src.as_str()]);
    let out = sifter(&args);
    assert_eq!(out.status, 255, "{mode}: {}", out.stderr);
    assert!(out.stderr.contains(expect), "{mode}: {}", out.stderr);
    let left: Vec<_> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "{mode}: left behind in the output directory: {left:?}"
    );
    assert!(
        fs::read_dir(&outside).unwrap().next().is_none(),
        "{mode}: wrote outside the root"
    );
    assert_eq!(
        sha(Path::new("/etc/passwd")),
        passwd,
        "{mode}: /etc/passwd changed"
    );
    out.transcript(&format!("{} {}", args[..args.len() - 1].join(" "), src))
}

#[test]
fn hostile_archives_are_refused_and_leave_nothing_behind() {
    if !support::privileged() {
        return;
    }
    let fx = Fixture::new("import");
    let cases = [
        (
            "dotdot",
            false,
            "entry \"../../etc/passwd\" escapes the root filesystem",
        ),
        (
            "symlink-relative",
            false,
            "refused: it writes through symlink \"evil\" whose target",
        ),
        (
            "symlink-absolute",
            true,
            "is absolute (outside the root filesystem while unpacking)",
        ),
        ("truncated-gzip", false, "cannot read layer sha256:"),
        ("wrong-digest", false, "digest mismatch for blob sha256:"),
    ];
    for (mode, sandbox, expect) in cases {
        let mut t = refused(&fx, mode, sandbox, expect);
        if mode.starts_with("symlink") {
            // The symlink target names this test's temp dir, so the layer digest varies.
            let at = t.find("layer sha256:").expect("layer digest") + "layer ".len();
            t.replace_range(at..at + 71, "[DIGEST]");
        }
        insta::assert_snapshot!(format!("hostile_{mode}"), t);
    }
}

/// Valid but unusual compression: a zstd layer of two frames and a gzip layer of two members
/// (both legal, both written by some tools) decompress whole.
#[test]
fn multi_frame_zstd_and_multi_member_gzip_layers_are_read_whole() {
    if !support::privileged() {
        return;
    }
    let fx = Fixture::new("import");
    for mode in ["zstd-multiframe", "gzip-multimember"] {
        let (dir, src) = image(&fx, mode);
        let sandbox = dir.join("box");
        let out = sifter([
            "--quiet",
            "build",
            "--sandbox",
            sandbox.to_str().unwrap(),
            &src,
        ]);
        assert_eq!(out.status, 0, "{mode}: {}", out.stderr);
        assert_eq!(
            fs::read_to_string(sandbox.join("ok")).unwrap(),
            "fine\n",
            "{mode}"
        );
    }
}
