//! `LuaHook`: one script adapted to the `Hook` trait (hooks.md §9.1). It keeps only the path,
//! the source, the chunk compiled at load (as bytecode, with its debug information, so calls
//! skip the parser) and what the first run declared; each call builds a fresh sandbox, runs the
//! chunk and calls the point's function, so no `Lua` value outlives a call.

use super::convert::{read_only, spec_from_lua, spec_to_lua};
use super::sandbox::{self, RAW_XPCALL, Shared};
use crate::adapter::{Declaration, PointHost};
use crate::config::LuaLimits;
use mlua::{Function, Lua, MultiValue, Table, Value};
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{HookContext, HookError, HookPoint, HookPoints, HostView};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Keys a script's table may have.
pub const ALLOWED_KEYS: [&str; 5] = [
    "name",
    "priority",
    "mutate_config",
    "pre_start",
    "post_delete",
];

/// A Lua script as a hook.
pub struct LuaHook {
    path: PathBuf,
    file: String,
    source: String,
    /// The chunk as compiled by the declaration run (`lua_dump` keeping line information).
    /// Bytecode sifter made itself from the trusted source in this process, never a user's:
    /// scripts' own `load` stays text-only.
    bytecode: Vec<u8>,
    decl: Declaration,
    limits: LuaLimits,
    host: Arc<dyn HostView>,
}

fn message_of(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => message_of(cause),
        mlua::Error::WithContext { cause, .. } => message_of(cause),
        mlua::Error::RuntimeError(s) => s.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    v.type_name()
}

impl LuaHook {
    /// Reads and declares a script (trust checks are the loader's job).
    pub fn load(
        path: &Path,
        limits: LuaLimits,
        host: Arc<dyn HostView>,
    ) -> Result<LuaHook, HookError> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| HookError::failed(format!("cannot read {}: {e}", path.display())))?;
        LuaHook::from_source(path, source, limits, host)
    }

    /// Runs the chunk once to read its name, priority and points.
    pub fn from_source(
        path: &Path,
        source: String,
        limits: LuaLimits,
        host: Arc<dyn HostView>,
    ) -> Result<LuaHook, HookError> {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let stem = file.strip_suffix(".lua").unwrap_or(&file).to_string();
        let mut hook = LuaHook {
            path: path.to_path_buf(),
            file,
            source,
            bytecode: Vec::new(),
            decl: Declaration {
                name: stem,
                points: HookPoints::NONE,
                priority: 0,
            },
            limits,
            host,
        };
        let (lua, shared) = hook.state()?;
        let chunk = hook.compile(&lua)?;
        let bytecode = chunk.dump(false);
        let table = hook.instantiate(&lua, &shared, chunk)?;
        hook.bytecode = bytecode;
        let bad = |m: String| HookError::script(format!("{}: {m}", hook.file), Vec::new());
        for pair in table.pairs::<Value, Value>() {
            let (k, _) = pair.map_err(|e| bad(e.to_string()))?;
            let key = k.to_string().unwrap_or_default();
            if !matches!(k, Value::String(_)) || !ALLOWED_KEYS.contains(&key.as_str()) {
                return Err(bad(format!(
                    "unknown key \"{key}\" in the returned table (allowed: {})",
                    ALLOWED_KEYS.join(", ")
                )));
            }
        }
        match table.get::<Value>("name").map_err(|e| bad(e.to_string()))? {
            Value::Nil => {}
            Value::String(s) => hook.decl.name = s.to_string_lossy(),
            v => {
                return Err(bad(format!(
                    "name must be a string, found a value of type {}",
                    type_name(&v)
                )));
            }
        }
        match table
            .get::<Value>("priority")
            .map_err(|e| bad(e.to_string()))?
        {
            Value::Nil => {}
            Value::Integer(i) if i32::try_from(i).is_ok() => hook.decl.priority = i as i32,
            v => {
                return Err(bad(format!(
                    "priority must be a 32-bit integer, found {v:?}"
                )));
            }
        }
        for point in HookPoint::ALL {
            match table
                .get::<Value>(point.as_str())
                .map_err(|e| bad(e.to_string()))?
            {
                Value::Nil => {}
                Value::Function(_) => hook.decl.points = hook.decl.points.with(point),
                v => {
                    return Err(bad(format!(
                        "{point} must be a function, found a value of type {}",
                        type_name(&v)
                    )));
                }
            }
        }
        if hook.decl.points.is_empty() {
            return Err(bad("the returned table has no point function (mutate_config, pre_start or post_delete)".into()));
        }
        Ok(hook)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The same hook reported under `path` (the name in the hook directory, not the target of
    /// a symlink).
    pub fn with_path(mut self, path: &Path) -> LuaHook {
        self.path = path.to_path_buf();
        self
    }

    fn state(&self) -> Result<(Lua, Shared), HookError> {
        sandbox::new_state(&self.file, &self.decl.name, self.limits, self.host.clone())
            .map_err(HookError::failed)
    }

    /// The chunk: the bytecode of the declaration run once there is one, else the source.
    fn compile(&self, lua: &Lua) -> Result<Function, HookError> {
        let chunk = if self.bytecode.is_empty() {
            lua.load(self.source.as_str())
                .set_mode(mlua::chunk::ChunkMode::Text)
        } else {
            lua.load(self.bytecode.as_slice())
                .set_mode(mlua::chunk::ChunkMode::Binary)
        };
        chunk
            .set_name(format!("@{}", self.file))
            .into_function()
            .map_err(|e| HookError::script(message_of(&e), Vec::new()))
    }

    /// Runs the chunk; it must return a table.
    fn instantiate(&self, lua: &Lua, shared: &Shared, chunk: Function) -> Result<Table, HookError> {
        let out = self.protected(lua, shared, chunk, MultiValue::new())?;
        match out.into_iter().next() {
            Some(Value::Table(t)) => Ok(t),
            other => Err(HookError::script(
                format!(
                    "{}: the script must return a table, it returned {}",
                    self.file,
                    other.as_ref().map(type_name).unwrap_or("nothing")
                ),
                Vec::new(),
            )),
        }
    }

    /// Calls `f` through the unwrapped `xpcall`, turning every failure into a `HookError`.
    fn protected(
        &self,
        lua: &Lua,
        shared: &Shared,
        f: Function,
        args: MultiValue,
    ) -> Result<MultiValue, HookError> {
        let sh = shared.clone();
        let handler = lua
            .create_function(move |lua, err: Value| {
                if let Ok(mut st) = sh.try_borrow_mut()
                    && st.traceback.is_empty()
                {
                    st.traceback = sandbox::traceback(lua);
                }
                Ok(err)
            })
            .map_err(|e| HookError::failed(e.to_string()))?;
        let xpcall: Function = lua
            .named_registry_value(RAW_XPCALL)
            .map_err(|e| HookError::failed(e.to_string()))?;
        let mut call_args = MultiValue::from_iter([Value::Function(f), Value::Function(handler)]);
        call_args.extend(args);
        let result = xpcall.call::<MultiValue>(call_args);
        let st = shared.borrow();
        if let Some(reason) = &st.rejected {
            return Err(HookError::rejected(reason.clone()));
        }
        if let Some(b) = &st.budget {
            return Err(HookError::script(b.clone(), st.traceback.clone()));
        }
        let mut values = match result {
            Ok(v) => v.into_iter(),
            Err(e) if matches!(e, mlua::Error::MemoryError(_)) || st.memory => {
                return Err(HookError::script(st.memory_message(), Vec::new()));
            }
            Err(e) => return Err(HookError::script(message_of(&e), st.traceback.clone())),
        };
        let ok = matches!(values.next(), Some(Value::Boolean(true)));
        if ok {
            return Ok(values.collect());
        }
        let err = values.next().unwrap_or(Value::Nil);
        let message = match &err {
            Value::String(s) => s.to_string_lossy(),
            Value::Error(e) => message_of(e),
            other => other
                .to_string()
                .unwrap_or_else(|_| type_name(other).to_string()),
        };
        let memory = st.memory
            || message == "not enough memory"
            || matches!(&err, Value::Error(e) if matches!(**e, mlua::Error::MemoryError(_)));
        if memory {
            return Err(HookError::script(st.memory_message(), Vec::new()));
        }
        Err(HookError::script(message, st.traceback.clone()))
    }
}

impl std::fmt::Debug for LuaHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuaHook")
            .field("path", &self.path)
            .field("name", &self.decl.name)
            .field("priority", &self.decl.priority)
            .finish()
    }
}

