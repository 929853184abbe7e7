//! `oci start` (oci-reference.md §2.5.2). Effects, in order:
//! 1. take the ID lock; load the record; the status must be `created`;
//! 2. run the `pre_start` hooks (a failure leaves the container `created`);
//! 3. `RT start <id>`;
//! 4. record `startedAt`.

use crate::driver::RuntimeOp;
use crate::{ContainerId, Engine, Op, Result};

pub fn start(engine: &Engine, id: &str) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("start", id = %id).entered();
    let (_lock, mut rec) = engine.lock_record(&id)?;
    let id = &id;
    let (status, _) = engine.status(id, &rec);
    status.check(Op::Start, id.as_str())?;
    let calls = crate::hookpoints::pre_start(engine, id, &rec)?;
    let prefix = engine.prefix(id, &rec);
    engine.call(id, &prefix, &RuntimeOp::Start { id: id.as_str() })?;
    rec.started_at = Some(crate::time::now());
    rec.hook_calls
        .extend(calls.iter().filter_map(|c| serde_json::to_value(c).ok()));
    engine.store.save(id, &rec)
}
