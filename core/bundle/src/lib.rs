//! From SIF to OCI bundle and back: bundle layout, mounts, `config.json` generation, and the
//! image builder behind `sifter build`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{} is not a bundle made by sifter oci mount (no mount record)", bundle.display())]
    NoRecord { bundle: PathBuf },
}

pub type Result<T> = std::result::Result<T, BundleError>;
