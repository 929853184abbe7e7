//! `sifter oci list`: a table (`ID  PID  STATUS  BUNDLE  CREATED`) or a JSON array of states.

use super::engine::{engine, finish};
use crate::args::oci::{ListArgs, ListFormat};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use serde_json::{Map, Value};

pub fn run(ctx: &Context, args: ListArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::list::list(&engine, &args.ids);
    let states = finish(ctx, &engine, io, r)?;
    match args.format {
        ListFormat::Json => render::json(io, &states)?,
        ListFormat::Table => render::stdout(io, &table(&states))?,
    }
    Ok(0)
}

/// The table: PID 0 when there is none, CREATED in whole seconds.
fn table(states: &[Map<String, Value>]) -> String {
    let field = |s: &Map<String, Value>, k: &str| match s.get(k) {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let rows: Vec<Vec<String>> = states
        .iter()
        .map(|s| {
            let pid = field(s, "pid");
            vec![
                field(s, "id"),
                if pid.is_empty() { "0".into() } else { pid },
                field(s, "status"),
                field(s, "bundle"),
                sifter_runtime::time::whole_seconds(&field(s, "created")),
            ]
        })
        .collect();
    render::table(&["ID", "PID", "STATUS", "BUNDLE", "CREATED"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_columns_and_padding() {
        let s = |v: Value| v.as_object().unwrap().clone();
        let states = vec![
            s(
                json!({"id": "a", "pid": 4242, "status": "running", "bundle": "/b/one",
                     "created": "2026-11-29T12:00:00.123456789Z"}),
            ),
            s(
                json!({"id": "long-name", "pid": 0, "status": "creating", "bundle": "/b/two",
                     "created": "2026-11-29T12:00:01.5Z"}),
            ),
        ];
        insta::assert_snapshot!(table(&states), @r"
        ID          PID    STATUS     BUNDLE   CREATED
        a           4242   running    /b/one   2026-11-29T12:00:00Z
        long-name   0      creating   /b/two   2026-11-29T12:00:01Z
        ");
        assert_eq!(table(&[]), "ID   PID   STATUS   BUNDLE   CREATED\n");
    }
}
