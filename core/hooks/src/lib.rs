//! Finding, ordering and calling hooks: registry, dispatch, the dylib loader and the Lua host
//! (hooks.md §6–§12), the effective config (§2) and the site configuration file (§11). What a
//! hook may do is `sifter-hook-api`; the lifecycle around the points is `sifter-runtime`.

pub mod adapter;
pub mod config;
pub mod dispatch;
pub mod dylib;
pub mod effective;
mod error;
pub mod loader;
pub mod lua;
pub mod provenance;
pub mod registry;
pub mod strict;
pub mod trust;

pub use config::SiteConfig;
pub use error::{HookFailure, PluginError, Result};
pub use registry::{Entry, Invocation, Kind, Registry};
pub use sifter_hook_api::{HookCall, HookPoint, Provenance};

/// The sifter version hooks see as `ctx.sifter_version`.
pub const SIFTER_VERSION: &str = env!("CARGO_PKG_VERSION");
