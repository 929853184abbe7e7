//! The `RuntimeDriver` seam: runc and crun behind one pure argv builder ([`argv`]) and one
//! call path that turns a failure into the §2.4 message (oci-reference.md §5.5). Flavor quirks
//! sit in the single `match` of [`argv`] and in [`Flavor`]'s own methods.

pub mod log;

use crate::{Result, RuntimeError, cmd};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Which runtime a path is, by its file name (anything unknown is driven like runc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Runc,
    Crun,
}

impl Flavor {
    pub fn of(runtime: &Path) -> Flavor {
        match runtime.file_name().and_then(OsStr::to_str) {
            Some(n) if n.starts_with("crun") => Flavor::Crun,
            _ => Flavor::Runc,
        }
    }

    /// Whether sifter hands the runtime a sealed copy of its binary ([`crate::exe`]): crun
    /// (0.5 MB) accepts one instead of re-executing itself; copying runc (8.7 MB) would cost
    /// more than its own clone.
    pub fn takes_sealed_copy(self) -> bool {
        self == Flavor::Crun
    }
}

/// The global options every call for one container carries (§5.5).
#[derive(Debug, Clone)]
pub struct Prefix {
    pub runtime: PathBuf,
    pub root: PathBuf,
    pub log: PathBuf,
    pub systemd_cgroup: bool,
    pub debug: bool,
}

impl Prefix {
    /// The runtime's file name, as used in messages (`runc start failed: …`).
    pub fn name(&self) -> String {
        self.runtime
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.runtime.display().to_string())
    }

    /// The runtime's own options, as conmon's `--runtime-arg`s take them.
    pub fn global_args(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = Vec::new();
        if self.systemd_cgroup {
            v.push("--systemd-cgroup".into());
        }
        v.push("--root".into());
        v.push(self.root.clone().into());
        v.push("--log".into());
        v.push(self.log.clone().into());
        v.push("--log-format=json".into());
        if self.debug {
            v.push("--debug".into());
        }
        v
    }
}

/// One runtime subcommand and its arguments.
#[derive(Debug, Clone)]
pub enum RuntimeOp<'a> {
    Start {
        id: &'a str,
    },
    State {
        id: &'a str,
    },
    Kill {
        id: &'a str,
        signal: i32,
    },
    Pause {
        id: &'a str,
    },
    Resume {
        id: &'a str,
    },
    Update {
        id: &'a str,
        resources: &'a Path,
    },
    Delete {
        id: &'a str,
        force: bool,
    },
    Exec(ExecOp<'a>),
    /// `run` in the foreground (sifter's direct `run` path, §2.5.7).
    Run {
        id: &'a str,
        bundle: &'a Path,
        pid_file: &'a Path,
    },
}

#[derive(Debug, Clone)]
pub struct ExecOp<'a> {
    pub id: &'a str,
    pub tty: bool,
    pub env: &'a [String],
    /// The container's `process.env` (see the crun quirk in [`argv`]).
    pub base_env: &'a [String],
    pub cwd: Option<&'a Path>,
    pub command: &'a [OsString],
}

impl RuntimeOp<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            RuntimeOp::Start { .. } => "start",
            RuntimeOp::State { .. } => "state",
            RuntimeOp::Kill { .. } => "kill",
            RuntimeOp::Pause { .. } => "pause",
            RuntimeOp::Resume { .. } => "resume",
            RuntimeOp::Update { .. } => "update",
            RuntimeOp::Delete { .. } => "delete",
            RuntimeOp::Exec(_) => "exec",
            RuntimeOp::Run { .. } => "run",
        }
    }
}

