//! `SifImage`: one SIF file read and validated (header, descriptor table, object bounds and
//! overlaps), plus lookups: by id, by name, the primary system partition and the squashfs root
//! filesystem checks of oci-reference.md §3.1. Opens files read-only; never writes.

use crate::descriptor::{DESCRIPTOR_SIZE, Descriptor};
use crate::error::{Result, SifError};
use crate::header::{HEADER_SIZE, Header};
use crate::types::{DataType, FsType};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Smallest valid squashfs: its superblock (oci-reference.md §3.1 check 9).
pub const SQUASHFS_SUPERBLOCK: usize = 96;

#[derive(Debug, Clone)]
pub struct SifImage {
    path: PathBuf,
    file_size: u64,
    header: Header,
    descriptors: Vec<Descriptor>,
}

impl SifImage {
    /// Opens `path` read-only and validates it (oci-reference.md §3.1 checks 1-4).
    pub fn open(path: &Path) -> Result<SifImage> {
        let file = File::open(path).map_err(|source| SifError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let meta = file.metadata().map_err(|source| SifError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() {
            return Err(SifError::NotRegular {
                path: path.to_path_buf(),
            });
        }
        SifImage::from_reader(file, path)
    }

    /// Reads and validates an image from any seekable reader; `path` is kept for messages and
    /// for `read_data`.
    pub fn from_reader<R: Read + Seek>(mut r: R, path: &Path) -> Result<SifImage> {
        let read_err = |source| SifError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file_size = r.seek(SeekFrom::End(0)).map_err(read_err)?;
        r.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let mut head = Vec::with_capacity(HEADER_SIZE);
        (&mut r)
            .take(HEADER_SIZE as u64)
            .read_to_end(&mut head)
            .map_err(read_err)?;
        let header = Header::decode(&head, path)?;

        let table_err = || SifError::DescriptorTable {
            path: path.to_path_buf(),
        };
        let total = usize::try_from(header.descriptors_total).map_err(|_| table_err())?;
        let start = u64::try_from(header.descriptors_offset).map_err(|_| table_err())?;
        let len = (total as u64)
            .checked_mul(DESCRIPTOR_SIZE as u64)
            .ok_or_else(table_err)?;
        let end = start.checked_add(len).ok_or_else(table_err)?;
        if start < HEADER_SIZE as u64 || end > file_size {
            return Err(table_err());
        }
        r.seek(SeekFrom::Start(start)).map_err(read_err)?;
        let mut table = vec![0u8; len as usize];
        r.read_exact(&mut table).map_err(read_err)?;

        let mut descriptors = Vec::new();
        for (slot, bytes) in table.chunks_exact(DESCRIPTOR_SIZE).enumerate() {
            let (raw, mut d) = Descriptor::decode(slot, bytes);
            if !raw.used {
                continue;
            }
            let corrupt = |field, value| SifError::CorruptDescriptor {
                path: path.to_path_buf(),
                slot,
                field,
                value,
            };
            d.offset = u64::try_from(raw.offset).map_err(|_| corrupt("offset", raw.offset))?;
            d.size = u64::try_from(raw.size).map_err(|_| corrupt("size", raw.size))?;
            d.size_with_padding = u64::try_from(raw.size_with_padding)
                .map_err(|_| corrupt("size with padding", raw.size_with_padding))?;
            let inside = d
                .offset
                .checked_add(d.size)
                .is_some_and(|e| e <= file_size && (d.size == 0 || d.offset >= end));
            if !inside {
                return Err(outside(path, &d));
            }
            if let Some(other) = descriptors.iter().find(|o: &&Descriptor| o.id == d.id) {
                return Err(SifError::DuplicateId {
                    path: path.to_path_buf(),
                    id: d.id,
                    first: other.slot,
                    second: slot,
                });
            }
            descriptors.push(d);
        }
        check_overlaps(path, &descriptors)?;
        Ok(SifImage {
            path: path.to_path_buf(),
            file_size,
            header,
            descriptors,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The used descriptors, in slot order.
    pub fn descriptors(&self) -> &[Descriptor] {
        &self.descriptors
    }

    /// The object with this id.
    pub fn descriptor(&self, id: u32) -> Result<&Descriptor> {
        self.descriptors
            .iter()
            .find(|d| d.id == id)
            .ok_or_else(|| SifError::NoSuchObject {
                path: self.path.clone(),
                id,
            })
    }

    /// The one Partition with part type PrimSys (oci-reference.md §3.1 check 6).
    pub fn primary_partition(&self) -> Result<&Descriptor> {
        let prims: Vec<&Descriptor> = self
            .descriptors
            .iter()
            .filter(|d| d.is_primary_partition())
            .collect();
        match prims.as_slice() {
            [one] => Ok(one),
            [] => Err(SifError::NoPrimary {
                path: self.path.clone(),
            }),
            several => Err(SifError::SeveralPrimary {
                path: self.path.clone(),
                count: several.len(),
            }),
        }
    }

    /// The primary partition, checked to be a usable squashfs root filesystem:
    /// oci-reference.md §3.1 checks 5 (not an OCI-SIF), 6, 7, 8 and 9, in that order.
    pub fn rootfs_squashfs(&self) -> Result<&Descriptor> {
        if self
            .descriptors
            .iter()
            .any(|d| d.data_type == DataType::OciRootIndex)
        {
            return Err(SifError::OciSif {
                path: self.path.clone(),
            });
        }
        let d = self.primary_partition()?;
        if d.offset
            .checked_add(d.size)
            .is_none_or(|e| e > self.file_size)
        {
            return Err(outside(&self.path, d));
        }
        let path = self.path.clone();
        match d.partition().map(|p| p.fs_type) {
            Some(FsType::Squashfs) => {}
            Some(FsType::Ext3) => return Err(SifError::Ext3Root { path }),
            Some(FsType::EncryptedSquashfs | FsType::GocryptfsSquashfs) => {
                return Err(SifError::EncryptedRoot { path });
            }
            Some(other) => {
                return Err(SifError::UnsupportedFs {
                    path,
                    name: other.name(),
                    code: other.raw(),
                });
            }
            None => unreachable!("is_primary_partition implies partition metadata"),
        }
        let not_squashfs = || SifError::NotSquashfs {
            path: self.path.clone(),
            id: d.id,
        };
        if d.size < SQUASHFS_SUPERBLOCK as u64 {
            return Err(not_squashfs());
        }
        let sb = self.read_prefix(d, SQUASHFS_SUPERBLOCK)?;
        let major = u16::from_le_bytes([sb[28], sb[29]]);
        if &sb[0..4] != b"hsqs" || major != 4 {
            return Err(not_squashfs());
        }
        Ok(d)
    }

    /// Reads the whole object (reopens the file read-only).
    pub fn read_data(&self, d: &Descriptor) -> Result<Vec<u8>> {
        self.read_prefix(d, usize::try_from(d.size).unwrap_or(usize::MAX))
    }

    /// Reads the first `len` bytes of the object (fewer when the object is smaller).
    pub fn read_prefix(&self, d: &Descriptor, len: usize) -> Result<Vec<u8>> {
        let read_err = |source| SifError::Read {
            path: self.path.clone(),
            source,
        };
        let mut f = File::open(&self.path).map_err(|source| SifError::Open {
            path: self.path.clone(),
            source,
        })?;
        f.seek(SeekFrom::Start(d.offset)).map_err(read_err)?;
        let want = d.size.min(len as u64);
        let mut buf = Vec::with_capacity(want as usize);
        f.take(want).read_to_end(&mut buf).map_err(read_err)?;
        if (buf.len() as u64) < want {
            return Err(outside(&self.path, d));
        }
        Ok(buf)
    }

    /// The object of type `dt` named `name`, preferring one in the primary partition's group.
    pub fn find_by_name(&self, dt: DataType, name: &str) -> Option<&Descriptor> {
        let group = self.primary_partition().ok().and_then(|p| p.group);
        let mut matches = self
            .descriptors
            .iter()
            .filter(|d| d.data_type == dt && d.name == name);
        let first = matches.next()?;
        if first.group == group {
            return Some(first);
        }
        matches.find(|d| d.group == group).or(Some(first))
    }
}

fn outside(path: &Path, d: &Descriptor) -> SifError {
    if d.is_primary_partition() {
        SifError::PrimaryOutside {
            path: path.to_path_buf(),
            id: d.id,
        }
    } else {
        SifError::ObjectOutside {
            path: path.to_path_buf(),
            id: d.id,
        }
    }
}

/// Objects with data must not share bytes.
fn check_overlaps(path: &Path, descriptors: &[Descriptor]) -> Result<()> {
    let mut spans: Vec<&Descriptor> = descriptors.iter().filter(|d| d.size > 0).collect();
    spans.sort_by_key(|d| (d.offset, d.slot));
    for pair in spans.windows(2) {
        if pair[0].offset + pair[0].size > pair[1].offset {
            return Err(SifError::Overlap {
                path: path.to_path_buf(),
                first: pair[0].id,
                second: pair[1].id,
            });
        }
    }
    Ok(())
}
