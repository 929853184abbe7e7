//! `oci start` (oci-reference.md §2.5.2). Effects, in order:
//! 1. take the ID lock; load the record; the status must be `created`;
//! 2. run the `pre_start` hooks (a failure leaves the container `created`);
//! 3. `RT start <id>`, then wait (up to 2 s) until the runtime no longer says `created`;
//! 4. record `startedAt`.

use crate::driver::RuntimeOp;
use crate::{ContainerId, Engine, Op, Result};

pub fn start(engine: &Engine, id: &str) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("start", id = %id).entered();
    let (_lock, mut rec) = engine.lock_record(&id)?;
    let id = &id;
    // Settled from the record and /proc when possible: one runtime process less.
    let status = match engine.settled_status(id, &rec) {
        Some(s) => s,
        None => engine.status(id, &rec).0,
    };
    status.check(Op::Start, id.as_str())?;
    let calls = crate::hookpoints::pre_start(engine, id, &rec)?;
    let prefix = engine.prefix(id, &rec);
    // runc and crun keep `exec.fifo` in their state directory exactly while the container is
    // `created` (runc libcontainer `currentStatus`, crun `libcrun_status_has_read_exec_fifo`).
    // A fifo there before `start` and gone after it settles the wait below with two stats
    // instead of a runtime `state` process (~4 ms for runc); otherwise ask the runtime.
    let fifo = rec.runtime_root.join(id.as_str()).join("exec.fifo");
    let fifo_before = fifo.exists();
    engine.call(id, &prefix, &RuntimeOp::Start { id: id.as_str() })?;
    // crun returns from `start` before its state leaves `created`; wait (up to 2 s) so that
    // right after `oci start` the container reports `running` (or `stopped`).
    let settled = fifo_before && !fifo.exists();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let mut naps = crate::time::Naps::up_to(std::time::Duration::from_millis(5));
    while !settled && std::time::Instant::now() < deadline {
        let state = engine.runtime_state(id, &prefix);
        if state.is_none_or(|s| s.get("status").and_then(|v| v.as_str()) != Some("created")) {
            break;
        }
        naps.sleep();
    }
    rec.started_at = Some(crate::time::now());
    rec.hook_calls
        .extend(calls.iter().filter_map(|c| serde_json::to_value(c).ok()));
    engine.store.save(id, &rec)
}
