//! When Application Auto Scaling runs a scheduled action: `at(yyyy-mm-ddThh:mm:ss)` once, or
//! `cron(minutes hours day-of-month month day-of-week year)` at every matching local minute,
//! both in the action's IANA time zone (so daylight saving is applied as AWS applies it). The
//! day fields are read by prewarm's own calendar (`CronDays`), so the replay runs on the days
//! a synced action runs; minutes and hours take numbers, `*`, lists, ranges and `/` steps.

use chrono::{DateTime, Timelike, Utc};
use prewarm::calendar::{at_instant, CronDays, Zone};

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Schedule {
    At(DateTime<Utc>),
    Cron {
        minutes: String,
        hours: String,
        days: Box<CronDays>,
        zone: Zone,
    },
}

pub fn parse(expression: &str, zone: &str) -> Result<Schedule, String> {
    let tz =
        Zone::named(zone).ok_or_else(|| format!("timezone {zone:?} is not an IANA time zone"))?;
    if let Some(instant) = at_instant(expression, &tz) {
        return instant.map(Schedule::At);
    }
    if let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minutes, hours, day_of_month, month, day_of_week, year] = fields[..] else {
            return Err(format!("{expression}: a cron has 6 fields"));
        };
        for (spec, max) in [(minutes, 59), (hours, 23)] {
            (0..=max)
                .map(|v| field(spec, v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{expression}: {e}"))?;
        }
        let days = CronDays::parse(day_of_month, month, day_of_week, year)
            .map_err(|e| format!("{expression}: {e}"))?;
        return Ok(Schedule::Cron {
            minutes: minutes.to_owned(),
            hours: hours.to_owned(),
            days: Box::new(days),
            zone: tz,
        });
    }
    Err(format!(
        "{expression}: only at(...) and cron(...) schedules can be simulated"
    ))
}

impl Schedule {
    /// Whether the action runs in the minute starting at `minute` (UTC, whole minute).
    pub fn matches(&self, minute: DateTime<Utc>) -> bool {
        match self {
            Schedule::At(at) => *at >= minute && *at < minute + chrono::Duration::minutes(1),
            Schedule::Cron {
                minutes,
                hours,
                days,
                zone,
            } => {
                let local = zone.local(minute);
                field(minutes, local.minute()) == Ok(true)
                    && field(hours, local.hour()) == Ok(true)
                    && days.matches(local.date())
            }
        }
    }
}

/// `*`, `n`, `a-b`, `*/s`, `a/s`, and comma lists of those (the minute and hour fields).
fn field(spec: &str, v: u32) -> Result<bool, String> {
    let number = |text: &str| {
        text.parse::<u32>()
            .map_err(|_| format!("cron field value {text:?} is not understood"))
    };
    for part in spec.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, number(s)?.max(1)),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" => (0, u32::MAX),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None if step > 1 => (number(r)?, u32::MAX),
                None => (number(r)?, number(r)?),
            },
        };
        let base = if range == "*" { 0 } else { lo };
        if v >= lo && v <= hi && (v - base).is_multiple_of(step) {
            return Ok(true);
        }
    }
    Ok(false)
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
        assert!(matches!(s, Schedule::At(at) if at == t("2026-12-04T22:45:00Z")));
        assert!(s.matches(t("2026-12-04T22:45:00Z")));
        assert!(!s.matches(t("2026-12-04T22:44:00Z")));
        // The hour clocks skip in spring names no instant; a malformed at(...) is said so.
        let skipped = parse("at(2027-03-14T02:30:00)", "America/New_York").unwrap_err();
        assert!(
            skipped.contains("does not exist in America/New_York"),
            "{skipped}"
        );
        let malformed = parse("at(2027-03-14)", "UTC").unwrap_err();
        assert!(
            malformed.contains("not at(yyyy-mm-ddThh:mm:ss)"),
            "{malformed}"
        );
    }

    #[test]
    fn cron_follows_daylight_saving_and_nth_weekdays() {
        let s = parse("cron(45 17 ? * FRI#1 *)", "America/New_York").unwrap();
        // First Friday of December 2026 (EST, UTC-5) and of May 2026 (EDT, UTC-4).
        assert!(s.matches(t("2026-12-04T22:45:00Z")));
        assert!(s.matches(t("2026-05-01T21:45:00Z")));
        assert!(!s.matches(t("2026-12-11T22:45:00Z")));
        let daily = parse("cron(30 18 * * ? *)", "Europe/London").unwrap();
        assert!(daily.matches(t("2026-11-03T18:30:00Z")));
        assert!(daily.matches(t("2026-07-03T17:30:00Z")));
        let weekly = parse("cron(0 9 ? * MON-WED *)", "Etc/UTC").unwrap();
        assert!(weekly.matches(t("2026-11-04T09:00:00Z"))); // a Wednesday
        assert!(!weekly.matches(t("2026-11-05T09:00:00Z")));
    }

    /// The day fields are prewarm's own: `L`, `W`, and steps in the day of the month.
    #[test]
    fn day_fields_are_read_as_prewarm_reads_them() {
        let last = parse("cron(0 9 L * ? *)", "Etc/UTC").unwrap();
        assert!(last.matches(t("2026-11-30T09:00:00Z")));
        assert!(!last.matches(t("2026-11-29T09:00:00Z")));
        let odd = parse("cron(0 9 1/2 * ? *)", "Etc/UTC").unwrap();
        assert!(odd.matches(t("2026-11-03T09:00:00Z")));
        assert!(!odd.matches(t("2026-11-04T09:00:00Z")));
        assert!(parse("cron(0 9 32 * ? *)", "Etc/UTC")
            .unwrap_err()
            .contains("day-of-month"));
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
