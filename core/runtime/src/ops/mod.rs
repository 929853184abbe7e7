//! One file per lifecycle operation; each opens with its effects in order. Shared pieces
//! (claims, teardown, signal plumbing) live here.

pub mod attach;
pub mod create;
pub mod delete;
pub mod exec;
pub mod kill;
pub mod list;
pub mod log_relay;
pub mod pause;
pub mod resume;
pub mod run;
pub mod start;
pub mod state;
pub mod update;

#[cfg(test)]
mod tests;

use crate::store::Record;
use crate::{ContainerId, Engine, Result, RuntimeError};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::Path;
use std::time::{Duration, Instant};

/// `--log-format` (oci-reference.md §5.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Kubernetes,
    Json,
    Basic,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Kubernetes => "kubernetes",
            LogFormat::Json => "json",
            LogFormat::Basic => "basic",
        }
    }
    pub fn parse(s: &str) -> LogFormat {
        match s {
            "json" => LogFormat::Json,
            "basic" => LogFormat::Basic,
            _ => LogFormat::Kubernetes,
        }
    }
}

/// Sends `sig` to `pid` only when it is still the process we recorded.
pub(crate) fn signal_if_alive(pid: i32, start: Option<u64>, sig: Signal) -> bool {
    if crate::proc::alive(pid, start) {
        kill(Pid::from_raw(pid), sig).is_ok()
    } else {
        false
    }
}

/// Waits up to `wait` for the recorded process to go away (conmon usually exits within a
/// millisecond of writing its exit file, so the first looks come quickly).
pub(crate) fn wait_gone(pid: i32, start: Option<u64>, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let mut naps = crate::time::Naps::up_to(Duration::from_millis(10));
    while crate::proc::alive(pid, start) {
        if Instant::now() >= deadline {
            return false;
        }
        naps.sleep();
    }
    true
}

/// Removes the bundle claim if it still names `id` (under the bundle lock).
pub(crate) fn release_claim(engine: &Engine, bundle: &Path, id: &ContainerId) -> Result<()> {
    let canonical = sifter_bundle::canonical_bundle(bundle)?;
    let lock = sifter_bundle::BundleLock::acquire(engine.store.root(), &canonical)?;
    if let Ok(Some(claim)) = sifter_bundle::read_claim(engine.store.root(), lock.key())
        && claim.id == id.as_str()
    {
        let path = sifter_bundle::claim_path(engine.store.root(), lock.key());
        std::fs::remove_file(&path).map_err(RuntimeError::io("remove bundle claim", path))?;
    }
    Ok(())
}

/// The entries of `dir` in byte order; none when it cannot be read.
pub(crate) fn sorted_paths(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
}

/// Bundles whose claim names `id`.
pub(crate) fn claims_naming<'a>(
    engine: &'a Engine,
    id: &'a ContainerId,
) -> impl Iterator<Item = std::path::PathBuf> + 'a {
    let entries = sorted_paths(&engine.store.root().join("bundles"));
    entries.into_iter().filter_map(move |p| {
        let claim: sifter_bundle::Claim = serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?;
        (claim.id == id.as_str()).then_some(claim.bundle)
    })
}

/// Removes every trace of a container except its runtime state: conmon and relay (if still
/// alive), `CDIR`, the claim, the pid file if it still holds our PID. The lock file goes
/// last, with the lock handle.
pub(crate) fn remove_all(
    engine: &Engine,
    id: &ContainerId,
    rec: &Record,
    lock: crate::store::IdLock,
) -> Result<()> {
    let p = &rec.pids;
    if signal_if_alive(p.conmon_pid, p.conmon_pid_start_time, Signal::SIGKILL) {
        wait_gone(
            p.conmon_pid,
            p.conmon_pid_start_time,
            Duration::from_secs(2),
        );
    }
    if signal_if_alive(p.relay_pid, p.relay_pid_start_time, Signal::SIGTERM) {
        wait_gone(p.relay_pid, p.relay_pid_start_time, Duration::from_secs(2));
    }
    let mut first_err = None;
    if let Err(e) = release_claim(engine, &rec.bundle, id) {
        first_err = Some(e);
    }
    if let Some(pf) = &rec.pid_file
        && std::fs::read_to_string(pf)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            == Some(p.pid)
    {
        let _ = std::fs::remove_file(pf);
    }
    let cdir = engine.store.cdir(id);
    // A process that is still dying (conmon writing its exit file) can add an entry while
    // the directory is being emptied: retry a few times.
    let mut removed = std::fs::remove_dir_all(&cdir);
    let mut naps = crate::time::Naps::up_to(Duration::from_millis(20));
    for _ in 0..16 {
        match &removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                naps.sleep();
                removed = std::fs::remove_dir_all(&cdir);
            }
            _ => break,
        }
    }
    if let Err(e) = removed
        && e.kind() != std::io::ErrorKind::NotFound
    {
        first_err.get_or_insert(RuntimeError::io("remove", cdir)(e));
    }
    lock.remove();
    first_err.map_or(Ok(()), Err)
}
