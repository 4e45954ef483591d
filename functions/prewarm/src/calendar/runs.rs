//! When a scheduled action runs, read from its expression as Application Auto Scaling and
//! Scheduler run it: `at(yyyy-mm-ddThh:mm:ss)` once; `cron(minutes hours day-of-month month
//! day-of-week year)` at every matching local minute, from its `StartTime` on; both in the
//! action's IANA time zone, so daylight saving is applied as AWS applies it. What an event
//! that is on needs when its entry leaves the calendar ([`crate::ends::running`]), and what the
//! what-if replays.

use chrono::{DateTime, Days, NaiveDate, Timelike, Utc};

use super::schedule::{at, instant};
use super::{at_instant, CronDays, ScheduledAction, Zone, UTC_ZONE};

/// How far back and ahead a recurring action's runs are looked for: a year, and a month more
/// for a monthly one whose day some months lack.
const HORIZON_DAYS: u64 = 400;

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Schedule {
    At(DateTime<Utc>),
    Cron {
        /// The minutes and hours the cron runs at, in order.
        minutes: Vec<u32>,
        hours: Vec<u32>,
        days: Box<CronDays>,
        zone: Zone,
    },
}

impl Schedule {
    /// `expression` in time zone `zone`; an error says what is not understood. Minutes and
    /// hours take numbers, `*`, lists, ranges and `/` steps; the day fields are [`CronDays`].
    pub fn parse(expression: &str, zone: &str) -> Result<Schedule, String> {
        let tz = Zone::named(zone)
            .ok_or_else(|| format!("timezone {zone:?} is not an IANA time zone"))?;
        if let Some(instant) = at_instant(expression, &tz) {
            return instant.map(Schedule::At);
        }
        let Some(inner) = (expression.strip_prefix("cron(")).and_then(|r| r.strip_suffix(')'))
        else {
            return Err(format!(
                "{expression}: only at(...) and cron(...) schedules can be simulated"
            ));
        };
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minutes, hours, day_of_month, month, day_of_week, year] = fields[..] else {
            return Err(format!("{expression}: a cron has 6 fields"));
        };
        let values = |spec: &str, max: u32| -> Result<Vec<u32>, String> {
            let mut matching = Vec::new();
            for v in 0..=max {
                if field(spec, v).map_err(|e| format!("{expression}: {e}"))? {
                    matching.push(v);
                }
            }
            Ok(matching)
        };
        let days = CronDays::parse(day_of_month, month, day_of_week, year)
            .map_err(|e| format!("{expression}: {e}"))?;
        Ok(Schedule::Cron {
            minutes: values(minutes, 59)?,
            hours: values(hours, 23)?,
            days: Box::new(days),
            zone: tz,
        })
    }

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
                minutes.contains(&local.minute())
                    && hours.contains(&local.hour())
                    && days.matches(local.date())
            }
        }
    }

    /// A cron's last run at or before `now` (or, `ahead`, its first run after `now`), within
    /// the horizon; a local time the clocks skip runs when they jump, one that occurs twice
    /// the first time.
    fn cron_run(&self, now: DateTime<Utc>, ahead: bool) -> Option<DateTime<Utc>> {
        let Schedule::Cron {
            minutes,
            hours,
            days,
            zone,
        } = self
        else {
            return None;
        };
        let today = zone.local(now).date();
        let day = |k: u64| -> Option<NaiveDate> {
            let k = Days::new(k);
            if ahead {
                today.checked_add_days(k)
            } else {
                today.checked_sub_days(k)
            }
        };
        let on_day = |date: NaiveDate| {
            let times = (hours.iter()).flat_map(|h| minutes.iter().map(move |m| (*h, *m)));
            let runs =
                times.filter_map(move |(h, m)| Some(instant(zone, date.and_hms_opt(h, m, 0)?)));
            if ahead {
                runs.filter(|t| *t > now).min()
            } else {
                runs.filter(|t| *t <= now).max()
            }
        };
        (0..=HORIZON_DAYS)
            .map_while(day)
            .filter(|d| days.matches(*d))
            .find_map(on_day)
    }
}

impl ScheduledAction {
    /// When a one-off action (`at(...)`) runs; `None` for a recurring one.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match self.parsed()? {
            Schedule::At(due) => Some(due),
            Schedule::Cron { .. } => None,
        }
    }

    /// The last time this action ran at or before `now`, from its `StartTime` on; `None` when
    /// it has not run (within the horizon) or its expression is not understood.
    pub fn last_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let run = match self.parsed()? {
            Schedule::At(due) => (due <= now).then_some(due),
            cron => cron.cron_run(now, false),
        };
        run.filter(|t| self.start_time.is_none_or(|from| *t >= from))
    }

    /// The next time this action runs after `now` (and from its `StartTime` on).
    pub fn next_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.parsed()? {
            Schedule::At(due) => (due > now).then_some(due),
            cron => {
                // Runs fall on whole minutes: none between a second before StartTime and it.
                let from = self.start_time.map(|t| t - chrono::Duration::seconds(1));
                cron.cron_run(from.map_or(now, |from| now.max(from)), true)
            }
        }
    }

    /// Whether the event this action starts, and `end` ends, is on at `t`: this start has
    /// run since the end last did.
    pub fn started_since(&self, end: &ScheduledAction, t: DateTime<Utc>) -> bool {
        self.last_run(t)
            .is_some_and(|started| end.last_run(t).is_none_or(|ended| ended < started))
    }

    /// This action made one-off, at `instant` in its zone (in UTC where that local time
    /// occurs twice); `None` when its zone is unknown.
    pub fn once_at(&self, instant: DateTime<Utc>) -> Option<ScheduledAction> {
        let (schedule, timezone) = at(&Zone::named(self.zone())?, instant);
        Some(ScheduledAction {
            schedule,
            timezone: Some(timezone),
            start_time: None,
            ..self.clone()
        })
    }

    fn zone(&self) -> &str {
        self.timezone.as_deref().unwrap_or(UTC_ZONE)
    }

    fn parsed(&self) -> Option<Schedule> {
        Schedule::parse(&self.schedule, self.zone()).ok()
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
