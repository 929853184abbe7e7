//! SIGINT, SIGTERM and SIGHUP during `mount` (oci-reference.md §3.3): blocked on the calling
//! thread and read from a non-blocking signalfd between steps, so a signal turns into a
//! rollback instead of killing the process half-way. No handler, hence no unsafe. Children get
//! an empty signal mask (std resets it before exec).

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

pub struct SignalGuard {
    old: Option<SigSet>,
    fd: Option<SignalFd>,
}

impl SignalGuard {
    /// Blocks the three signals on this thread. Best effort: on failure, signals keep their
    /// default action.
    pub fn block() -> SignalGuard {
        let mut set = SigSet::empty();
        for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            set.add(s);
        }
        let Ok(old) = set.thread_swap_mask(SigmaskHow::SIG_BLOCK) else {
            return SignalGuard {
                old: None,
                fd: None,
            };
        };
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok();
        SignalGuard { old: Some(old), fd }
    }

    /// The name of a signal received since the last call, if any.
    pub fn pending(&self) -> Option<String> {
        let info = self.fd.as_ref()?.read_signal().ok()??;
        Some(
            Signal::try_from(info.ssi_signo as i32)
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|_| format!("signal {}", info.ssi_signo)),
        )
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        drop(self.fd.take());
        if let Some(old) = self.old.take() {
            let _ = old.thread_set_mask();
        }
    }
}
