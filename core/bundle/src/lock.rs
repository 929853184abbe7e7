//! The per-bundle lock `ROOT/locks/bundle-<key>.lock` and the claim path
//! `ROOT/bundles/<key>.json` (oci-reference.md §5.2, §5.4), shared with the lifecycle engine.
//! The lock is an exclusive `flock`; the file is unlinked on release so `ROOT/locks` ends up
//! empty, and a waiter that locked an unlinked file notices (fstat ≠ stat) and retries.

use crate::{BundleError, Result};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long `acquire` waits for another sifter process (§5.4: 30 s).
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(20);

/// Lowercase hex SHA-256 of the canonical absolute bundle path.
pub fn bundle_key(canonical_bundle: &Path) -> String {
    let digest = Sha256::digest(canonical_bundle.as_os_str().as_encoded_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `ROOT/bundles/<key>.json`.
pub fn claim_path(root: &Path, key: &str) -> PathBuf {
    root.join("bundles").join(format!("{key}.json"))
}

/// A bundle claim: one container per bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub bundle: PathBuf,
    pub id: String,
}

/// Reads `ROOT/bundles/<key>.json`; `None` when absent.
pub fn read_claim(root: &Path, key: &str) -> Result<Option<Claim>> {
    let path = claim_path(root, key);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| BundleError::BadClaim {
                path,
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BundleError::io("read bundle claim", path, e)),
    }
}

/// The canonical form of an absolute bundle path: symlinks resolved; for a bundle that does
/// not exist yet, its parent resolved and the last component appended.
pub fn canonical_bundle(bundle: &Path) -> Result<PathBuf> {
    match std::fs::canonicalize(bundle) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (Some(parent), Some(name)) = (bundle.parent(), bundle.file_name()) else {
                return Err(BundleError::io("resolve bundle path", bundle, e));
            };
            let parent = std::fs::canonicalize(parent)
                .map_err(|e| BundleError::io("resolve the parent directory of", bundle, e))?;
            Ok(parent.join(name))
        }
        Err(e) => Err(BundleError::io("resolve bundle path", bundle, e)),
    }
}

/// An exclusive lock on one bundle, released (and its file unlinked) on drop.
#[derive(Debug)]
pub struct BundleLock {
    path: PathBuf,
    key: String,
    lock: Option<Flock<File>>,
}

impl BundleLock {
    /// Takes `ROOT/locks/bundle-<key>.lock`, creating `ROOT` and `ROOT/locks` (0700) as needed;
    /// waits up to 30 s for another holder.
    pub fn acquire(root: &Path, canonical_bundle: &Path) -> Result<BundleLock> {
        let key = bundle_key(canonical_bundle);
        let dir = root.join("locks");
        let path = dir.join(format!("bundle-{key}.lock"));
        let lock = match flock_wait(&path, WAIT) {
            Err(LockWaitError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&dir)
                    .map_err(|e| BundleError::io("create lock directory", &dir, e))?;
                flock_wait(&path, WAIT)
            }
            other => other,
        }
        .map_err(|e| match e {
            LockWaitError::Timeout => BundleError::Busy {
                bundle: canonical_bundle.to_path_buf(),
            },
            LockWaitError::Io(source) => BundleError::io("lock", &path, source),
        })?;
        tracing::debug!(bundle = %canonical_bundle.display(), lock = %path.display(), "bundle lock taken");
        Ok(BundleLock {
            path,
            key,
            lock: Some(lock),
        })
    }

    /// The bundle key (for the claim path).
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for BundleLock {
    fn drop(&mut self) {
        // Unlink while still holding the flock, so nobody can lock this inode and believe it
        // is current; then close.
        let _ = std::fs::remove_file(&self.path);
        drop(self.lock.take());
    }
}

/// Why [`flock_wait`] gave up.
#[derive(Debug)]
pub enum LockWaitError {
    /// Another holder kept the lock for the whole wait.
    Timeout,
    Io(std::io::Error),
}

/// The one lock-file protocol of the state root (oci-reference.md §5.4), shared by the bundle
/// lock and the runtime's per-id lock: open (creating, no symlinks) and `flock(LOCK_EX)` with
/// polling up to `wait`; once locked, the open file must still be the one at `path` (a holder
/// may unlink it when done), else reopen and retry.
pub fn flock_wait(path: &Path, wait: Duration) -> std::result::Result<Flock<File>, LockWaitError> {
    let deadline = Instant::now() + wait;
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(path)
            .map_err(LockWaitError::Io)?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => {
                let held = lock.metadata().map_err(LockWaitError::Io)?;
                match std::fs::metadata(path) {
                    Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {
                        return Ok(lock);
                    }
                    _ => continue,
                }
            }
            Err((_, Errno::EWOULDBLOCK)) => {
                if Instant::now() >= deadline {
                    return Err(LockWaitError::Timeout);
                }
                std::thread::sleep(POLL);
            }
            Err((_, errno)) => return Err(LockWaitError::Io(errno.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_sha256_hex_of_the_path() {
        assert_eq!(
            bundle_key(Path::new("/")),
            "8a5edab282632443219e051e4ade2d1d5bbc671c781051bf1437897cbdfea0f1"
        );
    }

    #[test]
    fn lock_is_exclusive_and_unlinked_on_release() {
        let root = tempfile::tempdir().unwrap();
        let lock = BundleLock::acquire(root.path(), Path::new("/b")).unwrap();
        let file = root
            .path()
            .join(format!("locks/bundle-{}.lock", bundle_key(Path::new("/b"))));
        assert!(file.exists());
        let other = File::open(&file).unwrap();
        assert!(Flock::lock(other, FlockArg::LockExclusiveNonblock).is_err());
        drop(lock);
        assert!(!file.exists());
        let again = BundleLock::acquire(root.path(), Path::new("/b")).unwrap();
        drop(again);
        assert_eq!(
            std::fs::read_dir(root.path().join("locks"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn canonical_bundle_of_a_missing_dir() {
        let dir = tempfile::tempdir().unwrap();
        let canon = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            canonical_bundle(&dir.path().join("new")).unwrap(),
            canon.join("new")
        );
    }

    #[test]
    fn lock_is_exclusive_and_survives_unlink() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.lock");
        let first = flock_wait(&path, Duration::from_millis(10)).ok().unwrap();
        assert!(matches!(
            flock_wait(&path, Duration::from_millis(50)),
            Err(LockWaitError::Timeout)
        ));
        std::fs::remove_file(&path).unwrap();
        drop(first);
        let second = flock_wait(&path, Duration::from_millis(10)).ok().unwrap();
        assert!(path.exists());
        drop(second);
    }
}
