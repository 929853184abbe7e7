//! Every external command goes through here: the full command line is logged at debug level
//! before it runs, with a cleared environment (`PATH=<search path>` only).

use crate::{Result, RuntimeError};
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A command with sifter's fixed environment and working directory.
pub fn command(argv: &[OsString], path_env: &str, cwd: &Path) -> Command {
    tracing::debug!(program = ?argv[0], args = ?&argv[1..], cwd = %cwd.display(), "exec");
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", path_env)
        .current_dir(cwd);
    cmd
}

/// Runs a command with stdin `/dev/null` and captured output.
pub fn capture(argv: &[OsString], path_env: &str, cwd: &Path) -> Result<Output> {
    command(argv, path_env, cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| RuntimeError::Spawn {
            program: argv[0].clone().into(),
            source,
        })
}
