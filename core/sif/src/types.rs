//! The small enums of the SIF format's descriptors: data types and partition fs and part
//! types (architectures are in `arch.rs`, signature, crypto-message and SBOM formats in
//! `formats.rs`). Each keeps an `Unknown(raw)` arm so newer images still list. `name()` is the
//! stable name used in JSON (the constant's name in the reference); `label()` is the text the
//! reference `siftool list` prints.
/// Data object type (descriptor offset 0, i32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Deffile,
    EnvVar,
    Labels,
    Partition,
    Signature,
    GenericJson,
    Generic,
    CryptoMessage,
    Sbom,
    OciRootIndex,
    OciBlob,
    Unknown(i32),
}

impl DataType {
    pub fn from_raw(raw: i32) -> DataType {
        match raw {
            0x4001 => DataType::Deffile,
            0x4002 => DataType::EnvVar,
            0x4003 => DataType::Labels,
            0x4004 => DataType::Partition,
            0x4005 => DataType::Signature,
            0x4006 => DataType::GenericJson,
            0x4007 => DataType::Generic,
            0x4008 => DataType::CryptoMessage,
            0x4009 => DataType::Sbom,
            0x400A => DataType::OciRootIndex,
            0x400B => DataType::OciBlob,
            other => DataType::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            DataType::Deffile => 0x4001,
            DataType::EnvVar => 0x4002,
            DataType::Labels => 0x4003,
            DataType::Partition => 0x4004,
            DataType::Signature => 0x4005,
            DataType::GenericJson => 0x4006,
            DataType::Generic => 0x4007,
            DataType::CryptoMessage => 0x4008,
            DataType::Sbom => 0x4009,
            DataType::OciRootIndex => 0x400A,
            DataType::OciBlob => 0x400B,
            DataType::Unknown(raw) => raw,
        }
    }

    /// Stable name: `Deffile`, `GenericJSON`, `OCIBlob`, … (`Unknown` for other codes).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Deffile => "Deffile",
            DataType::EnvVar => "EnvVar",
            DataType::Labels => "Labels",
            DataType::Partition => "Partition",
            DataType::Signature => "Signature",
            DataType::GenericJson => "GenericJSON",
            DataType::Generic => "Generic",
            DataType::CryptoMessage => "CryptoMessage",
            DataType::Sbom => "SBOM",
            DataType::OciRootIndex => "OCIRootIndex",
            DataType::OciBlob => "OCIBlob",
            DataType::Unknown(_) => "Unknown",
        }
    }

    /// The reference siftool's text (`Def.FILE`, `FS`, `JSON.Generic`, …).
    pub fn label(self) -> &'static str {
        match self {
            DataType::Deffile => "Def.FILE",
            DataType::EnvVar => "Env.Vars",
            DataType::Labels => "JSON.Labels",
            DataType::Partition => "FS",
            DataType::Signature => "Signature",
            DataType::GenericJson => "JSON.Generic",
            DataType::Generic => "Generic/Raw",
            DataType::CryptoMessage => "Cryptographic Message",
            DataType::Sbom => "SBOM",
            DataType::OciRootIndex => "OCI.RootIndex",
            DataType::OciBlob => "OCI.Blob",
            DataType::Unknown(_) => "Unknown",
        }
    }
}

/// Partition filesystem type (partition extra offset 0, i32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FsType {
    Squashfs,
    Ext3,
    ImmuObj,
    Raw,
    EncryptedSquashfs,
    GocryptfsSquashfs,
    Unknown(i32),
}

impl FsType {
    pub fn from_raw(raw: i32) -> FsType {
        match raw {
            1 => FsType::Squashfs,
            2 => FsType::Ext3,
            3 => FsType::ImmuObj,
            4 => FsType::Raw,
            5 => FsType::EncryptedSquashfs,
            6 => FsType::GocryptfsSquashfs,
            other => FsType::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            FsType::Squashfs => 1,
            FsType::Ext3 => 2,
            FsType::ImmuObj => 3,
            FsType::Raw => 4,
            FsType::EncryptedSquashfs => 5,
            FsType::GocryptfsSquashfs => 6,
            FsType::Unknown(raw) => raw,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FsType::Squashfs => "Squashfs",
            FsType::Ext3 => "Ext3",
            FsType::ImmuObj => "ImmuObj",
            FsType::Raw => "Raw",
            FsType::EncryptedSquashfs => "EncryptedSquashfs",
            FsType::GocryptfsSquashfs => "GocryptfsSquashfs",
            FsType::Unknown(_) => "Unknown",
        }
    }

    /// The reference siftool's text.
    pub fn label(self) -> &'static str {
        match self {
            FsType::Squashfs => "Squashfs",
            FsType::Ext3 => "Ext3",
            FsType::ImmuObj => "Archive",
            FsType::Raw => "Raw",
            FsType::EncryptedSquashfs => "Encrypted squashfs",
            FsType::GocryptfsSquashfs => "Gocryptfs squashfs",
            FsType::Unknown(_) => "Unknown",
        }
    }
}

/// Partition type (partition extra offset 4, i32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartType {
    System,
    PrimSys,
    Data,
    Overlay,
    Unknown(i32),
}

impl PartType {
    pub fn from_raw(raw: i32) -> PartType {
        match raw {
            1 => PartType::System,
            2 => PartType::PrimSys,
            3 => PartType::Data,
            4 => PartType::Overlay,
            other => PartType::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            PartType::System => 1,
            PartType::PrimSys => 2,
            PartType::Data => 3,
            PartType::Overlay => 4,
            PartType::Unknown(raw) => raw,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PartType::System => "System",
            PartType::PrimSys => "PrimSys",
            PartType::Data => "Data",
            PartType::Overlay => "Overlay",
            PartType::Unknown(_) => "Unknown",
        }
    }

    /// The reference siftool's text (`*System` for the primary system partition).
    pub fn label(self) -> &'static str {
        match self {
            PartType::System => "System",
            PartType::PrimSys => "*System",
            PartType::Data => "Data",
            PartType::Overlay => "Overlay",
            PartType::Unknown(_) => "Unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_codes_round_trip() {
        for raw in 0x4000..0x400D {
            assert_eq!(DataType::from_raw(raw).raw(), raw);
        }
        for raw in -1..10 {
            assert_eq!(FsType::from_raw(raw).raw(), raw);
            assert_eq!(PartType::from_raw(raw).raw(), raw);
        }
        assert_eq!(DataType::from_raw(0x4999), DataType::Unknown(0x4999));
    }
}
