//! `sifter.log.{debug,info,warn}` (hooks.md §10.1): `string.format` when arguments follow,
//! emitted through `tracing` with target `sifter::lua` and the hook's name. Also the function
//! that replaces `print`.

use super::super::sandbox::Shared;
use mlua::{Lua, MultiValue, Table, Value};

#[derive(Clone, Copy)]
enum Level {
    Debug,
    Info,
    Warn,
}

fn emit(level: Level, hook: &str, message: &str) {
    match level {
        Level::Debug => tracing::debug!(target: "sifter::lua", hook, "{message}"),
        Level::Info => tracing::info!(target: "sifter::lua", hook, "{message}"),
        Level::Warn => tracing::warn!(target: "sifter::lua", hook, "{message}"),
    }
}

pub fn register(lua: &Lua, sifter: &Table, shared: &Shared) -> mlua::Result<()> {
    let log = lua.create_table()?;
    let format: mlua::Function = lua.globals().get::<Table>("string")?.get("format")?;
    for (name, level) in [
        ("debug", Level::Debug),
        ("info", Level::Info),
        ("warn", Level::Warn),
    ] {
        let (format, shared) = (format.clone(), shared.clone());
        let f = lua.create_function(move |_, args: MultiValue| {
            let message: String = if args.len() > 1 {
                format.call(args)?
            } else {
                match args.into_iter().next() {
                    Some(Value::String(s)) => s.to_string_lossy(),
                    Some(v) => v.to_string()?,
                    None => String::new(),
                }
            };
            emit(level, &shared.borrow().hook, &message);
            Ok(())
        })?;
        log.set(name, f)?;
    }
    let shared = shared.clone();
    let print = lua.create_function(move |_, args: MultiValue| {
        let parts: mlua::Result<Vec<String>> = args.iter().map(|v| v.to_string()).collect();
        emit(Level::Info, &shared.borrow().hook, &parts?.join("\t"));
        Ok(())
    })?;
    log.set("print", print)?;
    sifter.set("log", log)?;
    Ok(())
}
