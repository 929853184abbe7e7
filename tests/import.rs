//! Acceptance tests: `sifter build` from OCI images (issue 6). Images are made here, from the
//! host's busybox-static, with umoci (layers that delete a file, make a directory opaque, and
//! hold a hard link, symlinks, device nodes, a fifo, set-id and sticky modes, other owners and
//! an xattr) and copied with skopeo into oci-archive, docker-archive and zstd forms. The SIF's
//! squashfs must list exactly like `umoci unpack` of the same image; hostile archives are
//! refused with nothing written outside the staging directory and no partial output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, Fixture, sifter};

/// Makes the test image at `W/layout:img`: base layer (busybox and every special file), a
/// umoci layer that deletes `etc/doomed` (a `.wh.` whiteout), a raw layer that makes `opq/`
/// opaque, and an image config whose entrypoint prints its working directory, env and args.
const MAKE_IMAGE: &str = r#"
W=$1; L=$W/layout
umoci init --layout $L
umoci new --image $L:img
umoci unpack --image $L:img $W/b1 >/dev/null
R=$W/b1/rootfs
mkdir -p $R/bin $R/etc $R/data/keep $R/opq/lower/sub $R/devs $R/work
cp /bin/busybox $R/bin/busybox
for a in sh echo env pwd cat ls; do ln -s busybox $R/bin/$a; done
echo doomed > $R/etc/doomed; echo lower > $R/opq/lower/f; echo s > $R/opq/lower/sub/g
echo keep > $R/data/keep/k; echo orig > $R/data/orig; ln $R/data/orig $R/data/hardlink
ln -s ../data/orig $R/etc/rel-link; ln -s /data/orig $R/etc/abs-link
mknod $R/devs/null c 1 3; mknod $R/devs/loop9 b 7 9; mkfifo $R/devs/fifo
chown 1000:1001 $R/data/keep $R/data/keep/k; chmod 4755 $R/data/orig; chmod 1777 $R/work
chmod 0700 $R/data/keep
python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.sifter', b'yes')" $R/data/keep/k
umoci repack --image $L:img $W/b1 >/dev/null
umoci unpack --image $L:img $W/b2 >/dev/null
rm $W/b2/rootfs/etc/doomed; echo new > $W/b2/rootfs/etc/added
umoci repack --image $L:img $W/b2 >/dev/null
python3 - "$W/opq.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, kind, data in [("opq", tarfile.DIRTYPE, b""), ("opq/.wh..wh..opq", tarfile.REGTYPE, b""),
                             ("opq/upper", tarfile.REGTYPE, b"upper\n")]:
        i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
        i.mtime = 1700000000; i.size = len(data)
        t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
PY
umoci raw add-layer --image $L:img $W/opq.tar
umoci config --image $L:img --config.entrypoint /bin/sh --config.entrypoint -c \
  --config.entrypoint 'echo "cwd=$(pwd) foo=$FOO"; echo "arg0=$0"' --config.cmd from-cmd \
  --config.env FOO=bar-baz --config.env PATH=/bin --config.workingdir /data \
  --config.label org.example.kind=test
rm -rf $W/b1 $W/b2 $W/opq.tar
"#;

