//! Finding hook files: the `.so` files of `plugin_dirs` and the `.lua` files of `lua_dirs`
//! (hooks.md §6), not recursive, dot files ignored, in byte order of name, each directory and
//! file trust-checked. Turning a file into a hook is `dylib.rs` and `lua/`.

use crate::adapter::Adapted;
use crate::config::SiteConfig;
use crate::error::PluginError;
use crate::lua::LuaHook;
use crate::registry::{DirStatus, Kind, LoadedHook};
use crate::trust::{self, Want};
use sifter_hook_api::{HookError, RealHost};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Built-in Lua hook directory.
pub const DEFAULT_LUA_DIR: &str = "/etc/sifter/hooks.d";
/// Built-in shared-library plugin directory.
pub const DEFAULT_PLUGIN_DIR: &str = "/usr/lib/sifter/plugins";

/// The directories to search and whether they were configured explicitly.
pub fn dirs(site: &SiteConfig) -> (Vec<PathBuf>, bool, Vec<PathBuf>, bool) {
    let h = &site.hooks;
    (
        h.lua_dirs
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_LUA_DIR.into()]),
        h.lua_dirs.is_some(),
        h.plugin_dirs
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_PLUGIN_DIR.into()]),
        h.plugin_dirs.is_some(),
    )
}

/// Files with `suffix` directly in `dir`, sorted by name bytes, dot files skipped.
fn list(dir: &Path, suffix: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| {
            let s = n.to_string_lossy();
            !s.starts_with('.') && s.ends_with(suffix)
        })
        .collect();
    names.sort();
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// Describes a script error with its traceback, for load failures.
pub fn describe(e: &HookError) -> String {
    match e {
        HookError::Script { message, traceback } => {
            let mut s = message.clone();
            for f in traceback {
                s.push_str("\n    ");
                s.push_str(f);
            }
            s
        }
        other => other.full_message(),
    }
}

fn scan_dir(
    dir: &Path,
    kind: Kind,
    explicit: bool,
    site: &SiteConfig,
    hooks: &mut Vec<LoadedHook>,
    problems: &mut Vec<PluginError>,
) -> DirStatus {
    let label = if kind == Kind::Lua { "lua" } else { "plugin" };
    let status = |s: &str| DirStatus {
        path: dir.to_path_buf(),
        kind: label,
        status: s.to_string(),
    };
    if !dir.exists() {
        if explicit {
            problems.push(PluginError::MissingDir {
                path: dir.to_path_buf(),
            });
        }
        return status("missing");
    }
    if let Err(e) = trust::check(dir, Want::Dir, trust::euid()) {
        problems.push(e);
        return status("refused");
    }
    let suffix = if kind == Kind::Lua { ".lua" } else { ".so" };
    let files = match list(dir, suffix) {
        Ok(f) => f,
        Err(source) => {
            problems.push(PluginError::Dir {
                path: dir.to_path_buf(),
                source,
            });
            return status("unreadable");
        }
    };
    let mut loaded = 0;
    for file in &files {
        let canonical = match trust::check(file, Want::File, trust::euid()) {
            Ok(c) => c,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let origin = file.display().to_string();
        let hook: Result<Box<dyn sifter_hook_api::Hook>, PluginError> = match kind {
            Kind::Lua => LuaHook::load(&canonical, site.hooks.limits, Arc::new(RealHost))
                .map(|h| Box::new(Adapted(h.with_path(file))) as Box<dyn sifter_hook_api::Hook>)
                .map_err(|e| PluginError::ScriptLoad {
                    path: file.clone(),
                    message: describe(&e),
                }),
            _ => crate::dylib::DylibHook::load(file, &canonical)
                .map(|h| Box::new(Adapted(h)) as Box<dyn sifter_hook_api::Hook>),
        };
        match hook {
            Ok(hook) => {
                loaded += 1;
                hooks.push(LoadedHook { hook, kind, origin });
            }
            Err(e) => problems.push(e),
        }
    }
    let noun = match (kind, loaded) {
        (Kind::Lua, 1) => "script",
        (Kind::Lua, _) => "scripts",
        (_, 1) => "plugin",
        _ => "plugins",
    };
    status(&format!("{loaded} {noun}"))
}

/// Scans the configured directories into `hooks`; problems are collected, not fatal.
pub fn scan(
    site: &SiteConfig,
    hooks: &mut Vec<LoadedHook>,
    problems: &mut Vec<PluginError>,
) -> Vec<DirStatus> {
    let (lua_dirs, lua_explicit, plugin_dirs, plugin_explicit) = dirs(site);
    let mut out = Vec::new();
    for d in &plugin_dirs {
        out.push(scan_dir(
            d,
            Kind::Dylib,
            plugin_explicit,
            site,
            hooks,
            problems,
        ));
    }
    for d in &lua_dirs {
        out.push(scan_dir(d, Kind::Lua, lua_explicit, site, hooks, problems));
    }
    out
}