/// The full command line: `RT <prefix> <subcommand> …`. Pure.
///
/// runc 1.1 and crun 1.8 accept the same spelling of every option used here (crun's argp
/// takes `--tty` with an optional value, so the bare flag is fine). The one difference is
/// handled in the `match` below.
pub fn argv(prefix: &Prefix, op: &RuntimeOp) -> Vec<OsString> {
    let flavor = Flavor::of(&prefix.runtime);
    let mut v: Vec<OsString> = vec![prefix.runtime.clone().into()];
    v.extend(prefix.global_args());
    v.push(op.name().into());
    let s = |x: &str| OsString::from(x);
    match op {
        RuntimeOp::Start { id }
        | RuntimeOp::State { id }
        | RuntimeOp::Pause { id }
        | RuntimeOp::Resume { id } => v.push(s(id)),
        RuntimeOp::Kill { id, signal } => v.extend([s(id), s(&signal.to_string())]),
        RuntimeOp::Update { id, resources } => {
            v.extend([s("--resources"), resources.into(), s(id)]);
        }
        RuntimeOp::Delete { id, force } => {
            if *force {
                v.push(s("--force"));
            }
            v.push(s(id));
        }
        RuntimeOp::Exec(e) => {
            if e.tty {
                v.push(s("--tty"));
            }
            // Flavor quirk: crun 1.8 `exec --env` replaces the process environment instead
            // of adding to it (runc adds; runc libcontainer/process.go vs crun src/exec.c), so
            // crun gets the container's own env first whenever `-e` is used.
            let base: &[String] = match flavor {
                Flavor::Crun if !e.env.is_empty() => e.base_env,
                Flavor::Crun | Flavor::Runc => &[],
            };
            for kv in base.iter().chain(e.env) {
                v.extend([s("--env"), s(kv)]);
            }
            if let Some(cwd) = e.cwd {
                v.extend([s("--cwd"), cwd.into()]);
            }
            v.push(s(e.id));
            v.extend(e.command.iter().cloned());
        }
        RuntimeOp::Run {
            id,
            bundle,
            pid_file,
        } => {
            v.extend([
                s("--bundle"),
                bundle.into(),
                s("--pid-file"),
                pid_file.into(),
            ]);
            // Both runtimes keep the container's stdio on the `run` process and report its
            // exit status (128+N for signal N) as their own; no flag needed.
            v.push(s(id));
        }
    }
    v
}

/// The seam: one captured runtime call. Production uses [`Cli`].
pub trait RuntimeDriver: Send + Sync {
    /// Runs `op`; on success returns its stdout, on failure the §2.4 error.
    fn call(&self, prefix: &Prefix, op: &RuntimeOp, cwd: &Path) -> Result<Vec<u8>>;
}

/// Runs the real runtime binary with `PATH=<search path>` only.
#[derive(Debug, Clone)]
pub struct Cli {
    pub path_env: String,
}

impl RuntimeDriver for Cli {
    fn call(&self, prefix: &Prefix, op: &RuntimeOp, cwd: &Path) -> Result<Vec<u8>> {
        let argv = argv(prefix, op);
        let log_start = std::fs::metadata(&prefix.log).map(|m| m.len()).unwrap_or(0);
        let (cwd, scratch) = if cwd.is_dir() {
            (cwd, Some(cwd))
        } else {
            (Path::new("/"), None)
        };
        let out = cmd::capture(&argv, &self.path_env, cwd, scratch)?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        let tail = read_from(&prefix.log, log_start);
        let status = match out.status.code() {
            Some(c) => format!("exit status {c}"),
            None => format!("{}", out.status),
        };
        Err(RuntimeError::runtime_failed(
            prefix.name(),
            op.name(),
            log::failure_message(&tail, &out.stderr, &status),
        ))
    }
}

