//! `oci run` (oci-reference.md §2.5.7): create, attach, start, wait, delete, with the hooks
//! firing exactly as for the separate commands. Two paths:
//!
//! **direct** (no `pre_start` hook registered, no `--log-path`, no `--pid-file`, and a
//! terminal on stdin if the container wants one): the
//! foreground sifter holds the I/O itself through the runtime's own `run`, which is what makes
//! the latency goal reachable. Effects, in order:
//! 1. the create steps up to the private bundle (`mutate_config` hooks, record, claim);
//! 2. record `created` (from here on the runtime reports the status, so `state`/`list` show
//!    the container while it runs) and release the ID lock;
//! 3. `RT run --bundle CDIR/bundle <id>` in the foreground (the runtime does raw mode and
//!    resizing for a terminal), forwarding explicitly sent signals to it;
//! 4. its status is the container's (128+N for signal N);
//! 5. the delete steps (`post_delete` hooks), then exit with the container's code.
//!
//! **conmon** (otherwise): `create` → connect to the attach socket before `start`, so no
//! output is lost → `start` (`pre_start` hooks) → relay without detach keys → exit file →
//! delete.

use super::attach::{self, AttachEnd};
use super::create::{CreateRequest, Prepared, prepare};
use crate::driver::{RuntimeOp, argv};
use crate::foreground::{self, Streams};
use crate::store::Monitor;
use crate::{ContainerId, Engine, Result, RuntimeError};
use std::os::fd::AsFd;

pub fn run(engine: &Engine, req: &CreateRequest, streams: Streams<'_>) -> Result<i32> {
    let _span = tracing::debug_span!("run", id = %req.id, bundle = %req.bundle.display()).entered();
    // The runtime's own `run` wants a real terminal on stdin for `terminal: true` (runc opens
    // /dev/tty, crun calls tcgetattr); without one, conmon's pty does the job.
    let tty_ok = !wants_terminal(&req.bundle)
        || (streams.is_stdio && crate::tty::is_tty(std::io::stdin().as_fd()));
    let direct = req.log_path.is_none()
        && req.pid_file.is_none()
        && tty_ok
        && !crate::hookpoints::has_pre_start(engine);
    tracing::debug!(direct, "run path");
    if direct {
        run_direct(engine, req, streams)
    } else {
        run_conmon(engine, req, streams)
    }
}

fn run_direct(engine: &Engine, req: &CreateRequest, streams: Streams<'_>) -> Result<i32> {
    let Prepared { id, record, lock } = prepare(engine, req, Monitor::Direct)?;
    drop(lock);
    let cdir = engine.store.cdir(&id);
    let mut prefix = engine.prefix(&id, &record);
    // Its own log: concurrent `state` calls log their errors to runtime.log.
    prefix.log = cdir.join("run.log");
    let bundle = engine.store.private_bundle(&id);
    let pid_file = cdir.join("container.pid");
    let op = RuntimeOp::Run {
        id: id.as_str(),
        bundle: &bundle,
        pid_file: &pid_file,
    };
    let log_start = std::fs::metadata(&prefix.log).map(|m| m.len()).unwrap_or(0);
    let cmd =
        crate::cmd::RuntimeCommand::new(&argv(&prefix, &op), &engine.path_env, &cdir, Some(&cdir));
    let ran = foreground::run(cmd, streams);
    // The runtime's own failure (it never started the process) is reported as such.
    let failure = match &ran {
        Ok(code) if *code != 0 => {
            crate::driver::log::last_error(&crate::driver::read_from(&prefix.log, log_start))
        }
        _ => None,
    };
    let deleted = finish(engine, &id);
    let code = ran?;
    if let Some(message) = failure {
        deleted?;
        return Err(RuntimeError::runtime_failed(prefix.name(), "run", message));
    }
    deleted.map_err(|e| RuntimeError::RunNotDeleted {
        id: id.to_string(),
        code,
        source: Box::new(e),
    })?;
    Ok(code)
}

fn run_conmon(engine: &Engine, req: &CreateRequest, streams: Streams<'_>) -> Result<i32> {
    super::create::create(engine, req)?;
    let id = ContainerId::parse(&req.id)?;
    let started = (|| {
        let rec = engine.record(&id)?;
        let sock = attach::connect(engine, &id, &rec)?;
        super::start::start(engine, id.as_str())?;
        Ok((rec, sock))
    })();
    let (rec, sock) = match started {
        Ok(x) => x,
        Err(e) => {
            if let Err(d) = finish(engine, &id) {
                engine.warn(d.to_string());
            }
            return Err(e);
        }
    };
    let end = attach::relay(engine, &id, &rec, sock, streams, false);
    let deleted = finish(engine, &id);
    let code = match end? {
        AttachEnd::Exited(c) => c,
        AttachEnd::Detached => unreachable!("run does not recognise detach keys"),
    };
    deleted.map_err(|e| RuntimeError::RunNotDeleted {
        id: id.to_string(),
        code,
        source: Box::new(e),
    })?;
    Ok(code)
}

/// `process.terminal` of the user's config (false when unreadable: create reports that).
/// Only that member is decoded; serde skips the rest of the document.
fn wants_terminal(bundle: &std::path::Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Config {
        process: Option<Process>,
    }
    #[derive(serde::Deserialize)]
    struct Process {
        terminal: Option<bool>,
    }
    std::fs::read(bundle.join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Config>(&b).ok())
        .and_then(|c| c.process?.terminal)
        .unwrap_or(false)
}

/// The delete steps with `--force` semantics for a container this `run` made.
/// A record already gone means someone ran `delete --force` meanwhile: nothing left to do.
fn finish(engine: &Engine, id: &ContainerId) -> Result<()> {
    match engine.lock_record(id) {
        Ok((lock, rec)) => super::delete::delete_locked(engine, id, rec, true, lock),
        Err(RuntimeError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
