//! `oci create` (oci-reference.md §2.5.1, hooks.md §2). Effects, in order:
//! 1. validate the ID, the bundle's `config.json` (args, rootfs) and the parents of
//!    `--log-path`/`--pid-file`;
//! 2. take the ID lock; prove the ID free (no record, no runtime state); start the helper
//!    thread (`prime.rs`: the cgroup migration wait, and crun's copy for a direct `run`);
//! 3. claim the bundle under the bundle lock (O_EXCL; a stale claim is replaced);
//! 4. create `CDIR`, write the record with `status: creating`;
//! 5. build the effective config (`mutate_config` hooks) into `CDIR/bundle/config.json`;
//! 6. start conmon and complete the sync protocol; record conmon's and the container's PIDs;
//! 7. start the log relay for `json`/`basic` logs; write `--pid-file`;
//! 8. set `status: created`.
//!
//! Any failure after step 3 rolls back: conmon and the relay are killed, `RT delete --force`
//! runs (the ID was proved free), and `CDIR`, the claim, the pid file and the lock go.

use super::{LogFormat, remove_all};
use crate::conmon::args::{self as conmon_args, ConmonArgs};
use crate::conmon::spawn::{LaunchError, launch};
use crate::driver::RuntimeOp;
use crate::store::{IdLock, Monitor, Pids, Record, mkdir_0700, write_atomic, write_file};
use crate::{ContainerId, Engine, Result, RuntimeError, Status, proc};
use std::path::{Path, PathBuf};

/// The inputs of `create` and `run`.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub id: String,
    /// Absolute bundle path.
    pub bundle: PathBuf,
    pub log_path: Option<PathBuf>,
    pub log_format: LogFormat,
    pub pid_file: Option<PathBuf>,
    pub devices: Vec<String>,
}

/// A container whose record and private bundle exist, holding its ID lock.
pub(crate) struct Prepared {
    pub id: ContainerId,
    pub record: Record,
    pub lock: IdLock,
}

pub fn create(engine: &Engine, req: &CreateRequest) -> Result<i32> {
    let _span =
        tracing::debug_span!("create", id = %req.id, bundle = %req.bundle.display()).entered();
    let prepared = prepare(engine, req, Monitor::Conmon)?;
    let Prepared {
        id,
        mut record,
        lock,
    } = prepared;
    match start_conmon(engine, &id, &mut record) {
        Ok(pid) => {
            drop(lock);
            Ok(pid)
        }
        Err(e) => Err(rollback(engine, &id, &record, lock, e)),
    }
}

/// Steps 1–5.
pub(crate) fn prepare(engine: &Engine, req: &CreateRequest, monitor: Monitor) -> Result<Prepared> {
    let id = ContainerId::parse(&req.id)?;
    let (terminal, parsed) = validate(req)?;
    let runtime = engine.resolve_runtime()?;
    if monitor == Monitor::Conmon {
        engine.resolve_conmon()?;
    }
    let lock = engine.store.lock(&id)?;
    if let Err(e) = ensure_free(engine, &id, &runtime) {
        // The lock file belongs to an existing container, if there is a record.
        if engine.store.load(&id).ok().flatten().is_none() && !engine.store.cdir(&id).exists() {
            lock.remove();
        }
        return Err(e);
    }
    // The runtime will join cgroups: let the kernel's grace period for that start now, and
    // copy crun meanwhile when sifter starts it itself.
    crate::prime::start(
        (monitor == Monitor::Direct).then_some(runtime.as_path()),
        engine.primes_cgroup_migration(),
    );
    if let Err(e) = claim(engine, &id, &req.bundle) {
        lock.remove();
        return Err(e);
    }
    let cdir = engine.store.cdir(&id);
    let log_path = req
        .log_path
        .clone()
        .unwrap_or_else(|| cdir.join("container.log"));
    let raw_log_path = match req.log_format {
        LogFormat::Kubernetes => None,
        _ => Some(cdir.join("conmon-k8s.log")),
    };
    let me = std::process::id() as i32;
    let mut record = Record {
        version: 1,
        id: id.to_string(),
        bundle: req.bundle.clone(),
        runtime,
        runtime_root: engine.store.runtime_root(),
        systemd_cgroup: engine.systemd_cgroup(),
        terminal,
        status: Status::Creating,
        created: crate::time::now(),
        started_at: None,
        monitor,
        pids: Pids {
            creator_pid: me,
            creator_pid_start_time: proc::start_time(me),
            ..Pids::default()
        },
        pid_file: req.pid_file.clone(),
        log_path,
        log_format: req.log_format.as_str().to_string(),
        raw_log_path,
        devices: req.devices.clone(),
        hooks: Vec::new(),
        hook_calls: Vec::new(),
        hook_provenance: Vec::new(),
    };
    let step = (|| {
        let durable = monitor == Monitor::Conmon;
        mkdir_0700(&cdir, false)?;
        engine.store.save_with(&id, &record, durable)?;
        mkdir_0700(&engine.store.private_bundle(&id), false)?;
        mkdir_0700(&cdir.join("exit"), false)?;
        let registry = engine.registry()?;
        let inv = crate::hookpoints::invocation(engine, &id, &req.bundle, &req.devices);
        let eff = match parsed {
            Some(spec) => sifter_hooks::effective::build_parsed(&registry, &inv, spec)?,
            // Unknown members: the strict read words the error with its JSON pointer.
            None => sifter_hooks::effective::build(&registry, &inv)?,
        };
        // Not fsynced: it is rebuilt from the user's config on every create.
        write_file(
            &engine.store.private_bundle(&id).join("config.json"),
            &eff.bytes,
            0o600,
            false,
        )?;
        record.terminal = eff
            .spec
            .process()
            .as_ref()
            .and_then(|p| p.terminal())
            .unwrap_or(false);
        record.hooks = eff.changed.clone();
        record.hook_calls = eff
            .calls
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .collect();
        record.hook_provenance = eff
            .provenance
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect();
        if monitor == Monitor::Direct {
            // `run` holding the I/O itself: from here on the runtime reports the status
            // (one record write less on the latency-critical path).
            record.status = Status::Created;
            record.started_at = Some(crate::time::now());
        }
        engine.store.save_with(&id, &record, durable)
    })();
    match step {
        Ok(()) => Ok(Prepared { id, record, lock }),
        Err(e) => Err(rollback(engine, &id, &record, lock, e)),
    }
}

