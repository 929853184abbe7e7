//! A converted image runs its own entrypoint: `sifter build` from a docker-archive, then
//! `sifter oci mount` derives the process from the stored `oci-config.json` (Entrypoint + Cmd,
//! Env, WorkingDir), and `sifter oci run` prints the container's working directory, an env
//! value and its argument. Also: `--sandbox` output, progress lines, quiet mode, and the
//! platform picked from a multi-platform index.

use std::fs;

use super::{build, make_image, sh};
use crate::support::{self, Fixture, sifter};

#[test]
fn converted_image_runs_its_entrypoint_with_env_and_cwd() {
    if !support::privileged() {
        return;
    }
    let fx = Fixture::new("import");
    let img = make_image(&fx);
    let archive = img.work.join("img.docker.tar");
    sh(
        r#"skopeo copy -q "oci:$1:img" "docker-archive:$2:example/img:v1""#,
        &[&img.layout, &archive],
    );
    let sif = fx.path().join("img.sif");
    let out = build(&[
        "build",
        sif.to_str().unwrap(),
        &format!("docker-archive:{}", archive.display()),
    ]);
    // Not a terminal: one INFO line per layer, then the result.
    let layers = out.stderr.lines().filter(|l| l.contains(" layer ")).count();
    assert_eq!(layers, 3, "{}", out.stderr);

    let bundle = fx.path().join("bundle");
    let root = fx.path().join("state");
    // No site hooks: this test is about the image, not the host's policy.
    let empty_config = fx.path().join("sifter.toml");
    fs::write(&empty_config, "[hooks]\nlua_dirs = []\nplugin_dirs = []\n").unwrap();
    let m = sifter([
        "--root",
        root.to_str().unwrap(),
        "oci",
        "mount",
        sif.to_str().unwrap(),
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(m.status, 0, "{}", m.stderr);
    let mounted = Mounted {
        root: root.clone(),
        bundle: bundle.clone(),
    };
    let config: serde_json::Value =
        serde_json::from_slice(&fs::read(bundle.join("config.json")).unwrap()).unwrap();
    let process = &config["process"];
    assert_eq!(
        process["args"],
        serde_json::json!([
            "/bin/sh",
            "-c",
            "echo \"cwd=$(pwd) foo=$FOO\"; echo \"arg0=$0\"",
            "from-cmd"
        ])
    );
    assert_eq!(process["cwd"], "/data");

    // `oci run` it without a terminal (the test has none), so the output can be captured:
    // the user's config.json is theirs to edit.
    let mut cfg = config.clone();
    cfg["process"]["terminal"] = serde_json::Value::Bool(false);
    fs::write(
        bundle.join("config.json"),
        serde_json::to_vec_pretty(&cfg).unwrap(),
    )
    .unwrap();
    let id = format!("sifter-import-{}", std::process::id());
    let out = sifter([
        "--root",
        root.to_str().unwrap(),
        "--runtime",
        "runc",
        "--config",
        empty_config.to_str().unwrap(),
        "oci",
        "run",
        "-b",
        bundle.to_str().unwrap(),
        &id,
    ]);
    assert_eq!(out.status, 0, "oci run: {}", out.stderr);
    assert_eq!(out.stdout, "cwd=/data foo=bar-baz\narg0=from-cmd\n");

    std::mem::forget(mounted);
    let u = sifter([
        "--root",
        root.to_str().unwrap(),
        "oci",
        "umount",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(u.status, 0, "{}", u.stderr);
}

/// Unmounts the bundle if an assertion fails while it is mounted, so a failing test leaves no
/// mount or loop device behind (the passing path unmounts explicitly and checks the result).
struct Mounted {
    root: std::path::PathBuf,
    bundle: std::path::PathBuf,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let root = self.root.to_string_lossy().into_owned();
        let bundle = self.bundle.to_string_lossy().into_owned();
        sifter(["--root", &root, "oci", "umount", "--force", &bundle]);
    }
}

#[test]
fn sandbox_output_and_quiet_mode() {
    if !support::privileged() {
        return;
    }
    let fx = Fixture::new("import");
    let img = make_image(&fx);
    let dir = fx.path().join("sandbox");
    let src = format!("oci:{}:img", img.layout.display());
    let out = build(&["--quiet", "build", "--sandbox", dir.to_str().unwrap(), &src]);
    assert_eq!(out.stderr, "", "quiet mode prints nothing");
    assert_eq!(
        fs::read_to_string(dir.join("opq/upper")).unwrap(),
        "upper\n"
    );
    assert!(
        !dir.join("opq/lower").exists(),
        "opaque directory kept a lower entry"
    );
    assert!(!dir.join("etc/doomed").exists(), "whiteout did not delete");
    // mtimes come from the tar headers, directories included (set after the last layer).
    use std::os::unix::fs::MetadataExt;
    for p in ["opq/upper", "opq"] {
        let m = fs::symlink_metadata(dir.join(p)).unwrap();
        assert_eq!(m.mtime(), 1_700_000_000, "mtime of {p}");
    }
    assert!(
        fs::read_to_string(dir.join(".singularity.d/env/10-docker2singularity.sh"))
            .unwrap()
            .contains("export FOO=\"${FOO:-\"bar-baz\"}\"\n")
    );
    let staging: Vec<_> = fs::read_dir(fx.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sifter-build-"))
        .collect();
    assert!(staging.is_empty(), "{staging:?}");
    // An existing non-empty destination is refused, and left as it was.
    let again = sifter(["build", "--sandbox", dir.to_str().unwrap(), &src]);
    assert_eq!(again.status, 255, "{}", again.stderr);
    assert!(dir.join("opq/upper").exists());
    // A plain directory source has nothing to unpack.
    let other = fx.path().join("other");
    let plain = sifter([
        "build",
        "--sandbox",
        other.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert_eq!(plain.status, 255);
    assert!(
        plain.stderr.contains("--sandbox needs an OCI image source"),
        "{}",
        plain.stderr
    );
    assert!(!other.exists());
}

/// Wraps the umoci image into a two-platform image index (linux/amd64 and linux/arm64, the
/// arm64 entry sharing the layers under its own config) tagged `multi`.
const MULTI_PLATFORM: &str = r#"
import hashlib, json, sys
d = sys.argv[1]
def blob(digest):
    return open(f"{d}/blobs/sha256/{digest[7:]}", "rb").read()
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return "sha256:" + h, len(b)
index = json.load(open(f"{d}/index.json"))
top = index["manifests"][0]
entries = []
for arch in ["amd64", "arm64"]:
    m = json.loads(blob(top["digest"]))
    cfg = json.loads(blob(m["config"]["digest"]))
    cfg["architecture"] = arch
    m["config"]["digest"], m["config"]["size"] = put(json.dumps(cfg).encode())
    md, ms = put(json.dumps(m).encode())
    entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                    "size": ms, "platform": {"architecture": arch, "os": "linux"}})
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
id_, is_ = put(json.dumps(idx).encode())
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": id_,
                           "size": is_, "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(index, open(f"{d}/index.json", "w"))
"#;

#[test]
fn a_multi_platform_index_gives_the_host_platform_or_arch() {
    if !support::privileged() {
        return;
    }
    let fx = Fixture::new("import");
    let img = make_image(&fx);
    let st = std::process::Command::new("python3")
        .args(["-c", MULTI_PLATFORM])
        .arg(&img.layout)
        .status()
        .unwrap();
    assert!(st.success());
    let src = format!("oci:{}:multi", img.layout.display());
    let host = sifter_sif::Arch::host();
    for (arch, expect) in [
        (None, host.go_name().to_string()),
        (Some("arm64"), "arm64".to_string()),
    ] {
        let sif = fx.path().join(format!("{expect}.sif"));
        let mut args = vec!["--quiet", "build"];
        if let Some(a) = arch {
            args.extend(["--arch", a]);
        }
        args.extend([sif.to_str().unwrap(), src.as_str()]);
        build(&args);
        let image = sifter_sif::SifImage::open(&sif).unwrap();
        let part = image
            .primary_partition()
            .unwrap()
            .partition()
            .unwrap()
            .clone();
        assert_eq!(part.arch.go_name(), expect, "{args:?}");
    }
    let out = sifter([
        "build",
        "--arch",
        "riscv64",
        fx.path().join("r.sif").to_str().unwrap(),
        &src,
    ]);
    assert_eq!(out.status, 255);
    assert!(
        out.stderr.contains("no image for platform linux/riscv64")
            && out.stderr.contains("(available: linux/amd64, linux/arm64)"),
        "{}",
        out.stderr
    );
    assert!(!fx.path().join("r.sif").exists());
}
