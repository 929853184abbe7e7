//! `SifWriter`: lays out a new SIF image the way the reference (apptainer/sif v2) does and
//! streams it out. The layout is pure (`layout()`); the caller passes the creation time and the
//! UUID, so tests build byte-identical images. Atomic replacement of an existing file is the
//! caller's job (`sifter-bundle`'s build writes to a temp file and renames it).

use crate::arch::Arch;
use crate::descriptor::{
    DESCRIPTOR_SIZE, Descriptor, EXTRA_SIZE, Extra, Link, NAME_SIZE, Partition,
};
use crate::error::{Result, SifError};
use crate::header::{HEADER_SIZE, Header, VERSION, ZERO_TIME};
use crate::types::{DataType, FsType, PartType};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Descriptor slots in a new image (the reference's default).
pub const DESCRIPTORS_TOTAL: usize = 48;
/// Where the descriptor table starts.
pub const DESCRIPTORS_OFFSET: u64 = 4096;
/// Where data starts: right after the table (sif ≥ v1.7 / v2; older images used 32768).
pub const DATA_OFFSET: u64 = DESCRIPTORS_OFFSET + (DESCRIPTORS_TOTAL * DESCRIPTOR_SIZE) as u64;
/// Partitions start on a 4 KiB boundary, so they can be mounted at their offset.
pub const PARTITION_ALIGNMENT: u64 = 4096;
/// The group new objects join unless told otherwise (the reference's default group).
pub const DEFAULT_GROUP: u32 = 1;

/// Where an object's bytes come from.
#[derive(Debug, Clone)]
pub enum ObjectData {
    Bytes(Vec<u8>),
    /// A file streamed into the image; its size is taken when the input is made.
    File {
        path: PathBuf,
        size: u64,
    },
    /// Bytes already in the destination at this object's offset (e.g. a squashfs that
    /// `mksquashfs -o OFFSET` wrote there): the writer stops before them. Last object only.
    InPlace {
        size: u64,
    },
}

impl ObjectData {
    fn len(&self) -> u64 {
        match self {
            ObjectData::Bytes(b) => b.len() as u64,
            ObjectData::File { size, .. } | ObjectData::InPlace { size } => *size,
        }
    }
}

/// One object to add.
#[derive(Debug, Clone)]
pub struct ObjectInput {
    pub data_type: DataType,
    pub name: String,
    pub group: Option<u32>,
    pub link: Link,
    pub extra: Extra,
    pub alignment: u64,
    pub data: ObjectData,
}

impl ObjectInput {
    /// An object from bytes, in the default group, not linked, unaligned.
    pub fn bytes(data_type: DataType, name: &str, bytes: Vec<u8>) -> ObjectInput {
        ObjectInput {
            data_type,
            name: name.to_string(),
            group: Some(DEFAULT_GROUP),
            link: Link::None,
            extra: Extra::None,
            alignment: 1,
            data: ObjectData::Bytes(bytes),
        }
    }

    /// An object streamed from a file (its size is read now).
    pub fn file(data_type: DataType, name: &str, path: &Path) -> Result<ObjectInput> {
        let size = std::fs::metadata(path)
            .map_err(|source| SifError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        let data = ObjectData::File {
            path: path.to_path_buf(),
            size,
        };
        Ok(ObjectInput {
            data,
            ..ObjectInput::bytes(data_type, name, Vec::new())
        })
    }

    /// Turns this object into a 4 KiB-aligned partition with the given metadata.
    pub fn partition(mut self, fs_type: FsType, part_type: PartType, arch: Arch) -> ObjectInput {
        self.data_type = DataType::Partition;
        self.alignment = PARTITION_ALIGNMENT;
        self.extra = Extra::Partition(Partition {
            fs_type,
            part_type,
            arch,
        });
        self
    }

    pub fn group(mut self, group: Option<u32>) -> ObjectInput {
        self.group = group;
        self
    }

    pub fn link(mut self, link: Link) -> ObjectInput {
        self.link = link;
        self
    }

    pub fn extra(mut self, extra: Extra) -> ObjectInput {
        self.extra = extra;
        self
    }

    pub fn alignment(mut self, alignment: u64) -> ObjectInput {
        self.alignment = alignment;
        self
    }
}

/// Builds a SIF image: add objects, then `write_to` or `write`.
#[derive(Debug, Clone)]
pub struct SifWriter {
    launch_script: String,
    id: [u8; 16],
    time: i64,
    objects: Vec<ObjectInput>,
}

impl SifWriter {
    /// A writer for an image with this UUID and creation time (Unix seconds), no launch script.
    pub fn new(id: [u8; 16], time: i64) -> SifWriter {
        SifWriter {
            launch_script: String::new(),
            id,
            time,
            objects: Vec::new(),
        }
    }

    /// The reference's deterministic mode: nil UUID and Go's zero time.
    pub fn deterministic() -> SifWriter {
        SifWriter::new([0; 16], ZERO_TIME)
    }

    /// Sets the launch script (at most 31 bytes, e.g. `header::DEFAULT_LAUNCH_SCRIPT`).
    pub fn launch_script(mut self, script: &str) -> SifWriter {
        self.launch_script = script.to_string();
        self
    }

    /// Adds an object; returns the id it will have (slot + 1).
    pub fn add(&mut self, object: ObjectInput) -> u32 {
        self.objects.push(object);
        self.objects.len() as u32
    }

    /// Computes the header and descriptors without writing anything.
    pub fn layout(&self) -> Result<(Header, Vec<Descriptor>)> {
        if self.objects.len() > DESCRIPTORS_TOTAL {
            return Err(SifError::TooManyObjects {
                count: self.objects.len(),
                max: DESCRIPTORS_TOTAL,
            });
        }
        let mut cursor = DATA_OFFSET;
        let mut descriptors = Vec::new();
        let mut primary: Option<(u32, Arch)> = None;
        for (slot, o) in self.objects.iter().enumerate() {
            let id = slot as u32 + 1;
            if matches!(o.data, ObjectData::InPlace { .. }) && slot + 1 != self.objects.len() {
                return Err(SifError::InPlaceNotLast { id });
            }
            if o.name.len() >= NAME_SIZE {
                return Err(SifError::NameTooLong {
                    name: o.name.clone(),
                    max: NAME_SIZE - 1,
                });
            }
            if !o.alignment.is_power_of_two() {
                return Err(SifError::Alignment {
                    id,
                    alignment: o.alignment,
                });
            }
            if let Extra::Partition(p) = &o.extra
                && p.part_type == PartType::PrimSys
            {
                if let Some((first, _)) = primary {
                    return Err(SifError::TwoPrimaries { first, second: id });
                }
                primary = Some((id, p.arch.clone()));
            }
            let offset = cursor.next_multiple_of(o.alignment);
            let size = o.data.len();
            descriptors.push(Descriptor {
                slot,
                data_type: o.data_type,
                id,
                group: o.group,
                link: o.link,
                offset,
                size,
                size_with_padding: offset - cursor + size,
                created: self.time,
                modified: self.time,
                uid: 0,
                gid: 0,
                name: o.name.clone(),
                extra: o.extra.clone(),
            });
            cursor = offset + size;
        }
        let header = Header {
            launch_script: self.launch_script.clone(),
            version: VERSION.to_string(),
            arch: primary.map_or(Arch::Unknown, |(_, arch)| arch),
            id: self.id,
            created: self.time,
            modified: self.time,
            descriptors_free: (DESCRIPTORS_TOTAL - descriptors.len()) as i64,
            descriptors_total: DESCRIPTORS_TOTAL as i64,
            descriptors_offset: DESCRIPTORS_OFFSET as i64,
            descriptors_size: (DESCRIPTORS_TOTAL * DESCRIPTOR_SIZE) as i64,
            data_offset: DATA_OFFSET as i64,
            data_size: (cursor - DATA_OFFSET) as i64,
        };
        Ok((header, descriptors))
    }

    /// Streams the image into `w`; `path` names the destination in errors. Returns the size.
    /// With an `InPlace` last object, `w` must be positioned at the start of a file that
    /// already holds its bytes; everything before them is written.
    pub fn write_to<W: Write>(&self, w: &mut W, path: &Path) -> Result<u64> {
        let (header, descriptors) = self.layout()?;
        let mut table = Vec::with_capacity(DESCRIPTORS_TOTAL * DESCRIPTOR_SIZE);
        for d in &descriptors {
            let extra: [u8; EXTRA_SIZE] = d.extra.encode().ok_or(SifError::ExtraTooLong {
                id: d.id,
                field: "digest",
            })?;
            table.extend_from_slice(&d.encode(&extra));
        }
        table.resize(DESCRIPTORS_TOTAL * DESCRIPTOR_SIZE, 0);
        let werr = |source| SifError::Write {
            path: path.to_path_buf(),
            source,
        };
        w.write_all(&header.encode()).map_err(werr)?;
        zeros(w, DESCRIPTORS_OFFSET - HEADER_SIZE as u64).map_err(werr)?;
        w.write_all(&table).map_err(werr)?;
        let mut cursor = DATA_OFFSET;
        for (d, o) in descriptors.iter().zip(&self.objects) {
            zeros(w, d.offset - cursor).map_err(werr)?;
            match &o.data {
                ObjectData::InPlace { .. } => {}
                ObjectData::Bytes(b) => w.write_all(b).map_err(werr)?,
                ObjectData::File { path: src, size } => {
                    let rerr = |source| SifError::Read {
                        path: src.clone(),
                        source,
                    };
                    let f = File::open(src).map_err(rerr)?;
                    let copied = io::copy(&mut f.take(*size), w).map_err(werr)?;
                    if copied != *size {
                        return Err(rerr(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("file shrank from {size} to {copied} bytes while writing"),
                        )));
                    }
                }
            }
            cursor = d.offset + d.size;
        }
        w.flush().map_err(werr)?;
        Ok(cursor)
    }

    /// Creates (or truncates) `path` and writes the image there. Not atomic.
    pub fn write(&self, path: &Path) -> Result<u64> {
        let f = File::create(path).map_err(|source| SifError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let n = self.write_to(&mut w, path)?;
        let f = w.into_inner().map_err(|e| SifError::Write {
            path: path.to_path_buf(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(|source| SifError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(n)
    }
}

fn zeros<W: Write>(w: &mut W, mut n: u64) -> io::Result<()> {
    let buf = [0u8; 4096];
    while n > 0 {
        let k = n.min(buf.len() as u64) as usize;
        w.write_all(&buf[..k])?;
        n -= k as u64;
    }
    Ok(())
}
