//! `CliError`: everything a command can fail with. Library errors are wrapped transparently so
//! their messages (lower case, naming the path or id) reach the user unchanged.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("\"sifter oci {sub}\" command requires root privileges")]
    NotRoot { sub: &'static str },
    #[error(transparent)]
    Sif(#[from] sifter_sif::SifError),
    #[error(transparent)]
    Bundle(#[from] sifter_bundle::BundleError),
    #[error(transparent)]
    Plugin(#[from] sifter_hooks::PluginError),
    #[error(transparent)]
    Runtime(#[from] sifter_runtime::RuntimeError),
    #[error("unknown user {who:?} for --as-user (not in the passwd data)")]
    UnknownUser { who: String },
    #[error("invalid --annotation {value:?}: expected KEY=VALUE")]
    BadAnnotation { value: String },
    #[error("cannot write to {stream}")]
    Output {
        stream: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot resolve the current directory for {}", path.display())]
    Cwd {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, CliError>;
