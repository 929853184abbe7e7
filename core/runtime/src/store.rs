//! The state root (oci-reference.md §5.2): the per-container record `CDIR/state.json` (§5.3,
//! temp file + fsync + rename), the per-ID lock (§5.4, flock with a 30 s wait and the
//! fstat/stat check) and the bundle claims. Paths are only ever built from a [`ContainerId`].

use crate::{ContainerId, Result, RuntimeError, Status};
use nix::fcntl::Flock;
use serde::{Deserialize, Serialize};
use sifter_bundle::{LockWaitError, flock_wait};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long an operation waits for a container's lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The record `CDIR/state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub version: u32,
    pub id: String,
    pub bundle: PathBuf,
    pub runtime: PathBuf,
    pub runtime_root: PathBuf,
    pub systemd_cgroup: bool,
    pub terminal: bool,
    pub status: Status,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// `conmon` (create) or `direct` (`run` holding the I/O itself with the runtime's `run`).
    pub monitor: Monitor,
    #[serde(flatten)]
    pub pids: Pids,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_file: Option<PathBuf>,
    pub log_path: PathBuf,
    pub log_format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_log_path: Option<PathBuf>,
    #[serde(default)]
    pub devices: Vec<String>,
    #[serde(default)]
    pub hooks: Vec<String>,
    #[serde(default)]
    pub hook_calls: Vec<serde_json::Value>,
    #[serde(default)]
    pub hook_provenance: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Monitor {
    Conmon,
    Direct,
}

/// PIDs with their start times (field 22 of `/proc/<pid>/stat`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pids {
    pub creator_pid: i32,
    pub creator_pid_start_time: Option<u64>,
    #[serde(default)]
    pub conmon_pid: i32,
    #[serde(default)]
    pub conmon_pid_start_time: Option<u64>,
    #[serde(default)]
    pub pid: i32,
    #[serde(default)]
    pub pid_start_time: Option<u64>,
    #[serde(default)]
    pub relay_pid: i32,
    #[serde(default)]
    pub relay_pid_start_time: Option<u64>,
}

/// The state root and every path below it.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn runtime_root(&self) -> PathBuf {
        self.root.join("runtime")
    }
    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }
    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }
    pub fn cdir(&self, id: &ContainerId) -> PathBuf {
        self.containers_dir().join(id.as_str())
    }
    pub fn record_path(&self, id: &ContainerId) -> PathBuf {
        self.cdir(id).join("state.json")
    }
    pub fn private_bundle(&self, id: &ContainerId) -> PathBuf {
        self.cdir(id).join("bundle")
    }
    pub fn exit_file(&self, id: &ContainerId) -> PathBuf {
        self.cdir(id).join("exit").join(id.as_str())
    }
    pub fn runtime_log(&self, id: &ContainerId) -> PathBuf {
        self.cdir(id).join("runtime.log")
    }
    pub fn lock_path(&self, id: &ContainerId) -> PathBuf {
        self.locks_dir().join(format!("{id}.lock"))
    }

    /// Creates `ROOT`, `runtime/`, `locks/`, `bundles/` and `containers/` (0700).
    pub fn ensure_layout(&self) -> Result<()> {
        for dir in [
            self.root.clone(),
            self.runtime_root(),
            self.locks_dir(),
            self.root.join("bundles"),
            self.containers_dir(),
        ] {
            mkdir_0700(&dir, true)?;
        }
        Ok(())
    }

    /// Reads the record, `None` when the container has none.
    pub fn load(&self, id: &ContainerId) -> Result<Option<Record>> {
        let path = self.record_path(id);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| RuntimeError::Record {
                        path,
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(RuntimeError::io("read", path)(e)),
        }
    }

    /// Writes the record: temp file in `CDIR`, fsync, rename over `state.json`.
    pub fn save(&self, id: &ContainerId, record: &Record) -> Result<()> {
        self.save_with(id, record, true)
    }

    /// [`Store::save`] with a choice of fsync. Only `run`'s direct path skips it: on a disk
    /// state root the first fsync in a new directory costs a journal commit (about 10 ms),
    /// a quarter of the latency budget, and a record lost to a power cut there is handled
    /// like a creator killed mid-create (`delete --force` removes what is left).
    pub fn save_with(&self, id: &ContainerId, record: &Record, durable: bool) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(record).expect("plain data serialises");
        bytes.push(b'\n');
        write_file(&self.record_path(id), &bytes, 0o600, durable)
    }

    /// IDs of every record, sorted by byte order.
    pub fn ids(&self) -> Result<Vec<ContainerId>> {
        let dir = self.containers_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RuntimeError::io("read", dir)(e)),
        };
        let mut ids: Vec<ContainerId> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| ContainerId::parse(&e.file_name().to_string_lossy()).ok())
            .filter(|id| self.record_path(id).exists())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Takes the per-ID lock, waiting up to [`LOCK_WAIT`].
    pub fn lock(&self, id: &ContainerId) -> Result<IdLock> {
        self.ensure_layout()?;
        let path = self.lock_path(id);
        let lock = flock_wait(&path, LOCK_WAIT).map_err(|e| match e {
            LockWaitError::Timeout => RuntimeError::Busy { id: id.to_string() },
            LockWaitError::Io(source) => RuntimeError::io("lock", &path)(source),
        })?;
        Ok(IdLock { path, _lock: lock })
    }
}

