//! When an action this function wrote runs, read back from its expression, as Application Auto
//! Scaling and Scheduler run it: an `at(...)` once; a `cron(M H <days>)` at that wall-clock
//! time in its zone on each of its days, from its `StartTime` on. What an event that is on
//! needs when its entry leaves the calendar ([`crate::ends::running`]).

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::schedule::{at, instant};
use super::{at_instant, CronDays, ScheduledAction, Zone, UTC_ZONE};

/// How far back and ahead a recurring action's runs are looked for: a year, and a month more
/// for a monthly one whose day some months lack.
const HORIZON_DAYS: u64 = 400;

/// What an expression says about when it runs.
enum Runs {
    Once(DateTime<Utc>),
    Cron(Cron),
}

struct Cron {
    minute: u32,
    hour: u32,
    days: CronDays,
    zone: Zone,
    /// `StartTime`: nothing runs before it.
    from: Option<DateTime<Utc>>,
}

impl ScheduledAction {
    /// The last time this action ran at or before `now`; `None` when it has not run (within
    /// the horizon) or its expression is none this function writes.
    pub fn last_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.runs()? {
            Runs::Once(due) => (due <= now).then_some(due),
            Runs::Cron(cron) => cron.runs(now, false).find(|t| *t <= now),
        }
    }

    /// The next time this action runs after `now`.
    pub fn next_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.runs()? {
            Runs::Once(due) => (due > now).then_some(due),
            Runs::Cron(cron) => cron.runs(now, true).find(|t| *t > now),
        }
    }

    /// This action made one-off, at `instant` in its zone (in UTC where that local time
    /// occurs twice); `None` when its zone is unknown.
    pub fn once_at(&self, instant: DateTime<Utc>) -> Option<ScheduledAction> {
        let (schedule, timezone) = at(&self.zone()?, instant);
        Some(ScheduledAction {
            schedule,
            timezone: Some(timezone),
            start_time: None,
            ..self.clone()
        })
    }

    fn zone(&self) -> Option<Zone> {
        Zone::named(self.timezone.as_deref().unwrap_or(UTC_ZONE))
    }

    fn runs(&self) -> Option<Runs> {
        let zone = self.zone()?;
        if let Some(due) = at_instant(&self.schedule, &zone) {
            return due.ok().map(Runs::Once);
        }
        let inner = self.schedule.strip_prefix("cron(")?.strip_suffix(')')?;
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minute, hour, day_of_month, month, day_of_week, year] = fields[..] else {
            return None;
        };
        Some(Runs::Cron(Cron {
            minute: minute.parse().ok()?,
            hour: hour.parse().ok()?,
            days: CronDays::parse(day_of_month, month, day_of_week, year).ok()?,
            zone,
            from: self.start_time,
        }))
    }
}

impl Cron {
    /// The runs on the local days from today going back (or `ahead`), within the horizon and
    /// from `StartTime` on.
    fn runs(&self, now: DateTime<Utc>, ahead: bool) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let today = self.zone.local(now).date();
        let day = move |k: u64| -> Option<NaiveDate> {
            let k = Days::new(k);
            if ahead {
                today.checked_add_days(k)
            } else {
                today.checked_sub_days(k)
            }
        };
        (0..=HORIZON_DAYS)
            .map_while(day)
            .filter(|d| self.days.matches(*d))
            .filter_map(|d| {
                Some(instant(
                    &self.zone,
                    d.and_hms_opt(self.hour, self.minute, 0)?,
                ))
            })
            .filter(|t| self.from.is_none_or(|from| *t >= from))
    }
}
