//! The global `sifter` table (hooks.md §10): one small module per area, each with a
//! `register` function; this file gathers them and lists the registered names.

mod host;
mod log;
mod reject;
mod spec;

use super::sandbox::Shared;
use mlua::{Lua, Table};
use sifter_hook_api::HostView;
use std::sync::Arc;

/// Builds `sifter` and sets it as a global; `print` becomes `sifter.log.info`.
pub fn register(lua: &Lua, shared: &Shared, host: Arc<dyn HostView>) -> mlua::Result<()> {
    let sifter = lua.create_table()?;
    log::register(lua, &sifter, shared)?;
    reject::register(lua, &sifter, shared)?;
    host::register(lua, &sifter, host.clone())?;
    spec::register(lua, &sifter, host)?;
    let info: mlua::Function = sifter.get::<Table>("log")?.get("print")?;
    sifter.get::<Table>("log")?.set("print", mlua::Value::Nil)?;
    lua.globals().set("print", info)?;
    lua.globals().set("sifter", sifter)?;
    Ok(())
}

/// `file:line: ` of the calling Lua code, for errors raised by helpers.
pub(crate) fn here(lua: &Lua) -> String {
    super::sandbox::location(lua, 1)
        .map(|l| format!("{l}: "))
        .unwrap_or_default()
}

/// A Lua error positioned at the calling script line.
pub(crate) fn error(lua: &Lua, msg: impl std::fmt::Display) -> mlua::Error {
    mlua::Error::RuntimeError(format!("{}{msg}", here(lua)))
}

/// Every `sifter.*` function name registered in a state, sorted (`sifter.log.info`, …).
pub fn registered_names(lua: &Lua) -> mlua::Result<Vec<String>> {
    fn walk(prefix: &str, t: &Table, out: &mut Vec<String>) -> mlua::Result<()> {
        for pair in t.pairs::<String, mlua::Value>() {
            let (k, v) = pair?;
            let name = format!("{prefix}.{k}");
            match v {
                mlua::Value::Function(_) => out.push(name),
                mlua::Value::Table(sub) => walk(&name, &sub, out)?,
                _ => {}
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk("sifter", &lua.globals().get::<Table>("sifter")?, &mut out)?;
    out.sort();
    Ok(out)
}
