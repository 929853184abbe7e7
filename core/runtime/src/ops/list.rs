//! `oci list` (oci-reference.md §2.5.9). Effects (no lock): every record sorted by ID, or the
//! given IDs (an unknown one fails before anything is returned); the runtime's `state` of each,
//! several runtime processes at a time; each rendered as `state`, in ID order.

use crate::store::Record;
use crate::{ContainerId, Engine, Result, Status};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let states = fetch_states(engine, &records);
    Ok(records
        .iter()
        .zip(states)
        .map(|((id, rec), state)| {
            if rec.status != Status::Creating {
                // The `--runtime` WARNING, in ID order.
                let _ = engine.prefix(id, rec);
            }
            super::state::render_status(engine, id, rec, engine.status_from(id, rec, state))
        })
        .collect())
}

type State = Option<Map<String, Value>>;

/// The runtime's `state` for every record that has one to ask for. Each is one runtime
/// process (~4 ms for runc), so 1000 records one after the other take seconds; a few worker
/// threads run them side by side. Nothing here adds a WARNING, so their order stays fixed.
fn fetch_states(engine: &Engine, records: &[(&ContainerId, Record)]) -> Vec<State> {
    let fetch = |(id, rec): &(&ContainerId, Record)| -> State {
        if rec.status == Status::Creating {
            return None;
        }
        engine.display_state(id, rec, &engine.record_prefix(id, rec))
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get() * 2)
        .min(records.len());
    if workers <= 1 {
        return records.iter().map(fetch).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<State> = vec![None; records.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut got = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(r) = records.get(i) else { break };
                        got.push((i, fetch(r)));
                    }
                    got
                })
            })
            .collect();
        for h in handles {
            for (i, state) in h.join().expect("a state fetch does not panic") {
                out[i] = state;
            }
        }
    });
    out
}
