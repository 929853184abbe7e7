//! RFC 3339 UTC timestamps with nanoseconds, without a date-time dependency (civil-from-days,
//! H. Hinnant's algorithm). Pure apart from [`now`] and [`Naps::sleep`]. Also [`Naps`], the
//! doubling sleeps of every polling loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Sleeps for a polling loop: short at first (what is waited for usually happens within a
/// millisecond: conmon exiting after its exit file, a runtime leaving `created`), doubling up
/// to `max` so a long wait costs no more wake-ups than a fixed period would.
#[derive(Debug, Clone)]
pub struct Naps {
    next: Duration,
    max: Duration,
}

impl Naps {
    /// Starts at 50 µs.
    pub fn up_to(max: Duration) -> Naps {
        Naps {
            next: Duration::from_micros(50).min(max),
            max,
        }
    }

    /// The length of the next nap, without sleeping.
    pub fn peek(&self) -> Duration {
        self.next
    }

    pub fn sleep(&mut self) {
        std::thread::sleep(self.next);
        self.next = (self.next * 2).min(self.max);
    }
}

/// The current time as `2026-11-29T12:00:00.123456789Z`.
pub fn now() -> String {
    format_system(SystemTime::now())
}

pub fn format_system(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    format(d.as_secs() as i64, d.subsec_nanos(), true)
}

/// Formats seconds since the epoch, with nanoseconds when `nanos` is set (else whole seconds).
pub fn format(secs: i64, nsec: u32, nanos: bool) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if nanos {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{nsec:09}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }
}

/// Truncates an RFC 3339 string with fractional seconds to whole seconds (`list`'s CREATED).
/// Only handles the UTC `Z` form that sifter writes; other strings are returned unchanged.
pub fn whole_seconds(ts: &str) -> String {
    match (ts.find('.'), ts.ends_with('Z')) {
        (Some(dot), true) => format!("{}Z", &ts[..dot]),
        _ => ts.to_string(),
    }
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naps_double_up_to_the_cap() {
        let mut n = Naps::up_to(Duration::from_micros(300));
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(n.peek().as_micros());
            n.sleep();
        }
        assert_eq!(seen, [50, 100, 200, 300, 300]);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format(0, 0, true), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            format(1_795_953_600, 123_456_789, true),
            "2026-11-29T12:00:00.123456789Z"
        );
        assert_eq!(format(951_782_400, 0, false), "2000-02-29T00:00:00Z");
        assert_eq!(
            whole_seconds("2026-11-29T12:00:00.123456789Z"),
            "2026-11-29T12:00:00Z"
        );
    }
}
