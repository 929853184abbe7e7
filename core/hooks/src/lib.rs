//! Finding, ordering and calling hooks: registry, dispatch, the dylib loader and the Lua host
//! (hooks.md §6–§12).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot read site config {}", path.display())]
    Config {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, PluginError>;
