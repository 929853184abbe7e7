//! One 585-byte descriptor: decoding and encoding, groups and links, and the type-specific
//! `extra` (partition, signature, crypto message, SBOM, OCI digest). Bounds checks against the
//! file are `image.rs`'s job.

use crate::arch::Arch;
use crate::formats::{CryptoFormat, HashType, MessageType, SbomFormat};
use crate::header::{cstr, i32_at, i64_at, put_str, u32_at};
use crate::types::{DataType, FsType, PartType};

/// Size of one descriptor.
pub const DESCRIPTOR_SIZE: usize = 585;
/// Group and group-link ids are stored OR this mask; the mask alone means "no group".
pub const GROUP_MASK: u32 = 0xf000_0000;
/// Bytes of the name field (NUL padded).
pub const NAME_SIZE: usize = 128;
/// Bytes of the extra field.
pub const EXTRA_SIZE: usize = 384;
const NAME_OFF: usize = 73;
const EXTRA_OFF: usize = 201;

/// What a descriptor links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    None,
    Object(u32),
    Group(u32),
}

impl Link {
    pub fn from_raw(raw: u32) -> Link {
        if raw == 0 {
            Link::None
        } else if raw & GROUP_MASK == GROUP_MASK {
            Link::Group(raw & !GROUP_MASK)
        } else {
            Link::Object(raw)
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            Link::None => 0,
            Link::Object(id) => id,
            Link::Group(id) => id | GROUP_MASK,
        }
    }
}

/// Partition metadata: filesystem, partition type, architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub fs_type: FsType,
    pub part_type: PartType,
    pub arch: Arch,
}

/// The type-specific part of a descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    None,
    Partition(Partition),
    /// `fingerprint` is the first 20 bytes of the entity (all zero for DSSE signatures).
    Signature {
        hash: HashType,
        fingerprint: [u8; 20],
    },
    CryptoMessage {
        format: CryptoFormat,
        message: MessageType,
    },
    Sbom {
        format: SbomFormat,
    },
    /// OCIRootIndex and OCIBlob: `sha256:<hex>`.
    Digest(String),
}

impl Extra {
    fn decode(data_type: DataType, b: &[u8]) -> Extra {
        match data_type {
            DataType::Partition => Extra::Partition(Partition {
                fs_type: FsType::from_raw(i32_at(b, 0)),
                part_type: PartType::from_raw(i32_at(b, 4)),
                arch: Arch::from_code(&cstr(&b[8..11])),
            }),
            DataType::Signature => {
                let mut fingerprint = [0u8; 20];
                fingerprint.copy_from_slice(&b[4..24]);
                Extra::Signature {
                    hash: HashType::from_raw(i32_at(b, 0)),
                    fingerprint,
                }
            }
            DataType::CryptoMessage => Extra::CryptoMessage {
                format: CryptoFormat::from_raw(i32_at(b, 0)),
                message: MessageType::from_raw(i32_at(b, 4)),
            },
            DataType::Sbom => Extra::Sbom {
                format: SbomFormat::from_raw(i32_at(b, 0)),
            },
            DataType::OciRootIndex | DataType::OciBlob => Extra::Digest(cstr(b)),
            _ => Extra::None,
        }
    }

    /// The 384 extra bytes; `None` when a digest does not fit (with its NUL).
    pub fn encode(&self) -> Option<[u8; EXTRA_SIZE]> {
        let mut b = [0u8; EXTRA_SIZE];
        match self {
            Extra::None => {}
            Extra::Partition(p) => {
                b[0..4].copy_from_slice(&p.fs_type.raw().to_le_bytes());
                b[4..8].copy_from_slice(&p.part_type.raw().to_le_bytes());
                put_str(&mut b[8..11], &p.arch.code());
            }
            Extra::Signature { hash, fingerprint } => {
                b[0..4].copy_from_slice(&hash.raw().to_le_bytes());
                b[4..24].copy_from_slice(fingerprint);
            }
            Extra::CryptoMessage { format, message } => {
                b[0..4].copy_from_slice(&format.raw().to_le_bytes());
                b[4..8].copy_from_slice(&message.raw().to_le_bytes());
            }
            Extra::Sbom { format } => b[0..4].copy_from_slice(&format.raw().to_le_bytes()),
            Extra::Digest(d) => {
                if d.len() >= EXTRA_SIZE {
                    return None;
                }
                b[..d.len()].copy_from_slice(d.as_bytes());
            }
        }
        Some(b)
    }
}

/// One used descriptor, decoded. Offsets and sizes are checked against the file by `SifImage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// Index in the descriptor table.
    pub slot: usize,
    pub data_type: DataType,
    pub id: u32,
    /// Group id without the 0xf0000000 mask; `None` when the object is in no group.
    pub group: Option<u32>,
    pub link: Link,
    pub offset: u64,
    pub size: u64,
    /// The alignment gap before the object plus its size.
    pub size_with_padding: u64,
    pub created: i64,
    pub modified: i64,
    pub uid: i64,
    pub gid: i64,
    pub name: String,
    pub extra: Extra,
}

