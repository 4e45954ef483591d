//! When Application Auto Scaling runs a scheduled action: `at(yyyy-mm-ddThh:mm:ss)` once, or
//! `cron(minutes hours day-of-month month day-of-week year)` at every matching local minute,
//! both in the action's IANA time zone (so daylight saving is applied as AWS applies it).
//! Supports what prewarm's calendar writes: numbers, `*`, `?`, lists, ranges, `*/n` steps,
//! weekday names or 1-7 (SUN = 1), and `DAY#n`.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    At(DateTime<Utc>),
    Cron { fields: Vec<String>, zone: Tz },
}

pub fn parse(expression: &str, zone: &str) -> Result<Schedule, String> {
    let tz: Tz = zone
        .parse()
        .map_err(|_| format!("timezone {zone:?} is not an IANA time zone"))?;
    if let Some(inner) = expression
        .strip_prefix("at(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let local = NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S")
            .map_err(|_| format!("{expression}: not at(yyyy-mm-ddThh:mm:ss)"))?;
        let instant = tz
            .from_local_datetime(&local)
            .earliest()
            .ok_or_else(|| format!("{expression}: does not exist in {zone}"))?;
        return Ok(Schedule::At(instant.with_timezone(&Utc)));
    }
    if let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let fields: Vec<String> = inner.split_whitespace().map(str::to_owned).collect();
        if fields.len() != 6 {
            return Err(format!("{expression}: a cron has 6 fields"));
        }
        let schedule = Schedule::Cron { fields, zone: tz };
        // Check every field once so a bad expression fails here, not on some minute.
        schedule.matches(Utc::now())?;
        return Ok(schedule);
    }
    Err(format!(
        "{expression}: only at(...) and cron(...) schedules can be simulated"
    ))
}

impl Schedule {
    /// Whether the action runs in the minute starting at `minute` (UTC, whole minute).
    pub fn matches(&self, minute: DateTime<Utc>) -> Result<bool, String> {
        match self {
            Schedule::At(at) => Ok(*at >= minute && *at < minute + chrono::Duration::minutes(1)),
            Schedule::Cron { fields, zone } => {
                let local = minute.with_timezone(zone);
                let dom_any = fields[2] == "?";
                let dow_any = fields[4] == "?";
                Ok(field(&fields[0], local.minute(), None)?
                    && field(&fields[1], local.hour(), None)?
                    && (dom_any || field(&fields[2], local.day(), None)?)
                    && field(&fields[3], local.month(), Some(MONTHS))?
                    && (dow_any || weekday(&fields[4], &local)?)
                    && field(&fields[5], local.year() as u32, None)?)
            }
        }
    }
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(text: &str, names: Option<&[&str]>) -> Result<u32, String> {
    if let Ok(n) = text.parse() {
        return Ok(n);
    }
    names
        .and_then(|n| n.iter().position(|x| x.eq_ignore_ascii_case(text)))
        .map(|i| i as u32 + 1)
        .ok_or_else(|| format!("cron field value {text:?} is not understood"))
}

/// `*`, `n`, `a-b`, `*/s`, `a/s`, and comma lists of those.
fn field(spec: &str, v: u32, names: Option<&[&str]>) -> Result<bool, String> {
    for part in spec.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .map_err(|_| format!("bad step in {spec:?}"))?
                    .max(1),
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" => (0, u32::MAX),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a, names)?, value(b, names)?),
                None if step > 1 => (value(r, names)?, u32::MAX),
                None => {
                    let n = value(r, names)?;
                    (n, n)
                }
            },
        };
        let base = if range == "*" { 0 } else { lo };
        if v >= lo && v <= hi && (v - base).is_multiple_of(step) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn weekday(spec: &str, local: &DateTime<Tz>) -> Result<bool, String> {
    let today = local.weekday().num_days_from_sunday() + 1;
    if let Some((day, nth)) = spec.split_once('#') {
        let nth: u32 = nth.parse().map_err(|_| format!("bad #n in {spec:?}"))?;
        return Ok(value(day, Some(DAYS))? == today && (local.day() - 1) / 7 + 1 == nth);
    }
    field(spec, today, Some(DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn at_runs_once_in_its_zone() {
        let s = parse("at(2026-12-04T17:45:00)", "America/New_York").unwrap();
        assert_eq!(s, Schedule::At(t("2026-12-04T22:45:00Z")));
        assert!(s.matches(t("2026-12-04T22:45:00Z")).unwrap());
        assert!(!s.matches(t("2026-12-04T22:44:00Z")).unwrap());
    }

    #[test]
    fn cron_follows_daylight_saving_and_nth_weekdays() {
        let s = parse("cron(45 17 ? * FRI#1 *)", "America/New_York").unwrap();
        // First Friday of December 2026 (EST, UTC-5) and of May 2026 (EDT, UTC-4).
        assert!(s.matches(t("2026-12-04T22:45:00Z")).unwrap());
        assert!(s.matches(t("2026-05-01T21:45:00Z")).unwrap());
        assert!(!s.matches(t("2026-12-11T22:45:00Z")).unwrap());
        let daily = parse("cron(30 18 * * ? *)", "Europe/London").unwrap();
        assert!(daily.matches(t("2026-11-03T18:30:00Z")).unwrap());
        assert!(daily.matches(t("2026-07-03T17:30:00Z")).unwrap());
        let weekly = parse("cron(0 9 ? * MON-WED *)", "Etc/UTC").unwrap();
        assert!(weekly.matches(t("2026-11-04T09:00:00Z")).unwrap()); // a Wednesday
        assert!(!weekly.matches(t("2026-11-05T09:00:00Z")).unwrap());
    }

    #[test]
    fn unknown_expressions_are_refused() {
        assert!(parse("rate(5 minutes)", "Etc/UTC")
            .unwrap_err()
            .contains("only at"));
        assert!(parse("cron(1 2 3)", "Etc/UTC")
            .unwrap_err()
            .contains("6 fields"));
        assert!(parse("cron(x 2 * * ? *)", "Etc/UTC").is_err());
        assert!(parse("at(2026-12-04T17:45:00)", "Mars/Base").is_err());
    }
}
