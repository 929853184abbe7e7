//! `oci pause` (oci-reference.md §2.5.2). Effects, in order: take the ID lock; the status must
//! be `running`; `RT pause <id>`.

use crate::driver::RuntimeOp;
use crate::{ContainerId, Engine, Op, Result};

pub fn pause(engine: &Engine, id: &str) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _lock = engine.store.lock(&id)?;
    let rec = engine.record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Pause, id.as_str())?;
    let prefix = engine.prefix(&id, &rec);
    engine.call(&id, &prefix, &RuntimeOp::Pause { id: id.as_str() })?;
    Ok(())
}
