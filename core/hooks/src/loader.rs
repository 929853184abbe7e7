//! Finding hook files: the `.so` files of `plugin_dirs` and the `.lua` files of `lua_dirs`
//! (hooks.md §6), sorted by name, not recursive, dot files ignored, each directory and file
//! trust-checked. Turning a file into a hook is `dylib.rs` and `lua/`.

use crate::config::SiteConfig;
use crate::error::PluginError;
use crate::registry::{DirStatus, LoadedHook};

/// Scans the configured directories into `hooks`; problems are collected, not fatal.
pub fn scan(
    _site: &SiteConfig,
    _hooks: &mut Vec<LoadedHook>,
    _problems: &mut Vec<PluginError>,
) -> Vec<DirStatus> {
    Vec::new()
}