/// Runs a bash script with `set -euo pipefail`, failing the test with its stderr.
fn sh(script: &str, args: &[&Path]) -> String {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script, "bash"])
        .args(args)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "script failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        script
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One `unsquashfs -lln` line, normalised: mode string, owner, size (files, links and
/// devices only: a directory's size is squashfs-internal) and path with link target. Dates are
/// left out: umoci and sifter both keep the tar mtimes, but directory mtimes change with the
/// entries sifter adds (`/.singularity.d`), so they are not comparable.
fn listing(image: &Path, offset: u64) -> Vec<String> {
    let out = Command::new("unsquashfs")
        .args(["-lln", "-o", &offset.to_string()])
        .arg(image)
        .output()
        .expect("unsquashfs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.len() > 10 && l.as_bytes()[1] != b' ' && !l.starts_with("Parallel"))
        .map(|l| {
            let mut t = l.split_whitespace();
            let mode = t.next().unwrap().to_string();
            let owner = t.next().unwrap().to_string();
            let mut size = t.next().unwrap().to_string();
            if mode.starts_with('c') || mode.starts_with('b') {
                size.push_str(t.next().unwrap()); // "1,  3" is two tokens
            }
            let (_date, _time) = (t.next(), t.next());
            let path = t.collect::<Vec<_>>().join(" ");
            let path = path.strip_prefix("squashfs-root").unwrap_or(&path);
            let path = if path.is_empty() { "/" } else { path };
            if mode.starts_with('d') {
                format!("{mode} {owner} {path}")
            } else {
                format!("{mode} {owner} {size} {path}")
            }
        })
        .collect()
}

fn sif_listing(sif: &Path) -> Vec<String> {
    let img = sifter_sif::SifImage::open(sif).unwrap();
    let part = img.primary_partition().unwrap();
    listing(sif, part.offset)
}

/// What umoci unpacks for `layout:img`, squashed with mksquashfs so both sides are listed by
/// the same tool.
fn umoci_listing(work: &Path, layout: &Path) -> Vec<String> {
    let bundle = work.join("umoci-bundle");
    let sqfs = work.join("umoci.sqfs");
    sh(
        r#"umoci unpack --image "$1:img" "$2" >/dev/null
           mksquashfs "$2/rootfs" "$3" -noappend -no-progress -quiet >/dev/null
           rm -rf "$2""#,
        &[layout, &bundle, &sqfs],
    );
    let l = listing(&sqfs, 0);
    fs::remove_file(&sqfs).unwrap();
    l
}

/// Drops the entries sifter adds for SIF tools (`/.singularity.d`, its links, empty mount
/// points) when the image itself does not have them.
fn without_additions(ours: Vec<String>, theirs: &[String]) -> Vec<String> {
    let added = sifter_bundle::build::oci::singularity::added_paths();
    let path_of = |l: &str| l.split(' ').next_back().map(str::to_string);
    let theirs_paths: Vec<String> = theirs
        .iter()
        .filter_map(|l| {
            let p = l.split(" -> ").next().unwrap();
            path_of(p)
        })
        .collect();
    ours.into_iter()
        .filter(|l| {
            let p = l.split(" -> ").next().unwrap();
            let p = path_of(p).unwrap();
            let rel = p.trim_start_matches('/');
            let ours_only = !theirs_paths.contains(&p);
            !(ours_only
                && added
                    .iter()
                    .any(|a| rel == *a || rel.starts_with(&format!("{a}/"))))
        })
        .collect()
}

struct Image {
    work: PathBuf,
    layout: PathBuf,
}

fn make_image(fx: &Fixture) -> Image {
    let work = fx.path().join("img");
    fs::create_dir(&work).unwrap();
    sh(MAKE_IMAGE, &[&work]);
    Image {
        layout: work.join("layout"),
        work,
    }
}

fn build(args: &[&str]) -> support::Output {
    let out = sifter(args);
    assert_eq!(out.status, 0, "sifter {args:?}: {}", out.stderr);
    out
}

#[test]
fn squashfs_content_equals_umoci_unpack_for_every_source_format() {
    if !support::privileged() {
        return;
    }
    let mut fx = Fixture::new("import");
    let img = make_image(&fx);
    let w = &img.work;
    sh(
        r#"skopeo copy -q "oci:$1:img" "oci-archive:$2/img.oci.tar:img"
           skopeo copy -q "oci:$1:img" "docker-archive:$2/img.docker.tar:example/img:v1"
           skopeo copy -q --dest-compress-format zstd "oci:$1:img" "oci:$2/zstd:img""#,
        &[&img.layout, w],
    );
    let theirs = umoci_listing(w, &img.layout);
    // bin/busybox's size is the host's busybox-static.
    fx.filter(
        r"-rwxr-xr-x 0/0 \d+ /bin/busybox",
        "-rwxr-xr-x 0/0 [SIZE] /bin/busybox",
    );
    insta::assert_snapshot!("umoci_unpack_listing", theirs.join("\n"));
    let sources = [
        format!("oci:{}:img", img.layout.display()),
        format!("oci:{}", img.layout.display()),
        format!("oci-archive:{}/img.oci.tar:img", w.display()),
        format!(
            "docker-archive:{}/img.docker.tar:example/img:v1",
            w.display()
        ),
        format!("docker-archive:{}/img.docker.tar", w.display()),
        format!("oci:{}/zstd:img", w.display()),
    ];
    for (i, src) in sources.iter().enumerate() {
        let sif = fx.path().join(format!("out{i}.sif"));
        build(&["--quiet", "build", sif.to_str().unwrap(), src]);
        let ours = without_additions(sif_listing(&sif), &theirs);
        assert_eq!(ours, theirs, "squashfs of {src} differs from umoci unpack");
        let oci = read_oci_config(&sif);
        assert_eq!(
            oci,
            r#"{"Env":["FOO=bar-baz","PATH=/bin"],"Entrypoint":["/bin/sh","-c","echo \"cwd=$(pwd) foo=$FOO\"; echo \"arg0=$0\""],"Cmd":["from-cmd"],"WorkingDir":"/data","Labels":{"org.example.kind":"test"}}"#,
            "oci-config.json of {src}"
        );
        let img = sifter_sif::SifImage::open(&sif).unwrap();
        let labels = img
            .find_by_name(sifter_sif::DataType::Labels, "labels.json")
            .expect("labels object");
        let labels: serde_json::Value =
            serde_json::from_slice(&img.read_data(labels).unwrap()).unwrap();
        assert_eq!(
            labels,
            serde_json::json!({"org.example.kind": "test"}),
            "labels of {src}"
        );
    }
    // The wrong transport for an archive is named, with the right one.
    let wrong = sifter([
        "build",
        fx.path().join("wrong.sif").to_str().unwrap(),
        &format!("oci-archive:{}/img.docker.tar", w.display()),
    ]);
    assert_eq!(wrong.status, 255);
    assert!(
        wrong
            .stderr
            .contains("(it has a docker manifest.json and no oci-layout): use docker-archive:"),
        "{}",
        wrong.stderr
    );
    // --deterministic: two conversions are byte-identical (what sifter adds is dated by the
    // image's newest entry, not the clock).
    let det: Vec<Vec<u8>> = (0..2)
        .map(|i| {
            let sif = fx.path().join(format!("det{i}.sif"));
            build(&[
                "--quiet",
                "build",
                "--deterministic",
                sif.to_str().unwrap(),
                &sources[2],
            ]);
            fs::read(&sif).unwrap()
        })
        .collect();
    assert!(det[0] == det[1], "--deterministic conversions differ");
    // Whatever the format, the xattr survives into the squashfs (umoci's listing cannot show it).
    let x = sh(
        r#"off=$2; d=$(mktemp -d); unsquashfs -o "$off" -d "$d/r" "$1" /data/keep/k >/dev/null
           python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'user.sifter').decode())" "$d/r/data/keep/k"
           rm -rf "$d""#,
        &[
            &fx.path().join("out0.sif"),
            Path::new(&partition_offset(&fx.path().join("out0.sif")).to_string()),
        ],
    );
    assert_eq!(x.trim(), "yes");
}

fn partition_offset(sif: &Path) -> u64 {
    sifter_sif::SifImage::open(sif)
        .unwrap()
        .primary_partition()
        .unwrap()
        .offset
}

fn read_oci_config(sif: &Path) -> String {
    let img = sifter_sif::SifImage::open(sif).unwrap();
    let d = img
        .find_by_name(sifter_sif::DataType::GenericJson, "oci-config.json")
        .expect("oci-config.json object");
    String::from_utf8(img.read_data(d).unwrap()).unwrap()
}

mod hostile;
mod run;
