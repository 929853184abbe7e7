//! The helper thread of `run`, `create` and `exec`: it starts the kernel's cgroup-migration
//! grace period early, so that the runtime's own cgroup join does not wait for all of it, and
//! makes crun's sealed copy (`exe.rs`) meanwhile.
//!
//! Every write of a process or thread ID to a `cgroup.procs`, `tasks` or `cgroup.threads` file
//! (the runtime moving the container's process into its cgroups, `runc exec` joining them)
//! takes the kernel's global `cgroup_threadgroup_rwsem` for writing. When no migration ran
//! within the last RCU grace period, that first waits a whole grace period (`rcu_sync_enter`):
//! 7–11 ms on the 2-vCPU VM of the benchmarks, as long as a whole `crun run` of `/bin/true`
//! started right after another one. A migration that follows within a grace period does not
//! wait.
//!
//! So `run`, `create` and `exec` first start a short-lived thread that moves itself into the
//! cgroup it already is in, in the first hierarchy that lets it: the kernel takes the same lock,
//! and its grace period elapses while sifter and the runtime do their other work. Moving a
//! thread to the cgroup it is in changes nothing (the kernel skips a move to the same set of
//! cgroups), and the thread ends straight after. Nothing else is written. When it cannot (no
//! permission, a read-only `/sys/fs/cgroup`, a cgroup outside the namespace's root) the runtime
//! simply waits as it would have.
//!
//! Starting the thread costs 0.15–0.25 ms here even when it does nothing, which is pure cost
//! when the lock is still warm from a container started moments before; so the thread also
//! makes crun's sealed copy (0.14 ms) before it moves itself, which the main thread would
//! otherwise make on its way to the spawn.
//!
//! Starting a bare pthread takes `unsafe` (see [`start`]).
#![allow(unsafe_code)]

use crate::exe::Source;
use nix::fcntl::{OFlag, open};
use nix::sys::signal::{SigSet, SigmaskHow, pthread_sigmask};
use nix::sys::stat::Mode;
use std::ffi::{CString, c_void};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The files a thread moves itself by, per hierarchy directory: v1 `tasks`, v2 `cgroup.threads`.
const THREAD_FILES: [&str; 2] = ["tasks", "cgroup.threads"];

/// What the helper thread does, built once by the first [`start`]; static, so that the
/// thread reads it without allocating or freeing (see [`start`]).
struct Plan {
    /// The runtime's sealed copy to make first ([`crate::exe`]), if it takes one.
    copy: Option<&'static Source>,
    /// The candidate files to move the thread by.
    files: Vec<CString>,
}

static PLAN: OnceLock<Plan> = OnceLock::new();

/// Starts the helper thread and returns at once; a no-op after the first call. The thread
/// first makes the sealed copy of `runtime` when sifter will start it itself and it takes one
/// (`exe.rs`), then, if `migrate` (the site's `prime_cgroup_migration`), moves itself into its
/// own cgroup under `/sys/fs/cgroup`.
///
/// The thread is a bare detached pthread that neither allocates nor frees: glibc would give a
/// thread that does either a malloc arena of its own (a 128 MiB reservation, trimmed), and
/// `std::thread` frees its bookkeeping in the thread when detached. It blocks every signal, so
/// that a signal for the process still reaches the thread that waits for it (a `signalfd`).
pub fn start(runtime: Option<&Path>, migrate: bool) {
    if PLAN.get().is_some() {
        return;
    }
    let plan = PLAN.get_or_init(|| Plan {
        copy: runtime.and_then(crate::exe::ahead_for),
        files: own_files(migrate),
    });
    if plan.files.is_empty() && plan.copy.is_none() {
        return;
    }
    if let Err(e) = spawn(plan) {
        tracing::debug!(error = %e, "no helper thread");
        if let Some(copy) = plan.copy {
            copy.cancel();
        }
    }
}

/// Creates the detached thread for `plan` with every signal blocked (a thread starts with its
/// creator's mask, which is restored after).
fn spawn(plan: &'static Plan) -> nix::Result<()> {
    let mut old = SigSet::empty();
    pthread_sigmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut old),
    )?;
    let arg = std::ptr::from_ref(plan).cast_mut().cast::<c_void>();
    // SAFETY: `attr` is initialised by pthread_attr_init before use and destroyed after;
    // `thread_main` has the C signature pthread_create expects, never unwinds (nothing in it
    // panics) and reads `arg` as the `&'static Plan` it is (PLAN is never dropped); the
    // thread is detached, so nothing joins or leaks its handle.
    let rc = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        let mut rc = libc::pthread_attr_init(&mut attr);
        if rc == 0 {
            libc::pthread_attr_setstacksize(&mut attr, 64 * 1024);
            libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
            let mut thread: libc::pthread_t = 0;
            rc = libc::pthread_create(&mut thread, &attr, thread_main, arg);
            libc::pthread_attr_destroy(&mut attr);
        }
        rc
    };
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    match rc {
        0 => Ok(()),
        e => Err(nix::errno::Errno::from_raw(e)),
    }
}

