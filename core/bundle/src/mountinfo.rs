//! `/proc/self/mountinfo`: a pure parser (proc(5) format, octal escapes undone) and lookups by
//! mount point. Used before undoing a mount (only a mount point shown here with the recorded
//! fs type is unmounted) and by the leak checks of the tests.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub id: u32,
    pub parent: u32,
    /// Root of the mount within its filesystem.
    pub root: PathBuf,
    pub mount_point: PathBuf,
    /// Per-mount options (`rw,nosuid,nodev,relatime`).
    pub options: String,
    pub fstype: String,
    pub source: String,
    pub super_options: String,
}

impl MountEntry {
    /// True when the per-mount options contain `opt` (`nosuid`).
    pub fn has_option(&self, opt: &str) -> bool {
        self.options.split(',').any(|o| o == opt)
    }
}

/// Parses the whole file; malformed lines are skipped.
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<MountEntry> {
    let mut fields = line.split(' ');
    let id = fields.next()?.parse().ok()?;
    let parent = fields.next()?.parse().ok()?;
    let _devno = fields.next()?;
    let root = unescape(fields.next()?);
    let mount_point = unescape(fields.next()?);
    let options = fields.next()?.to_string();
    // Optional fields up to the "-" separator.
    for f in fields.by_ref() {
        if f == "-" {
            break;
        }
    }
    let fstype = fields.next()?.to_string();
    let source = unescape(fields.next()?).to_string_lossy().into_owned();
    let super_options = fields.next().unwrap_or("").to_string();
    Some(MountEntry {
        id,
        parent,
        root,
        mount_point,
        options,
        fstype,
        source,
        super_options,
    })
}

/// Undoes the kernel's `\ooo` escapes (space, tab, newline, backslash).
fn unescape(field: &str) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// Reads and parses `/proc/self/mountinfo`.
pub fn read() -> std::io::Result<Vec<MountEntry>> {
    std::fs::read_to_string("/proc/self/mountinfo").map(|t| parse(&t))
}

/// The topmost mount at exactly `path` (the last one listed), if any.
pub fn mounted_at<'a>(entries: &'a [MountEntry], path: &Path) -> Option<&'a MountEntry> {
    entries.iter().rev().find(|e| e.mount_point == path)
}

/// Every mount at or below `dir`.
pub fn under<'a>(entries: &'a [MountEntry], dir: &Path) -> Vec<&'a MountEntry> {
    entries
        .iter()
        .filter(|e| e.mount_point.starts_with(dir))
        .collect()
}

/// The mount that contains `path` (longest mount point prefix; the last listed wins).
pub fn containing<'a>(entries: &'a [MountEntry], path: &Path) -> Option<&'a MountEntry> {
    entries
        .iter()
        .rev()
        .filter(|e| path.starts_with(&e.mount_point))
        .max_by_key(|e| e.mount_point.components().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
36 22 98:0 /mnt1 /var/tmp/a\\040b rw,nosuid,nodev master:1 - squashfs /dev/loop3 ro
37 36 0:40 / /var/tmp/a\\040b/rootfs rw,nosuid,nodev,relatime - overlay overlay rw,lowerdir=/x
38 22 0:41 / /var/tmp/f ro,nosuid,nodev shared:5 master:2 - fuse.squashfuse_ll squashfuse_ll ro,user_id=0
bad line
";

    #[test]
    fn parses_fields_optional_tags_and_escapes() {
        let e = parse(SAMPLE);
        assert_eq!(e.len(), 4);
        assert_eq!(e[1].mount_point, PathBuf::from("/var/tmp/a b"));
        assert_eq!(e[1].root, PathBuf::from("/mnt1"));
        assert_eq!(e[1].fstype, "squashfs");
        assert_eq!(e[1].source, "/dev/loop3");
        assert!(e[1].has_option("nosuid") && e[1].has_option("nodev"));
        assert_eq!(e[3].fstype, "fuse.squashfuse_ll");
        assert_eq!(e[2].parent, 36);
    }

    #[test]
    fn lookups() {
        let e = parse(SAMPLE);
        let b = Path::new("/var/tmp/a b");
        assert_eq!(mounted_at(&e, b).unwrap().id, 36);
        assert_eq!(under(&e, b).len(), 2);
        assert!(mounted_at(&e, Path::new("/var/tmp")).is_none());
        assert_eq!(containing(&e, Path::new("/var/tmp/zz")).unwrap().id, 22);
        assert_eq!(containing(&e, &b.join("rootfs/etc")).unwrap().id, 37);
    }
}
