//! The metadata of one layer entry (type, mode, owner, mtime, link target, device numbers,
//! xattrs; PAX records override the ustar fields) and applying it to a file without following
//! symlinks: `lchown` first, then `chmod` (chown clears set-id bits), xattrs, then times.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{AT_FDCWD, AtFlags};
use nix::sys::stat::{Mode, SFlag, UtimensatFlags, makedev, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchownat};
use tar::EntryType;

const XATTR_PREFIX: &str = "SCHILY.xattr.";

/// What a tar header (plus its PAX records) says about one entry.
#[derive(Debug, Clone)]
pub struct Meta {
    pub kind: EntryType,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: (i64, u32),
    pub link: Option<PathBuf>,
    pub dev: (u64, u64),
    pub xattrs: Vec<(OsString, Vec<u8>)>,
}

fn parse_time(s: &str) -> Option<(i64, u32)> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut nanos = 0u32;
    for (i, c) in frac.chars().take(9).enumerate() {
        nanos += c.to_digit(10)? * 10u32.pow(8 - i as u32);
    }
    Some((secs, nanos))
}

impl Meta {
    pub fn from_entry<R: Read>(e: &mut tar::Entry<'_, R>) -> io::Result<Meta> {
        let h = e.header();
        let mut m = Meta {
            kind: h.entry_type(),
            mode: h.mode()? & 0o7777,
            uid: h.uid()?,
            gid: h.gid()?,
            mtime: (h.mtime()? as i64, 0),
            link: e
                .link_name_bytes()
                .map(|b| PathBuf::from(std::ffi::OsStr::from_bytes(&b))),
            dev: (0, 0),
            xattrs: Vec::new(),
        };
        if matches!(m.kind, EntryType::Char | EntryType::Block) {
            m.dev = (
                h.device_major()?.unwrap_or(0) as u64,
                h.device_minor()?.unwrap_or(0) as u64,
            );
        }
        if let Some(pax) = e.pax_extensions()? {
            for ext in pax {
                let ext = ext?;
                let key = ext
                    .key()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                let num = || ext.value().ok().and_then(|v| v.parse::<u64>().ok());
                match key {
                    "uid" => m.uid = num().unwrap_or(m.uid),
                    "gid" => m.gid = num().unwrap_or(m.gid),
                    "mtime" => {
                        if let Some(t) = ext.value().ok().and_then(parse_time) {
                            m.mtime = t;
                        }
                    }
                    k if k.starts_with(XATTR_PREFIX) => m.xattrs.push((
                        OsString::from(&k[XATTR_PREFIX.len()..]),
                        ext.value_bytes().to_vec(),
                    )),
                    _ => {}
                }
            }
        }
        Ok(m)
    }
}

/// Creates a device node or fifo.
pub fn mknod(path: &Path, m: &Meta) -> io::Result<()> {
    let kind = match m.kind {
        EntryType::Char => SFlag::S_IFCHR,
        EntryType::Block => SFlag::S_IFBLK,
        _ => SFlag::S_IFIFO,
    };
    let perm = Mode::from_bits_truncate((m.mode & 0o777) as _);
    nix::sys::stat::mknod(path, kind, perm, makedev(m.dev.0, m.dev.1)).map_err(io::Error::from)
}

/// Sets atime and mtime (to the same value) without following a symlink.
pub fn set_times(path: &Path, secs: i64, nanos: u32) -> io::Result<()> {
    let t = TimeSpec::new(secs, nanos as _);
    utimensat(AT_FDCWD, path, &t, &t, UtimensatFlags::NoFollowSymlink).map_err(io::Error::from)
}

/// Applies owner, mode, xattrs and times. Without root, ownership is left to the caller
/// (an unprivileged build owns every file) and a refused chown is not an error.
pub fn apply(path: &Path, m: &Meta, is_root: bool) -> io::Result<()> {
    let symlink = m.kind.is_symlink();
    let owner = fchownat(
        AT_FDCWD,
        path,
        Some(Uid::from_raw(m.uid as u32)),
        Some(Gid::from_raw(m.gid as u32)),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    );
    match owner {
        Ok(()) => {}
        Err(nix::errno::Errno::EPERM) if !is_root => {}
        Err(e) => return Err(e.into()),
    }
    if !symlink {
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(m.mode))?;
    }
    for (name, value) in &m.xattrs {
        if let Err(e) = xattr::set(path, name, value) {
            // squashfs keeps user., trusted. and security. attributes; others (system.*
            // ACLs) and user.* on symlinks are not storable: skip them.
            let storable = name.as_bytes().starts_with(b"security.")
                || name.as_bytes().starts_with(b"trusted.")
                || (name.as_bytes().starts_with(b"user.") && !symlink);
            if storable && is_root {
                return Err(e);
            }
            tracing::warn!(path = %path.display(), xattr = ?name, error = %e, "skipping extended attribute");
        }
    }
    set_times(path, m.mtime.0, m.mtime.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_times_parse() {
        assert_eq!(parse_time("1700000000"), Some((1700000000, 0)));
        assert_eq!(parse_time("1700000000.5"), Some((1700000000, 500_000_000)));
        assert_eq!(parse_time("12.000000001"), Some((12, 1)));
        assert_eq!(parse_time("x"), None);
    }
}
