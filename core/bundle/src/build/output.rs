//! Writing OUT.sif atomically: the image goes to a temp file in OUT's directory (mksquashfs
//! may write the partition straight into it first), is synced, made 0755 like the reference's
//! images, and renamed over OUT. On any error the temp file is removed (by `NamedTempFile`'s
//! drop) and OUT is untouched.

use crate::{BundleError, Result};
use sifter_sif::SifWriter;
use std::io::{BufWriter, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tempfile::NamedTempFile;

/// The temp file that becomes OUT.
pub struct TempSif {
    tmp: NamedTempFile,
}

impl TempSif {
    /// An empty temp file next to `out`.
    pub fn new(out: &Path) -> Result<TempSif> {
        let dir = parent(out);
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|source| temp_error(dir, source))?;
        Ok(TempSif { tmp })
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Its current length (after mksquashfs wrote into it).
    pub fn len(&self) -> Result<u64> {
        self.tmp
            .as_file()
            .metadata()
            .map(|m| m.len())
            .map_err(|source| BundleError::io("read", self.tmp.path(), source))
    }

    /// Writes the image from offset 0 (an `InPlace` last object is already there), syncs,
    /// sets mode 0755 and renames it over `out`. Returns the image size.
    pub fn finish(self, writer: &SifWriter, out: &Path) -> Result<u64> {
        let mut file = self.tmp.as_file();
        file.seek(SeekFrom::Start(0))
            .map_err(|source| BundleError::io("write", out, source))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let size = writer.write_to(&mut w, out)?;
        w.into_inner()
            .map_err(|e| BundleError::io("write", out, e.into_error()))?;
        file.set_len(size)
            .map_err(|source| BundleError::io("write", out, source))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o755))
            .map_err(|source| BundleError::io("set the mode of", self.tmp.path(), source))?;
        file.sync_all()
            .map_err(|source| BundleError::io("write", out, source))?;
        self.tmp
            .persist(out)
            .map_err(|e| BundleError::io("replace", out, e.error))?;
        Ok(size)
    }
}

/// A temp file or directory could not be made in `dir` (tempfile's own message repeats the
/// random name, so only the error kind is kept).
pub fn temp_error(dir: &Path, source: std::io::Error) -> BundleError {
    BundleError::io(
        "create a temporary file in",
        dir,
        std::io::Error::from(source.kind()),
    )
}

/// OUT's directory (`.` for a bare file name).
pub fn parent(out: &Path) -> &Path {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
