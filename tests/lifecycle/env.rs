//! The lifecycle fixture: a temp dir with a private `--root`, bundles made from
//! `busybox_amd64.sif`, the in-process CLI and the real `sifter` binary, and the leak checks
//! that count only what this test made.

use crate::support::{self, Fixture, Output};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Byte offset of the squashfs partition in `busybox_amd64.sif`.
const BUSYBOX_OFFSET: &str = "45056";

pub struct Env {
    pub fx: Fixture,
    pub root: PathBuf,
    pub runtime: &'static str,
    /// `--config` for every command, when a test needs a site config.
    pub config: Option<PathBuf>,
    /// Every ID [`Env::id`] handed out, for the cgroup leak check.
    ids: std::sync::Mutex<Vec<String>>,
}

impl Env {
    /// `None` only when the privileged suites are explicitly skipped.
    pub fn new(runtime: &'static str) -> Option<Env> {
        if !support::privileged() {
            return None;
        }
        support::crun_cgroup_setup();
        let fx = Fixture::new("lifecycle");
        let root = fx.path().join("root");
        Some(Env {
            fx,
            root,
            runtime,
            config: None,
            ids: Default::default(),
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.fx.path().join(name)
    }

    /// A fresh random container ID.
    pub fn id(&self, prefix: &str) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let id = format!(
            "{prefix}-{:x}{:x}-{}",
            std::process::id(),
            nanos,
            N.fetch_add(1, Ordering::Relaxed)
        );
        self.ids.lock().unwrap().push(id.clone());
        id
    }

    /// The global flags every command gets.
    pub fn global(&self) -> Vec<String> {
        let mut v = vec![
            "--root".into(),
            self.root.display().to_string(),
            "--runtime".into(),
            self.runtime.into(),
        ];
        if let Some(c) = &self.config {
            v.extend(["--config".into(), c.display().to_string()]);
        }
        v
    }

    /// `sifter --root R --runtime RT oci ARGS…` in-process.
    pub fn oci(&self, args: &[&str]) -> Output {
        self.oci_stdin(args, b"")
    }

    pub fn oci_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut argv = self.global();
        argv.push("oci".into());
        argv.extend(args.iter().map(|s| s.to_string()));
        support::sifter_with_stdin(argv, stdin)
    }

