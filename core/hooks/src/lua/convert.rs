//! Moving data between Rust and Lua (hooks.md §9.4): the spec as a plain table (member names
//! as in config.json, 1-based arrays), back strictly into `Spec` (unknown keys and wrong types
//! are errors with a JSON-pointer path), and the context as a read-only proxy tree.

use mlua::serde::{DeserializeOptions, Deserializer, SerializeOptions};
use mlua::{Lua, LuaSerdeExt, Table, Value};
use serde::de::DeserializeOwned;
use sifter_hook_api::oci_spec::runtime::Spec;

fn ser_options() -> SerializeOptions {
    SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false)
}

/// Any serialisable value as a plain Lua value (`None` and JSON null become nil), serialised
/// straight into Lua: going through a `serde_json::Value` first cost a fifth of `spec_to_lua`.
pub fn to_lua<T: serde::Serialize>(lua: &Lua, value: &T) -> mlua::Result<Value> {
    lua.to_value_with(value, ser_options())
}

/// The spec as a Lua table.
pub fn spec_to_lua(lua: &Lua, spec: &Spec) -> mlua::Result<Value> {
    to_lua(lua, spec)
}

/// A Lua value as `T`, strictly; the error is `POINTER: problem`.
pub fn from_lua<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    let de = || {
        let options = DeserializeOptions::new()
            .deny_unsupported_types(true)
            .deny_recursive_tables(true);
        Deserializer::new_with_options(value.clone(), options)
    };
    // Without path tracking first: most of the cost of the strict read, and only an error
    // needs the pointer. The tracked read then words it (reading a table twice is harmless).
    let mut unknown = false;
    match serde_ignored::deserialize(de(), |_| unknown = true) {
        Ok(v) if !unknown => Ok(v),
        _ => crate::strict::from_deserializer(de()),
    }
}

/// A Lua table as a `Spec`, strictly.
pub fn spec_from_lua(value: Value) -> Result<Spec, String> {
    from_lua(value)
}

/// A read-only proxy over `value` (hooks.md §9.2): `__index`, `__pairs` and `__len` work,
/// `__newindex` raises `ctx is read-only`.
pub fn read_only(lua: &Lua, value: &serde_json::Value) -> mlua::Result<Value> {
    let backing = match value {
        serde_json::Value::Object(map) => {
            let t = lua.create_table()?;
            for (k, v) in map {
                t.set(k.as_str(), read_only(lua, v)?)?;
            }
            t
        }
        serde_json::Value::Array(items) => {
            let t = lua.create_table()?;
            for (i, v) in items.iter().enumerate() {
                t.set(i + 1, read_only(lua, v)?)?;
            }
            t
        }
        other => return lua.to_value_with(other, ser_options()),
    };
    let proxy = lua.create_table()?;
    let meta = lua.create_table()?;
    meta.set("__index", backing.clone())?;
    meta.set(
        "__newindex",
        lua.create_function(|lua, _: mlua::MultiValue| -> mlua::Result<()> {
            Err(super::api_error(lua, "ctx is read-only"))
        })?,
    )?;
    let next: mlua::Function = lua.globals().get("next")?;
    let b = backing.clone();
    meta.set(
        "__pairs",
        lua.create_function(move |_, _: Value| Ok((next.clone(), b.clone(), Value::Nil)))?,
    )?;
    let b = backing;
    meta.set(
        "__len",
        lua.create_function(move |_, _: Value| {
            b.raw_len()
                .try_into()
                .map_err(mlua::Error::external)
                .map(|n: i64| n)
        })?,
    )?;
    meta.set("__metatable", false)?;
    proxy.set_metatable(Some(meta))?;
    Ok(Value::Table(proxy))
}

/// Sets `table[key]` to the serialised `value` (nil when `None`).
pub fn set_field<T: serde::Serialize>(
    lua: &Lua,
    table: &Table,
    key: &str,
    value: Option<&T>,
) -> mlua::Result<()> {
    match value {
        Some(v) => table.set(key, to_lua(lua, v)?),
        None => table.set(key, Value::Nil),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_and_is_strict() {
        let lua = Lua::new();
        let spec: Spec = serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2",
            "process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["A=1"]},
            "mounts": [{"destination": "/x", "options": []}]}))
        .unwrap();
        let t = spec_to_lua(&lua, &spec).unwrap();
        lua.globals().set("spec", t.clone()).unwrap();
        assert_eq!(spec_from_lua(t).unwrap(), spec);
        lua.load("spec.process.envv = {}").exec().unwrap();
        let e = spec_from_lua(lua.globals().get("spec").unwrap()).unwrap_err();
        assert_eq!(e, "/process/envv: unknown key");
        lua.load("spec.process.envv = nil; spec.process.terminal = 'yes'")
            .exec()
            .unwrap();
        let e = spec_from_lua(lua.globals().get("spec").unwrap()).unwrap_err();
        assert!(
            e.starts_with("/process/terminal: invalid type: string \"yes\", expected a boolean"),
            "{e}"
        );
        lua.load("spec.process.terminal = nil; spec.process.user.uid = 1.0")
            .exec()
            .unwrap();
        assert!(spec_from_lua(lua.globals().get("spec").unwrap()).is_err());
    }

    #[test]
    fn direct_serialisation_matches_the_json_route() {
        let lua = Lua::new();
        let mut spec = Spec::default();
        let annotations = [("a.b", "1"), ("c", "")].map(|(k, v)| (k.into(), v.into()));
        spec.set_annotations(Some(annotations.into_iter().collect()));
        let direct = spec_to_lua(&lua, &spec).unwrap();
        let json = serde_json::to_value(&spec).unwrap();
        let via_json = lua.to_value_with(&json, ser_options()).unwrap();
        let back = |v: Value| -> serde_json::Value { lua.from_value(v).unwrap() };
        assert_eq!(back(direct.clone()), back(via_json));
        assert_eq!(back(direct.clone()), json);
        assert_eq!(spec_from_lua(direct).unwrap(), spec);
    }

    #[test]
    fn ctx_proxy_reads_but_refuses_writes() {
        let lua = Lua::new();
        let v = serde_json::json!({"a": {"b": [1, 2, 3]}, "n": null});
        lua.globals()
            .set("ctx", read_only(&lua, &v).unwrap())
            .unwrap();
        let (len, b2, n): (i64, i64, Value) = lua
            .load("return #ctx.a.b, ctx.a.b[2], ctx.n")
            .eval()
            .unwrap();
        assert_eq!((len, b2, n), (3, 2, Value::Nil));
        let count: i64 = lua
            .load("local c = 0 for _ in pairs(ctx.a) do c = c + 1 end return c")
            .eval()
            .unwrap();
        assert_eq!(count, 1);
        let e = lua.load("ctx.a.x = 1").exec().unwrap_err();
        assert!(e.to_string().contains("ctx is read-only"), "{e}");
    }
}
