//! The small enums of the SIF format: data types, partition fs and part types, architectures,
//! hash, crypto-message and SBOM formats. Each keeps an `Unknown(raw)` arm so newer images still
//! list. `name()` is the stable name used in JSON (the constant's name in the reference);
//! `label()` is the text the reference `siftool list` prints.

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

/// Architecture code: 2 ASCII digits in the header and in partition extras.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Arch {
    Unknown,
    I386,
    Amd64,
    Arm,
    Arm64,
    Ppc64,
    Ppc64le,
    Mips,
    Mipsle,
    Mips64,
    Mips64le,
    S390x,
    Riscv64,
    Loong64,
    /// A code this version does not know (kept verbatim, e.g. `"14"`).
    Other(String),
}

const ARCHES: [(Arch, &str, &str); 14] = [
    (Arch::Unknown, "00", "unknown"),
    (Arch::I386, "01", "386"),
    (Arch::Amd64, "02", "amd64"),
    (Arch::Arm, "03", "arm"),
    (Arch::Arm64, "04", "arm64"),
    (Arch::Ppc64, "05", "ppc64"),
    (Arch::Ppc64le, "06", "ppc64le"),
    (Arch::Mips, "07", "mips"),
    (Arch::Mipsle, "08", "mipsle"),
    (Arch::Mips64, "09", "mips64"),
    (Arch::Mips64le, "10", "mips64le"),
    (Arch::S390x, "11", "s390x"),
    (Arch::Riscv64, "12", "riscv64"),
    (Arch::Loong64, "13", "loong64"),
];

impl Arch {
    /// From the 2-digit code (`"02"` → amd64); anything else is `Other(code)`.
    pub fn from_code(code: &str) -> Arch {
        ARCHES
            .iter()
            .find(|(_, c, _)| *c == code)
            .map_or_else(|| Arch::Other(code.to_string()), |(a, _, _)| a.clone())
    }

    /// From a Go architecture name (`"amd64"`); `None` when unknown.
    pub fn from_go_name(name: &str) -> Option<Arch> {
        ARCHES
            .iter()
            .find(|(_, _, n)| *n == name)
            .map(|(a, _, _)| a.clone())
    }

    /// The 2-digit code, `"02"` for amd64.
    pub fn code(&self) -> String {
        match self {
            Arch::Other(code) => code.clone(),
            known => ARCHES
                .iter()
                .find(|(a, _, _)| a == known)
                .map_or("00", |(_, c, _)| c)
                .to_string(),
        }
    }

    /// The Go architecture name (`"amd64"`), `"unknown"` for code 00 and unknown codes.
    pub fn go_name(&self) -> &str {
        ARCHES
            .iter()
            .find(|(a, _, _)| a == self)
            .map_or("unknown", |(_, _, n)| n)
    }

    /// The architecture this program runs on.
    pub fn host() -> Arch {
        let little = cfg!(target_endian = "little");
        match std::env::consts::ARCH {
            "x86" => Arch::I386,
            "x86_64" => Arch::Amd64,
            "arm" => Arch::Arm,
            "aarch64" => Arch::Arm64,
            "powerpc64" if little => Arch::Ppc64le,
            "powerpc64" => Arch::Ppc64,
            "mips" if little => Arch::Mipsle,
            "mips" => Arch::Mips,
            "mips64" if little => Arch::Mips64le,
            "mips64" => Arch::Mips64,
            "s390x" => Arch::S390x,
            "riscv64" => Arch::Riscv64,
            "loongarch64" => Arch::Loong64,
            _ => Arch::Unknown,
        }
    }
}

/// Signature hash type (signature extra offset 0, i32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashType {
    Sha256,
    Sha384,
    Sha512,
    Blake2s,
    Blake2b,
    Unknown(i32),
}

impl HashType {
    pub fn from_raw(raw: i32) -> HashType {
        match raw {
            1 => HashType::Sha256,
            2 => HashType::Sha384,
            3 => HashType::Sha512,
            4 => HashType::Blake2s,
            5 => HashType::Blake2b,
            other => HashType::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            HashType::Sha256 => 1,
            HashType::Sha384 => 2,
            HashType::Sha512 => 3,
            HashType::Blake2s => 4,
            HashType::Blake2b => 5,
            HashType::Unknown(raw) => raw,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HashType::Sha256 => "SHA256",
            HashType::Sha384 => "SHA384",
            HashType::Sha512 => "SHA512",
            HashType::Blake2s => "BLAKE2S",
            HashType::Blake2b => "BLAKE2B",
            HashType::Unknown(_) => "Unknown",
        }
    }

