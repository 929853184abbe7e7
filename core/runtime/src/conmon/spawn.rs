//! Starting conmon (oci-reference.md §5.6 "Process set-up" and "Sequence"): the
//! `ConmonSpawner` seam, and [`launch`], which spawns it, completes the sync protocol and
//! returns the container PID. conmon's stdio is `/dev/null` and `CDIR/conmon.log`, never the
//! caller's, so `create` needs no terminal.

use crate::conmon::sync::{self, Reply};
use crate::error::SystemError;
use crate::{Result, RuntimeError};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, PosixSpawnFlags, posix_spawn};
use nix::sys::signal::SigSet;
use nix::sys::stat::Mode;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// The seam: start a process in `cwd` with the given fds as its 3 and 4.
pub trait ConmonSpawner: Send + Sync {
    fn spawn(
        &self,
        argv: &[OsString],
        path_env: &str,
        cwd: &Path,
        log: &Path,
        sync_fd: &OwnedFd,
        start_fd: &OwnedFd,
    ) -> Result<Pid>;
}

/// posix_spawn with file actions: no unsafe code of ours, and nothing but the listed fds
/// survives (every fd sifter opens is close-on-exec).
#[derive(Debug, Default)]
pub struct PosixSpawner;

fn cstr(s: &[u8]) -> CString {
    CString::new(s.to_vec()).unwrap_or_else(|_| CString::new("?").expect("no NUL"))
}

impl ConmonSpawner for PosixSpawner {
    fn spawn(
        &self,
        argv: &[OsString],
        path_env: &str,
        cwd: &Path,
        log: &Path,
        sync_fd: &OwnedFd,
        start_fd: &OwnedFd,
    ) -> Result<Pid> {
        let err = SystemError::map("prepare conmon's process");
        // Copies at fd >= 10, so the dup2 onto 3 and 4 below never clobbers a source.
        let high = |fd: &OwnedFd| fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(10));
        let sync_hi = high(sync_fd).map_err(SystemError::map("duplicate the sync socket"))?;
        let start_hi = high(start_fd).map_err(SystemError::map("duplicate the start socket"))?;
        let mut fa = PosixSpawnFileActions::init().map_err(err)?;
        let null = cstr(b"/dev/null");
        let err = SystemError::map("prepare conmon's process");
        fa.add_open(0, null.as_c_str(), OFlag::O_RDONLY, Mode::empty())
            .map_err(err)?;
        let logc = cstr(log.as_os_str().as_bytes());
        fa.add_open(
            1,
            logc.as_c_str(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_APPEND,
            Mode::from_bits_truncate(0o600),
        )
        .map_err(SystemError::map("prepare conmon's process"))?;
        fa.add_dup2(1, 2)
            .map_err(SystemError::map("prepare conmon's process"))?;
        // dup2 onto a different number clears FD_CLOEXEC on the target.
        fa.add_dup2(sync_hi.as_raw_fd(), 3)
            .map_err(SystemError::map("prepare conmon's process"))?;
        fa.add_dup2(start_hi.as_raw_fd(), 4)
            .map_err(SystemError::map("prepare conmon's process"))?;
        // Last, so the log path above is opened as given even if it is relative.
        let cwdc = cstr(cwd.as_os_str().as_bytes());
        super::chdir::add_chdir(&mut fa, cwdc.as_c_str())
            .map_err(SystemError::map("prepare conmon's process"))?;
        let mut attr =
            PosixSpawnAttr::init().map_err(SystemError::map("prepare conmon's process"))?;
        attr.set_flags(
            PosixSpawnFlags::POSIX_SPAWN_SETPGROUP | PosixSpawnFlags::POSIX_SPAWN_SETSIGMASK,
        )
        .map_err(SystemError::map("prepare conmon's process"))?;
        attr.set_pgroup(Pid::from_raw(0))
            .map_err(SystemError::map("prepare conmon's process"))?;
        attr.set_sigmask(&SigSet::empty())
            .map_err(SystemError::map("prepare conmon's process"))?;
        let args: Vec<CString> = argv.iter().map(|a| cstr(a.as_bytes())).collect();
        let env = [
            cstr(format!("PATH={path_env}").as_bytes()),
            cstr(b"_OCI_SYNCPIPE=3"),
            cstr(b"_OCI_STARTPIPE=4"),
        ];
        tracing::debug!(program = ?argv[0], args = ?&argv[1..], cwd = %cwd.display(), "exec");
        let prog = cstr(argv[0].as_bytes());
        posix_spawn(prog.as_c_str(), &fa, &attr, &args, &env).map_err(|e| RuntimeError::Spawn {
            program: argv[0].clone().into(),
            source: e.into(),
        })
    }
}

/// The outcome of a successful launch.
#[derive(Debug, Clone, Copy)]
pub struct Launched {
    pub container_pid: i32,
}

/// Why a launch failed, before it is turned into the §5.7 message.
#[derive(Debug)]
pub enum LaunchError {
    /// conmon's first process exited non-zero: status text.
    ConmonExit(String),
    /// `data <= 0`, with conmon's message.
    Failed(Option<String>),
    /// EOF, timeout or garbage.
    NoReply,
    Other(RuntimeError),
}

/// Spawns conmon, writes the start byte, reads the reply and reaps conmon's first process.
pub fn launch(
    spawner: &dyn ConmonSpawner,
    argv: &[OsString],
    path_env: &str,
    cwd: &Path,
    log: &Path,
    timeout: Duration,
) -> std::result::Result<Launched, LaunchError> {
    let sync = sync::pair().map_err(LaunchError::Other)?;
    let start = sync::pair().map_err(LaunchError::Other)?;
    let pid = spawner
        .spawn(argv, path_env, cwd, log, &sync.child, &start.child)
        .map_err(LaunchError::Other)?;
    drop(sync.child);
    drop(start.child);
    // conmon blocks on this byte before forking so a parent could place it in a cgroup;
    // sifter places nothing and writes at once.
    let _ = nix::unistd::write(&start.parent, &[0u8]);
    let reply = sync::read_reply(&sync.parent, timeout);
    let first = reap(pid, Duration::from_secs(5));
    match (reply, first) {
        (Reply::Pid(p), _) => Ok(Launched { container_pid: p }),
        (_, Some(WaitStatus::Exited(_, c))) if c != 0 => {
            Err(LaunchError::ConmonExit(format!("exit status {c}")))
        }
        (_, Some(WaitStatus::Signaled(_, s, _))) => {
            Err(LaunchError::ConmonExit(format!("signal: {}", s.as_str())))
        }
        (Reply::Failed { message }, _) => Err(LaunchError::Failed(message)),
        (Reply::Invalid { .. }, _) => Err(LaunchError::NoReply),
    }
}

/// Waits for `pid` up to `wait`; `None` when it has not exited by then. conmon's first
/// process exits right after the reply, so the first naps are short.
fn reap(pid: Pid, wait: Duration) -> Option<WaitStatus> {
    let deadline = Instant::now() + wait;
    let mut naps = crate::time::Naps::up_to(Duration::from_millis(2));
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            Ok(st) => return Some(st),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return None,
        }
        if Instant::now() >= deadline {
            return None;
        }
        naps.sleep();
    }
}
