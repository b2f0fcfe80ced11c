//! Simulated time: microseconds since the start of a run.
//!
//! The core never reads the wall clock; every "now" is a [`SimTime`] handed in by the engine.

use std::fmt;
use std::ops::{Add, Sub};

/// A point on the simulation's clock, in microseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);

    /// Microseconds since the start of the run.
    pub fn as_micros(self) -> u64 {
        self.0
    }

    /// Seconds since the start of the run, as a float (for display).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }

    /// Whole seconds since the start of the run.
    pub fn whole_secs(self) -> u64 {
        self.0 / 1_000_000
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1000)
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000)
    }

    /// Microseconds in this duration.
    pub fn as_micros(self) -> u64 {
        self.0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    /// Seconds with millisecond precision, as in transcripts: `0.021s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 / 1000;
        write!(f, "{}.{:03}s", ms / 1000, ms % 1000)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1_000_000) {
            write!(f, "{}s", self.0 / 1_000_000)
        } else if self.0.is_multiple_of(1000) {
            write!(f, "{}ms", self.0 / 1000)
        } else {
            write!(f, "{}us", self.0)
        }
    }
}

/// Parses a duration written as a number and a unit: `250ms`, `1.5s`, `2m`, `1h`, `0`, `300us`.
///
/// Returns a message saying what was expected when the text is not a duration.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(SimDuration::ZERO);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{t}` has no unit: write e.g. `{t}s` or `{t}ms`"))?;
    let (num, unit) = t.split_at(split);
    if num.is_empty() || num.chars().filter(|&c| c == '.').count() > 1 || num.ends_with('.') {
        return Err(format!(
            "`{t}` is not a time: expected a number and a unit, like `1.5s` or `250ms`"
        ));
    }
    let scale: u64 = match unit.trim() {
        "us" | "µs" => 1,
        "ms" => 1000,
        "s" => 1_000_000,
        "m" | "min" => 60_000_000,
        "h" => 3_600_000_000,
        other => {
            return Err(format!(
                "`{other}` is not a time unit: use us, ms, s, m or h"
            ));
        }
    };
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    let whole: u64 = whole
        .parse()
        .map_err(|_| format!("`{t}` is too large a time"))?;
    let mut micros = whole
        .checked_mul(scale)
        .ok_or_else(|| format!("`{t}` is too large a time"))?;
    let mut place = scale;
    for d in frac.bytes() {
        place /= 10;
        micros = micros.saturating_add(u64::from(d - b'0') * place);
    }
    Ok(SimDuration(micros))
}

/// Formats a Unix timestamp as an RFC 5322 date-time (§3.3), in UTC: `Fri, 27 Nov 2026 09:00:00 +0000`.
pub fn rfc5322_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = month_abbrev(m);
    if !(1000..=9999).contains(&y) {
        return format!(
            "{weekday}, {d} {month} {y} {:02}:{:02}:{:02} +0000",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
    }
    // Written out digit by digit: every mail gets one of these per server it passes.
    let digit = |n: i64| char::from(b'0' + (n % 10) as u8);
    let mut out = String::with_capacity(31);
    out.push_str(weekday);
    out.push_str(", ");
    if d >= 10 {
        out.push(digit(i64::from(d) / 10));
    }
    out.push(digit(i64::from(d)));
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    for place in [1000, 100, 10, 1] {
        out.push(digit(y / place));
    }
    for (k, n) in [secs / 3600, secs / 60 % 60, secs % 60]
        .into_iter()
        .enumerate()
    {
        out.push(if k == 0 { ' ' } else { ':' });
        out.push(digit(n / 10));
        out.push(digit(n));
    }
    out.push_str(" +0000");
    out
}

/// `Jan` ... `Dec` for month 1 ... 12 (RFC 5322 §3.3 and IMAP's date-time use these).
pub fn month_abbrev(m: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS[(m.clamp(1, 12) - 1) as usize]
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month and day of the date `z` days after 1970-01-01 (the inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
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
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250_000)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDuration(1_500_000)));
        assert_eq!(parse_duration("2m"), Ok(SimDuration(120_000_000)));
        assert_eq!(parse_duration("0"), Ok(SimDuration::ZERO));
        assert_eq!(parse_duration("300us"), Ok(SimDuration(300)));
        assert!(parse_duration("12").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("5 parsecs")
                .unwrap_err()
                .contains("not a time unit")
        );
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn display_is_seconds_with_millis() {
        assert_eq!(SimTime(21_437).to_string(), "0.021s");
        assert_eq!(SimTime(12_345_678).to_string(), "12.345s");
    }

    #[test]
    fn rfc5322_dates() {
        let t = days_from_civil(2026, 11, 27) * 86_400 + 9 * 3600;
        assert_eq!(rfc5322_date(t), "Fri, 27 Nov 2026 09:00:00 +0000");
        assert_eq!(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    proptest::proptest! {
        /// Written digit by digit, a date reads as `format!` writes it, for any second of years
        /// -5000 to 15000 (outside 1000..=9999 it is `format!`'s).
        #[test]
        fn rfc5322_date_as_format_writes_it(unix in -220_000_000_000i64..411_000_000_000) {
            let days = unix.div_euclid(86_400);
            let secs = unix.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
            let expected = format!(
                "{weekday}, {d} {} {y} {:02}:{:02}:{:02} +0000",
                month_abbrev(m),
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
            proptest::prop_assert_eq!(rfc5322_date(unix), expected);
        }
    }
}
