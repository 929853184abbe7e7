//! The mount record `BUNDLE/.sifter-mount.json` (oci-reference.md §3.4): what `mount` intends
//! and has done, written before each mutating step through a temp file and a rename, so that
//! `umount` can finish the job after a crash at any point. Step paths are relative to the
//! bundle and are validated on reading, so a tampered record cannot point `umount` outside it.

use crate::layout::BundleLayout;
use crate::{BundleError, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

pub const RECORD_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MountRecord {
    pub version: u32,
    pub sif: SifInfo,
    pub partition: PartitionInfo,
    pub labels: Map<String, Value>,
    pub method: Method,
    pub created_bundle: bool,
    pub steps: Vec<Step>,
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SifInfo {
    /// Absolute canonical path.
    pub path: PathBuf,
    pub dev: u64,
    pub inode: u64,
    /// Header UUID, lower-case hyphenated.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartitionInfo {
    pub offset: u64,
    pub size: u64,
    /// Go architecture name (`amd64`).
    pub arch: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Loop,
    Fuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Mkdir,
    Bind,
    Loop,
    Mount,
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    Intended,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    pub kind: StepKind,
    /// Bundle-relative path (mkdir, bind, mount, file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `/dev/loopN` (loop; absent while only intended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Expected fs type in mountinfo (bind, mount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    pub state: StepState,
}

impl Step {
    pub fn new(kind: StepKind, path: Option<&str>, fstype: Option<&str>) -> Step {
        Step {
            kind,
            path: path.map(PathBuf::from),
            device: None,
            fstype: fstype.map(str::to_string),
            state: StepState::Intended,
        }
    }
}

impl MountRecord {
    pub fn sif_path(&self) -> &Path {
        &self.sif.path
    }
    pub fn sif_id(&self) -> &str {
        &self.sif.id
    }
    pub fn labels(&self) -> &Map<String, Value> {
        &self.labels
    }
    /// The partition's Go architecture name.
    pub fn arch(&self) -> &str {
        &self.partition.arch
    }

    /// True when some step of `kind` at `path` is recorded (intended or done).
    pub fn has(&self, kind: StepKind, path: &str) -> bool {
        self.step(kind, path).is_some()
    }

    pub fn step(&self, kind: StepKind, path: &str) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.kind == kind && s.path.as_deref() == Some(Path::new(path)))
    }

    /// Checks what a reader must not trust blindly: relative paths without `..`, loop
    /// device names.
    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| BundleError::BadRecord {
            path: path.to_path_buf(),
            reason,
        };
        if self.version != RECORD_VERSION {
            return Err(bad(format!("unsupported version {}", self.version)));
        }
        for step in &self.steps {
            if let Some(p) = &step.path
                && (p.as_os_str().is_empty()
                    || !p.components().all(|c| matches!(c, Component::Normal(_))))
            {
                return Err(bad(format!(
                    "step path {} is not bundle-relative",
                    p.display()
                )));
            }
            if let Some(dev) = &step.device {
                let n = dev.strip_prefix("/dev/loop").unwrap_or("");
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(format!("{dev} is not a loop device")));
                }
            }
        }
        Ok(())
    }
}

/// Reads `BUNDLE/.sifter-mount.json`; `None` when it (or the bundle) does not exist.
pub fn read_record(bundle: &Path) -> Result<Option<MountRecord>> {
    let path = BundleLayout::new(bundle).record();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(BundleError::io("read mount record", path, e)),
    };
    let record: MountRecord =
        serde_json::from_slice(&bytes).map_err(|e| BundleError::BadRecord {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    record.validate(&path)?;
    Ok(Some(record))
}

/// Writes the record atomically (a 0600 temp file in the bundle renamed over it), with
/// fsyncs only when `durable`. A rename alone is atomic against a killed process, which is the
/// crash the record must survive step by step; `mount` makes the first and the final write
/// durable (fsyncs cost ~7 ms each here and there are ~20 intermediate writes).
pub fn write_record(layout: &BundleLayout, record: &MountRecord, durable: bool) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(record).expect("plain data serialises");
    bytes.push(b'\n');
    write_file(layout.bundle(), &layout.record(), &bytes, durable)
}

/// Removes the record (ENOENT is fine) and fsyncs the bundle directory.
pub fn remove_record(layout: &BundleLayout) -> Result<()> {
    let path = layout.record();
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BundleError::io("remove mount record", path, e)),
    }
    Ok(())
}

/// `dir/.<name>.<random>` (O_CREAT|O_EXCL, 0600), write, fsync, rename to `target`, fsync
/// `dir`. The temp name starts with `.<name>.` so `umount` can sweep crash leftovers.
pub fn write_atomic(dir: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    write_file(dir, target, bytes, true)
}

fn write_file(dir: &Path, target: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{}.", name.trim_start_matches('.'));
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempfile_in(dir)
        .map_err(|e| BundleError::io("create a temp file in", dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| {
            if durable {
                tmp.as_file().sync_all()
            } else {
                Ok(())
            }
        })
        .map_err(|e| BundleError::io("write", tmp.path().to_path_buf(), e))?;
    tmp.persist(target)
        .map_err(|e| BundleError::io("rename a temp file to", target, e.error))?;
    if durable { sync_dir(dir) } else { Ok(()) }
}

/// fsyncs a directory so a rename or unlink in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| BundleError::io("sync directory", dir, e))
}

/// True for the temp files `write_atomic` leaves behind when killed mid-write.
pub fn is_temp_leftover(name: &str) -> bool {
    name.starts_with(".sifter-mount.json.") || name.starts_with(".config.json.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MountRecord {
        MountRecord {
            version: 1,
            sif: SifInfo {
                path: "/x.sif".into(),
                dev: 1,
                inode: 2,
                id: "u".into(),
            },
            partition: PartitionInfo {
                offset: 4096,
                size: 10,
                arch: "amd64".into(),
            },
            labels: Map::new(),
            method: Method::Loop,
            created_bundle: true,
            steps: vec![Step::new(StepKind::Mkdir, Some("rootfs"), None)],
            complete: false,
        }
    }

    #[test]
    fn round_trip_and_camel_case() {
        let dir = tempfile::tempdir().unwrap();
        let layout = BundleLayout::new(dir.path());
        write_record(&layout, &sample(), true).unwrap();
        let text = std::fs::read_to_string(layout.record()).unwrap();
        assert!(text.contains("\"createdBundle\": true"));
        assert!(text.contains("\"state\": \"intended\""));
        assert_eq!(read_record(dir.path()).unwrap(), Some(sample()));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(layout.record())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        remove_record(&layout).unwrap();
        assert_eq!(read_record(dir.path()).unwrap(), None);
    }

    #[test]
    fn rejects_paths_outside_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let layout = BundleLayout::new(dir.path());
        for bad in ["../etc", "/etc", "a/../../b"] {
            let mut r = sample();
            r.steps[0].path = Some(bad.into());
            write_record(&layout, &r, false).unwrap();
            let err = read_record(dir.path()).unwrap_err();
            assert!(err.to_string().contains("not bundle-relative"), "{err}");
        }
        let mut r = sample();
        r.steps.push(Step {
            device: Some("/dev/sda".into()),
            ..Step::new(StepKind::Loop, None, None)
        });
        write_record(&layout, &r, false).unwrap();
        assert!(read_record(dir.path()).is_err());
    }
}
