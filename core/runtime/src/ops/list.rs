//! `oci list` (oci-reference.md §2.5.9). Effects (no lock): every record sorted by ID, or the
//! given IDs (an unknown one fails before anything is returned); each rendered as `state`.

use crate::{ContainerId, Engine, Result};
use serde_json::{Map, Value};

pub fn list(engine: &Engine, ids: &[String]) -> Result<Vec<Map<String, Value>>> {
    let selected: Vec<ContainerId> = if ids.is_empty() {
        engine.store.ids()?
    } else {
        ids.iter()
            .map(|i| ContainerId::parse(i))
            .collect::<Result<Vec<_>>>()?
    };
    let mut records = Vec::new();
    for id in &selected {
        match engine.store.load(id)? {
            Some(rec) => records.push((id, rec)),
            // Deleted between the listing and the read.
            None if ids.is_empty() => {}
            None => return Err(crate::RuntimeError::NotFound { id: id.to_string() }),
        }
    }
    Ok(records
        .into_iter()
        .map(|(id, rec)| super::state::render(engine, id, &rec))
        .collect())
}
