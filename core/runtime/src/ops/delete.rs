//! `oci delete` (oci-reference.md §2.5.6). Effects, in order:
//! 1. take the ID lock; load the record (an orphan with only runtime state is removed by
//!    `--force` through `RT delete --force`);
//! 2. check the status (`running`, `paused` and `creating` need `--force`);
//! 3. `RT delete [--force] <id>` (skipped when the runtime has no state left);
//! 4. wait up to 10 s for conmon, then SIGKILL it with a WARNING;
//! 5. run the `post_delete` hooks (failures are WARNINGs);
//! 6. remove `CDIR`, the claim, the log relay, the pid file, and last the lock file.

use crate::cgroups;
use crate::driver::RuntimeOp;
use crate::store::{IdLock, Record};
use crate::{ContainerId, Engine, Op, Result, RuntimeError, Status};
use nix::sys::signal::Signal;
use std::path::PathBuf;
use std::time::Duration;

pub fn delete(engine: &Engine, id: &str, force: bool) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("delete", id = %id).entered();
    let lock = engine.store.lock(&id)?;
    let rec = match engine.store.load(&id) {
        Ok(Some(rec)) => rec,
        Ok(None) => return delete_orphan(engine, &id, force, lock),
        // A record cut short (e.g. a power loss on a disk state root) is an orphan too.
        Err(RuntimeError::Record { .. }) if force => {
            let _ = std::fs::remove_file(engine.store.record_path(&id));
            return delete_orphan(engine, &id, force, lock);
        }
        Err(e) => return Err(e),
    };
    delete_locked(engine, &id, rec, force, lock)
}

/// Steps 2–6 for a caller that holds the lock and the record (`run`, `umount --force`).
pub(crate) fn delete_locked(
    engine: &Engine,
    id: &ContainerId,
    rec: Record,
    force: bool,
    lock: IdLock,
) -> Result<()> {
    // `has_state`: whether the runtime still holds state for the ID.
    let (status, has_state) = match engine.settled_status(id, &rec) {
        Some(s) => (s, rec.runtime_root.join(id.as_str()).exists()),
        None => {
            let (s, runtime) = engine.status(id, &rec);
            (s, runtime.is_some())
        }
    };
    status.check(
        if force { Op::ForceDelete } else { Op::Delete },
        id.as_str(),
    )?;
    let prefix = engine.prefix(id, &rec);
    let mut rec = rec;
    if status == Status::Creating {
        // The creator may have died before recording conmon's PID.
        if rec.pids.conmon_pid == 0
            && let Some(cp) = crate::proc::read_pid_file(&engine.store.cdir(id).join("conmon.pid"))
        {
            rec.pids.conmon_pid = cp;
            rec.pids.conmon_pid_start_time = crate::proc::start_time(cp);
        }
        kill_conmon_group(rec.pids.conmon_pid, rec.pids.conmon_pid_start_time);
        // A creator killed before conmon wrote its pid file leaves conmon (and the runtime
        // create it runs) unknown to the record; they all name CDIR on their command line.
        kill_processes_naming(&engine.store.cdir(id));
    }
    let rec = rec;
    // Asked after conmon is gone, so a create in flight cannot add state behind our back.
    let runtime_dir = rec.runtime_root.join(id.as_str());
    let has_runtime_state = has_state
        || (status == Status::Creating
            && (engine.runtime_state(id, &prefix).is_some() || runtime_dir.exists()));
    if has_runtime_state {
        let force = force || status != Status::Created && status != Status::Stopped;
        let deleted = engine.call(
            id,
            &prefix,
            &RuntimeOp::Delete {
                id: id.as_str(),
                force,
            },
        );
        if status == Status::Creating {
            // A create killed half-way can leave a state directory the runtime no longer
            // recognises (it lives under sifter's own runtime root) and empty cgroups.
            let _ = std::fs::remove_dir_all(&runtime_dir);
            remove_empty_cgroups(engine, id);
        } else if let Err(e) = deleted {
            // The runtime's own `run` (sifter's direct path) removes the container itself
            // when its process dies, and may win the race against this delete.
            if runtime_dir.exists() {
                return Err(e);
            }
        }
    }
    let p = &rec.pids;
    if !super::wait_gone(
        p.conmon_pid,
        p.conmon_pid_start_time,
        Duration::from_secs(10),
    ) && super::signal_if_alive(p.conmon_pid, p.conmon_pid_start_time, Signal::SIGKILL)
    {
        engine.warn(format!(
            "conmon ({}) of container \"{id}\" did not exit; killed it",
            p.conmon_pid
        ));
    }
    crate::hookpoints::post_delete(engine, id, &rec);
    if !super::wait_gone(p.relay_pid, p.relay_pid_start_time, Duration::from_secs(5)) {
        super::signal_if_alive(p.relay_pid, p.relay_pid_start_time, Signal::SIGTERM);
    }
    super::remove_all(engine, id, &rec, lock)
}

