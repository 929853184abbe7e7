//! Running a runtime process in the foreground (`exec`, and `run` through the runtime's own
//! `run`): the caller's stdio is inherited when it is the real terminal or pipes, otherwise
//! (in-process tests) pumped through pipes; signals sent to sifter explicitly are forwarded,
//! terminal-generated ones already reach the child through the shared process group
//! (oci-reference.md §2.5.8 item 3). Also the [`SignalGuard`] that attach uses.

use crate::cmd::RuntimeCommand;
use crate::error::SystemError;
use crate::{Result, RuntimeError};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::process::{ExitStatus, Stdio};

/// The caller's streams.
pub struct Streams<'a> {
    pub stdin: &'a mut (dyn Read + Send),
    pub stdout: &'a mut (dyn Write + Send),
    pub stderr: &'a mut (dyn Write + Send),
    /// True when these are the process's fds 0, 1 and 2.
    pub is_stdio: bool,
}

/// Signals sifter catches and forwards while it relays (SIGKILL and SIGSTOP cannot be caught;
/// SIGCHLD, SIGURG, SIGPIPE and SIGWINCH are not forwarded).
pub const FORWARDED: &[Signal] = &[
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
    Signal::SIGTERM,
    Signal::SIGCONT,
];

/// Blocks a set of signals in this thread and reads them from a signalfd; the old mask comes
/// back on drop.
pub struct SignalGuard {
    pub fd: SignalFd,
    old: SigSet,
}

impl SignalGuard {
    pub fn new(extra: &[Signal]) -> Result<SignalGuard> {
        let mut set = SigSet::empty();
        for s in FORWARDED.iter().chain(extra) {
            set.add(*s);
        }
        let old = set
            .thread_swap_mask(SigmaskHow::SIG_BLOCK)
            .map_err(SystemError::map("block signals"))?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(SystemError::map("create a signalfd"))?;
        Ok(SignalGuard { fd, old })
    }

    /// Pending signals as (signo, sent explicitly by a process).
    pub fn drain(&self) -> Vec<(i32, bool)> {
        let mut out = Vec::new();
        while let Ok(Some(info)) = self.fd.read_signal() {
            // SI_USER (0), SI_QUEUE (-1), SI_TKILL (-6): kill(2), sigqueue(3), tgkill(2).
            let explicit = matches!(info.ssi_code, 0 | -1 | -6);
            out.push((info.ssi_signo as i32, explicit));
        }
        out
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        let _ = self.old.thread_set_mask();
    }
}

/// 128+N for a signal, else the exit code.
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(255)
}

/// Spawns `cmd` wired to `streams`, passes explicitly sent signals on to it, and returns the
/// child's exit code.
pub fn run(mut cmd: RuntimeCommand, streams: Streams<'_>) -> Result<i32> {
    let program = cmd.runtime().clone();
    let wait_err = |source| RuntimeError::Spawn {
        program: program.clone().into(),
        source,
    };
    if streams.is_stdio {
        let guard = SignalGuard::new(&[Signal::SIGCHLD])?;
        let mut child = cmd.spawn()?;
        loop {
            if let Some(st) = child.try_wait().map_err(wait_err)? {
                return Ok(exit_code(st));
            }
            let mut fds = [nix::poll::PollFd::new(
                guard.fd.as_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u16));
            for (sig, explicit) in guard.drain() {
                if explicit
                    && sig != Signal::SIGCHLD as i32
                    && let Ok(s) = Signal::try_from(sig)
                {
                    let _ =
                        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), s);
                }
            }
        }
    }
    cmd.cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut cin = child.stdin.take().expect("piped");
    let mut cout = child.stdout.take().expect("piped");
    let mut cerr = child.stderr.take().expect("piped");
    let Streams {
        stdin,
        stdout,
        stderr,
        ..
    } = streams;
    std::thread::scope(|s| {
        s.spawn(move || {
            let _ = std::io::copy(stdin, &mut cin);
        });
        s.spawn(move || {
            let _ = std::io::copy(&mut cerr, stderr);
        });
        let _ = std::io::copy(&mut cout, stdout);
    });
    let st = child.wait().map_err(wait_err)?;
    Ok(exit_code(st))
}
