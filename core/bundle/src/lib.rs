//! From SIF to OCI bundle and back: bundle layout, mounts, `config.json` generation, and the
//! image builder behind `sifter build`.
//!
//! - [`mount()`] / [`umount()`]: `sifter oci mount` / `oci umount` (oci-reference.md §3, §6),
//!   ordered steps recorded in `BUNDLE/.sifter-mount.json` before they happen, rolled back on
//!   failure.
//! - [`config::generate`]: the pure `config.json` generator (§4).
//! - [`BundleLock`], [`bundle_key`], [`claim_path`]: the per-bundle lock and claim paths that
//!   the lifecycle engine shares (§5.2, §5.4).
//!
//! The one error enum of the crate, [`BundleError`], lives here.

pub mod build;
mod checks;
mod cmd;
pub mod config;
pub mod image_config;
pub mod layout;
mod lock;
mod mount;
pub mod mounter;
pub mod mountinfo;
mod record;
mod rootfs;
mod signals;
mod umount;

pub use checks::{CheckedImage, arch_compatible, check as check_image};
pub use layout::BundleLayout;
pub use lock::{
    BundleLock, Claim, LockWaitError, bundle_key, canonical_bundle, claim_path, flock_wait,
    read_claim,
};
pub use mount::{Fault, FaultAction, MountOptions, MountOutcome, STEPS, mount, mount_with};
pub use record::{
    Method, MountRecord, PartitionInfo, SifInfo, Step, StepKind, StepState, read_record,
};
pub use umount::{UmountOptions, UmountOutcome, umount};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{} is not a bundle made by sifter oci mount (no mount record)", bundle.display())]
    NoRecord { bundle: PathBuf },
    #[error(transparent)]
    Sif(#[from] sifter_sif::SifError),
    #[error("the image's architecture ({image}) could not run on the host's ({host})")]
    Arch { image: String, host: String },
    #[error("{}: invalid oci-config.json: {reason}", path.display())]
    ImageConfig { path: PathBuf, reason: String },
    #[error("{} is already a mounted bundle (run sifter oci umount first)", bundle.display())]
    AlreadyMounted { bundle: PathBuf },
    #[error("bundle directory {} is not empty", bundle.display())]
    NotEmpty { bundle: PathBuf },
    #[error("bundle directory {} is not a directory", bundle.display())]
    NotDirectory { bundle: PathBuf },
    #[error(
        "bundle path {} cannot be used for an overlay mount (contains '{what}' or is too long)",
        bundle.display()
    )]
    OverlayPath { bundle: PathBuf, what: String },
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid mount record {}: {reason}", path.display())]
    BadRecord { path: PathBuf, reason: String },
    #[error("invalid bundle claim {}: {reason}", path.display())]
    BadClaim { path: PathBuf, reason: String },
    #[error("bundle {} is busy (locked by another sifter process)", bundle.display())]
    Busy { bundle: PathBuf },
    #[error(
        "bundle {} is in use by container \"{id}\"; delete it first or use --force",
        bundle.display()
    )]
    InUse { bundle: PathBuf, id: String },
    /// oci-reference.md §3.3: errors of steps 4-9 read `failed to <step>: <reason>`.
    #[error("failed to {step}")]
    Step {
        step: &'static str,
        #[source]
        source: Box<BundleError>,
    },
    #[error("cannot {action} loop device {device}")]
    Loop {
        action: &'static str,
        device: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no free loop device found after {tries} tries")]
    NoFreeLoop { tries: u32 },
    #[error("the kernel cannot mount squashfs on {} (no squashfs support); try --fuse", target.display())]
    NoSquashfs { target: PathBuf },
    #[error("--fuse needs squashfuse_ll or squashfuse in {search_path}")]
    NoSquashfuse { search_path: String },
    #[error("{program} {} failed ({status}): {stderr}", args.join(" "))]
    Command {
        program: String,
        args: Vec<String>,
        status: String,
        stderr: String,
    },
    #[error("cannot run {program}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} exited 0 but no {fstype} mount appeared on {}", target.display())]
    FuseMissing {
        program: String,
        fstype: String,
        target: PathBuf,
    },
    #[error("cannot mount {fstype} on {}", target.display())]
    Mount {
        fstype: String,
        target: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to unmount {}: device or resource busy", path.display())]
    UnmountBusy { path: PathBuf },
    #[error("failed to unmount {}", path.display())]
    Unmount {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is still mounted; the bundle's files were not removed", path.display())]
    StillMounted { path: PathBuf },
    #[error("interrupted by {signal}")]
    Interrupted { signal: String },
    #[error(transparent)]
    Import(#[from] build::oci::ImportError),
    #[error("build source {} is not a directory", path.display())]
    BuildSourceNotDir { path: PathBuf },
    #[error("invalid {what} \"{value}\": {reason}")]
    BuildArgument {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("fault injected at step {step}")]
    FaultInjected { step: String },
    /// A failure whose rollback also failed: both travel together (architecture.md §6 Errors).
    #[error("{}; rollback of {} is incomplete: {}", error_chain(original), bundle.display(), error_chain(cleanup))]
    RollbackIncomplete {
        bundle: PathBuf,
        original: Box<BundleError>,
        cleanup: Box<BundleError>,
    },
}

pub type Result<T> = std::result::Result<T, BundleError>;

/// An error's message followed by its source chain, `: `-separated, skipping a cause whose
/// text the message already holds (errors that embed their source in their own message). The
/// CLI's `FATAL:` line uses it too.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

impl BundleError {
    fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BundleError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