/// The text of `path` from byte `offset` on (empty when unreadable).
pub fn read_from(path: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path)
        && f.seek(SeekFrom::Start(offset)).is_ok()
    {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        s = String::from_utf8_lossy(&bytes).into_owned();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(rt: &str, systemd: bool, debug: bool) -> Prefix {
        Prefix {
            runtime: rt.into(),
            root: "/run/sifter/runtime".into(),
            log: "/run/sifter/containers/c1/runtime.log".into(),
            systemd_cgroup: systemd,
            debug,
        }
    }

    fn show(v: Vec<OsString>) -> String {
        v.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn prefix_goes_on_every_call() {
        let p = prefix("/usr/sbin/runc", false, false);
        insta::assert_snapshot!(show(argv(&p, &RuntimeOp::Kill { id: "c1", signal: 9 })), @"/usr/sbin/runc --root /run/sifter/runtime --log /run/sifter/containers/c1/runtime.log --log-format=json kill c1 9");
        let p = prefix("/usr/bin/crun", true, true);
        insta::assert_snapshot!(show(argv(&p, &RuntimeOp::Delete { id: "c1", force: true })), @"/usr/bin/crun --systemd-cgroup --root /run/sifter/runtime --log /run/sifter/containers/c1/runtime.log --log-format=json --debug delete --force c1");
        assert_eq!(p.name(), "crun");
        assert_eq!(Flavor::of(Path::new("/usr/bin/crun")), Flavor::Crun);
    }

    #[test]
    fn crun_exec_env_keeps_the_container_env() {
        let env = vec!["A=1".to_string()];
        let base = vec!["PATH=/bin".to_string()];
        let cmd = vec![OsString::from("env")];
        let exec = |e: &[String]| {
            show(argv(
                &prefix("/usr/bin/crun", false, false),
                &RuntimeOp::Exec(ExecOp {
                    id: "c1",
                    tty: false,
                    env: e,
                    base_env: &base,
                    cwd: None,
                    command: &cmd,
                }),
            ))
        };
        insta::assert_snapshot!(exec(&env), @"/usr/bin/crun --root /run/sifter/runtime --log /run/sifter/containers/c1/runtime.log --log-format=json exec --env PATH=/bin --env A=1 c1 env");
        insta::assert_snapshot!(exec(&[]), @"/usr/bin/crun --root /run/sifter/runtime --log /run/sifter/containers/c1/runtime.log --log-format=json exec c1 env");
    }

    #[test]
    fn subcommands() {
        let p = prefix("/usr/sbin/runc", false, false);
        let env = vec!["A=1".to_string()];
        let cmd = vec![
            OsString::from("sh"),
            OsString::from("-c"),
            OsString::from("pwd"),
        ];
        let exec = RuntimeOp::Exec(ExecOp {
            id: "c1",
            tty: true,
            env: &env,
            base_env: &[],
            cwd: Some(Path::new("/tmp")),
            command: &cmd,
        });
        let ops = [
            RuntimeOp::Start { id: "c1" },
            RuntimeOp::State { id: "c1" },
            RuntimeOp::Pause { id: "c1" },
            RuntimeOp::Resume { id: "c1" },
            RuntimeOp::Update {
                id: "c1",
                resources: Path::new("/r/res.json"),
            },
            RuntimeOp::Delete {
                id: "c1",
                force: false,
            },
            exec,
            RuntimeOp::Run {
                id: "c1",
                bundle: Path::new("/r/containers/c1/bundle"),
                pid_file: Path::new("/r/containers/c1/container.pid"),
            },
        ];
        let out: Vec<String> = ops
            .iter()
            .map(|op| show(argv(&p, op)).replace("/usr/sbin/runc --root /run/sifter/runtime --log /run/sifter/containers/c1/runtime.log --log-format=json ", "RT "))
            .collect();
        insta::assert_snapshot!(out.join("\n"), @r"
        RT start c1
        RT state c1
        RT pause c1
        RT resume c1
        RT update --resources /r/res.json c1
        RT delete c1
        RT exec --tty --env A=1 --cwd /tmp c1 sh -c pwd
        RT run --bundle /r/containers/c1/bundle --pid-file /r/containers/c1/container.pid c1
        ");
    }
}
