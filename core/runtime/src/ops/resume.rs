//! `oci resume` (oci-reference.md §2.5.2). Effects, in order: take the ID lock; the status
//! must be `paused`; `RT resume <id>`.

use crate::driver::RuntimeOp;
use crate::{ContainerId, Engine, Op, Result};

pub fn resume(engine: &Engine, id: &str) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("resume", id = %id).entered();
    let (_lock, rec) = engine.lock_record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Resume, id.as_str())?;
    let prefix = engine.prefix(&id, &rec);
    engine.call(&id, &prefix, &RuntimeOp::Resume { id: id.as_str() })?;
    Ok(())
}
