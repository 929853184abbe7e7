//! Writing OUT.sif atomically: the image goes to a temp file in OUT's directory, is synced,
//! made 0755 like the reference's images, and renamed over OUT. On any error the temp file is
//! removed (by `NamedTempFile`'s drop) and OUT is untouched.

use crate::{BundleError, Result};
use sifter_sif::SifWriter;
use std::io::BufWriter;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `writer`'s image to `out` atomically; returns its size.
pub fn write_atomic(writer: &SifWriter, out: &Path) -> Result<u64> {
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
    let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
    let size = writer.write_to(&mut w, out)?;
    w.into_inner()
        .map_err(|e| BundleError::io("write", out, e.into_error()))?;
    let file = tmp.as_file();
    file.set_permissions(std::fs::Permissions::from_mode(0o755))
        .map_err(|source| BundleError::io("set the mode of", tmp.path(), source))?;
    file.sync_all()
        .map_err(|source| BundleError::io("write", out, source))?;
    tmp.persist(out)
        .map_err(|e| BundleError::io("replace", out, e.error))?;
    Ok(size)
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
