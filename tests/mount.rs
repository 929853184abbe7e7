//! Acceptance tests: `sifter oci mount` / `oci umount` as root on the real kernel
//! (oci-reference.md §3, §4, §6; checklist rows B1, M1-M3, U1-U2). Every test works in its own
//! fixture directory with its own `--root` and its own copy of the SIF, so the leak checks
//! (mounts under the fixture, loop devices backed by that copy) count only what it created.

mod crash;
mod images;
mod run;
mod umount;

use crate::support::{self, Fixture, Output};
use sifter_bundle::mounter::loopdev;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A privileged fixture: temp dir, `--root` inside it, and a private copy of a reference SIF.
pub struct Env {
    pub fx: Fixture,
    pub root: PathBuf,
    pub sif: PathBuf,
}

impl Env {
    pub fn new(image: &str) -> Env {
        let fx = Fixture::new("mount");
        let root = fx.path().join("root");
        let sif = fx.path().join(image);
        std::fs::copy(support::reference_image(image), &sif).unwrap();
        Env { fx, root, sif }
    }

    /// `<fixture>/<name>` (not created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.fx.path().join(name)
    }

    pub fn sifter(&self, args: &[&str]) -> Output {
        let mut argv = vec!["--root", self.root.to_str().unwrap(), "oci"];
        argv.extend_from_slice(args);
        support::sifter(argv)
    }

    pub fn mount(&self, bundle: &Path, fuse: bool) -> Output {
        let (sif, b) = (self.sif.to_str().unwrap(), bundle.to_str().unwrap());
        if fuse {
            self.sifter(&["mount", "--fuse", sif, b])
        } else {
            self.sifter(&["mount", sif, b])
        }
    }

    pub fn mount_ok(&self, bundle: &Path, fuse: bool) {
        let out = self.mount(bundle, fuse);
        assert_eq!(out.status, 0, "mount failed: {}", out.stderr);
        assert_eq!(out.stderr, "", "mount printed: {}", out.stderr);
    }

    pub fn umount(&self, bundle: &Path) -> Output {
        self.sifter(&["umount", bundle.to_str().unwrap()])
    }

    pub fn umount_ok(&self, bundle: &Path) {
        let out = self.umount(bundle);
        assert_eq!(out.status, 0, "umount failed: {}", out.stderr);
    }

    /// Everything this test could leak: mounts under the fixture, loop devices backed by the
    /// SIF copy, squashfuse daemons serving it, and files under `ROOT/locks` and
    /// `ROOT/bundles`.
    pub fn leaks(&self) -> Vec<String> {
        let mut out: Vec<String> = sifter_bundle::mountinfo::read()
            .unwrap()
            .iter()
            .filter(|e| e.mount_point.starts_with(self.fx.path()))
            .map(|e| format!("mount {} ({})", e.mount_point.display(), e.fstype))
            .collect();
        let sif = std::fs::canonicalize(&self.sif).unwrap_or_else(|_| self.sif.clone());
        for (dev, _) in loopdev::backed_by(&sif) {
            out.push(format!("loop device {dev}"));
        }
        out.extend(
            squashfuse_pids(&self.sif)
                .iter()
                .map(|p| format!("squashfuse pid {p}")),
        );
        for dir in ["locks", "bundles"] {
            if let Ok(rd) = std::fs::read_dir(self.root.join(dir)) {
                out.extend(rd.map(|e| format!("{dir}/{:?}", e.unwrap().file_name())));
            }
        }
        out
    }

    /// Asserts `leaks()` is empty (squashfuse daemons get a moment to exit after unmount).
    pub fn assert_clean(&self, context: &str) {
        for _ in 0..100 {
            if self.leaks().is_empty() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("{context}: left behind: {:?}", self.leaks());
    }
}

/// Live squashfuse processes whose command line names `sif`.
pub fn squashfuse_pids(sif: &Path) -> Vec<u32> {
    let needle = sif.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains("squashfuse") && cmd.contains(&needle) {
            pids.push(pid);
        }
    }
    pids
}

pub use crate::support::sifter_bin;

/// File mode bits (permissions + setuid/setgid/sticky).
pub fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Validates a config against the runtime-spec schema with Python's `jsonschema`
/// (python3-jsonschema, installed by scripts/install-deps.sh): no compile cost, and it
/// resolves the schema's local `$ref`s through a file base URI.
pub fn validate_config(config: &Path) {
    let schema = support::repo_root().join("../shared/schema/runtime-spec");
    let script = r#"
import json, pathlib, sys, warnings
warnings.simplefilter("ignore")
from jsonschema import Draft4Validator, RefResolver
d = pathlib.Path(sys.argv[1]).resolve()
schema = json.load(open(d / "config-schema.json"))
v = Draft4Validator(schema, resolver=RefResolver(base_uri=d.as_uri() + "/", referrer=schema))
errs = [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(json.load(open(sys.argv[2])))]
print("\n".join(errs)); sys.exit(1 if errs else 0)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&schema)
        .arg(config)
        .output()
        .expect("python3 (with jsonschema) is needed to validate configs");
    assert!(
        out.status.success(),
        "{} does not validate: {}{}",
        config.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Same set-up as scripts/test.sh (idempotent): crun 1.8 refuses a hybrid cgroup host while a
/// controller still sits in the cgroup2 mount, so move those controllers to v1 hierarchies.
pub fn crun_cgroup_setup() {
    let unified = Path::new("/sys/fs/cgroup/unified/cgroup.controllers");
    let Ok(controllers) = std::fs::read_to_string(unified) else {
        return;
    };
    for c in controllers.split_whitespace() {
        let dir = format!("/sys/fs/cgroup/{c}");
        let mounted = Command::new("mountpoint").args(["-q", &dir]).status();
        if mounted.is_ok_and(|s| s.success()) {
            continue;
        }
        let _ = std::fs::create_dir_all(&dir);
        let _ = Command::new("mount")
            .args(["-t", "cgroup", "-o", c, "cgroup", &dir])
            .status();
    }
}
