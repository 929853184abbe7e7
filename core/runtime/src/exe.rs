//! The sealed copy of crun that each crun process sifter starts itself runs from.
//!
//! crun (like runc) guards the host binary against CVE-2019-5736 by re-executing itself from a
//! read-only copy before doing anything (`libcrun_rexec` → `ensure_cloned_binary`), unless
//! `/proc/self/exe` already is a memfd carrying exactly the seals `SEAL | SHRINK | GROW | WRITE`.
//! That exception is the runtimes' documented way to share such a copy (crun's and runc's
//! `cloned_binary.c`; runc ships `memfd-bind` for it). Here crun pays a read-only bind mount, its
//! detach (an expedited RCU grace period) and a second exec, about 1.5 ms per call; sifter copies
//! the 0.5 MB binary into a sealed memfd (0.14 ms here) and starts crun from it instead. The
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
//!
//! `run` and `exec` have the copy made ahead on their helper thread (`prime.rs`, [`AHEAD`]),
//! while they write the container's state; the spawn then takes it, waiting if need be.

use crate::driver::Flavor;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, SealFlag, fcntl, open};
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::sendfile::sendfile64;
use nix::sys::stat::{Mode, fstat};
use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

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
        let memfd = match take_ahead(runtime) {
            Some(fd) => fd,
            None => Source::of(runtime)?.copy()?,
        };
        let memfd = File::from(memfd);
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

/// A sealed memfd copy of the file at `path`, named `name`; allocates nothing, so that the
/// helper thread can make it (see [`Source::make`]).
fn copy_sealed(path: &CStr, name: &CStr) -> nix::Result<OwnedFd> {
    let flags = MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING;
    // MFD_EXEC (Linux 6.3) keeps the copy executable under vm.memfd_noexec=1 and avoids the
    // kernel's warning; older kernels reject the unknown flag.
    let memfd = memfd_create(name, flags | MFdFlags::from_bits_retain(libc::MFD_EXEC))
        .or_else(|_| memfd_create(name, flags))?;
    let src = open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    let len = usize::try_from(fstat(&src)?.st_size).map_err(|_| Errno::EFBIG)?;
    let mut copied = 0;
    while copied < len {
        match sendfile64(&memfd, &src, None, len - copied)? {
            0 => return Err(Errno::EIO), // the file shrank meanwhile
            n => copied += n,
        }
    }
    fcntl(&memfd, FcntlArg::F_ADD_SEALS(seals()))?;
    Ok(memfd)
}

/// A runtime binary to copy: its path, and its file name for the memfd.
#[derive(Debug)]
pub(crate) struct Source {
    path: CString,
    name: CString,
}

impl Source {
    fn of(runtime: &Path) -> std::io::Result<Source> {
        let c = |p: &std::ffi::OsStr| CString::new(p.as_bytes()).map_err(std::io::Error::other);
        let name = runtime
            .file_name()
            .ok_or_else(|| std::io::Error::other("no file name"))?;
        Ok(Source {
            path: c(runtime.as_os_str())?,
            name: c(name)?,
        })
    }

    fn copy(&self) -> nix::Result<OwnedFd> {
        copy_sealed(&self.path, &self.name)
    }
}

/// Where the copy made ahead goes, and the signal that it is there.
enum Slot {
    Empty,
    Pending,
    /// `None`: the copy failed; the spawn copies inline (and reports why).
    Ready(Option<OwnedFd>),
}

/// The copy that the helper thread ([`crate::prime`]) makes while sifter does its other work,
/// so that the 0.14 ms copy is off the way to the runtime's start; the spawn for the same
/// runtime path takes it (waiting if it is not done yet).
static AHEAD: OnceLock<Source> = OnceLock::new();
static SLOT: Mutex<Slot> = Mutex::new(Slot::Empty);
static READY: Condvar = Condvar::new();

/// Plans the copy of `runtime` ahead, when it is a runtime that takes one; at most once per
/// process. The caller hands the result to a thread that calls [`Source::make`], or calls
/// [`Source::cancel`] when it cannot.
pub(crate) fn ahead_for(runtime: &Path) -> Option<&'static Source> {
    if !Flavor::of(runtime).takes_sealed_copy() || AHEAD.get().is_some() {
        return None;
    }
    AHEAD.set(Source::of(runtime).ok()?).ok()?;
    *lock() = Slot::Pending;
    AHEAD.get()
}

/// The copy planned ahead ([`AHEAD`]), from the helper thread's side.
impl Source {
    /// Makes the copy and hands it over; allocates nothing (the helper thread's rule).
    pub(crate) fn make(&self) {
        let copy = self.copy().ok();
        let mut slot = lock();
        if matches!(*slot, Slot::Pending) {
            *slot = Slot::Ready(copy);
            READY.notify_all();
        }
    }

    /// No thread will make the copy: the spawn copies inline.
    pub(crate) fn cancel(&self) {
        *lock() = Slot::Empty;
    }
}

fn lock() -> std::sync::MutexGuard<'static, Slot> {
    SLOT.lock().unwrap_or_else(|e| e.into_inner())
}

/// The copy made ahead for `runtime`, waiting for it while it is under way.
fn take_ahead(runtime: &Path) -> Option<OwnedFd> {
    let planned = AHEAD.get()?;
    if planned.path.as_bytes() != runtime.as_os_str().as_bytes() {
        return None;
    }
    let mut slot = lock();
    while matches!(*slot, Slot::Pending) {
        slot = READY.wait(slot).unwrap_or_else(|e| e.into_inner());
    }
    match std::mem::replace(&mut *slot, Slot::Empty) {
        Slot::Ready(fd) => fd,
        _ => None,
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

    /// The only test that plans a copy ahead: that is once per process.
    #[test]
    fn a_copy_made_ahead_is_waited_for_and_taken_by_the_spawn() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("crun");
        std::fs::copy("/bin/true", &fake).unwrap();
        assert!(ahead_for(Path::new("/usr/sbin/runc")).is_none());
        let ahead = ahead_for(&fake).expect("planned");
        assert!(ahead_for(&fake).is_none(), "once per process");
        let maker = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            ahead.make();
        });
        let exe = SealedExe::for_runtime(&fake, dir.path()).expect("a copy");
        maker.join().unwrap();
        // Had the spawn copied inline instead of waiting, the late copy would sit in the slot.
        assert!(matches!(*lock(), Slot::Empty));
        let got = fcntl(&exe._memfd, FcntlArg::F_GET_SEALS).unwrap();
        assert_eq!(got, seals().bits());
        assert_eq!(
            exe._memfd.metadata().unwrap().len(),
            fake.metadata().unwrap().len()
        );
        // Another runtime path copies inline and leaves the slot alone.
        let other = dir.path().join("bin/crun");
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::copy("/bin/true", &other).unwrap();
        assert!(SealedExe::for_runtime(&other, dir.path()).is_some());
    }

    #[test]
    fn copy_sealed_copies_the_whole_file_or_fails() {
        let c = |s: &str| CString::new(s).unwrap();
        assert_eq!(
            copy_sealed(&c("/nonexistent/crun"), &c("crun")).unwrap_err(),
            Errno::ENOENT
        );
        let copy = copy_sealed(&c("/bin/true"), &c("true")).unwrap();
        let len = std::fs::metadata("/bin/true").unwrap().len();
        assert_eq!(File::from(copy).metadata().unwrap().len(), len);
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
