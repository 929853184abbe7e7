//! `HostView`: the read-only host queries hooks may make (`stat`, `glob`, `read`, `exists`,
//! `arch`, `hostname`; hooks.md §3, §10.2). `RealHost` reads the real filesystem; tests inject
//! their own implementation. No environment variable can redirect it.

use serde::Serialize;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// At most this many glob matches.
pub const GLOB_LIMIT: usize = 4096;
/// At most this many bytes from `read`.
pub const READ_LIMIT: u64 = 64 * 1024;

/// The result of `stat` (symlinks followed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostStat {
    /// `file`, `dir`, `char`, `block`, `fifo`, `socket` or `other`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor: Option<u64>,
    /// Permission bits (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
}

/// Read-only host queries. Errors are plain strings naming the path.
pub trait HostView: Send + Sync {
    /// `Ok(None)` when the path is missing.
    fn stat(&self, path: &str) -> Result<Option<HostStat>, String>;
    /// Sorted absolute paths matching `pattern` (`*`, `?`, `[...]`; no `**`).
    fn glob(&self, pattern: &str) -> Result<Vec<String>, String>;
    /// The file's text, at most 64 KiB.
    fn read(&self, path: &str) -> Result<String, String>;
    fn exists(&self, path: &str) -> bool {
        matches!(self.stat(path), Ok(Some(_)))
    }
    fn arch(&self) -> String;
    fn hostname(&self) -> String;
}

/// The real host.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealHost;

/// glibc's `major()` for a `dev_t`.
pub fn dev_major(dev: u64) -> u64 {
    ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)
}

/// glibc's `minor()` for a `dev_t`.
pub fn dev_minor(dev: u64) -> u64 {
    (dev & 0xff) | ((dev >> 12) & !0xff)
}

/// The Go-style architecture name of this build (`amd64`, `arm64`, …).
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        "mips" => "mips",
        "mips64" => "mips64",
        other => other,
    }
}

impl HostView for RealHost {
    fn stat(&self, path: &str) -> Result<Option<HostStat>, String> {
        let md = match std::fs::metadata(path) {
            Ok(md) => md,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot stat {path}: {e}")),
        };
        let ft = md.file_type();
        let kind = if ft.is_file() {
            "file"
        } else if ft.is_dir() {
            "dir"
        } else if ft.is_char_device() {
            "char"
        } else if ft.is_block_device() {
            "block"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_socket() {
            "socket"
        } else {
            "other"
        };
        let dev = ft.is_char_device() || ft.is_block_device();
        Ok(Some(HostStat {
            kind: kind.to_string(),
            major: dev.then(|| dev_major(md.rdev())),
            minor: dev.then(|| dev_minor(md.rdev())),
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            gid: md.gid(),
            size: md.size(),
        }))
    }

    fn glob(&self, pattern: &str) -> Result<Vec<String>, String> {
        crate::glob::glob(pattern)
    }

    fn read(&self, path: &str) -> Result<String, String> {
        let p = Path::new(path);
        let md = std::fs::metadata(p).map_err(|e| format!("cannot read {path}: {e}"))?;
        let special = path.starts_with("/proc/") || path.starts_with("/sys/");
        if !md.is_file() && !special {
            return Err(format!("cannot read {path}: not a regular file"));
        }
        let mut buf = Vec::new();
        std::fs::File::open(p)
            .and_then(|f| f.take(READ_LIMIT + 1).read_to_end(&mut buf))
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        if buf.len() as u64 > READ_LIMIT {
            return Err(format!("cannot read {path}: larger than 64 KiB"));
        }
        String::from_utf8(buf).map_err(|_| format!("cannot read {path}: not UTF-8 text"))
    }

    fn arch(&self) -> String {
        go_arch().to_string()
    }

    fn hostname(&self) -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_numbers_split_like_glibc() {
        // makedev(195, 255) and makedev(259, 70000)
        let d = (195u64 << 8) | 255;
        assert_eq!((dev_major(d), dev_minor(d)), (195, 255));
        let d = ((259u64 & 0xfff) << 8) | (70000 & 0xff) | ((70000u64 & !0xff) << 12);
        assert_eq!((dev_major(d), dev_minor(d)), (259, 70000));
    }

    #[test]
    fn real_host_stats_dev_null() {
        let st = RealHost.stat("/dev/null").unwrap().unwrap();
        assert_eq!(
            (st.kind.as_str(), st.major, st.minor),
            ("char", Some(1), Some(3))
        );
        assert_eq!(RealHost.stat("/nonexistent/x").unwrap(), None);
    }
}
