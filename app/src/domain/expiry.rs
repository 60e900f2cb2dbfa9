//! When a credential stops working: GitHub, GitLab and Docker Hub tokens carry an expiry date,
//! which people note on the credential ("Expires on"). The list shows the days left; pages warn
//! from [`WARN_DAYS`] ahead and after the date.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Days ahead of the date from which pages warn.
pub const WARN_DAYS: i64 = 14;

/// The form field.
pub const FIELD: &str = "expires_on";

/// Reads an "Expires on" field: blank for none, else `YYYY-MM-DD` (what `<input type=date>`
/// sends), a real date between 2000 and 2199.
pub fn parse_expires_on(input: &str) -> Result<Option<Date>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let bad = || format!("\"{input}\" is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31.");
    let mut parts = input.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    if !(2000..=2199).contains(&year) {
        return Err("Enter a date between 2000 and 2199.".into());
    }
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day)
        .map(Some)
        .map_err(|_| format!("{input} is not a day of the calendar."))
}

/// `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// How far a credential is from its expiry date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Expiry {
    /// More than [`WARN_DAYS`] left.
    Later { days_left: i64 },
    /// [`WARN_DAYS`] or fewer left (0: its last day).
    Soon { days_left: i64 },
    /// The date has passed.
    Expired { days_ago: i64 },
}

impl Expiry {
    /// Where `expires_on` (`YYYY-MM-DD`) stands on `today`; `None` for no or an unreadable date.
    pub fn on(expires_on: Option<&str>, today: Date) -> Option<Self> {
        let date = parse_expires_on(expires_on?).ok()??;
        let days = (date - today).whole_days();
        Some(match days {
            d if d < 0 => Self::Expired { days_ago: -d },
            d if d <= WARN_DAYS => Self::Soon { days_left: d },
            d => Self::Later { days_left: d },
        })
    }

    /// Whether pages warn about it.
    pub fn warns(self) -> bool {
        !matches!(self, Self::Later { .. })
    }

    /// "in 15 days", "tomorrow", "today", "yesterday", "3 days ago".
    pub fn text(self) -> String {
        let days = |n: i64| format!("{n} day{}", if n == 1 { "" } else { "s" });
        match self {
            Self::Later { days_left: n } | Self::Soon { days_left: n } => match n {
                0 => "expires today".into(),
                1 => "expires tomorrow".into(),
                n => format!("expires in {}", days(n)),
            },
            Self::Expired { days_ago: 1 } => "expired yesterday".into(),
            Self::Expired { days_ago: n } => format!("expired {} ago", days(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        parse_expires_on(text).unwrap().unwrap()
    }

    #[test]
    fn dates_are_read_strictly() {
        assert_eq!(parse_expires_on(" "), Ok(None));
        assert_eq!(format_date(day("2027-03-31")), "2027-03-31");
        assert_eq!(
            parse_expires_on("2027-02-30").unwrap_err(),
            "2027-02-30 is not a day of the calendar."
        );
        for bad in [
            "31.03.2027",
            "2027-3-31",
            "2027-03-31T00:00",
            "next week",
            "2027-13-01",
        ] {
            assert!(
                parse_expires_on(bad).unwrap_err().contains("YYYY-MM-DD"),
                "{bad}"
            );
        }
        assert_eq!(
            parse_expires_on("1999-12-31").unwrap_err(),
            "Enter a date between 2000 and 2199."
        );
    }

    #[test]
    fn warnings_start_fourteen_days_ahead_and_stay_after_the_date() {
        let today = day("2026-11-30");
        let at = |text: &str| Expiry::on(Some(text), today).unwrap();
        assert_eq!(at("2026-12-15"), Expiry::Later { days_left: 15 });
        assert!(!at("2026-12-15").warns());
        assert_eq!(at("2026-12-14"), Expiry::Soon { days_left: 14 });
        assert!(at("2026-12-14").warns());
        assert_eq!(at("2026-11-30"), Expiry::Soon { days_left: 0 });
        assert_eq!(at("2026-11-29"), Expiry::Expired { days_ago: 1 });
        assert!(at("2026-11-29").warns());
        assert_eq!(at("2026-12-15").text(), "expires in 15 days");
        assert_eq!(at("2026-12-01").text(), "expires tomorrow");
        assert_eq!(at("2026-11-30").text(), "expires today");
        assert_eq!(at("2026-11-29").text(), "expired yesterday");
        assert_eq!(at("2026-11-20").text(), "expired 10 days ago");
        assert_eq!(Expiry::on(None, today), None);
        assert_eq!(Expiry::on(Some("garbage"), today), None);
    }
}
