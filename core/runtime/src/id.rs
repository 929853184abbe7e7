//! `ContainerId`: a validated container ID (oci-reference.md §2.2 item 6). The store only
//! accepts a `&ContainerId`, so a crafted ID can never become a path component such as `..`.

use crate::{Result, RuntimeError};
use std::fmt;

/// An ID matching `^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerId(String);

impl ContainerId {
    /// Validates `id`; the error carries the spec's message.
    pub fn parse(id: &str) -> Result<ContainerId> {
        let bytes = id.as_bytes();
        let first_ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric);
        let rest_ok = bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'));
        // The first character is alphanumeric, so "." and ".." can never pass.
        if first_ok && rest_ok && bytes.len() <= 128 {
            Ok(ContainerId(id.to_string()))
        } else {
            Err(RuntimeError::InvalidId { id: id.to_string() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_spec_character_set() {
        for id in ["a", "busybox1", "A.b+c-d_e", "9", &"x".repeat(128)] {
            assert_eq!(ContainerId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn refuses_traversal_separators_and_length() {
        for id in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "-a",
            "_a",
            "+a",
            "a b",
            "a\0",
            "é",
            &"x".repeat(129),
        ] {
            assert!(ContainerId::parse(id).is_err(), "{id:?} accepted");
        }
    }

    #[test]
    fn message_is_the_spec_text() {
        let err = ContainerId::parse("a/b").unwrap_err();
        insta::assert_snapshot!(err, @r#"invalid container ID "a/b": use 1-128 characters from A-Z a-z 0-9 _ . + - starting with a letter or digit"#);
    }
}
