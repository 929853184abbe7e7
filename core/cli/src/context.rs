//! `Context`: what every command needs, resolved once from the global flags and the process
//! (state root, working directory, site config path). No code below it reads process-global
//! state.

use crate::args::GlobalArgs;
use crate::error::{CliError, Result};
use std::path::{Path, PathBuf};

/// Default state root (oci-reference.md §2.1).
pub const DEFAULT_ROOT: &str = "/run/sifter";
/// Default site config (hooks.md §11).
pub const DEFAULT_CONFIG: &str = "/etc/sifter/sifter.toml";

#[derive(Debug, Clone)]
pub struct Context {
    pub global: GlobalArgs,
    /// Absolute state root.
    pub root: PathBuf,
    /// The caller's working directory, against which relative paths are resolved.
    pub cwd: PathBuf,
    /// The site config file and whether it was named explicitly (a missing explicit file is an
    /// error; a missing default file means built-in defaults).
    pub config_path: PathBuf,
    pub config_explicit: bool,
}

impl Context {
    pub fn resolve(global: &GlobalArgs) -> Result<Self> {
        let cwd = std::env::current_dir().map_err(|source| CliError::Cwd {
            path: PathBuf::from("."),
            source,
        })?;
        let root = global
            .root
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT));
        let root = absolute(&cwd, &root);
        let (config_path, config_explicit) =
            match (&global.config, std::env::var_os("SIFTER_CONFIG")) {
                (Some(p), _) => (absolute(&cwd, p), true),
                (None, Some(p)) if !p.is_empty() => (absolute(&cwd, Path::new(&p)), true),
                _ => (PathBuf::from(DEFAULT_CONFIG), false),
            };
        Ok(Context {
            global: global.clone(),
            root,
            cwd,
            config_path,
            config_explicit,
        })
    }

    /// Makes `path` absolute against the caller's working directory (no symlink resolution).
    pub fn absolute(&self, path: &Path) -> PathBuf {
        absolute(&self.cwd, path)
    }
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}
