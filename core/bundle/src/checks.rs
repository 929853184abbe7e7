//! The SIF checks of oci-reference.md §3.1 that come after decoding: 5-9 through
//! `SifImage::rootfs_squashfs`, 10 (architecture, with the binfmt_misc rule) and 11 (the
//! optional `oci-config.json`), plus the record labels. All before touching the filesystem.

use crate::image_config::ImageConfig;
use crate::{BundleError, Result};
use serde_json::{Map, Value};
use sifter_sif::{Arch, DataType, SifImage};
use std::path::Path;

/// A SIF that passed every check.
#[derive(Debug, Clone)]
pub struct CheckedImage {
    pub image: SifImage,
    pub partition_id: u32,
    pub offset: u64,
    pub size: u64,
    pub arch: Arch,
    pub image_config: Option<ImageConfig>,
    /// For the mount record: the Labels object, else the image config's `Labels`, else `{}`.
    pub labels: Map<String, Value>,
}

/// Checks 5-11 on an opened image (checks 1-4 happen in `SifImage::open`).
pub fn check(image: SifImage) -> Result<CheckedImage> {
    let part = image.rootfs_squashfs()?;
    let (partition_id, offset, size) = (part.id, part.offset, part.size);
    let arch = part
        .partition()
        .map(|p| p.arch.clone())
        .unwrap_or(Arch::Unknown);
    let host = Arch::host();
    if !arch_compatible(&arch, &host, binfmt_accepts) {
        return Err(BundleError::Arch {
            image: arch_name(&arch),
            host: arch_name(&host),
        });
    }
    let image_config = match image.find_by_name(DataType::GenericJson, "oci-config.json") {
        Some(d) => {
            let bytes = image.read_data(d)?;
            Some(
                ImageConfig::parse(&bytes).map_err(|reason| BundleError::ImageConfig {
                    path: image.path().to_path_buf(),
                    reason,
                })?,
            )
        }
        None => None,
    };
    let labels = image
        .descriptors()
        .iter()
        .find(|d| d.data_type == DataType::Labels)
        .and_then(|d| image.read_data(d).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .or_else(|| image_config.as_ref().map(|c| c.labels.clone()))
        .unwrap_or_default();
    Ok(CheckedImage {
        image,
        partition_id,
        offset,
        size,
        arch,
        image_config,
        labels,
    })
}

/// The Go name, or the raw code for codes sifter does not know.
fn arch_name(a: &Arch) -> String {
    match a {
        Arch::Other(code) => code.clone(),
        a => a.go_name().to_string(),
    }
}

/// §3.1 Architecture rules 1-3; `binfmt` answers rule 3 for an image arch.
pub fn arch_compatible(image: &Arch, host: &Arch, binfmt: impl Fn(&Arch) -> bool) -> bool {
    use Arch::*;
    if *image == Unknown || image == host {
        return true;
    }
    if matches!(
        (image, host),
        (I386, Amd64) | (Arm, Arm64) | (Mips, Mips64) | (Mipsle, Mips64le)
    ) {
        return true;
    }
    binfmt(image)
}

/// The hex of an arch's 20-byte ELF header prefix (e_ident, e_type = ET_EXEC, e_machine), as
/// binfmt_misc shows a `magic` (qemu-user-static registers exactly these).
pub fn elf_magic(arch: &Arch) -> Option<String> {
    use Arch::*;
    // (64-bit, big-endian, e_machine)
    let (wide, big, machine): (bool, bool, u16) = match arch {
        I386 => (false, false, 3),
        Amd64 => (true, false, 62),
        Arm => (false, false, 40),
        Arm64 => (true, false, 183),
        Ppc64 => (true, true, 21),
        Ppc64le => (true, false, 21),
        Mips => (false, true, 8),
        Mipsle => (false, false, 8),
        Mips64 => (true, true, 8),
        Mips64le => (true, false, 8),
        S390x => (true, true, 22),
        Riscv64 => (true, false, 243),
        Loong64 => (true, false, 258),
        Unknown | Other(_) => return None,
    };
    let mut b = vec![
        0x7f,
        b'E',
        b'L',
        b'F',
        if wide { 2 } else { 1 },
        if big { 2 } else { 1 },
        1,
    ];
    b.resize(16, 0);
    let two = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    b.extend(two(2));
    b.extend(two(machine));
    Some(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Rule 3: binfmt_misc is enabled and an enabled entry with flag `F` has this arch's magic.
pub fn binfmt_accepts(arch: &Arch) -> bool {
    binfmt_accepts_in(Path::new("/proc/sys/fs/binfmt_misc"), arch)
}

fn binfmt_accepts_in(dir: &Path, arch: &Arch) -> bool {
    let Some(magic) = elf_magic(arch) else {
        return false;
    };
    let enabled = std::fs::read_to_string(dir.join("status")).is_ok_and(|s| s.trim() == "enabled");
    if !enabled {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name();
        if name == "status" || name == "register" {
            return false;
        }
        std::fs::read_to_string(e.path()).is_ok_and(|text| entry_matches(&text, &magic))
    })
}

/// One binfmt_misc entry file: `enabled`, `flags:` containing F, `magic <hex>` equal.
fn entry_matches(text: &str, magic: &str) -> bool {
    let mut lines = text.lines();
    let enabled = lines.next().map(str::trim) == Some("enabled");
    let flags = text
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .is_some_and(|f| f.trim().contains('F'));
    let same_magic = text
        .lines()
        .find_map(|l| l.strip_prefix("magic "))
        .is_some_and(|m| m.trim() == magic);
    enabled && flags && same_magic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_rules() {
        let no = |_: &Arch| false;
        assert!(arch_compatible(&Arch::Unknown, &Arch::Amd64, no));
        assert!(arch_compatible(&Arch::Amd64, &Arch::Amd64, no));
        assert!(arch_compatible(&Arch::I386, &Arch::Amd64, no));
        assert!(arch_compatible(&Arch::Arm, &Arch::Arm64, no));
        assert!(!arch_compatible(&Arch::Amd64, &Arch::I386, no));
        assert!(!arch_compatible(&Arch::S390x, &Arch::Amd64, no));
        assert!(arch_compatible(&Arch::S390x, &Arch::Amd64, |a| *a == Arch::S390x));
        assert!(!arch_compatible(
            &Arch::Other("14".into()),
            &Arch::Amd64,
            binfmt_accepts
        ));
    }

    #[test]
    fn elf_magics_match_qemu_registrations() {
        assert_eq!(
            elf_magic(&Arch::Arm64).unwrap(),
            "7f454c460201010000000000000000000200b700"
        );
        assert_eq!(
            elf_magic(&Arch::S390x).unwrap(),
            "7f454c4602020100000000000000000000020016"
        );
        assert_eq!(elf_magic(&Arch::Unknown), None);
    }

    #[test]
    fn binfmt_entries_need_enabled_flag_f_and_the_magic() {
        let dir = tempfile::tempdir().unwrap();
        let magic = elf_magic(&Arch::Arm64).unwrap();
        std::fs::write(dir.path().join("status"), "enabled\n").unwrap();
        let entry = |flags: &str| {
            format!(
                "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: {flags}\noffset 0\nmagic {magic}\nmask ff\n"
            )
        };
        std::fs::write(dir.path().join("qemu-aarch64"), entry("OC")).unwrap();
        assert!(!binfmt_accepts_in(dir.path(), &Arch::Arm64));
        std::fs::write(dir.path().join("qemu-aarch64"), entry("POCF")).unwrap();
        assert!(binfmt_accepts_in(dir.path(), &Arch::Arm64));
        assert!(!binfmt_accepts_in(dir.path(), &Arch::S390x));
        std::fs::write(dir.path().join("status"), "disabled\n").unwrap();
        assert!(!binfmt_accepts_in(dir.path(), &Arch::Arm64));
    }
}
