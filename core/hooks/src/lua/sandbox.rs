//! A fresh restricted Lua state per call (hooks.md §9.2–§9.3): base, table, string, math, utf8
//! and a few `os` functions; `load` for text only; no `require`, `dofile`, `loadfile`, `io`,
//! `debug` or `coroutine`; `print` to the log; a memory limit and an instruction budget that
//! stay hit once hit, even under `pcall`. The `sifter` table comes from `api/`.

use crate::config::LuaLimits;
use mlua::{HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Value, VmState};
use sifter_hook_api::HostView;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// Instructions between two budget checks.
const BUDGET_STEP: u32 = 1000;

/// Registry key of the unwrapped `xpcall`, used by the host to call into the script.
pub const RAW_XPCALL: &str = "sifter.rawxpcall";

/// Host-side facts of one call that a `pcall` cannot erase.
#[derive(Debug, Default)]
pub struct CallState {
    /// The script's file name (`gpu-binds.lua`), used in messages.
    pub script: String,
    pub hook: String,
    /// `sifter.reject` was called with this reason.
    pub rejected: Option<String>,
    /// The instruction budget was exceeded (the message, with script and line).
    pub budget: Option<String>,
    /// The memory limit was hit.
    pub memory: bool,
    pub memory_mib: u64,
    /// Lua frames at the error, innermost first.
    pub traceback: Vec<String>,
}

pub type Shared = Rc<RefCell<CallState>>;

impl CallState {
    /// The sticky error, if any limit or a rejection happened.
    pub fn sticky(&self) -> Option<String> {
        if self.rejected.is_some() {
            return Some("rejected".to_string());
        }
        if let Some(b) = &self.budget {
            return Some(b.clone());
        }
        self.memory.then(|| self.memory_message())
    }

    pub fn memory_message(&self) -> String {
        format!(
            "memory limit of {} MiB exceeded in {}",
            self.memory_mib, self.script
        )
    }
}

/// `file:line` of the innermost Lua frame at or above `level`.
pub fn location(lua: &Lua, from: usize) -> Option<String> {
    (from..from + 32).find_map(|level| {
        lua.inspect_stack(level, |d| {
            let src = d.source();
            let line = d.current_line()?;
            (src.what != "C").then(|| format!("{}:{line}", src.short_src.as_deref().unwrap_or("?")))
        })?
    })
}

/// Lua frames of the current stack, innermost first, for `Script.traceback`.
pub fn traceback(lua: &Lua) -> Vec<String> {
    let mut out = Vec::new();
    for level in 0..64 {
        let Some(frame) = lua.inspect_stack(level, |d| {
            let src = d.source();
            if src.what == "C" || src.short_src.as_deref() == Some("sifter") {
                return None;
            }
            let file = src.short_src.as_deref().unwrap_or("?").to_string();
            let line = d.current_line().unwrap_or(0);
            let what = if src.what == "main" {
                "main chunk".to_string()
            } else if let Some(name) = d.names().name {
                format!("function '{name}'")
            } else {
                format!("function <{file}:{}>", src.line_defined.unwrap_or(0))
            };
            Some(format!("{file}:{line}: in {what}"))
        }) else {
            break;
        };
        out.extend(frame);
    }
    out
}

const PRELUDE: &str = r#"
local check, rawpcall, rawxpcall, rawload, pack, unpack, select = ...
local function finish(r) check(r[1], r[2]) return unpack(r, 1, r.n) end
pcall = function(...) return finish(pack(rawpcall(...))) end
xpcall = function(...) return finish(pack(rawxpcall(...))) end
load = function(chunk, name, mode, ...)
  if select('#', ...) > 0 then return rawload(chunk, name, "t", ...) end
  return rawload(chunk, name, "t")
end
"#;

/// The prelude, compiled once per process and loaded as bytecode into every later state.
fn prelude(lua: &Lua) -> mlua::Result<mlua::Function> {
    static BYTECODE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    if let Some(bc) = BYTECODE.get() {
        return lua
            .load(bc.as_slice())
            .set_name("=sifter")
            .set_mode(mlua::chunk::ChunkMode::Binary)
            .into_function();
    }
    let f = lua
        .load(PRELUDE)
        .set_name("=sifter")
        .set_mode(mlua::chunk::ChunkMode::Text)
        .into_function()?;
    let _ = BYTECODE.set(f.dump(false));
    Ok(f)
}