/// SIGKILLs every other process whose command line contains `dir` (conmon and its runtime
/// call pass `CDIR/...` paths), then waits up to 5 s for them to go.
fn kill_processes_naming(dir: &std::path::Path) {
    let needle = dir.as_os_str().as_encoded_bytes();
    let me = std::process::id() as i32;
    let mut victims = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if pid != me && cmdline.windows(needle.len()).any(|w| w == needle) {
            let start = crate::proc::start_time(pid);
            if super::signal_if_alive(pid, start, Signal::SIGKILL) {
                victims.push((pid, start));
            }
        }
    }
    for (pid, start) in victims {
        super::wait_gone(pid, start, Duration::from_secs(5));
    }
}

/// Removes the empty cgroups a killed create left, wherever the runtime put them for the
/// effective config's `linux.cgroupsPath` ([`crate::cgroups`]).
fn remove_empty_cgroups(engine: &Engine, id: &ContainerId) {
    let config = engine.store.private_bundle(id).join("config.json");
    let configured = std::fs::read(config)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["linux"]["cgroupsPath"].as_str().map(str::to_string));
    let placement = cgroups::Placement::of(configured.as_deref(), id.as_str());
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let dirs = cgroups::candidates(std::path::Path::new("/sys/fs/cgroup"), &placement, &own);
    tracing::debug!(id = %id, candidates = dirs.len(), "removing empty cgroups");
    cgroups::remove_empty(&dirs);
}

/// Kills conmon and whatever runtime call it has in flight: the conmon daemon leads its own
/// session and process group, and its `RT create` child runs in that group. Waits up to 5 s
/// for the group to disappear, so the runtime cannot finish a create after our delete.
fn kill_conmon_group(pid: i32, start: Option<u64>) {
    use nix::unistd::{Pid, getpgid};
    if !crate::proc::alive(pid, start) {
        return;
    }
    let leader = getpgid(Some(Pid::from_raw(pid))).is_ok_and(|g| g.as_raw() == pid);
    if !leader {
        super::signal_if_alive(pid, start, Signal::SIGKILL);
        super::wait_gone(pid, start, Duration::from_secs(2));
        return;
    }
    let _ = nix::sys::signal::killpg(Pid::from_raw(pid), Signal::SIGKILL);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while nix::sys::signal::killpg(Pid::from_raw(pid), None).is_ok()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// §2.5.6 item 6: runtime state without a record.
fn delete_orphan(engine: &Engine, id: &ContainerId, force: bool, lock: IdLock) -> Result<()> {
    let not_found = || RuntimeError::NotFound { id: id.to_string() };
    let Ok(runtime) = engine.resolve_runtime() else {
        lock.remove();
        return Err(not_found());
    };
    let prefix = engine.bare_prefix(runtime, PathBuf::from("/dev/null"));
    let cdir = engine.store.cdir(id);
    // A creator killed between claiming and writing the record leaves a claim and maybe CDIR.
    let leftovers = force && (cdir.exists() || super::claims_naming(engine, id).next().is_some());
    if !force || (engine.runtime_state(id, &prefix).is_none() && !leftovers) {
        lock.remove();
        return Err(not_found());
    }
    for claim in super::claims_naming(engine, id).collect::<Vec<_>>() {
        let _ = super::release_claim(engine, &claim, id);
    }
    if engine.runtime_state(id, &prefix).is_none() {
        let _ = std::fs::remove_dir_all(&cdir);
        lock.remove();
        return Ok(());
    }
    let result = engine.driver.call(
        &prefix,
        &RuntimeOp::Delete {
            id: id.as_str(),
            force: true,
        },
        std::path::Path::new("/"),
    );
    let _ = std::fs::remove_dir_all(cdir);
    lock.remove();
    result.map(|_| ())
}

/// `oci umount --force` (oci-reference.md §6 item 3): deletes the container whose claim holds
/// `bundle` with `--force` (hooks included). Returns its ID, `None` when no live container
/// claims the bundle. The unmount itself stays with `sifter_bundle::umount`.
pub fn delete_bundle_container(
    engine: &Engine,
    bundle: &std::path::Path,
) -> Result<Option<String>> {
    let canonical = sifter_bundle::canonical_bundle(bundle)?;
    let key = sifter_bundle::bundle_key(&canonical);
    let Some(claim) = sifter_bundle::read_claim(engine.store.root(), &key)? else {
        return Ok(None);
    };
    let Ok(id) = ContainerId::parse(&claim.id) else {
        return Ok(None);
    };
    if !engine.store.record_path(&id).exists() {
        return Ok(None);
    }
    delete(engine, id.as_str(), true)?;
    Ok(Some(id.to_string()))
}
