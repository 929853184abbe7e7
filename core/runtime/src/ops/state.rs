//! `oci state` (oci-reference.md §5.12). Effects, in order (no lock):
//! 1. load the record (unknown ID: `does not exist`);
//! 2. take the runtime's `state` JSON in its own key order, or synthesise it for `creating`
//!    and for records the runtime has no state for;
//! 3. put the user's bundle in place of the private one;
//! 4. append `exitCode`, `startedAt`, `finishedAt`, `hooks`, `hookProvenance`.

use crate::store::Record;
use crate::{ContainerId, Engine, Result, Status};
use serde_json::{Map, Value, json};

pub fn state(engine: &Engine, id: &str) -> Result<Map<String, Value>> {
    let id = ContainerId::parse(id)?;
    let rec = engine.record(&id)?;
    Ok(render(engine, &id, &rec))
}

pub(crate) fn render(engine: &Engine, id: &ContainerId, rec: &Record) -> Map<String, Value> {
    render_status(engine, id, rec, engine.status(id, rec))
}

/// [`render`] from a status (and runtime `state`) determined beforehand.
pub(crate) fn render_status(
    engine: &Engine,
    id: &ContainerId,
    rec: &Record,
    (status, runtime): (Status, Option<Map<String, Value>>),
) -> Map<String, Value> {
    let mut out = match runtime {
        Some(m) => m,
        None => synthesise(rec, status),
    };
    out.insert("bundle".into(), json!(rec.bundle.display().to_string()));
    if status == Status::Stopped
        && let Some(exit) = crate::conmon::exit::read(&engine.store.exit_file(id))
    {
        out.insert("exitCode".into(), json!(exit.code));
        if let Some(s) = &rec.started_at {
            out.insert("startedAt".into(), json!(s));
        }
        out.insert(
            "finishedAt".into(),
            json!(crate::time::format_system(exit.finished)),
        );
    } else if let Some(s) = &rec.started_at {
        out.insert("startedAt".into(), json!(s));
    }
    out.insert("hooks".into(), json!(rec.hooks));
    out.insert(
        "hookProvenance".into(),
        Value::Array(rec.hook_provenance.clone()),
    );
    out
}

fn synthesise(rec: &Record, status: Status) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ociVersion".into(), json!(oci_spec::runtime::VERSION));
    m.insert("id".into(), json!(rec.id));
    m.insert("pid".into(), json!(0));
    m.insert("status".into(), json!(status.as_str()));
    m.insert("bundle".into(), json!(rec.bundle.display().to_string()));
    m.insert("created".into(), json!(rec.created));
    m
}
