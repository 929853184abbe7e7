//! conmon's attach socket and ctl FIFO (oci-reference.md §5.8): connecting through
//! `/proc/self/fd` (the socket path may exceed `sun_path`), the packet demultiplexer, the
//! detach-key filter, and ctl messages. The demultiplexer and the key filter are pure.

use crate::error::SystemError;
use crate::{Result, RuntimeError};
use nix::fcntl::{OFlag, open};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, connect, socket};
use nix::sys::stat::Mode;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Receive buffer size: at least 8193 (1 stream byte + 8192 payload); conmon sends no more.
pub const RECV_BUF: usize = 32769;
/// Largest input packet sifter sends.
pub const SEND_MAX: usize = 8192;

/// Which stream a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Splits one packet into its stream and payload. Unknown stream bytes (including stdin's
/// `1`, which conmon never sends) and empty packets give `None`. Pure.
pub fn demux(packet: &[u8]) -> Option<(Stream, &[u8])> {
    let (&kind, payload) = packet.split_first()?;
    match kind {
        2 => Some((Stream::Stdout, payload)),
        3 => Some((Stream::Stderr, payload)),
        _ => None,
    }
}

/// Connects to `socket_path` (SOCK_SEQPACKET) through `/proc/self/fd/<O_PATH fd>`.
pub fn connect_socket(socket_path: &Path) -> Result<OwnedFd> {
    let path_fd = open(socket_path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|e| RuntimeError::io("open attach socket", socket_path)(e.into()))?;
    let sock = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(SystemError::map("create the attach socket"))?;
    let addr = UnixAddr::new(format!("/proc/self/fd/{}", path_fd.as_raw_fd()).as_str())
        .map_err(SystemError::map("address the attach socket"))?;
    connect(sock.as_raw_fd(), &addr)
        .map_err(|e| RuntimeError::io("connect to attach socket", socket_path)(e.into()))?;
    Ok(sock)
}

/// Sends `1 <rows> <cols>\n` on the ctl FIFO (clamped to 0..=1000). A missing reader
/// (`ENXIO`: conmon gone) or FIFO is ignored.
pub fn resize(ctl: &Path, rows: u16, cols: u16) {
    let msg = format!("1 {} {}\n", rows.min(1000), cols.min(1000));
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(ctl)
    {
        let _ = f.write_all(msg.as_bytes());
    }
}

/// ctrl-p then ctrl-q detaches; a lone ctrl-p is held until the next byte.
#[derive(Debug, Default)]
pub struct DetachFilter {
    pending: bool,
}

/// The filter's verdict on one chunk of input.
#[derive(Debug, PartialEq, Eq)]
pub struct Filtered {
    /// Bytes to send now.
    pub send: Vec<u8>,
    /// True when the detach sequence was seen (bytes after it are dropped).
    pub detach: bool,
}

impl DetachFilter {
    pub fn feed(&mut self, input: &[u8]) -> Filtered {
        let mut send = Vec::with_capacity(input.len() + 1);
        for &b in input {
            if self.pending {
                self.pending = false;
                if b == 0x11 {
                    return Filtered { send, detach: true };
                }
                send.push(0x10);
            }
            if b == 0x10 {
                self.pending = true;
            } else {
                send.push(b);
            }
        }
        Filtered {
            send,
            detach: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demux_packets() {
        assert_eq!(demux(b"\x02hello"), Some((Stream::Stdout, &b"hello"[..])));
        assert_eq!(demux(b"\x03oops\n"), Some((Stream::Stderr, &b"oops\n"[..])));
        assert_eq!(demux(b"\x02"), Some((Stream::Stdout, &b""[..])));
        assert_eq!(demux(b"\x01x"), None);
        assert_eq!(demux(b""), None);
    }

    #[test]
    fn detach_keys() {
        let mut f = DetachFilter::default();
        assert_eq!(
            f.feed(b"ab\x10\x11cd"),
            Filtered {
                send: b"ab".to_vec(),
                detach: true
            }
        );
        let mut f = DetachFilter::default();
        assert_eq!(
            f.feed(b"a\x10"),
            Filtered {
                send: b"a".to_vec(),
                detach: false
            }
        );
        assert_eq!(
            f.feed(b"x"),
            Filtered {
                send: b"\x10x".to_vec(),
                detach: false
            }
        );
        let mut f = DetachFilter::default();
        assert_eq!(
            f.feed(b"\x10"),
            Filtered {
                send: vec![],
                detach: false
            }
        );
        assert_eq!(
            f.feed(b"\x11"),
            Filtered {
                send: vec![],
                detach: true
            }
        );
        let mut f = DetachFilter::default();
        assert_eq!(
            f.feed(b"\x10\x10\x11"),
            Filtered {
                send: b"\x10".to_vec(),
                detach: true
            }
        );
    }

    #[test]
    fn connect_through_proc_fd_with_a_long_path() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d".repeat(120));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("attach");
        // Bind through /proc/self/fd of the directory, as conmon does.
        let dfd = open(&dir, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        let listener = socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::empty(),
            None,
        )
        .unwrap();
        let addr =
            UnixAddr::new(format!("/proc/self/fd/{}/attach", dfd.as_raw_fd()).as_str()).unwrap();
        nix::sys::socket::bind(listener.as_raw_fd(), &addr).unwrap();
        nix::sys::socket::listen(&listener, nix::sys::socket::Backlog::new(1).unwrap()).unwrap();
        let client = connect_socket(&path).unwrap();
        let server = nix::sys::socket::accept(&listener).unwrap();
        nix::unistd::write(&client, b"hi").unwrap();
        let mut buf = [0u8; 8];
        let n = nix::unistd::read(server, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"hi");
    }
}