    /// The reference siftool's text (`SHA-256`).
    pub fn label(self) -> &'static str {
        match self {
            HashType::Sha256 => "SHA-256",
            HashType::Sha384 => "SHA-384",
            HashType::Sha512 => "SHA-512",
            HashType::Blake2s => "BLAKE2s",
            HashType::Blake2b => "BLAKE2b",
            HashType::Unknown(_) => "Unknown",
        }
    }
}

/// Crypto message format (i32) and message type (i32) of a CryptoMessage object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CryptoFormat {
    OpenPgp,
    Pem,
    Unknown(i32),
}

impl CryptoFormat {
    pub fn from_raw(raw: i32) -> CryptoFormat {
        match raw {
            1 => CryptoFormat::OpenPgp,
            2 => CryptoFormat::Pem,
            other => CryptoFormat::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            CryptoFormat::OpenPgp => 1,
            CryptoFormat::Pem => 2,
            CryptoFormat::Unknown(raw) => raw,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CryptoFormat::OpenPgp => "OpenPGP",
            CryptoFormat::Pem => "PEM",
            CryptoFormat::Unknown(_) => "Unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    ClearSignature,
    RsaOaep,
    Unknown(i32),
}

impl MessageType {
    pub fn from_raw(raw: i32) -> MessageType {
        match raw {
            0x100 => MessageType::ClearSignature,
            0x200 => MessageType::RsaOaep,
            other => MessageType::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            MessageType::ClearSignature => 0x100,
            MessageType::RsaOaep => 0x200,
            MessageType::Unknown(raw) => raw,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MessageType::ClearSignature => "ClearSignature",
            MessageType::RsaOaep => "RSA-OAEP",
            MessageType::Unknown(_) => "Unknown",
        }
    }

    /// The reference siftool's text.
    pub fn label(self) -> &'static str {
        match self {
            MessageType::ClearSignature => "Clear Signature",
            MessageType::RsaOaep => "RSA-OAEP",
            MessageType::Unknown(_) => "Unknown",
        }
    }
}

/// SBOM format (i32) of an SBOM object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    CycloneDxJson,
    CycloneDxXml,
    GithubJson,
    SpdxJson,
    SpdxRdf,
    SpdxTagValue,
    SpdxYaml,
    SyftJson,
    Unknown(i32),
}

const SBOM_NAMES: [&str; 8] = [
    "cyclonedx-json",
    "cyclonedx-xml",
    "github-json",
    "spdx-json",
    "spdx-rdf",
    "spdx-tag-value",
    "spdx-yaml",
    "syft-json",
];

impl SbomFormat {
    pub fn from_raw(raw: i32) -> SbomFormat {
        match raw {
            1 => SbomFormat::CycloneDxJson,
            2 => SbomFormat::CycloneDxXml,
            3 => SbomFormat::GithubJson,
            4 => SbomFormat::SpdxJson,
            5 => SbomFormat::SpdxRdf,
            6 => SbomFormat::SpdxTagValue,
            7 => SbomFormat::SpdxYaml,
            8 => SbomFormat::SyftJson,
            other => SbomFormat::Unknown(other),
        }
    }

    pub fn raw(self) -> i32 {
        match self {
            SbomFormat::CycloneDxJson => 1,
            SbomFormat::CycloneDxXml => 2,
            SbomFormat::GithubJson => 3,
            SbomFormat::SpdxJson => 4,
            SbomFormat::SpdxRdf => 5,
            SbomFormat::SpdxTagValue => 6,
            SbomFormat::SpdxYaml => 7,
            SbomFormat::SyftJson => 8,
            SbomFormat::Unknown(raw) => raw,
        }
    }

    /// `cyclonedx-json`, …, `Unknown`.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::Unknown(_) => "Unknown",
            known => SBOM_NAMES[(known.raw() - 1) as usize],
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
            assert_eq!(HashType::from_raw(raw).raw(), raw);
            assert_eq!(SbomFormat::from_raw(raw).raw(), raw);
            assert_eq!(CryptoFormat::from_raw(raw).raw(), raw);
        }
        assert_eq!(DataType::from_raw(0x4999), DataType::Unknown(0x4999));
    }

    #[test]
    fn arch_codes_and_names() {
        assert_eq!(Arch::from_code("02"), Arch::Amd64);
        assert_eq!(Arch::Amd64.code(), "02");
        assert_eq!(Arch::Amd64.go_name(), "amd64");
        assert_eq!(Arch::from_code("13").go_name(), "loong64");
        assert_eq!(Arch::from_code("77"), Arch::Other("77".into()));
        assert_eq!(Arch::Other("77".into()).code(), "77");
        assert_eq!(Arch::from_go_name("386"), Some(Arch::I386));
        assert_eq!(SbomFormat::SyftJson.name(), "syft-json");
        assert_ne!(Arch::host(), Arch::Other(String::new()));
    }
}
