//! `sifter.spec.*` (hooks.md §10.3): the edit helpers. Each one reads the spec table strictly
//! into a `Spec`, applies the single implementation in `sifter_hook_api::edit`, and writes the
//! touched members back into the same table, so Lua and Rust plugins share one semantics.

use super::super::convert::{from_lua, set_field, spec_from_lua};
use mlua::{Lua, Table, Value};
use serde::Deserialize;
use sifter_hook_api::edit::{self, DeviceOpts, NewMount};
use sifter_hook_api::oci_spec::runtime::Spec;
use sifter_hook_api::{HookError, HostView};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
enum Touch {
    Mounts,
    Devices,
    Env,
    Annotations,
}

fn read(lua: &Lua, t: &Table) -> mlua::Result<Spec> {
    spec_from_lua(Value::Table(t.clone())).map_err(|e| super::error(lua, format!("spec: {e}")))
}

fn child(t: &Table, key: &str) -> mlua::Result<Option<Table>> {
    match t.get::<Value>(key)? {
        Value::Table(c) => Ok(Some(c)),
        _ => Ok(None),
    }
}

fn write(lua: &Lua, t: &Table, spec: &Spec, touch: Touch) -> mlua::Result<()> {
    match touch {
        Touch::Mounts => set_field(lua, t, "mounts", spec.mounts().as_ref()),
        Touch::Annotations => set_field(lua, t, "annotations", spec.annotations().as_ref()),
        Touch::Env => match child(t, "process")? {
            Some(p) => set_field(
                lua,
                &p,
                "env",
                spec.process().as_ref().and_then(|p| p.env().as_ref()),
            ),
            None => set_field(lua, t, "process", spec.process().as_ref()),
        },
        Touch::Devices => {
            let Some(linux) = child(t, "linux")? else {
                return set_field(lua, t, "linux", spec.linux().as_ref());
            };
            let l = spec.linux().as_ref();
            set_field(lua, &linux, "devices", l.and_then(|l| l.devices().as_ref()))?;
            let r = l.and_then(|l| l.resources().as_ref());
            match child(&linux, "resources")? {
                Some(res) => set_field(lua, &res, "devices", r.and_then(|r| r.devices().as_ref())),
                None => set_field(lua, &linux, "resources", r),
            }
        }
    }
}

/// Reads the table, edits, writes back what `touch` names.
fn edit_with<R>(
    lua: &Lua,
    t: &Table,
    touch: Touch,
    f: impl FnOnce(&mut Spec) -> Result<R, HookError>,
) -> mlua::Result<R> {
    let mut spec = read(lua, t)?;
    let r = f(&mut spec).map_err(|e| super::error(lua, e.full_message()))?;
    write(lua, t, &spec, touch)?;
    Ok(r)
}

#[derive(Deserialize)]
struct MountArg {
    source: String,
    destination: String,
    #[serde(rename = "type")]
    typ: Option<String>,
    options: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct DeviceArg {
    path: Option<String>,
    permissions: Option<String>,
    uid: Option<u32>,
    gid: Option<u32>,
    filemode: Option<u32>,
}

fn nonempty(lua: &Lua, what: &str, s: &str) -> mlua::Result<()> {
    if s.is_empty() {
        Err(super::error(lua, format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

pub fn register(lua: &Lua, sifter: &Table, host: Arc<dyn HostView>) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let h = host.clone();
    t.set(
        "add_mount",
        lua.create_function(move |lua, (spec, m): (Table, Value)| {
            let m: MountArg = from_lua(m).map_err(|e| super::error(lua, format!("mount: {e}")))?;
            let new = NewMount {
                source: m.source,
                destination: m.destination,
                typ: m.typ,
                options: m.options,
            };
            edit_with(lua, &spec, Touch::Mounts, |s| {
                edit::add_mount(s, new, h.as_ref())
            })
        })?,
    )?;
    t.set(
        "remove_mount",
        lua.create_function(|lua, (spec, dest): (Table, String)| {
            edit_with(lua, &spec, Touch::Mounts, |s| {
                Ok(edit::remove_mount(s, &dest))
            })
        })?,
    )?;
    t.set(
        "add_device",
        lua.create_function(move |lua, (spec, path, opts): (Table, String, Value)| {
            let o: DeviceArg = match opts {
                Value::Nil => DeviceArg::default(),
                v => from_lua(v).map_err(|e| super::error(lua, format!("device options: {e}")))?,
            };
            let opts = DeviceOpts {
                path: o.path,
                permissions: o.permissions,
                uid: o.uid,
                gid: o.gid,
                filemode: o.filemode,
            };
            edit_with(lua, &spec, Touch::Devices, |s| {
                edit::add_device(s, host.as_ref(), &path, opts)
            })
        })?,
    )?;
    t.set(
        "set_env",
        lua.create_function(|lua, (spec, key, value): (Table, String, String)| {
            edit_with(lua, &spec, Touch::Env, |s| edit::set_env(s, &key, &value))
        })?,
    )?;
    t.set(
        "get_env",
        lua.create_function(|lua, (spec, key): (Table, String)| {
            Ok(edit::get_env(&read(lua, &spec)?, &key))
        })?,
    )?;
    t.set(
        "unset_env",
        lua.create_function(|lua, (spec, key): (Table, String)| {
            edit_with(lua, &spec, Touch::Env, |s| Ok(edit::unset_env(s, &key)))
        })?,
    )?;
    t.set(
        "add_annotation",
        lua.create_function(|lua, (spec, key, value): (Table, String, String)| {
            nonempty(lua, "annotation key", &key)?;
            edit_with(lua, &spec, Touch::Annotations, |s| {
                Ok(edit::add_annotation(s, &key, &value))
            })
        })?,
    )?;
    sifter.set("spec", t)?;
    Ok(())
}
