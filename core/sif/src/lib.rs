//! SIF (Singularity Image Format) reader and writer: bytes ⇄ typed header and descriptors.
//! Pure: no unsafe, no processes, no mounts.
#![forbid(unsafe_code)]

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SifError {
    #[error("could not open image {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, SifError>;
