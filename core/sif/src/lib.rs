//! SIF (Singularity Image Format) reader and writer: bytes ⇄ typed header and descriptors.
//! Pure: no unsafe, no processes, no mounts. The on-disk layout is documented in
//! `../shared/testdata/sif-reference/README.md`.
//!
//! - [`SifImage`] reads and validates an image and finds objects in it.
//! - [`SifWriter`] lays out and writes a new image.
#![forbid(unsafe_code)]

mod arch;
mod descriptor;
mod error;
mod formats;
mod header;
mod image;
mod types;
mod writer;

pub use arch::Arch;
pub use descriptor::{
    DESCRIPTOR_SIZE, Descriptor, EXTRA_SIZE, Extra, GROUP_MASK, Link, NAME_SIZE, Partition,
};
pub use error::{Result, SifError};
pub use formats::{CryptoFormat, HashType, MessageType, SbomFormat};
pub use header::{DEFAULT_LAUNCH_SCRIPT, HEADER_SIZE, Header, MAGIC, VERSION, ZERO_TIME};
pub use image::{SQUASHFS_SUPERBLOCK, SifImage};
pub use types::{DataType, FsType, PartType};
pub use writer::{
    DATA_OFFSET, DEFAULT_GROUP, DESCRIPTORS_OFFSET, DESCRIPTORS_TOTAL, ObjectData, ObjectInput,
    PARTITION_ALIGNMENT, SifWriter,
};

#[cfg(test)]
mod tests;
