//! Times as people read them in a list: "3 hours ago", with the exact time kept for a tooltip.

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// How long before `now` the RFC 3339 time `at` was: "just now", "5 minutes ago", "3 hours
/// ago", "12 days ago", and the date (`2026-11-02`) from 30 days on. Text that is not RFC 3339
/// comes back as it is.
pub fn ago(at: &str, now: OffsetDateTime) -> String {
    let Ok(then) = OffsetDateTime::parse(at, &Rfc3339) else {
        return at.to_owned();
    };
    let seconds = (now - then).whole_seconds();
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        ..60 => "just now".to_owned(),
        60..3_600 => plural(seconds / 60, "minute"),
        3_600..86_400 => plural(seconds / 3_600, "hour"),
        86_400..2_592_000 => plural(seconds / 86_400, "day"),
        _ => at.get(..10).unwrap_or(at).to_owned(),
    }
}

/// [`ago`] for Unix seconds.
pub fn ago_secs(at: i64, now: i64) -> String {
    let now = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    ago(&rfc3339_secs(at), now)
}

/// `2026-11-30T08:12:03Z` as `2026-11-30 08:12 UTC` (for tooltips and lists of expiries).
pub fn short_utc(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) if rfc3339.ends_with('Z') => format!("{} UTC", minutes.replace('T', " ")),
        _ => rfc3339.to_owned(),
    }
}

/// Unix seconds as RFC 3339 UTC (empty when out of range).
pub fn rfc3339_secs(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Unix seconds as `2026-11-30 08:12 UTC`.
pub fn short_utc_secs(seconds: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => seconds.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn recent_times_read_as_ago_and_old_ones_as_dates() {
        let now = datetime!(2026-11-30 12:00:00 UTC);
        for (at, want) in [
            ("2026-11-30T11:59:30Z", "just now"),
            ("2026-11-30T12:00:30Z", "just now"),
            ("2026-11-30T11:59:00Z", "1 minute ago"),
            ("2026-11-30T11:15:00Z", "45 minutes ago"),
            ("2026-11-30T11:00:00Z", "1 hour ago"),
            ("2026-11-30T01:00:00Z", "11 hours ago"),
            ("2026-11-29T12:00:00Z", "1 day ago"),
            ("2026-11-01T12:00:00Z", "29 days ago"),
            ("2026-10-31T12:00:00Z", "2026-10-31"),
            ("soon", "soon"),
        ] {
            assert_eq!(ago(at, now), want, "{at}");
        }
    }

    #[test]
    fn expiries_are_shown_to_the_minute_in_utc() {
        assert_eq!(short_utc("2026-12-07T04:27:10Z"), "2026-12-07 04:27 UTC");
        assert_eq!(short_utc("soon"), "soon");
        assert_eq!(short_utc_secs(1_796_617_630), "2026-12-07 04:27 UTC");
    }
}