/// Step 1: what can be checked before touching anything. Returns `process.terminal` and the
/// config, parsed once here for the effective build too unless it has members the OCI spec
/// does not know (the strict read of the build reports those, naming their JSON pointer).
fn validate(req: &CreateRequest) -> Result<(bool, Option<oci_spec::runtime::Spec>)> {
    let invalid = |reason: String| RuntimeError::InvalidBundle {
        bundle: req.bundle.clone(),
        reason,
    };
    let path = req.bundle.join("config.json");
    let bytes = std::fs::read(&path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    let (spec, unknown): (oci_spec::runtime::Spec, _) = sifter_hooks::strict::checked_slice(&bytes)
        .map_err(|e| invalid(format!("config.json: {e}")))?;
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| invalid("process is missing".into()))?;
    if process.args().as_ref().is_none_or(|a| a.is_empty()) {
        return Err(invalid("process.args is empty".into()));
    }
    let root = spec
        .root()
        .as_ref()
        .ok_or_else(|| invalid("root is missing".into()))?;
    let rootfs = req.bundle.join(root.path());
    if !rootfs.is_dir() {
        return Err(invalid(format!(
            "root filesystem {} does not exist",
            rootfs.display()
        )));
    }
    for p in [&req.log_path, &req.pid_file].into_iter().flatten() {
        let parent = p.parent().unwrap_or(Path::new("/"));
        if !parent.is_dir() {
            return Err(RuntimeError::Io {
                action: "use",
                path: p.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("directory {} does not exist", parent.display()),
                ),
            });
        }
    }
    let terminal = process.terminal().unwrap_or(false);
    Ok((terminal, unknown.is_empty().then_some(spec)))
}

/// Step 2: neither a record nor runtime state for the ID.
fn ensure_free(engine: &Engine, id: &ContainerId, runtime: &Path) -> Result<()> {
    if engine.store.load(id)?.is_some() || engine.store.cdir(id).exists() {
        return Err(RuntimeError::AlreadyExists {
            id: id.to_string(),
            runtime_only: false,
        });
    }
    let prefix = engine.bare_prefix(runtime.to_path_buf(), PathBuf::from("/dev/null"));
    if engine.runtime_state(id, &prefix).is_some() {
        return Err(RuntimeError::AlreadyExists {
            id: id.to_string(),
            runtime_only: true,
        });
    }
    Ok(())
}

/// Step 3: `ROOT/bundles/<key>.json` with O_EXCL under the bundle lock.
fn claim(engine: &Engine, id: &ContainerId, bundle: &Path) -> Result<()> {
    let root = engine.store.root();
    let canonical = sifter_bundle::canonical_bundle(bundle)?;
    let lock = sifter_bundle::BundleLock::acquire(root, &canonical)?;
    let path = sifter_bundle::claim_path(root, lock.key());
    if let Ok(Some(existing)) = sifter_bundle::read_claim(root, lock.key()) {
        let live = ContainerId::parse(&existing.id)
            .ok()
            .is_some_and(|other| engine.store.record_path(&other).exists());
        if live {
            return Err(RuntimeError::BundleInUse {
                bundle: bundle.to_path_buf(),
                other: existing.id,
            });
        }
    }
    // Absent or stale: (re)create it exclusively.
    let _ = std::fs::remove_file(&path);
    let body = serde_json::to_vec(&sifter_bundle::Claim {
        bundle: canonical,
        id: id.to_string(),
    })
    .expect("plain data");
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(RuntimeError::io("create bundle claim", &path))?;
    f.write_all(&body)
        .map_err(RuntimeError::io("write bundle claim", &path))?;
    Ok(())
}

