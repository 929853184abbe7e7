//! The caller's terminal: raw mode with guaranteed restore ([`RawMode`]) and the window size.

use rustix::termios::{self, OptionalActions, Termios};
use std::os::fd::{AsFd, BorrowedFd};

/// True when `fd` is a terminal.
pub fn is_tty(fd: BorrowedFd<'_>) -> bool {
    termios::isatty(fd)
}

/// `(rows, cols)` of the terminal on `fd`.
pub fn window_size(fd: BorrowedFd<'_>) -> Option<(u16, u16)> {
    termios::tcgetwinsize(fd).ok().map(|w| (w.ws_row, w.ws_col))
}

/// Puts a terminal into raw mode until dropped. Every exit path restores it, because the
/// guard lives on the stack of the relaying call and sifter handles the fatal signals it
/// forwards instead of dying from them.
pub struct RawMode<'a> {
    fd: BorrowedFd<'a>,
    saved: Termios,
}

impl<'a> RawMode<'a> {
    /// `None` when `fd` is not a terminal (or refuses the change).
    pub fn enter(fd: BorrowedFd<'a>) -> Option<RawMode<'a>> {
        let saved = termios::tcgetattr(fd).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(fd, OptionalActions::Now, &raw).ok()?;
        Some(RawMode { fd, saved })
    }
}

impl Drop for RawMode<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.fd.as_fd(), OptionalActions::Now, &self.saved);
    }
}
