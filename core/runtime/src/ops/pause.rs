//! `oci pause` (oci-reference.md §2.5.2). Effects, in order: take the ID lock; the status must
//! be `running`; `RT pause <id>`; wait (up to 5 s) until the runtime reports `paused`, since a
//! cgroup-v1 freezer may still be FREEZING when crun returns.

use crate::driver::RuntimeOp;
use crate::{ContainerId, Engine, Op, Result};

pub fn pause(engine: &Engine, id: &str) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("pause", id = %id).entered();
    let (_lock, rec) = engine.lock_record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Pause, id.as_str())?;
    let prefix = engine.prefix(&id, &rec);
    engine.call(&id, &prefix, &RuntimeOp::Pause { id: id.as_str() })?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let state = engine.runtime_state(&id, &prefix);
        if state.is_none_or(|s| s.get("status").and_then(|v| v.as_str()) != Some("running")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(())
}
