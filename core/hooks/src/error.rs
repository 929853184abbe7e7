//! `PluginError`: loading, trust and dispatch failures, and `HookFailure`, a hook's own error
//! wrapped with its name, kind, origin and point (hooks.md §5). Messages are lower case and
//! name the file, hook or key concerned.

use sifter_hook_api::{HookError, HookPoint, error::escape_controls};
use std::fmt;
use std::path::PathBuf;

/// A hook's error together with who raised it and where.
#[derive(Debug)]
pub struct HookFailure {
    pub hook: String,
    /// `compiled`, `dylib` or `lua`.
    pub kind: String,
    /// `builtin` or the absolute path of the file.
    pub origin: String,
    pub point: HookPoint,
    /// The container id of the call.
    pub id: String,
    /// The site config file, for `InvalidSettings` messages.
    pub config: PathBuf,
    pub error: HookError,
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hook, point) = (&self.hook, self.point);
        match &self.error {
            HookError::Rejected { reason } => write!(
                f,
                "container {} rejected by hook {hook}: {}",
                self.id,
                escape_controls(reason)
            ),
            HookError::InvalidSettings { message } => write!(
                f,
                "hook {hook}: invalid settings in [plugins.{hook}] of {}: {message}",
                self.config.display()
            ),
            HookError::Script { message, traceback } => {
                write!(f, "hook {hook} failed in {point}: {message}")?;
                for frame in traceback {
                    write!(f, "\n    {frame}")?;
                }
                Ok(())
            }
            HookError::Panicked { message } => write!(
                f,
                "hook {hook} ({}) panicked in {point}: {message}",
                self.origin
            ),
            HookError::Foreign { code, message } => write!(
                f,
                "hook {hook} ({}) failed in {point} with status {code}: {message}",
                self.origin
            ),
            other => write!(f, "hook {hook} failed in {point}: {other}"),
        }
    }
}

impl std::error::Error for HookFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

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
    #[error("invalid site config {}: {key}: {reason}", path.display())]
    ConfigValue {
        path: PathBuf,
        key: String,
        reason: String,
    },
    #[error("refusing {}: {reason}", path.display())]
    Untrusted { path: PathBuf, reason: String },
    #[error("cannot read hook directory {}", path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configured hook directory {} does not exist", path.display())]
    MissingDir { path: PathBuf },
    #[error("duplicate hook name \"{name}\": {first} and {second}")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
    #[error("hooks.enable in {} names \"{name}\", which matches no hook", config.display())]
    UnknownEnabled { name: String, config: PathBuf },
    #[error("invalid hook name {name:?} in {origin}: names match ^[a-z0-9][a-z0-9._-]{{0,63}}$")]
    BadName { name: String, origin: String },
    #[error("refusing plugin {}: {reason}", path.display())]
    Abi { path: PathBuf, reason: String },
    #[error("cannot load hook script {}: {message}", path.display())]
    ScriptLoad { path: PathBuf, message: String },
    #[error(transparent)]
    Hook(Box<HookFailure>),
    #[error("hook {hook} produced an invalid config: {detail}")]
    InvalidOutput { hook: String, detail: String },
    #[error("cannot read {}", path.display())]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config {}: {detail}", path.display())]
    UserConfig { path: PathBuf, detail: String },
    #[error(
        "{} is an effective config produced by sifter (annotation org.sifter.hooks.applied); use the bundle's original config.json",
        path.display()
    )]
    AlreadyApplied { path: PathBuf },
    #[error("[plugins.{name}] in {} matches no hook", config.display())]
    OrphanSettings { name: String, config: PathBuf },
}

impl PluginError {
    /// The wrapped hook failure, if this is one.
    pub fn hook_failure(&self) -> Option<&HookFailure> {
        match self {
            PluginError::Hook(f) => Some(f),
            _ => None,
        }
    }

    /// True when a hook rejected the operation (a policy verdict, not a fault).
    pub fn is_rejection(&self) -> bool {
        self.hook_failure().is_some_and(|f| f.error.is_rejection())
    }
}

impl From<HookFailure> for PluginError {
    fn from(f: HookFailure) -> Self {
        PluginError::Hook(Box::new(f))
    }
}

pub type Result<T> = std::result::Result<T, PluginError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(error: HookError) -> String {
        HookFailure {
            hook: "gpu-binds".into(),
            kind: "lua".into(),
            origin: "/etc/sifter/hooks.d/gpu-binds.lua".into(),
            point: HookPoint::MutateConfig,
            id: "job-4711".into(),
            config: "/etc/sifter/sifter.toml".into(),
            error,
        }
        .to_string()
    }

    #[test]
    fn messages_follow_the_table() {
        assert_eq!(
            failure(HookError::rejected("no\x07")),
            "container job-4711 rejected by hook gpu-binds: no\\x07"
        );
        assert_eq!(
            failure(HookError::invalid_settings("set.PATH: expected a string")),
            "hook gpu-binds: invalid settings in [plugins.gpu-binds] of /etc/sifter/sifter.toml: set.PATH: expected a string"
        );
        assert_eq!(
            failure(HookError::script(
                "gpu-binds.lua:27: boom",
                vec!["gpu-binds.lua:27: in function <x>".into()]
            )),
            "hook gpu-binds failed in mutate_config: gpu-binds.lua:27: boom\n    gpu-binds.lua:27: in function <x>"
        );
        assert_eq!(
            failure(HookError::Foreign {
                code: 7,
                message: "down".into()
            }),
            "hook gpu-binds (/etc/sifter/hooks.d/gpu-binds.lua) failed in mutate_config with status 7: down"
        );
    }
}
