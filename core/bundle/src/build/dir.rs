//! The directory source: `sifter build OUT.sif DIR` squashes DIR as it is (DIR is only read).

use super::Prepared;
use crate::{BundleError, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Checks that `dir` is a directory and hands it over as the root tree.
pub fn prepare(dir: &Path) -> Result<Prepared> {
    let meta = std::fs::metadata(dir)
        .map_err(|source| BundleError::io("read build source", dir, source))?;
    if !meta.is_dir() {
        return Err(BundleError::BuildSourceNotDir {
            path: dir.to_path_buf(),
        });
    }
    let root = dir
        .canonicalize()
        .map_err(|source| BundleError::io("read build source", dir, source))?;
    Ok(Prepared {
        root,
        objects: Vec::new(),
        labels: BTreeMap::new(),
    })
}