/// The thread's candidate files for this process; none unless `migrate`.
fn own_files(migrate: bool) -> Vec<CString> {
    if !migrate {
        return Vec::new();
    }
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    thread_files(Path::new("/sys/fs/cgroup"), &own)
        .into_iter()
        .filter_map(|f| CString::new(f.into_os_string().into_vec()).ok())
        .collect()
}

extern "C" fn thread_main(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `start` passes PLAN's `&'static Plan`, valid for the whole process.
    let plan: &'static Plan = unsafe { &*arg.cast::<Plan>() };
    if let Some(copy) = plan.copy {
        copy.make();
    }
    move_self(&plan.files);
    std::ptr::null_mut()
}

/// Writes the calling thread's own ID into the first of `files` that takes it, without
/// allocating; returns its index.
fn move_self(files: &[CString]) -> Option<usize> {
    use std::io::Write;
    // An explicit ID: for "0" (the caller) in a `tasks` file the kernel skips the lock.
    let mut buf = [0u8; 24];
    let len = {
        let mut cursor = &mut buf[..];
        writeln!(cursor, "{}", nix::unistd::gettid()).ok()?;
        24 - cursor.len()
    };
    files.iter().position(|file| {
        open(
            file.as_c_str(),
            OFlag::O_WRONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .and_then(|fd| nix::unistd::write(&fd, &buf[..len]))
        .is_ok_and(|n| n == len)
    })
}

/// The files under `root` a thread could move itself into its own cgroups by, in the order of
/// `/proc/self/cgroup` text `own` ([`crate::cgroups::own_dirs`]).
fn thread_files(root: &Path, own: &str) -> Vec<PathBuf> {
    crate::cgroups::own_dirs(root, own)
        .into_iter()
        .flat_map(|dir| THREAD_FILES.map(|f| dir.join(f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str =
        "4:memory:/session/7\n2:cpu,cpuacct:/\n1:name=systemd:/../outside\n0::/user.slice\n";

    fn c_files(paths: &[PathBuf]) -> Vec<CString> {
        let c = |p: &PathBuf| CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        paths.iter().map(c).collect()
    }

    #[test]
    fn thread_files_follow_the_own_cgroups_and_skip_paths_outside_the_namespace() {
        let files: Vec<_> = thread_files(Path::new("/r"), OWN)
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let dirs = [
            "/r/memory/session/7",
            "/r/cpu,cpuacct",
            "/r/cpu",
            "/r/cpuacct",
            "/r/unified/user.slice",
            "/r/user.slice",
        ];
        let want: Vec<_> = dirs
            .iter()
            .flat_map(|d| [format!("{d}/tasks"), format!("{d}/cgroup.threads")])
            .collect();
        assert_eq!(files, want);
        assert!(thread_files(Path::new("/r"), "").is_empty());
    }

    #[test]
    fn the_thread_writes_its_own_id_into_the_first_file_that_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "").unwrap();
        std::fs::write(&b, "").unwrap();
        let files = c_files(&[dir.path().join("missing"), a.clone(), b.clone()]);
        assert_eq!(move_self(&files), Some(1));
        let tid = nix::unistd::gettid();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), format!("{tid}\n"));
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "");
        assert_eq!(move_self(&files[..1]), None);
    }

    /// On the real cgroup mount (root): the kernel takes the move and the thread stays where it
    /// was, as does the rest of the process.
    #[test]
    fn on_the_real_mount_nothing_moves() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let before = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let (moved, mine, after_mine) = std::thread::spawn(|| {
            let mine = std::fs::read_to_string("/proc/thread-self/cgroup").unwrap();
            let files = c_files(&thread_files(Path::new("/sys/fs/cgroup"), &mine));
            let moved = move_self(&files);
            (
                moved,
                mine,
                std::fs::read_to_string("/proc/thread-self/cgroup").unwrap(),
            )
        })
        .join()
        .unwrap();
        assert!(moved.is_some(), "no cgroup file took the thread: {mine}");
        assert_eq!(mine, after_mine);
        assert_eq!(
            before,
            std::fs::read_to_string("/proc/self/cgroup").unwrap()
        );
    }

    #[test]
    fn switched_off_the_thread_has_nothing_to_move() {
        assert!(own_files(false).is_empty());
        assert!(!own_files(true).is_empty(), "this host has a cgroup mount");
    }

    #[test]
    fn start_leaves_the_callers_signal_mask_and_cgroups_alone() {
        let mask = || {
            let mut m = SigSet::empty();
            pthread_sigmask(SigmaskHow::SIG_BLOCK, None, Some(&mut m)).unwrap();
            m
        };
        let before = (
            mask(),
            std::fs::read_to_string("/proc/self/cgroup").unwrap(),
        );
        start(None, true);
        start(None, true);
        let after = (
            mask(),
            std::fs::read_to_string("/proc/self/cgroup").unwrap(),
        );
        assert_eq!(before, after);
    }
}
