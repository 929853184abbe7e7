//! `oci exec` (oci-reference.md §2.5.8). Effects, in order:
//! 1. check `-e` (`KEY=VALUE`, non-empty key) and `--cwd` (absolute);
//! 2. the status must be `running` (no lock: exec runs for as long as the command does); start
//!    the helper thread (`prime.rs`: the wait of the runtime's cgroup join, crun's copy);
//! 3. run `RT exec …` in the foreground with its own log `CDIR/exec-<sifter pid>.log`,
//!    forwarding explicitly sent signals;
//! 4. a non-zero exit plus an error entry in that log means the command could not start;
//!    otherwise the runtime's status is the command's; remove the log.

use crate::driver::{ExecOp, RuntimeOp, argv};
use crate::foreground::{self, Streams};
use crate::{ContainerId, Engine, Op, Result, RuntimeError};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ExecRequest {
    pub id: String,
    pub tty: bool,
    pub env: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub command: Vec<OsString>,
}

pub fn exec(engine: &Engine, req: &ExecRequest, streams: Streams<'_>) -> Result<i32> {
    let id = ContainerId::parse(&req.id)?;
    let _span = tracing::debug_span!("exec", id = %id).entered();
    for e in &req.env {
        if e.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            return Err(RuntimeError::InvalidEnv { entry: e.clone() });
        }
    }
    if let Some(cwd) = &req.cwd
        && !cwd.is_absolute()
    {
        return Err(RuntimeError::RelativeCwd { path: cwd.clone() });
    }
    let rec = engine.record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Exec, id.as_str())?;
    // The runtime joins the container's cgroups: let the kernel's grace period start now,
    // and copy crun meanwhile.
    crate::prime::start(Some(&rec.runtime), engine.primes_cgroup_migration());
    let mut prefix = engine.prefix(&id, &rec);
    prefix.log = engine
        .store
        .cdir(&id)
        .join(format!("exec-{}.log", std::process::id()));
    let base_env = container_env(&engine.store.private_bundle(&id).join("config.json"));
    let op = RuntimeOp::Exec(ExecOp {
        id: id.as_str(),
        tty: req.tty,
        env: &req.env,
        base_env: &base_env,
        cwd: req.cwd.as_deref(),
        command: &req.command,
    });
    let cdir = engine.store.cdir(&id);
    let cmd =
        crate::cmd::RuntimeCommand::new(&argv(&prefix, &op), &engine.path_env, &cdir, Some(&cdir));
    let code = foreground::run(cmd, streams);
    let log = std::fs::read_to_string(&prefix.log).unwrap_or_default();
    let _ = std::fs::remove_file(&prefix.log);
    let code = code?;
    if code != 0
        && let Some(msg) = crate::driver::log::last_error(&log)
    {
        return Err(RuntimeError::runtime_failed(prefix.name(), "exec", msg));
    }
    Ok(code)
}

/// `process.env` of the effective config.
fn container_env(config: &std::path::Path) -> Vec<String> {
    std::fs::read(config)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v["process"]["env"].clone()).ok())
        .unwrap_or_default()
}
