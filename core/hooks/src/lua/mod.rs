//! The Lua host (hooks.md §9–§10): `LuaHook` answers a script's points, and the shared
//! adapter (`crate::adapter`) makes it a `Hook`; every call runs in a fresh sandboxed state
//! with the `sifter` module.

pub mod api;
pub mod convert;
pub mod sandbox;
pub mod script;

pub use script::LuaHook;

/// A Lua error positioned at the calling script line.
pub(crate) fn api_error(lua: &mlua::Lua, msg: impl std::fmt::Display) -> mlua::Error {
    api::error(lua, msg)
}
