//! A converted image runs its own entrypoint: `sifter build` from a docker-archive, then
//! `sifter oci mount` derives the process from the stored `oci-config.json` (Entrypoint + Cmd,
//! Env, WorkingDir), and `sifter oci run` prints the container's working directory, an env value and its
//! arguments. Also: `--sandbox` output, progress lines and quiet mode.

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

    let u = sifter([
        "--root",
        root.to_str().unwrap(),
        "oci",
        "umount",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(u.status, 0, "{}", u.stderr);
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
}
