//! Signal syntax of `oci kill` (oci-reference.md §2.5.5): a decimal 1–64 or a name,
//! case-insensitive, with or without `SIG`, including `RTMIN+n` and `RTMAX-n`. Pure.

use crate::{Result, RuntimeError};

/// Linux signal numbers by name (x86/arm generic numbering, as runc's table).
const NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// glibc reserves 32 and 33 for itself, so user-visible SIGRTMIN is 34 (as runc and crun use).
pub const RTMIN: i32 = 34;
pub const RTMAX: i32 = 64;

/// Parses a signal; the runtime always gets the number.
pub fn parse(s: &str) -> Result<i32> {
    let invalid = || RuntimeError::InvalidSignal {
        signal: s.to_string(),
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<i32>() {
            Ok(n) if (1..=64).contains(&n) => Ok(n),
            _ => Err(invalid()),
        };
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(&(_, n)) = NAMES.iter().find(|(n, _)| *n == name) {
        return Ok(n);
    }
    let offset = |rest: &str| -> Option<i32> {
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest.parse::<i32>().ok()
    };
    let n = if name == "RTMIN" {
        Some(RTMIN)
    } else if name == "RTMAX" {
        Some(RTMAX)
    } else if let Some(rest) = name.strip_prefix("RTMIN+") {
        offset(rest).map(|n| RTMIN + n)
    } else if let Some(rest) = name.strip_prefix("RTMAX-") {
        offset(rest).map(|n| RTMAX - n)
    } else {
        None
    };
    match n {
        Some(n) if (RTMIN..=RTMAX).contains(&n) => Ok(n),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_case() {
        for (s, n) in [
            ("INT", 2),
            ("int", 2),
            ("SIGINT", 2),
            ("sigint", 2),
            ("2", 2),
            ("KILL", 9),
            ("9", 9),
            ("TERM", 15),
            ("cld", 17),
            ("IOT", 6),
            ("64", 64),
            ("RTMIN", 34),
            ("rtmin+2", 36),
            ("SIGRTMAX-1", 63),
            ("RTMAX", 64),
        ] {
            assert_eq!(parse(s).unwrap(), n, "{s}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for s in [
            "", "0", "65", "-1", "FOO", "SIG", "RTMIN+31", "RTMAX-31", "RTMIN+", "RTMIN+x", "1.0",
            " INT",
        ] {
            assert!(parse(s).is_err(), "{s:?} accepted");
        }
        insta::assert_snapshot!(parse("FOO").unwrap_err(), @r#"invalid signal "FOO""#);
    }
}
