//! External commands of this crate (squashfuse): the full command line is logged at `debug`,
//! stderr goes to a temp file (a daemonising child may keep a pipe open forever), and a
//! failure becomes `BundleError::Command` with program, args, status and stderr.

use crate::{BundleError, Result};
use std::io::{Read, Seek};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `program args…` to completion; Ok when it exits 0.
pub fn run(program: &Path, args: &[String]) -> Result<()> {
    tracing::debug!(program = %program.display(), args = ?args, "running");
    let spawn_err = |source| BundleError::Spawn {
        program: program.display().to_string(),
        source,
    };
    let mut err_file = tempfile::tempfile().map_err(spawn_err)?;
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file.try_clone().map_err(spawn_err)?)
        .status()
        .map_err(spawn_err)?;
    if status.success() {
        return Ok(());
    }
    let mut stderr = String::new();
    let _ = err_file.rewind();
    let _ = err_file.read_to_string(&mut stderr);
    let stderr = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    Err(BundleError::Command {
        program: program.display().to_string(),
        args: args.to_vec(),
        status: status.to_string(),
        stderr,
    })
}
