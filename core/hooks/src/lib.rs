//! Finding, ordering and calling hooks: registry, dispatch, the dylib loader and the Lua host
//! (hooks.md §6–§12), and the site configuration file (§11).

pub mod config;

pub use config::SiteConfig;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot read site config {}", path.display())]
    Config {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid site config {}: {reason}", path.display())]
    ConfigSyntax {
        path: PathBuf,
        reason: String,
        key: Option<String>,
    },
}

pub type Result<T> = std::result::Result<T, PluginError>;