/// The exclusive flock on `ROOT/locks/<id>.lock`, released on drop.
pub struct IdLock {
    path: PathBuf,
    _lock: Flock<File>,
}

impl IdLock {
    /// Unlinks the lock file while still holding the lock (the last step of delete). Waiters
    /// notice through the fstat/stat comparison and retry on a fresh file.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `mkdir` with mode 0700 regardless of the umask; `exist_ok` accepts an existing directory.
pub fn mkdir_0700(path: &Path, exist_ok: bool) -> Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
                .map_err(RuntimeError::io("chmod", path))
        }
        Err(e) if exist_ok && e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(RuntimeError::io("create directory", path)(e)),
    }
}

/// Writes `bytes` to `path` atomically: `.<name>.<random>` beside it (O_EXCL, `mode`), fsync,
/// rename.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_file(path, bytes, mode, true)
}

/// [`write_atomic`], with the fsync only when `durable`; the rename keeps it atomic for
/// concurrent readers either way.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(RuntimeError::io("write", path)(e));
    }
    Ok(())
}

/// A plain record for `id` in `store`, for unit tests here and in `ops`.
#[cfg(test)]
impl Record {
    pub(crate) fn sample(store: &Store, id: &ContainerId, status: Status) -> Record {
        Record {
            version: 1,
            id: id.to_string(),
            bundle: "/b".into(),
            runtime: "/usr/sbin/runc".into(),
            runtime_root: store.runtime_root(),
            systemd_cgroup: false,
            terminal: false,
            status,
            created: "2026-11-29T12:00:00.000000000Z".into(),
            started_at: None,
            monitor: Monitor::Conmon,
            pids: Pids::default(),
            pid_file: None,
            log_path: store.cdir(id).join("container.log"),
            log_format: "kubernetes".into(),
            raw_log_path: None,
            devices: vec![],
            hooks: vec![],
            hook_calls: vec![],
            hook_provenance: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_roundtrip_and_sorted_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.ensure_layout().unwrap();
        for name in ["b", "a"] {
            let id = ContainerId::parse(name).unwrap();
            mkdir_0700(&store.cdir(&id), false).unwrap();
            let rec = Record::sample(&store, &id, Status::Creating);
            store.save(&id, &rec).unwrap();
        }
        let ids: Vec<String> = store.ids().unwrap().iter().map(|i| i.to_string()).collect();
        assert_eq!(ids, ["a", "b"]);
        let a = store
            .load(&ContainerId::parse("a").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(a.status, Status::Creating);
        assert!(
            store
                .load(&ContainerId::parse("zz").unwrap())
                .unwrap()
                .is_none()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.record_path(&ContainerId::parse("a").unwrap()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
