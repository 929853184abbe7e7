//! The runtime's JSON log (`--log … --log-format=json`): one object per line with `level` and
//! `msg` (runc and crun alike). Used to turn a failed runtime call into one message
//! (oci-reference.md §2.4). Pure.

/// The `msg` of the last error-level entry in `text` (lines that do not parse are skipped).
pub fn last_error(text: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
        let level = v.get("level")?.as_str()?;
        if matches!(level, "error" | "fatal" | "panic") {
            let msg = v.get("msg")?.as_str()?.trim();
            (!msg.is_empty()).then(|| msg.to_string())
        } else {
            None
        }
    })
}

/// The last non-empty line of a stream.
pub fn last_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// The §2.4 message: the log's last error entry, else stderr's last line, else the status.
pub fn failure_message(log_tail: &str, stderr: &[u8], status: &str) -> String {
    last_error(log_tail)
        .or_else(|| last_line(stderr))
        .unwrap_or_else(|| status.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_last_error_entry() {
        let log = concat!(
            r#"{"level":"info","msg":"hello","time":"x"}"#,
            "\n",
            r#"{"level":"error","msg":"first","time":"x"}"#,
            "\nnot json\n",
            r#"{"msg":"exec: \"/nonexistent\": stat /nonexistent: no such file or directory","level":"error","time":"x"}"#,
            "\n",
            r#"{"level":"warning","msg":"later","time":"x"}"#,
            "\n"
        );
        insta::assert_snapshot!(last_error(log).unwrap(), @r#"exec: "/nonexistent": stat /nonexistent: no such file or directory"#);
        assert_eq!(last_error("{\"level\":\"info\",\"msg\":\"a\"}"), None);
    }

    #[test]
    fn falls_back_to_stderr_then_status() {
        assert_eq!(
            failure_message("", b"line one\nlast line\n\n", "exit status 1"),
            "last line"
        );
        assert_eq!(failure_message("", b"", "exit status 1"), "exit status 1");
    }
}
