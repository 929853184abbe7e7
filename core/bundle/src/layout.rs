//! `BundleLayout`: every path of a bundle (oci-reference.md §3.2) computed in one place, plus
//! the overlay path rules. Pure; creates nothing.

use crate::{BundleError, Result};
use std::path::{Path, PathBuf};

/// File name of the mount record.
pub const RECORD: &str = ".sifter-mount.json";
/// File name of the generated runtime config.
pub const CONFIG: &str = "config.json";

/// Overlay option strings must stay below one page (the kernel copies at most 4096 bytes).
const MAX_OVERLAY_OPTIONS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleLayout {
    bundle: PathBuf,
}

impl BundleLayout {
    /// `bundle` must be absolute (callers pass the canonical path).
    pub fn new(bundle: impl Into<PathBuf>) -> Self {
        BundleLayout {
            bundle: bundle.into(),
        }
    }

    pub fn bundle(&self) -> &Path {
        &self.bundle
    }
    pub fn record(&self) -> PathBuf {
        self.bundle.join(RECORD)
    }
    pub fn config(&self) -> PathBuf {
        self.bundle.join(CONFIG)
    }
    pub fn rootfs(&self) -> PathBuf {
        self.bundle.join("rootfs")
    }
    pub fn overlay(&self) -> PathBuf {
        self.bundle.join("overlay")
    }
    pub fn lower(&self) -> PathBuf {
        self.bundle.join("overlay/lower")
    }
    pub fn upper(&self) -> PathBuf {
        self.bundle.join("overlay/upper")
    }
    pub fn work(&self) -> PathBuf {
        self.bundle.join("overlay/work")
    }
    pub fn volumes(&self) -> PathBuf {
        self.bundle.join("volumes")
    }
    /// `volumes/<escaped>` for one image volume.
    pub fn volume(&self, escaped: &str) -> PathBuf {
        self.volumes().join(escaped)
    }

    /// A record-relative path (`overlay/lower`) made absolute inside this bundle.
    pub fn join(&self, rel: &Path) -> PathBuf {
        self.bundle.join(rel)
    }

    /// The overlay mount data, with or without `xino=on` (§3.3 step 7).
    pub fn overlay_options(&self, xino: bool) -> String {
        self.overlay_data(xino, false)
    }

    /// The overlay mount data, with or without `volatile` and `xino=on` (see `mount.rs`).
    pub fn overlay_data(&self, xino: bool, volatile: bool) -> String {
        let mut data = format!(
            "lowerdir={},upperdir={},workdir={}",
            self.lower().display(),
            self.upper().display(),
            self.work().display()
        );
        if volatile {
            data.push_str(",volatile");
        }
        if xino {
            data.push_str(",xino=on");
        }
        data
    }

    /// Refuses bundle paths that overlayfs cannot take in its option string (§3.2).
    pub fn check_overlay_path(&self) -> Result<()> {
        let text = self.bundle.to_string_lossy();
        if let Some(c) = text.chars().find(|c| matches!(c, ',' | ':' | '\\' | '\n')) {
            return Err(BundleError::OverlayPath {
                bundle: self.bundle.clone(),
                what: if c == '\n' {
                    "\\n".into()
                } else {
                    c.to_string()
                },
            });
        }
        if self.overlay_data(true, true).len() >= MAX_OVERLAY_OPTIONS {
            return Err(BundleError::OverlayPath {
                bundle: self.bundle.clone(),
                what: "…".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_overlay_options() {
        let l = BundleLayout::new("/b");
        assert_eq!(l.lower(), PathBuf::from("/b/overlay/lower"));
        assert_eq!(l.volume("_data"), PathBuf::from("/b/volumes/_data"));
        assert_eq!(
            l.overlay_options(true),
            "lowerdir=/b/overlay/lower,upperdir=/b/overlay/upper,workdir=/b/overlay/work,xino=on"
        );
        assert_eq!(
            l.overlay_data(true, true),
            "lowerdir=/b/overlay/lower,upperdir=/b/overlay/upper,workdir=/b/overlay/work,volatile,xino=on"
        );
    }

    #[test]
    fn overlay_path_rules() {
        assert!(BundleLayout::new("/var/tmp/b").check_overlay_path().is_ok());
        for bad in ["/a,b", "/a:b", "/a\\b", "/a\nb"] {
            let err = BundleLayout::new(bad).check_overlay_path().unwrap_err();
            assert!(
                err.to_string()
                    .contains("cannot be used for an overlay mount")
            );
        }
        let long = format!("/{}", "x".repeat(1400));
        assert!(BundleLayout::new(long).check_overlay_path().is_err());
    }
}
