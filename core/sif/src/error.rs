//! `SifError`: every way reading or writing a SIF can fail. Messages name the file and the
//! object id; the wording of checks 1-9 is oci-reference.md §3.1.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SifError {
    #[error("could not open image {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a regular file", path.display())]
    NotRegular { path: PathBuf },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a SIF image (SIF magic not found)", path.display())]
    NotSif { path: PathBuf },
    #[error("{}: unsupported SIF version \"{version}\" (need 01)", path.display())]
    Version { path: PathBuf, version: String },
    #[error("{}: corrupt SIF header: descriptor table outside the file", path.display())]
    DescriptorTable { path: PathBuf },
    #[error("{}: corrupt SIF descriptor {slot}: {field} is {value}", path.display())]
    CorruptDescriptor {
        path: PathBuf,
        slot: usize,
        field: &'static str,
        value: i64,
    },
    #[error("{}: descriptors {first} and {second} both have id {id}", path.display())]
    DuplicateId {
        path: PathBuf,
        id: u32,
        first: usize,
        second: usize,
    },
    #[error("{}: object {id} lies outside the file", path.display())]
    ObjectOutside { path: PathBuf, id: u32 },
    #[error("{}: objects {first} and {second} overlap", path.display())]
    Overlap {
        path: PathBuf,
        first: u32,
        second: u32,
    },
    #[error("{}: no object with id {id}", path.display())]
    NoSuchObject { path: PathBuf, id: u32 },
    #[error(
        "{} is an OCI-SIF image; sifter oci mount needs a native SIF with a squashfs root filesystem",
        path.display()
    )]
    OciSif { path: PathBuf },
    #[error("{}: no root filesystem found (no primary system partition)", path.display())]
    NoPrimary { path: PathBuf },
    #[error("{}: {count} primary system partitions found, expected one", path.display())]
    SeveralPrimary { path: PathBuf, count: usize },
    #[error("{}: primary partition (id {id}) lies outside the file", path.display())]
    PrimaryOutside { path: PathBuf, id: u32 },
    #[error("{}: ext3 root filesystems are not supported by sifter oci mount", path.display())]
    Ext3Root { path: PathBuf },
    #[error(
        "{}: the root filesystem is encrypted; encrypted SIF images are not supported",
        path.display()
    )]
    EncryptedRoot { path: PathBuf },
    #[error("{}: unsupported root filesystem type {name} ({code})", path.display())]
    UnsupportedFs {
        path: PathBuf,
        name: &'static str,
        code: i32,
    },
    #[error("{}: primary partition (id {id}) is not a valid squashfs filesystem", path.display())]
    NotSquashfs { path: PathBuf, id: u32 },
    #[error("cannot write SIF image {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("too many objects for one SIF image: {count} (at most {max})")]
    TooManyObjects { count: usize, max: usize },
    #[error("object name \"{name}\" is longer than {max} bytes")]
    NameTooLong { name: String, max: usize },
    #[error("object {id}: {field} does not fit in the descriptor")]
    ExtraTooLong { id: u32, field: &'static str },
    #[error("object {id}: alignment {alignment} is not a power of two")]
    Alignment { id: u32, alignment: u64 },
    #[error("object {id}: only the last object can be written in place")]
    InPlaceNotLast { id: u32 },
    #[error("objects {first} and {second} are both primary system partitions")]
    TwoPrimaries { first: u32, second: u32 },
}

pub type Result<T> = std::result::Result<T, SifError>;
