//! `HookError`: what a hook returns (hooks.md §5). The host wraps it with the hook's name, kind,
//! origin and point; this type never names the hook itself.

use std::error::Error;

/// The error a hook returns. `Rejected` is a policy verdict shown verbatim; the rest are faults.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HookError {
    #[error("{reason}")]
    Rejected { reason: String },
    #[error("{message}")]
    Failed {
        message: String,
        #[source]
        source: Option<Box<dyn Error + Send + Sync>>,
    },
    #[error("{message}")]
    InvalidSettings { message: String },
    #[error("{message}")]
    Script {
        message: String,
        traceback: Vec<String>,
    },
    #[error("{message}")]
    Panicked { message: String },
    #[error("{message}")]
    Foreign { code: i32, message: String },
}

impl HookError {
    /// A policy refusal; `reason` is shown to the user as written.
    pub fn rejected(reason: impl Into<String>) -> Self {
        HookError::Rejected {
            reason: reason.into(),
        }
    }

    /// A fault without an underlying error.
    pub fn failed(message: impl Into<String>) -> Self {
        HookError::Failed {
            message: message.into(),
            source: None,
        }
    }

    /// A fault caused by `source`.
    pub fn failed_with(
        message: impl Into<String>,
        source: impl Into<Box<dyn Error + Send + Sync>>,
    ) -> Self {
        HookError::Failed {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The hook's `[plugins.<name>]` table does not fit (message: the key path and the problem).
    pub fn invalid_settings(message: impl Into<String>) -> Self {
        HookError::InvalidSettings {
            message: message.into(),
        }
    }

    /// A Lua error; `message` starts with `file.lua:LINE:`.
    pub fn script(message: impl Into<String>, traceback: Vec<String>) -> Self {
        HookError::Script {
            message: message.into(),
            traceback,
        }
    }

    /// A caught panic.
    pub fn panicked(message: impl Into<String>) -> Self {
        HookError::Panicked {
            message: message.into(),
        }
    }

    /// The ABI kind name (`rejected`, `failed`, `invalid_settings`, `panicked`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            HookError::Rejected { .. } => "rejected",
            HookError::Failed { .. } => "failed",
            HookError::InvalidSettings { .. } => "invalid_settings",
            HookError::Script { .. } => "script",
            HookError::Panicked { .. } => "panicked",
            HookError::Foreign { .. } => "foreign",
        }
    }

    /// True for a policy verdict.
    pub fn is_rejection(&self) -> bool {
        matches!(self, HookError::Rejected { .. })
    }

    /// The message text with the source chain of a `Failed` appended (`msg: cause: cause`).
    pub fn full_message(&self) -> String {
        let mut text = self.to_string();
        let mut cur = self.source();
        while let Some(e) = cur {
            text.push_str(": ");
            text.push_str(&e.to_string());
            cur = e.source();
        }
        text
    }
}

/// Escapes ASCII control characters other than newline and tab (hooks.md §5, rejection text).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_message_appends_sources() {
        let e = HookError::failed_with("cannot read /x", std::io::Error::other("denied"));
        assert_eq!(e.full_message(), "cannot read /x: denied");
        assert_eq!(e.kind(), "failed");
    }

    #[test]
    fn controls_are_escaped_but_newline_kept() {
        assert_eq!(escape_controls("a\x1b[31mb\nc\td"), "a\\x1b[31mb\nc\td");
    }
}
