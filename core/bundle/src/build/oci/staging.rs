//! The staging directory an image is unpacked into: created next to the output (same
//! filesystem, so a sandbox can be renamed into place) or under `/var/tmp`, and removed by
//! `Drop` on every path, errors and panics included. `into_sandbox` moves the finished tree
//! to its destination instead.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A private (0700) temporary directory holding `rootfs/`.
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
}

impl Staging {
    /// Creates `.sifter-build-XXXXXX` in `output`'s directory, else in `/var/tmp`.
    pub fn near(output: &Path) -> io::Result<Staging> {
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let make = |dir: &Path| {
            tempfile::Builder::new()
                .prefix(".sifter-build-")
                .tempdir_in(dir)
        };
        let dir = make(&parent).or_else(|_| make(Path::new("/var/tmp")))?;
        fs::create_dir(dir.path().join("rootfs"))?;
        super::root::set_dir_mode(&dir.path().join("rootfs"))?;
        Ok(Staging { dir: Some(dir) })
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("staging dir").path()
    }

    /// The root filesystem being built.
    pub fn rootfs(&self) -> PathBuf {
        self.path().join("rootfs")
    }

    /// Renames `rootfs/` to `dest` (which must not exist, or be an empty directory) and
    /// removes the staging directory.
    pub fn into_sandbox(self, dest: &Path) -> io::Result<()> {
        if fs::symlink_metadata(dest).is_ok() {
            fs::remove_dir(dest)?; // only an empty directory goes
        }
        fs::rename(self.rootfs(), dest)
        // `self` drops here and removes the (now empty) staging directory.
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            if let Err(e) = dir.close() {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove staging directory");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_on_drop_and_moved_for_sandboxes() {
        let t = tempfile::tempdir().unwrap();
        let s = Staging::near(&t.path().join("out.sif")).unwrap();
        let p = s.path().to_path_buf();
        fs::write(s.rootfs().join("f"), b"x").unwrap();
        drop(s);
        assert!(!p.exists());
        let s = Staging::near(&t.path().join("box")).unwrap();
        let p = s.path().to_path_buf();
        fs::write(s.rootfs().join("f"), b"x").unwrap();
        s.into_sandbox(&t.path().join("box")).unwrap();
        assert!(!p.exists());
        assert_eq!(fs::read(t.path().join("box/f")).unwrap(), b"x");
    }
}
