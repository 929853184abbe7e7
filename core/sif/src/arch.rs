//! Architecture codes: 2 ASCII digits in the header and in partition extras, with their Go
//! names, and the host's architecture.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_codes_and_names() {
        assert_eq!(Arch::from_code("02"), Arch::Amd64);
        assert_eq!(Arch::Amd64.code(), "02");
        assert_eq!(Arch::Amd64.go_name(), "amd64");
        assert_eq!(Arch::from_code("13").go_name(), "loong64");
        assert_eq!(Arch::from_code("77"), Arch::Other("77".into()));
        assert_eq!(Arch::Other("77".into()).code(), "77");
        assert_eq!(Arch::from_go_name("386"), Some(Arch::I386));
        assert_ne!(Arch::host(), Arch::Other(String::new()));
    }
}
