//! conmon's exit file `CDIR/exit/<id>` (oci-reference.md §5.10): the exit code (128+N for
//! signal N) or `-1` for unknown; its mtime is `finishedAt`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// What the exit file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: i32,
    pub finished: SystemTime,
}

/// Parses the file's content; `-1` and garbage are unknown. Pure.
pub fn parse(text: &str) -> Option<i32> {
    match text.trim().parse::<i32>() {
        Ok(c) if c >= 0 => Some(c),
        _ => None,
    }
}

/// Reads the exit file, `None` when absent or unknown.
pub fn read(path: &Path) -> Option<ExitInfo> {
    let text = std::fs::read_to_string(path).ok()?;
    let code = parse(&text)?;
    let finished = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(ExitInfo { code, finished })
}

/// True when the file exists at all (even with `-1`).
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// Polls for the exit file (naps doubling to 20 ms) for up to `wait`, stopping early when
/// `give_up` says the writer is gone. Returns the file's parsed code (`None`: unknown or never written).
pub fn wait(path: &Path, wait: Duration, mut give_up: impl FnMut() -> bool) -> Option<i32> {
    let deadline = Instant::now() + wait;
    let mut naps = crate::time::Naps::up_to(Duration::from_millis(20));
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return parse(&text);
        }
        if Instant::now() >= deadline || give_up() {
            // One last look: the writer may have finished just before it exited.
            return std::fs::read_to_string(path).ok().and_then(|t| parse(&t));
        }
        naps.sleep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(parse("0"), Some(0));
        assert_eq!(parse("137\n"), Some(137));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse(""), None);
    }
}
