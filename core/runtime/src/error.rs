//! `RuntimeError`: every way a lifecycle operation can fail. Messages are the spec's
//! (oci-reference.md §2, §5), lower case, naming the container ID or path.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "invalid container ID \"{id}\": use 1-128 characters from A-Z a-z 0-9 _ . + - starting with a letter or digit"
    )]
    InvalidId { id: String },
    #[error("container \"{id}\" does not exist")]
    NotFound { id: String },
    #[error("container \"{id}\" already exists{}", if *runtime_only { " (runtime state only; remove it with sifter oci delete --force ".to_string() + id + ")" } else { String::new() })]
    AlreadyExists { id: String, runtime_only: bool },
    #[error("bundle {} is already used by container \"{other}\"", bundle.display())]
    BundleInUse { bundle: PathBuf, other: String },
    #[error("invalid bundle {}: {reason}", bundle.display())]
    InvalidBundle { bundle: PathBuf, reason: String },
    #[error("{message}")]
    WrongStatus { message: String },
    #[error("container \"{id}\" is busy (locked by another sifter process)")]
    Busy { id: String },
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid state record {}: {reason}", path.display())]
    Record { path: PathBuf, reason: String },
    #[error("no OCI runtime found (looked for {name} in {search})")]
    NoRuntime { name: String, search: String },
    #[error("conmon not found in {search}")]
    NoConmon { search: String },
    #[error("cannot run {}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{runtime} {sub} failed: {message}")]
    RuntimeFailed {
        runtime: String,
        sub: &'static str,
        message: String,
    },
    #[error("{runtime} {sub}: unexpected output: {reason}")]
    RuntimeOutput {
        runtime: String,
        sub: &'static str,
        reason: String,
    },
    #[error("failed to create container \"{id}\": {reason}")]
    CreateFailed { id: String, reason: String },
    #[error("while starting conmon: {status}: {tail}")]
    ConmonStart { status: String, tail: String },
    #[error("invalid signal \"{signal}\"")]
    InvalidSignal { signal: String },
    #[error("cannot attach to container \"{id}\": its conmon monitor is gone")]
    MonitorGone { id: String },
    #[error("exit status of container \"{id}\" is unknown (conmon exited without writing it)")]
    ExitUnknown { id: String },
    #[error("container \"{id}\" did not stop after SIGKILL")]
    DidNotStop { id: String },
    #[error("you must specify --from-file")]
    NoFromFile,
    #[error("invalid resources in {source_name}: {reason}")]
    InvalidResources { source_name: String, reason: String },
    #[error("invalid environment variable \"{entry}\": use KEY=VALUE with a non-empty KEY")]
    InvalidEnv { entry: String },
    #[error("--cwd must be an absolute path, got {}", path.display())]
    RelativeCwd { path: PathBuf },
    #[error("container \"{id}\" exited with code {code} but could not be deleted: {source}")]
    RunNotDeleted {
        id: String,
        code: i32,
        source: Box<RuntimeError>,
    },
    #[error("{error}; cleanup also failed: {cleanup}")]
    WithCleanup {
        error: Box<RuntimeError>,
        cleanup: String,
    },
    #[error("{0}")]
    System(#[from] SystemError),
    #[error(transparent)]
    Plugin(#[from] sifter_hooks::PluginError),
    #[error(transparent)]
    Bundle(#[from] sifter_bundle::BundleError),
}

/// A failed system call, naming what it was for.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action}: {errno}")]
pub struct SystemError {
    pub action: &'static str,
    pub errno: nix::errno::Errno,
}

impl SystemError {
    pub fn map(action: &'static str) -> impl FnOnce(nix::errno::Errno) -> RuntimeError {
        move |errno| RuntimeError::System(SystemError { action, errno })
    }
}

pub type Result<T> = std::result::Result<T, RuntimeError>;

impl RuntimeError {
    /// `<runtime> <sub> failed: <message>`, without repeating a prefix the runtime already
    /// put on its own message (runc logs `runc create failed: …`).
    pub fn runtime_failed(runtime: String, sub: &'static str, message: String) -> Self {
        let prefix = format!("{runtime} {sub} failed: ");
        let message = message
            .strip_prefix(&prefix)
            .map(str::to_string)
            .unwrap_or(message);
        RuntimeError::RuntimeFailed {
            runtime,
            sub,
            message,
        }
    }

    /// An I/O error on `path`.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| RuntimeError::Io {
            action,
            path,
            source,
        }
    }
}
