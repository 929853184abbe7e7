//! `oci kill` (oci-reference.md §2.5.5). Effects, in order:
//! 1. parse the signal (the runtime always gets the number);
//! 2. take the ID lock; the status must be `created`, `running` or `paused`;
//! 3. `RT kill <id> <signum>`;
//! 4. with a timeout: poll every 100 ms for up to N s; if not stopped, SIGKILL and wait up to
//!    10 s more.

use crate::driver::RuntimeOp;
use crate::{ContainerId, Engine, Op, Result, RuntimeError, Status};
use std::time::{Duration, Instant};

pub fn kill(engine: &Engine, id: &str, signal: &str, timeout_s: u32) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("kill", id = %id).entered();
    let signum = crate::signal::parse(signal)?;
    let (_lock, rec) = engine.lock_record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Kill, id.as_str())?;
    let prefix = engine.prefix(&id, &rec);
    engine.call(
        &id,
        &prefix,
        &RuntimeOp::Kill {
            id: id.as_str(),
            signal: signum,
        },
    )?;
    if timeout_s == 0 {
        return Ok(());
    }
    let stopped = |wait: Duration| {
        let deadline = Instant::now() + wait;
        loop {
            if crate::conmon::exit::exists(&engine.store.exit_file(&id))
                || engine
                    .runtime_state(&id, &prefix)
                    .and_then(|s| s.get("status").and_then(|v| v.as_str()).map(String::from))
                    .is_none_or(|s| s == Status::Stopped.as_str())
            {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    if stopped(Duration::from_secs(timeout_s.into())) {
        return Ok(());
    }
    engine.call(
        &id,
        &prefix,
        &RuntimeOp::Kill {
            id: id.as_str(),
            signal: 9,
        },
    )?;
    if stopped(Duration::from_secs(10)) {
        Ok(())
    } else {
        Err(RuntimeError::DidNotStop { id: id.to_string() })
    }
}