impl PointHost for LuaHook {
    fn declaration(&self) -> &Declaration {
        &self.decl
    }
    /// One call at `point` in a fresh state; returns the new spec for `mutate_config`.
    fn call(
        &self,
        point: HookPoint,
        cx: &HookContext,
        spec: Option<&Spec>,
    ) -> Result<Option<Spec>, HookError> {
        let (lua, shared) = self.state()?;
        let chunk = self.compile(&lua)?;
        let table = self.instantiate(&lua, &shared, chunk)?;
        let lua_err = |e: mlua::Error| HookError::failed(format!("{}: {e}", self.file));
        let f: Function = table.get(point.as_str()).map_err(lua_err)?;
        let ctx_json = serde_json::to_value(cx).map_err(|e| HookError::failed(e.to_string()))?;
        let ctx = read_only(&lua, &ctx_json).map_err(lua_err)?;
        let mut args = MultiValue::from_iter([ctx]);
        let spec_table = match spec {
            Some(s) => {
                let t = spec_to_lua(&lua, s).map_err(lua_err)?;
                args.push_back(t.clone());
                Some(t)
            }
            None => None,
        };
        let out = self.protected(&lua, &shared, f, args)?;
        let first = out.into_iter().next().unwrap_or(Value::Nil);
        let Some(spec_table) = spec_table else {
            if first != Value::Nil {
                return Err(HookError::script(
                    format!(
                        "{}: {point} returned a value of type {}, expected nothing",
                        self.file,
                        type_name(&first)
                    ),
                    Vec::new(),
                ));
            }
            return Ok(None);
        };
        let result = match first {
            Value::Nil => spec_table,
            t @ Value::Table(_) => t,
            other => {
                return Err(HookError::script(
                    format!(
                        "{}: mutate_config returned a value of type {}, expected nothing or a table",
                        self.file,
                        type_name(&other)
                    ),
                    Vec::new(),
                ));
            }
        };
        spec_from_lua(result).map(Some).map_err(|e| {
            HookError::script(format!("{}: returned spec: {e}", self.file), Vec::new())
        })
    }
}

#[cfg(test)]
mod tests;
