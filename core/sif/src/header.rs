//! The 128-byte global header: decoding from bytes (magic and version checks) and encoding.
//! Does not read files; `image.rs` does.

use crate::arch::Arch;
use crate::error::{Result, SifError};
use std::path::Path;

/// Size of the global header.
pub const HEADER_SIZE: usize = 128;
/// `SIF_MAGIC\0` at 0x20.
pub const MAGIC: &[u8; 10] = b"SIF_MAGIC\0";
/// The only supported spec version.
pub const VERSION: &str = "01";
/// Go's zero time (`time.Time{}.Unix()`), what deterministic reference images hold.
pub const ZERO_TIME: i64 = -62_135_596_800;
/// The launch script the reference writes when asked for one.
pub const DEFAULT_LAUNCH_SCRIPT: &str = "#!/usr/bin/env run-singularity\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub launch_script: String,
    pub version: String,
    pub arch: Arch,
    pub id: [u8; 16],
    pub created: i64,
    pub modified: i64,
    pub descriptors_free: i64,
    pub descriptors_total: i64,
    pub descriptors_offset: i64,
    pub descriptors_size: i64,
    pub data_offset: i64,
    pub data_size: i64,
}

impl Header {
    /// The image UUID, lower-case and hyphenated.
    pub fn uuid_string(&self) -> String {
        let h: String = self.id.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// Decodes and checks magic and version (oci-reference.md §3.1 checks 2 and 3).
    /// `bytes` shorter than 128 is "not a SIF image".
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Header> {
        if bytes.len() < HEADER_SIZE || &bytes[0x20..0x2a] != MAGIC {
            return Err(SifError::NotSif {
                path: path.to_path_buf(),
            });
        }
        let version = cstr(&bytes[0x2a..0x2d]);
        if version != VERSION {
            return Err(SifError::Version {
                path: path.to_path_buf(),
                version,
            });
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[0x30..0x40]);
        Ok(Header {
            launch_script: cstr(&bytes[0..0x20]),
            version,
            arch: Arch::from_code(&cstr(&bytes[0x2d..0x30])),
            id,
            created: i64_at(bytes, 0x40),
            modified: i64_at(bytes, 0x48),
            descriptors_free: i64_at(bytes, 0x50),
            descriptors_total: i64_at(bytes, 0x58),
            descriptors_offset: i64_at(bytes, 0x60),
            descriptors_size: i64_at(bytes, 0x68),
            data_offset: i64_at(bytes, 0x70),
            data_size: i64_at(bytes, 0x78),
        })
    }

    /// Encodes the header; strings longer than their field are cut (the writer checks first).
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        put_str(&mut b[0..0x20], &self.launch_script);
        b[0x20..0x2a].copy_from_slice(MAGIC);
        put_str(&mut b[0x2a..0x2d], &self.version);
        put_str(&mut b[0x2d..0x30], &self.arch.code());
        b[0x30..0x40].copy_from_slice(&self.id);
        let ints = [
            self.created,
            self.modified,
            self.descriptors_free,
            self.descriptors_total,
            self.descriptors_offset,
            self.descriptors_size,
            self.data_offset,
            self.data_size,
        ];
        for (i, v) in ints.iter().enumerate() {
            b[0x40 + 8 * i..0x48 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

/// Text up to the first NUL (lossy UTF-8).
pub(crate) fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Copies `s` into `field`, leaving at least one trailing NUL.
pub(crate) fn put_str(field: &mut [u8], s: &str) {
    let n = s.len().min(field.len().saturating_sub(1));
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
}

pub(crate) fn i64_at(b: &[u8], off: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    i64::from_le_bytes(a)
}

pub(crate) fn i32_at(b: &[u8], off: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    i32::from_le_bytes(a)
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    i32_at(b, off) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            launch_script: DEFAULT_LAUNCH_SCRIPT.into(),
            version: "01".into(),
            arch: Arch::Amd64,
            id: [
                0x4f, 0x30, 0x7b, 0x4c, 0x58, 0xa8, 0x47, 0x53, 0x9c, 0x0f, 0x21, 0xdc, 0xee, 0xfe,
                0xd4, 0xa6,
            ],
            created: 1627931376,
            modified: 1627931376,
            descriptors_free: 43,
            descriptors_total: 48,
            descriptors_offset: 4096,
            descriptors_size: 28080,
            data_offset: 32768,
            data_size: 759525,
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let h = sample();
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes, Path::new("x")).unwrap(), h);
        assert_eq!(h.uuid_string(), "4f307b4c-58a8-4753-9c0f-21dceefed4a6");
    }

    #[test]
    fn short_or_bad_magic_is_not_sif() {
        let bytes = sample().encode();
        let err = Header::decode(&bytes[..127], Path::new("/x.sif")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/x.sif is not a SIF image (SIF magic not found)"
        );
        let mut bad = bytes;
        bad[0x21] = b'J';
        assert!(matches!(
            Header::decode(&bad, Path::new("x")),
            Err(SifError::NotSif { .. })
        ));
    }

    #[test]
    fn other_version_is_refused() {
        let mut bytes = sample().encode();
        bytes[0x2b] = b'0';
        let err = Header::decode(&bytes, Path::new("/x.sif")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/x.sif: unsupported SIF version \"00\" (need 01)"
        );
    }
}
