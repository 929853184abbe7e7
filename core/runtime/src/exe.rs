//! The sealed copy of crun that each crun process sifter starts itself runs from.
//!
//! crun (like runc) guards the host binary against CVE-2019-5736 by re-executing itself from a
//! read-only copy before doing anything (`libcrun_rexec` → `ensure_cloned_binary`), unless
//! `/proc/self/exe` already is a memfd carrying exactly the seals `SEAL | SHRINK | GROW | WRITE`.
//! That exception is the runtimes' documented way to share such a copy (crun's and runc's
//! `cloned_binary.c`; runc ships `memfd-bind` for it). Here crun pays a read-only bind mount, its
//! detach (an expedited RCU grace period) and a second exec, about 1.5 ms per call; sifter copies
//! the 0.5 MB binary into a sealed memfd (about 0.3 ms) and starts crun from it instead. The
//! container cannot write to the copy (the seals), nor reach the host binary through it.
//!
//! The child execs the copy through its inherited descriptor, by a symlink
//! `CDIR/.exe-<pid>-<n>/crun -> /proc/self/fd/<fd>`: the kernel names a process after the file
//! name it was executed by, and `ps`, `top` and `pgrep` should keep seeing `crun`, not the
//! descriptor number. The symlink goes as soon as the process has started.
//!
//! runc's binary is 8.7 MB here: copying it would cost more than its own clone saves, so runc
//! (and any runtime driven like runc) still starts from its path. Whatever fails (no memfd, a
//! short copy, a refused seal) falls back to the path as well: the runtime then protects itself.

use crate::driver::Flavor;
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The seals crun and runc look for (anything more or less makes them clone themselves).
fn seals() -> SealFlag {
    SealFlag::F_SEAL_SEAL | SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_WRITE
}

/// A sealed in-memory copy of a runtime binary and the symlink a child execs it by; both must
/// outlive the spawn that uses them.
#[derive(Debug)]
pub struct SealedExe {
    // Held open: the child execs the copy through this descriptor.
    _memfd: File,
    name: String,
    link_dir: PathBuf,
}

impl SealedExe {
    /// The copy for `runtime` when it is crun, linked from a fresh directory in `dir`; `None`
    /// for other runtimes and on any failure.
    pub fn for_runtime(runtime: &Path, dir: &Path) -> Option<SealedExe> {
        if !Flavor::of(runtime).takes_sealed_copy() {
            return None;
        }
        match Self::copy(runtime, dir) {
            Ok(exe) => Some(exe),
            Err(e) => {
                tracing::debug!(runtime = %runtime.display(), error = %e, "runtime starts from its path");
                None
            }
        }
    }

    fn copy(runtime: &Path, dir: &Path) -> std::io::Result<SealedExe> {
        let name = runtime
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| std::io::Error::other("no file name"))?;
        let flags = MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING;
        // MFD_EXEC (Linux 6.3) keeps the copy executable under vm.memfd_noexec=1 and avoids the
        // kernel's warning; older kernels reject the unknown flag.
        let fd: OwnedFd = memfd_create(
            name.as_str(),
            flags | MFdFlags::from_bits_retain(libc::MFD_EXEC),
        )
        .or_else(|_| memfd_create(name.as_str(), flags))?;
        let mut memfd = File::from(fd);
        let mut src = File::open(runtime)?;
        let len = src.metadata()?.len();
        let copied = std::io::copy(&mut src, &mut memfd)?;
        if copied != len {
            return Err(std::io::Error::other(format!(
                "copied {copied} of {len} bytes"
            )));
        }
        fcntl(&memfd, FcntlArg::F_ADD_SEALS(seals()))?;
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let link_dir = dir.join(format!(
            ".exe-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::DirBuilder::new().mode(0o700).create(&link_dir)?;
        let target = format!("/proc/self/fd/{}", memfd.as_raw_fd());
        if let Err(e) = std::os::unix::fs::symlink(target, link_dir.join(&name)) {
            let _ = std::fs::remove_dir(&link_dir);
            return Err(e);
        }
        Ok(SealedExe {
            _memfd: memfd,
            name,
            link_dir,
        })
    }

    /// What the child executes: the symlink, resolved by the kernel through the child's copy
    /// of the descriptor (close-on-exec applies only once the file is open).
    pub fn program(&self) -> PathBuf {
        self.link_dir.join(&self.name)
    }
}

impl Drop for SealedExe {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.link_dir.join(&self.name));
        let _ = std::fs::remove_dir(&self.link_dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_crun_gets_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SealedExe::for_runtime(Path::new("/usr/sbin/runc"), dir.path()).is_none());
        assert!(SealedExe::for_runtime(Path::new("/nonexistent/crun"), dir.path()).is_none());
        let gone = dir.path().join("gone");
        let fake = dir.path().join("crun");
        std::fs::copy("/bin/true", &fake).unwrap();
        assert!(SealedExe::for_runtime(&fake, &gone).is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_copy_is_sealed_as_the_runtimes_expect_and_runs_under_the_runtime_name() {
        // A stand-in binary named like crun: the flavour goes by the file name.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("crun");
        std::fs::copy("/bin/sleep", &fake).unwrap();
        let exe = SealedExe::for_runtime(&fake, dir.path()).expect("a memfd copy");
        let got = fcntl(&exe._memfd, FcntlArg::F_GET_SEALS).unwrap();
        assert_eq!(got, seals().bits());
        assert_eq!(
            exe._memfd.metadata().unwrap().len(),
            fake.metadata().unwrap().len()
        );
        let mut child = std::process::Command::new(exe.program())
            .arg("10")
            .spawn()
            .unwrap();
        drop(exe);
        let proc = format!("/proc/{}", child.id());
        let comm = std::fs::read_to_string(format!("{proc}/comm")).unwrap();
        let image = std::fs::read_link(format!("{proc}/exe")).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(comm, "crun\n");
        assert!(
            image.to_string_lossy().starts_with("/memfd:crun"),
            "{}",
            image.display()
        );
        // Only the stand-in is left: the link and its directory went with the handle.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["crun"]);
    }
}
