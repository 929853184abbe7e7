//! The real mounters: `KernelLoop` (loop device + kernel squashfs, as Apptainer) and
//! `Squashfuse` (as SingularityCE 4.x). Both share the kernel operations for the identity
//! bind, the overlay and unmounting (oci-reference.md §3.3 steps 4, 6, 7; §6 step 4).

use super::loopdev;
use super::{AttachedLoop, LoopStatus, LowerSource, Mounter};
use crate::mountinfo::{self, MountEntry};
use crate::record::Method;
use crate::{BundleError, Result};
use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Loop device plus the kernel's squashfs.
#[derive(Debug, Clone, Copy, Default)]
pub struct KernelLoop;

/// `squashfuse_ll` (else `squashfuse`) with an offset; one daemon per bundle.
#[derive(Debug, Clone)]
pub struct Squashfuse {
    program: PathBuf,
}

impl Squashfuse {
    /// Finds `squashfuse_ll`, else `squashfuse`, in `search_path` (never `$PATH`, §5.1).
    pub fn find(search_path: &[PathBuf]) -> Result<Squashfuse> {
        for name in ["squashfuse_ll", "squashfuse"] {
            for dir in search_path {
                let p = dir.join(name);
                if is_executable(&p) {
                    return Ok(Squashfuse { program: p });
                }
            }
        }
        Err(BundleError::NoSquashfuse {
            search_path: search_path
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
        })
    }

    pub fn program(&self) -> &Path {
        &self.program
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn errno_io(e: Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e as i32)
}

fn mount_err(fstype: &str, target: &Path, e: Errno) -> BundleError {
    BundleError::Mount {
        fstype: fstype.into(),
        target: target.to_path_buf(),
        source: errno_io(e),
    }
}

fn bind_self(path: &Path) -> Result<()> {
    nix::mount::mount(
        Some(path),
        path,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| mount_err("bind", path, e))?;
    let flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    if let Err(e) = nix::mount::mount(None::<&str>, path, None::<&str>, flags, None::<&str>) {
        let _ = nix::mount::umount2(path, MntFlags::empty());
        return Err(mount_err("bind", path, e));
    }
    Ok(())
}

fn mount_overlay(target: &Path, data: &str) -> Result<()> {
    nix::mount::mount(
        Some("overlay"),
        target,
        Some("overlay"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(data),
    )
    .map_err(|e| mount_err("overlay", target, e))
}

fn unmount(path: &Path, detach: bool) -> Result<()> {
    let flags = if detach {
        MntFlags::MNT_DETACH
    } else {
        MntFlags::empty()
    };
    tracing::debug!(path = %path.display(), detach, "unmount");
    match nix::mount::umount2(path, flags) {
        Ok(()) => Ok(()),
        Err(Errno::EBUSY) => Err(BundleError::UnmountBusy {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(BundleError::Unmount {
            path: path.to_path_buf(),
            source: errno_io(e),
        }),
    }
}

fn read_mountinfo() -> Result<Vec<MountEntry>> {
    mountinfo::read().map_err(|e| BundleError::io("read", "/proc/self/mountinfo", e))
}

/// The operations both real mounters share.
macro_rules! shared_ops {
    () => {
        fn bind_self(&self, path: &Path) -> Result<()> {
            bind_self(path)
        }
        fn mount_overlay(&self, target: &Path, data: &str) -> Result<()> {
            mount_overlay(target, data)
        }
        fn unmount(&self, path: &Path, detach: bool) -> Result<()> {
            unmount(path, detach)
        }
        fn mountinfo(&self) -> Result<Vec<MountEntry>> {
            read_mountinfo()
        }
        fn loop_status(&self, device: &str) -> Option<LoopStatus> {
            loopdev::status(device)
        }
        fn detach_loop(&self, device: &str) -> Result<()> {
            loopdev::detach(device)
        }
    };
}

impl Mounter for KernelLoop {
    fn method(&self) -> Method {
        Method::Loop
    }
    fn lower_fstype(&self) -> String {
        "squashfs".into()
    }
    fn attach_loop(&self, sif: &File, offset: u64, size: u64) -> Result<Option<AttachedLoop>> {
        let dev = loopdev::attach(sif, offset, size)?;
        Ok(Some(AttachedLoop {
            device: dev.path,
            file: Some(dev.file),
        }))
    }
    fn mount_lower(&self, source: LowerSource<'_>, target: &Path) -> Result<()> {
        let device = source.device.unwrap_or_default();
        let flags = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        match nix::mount::mount(Some(device), target, Some("squashfs"), flags, None::<&str>) {
            Ok(()) => Ok(()),
            Err(Errno::ENODEV) => Err(BundleError::NoSquashfs {
                target: target.to_path_buf(),
            }),
            Err(e) => Err(mount_err("squashfs", target, e)),
        }
    }
    shared_ops!();
}

impl Mounter for Squashfuse {
    fn method(&self) -> Method {
        Method::Fuse
    }
    fn lower_fstype(&self) -> String {
        let name = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("fuse.{name}")
    }
    fn attach_loop(&self, _: &File, _: u64, _: u64) -> Result<Option<AttachedLoop>> {
        Ok(None)
    }
    fn mount_lower(&self, source: LowerSource<'_>, target: &Path) -> Result<()> {
        // No allow_other: overlayfs reads the lower layer with root's credentials (§3.3 6).
        // sifter differs from §3.3 6.2 by omitting `uid=0,gid=0`: squashfuse 0.1.105 (Debian
        // 12) rejects them ("fuse: unknown option(s)"); without them files keep the image's
        // ownership, exactly as with the kernel squashfs, so both methods give the same rootfs.
        let opts = format!("ro,nosuid,nodev,offset={}", source.offset);
        let args = [
            "-o".into(),
            opts,
            source.sif.display().to_string(),
            target.display().to_string(),
        ];
        crate::cmd::run(&self.program, &args)?;
        let fstype = self.lower_fstype();
        let table = read_mountinfo()?;
        match mountinfo::mounted_at(&table, target) {
            Some(e) if e.fstype == fstype => Ok(()),
            _ => Err(BundleError::FuseMissing {
                program: self.program.display().to_string(),
                fstype,
                target: target.to_path_buf(),
            }),
        }
    }
    shared_ops!();
}
