//! Our own small loop-device module (architecture.md §7: sys-mount's `loop` feature needs
//! libclang through loopdev-3's bindgen). Attaches a read-only, autoclear loop device to a
//! byte range of a file (`LOOP_CONFIGURE`, falling back to `LOOP_SET_FD` + `LOOP_SET_STATUS64`
//! before Linux 5.8), reads a device's sysfs status and detaches it (`LOOP_CLR_FD`).
//! Does not share devices between mounts (oci-reference.md §3.3 step 6).
#![allow(unsafe_code)]

use crate::{BundleError, Result};
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

// <linux/loop.h>
const LOOP_SET_FD: libc::c_ulong = 0x4C00;
const LOOP_CLR_FD: libc::c_ulong = 0x4C01;
const LOOP_SET_STATUS64: libc::c_ulong = 0x4C04;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_AUTOCLEAR: u32 = 4;
const LO_NAME_SIZE: usize = 64;
const LO_KEY_SIZE: usize = 32;

/// How many free devices to try when another process takes ours first (§3.3 step 6.2).
pub const TRIES: u32 = 10;

#[repr(C)]
#[derive(Clone, Copy)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; LO_NAME_SIZE],
    lo_crypt_name: [u8; LO_NAME_SIZE],
    lo_encrypt_key: [u8; LO_KEY_SIZE],
    lo_init: [u64; 2],
}

#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

/// An attached device; the open fd keeps it alive until the filesystem on it is mounted
/// (autoclear then frees it at the unmount).
#[derive(Debug)]
pub struct LoopDevice {
    pub path: String,
    pub file: File,
}

/// What sysfs says about an attached device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopStatus {
    pub backing_file: PathBuf,
    pub offset: u64,
    pub sizelimit: u64,
}

fn ioctl(fd: &File, request: libc::c_ulong, arg: libc::c_ulong) -> std::io::Result<libc::c_int> {
    // SAFETY: `fd` is an open file for the duration of the call; every request used here takes
    // either an integer argument or a pointer to a live, correctly sized #[repr(C)] struct
    // owned by the caller (see the call sites).
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// Attaches `backing[offset, offset+size)` to a free loop device, read-only with autoclear.
pub fn attach(backing: &File, offset: u64, size: u64) -> Result<LoopDevice> {
    let ctl = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open("/dev/loop-control")
        .map_err(|e| BundleError::Loop {
            action: "open",
            device: "/dev/loop-control".into(),
            source: e,
        })?;
    for _ in 0..TRIES {
        let n = ioctl(&ctl, LOOP_CTL_GET_FREE, 0).map_err(|e| BundleError::Loop {
            action: "find a free",
            device: "/dev/loop-control".into(),
            source: e,
        })?;
        let path = format!("/dev/loop{n}");
        let open = |write: bool| {
            OpenOptions::new()
                .read(true)
                .write(write)
                .custom_flags(libc::O_CLOEXEC)
                .open(&path)
        };
        let file = open(true)
            .or_else(|_| open(false))
            .map_err(|e| BundleError::Loop {
                action: "open",
                device: path.clone(),
                source: e,
            })?;
        match configure(&file, backing, offset, size) {
            Ok(()) => {
                tracing::debug!(device = %path, offset, size, "loop device attached");
                return Ok(LoopDevice { path, file });
            }
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => continue,
            Err(e) => {
                return Err(BundleError::Loop {
                    action: "configure",
                    device: path,
                    source: e,
                });
            }
        }
    }
    Err(BundleError::NoFreeLoop { tries: TRIES })
}

fn configure(dev: &File, backing: &File, offset: u64, size: u64) -> std::io::Result<()> {
    let mut info = LoopInfo64 {
        lo_device: 0,
        lo_inode: 0,
        lo_rdevice: 0,
        lo_offset: offset,
        lo_sizelimit: size,
        lo_number: 0,
        lo_encrypt_type: 0,
        lo_encrypt_key_size: 0,
        lo_flags: LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR,
        lo_file_name: [0; LO_NAME_SIZE],
        lo_crypt_name: [0; LO_NAME_SIZE],
        lo_encrypt_key: [0; LO_KEY_SIZE],
        lo_init: [0; 2],
    };
    let config = LoopConfig {
        fd: backing.as_raw_fd() as u32,
        block_size: 0,
        info,
        reserved: [0; 8],
    };
    // `config` lives on this stack frame for the whole ioctl (the kernel copies it in).
    match ioctl(
        dev,
        LOOP_CONFIGURE,
        &config as *const LoopConfig as libc::c_ulong,
    ) {
        Ok(_) => return Ok(()),
        // Before Linux 5.8 LOOP_CONFIGURE does not exist.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOTTY)) => {}
        Err(e) => return Err(e),
    }
    ioctl(dev, LOOP_SET_FD, backing.as_raw_fd() as libc::c_ulong)?;
    info.lo_flags = LO_FLAGS_AUTOCLEAR; // read-only comes from the O_RDONLY backing fd here
    // `info` lives on this stack frame for the whole ioctl.
    if let Err(e) = ioctl(
        dev,
        LOOP_SET_STATUS64,
        &info as *const LoopInfo64 as libc::c_ulong,
    ) {
        let _ = ioctl(dev, LOOP_CLR_FD, 0);
        return Err(e);
    }
    Ok(())
}

/// `/sys/block/loopN/loop/{backing_file,offset,sizelimit}`; `None` when the device is not
/// attached (or the name is not a loop device).
pub fn status(device: &str) -> Option<LoopStatus> {
    let name = device.strip_prefix("/dev/")?;
    let dir = PathBuf::from("/sys/block").join(name).join("loop");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let backing = read("backing_file")?;
    Some(LoopStatus {
        backing_file: PathBuf::from(backing.trim_end_matches('\n')),
        offset: read("offset")?.trim().parse().ok()?,
        sizelimit: read("sizelimit")?.trim().parse().ok()?,
    })
}

/// `LOOP_CLR_FD`; a device that is already free (ENXIO) is fine. On a device still in use the
/// kernel only sets autoclear, so this never pulls a device from under a mounted filesystem.
pub fn detach(device: &str) -> Result<()> {
    let file = File::open(device).map_err(|e| BundleError::Loop {
        action: "open",
        device: device.into(),
        source: e,
    })?;
    match ioctl(&file, LOOP_CLR_FD, 0) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => Ok(()),
        Err(e) => Err(BundleError::Loop {
            action: "detach",
            device: device.into(),
            source: e,
        }),
    }
}

/// All loop devices whose sysfs backing file is `backing` (for leak checks).
pub fn backed_by(backing: &std::path::Path) -> Vec<(String, LoopStatus)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/sys/block") else {
        return out;
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("loop"))
        .collect();
    names.sort();
    for name in names {
        let dev = format!("/dev/{name}");
        if let Some(st) = status(&dev)
            && st.backing_file == backing
        {
            out.push((dev, st));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_sizes_match_the_kernel_abi() {
        assert_eq!(std::mem::size_of::<LoopInfo64>(), 232);
        assert_eq!(std::mem::size_of::<LoopConfig>(), 304);
    }

    #[test]
    fn status_of_a_non_loop_name_is_none() {
        assert_eq!(status("/dev/null"), None);
        assert_eq!(status("loop0"), None);
    }
}
