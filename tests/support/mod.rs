//! Test support: `Fixture` (a temp dir plus insta settings bound to the module's snapshot folder
//! with redaction filters), an in-process CLI runner, and prerequisite checks.
#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/testdata/sif-reference` next to the checkout.
pub fn reference_dir() -> PathBuf {
    repo_root().join("../shared/testdata/sif-reference")
}

/// One reference image by file name.
pub fn reference_image(name: &str) -> PathBuf {
    reference_dir().join(name)
}

/// A captured run of the CLI.
#[derive(Debug, Clone)]
pub struct Output {
    pub status: u8,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `sifter ARGS…` in-process with `stdin` as standard input.
pub fn sifter_with_stdin<I, S>(args: I, stdin: &[u8]) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut argv: Vec<OsString> = vec!["sifter".into()];
    argv.extend(args.into_iter().map(Into::into));
    let out = Shared::default();
    let err = Shared::default();
    let mut io = sifter_cli::Io::new(
        Box::new(std::io::Cursor::new(stdin.to_vec())),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    let status = sifter_cli::main_with(argv, &mut io);
    let stdout_bytes = out.0.lock().unwrap().clone();
    let stderr = String::from_utf8_lossy(&err.0.lock().unwrap()).into_owned();
    Output {
        status,
        stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
        stderr,
        stdout_bytes,
    }
}

/// Runs `sifter ARGS…` in-process with empty standard input.
pub fn sifter<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    sifter_with_stdin(args, b"")
}

impl Output {
    /// A plain-text transcript for snapshots: command, status, stdout, stderr.
    pub fn transcript(&self, cmdline: &str) -> String {
        format!(
            "$ sifter {cmdline}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// A temp dir plus insta settings for one acceptance module (`snapshots/<module>/`), with the
/// temp dir redacted as `[TMP]`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    settings: insta::Settings,
    _guard: Option<insta::internals::SettingsBindDropGuard>,
}

impl Fixture {
    pub fn new(module: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sifter-test-")
            .tempdir_in(test_tmp())
            .unwrap();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(repo_root().join("snapshots").join(module));
        settings.set_prepend_module_to_snapshot(false);
        settings.add_filter(&regex_escape(&dir.path().display().to_string()), "[TMP]");
        settings.add_filter(&regex_escape(&repo_root().display().to_string()), "[REPO]");
        let guard = settings.bind_to_scope();
        Fixture {
            dir,
            settings,
            _guard: Some(guard),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds a redaction filter (regex → replacement) for the rest of the test.
    pub fn filter(&mut self, regex: &str, replacement: &str) {
        self._guard = None;
        self.settings.add_filter(regex, replacement);
        self._guard = Some(self.settings.bind_to_scope());
    }
}

/// A site configuration whose only hooks are the Lua scripts in `dir` (no dylib directory).
pub fn lua_site(dir: &Path) -> String {
    format!(
        "[hooks]\nlua_dirs = [\"{}\"]\nplugin_dirs = []\n",
        dir.display()
    )
}

/// Escapes a literal for an insta filter regex.
pub fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Where tests make temp dirs: `/var/tmp` (a real disk filesystem, so overlay upper dirs work;
/// /tmp may be a tmpfs).
pub fn test_tmp() -> PathBuf {
    PathBuf::from(std::env::var_os("SIFTER_TEST_TMP").unwrap_or_else(|| "/var/tmp".into()))
}

/// True when the privileged suites must run: root, unless `SIFTER_SKIP_PRIVILEGED=1`.
/// Without root and without the opt-out, the privileged tests fail (never a silent skip).
pub fn privileged() -> bool {
    if std::env::var("SIFTER_SKIP_PRIVILEGED").as_deref() == Ok("1") {
        eprintln!("SIFTER_SKIP_PRIVILEGED=1: skipping a privileged test");
        return false;
    }
    assert!(
        nix::unistd::geteuid().is_root(),
        "privileged tests need root; set SIFTER_SKIP_PRIVILEGED=1 to skip them explicitly"
    );
    true
}

/// Test set-up, not sifter (oci-reference.md §5.1): crun 1.8 refuses a hybrid cgroup host
/// while a controller still sits in the cgroup2 mount, so each such controller gets its own v1
/// hierarchy, as `scripts/test.sh` does. Idempotent; sifter never changes the host's layout.
pub fn crun_cgroup_setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(controllers) = std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers")
        else {
            return;
        };
        for c in controllers.split_whitespace() {
            let dir = PathBuf::from("/sys/fs/cgroup").join(c);
            let mounted = std::process::Command::new("mountpoint")
                .arg("-q")
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !mounted {
                let _ = std::fs::create_dir_all(&dir);
                let ok = std::process::Command::new("mount")
                    .args(["-t", "cgroup", "-o", c, "cgroup"])
                    .arg(&dir)
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "could not mount the {c} cgroup hierarchy for crun");
            }
        }
    });
}

/// The real `sifter` executable next to this test binary (`target/<profile>/sifter`), for the
/// tests that need a separate process (kill -9, ptys, another uid). `cargo test` does not build
/// another package's binary, so scripts/test.sh builds the workspace first.
pub fn sifter_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("sifter");
    assert!(
        bin.is_file(),
        "{} is missing: build the workspace first (scripts/test.sh runs `cargo build --workspace`)",
        bin.display()
    );
    bin
}

/// Runs the real `sifter` with `args` as user and group 65534 (nobody) from `/`. The binary is
/// copied into `scratch` (made 0711) when one of its directories is closed to others.
pub fn sifter_as_nobody<I, S>(scratch: &Path, args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::os::unix::fs::PermissionsExt;
    let mut bin = sifter_bin();
    let searchable = bin
        .ancestors()
        .skip(1)
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    if !searchable {
        let copy = scratch.join("sifter-as-nobody");
        if !copy.exists() {
            std::fs::set_permissions(scratch, std::fs::Permissions::from_mode(0o711)).unwrap();
            std::fs::copy(&bin, &copy).unwrap();
        }
        bin = copy;
    }
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(args)
        .current_dir("/")
        .output()
        .expect("setpriv (util-linux) must be installed")
}
