//! `oci attach` (oci-reference.md §2.5.4) and the socket relay `run` shares. Effects, in
//! order (no lock while relaying):
//! 1. the status must be `created`, `running` or `paused`;
//! 2. connect to `CDIR/bundle/attach` through `/proc/self/fd`;
//! 3. raw mode when stdin is a tty; window size through the ctl FIFO now and on SIGWINCH;
//! 4. relay: packets to stdout/stderr, stdin to the socket (EOF: `shutdown(SHUT_WR)`),
//!    ctrl-p ctrl-q detaches (tty only), caught signals go to `RT kill`;
//! 5. on socket EOF wait up to 10 s for the exit file and return its code.

use crate::conmon::attach::{self as sock, DetachFilter, RECV_BUF, SEND_MAX, Stream};
use crate::driver::{Prefix, RuntimeOp};
use crate::foreground::{SignalGuard, Streams};
use crate::store::Record;
use crate::{ContainerId, Engine, Op, Result, RuntimeError};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use nix::sys::socket::{MsgFlags, Shutdown, recv, send, shutdown};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

/// How an attach ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachEnd {
    /// The container exited with this code.
    Exited(i32),
    /// The user pressed ctrl-p ctrl-q; the container keeps running.
    Detached,
}

pub fn attach(engine: &Engine, id: &str, streams: Streams<'_>) -> Result<AttachEnd> {
    let id = ContainerId::parse(id)?;
    let _span = tracing::debug_span!("attach", id = %id).entered();
    let rec = engine.record(&id)?;
    let (status, _) = engine.status(&id, &rec);
    status.check(Op::Attach, id.as_str())?;
    let sock = connect(engine, &id, &rec)?;
    relay(engine, &id, &rec, sock, streams, true)
}

/// Step 2; a missing socket means conmon is gone.
pub(crate) fn connect(engine: &Engine, id: &ContainerId, rec: &Record) -> Result<OwnedFd> {
    let path = engine.store.private_bundle(id).join("attach");
    if !path.exists() || !crate::proc::alive(rec.pids.conmon_pid, rec.pids.conmon_pid_start_time) {
        return Err(RuntimeError::MonitorGone { id: id.to_string() });
    }
    sock::connect_socket(&path)
}

/// Steps 3–5 on a connected socket.
pub(crate) fn relay(
    engine: &Engine,
    id: &ContainerId,
    rec: &Record,
    sock: OwnedFd,
    streams: Streams<'_>,
    detach_keys: bool,
) -> Result<AttachEnd> {
    let prefix = engine.prefix(id, rec);
    let ctl = engine.store.private_bundle(id).join("ctl");
    let stdin_fd = std::io::stdin();
    let stdin_tty = streams.is_stdio && crate::tty::is_tty(stdin_fd.as_fd());
    let _raw = if stdin_tty {
        crate::tty::RawMode::enter(stdin_fd.as_fd())
    } else {
        None
    };
    let resize = || {
        if rec.terminal
            && stdin_tty
            && let Some((r, c)) = crate::tty::window_size(stdin_fd.as_fd())
        {
            sock::resize(&ctl, r, c);
        }
    };
    resize();
    let Streams {
        stdin,
        stdout,
        stderr,
        is_stdio,
    } = streams;
    let detached = std::sync::atomic::AtomicBool::new(false);
    let end = std::thread::scope(|s| -> Result<()> {
        let guard = if is_stdio {
            Some(SignalGuard::new(&[Signal::SIGWINCH])?)
        } else {
            // In-process callers (tests): a thread feeds the socket from the reader.
            let input = sock
                .try_clone()
                .map_err(RuntimeError::io("duplicate", "attach socket"))?;
            s.spawn(move || {
                let mut buf = vec![0u8; SEND_MAX];
                while let Ok(n) = stdin.read(&mut buf) {
                    if n == 0 || send(input.as_raw_fd(), &buf[..n], MsgFlags::empty()).is_err() {
                        break;
                    }
                }
                let _ = shutdown(input.as_raw_fd(), Shutdown::Write);
            });
            None
        };
        let mut filter = DetachFilter::default();
        let mut stdin_open = is_stdio;
        let mut buf = vec![0u8; RECV_BUF];
        loop {
            let mut fds = vec![PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
            if let Some(g) = &guard {
                fds.push(PollFd::new(g.fd.as_fd(), PollFlags::POLLIN));
            }
            if stdin_open {
                fds.push(PollFd::new(stdin_fd.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(crate::error::SystemError::map("poll")(e)),
                Ok(_) => {}
            }
            let ready = |i: usize| {
                fds.get(i)
                    .and_then(|f| f.revents())
                    .is_some_and(|r| !r.is_empty())
            };
            let (sock_ready, sig_ready, in_ready) = (
                ready(0),
                guard.is_some() && ready(1),
                stdin_open && ready(if guard.is_some() { 2 } else { 1 }),
            );
            drop(fds);
            if sock_ready {
                match recv(sock.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                    Ok(0) | Err(_) => return Ok(()),
                    Ok(n) => match sock::demux(&buf[..n]) {
                        Some((Stream::Stdout, data)) => {
                            let _ = stdout.write_all(data).and_then(|()| stdout.flush());
                        }
                        Some((Stream::Stderr, data)) => {
                            let _ = stderr.write_all(data).and_then(|()| stderr.flush());
                        }
                        None => {}
                    },
                }
            }
            if sig_ready && let Some(g) = &guard {
                for (sig, _) in g.drain() {
                    if sig == Signal::SIGWINCH as i32 {
                        resize();
                    } else {
                        forward(engine, id, &prefix, sig);
                    }
                }
            }
            if in_ready {
                let mut inbuf = [0u8; SEND_MAX];
                let n = nix::unistd::read(stdin_fd.as_fd(), &mut inbuf).unwrap_or(0);
                if n == 0 {
                    stdin_open = false;
                    let _ = shutdown(sock.as_raw_fd(), Shutdown::Write);
                    continue;
                }
                let f = if detach_keys && stdin_tty {
                    filter.feed(&inbuf[..n])
                } else {
                    crate::conmon::attach::Filtered {
                        send: inbuf[..n].to_vec(),
                        detach: false,
                    }
                };
                if !f.send.is_empty() {
                    let _ = send(sock.as_raw_fd(), &f.send, MsgFlags::empty());
                }
                if f.detach {
                    detached.store(true, std::sync::atomic::Ordering::SeqCst);
                    return Ok(());
                }
            }
        }
    });
    end?;
    drop(_raw);
    if detached.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(AttachEnd::Detached);
    }
    let exit = engine.store.exit_file(id);
    let (cp, cs) = (rec.pids.conmon_pid, rec.pids.conmon_pid_start_time);
    match crate::conmon::exit::wait(&exit, Duration::from_secs(10), || {
        !crate::proc::alive(cp, cs)
    }) {
        Some(code) => Ok(AttachEnd::Exited(code)),
        None => Err(RuntimeError::ExitUnknown { id: id.to_string() }),
    }
}

/// `RT kill <id> <signum>`, best effort.
fn forward(engine: &Engine, id: &ContainerId, prefix: &Prefix, sig: i32) {
    if let Err(e) = engine.call(
        id,
        prefix,
        &RuntimeOp::Kill {
            id: id.as_str(),
            signal: sig,
        },
    ) {
        tracing::debug!(%id, signal = sig, error = %e, "signal not forwarded");
    }
}
