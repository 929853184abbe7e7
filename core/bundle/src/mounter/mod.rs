//! The `Mounter` seam: every kernel-visible effect of `mount`/`umount` (loop devices, the lower
//! squashfs, the overlay, the identity bind, unmounts) and the mount table they are checked
//! against. Implementations: [`KernelLoop`] (loop device + kernel squashfs), [`Squashfuse`]
//! (`squashfuse_ll`/`squashfuse` with an offset) and, for unit tests only, `Recording`.
//!
//! Mounting uses `nix::mount` rather than `sys-mount`: nix is already a dependency with the
//! `mount` feature and gives the exact flag combinations we need (`MS_REMOUNT|MS_BIND|…`,
//! `MNT_DETACH`) with typed errnos; `sys-mount` without its `loop` feature adds nothing.

mod kernel;
pub mod loopdev;
#[cfg(any(test, feature = "test-util"))]
mod recording;

use crate::Result;
use crate::mountinfo::MountEntry;
use crate::record::Method;
use std::fs::File;
use std::path::{Path, PathBuf};

pub use kernel::{KernelLoop, Squashfuse};
pub use loopdev::LoopStatus;
#[cfg(any(test, feature = "test-util"))]
pub use recording::{Call, Recording};

/// An attached loop device; dropping it closes our fd (autoclear then frees the device once
/// nothing else holds it).
#[derive(Debug)]
pub struct AttachedLoop {
    pub device: String,
    pub file: Option<File>,
}

/// Where the lower layer comes from.
#[derive(Debug, Clone, Copy)]
pub struct LowerSource<'a> {
    pub sif: &'a Path,
    pub offset: u64,
    pub size: u64,
    /// The loop device (loop method only).
    pub device: Option<&'a str>,
}

pub trait Mounter {
    fn method(&self) -> Method;
    /// The fs type the lower mount shows in mountinfo (`squashfs`, `fuse.squashfuse_ll`).
    fn lower_fstype(&self) -> String;
    /// Loop method: attaches a read-only autoclear loop device to the partition.
    /// Fuse method: `None`.
    fn attach_loop(&self, sif: &File, offset: u64, size: u64) -> Result<Option<AttachedLoop>>;
    /// Mounts the lower layer read-only, nosuid, nodev on `target`.
    fn mount_lower(&self, source: LowerSource<'_>, target: &Path) -> Result<()>;
    /// Binds `path` onto itself, then remounts it nosuid,nodev.
    fn bind_self(&self, path: &Path) -> Result<()>;
    /// Mounts an overlay (nosuid,nodev) with `data` on `target`.
    fn mount_overlay(&self, target: &Path, data: &str) -> Result<()>;
    /// `umount2(path, 0)`, or `MNT_DETACH` when `detach`.
    fn unmount(&self, path: &Path, detach: bool) -> Result<()>;
    /// The current mount table.
    fn mountinfo(&self) -> Result<Vec<MountEntry>>;
    /// sysfs status of a loop device (`None`: not attached).
    fn loop_status(&self, device: &str) -> Option<LoopStatus>;
    /// `LOOP_CLR_FD`.
    fn detach_loop(&self, device: &str) -> Result<()>;
}

/// The default search path (oci-reference.md §5.1).
pub fn default_search_path() -> Vec<PathBuf> {
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        .split(':')
        .map(PathBuf::from)
        .collect()
}

/// The real mounter for a method (`Squashfuse` looks up its binary in `search_path`).
pub fn for_method(method: Method, search_path: &[PathBuf]) -> Result<Box<dyn Mounter>> {
    Ok(match method {
        Method::Loop => Box::new(KernelLoop),
        Method::Fuse => Box::new(Squashfuse::find(search_path)?),
    })
}