/// Steps 6–8.
fn start_conmon(engine: &Engine, id: &ContainerId, record: &mut Record) -> Result<i32> {
    let cdir = engine.store.cdir(id);
    let prefix = engine.prefix(id, record);
    let args = ConmonArgs {
        conmon: engine.resolve_conmon()?,
        id: id.to_string(),
        cuuid: uuid::Uuid::new_v4().to_string(),
        prefix: prefix.clone(),
        bundle: engine.store.private_bundle(id),
        container_pidfile: cdir.join("container.pid"),
        conmon_pidfile: cdir.join("conmon.pid"),
        raw_log: record
            .raw_log_path
            .clone()
            .unwrap_or_else(|| record.log_path.clone()),
        exit_dir: cdir.join("exit"),
        terminal: record.terminal,
    };
    let argv = conmon_args::argv(&args);
    let conmon_log = cdir.join("conmon.log");
    let launched = launch(
        engine.spawner.as_ref(),
        &argv,
        &engine.path_env,
        // conmon's working directory is CDIR/bundle (§5.6), never the caller's, which might
        // sit inside a bundle that is later unmounted.
        &args.bundle,
        &conmon_log,
        engine.create_timeout(),
    );
    // Record conmon's PID whatever happened, so a rollback can kill it.
    if let Some(cp) = proc::read_pid_file(&args.conmon_pidfile) {
        record.pids.conmon_pid = cp;
        record.pids.conmon_pid_start_time = proc::start_time(cp);
    }
    let pid = match launched {
        Ok(l) => l.container_pid,
        Err(e) => {
            let reason = match e {
                LaunchError::Other(e) => return Err(e),
                LaunchError::ConmonExit(status) => {
                    let tail = crate::driver::log::last_line(
                        &std::fs::read(&conmon_log).unwrap_or_default(),
                    )
                    .unwrap_or_default();
                    return Err(RuntimeError::ConmonStart { status, tail });
                }
                LaunchError::Failed(message) => {
                    let logged = crate::driver::log::last_error(
                        &std::fs::read_to_string(engine.store.runtime_log(id)).unwrap_or_default(),
                    );
                    let reason = logged
                        .or(message)
                        .unwrap_or_else(|| "container creation failed".to_string());
                    format!("{}: {reason}", prefix.name())
                }
                LaunchError::NoReply => format!(
                    "no valid reply from conmon within {} s",
                    engine.create_timeout().as_secs()
                ),
            };
            return Err(RuntimeError::CreateFailed {
                id: id.to_string(),
                reason,
            });
        }
    };
    record.pids.pid = pid;
    record.pids.pid_start_time = proc::start_time(pid);
    engine.store.save(id, record)?;
    if record.raw_log_path.is_some() {
        let (rp, rs) = super::log_relay::spawn(engine, id)?;
        record.pids.relay_pid = rp;
        record.pids.relay_pid_start_time = rs;
    }
    if let Some(pf) = &record.pid_file {
        write_atomic(pf, pid.to_string().as_bytes(), 0o644)?;
    }
    record.status = Status::Created;
    engine.store.save(id, record)?;
    Ok(pid)
}

/// Step 8 of §2.5.1: undo everything this create did, keeping the original error (a cleanup
/// error travels with it).
pub(crate) fn rollback(
    engine: &Engine,
    id: &ContainerId,
    record: &Record,
    lock: IdLock,
    error: RuntimeError,
) -> RuntimeError {
    // Kill conmon first so it cannot recreate anything, then the runtime's container.
    let p = &record.pids;
    if p.conmon_pid == 0
        && let Some(cp) = proc::read_pid_file(&engine.store.cdir(id).join("conmon.pid"))
    {
        super::signal_if_alive(cp, proc::start_time(cp), nix::sys::signal::Signal::SIGKILL);
    }
    let prefix = engine.prefix(id, record);
    let _ = engine.call(
        id,
        &prefix,
        &RuntimeOp::Delete {
            id: id.as_str(),
            force: true,
        },
    );
    match remove_all(engine, id, record, lock) {
        Ok(()) => error,
        Err(cleanup) => RuntimeError::WithCleanup {
            error: Box::new(error),
            cleanup: cleanup.to_string(),
        },
    }
}
