//! `sifter.reject(reason)` (hooks.md §10.1): records the rejection on the host side, so a
//! `pcall` cannot cancel it, and ends the call.

use super::super::sandbox::Shared;
use mlua::{Lua, Table, Value};

pub fn register(lua: &Lua, sifter: &Table, shared: &Shared) -> mlua::Result<()> {
    let shared = shared.clone();
    let f = lua.create_function(move |lua, reason: Value| {
        let reason: String = match reason {
            Value::String(s) if !s.as_bytes().is_empty() => s.to_string_lossy(),
            _ => {
                return Err(super::error(
                    lua,
                    "sifter.reject needs a non-empty string reason",
                ));
            }
        };
        let mut st = shared.borrow_mut();
        st.rejected.get_or_insert(reason);
        Err::<(), _>(mlua::Error::RuntimeError("rejected".to_string()))
    })?;
    sifter.set("reject", f)?;
    Ok(())
}