    /// Like [`Env::oci`], asserting exit 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.oci(args);
        assert_eq!(out.status, 0, "sifter oci {args:?}: {}", out.stderr);
        out
    }

    /// The real binary with the global flags, for pty and signal tests.
    pub fn bin(&self, args: &[&str]) -> Command {
        let mut c = Command::new(sifter_bin());
        c.args(self.global()).arg("oci").args(args);
        c
    }

    /// A bundle `<tmp>/<name>` with the busybox rootfs (unsquashfs of the SIF's partition)
    /// and a config.json as `oci mount` writes it, with these args and terminal flag.
    pub fn bundle(&self, name: &str, args: &[&str], terminal: bool) -> PathBuf {
        let bundle = self.path(name);
        std::fs::create_dir_all(&bundle).unwrap();
        let rootfs = bundle.join("rootfs");
        let st = Command::new("unsquashfs")
            .args(["-q", "-n", "-o", BUSYBOX_OFFSET, "-d"])
            .arg(&rootfs)
            .arg(support::reference_image("busybox_amd64.sif"))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("unsquashfs (squashfs-tools) must be installed");
        assert!(st.success(), "unsquashfs failed");
        self.write_config(&bundle, args, terminal);
        bundle
    }

    /// `oci mount` of a private copy of `busybox_amd64.sif` at `<tmp>/<name>` (asserting
    /// success); the config is the generated one (`sh` with a terminal).
    pub fn mount_busybox(&self, name: &str) -> PathBuf {
        let sif = self.path("busybox_amd64.sif");
        if !sif.exists() {
            std::fs::copy(support::reference_image("busybox_amd64.sif"), &sif).unwrap();
        }
        let bundle = self.path(name);
        self.ok(&["mount", sif.to_str().unwrap(), bundle.to_str().unwrap()]);
        bundle
    }

    pub fn write_config(&self, bundle: &Path, args: &[&str], terminal: bool) {
        let config = config(&bundle.join("rootfs"), args, terminal);
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
    }

    /// `state` as JSON (asserting success).
    pub fn state(&self, id: &str) -> Value {
        let out = self.ok(&["state", id]);
        serde_json::from_str(&out.stdout).unwrap()
    }

    pub fn status(&self, id: &str) -> String {
        self.state(id)["status"].as_str().unwrap().to_string()
    }

    /// Polls `state` until the status is `want` (10 s at most).
    pub fn wait_status(&self, id: &str, want: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.oci(&["state", id]);
            if out.status == 0 {
                let v: Value = serde_json::from_str(&out.stdout).unwrap();
                if v["status"] == want {
                    return v;
                }
            }
            assert!(Instant::now() < deadline, "{id} never became {want}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls until the container is stopped and its exit code known (10 s at most): the
    /// runtime reports `stopped` a moment before conmon writes the exit file.
    pub fn wait_exit(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self.wait_status(id, "stopped");
            if v.get("exitCode").is_some() {
                return v;
            }
            assert!(Instant::now() < deadline, "{id} has no exit code");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asserts that nothing of this test remains: `list` empty; `containers/`, `bundles/`,
    /// `locks/` empty; no runtime state; no conmon or relay for this root; no mount below
    /// the temp dir.
    pub fn assert_clean(&self) {
        let out = self.ok(&["list", "--format", "json"]);
        assert_eq!(out.stdout.trim(), "[]", "list is not empty");
        for dir in ["containers", "bundles", "locks"] {
            let d = self.root.join(dir);
            let left: Vec<_> = std::fs::read_dir(&d)
                .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "{} still holds {left:?}", d.display());
        }
        let rt = self.root.join("runtime");
        let left: Vec<_> = std::fs::read_dir(&rt)
            .map(|r| r.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "runtime state left: {left:?}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.processes().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(self.processes(), Vec::<String>::new(), "processes left");
        let tmp = self.fx.path().display().to_string();
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let left: Vec<&str> = mounts.lines().filter(|l| l.contains(&tmp)).collect();
        assert!(left.is_empty(), "mounts left: {left:?}");
        let ids = self.ids.lock().unwrap().clone();
        let left = cgroups_named(Path::new("/sys/fs/cgroup"), &ids, 8);
        assert!(left.is_empty(), "cgroups left: {left:?}");
    }

    /// Live (non-zombie) processes whose command line names this test's root.
    pub fn processes(&self) -> Vec<String> {
        let root = self.root.display().to_string();
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
                continue;
            };
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'));
            if cmd.contains(&root) && !zombie {
                out.push(format!("{name}: {cmd}"));
            }
        }
        out
    }
}

impl Drop for Env {
    /// A failed test must not leave containers running (or frozen) on the host.
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir(self.root.join("containers")) else {
            return;
        };
        for e in entries.flatten() {
            let id = e.file_name().to_string_lossy().into_owned();
            let _ = self.oci(&["delete", "--force", &id]);
        }
    }
}

/// The config `oci mount` generates for busybox (oci-reference.md §4.5, from the same
/// generator), with absolute `root.path`, given args and terminal.
pub fn config(rootfs: &Path, args: &[&str], terminal: bool) -> Value {
    let host = sifter_bundle::config::HostInfo {
        bundle: rootfs
            .parent()
            .expect("rootfs lies in a bundle")
            .to_path_buf(),
        entry_point: None,
        passwd: None,
    };
    let generated = sifter_bundle::config::generate(&Default::default(), &host);
    let mut v: Value =
        serde_json::from_slice(&sifter_bundle::config::to_bytes(&generated.spec)).unwrap();
    v["root"] = json!({ "path": rootfs });
    v["process"]["args"] = json!(args);
    v["process"]["terminal"] = json!(terminal);
    v
}

pub use crate::support::sifter_bin;

/// Directories named one of `ids` anywhere below `dir` (down to `depth` levels): a runtime
/// nests a container's cgroup under its own cgroup in each hierarchy, which need not be the
/// hierarchy's root.
pub fn cgroups_named(dir: &Path, ids: &[String], depth: u32) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(t) = e.file_type() else { continue };
        if !t.is_dir() {
            continue;
        }
        if ids.iter().any(|id| e.file_name() == id.as_str()) {
            out.push(e.path());
        } else if depth > 0 {
            out.extend(cgroups_named(&e.path(), ids, depth - 1));
        }
    }
    out
}
