//! `sifter.host.*` (hooks.md §10.2): read-only host queries through a `HostView`.

use mlua::{Lua, LuaSerdeExt, Table, Value};
use sifter_hook_api::HostView;
use std::sync::Arc;

pub fn register(lua: &Lua, sifter: &Table, host: Arc<dyn HostView>) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let h = host.clone();
    t.set(
        "glob",
        lua.create_function(move |lua, pattern: String| {
            let paths = h.glob(&pattern).map_err(|e| super::error(lua, e))?;
            lua.create_sequence_from(paths)
        })?,
    )?;
    let h = host.clone();
    t.set(
        "exists",
        lua.create_function(move |_, path: String| Ok(h.exists(&path)))?,
    )?;
    let h = host.clone();
    t.set(
        "stat",
        lua.create_function(move |lua, path: String| {
            match h.stat(&path).map_err(|e| super::error(lua, e))? {
                Some(st) => lua.to_value(&st),
                None => Ok(Value::Nil),
            }
        })?,
    )?;
    let h = host.clone();
    t.set(
        "read",
        lua.create_function(move |lua, path: String| {
            h.read(&path).map_err(|e| super::error(lua, e))
        })?,
    )?;
    let h = host.clone();
    t.set("arch", lua.create_function(move |_, ()| Ok(h.arch()))?)?;
    t.set(
        "hostname",
        lua.create_function(move |_, ()| Ok(host.hostname()))?,
    )?;
    sifter.set("host", t)?;
    Ok(())
}