/// A descriptor's raw numbers before range checks (offsets may be negative in a corrupt file).
pub(crate) struct RawDescriptor {
    pub used: bool,
    pub offset: i64,
    pub size: i64,
    pub size_with_padding: i64,
}

impl Descriptor {
    /// Partition metadata when this is a Partition object.
    pub fn partition(&self) -> Option<&Partition> {
        match &self.extra {
            Extra::Partition(p) => Some(p),
            _ => None,
        }
    }

    /// True for a Partition whose part type is PrimSys.
    pub fn is_primary_partition(&self) -> bool {
        self.partition()
            .is_some_and(|p| p.part_type == PartType::PrimSys)
    }

    /// The raw stored group field (id OR 0xf0000000).
    pub fn group_raw(&self) -> u32 {
        self.group.unwrap_or(0) | GROUP_MASK
    }

    /// Decodes `b` (exactly 585 bytes); offsets and sizes are set from the raw values by the
    /// caller once they are checked.
    pub(crate) fn decode(slot: usize, b: &[u8]) -> (RawDescriptor, Descriptor) {
        let data_type = DataType::from_raw(i32_at(b, 0));
        let group = u32_at(b, 9) & !GROUP_MASK;
        let raw = RawDescriptor {
            used: b[4] != 0,
            offset: i64_at(b, 17),
            size: i64_at(b, 25),
            size_with_padding: i64_at(b, 33),
        };
        let d = Descriptor {
            slot,
            data_type,
            id: u32_at(b, 5),
            group: (group != 0).then_some(group),
            link: Link::from_raw(u32_at(b, 13)),
            offset: 0,
            size: 0,
            size_with_padding: 0,
            created: i64_at(b, 41),
            modified: i64_at(b, 49),
            uid: i64_at(b, 57),
            gid: i64_at(b, 65),
            name: cstr(&b[NAME_OFF..NAME_OFF + NAME_SIZE]),
            extra: Extra::decode(data_type, &b[EXTRA_OFF..EXTRA_OFF + EXTRA_SIZE]),
        };
        (raw, d)
    }

    /// Encodes a used descriptor. The writer has checked the name length and the extra.
    pub(crate) fn encode(&self, extra: &[u8; EXTRA_SIZE]) -> [u8; DESCRIPTOR_SIZE] {
        let mut b = [0u8; DESCRIPTOR_SIZE];
        b[0..4].copy_from_slice(&self.data_type.raw().to_le_bytes());
        b[4] = 1;
        b[5..9].copy_from_slice(&self.id.to_le_bytes());
        b[9..13].copy_from_slice(&self.group_raw().to_le_bytes());
        b[13..17].copy_from_slice(&self.link.raw().to_le_bytes());
        let ints = [
            self.offset as i64,
            self.size as i64,
            self.size_with_padding as i64,
            self.created,
            self.modified,
            self.uid,
            self.gid,
        ];
        for (i, v) in ints.iter().enumerate() {
            b[17 + 8 * i..25 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        put_str(&mut b[NAME_OFF..NAME_OFF + NAME_SIZE], &self.name);
        b[EXTRA_OFF..].copy_from_slice(extra);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_groups() {
        assert_eq!(Link::from_raw(0), Link::None);
        assert_eq!(Link::from_raw(2), Link::Object(2));
        assert_eq!(Link::from_raw(0xf000_0001), Link::Group(1));
        for l in [Link::None, Link::Object(7), Link::Group(3)] {
            assert_eq!(Link::from_raw(l.raw()), l);
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let d = Descriptor {
            slot: 3,
            data_type: DataType::Partition,
            id: 4,
            group: Some(1),
            link: Link::None,
            offset: 45056,
            size: 745472,
            size_with_padding: 749478,
            created: 1627931376,
            modified: 1627931376,
            uid: 0,
            gid: 0,
            name: "squashfs-275937245".into(),
            extra: Extra::Partition(Partition {
                fs_type: FsType::Squashfs,
                part_type: PartType::PrimSys,
                arch: Arch::Amd64,
            }),
        };
        let bytes = d.encode(&d.extra.encode().unwrap());
        let (raw, mut back) = Descriptor::decode(3, &bytes);
        assert!(raw.used);
        back.offset = raw.offset as u64;
        back.size = raw.size as u64;
        back.size_with_padding = raw.size_with_padding as u64;
        assert_eq!(back, d);
        assert!(back.is_primary_partition());
        assert_eq!(back.group_raw(), 0xf000_0001);
    }

    #[test]
    fn digest_too_long_does_not_encode() {
        assert!(Extra::Digest("x".repeat(EXTRA_SIZE)).encode().is_none());
        assert!(Extra::Digest("x".repeat(EXTRA_SIZE - 1)).encode().is_some());
    }
}
