//! Every external command goes through here: the full command line is logged at debug level
//! before it runs, with a cleared environment (`PATH=<search path>` only). Runtime processes
//! start through [`RuntimeCommand`], which runs crun from its sealed copy ([`crate::exe`]).

use crate::exe::SealedExe;
use crate::{Result, RuntimeError};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// A command with sifter's fixed environment and working directory.
pub fn command(argv: &[OsString], path_env: &str, cwd: &Path) -> Command {
    tracing::debug!(program = ?argv[0], args = ?&argv[1..], cwd = %cwd.display(), "exec");
    let mut cmd = Command::new(&argv[0]);
    configure(&mut cmd, argv, path_env, cwd);
    cmd
}

fn configure(cmd: &mut Command, argv: &[OsString], path_env: &str, cwd: &Path) {
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", path_env)
        .current_dir(cwd);
}

/// A runtime call about to start: `argv[0]` is the runtime's path, which is also what the
/// process sees as its `argv[0]` when it runs from a sealed copy. The copy's symlink lives in
/// `scratch` (the container's directory; no copy without one).
pub struct RuntimeCommand {
    pub cmd: Command,
    runtime: OsString,
    exe: Option<SealedExe>,
}

impl RuntimeCommand {
    pub fn new(
        argv: &[OsString],
        path_env: &str,
        cwd: &Path,
        scratch: Option<&Path>,
    ) -> RuntimeCommand {
        let exe = scratch.and_then(|dir| SealedExe::for_runtime(Path::new(&argv[0]), dir));
        tracing::debug!(program = ?argv[0], args = ?&argv[1..], cwd = %cwd.display(), sealed_copy = exe.is_some(), "exec");
        let mut cmd = match &exe {
            Some(exe) => {
                let mut c = Command::new(exe.program());
                c.arg0(&argv[0]);
                c
            }
            None => Command::new(&argv[0]),
        };
        configure(&mut cmd, argv, path_env, cwd);
        RuntimeCommand {
            cmd,
            runtime: argv[0].clone(),
            exe,
        }
    }

    /// The runtime's path (for messages).
    pub fn runtime(&self) -> &OsString {
        &self.runtime
    }

    /// Starts the process.
    pub fn spawn(&mut self) -> Result<Child> {
        let child = self.cmd.spawn().map_err(|source| RuntimeError::Spawn {
            program: self.runtime.clone().into(),
            source,
        })?;
        // The child runs: the symlink it was started by can go (the copy lives on in it).
        self.exe = None;
        Ok(child)
    }
}

/// Runs a runtime call with stdin `/dev/null` and captured output.
pub fn capture(
    argv: &[OsString],
    path_env: &str,
    cwd: &Path,
    scratch: Option<&Path>,
) -> Result<Output> {
    let mut rc = RuntimeCommand::new(argv, path_env, cwd, scratch);
    rc.cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = rc.spawn()?;
    child
        .wait_with_output()
        .map_err(|source| RuntimeError::Spawn {
            program: argv[0].clone().into(),
            source,
        })
}
