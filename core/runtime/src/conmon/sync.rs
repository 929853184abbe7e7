//! The sync protocol with conmon (oci-reference.md §5.7): two SOCK_SEQPACKET socket pairs
//! (*sync* and *start*), the start byte, and the one-line JSON reply, parsed leniently because
//! conmon 2.1 escapes `message` incompletely.

use crate::Result;
use crate::error::SystemError;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// One socket pair: the parent's end and the end conmon inherits.
pub struct Pair {
    pub parent: OwnedFd,
    pub child: OwnedFd,
}

pub fn pair() -> Result<Pair> {
    let (parent, child) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(SystemError::map("create a socket pair for conmon"))?;
    Ok(Pair { parent, child })
}

/// conmon's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `data > 0`: the container PID.
    Pid(i32),
    /// `data <= 0`, with conmon's `message` when it sent one.
    Failed { message: Option<String> },
    /// Not a reply at all (EOF or unparseable); the raw text when there was some.
    Invalid { raw: String },
}

/// Parses one reply message. Pure.
pub fn parse_reply(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let line = text.trim();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
        if let Some(data) = v.get("data").and_then(serde_json::Value::as_i64) {
            let message = v
                .get("message")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
            return if data > 0 {
                Reply::Pid(data as i32)
            } else {
                Reply::Failed { message }
            };
        }
        return Reply::Invalid {
            raw: line.to_string(),
        };
    }
    // Lenient path: `{"data": -1, "message": "<unescaped text>"}`.
    let Some(rest) = line.strip_prefix('{').map(str::trim_start) else {
        return Reply::Invalid {
            raw: line.to_string(),
        };
    };
    let Some(rest) = rest.strip_prefix("\"data\"").map(str::trim_start) else {
        return Reply::Invalid {
            raw: line.to_string(),
        };
    };
    let Some(rest) = rest.strip_prefix(':').map(str::trim_start) else {
        return Reply::Invalid {
            raw: line.to_string(),
        };
    };
    let end = rest
        .find(|c: char| !(c == '-' || c.is_ascii_digit()))
        .unwrap_or(rest.len());
    let Ok(data) = rest[..end].parse::<i64>() else {
        return Reply::Invalid {
            raw: line.to_string(),
        };
    };
    if data > 0 {
        return Reply::Pid(data as i32);
    }
    let message = rest.find("\"message\"").map(|i| {
        let m = rest[i + 9..]
            .trim_start()
            .trim_start_matches(':')
            .trim_start();
        let m = m.strip_prefix('"').unwrap_or(m);
        let m = m.strip_suffix('}').unwrap_or(m).trim_end();
        m.strip_suffix('"').unwrap_or(m).to_string()
    });
    Reply::Failed { message }
}

/// Waits up to `timeout` for one message on `sock` and parses it.
pub fn read_reply(sock: &OwnedFd, timeout: Duration) -> Reply {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Reply::Invalid { raw: String::new() };
        }
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(0) => return Reply::Invalid { raw: String::new() },
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return Reply::Invalid { raw: String::new() },
        }
    }
    let mut buf = vec![0u8; 8192];
    match nix::unistd::read(sock, &mut buf) {
        Ok(n) if n > 0 => parse_reply(&buf[..n]),
        _ => Reply::Invalid { raw: String::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pid_and_failures() {
        assert_eq!(parse_reply(b"{\"data\": 4242}\n"), Reply::Pid(4242));
        assert_eq!(
            parse_reply(b"{\"data\": -1, \"message\": \"runc create failed\"}\n"),
            Reply::Failed {
                message: Some("runc create failed".into())
            }
        );
        assert_eq!(
            parse_reply(b"{\"data\": 0}"),
            Reply::Failed { message: None }
        );
    }

    #[test]
    fn lenient_with_unescaped_message() {
        let raw = b"{\"data\": -1, \"message\": \"exec: \"/nonexistent\": stat /nonexistent: no such file\"}\n";
        insta::assert_debug_snapshot!(parse_reply(raw), @r#"
        Failed {
            message: Some(
                "exec: \"/nonexistent\": stat /nonexistent: no such file",
            ),
        }
        "#);
    }

    #[test]
    fn garbage_is_invalid() {
        assert!(matches!(parse_reply(b""), Reply::Invalid { .. }));
        assert!(matches!(parse_reply(b"hello"), Reply::Invalid { .. }));
        assert!(matches!(
            parse_reply(b"{\"pid\": 3}"),
            Reply::Invalid { .. }
        ));
    }

    #[test]
    fn read_reply_over_a_real_pair() {
        let p = pair().unwrap();
        nix::unistd::write(&p.child, b"{\"data\": 7}\n").unwrap();
        assert_eq!(read_reply(&p.parent, Duration::from_secs(1)), Reply::Pid(7));
        assert!(matches!(
            read_reply(&p.parent, Duration::from_millis(20)),
            Reply::Invalid { .. }
        ));
    }
}
