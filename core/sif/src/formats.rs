//! Type-specific metadata formats: signature hash types, crypto-message formats and message
//! types, SBOM formats. Same conventions as `types.rs`.
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
        for raw in -1..10 {
            assert_eq!(HashType::from_raw(raw).raw(), raw);
            assert_eq!(SbomFormat::from_raw(raw).raw(), raw);
            assert_eq!(CryptoFormat::from_raw(raw).raw(), raw);
            assert_eq!(MessageType::from_raw(raw).raw(), raw);
        }
        assert_eq!(SbomFormat::SyftJson.name(), "syft-json");
        assert_eq!(MessageType::from_raw(0x200), MessageType::RsaOaep);
    }
}
