//! Process identity from `/proc`: a PID together with its start time (field 22 of
//! `/proc/<pid>/stat`), so a reused PID is never mistaken for ours (oci-reference.md §5.3).

use std::path::Path;

/// `/proc/<pid>/stat`, read in one go (a proc file reports size 0, and reading it into an
/// empty buffer takes a read per doubling of 32 bytes).
fn stat_line(pid: i32) -> Option<String> {
    use std::io::Read;
    if pid <= 0 {
        return None;
    }
    let mut f = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let mut line = String::with_capacity(1024);
    f.read_to_string(&mut line).ok()?;
    Some(line)
}

/// Start time of `pid` in clock ticks since boot, or `None` when there is no such process.
pub fn start_time(pid: i32) -> Option<u64> {
    parse_start_time(&stat_line(pid)?)
}

/// Field 22 of a `stat` line. The command name (field 2) may hold spaces and parentheses, so
/// counting starts after its last `)`.
pub fn parse_start_time(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")": field 3 (state) is the first token, so field 22 is the 20th.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Process state letter (field 3) of a `stat` line, e.g. `Z` for a zombie.
fn parse_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// True when `pid` exists, is not a zombie, and started at `start` (one read of its `stat`).
pub fn alive(pid: i32, start: Option<u64>) -> bool {
    let Some(recorded) = start else { return false };
    stat_line(pid).is_some_and(|line| {
        parse_start_time(&line) == Some(recorded) && parse_state(&line) != Some('Z')
    })
}

/// Reads a decimal PID file (conmon's, the runtime's).
pub fn read_pid_file(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_survives_odd_command_names() {
        let stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10";
        assert_eq!(parse_start_time(stat), Some(123456));
        assert_eq!(parse_start_time("garbage"), None);
    }

    #[test]
    fn own_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = std::process::id() as i32;
        let st = start_time(me).unwrap();
        assert!(alive(me, Some(st)));
        assert!(!alive(me, Some(st + 1)));
        assert!(!alive(me, None));
        assert!(!alive(0, Some(st)));
    }

    #[test]
    fn a_zombie_is_not_alive() {
        let mut child = std::process::Command::new("/bin/true").spawn().unwrap();
        let pid = child.id() as i32;
        let st = start_time(pid).unwrap();
        // Not reaped yet: once it has exited it stays a zombie with the same start time.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while alive(pid, Some(st)) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(start_time(pid), Some(st));
        assert!(!alive(pid, Some(st)));
        child.wait().unwrap();
    }
}
