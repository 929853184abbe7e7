//! Errors of the OCI image import (`sifter build OUT.sif oci:…`). Every variant names the source
//! file, blob or layer entry it concerns; the cause is a `#[source]`.
//!
//! Wrapped as one variant of the crate's `BundleError`, so callers still see a single enum.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid image source {source_str:?}: {reason}")]
    Reference { source_str: String, reason: String },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {what} in {}", archive.display())]
    Archive {
        archive: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not {expected} ({reason}): use {transport}:{}", source_path.display(), source_path.display())]
    WrongTransport {
        source_path: PathBuf,
        expected: &'static str,
        reason: &'static str,
        transport: &'static str,
    },
    #[error("{what} not found in {}", source_path.display())]
    Missing { source_path: PathBuf, what: String },
    #[error("invalid {what} in {}: {reason}", source_path.display())]
    Invalid {
        source_path: PathBuf,
        what: String,
        reason: String,
    },
    #[error("invalid digest {digest:?} in {}", source_path.display())]
    BadDigest {
        source_path: PathBuf,
        digest: String,
    },
    #[error("digest mismatch for blob {expected} in {}: content hashes to {actual}", source_path.display())]
    DigestMismatch {
        source_path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("size mismatch for blob {digest} in {}: descriptor says {expected} bytes, blob has {actual}", source_path.display())]
    SizeMismatch {
        source_path: PathBuf,
        digest: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "diff-id mismatch for layer {layer}: uncompressed content hashes to {actual}, image config says {expected}"
    )]
    DiffIdMismatch {
        layer: String,
        expected: String,
        actual: String,
    },
    #[error("no image tagged {tag:?} in {} (available: {available})", source_path.display())]
    NoSuchTag {
        source_path: PathBuf,
        tag: String,
        available: String,
    },
    #[error("{} holds {count} images; name one with {hint}", source_path.display())]
    Ambiguous {
        source_path: PathBuf,
        count: usize,
        hint: String,
    },
    #[error("no image for platform linux/{arch} in {} (available: {available})", source_path.display())]
    NoPlatform {
        source_path: PathBuf,
        arch: String,
        available: String,
    },
    #[error("cannot read layer {layer}")]
    LayerRead {
        layer: String,
        #[source]
        source: std::io::Error,
    },
    #[error("layer {layer}: entry {entry:?} escapes the root filesystem")]
    Escape { layer: String, entry: String },
    #[error("layer {layer}: entry {entry:?}: {reason}")]
    Entry {
        layer: String,
        entry: String,
        reason: String,
    },
    #[error("layer {layer}: cannot write entry {entry:?} to {}", path.display())]
    Write {
        layer: String,
        entry: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "image {source_desc} is for linux/{image}, not linux/{requested}; pass --arch {image} to convert it anyway"
    )]
    ArchMismatch {
        source_desc: String,
        image: String,
        requested: String,
    },
    #[error("sandbox directory {} already exists and is not empty", path.display())]
    SandboxExists { path: PathBuf },
    #[error(
        "--sandbox needs an OCI image source (oci:, oci-archive: or docker-archive:), not {source_desc}"
    )]
    SandboxSource { source_desc: String },
    #[error("interrupted by {signal}")]
    Interrupted { signal: String },
    #[error("cannot write {}", path.display())]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, ImportError>;
