//! Read-only looks into a mounted rootfs for config generation (oci-reference.md §4.3 User,
//! §4.4): paths are walked with lstat and symlinked parent directories are refused, so nothing
//! outside the rootfs is ever read.

use crate::config::ENTRY_POINTS;
use std::path::Path;

/// §4.4: the first entry point present in the rootfs as a file or a symlink.
pub fn probe_entry_point(rootfs: &Path) -> Option<String> {
    ENTRY_POINTS
        .iter()
        .find(|p| {
            lstat_in_root(rootfs, p.trim_start_matches('/'))
                .is_some_and(|m| m.is_file() || m.is_symlink())
        })
        .map(|p| p.to_string())
}

/// lstat of `rel` under `root`, refusing symlinks in the parent components (so nothing outside
/// the rootfs is ever looked at).
fn lstat_in_root(root: &Path, rel: &str) -> Option<std::fs::Metadata> {
    let mut path = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if i + 1 == parts.len() {
            return Some(meta);
        }
        if !meta.is_dir() {
            return None;
        }
    }
    None
}

/// Reads a regular file under `root` without following symlinks out of it.
pub fn read_in_root(root: &Path, rel: &str) -> Option<String> {
    lstat_in_root(root, rel)
        .filter(|m| m.is_file())
        .and_then(|_| std::fs::read_to_string(root.join(rel)).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_point_probe_refuses_symlinked_parents() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("bin")).unwrap();
        assert_eq!(probe_entry_point(root), None);
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
        assert_eq!(probe_entry_point(root).as_deref(), Some("/bin/sh"));
        std::os::unix::fs::symlink("/etc", root.join(".singularity.d")).unwrap();
        assert_eq!(probe_entry_point(root).as_deref(), Some("/bin/sh"));
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::write(root.join("real/passwd"), "x").unwrap();
        std::os::unix::fs::symlink("real", root.join("etc")).unwrap();
        assert_eq!(read_in_root(root, "etc/passwd"), None);
        assert_eq!(read_in_root(root, "real/passwd").as_deref(), Some("x"));
    }
}
