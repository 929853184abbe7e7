//! `oci update` (oci-reference.md §2.5.2). Effects, in order:
//! 1. parse the resources as runtime-spec `LinuxResources` (file or stdin);
//! 2. take the ID lock; the status must be `created` or `running`;
//! 3. write them to a temp file in `CDIR`; `RT update --resources <tmp> <id>`; remove it.

use crate::driver::RuntimeOp;
use crate::store::write_atomic;
use crate::{ContainerId, Engine, Op, Result, RuntimeError};

/// `source_name` is the path as given, or `stdin`.
pub fn update(engine: &Engine, id: &str, resources: &[u8], source_name: &str) -> Result<()> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("update", id = %id).entered();
    let parsed: oci_spec::runtime::LinuxResources =
        serde_json::from_slice(resources).map_err(|e| RuntimeError::InvalidResources {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
    let (_lock, rec) = engine.lock_record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Update, id.as_str())?;
    let tmp = engine
        .store
        .cdir(&id)
        .join(format!("resources-{}.json", uuid::Uuid::new_v4().simple()));
    write_atomic(
        &tmp,
        &serde_json::to_vec(&parsed).expect("plain data"),
        0o600,
    )?;
    let prefix = engine.prefix(&id, &rec);
    let result = engine.call(
        &id,
        &prefix,
        &RuntimeOp::Update {
            id: id.as_str(),
            resources: &tmp,
        },
    );
    let _ = std::fs::remove_file(&tmp);
    result.map(|_| ())
}