fn mlua_failed(e: mlua::Error) -> String {
    format!("cannot set up the Lua sandbox: {e}")
}

/// A fresh sandboxed state for one call of `hook` from `script`.
pub fn new_state(
    script: &str,
    hook: &str,
    limits: LuaLimits,
    host: Arc<dyn HostView>,
) -> Result<(Lua, Shared), String> {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::UTF8 | StdLib::OS;
    let lua = Lua::new_with(libs, LuaOptions::default()).map_err(mlua_failed)?;
    let shared: Shared = Rc::new(RefCell::new(CallState {
        script: script.to_string(),
        hook: hook.to_string(),
        memory_mib: limits.lua_memory_mib,
        ..Default::default()
    }));
    trim(&lua).map_err(mlua_failed)?;
    super::api::register(&lua, &shared, host).map_err(mlua_failed)?;
    let g = lua.globals();
    let s = shared.clone();
    let check = lua
        .create_function(move |_, (ok, err): (Value, Value)| {
            let mut st = s.borrow_mut();
            if ok == Value::Boolean(false)
                && let Value::String(m) = &err
                && m.to_str().is_ok_and(|m| m == "not enough memory")
            {
                st.memory = true;
            }
            if let Value::Error(e) = &err
                && matches!(**e, mlua::Error::MemoryError(_))
            {
                st.memory = true;
            }
            match st.sticky() {
                Some(msg) => Err(mlua::Error::RuntimeError(msg)),
                None => Ok(()),
            }
        })
        .map_err(mlua_failed)?;
    let rawxpcall: mlua::Function = g.get("xpcall").map_err(mlua_failed)?;
    lua.set_named_registry_value(RAW_XPCALL, rawxpcall)
        .map_err(mlua_failed)?;
    let table: mlua::Table = g.get("table").map_err(mlua_failed)?;
    let args = MultiValue::from_iter([
        Value::Function(check),
        g.get("pcall").map_err(mlua_failed)?,
        g.get("xpcall").map_err(mlua_failed)?,
        g.get("load").map_err(mlua_failed)?,
        table.get("pack").map_err(mlua_failed)?,
        table.get("unpack").map_err(mlua_failed)?,
        g.get("select").map_err(mlua_failed)?,
    ]);
    prelude(&lua)
        .map_err(mlua_failed)?
        .call::<()>(args)
        .map_err(mlua_failed)?;
    let bytes = limits.lua_memory_mib.saturating_mul(1024 * 1024) as usize;
    lua.set_memory_limit(bytes).map_err(mlua_failed)?;
    let budget = limits.lua_instructions;
    let s = shared.clone();
    let used_cell = RefCell::new(0u64);
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(BUDGET_STEP),
        move |lua, _debug| {
            let mut n = used_cell.borrow_mut();
            *n += u64::from(BUDGET_STEP);
            if *n <= budget {
                return Ok(VmState::Continue);
            }
            let mut st = s.borrow_mut();
            if st.budget.is_none() {
                let at = location(lua, 0).unwrap_or_else(|| st.script.clone());
                st.budget = Some(format!("{at}: instruction budget of {budget} exceeded"));
            }
            Err(mlua::Error::RuntimeError(
                st.budget.clone().unwrap_or_default(),
            ))
        },
    )
    .map_err(mlua_failed)?;
    Ok((lua, shared))
}

/// Removes what the sandbox does not offer (hooks.md §9.2).
fn trim(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    for name in [
        "dofile",
        "loadfile",
        "require",
        "package",
        "io",
        "debug",
        "coroutine",
    ] {
        g.set(name, Value::Nil)?;
    }
    let string: mlua::Table = g.get("string")?;
    string.set("dump", Value::Nil)?;
    let os: mlua::Table = g.get("os")?;
    let keep = lua.create_table()?;
    for name in ["time", "date", "clock", "difftime", "getenv"] {
        keep.set(name, os.get::<Value>(name)?)?;
    }
    g.set("os", keep)?;
    Ok(())
}
