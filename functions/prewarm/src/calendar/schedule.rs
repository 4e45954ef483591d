//! An entry's schedules: `at(...)` for one-off events (exact instants, written in UTC where a
//! local time occurs twice), `cron(...)` in local time for recurring ones; the two actions of
//! an entry on one variant; and the difference between what the calendar wants and what exists.

use std::collections::BTreeSet;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};
use remediation::holds::Capacity;
use remediation::Error;

use super::{end_name, start_name, Entry, Recurrence, ScheduledAction, Timing, Zone};
use crate::payload::{EVENT_GAP_MINUTES, LATE_END_MINUTES};
use remediation::holds::rfc3339;

/// Timezone of an `at(...)` written in UTC (a local time that occurs twice).
pub const UTC_ZONE: &str = "Etc/UTC";

/// Interpret a local time in `tz`: a time skipped by daylight saving is refused, a time that
/// occurs twice means its first occurrence.
pub fn resolve(tz: &Zone, local: NaiveDateTime, field: &str) -> Result<DateTime<Utc>, Error> {
    match tz.instants(local) {
        LocalResult::Single(t) => Ok(t),
        LocalResult::Ambiguous(first, _) => Ok(first),
        LocalResult::None => Err(Error::InvalidEvent(format!(
            "{field}: {} does not exist in {} (the clocks skip it when daylight saving time \
             starts); pick a time outside the gap",
            local.format("%Y-%m-%dT%H:%M"),
            tz.name()
        ))),
    }
}

/// A local time as an instant, never refused: its first occurrence when it occurs twice, and
/// in a daylight-saving gap the moment the clocks jump (the first quarter hour that exists).
pub(super) fn instant(tz: &Zone, local: NaiveDateTime) -> DateTime<Utc> {
    (0..=96)
        .find_map(|quarter| {
            tz.instants(local + chrono::Duration::minutes(15 * quarter))
                .earliest()
        })
        .unwrap_or_else(|| local.and_utc())
}

/// The `StartTime` of a recurring entry's raise and restore: the start of the local day on
/// which each first runs (the raise may run the day before `start`, the end the day after).
/// AWS starts a cron at its next match after `StartTime`, so nothing runs before the entry's
/// first occurrence. One-off entries have none: `at(...)` runs once.
fn start_times(entry: &Entry) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    if entry.recurrence.is_none() {
        return (None, None);
    }
    let day_start = |day: NaiveDate| Some(instant(&entry.timezone, day.and_time(NaiveTime::MIN)));
    (
        day_start((entry.start - lead(entry)).date()),
        day_start(entry.end.date()),
    )
}

/// `at(...)` for an instant, in local time with the entry's zone; a local time that occurs
/// twice (the hour clocks go back) is written in UTC so it is exact.
pub(super) fn at(tz: &Zone, instant: DateTime<Utc>) -> (String, String) {
    let local = tz.local(instant);
    match tz.instants(local) {
        LocalResult::Single(_) => (
            format!("at({})", local.format("%Y-%m-%dT%H:%M:%S")),
            tz.name().to_owned(),
        ),
        _ => (
            format!("at({})", instant.naive_utc().format("%Y-%m-%dT%H:%M:%S")),
            UTC_ZONE.to_owned(),
        ),
    }
}

/// When an `at(yyyy-mm-ddThh:mm:ss)` expression runs in time zone `zone`, as Application Auto
/// Scaling and Scheduler read it (a local time that occurs twice: its first occurrence).
/// `None` for any other expression; `Err` for an `at(...)` that names no instant.
pub fn at_instant(expression: &str, zone: &Zone) -> Option<Result<DateTime<Utc>, String>> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    let instant = NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| format!("{expression}: not at(yyyy-mm-ddThh:mm:ss)"))
        .and_then(|local| {
            zone.instants(local)
                .earliest()
                .ok_or_else(|| format!("{expression}: does not exist in {}", zone.name()))
        });
    Some(instant)
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MON",
        Weekday::Tue => "TUE",
        Weekday::Wed => "WED",
        Weekday::Thu => "THU",
        Weekday::Fri => "FRI",
        Weekday::Sat => "SAT",
        Weekday::Sun => "SUN",
    }
}

fn ordinal(n: u32) -> &'static str {
    ["first", "second", "third", "fourth"]
        .get(n as usize - 1)
        .copied()
        .unwrap_or("nth")
}

/// The `at(...)` or `cron(...)` schedules (with their zone) of an entry's raise and restore.
pub fn timing(entry: &Entry, now: DateTime<Utc>) -> Result<Timing, Error> {
    match &entry.recurrence {
        None => one_off(entry, now),
        Some(recurrence) => recurring(entry, recurrence),
    }
}

/// One-off: exact instants. The lead is real time, so it is right across a DST change.
fn one_off(entry: &Entry, now: DateTime<Utc>) -> Result<Timing, Error> {
    let tz = &entry.timezone;
    let start = resolve(tz, entry.start, "start")?;
    let end = resolve(tz, entry.end, "end")?;
    if end <= now {
        return Ok(Timing::Expired);
    }
    let raise_at = start - lead(entry);
    let note = (raise_at <= now).then(|| {
        format!(
            "the raise time {} has passed; only the restore will run",
            rfc3339(raise_at)
        )
    });
    Ok(Timing::Scheduled {
        raise: at(tz, raise_at),
        restore: at(tz, end),
        note,
    })
}

fn lead(entry: &Entry) -> chrono::Duration {
    chrono::Duration::minutes(entry.lead_minutes.into())
}

/// When the event an entry starts on local date `day` is raised and when it ends, as instants
/// (a one-off entry: its one event, `day` being its start's). As the actions run: a one-off
/// lead is real time, a recurring entry's raise and end are wall-clock times.
pub(super) fn occurrence(entry: &Entry, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let tz = &entry.timezone;
    let (start, end) = local_event(entry, day);
    let end = instant(tz, end);
    match entry.recurrence {
        None => (instant(tz, start) - lead(entry), end),
        Some(_) => (instant(tz, start - lead(entry)), end),
    }
}

/// The local start and end of the event an entry starts on local date `day`.
fn local_event(entry: &Entry, day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = day.and_time(entry.start.time());
    (start, start + (entry.end - entry.start))
}

/// Recurring: wall-clock times in the zone; AWS applies daylight saving on every occurrence.
fn recurring(entry: &Entry, recurrence: &Recurrence) -> Result<Timing, Error> {
    check_recurring(entry, recurrence)?;
    let raise = entry.start - lead(entry);
    let end = entry.end;
    let cron = |t: NaiveDateTime, days: &str| format!("cron({} {} {days})", t.minute(), t.hour());
    let (raise_expr, end_expr) = match recurrence {
        Recurrence::Daily => (cron(raise, "* * ? *"), cron(end, "* * ? *")),
        Recurrence::Weekly => (
            cron(raise, &format!("? * {} *", weekday_name(raise.weekday()))),
            cron(end, &format!("? * {} *", weekday_name(end.weekday()))),
        ),
        Recurrence::Monthly => (
            cron(raise, &format!("{} * ? *", raise.day())),
            cron(end, &format!("{} * ? *", end.day())),
        ),
        Recurrence::MonthlyNth { nth, weekday } => {
            let days = format!("? * {}#{nth} *", weekday_name(*weekday));
            (cron(raise, &days), cron(end, &days))
        }
        Recurrence::Cron { days, .. } => {
            let days = days.to_string();
            (cron(raise, &days), cron(end, &days))
        }
    };
    let zone = entry.timezone.name().to_owned();
    Ok(Timing::Scheduled {
        raise: (raise_expr, zone.clone()),
        restore: (end_expr, zone),
        note: None,
    })
}

/// A recurring entry's raise and end at times of day that exist on every day it runs on,
/// over the two years after its start: Scheduler skips a cron time the clocks skip when
/// daylight saving time starts, so that occurrence would not end (or not be raised).
fn check_gaps(entry: &Entry, recurrence: &Recurrence) -> Result<(), Error> {
    let first = entry.start.date();
    let field = if entry.lead_minutes > 0 {
        "lead_minutes"
    } else {
        "start"
    };
    let last = first + chrono::Duration::days(2 * 366 - 1);
    for day in recurrence.days(first, last) {
        let (start, end) = local_event(entry, day);
        for (local, field) in [(start - lead(entry), field), (end, "end")] {
            if let LocalResult::None = entry.timezone.instants(local) {
                return Err(Error::InvalidEvent(format!(
                    "{field}: {} does not exist in {} on {} (the clocks skip it when daylight \
                     saving time starts), and AWS skips a recurring action at a time that does \
                     not exist: pick a time outside the gap",
                    local.format("%H:%M"),
                    entry.timezone.name(),
                    local.date()
                )));
            }
        }
    }
    Ok(())
}

/// What a recurring entry must keep so that its two crons describe it on every occurrence.
fn check_recurring(entry: &Entry, recurrence: &Recurrence) -> Result<(), Error> {
    check_gaps(entry, recurrence)?;
    let raise = entry.start - lead(entry);
    let end = entry.end;
    let same_day = |what: &str| -> Result<(), Error> {
        let day = if what == "end" {
            end.date()
        } else {
            raise.date()
        };
        if day == entry.start.date() {
            Ok(())
        } else {
            Err(Error::InvalidEvent(format!(
                "{}: with recurrence {}, the {what} must fall on the start's day ({}), not {day}",
                if what == "end" { "end" } else { "lead_minutes" },
                describe(recurrence),
                entry.start.date()
            )))
        }
    };
    // One occurrence ends, late end included, before the next is raised: an end at or after
    // the next raise would drop that occurrence to the baseline.
    let (period, said) = match recurrence {
        Recurrence::Daily => (chrono::Duration::hours(24), "24 hours".to_owned()),
        Recurrence::Weekly => (chrono::Duration::days(7), "7 days".to_owned()),
        Recurrence::Cron { .. } => {
            let days = closest_days(recurrence, entry.start.date());
            let said = format!("{days} day{}", if days == 1 { "" } else { "s" });
            (chrono::Duration::days(days), said)
        }
        _ => (chrono::Duration::days(28), "28 days".to_owned()),
    };
    if end - raise > period - chrono::Duration::minutes(EVENT_GAP_MINUTES) {
        return Err(Error::InvalidEvent(format!(
            "end: an event that repeats {} may last at most {said} less {EVENT_GAP_MINUTES} \
             minutes, lead_minutes included (one occurrence must end {EVENT_GAP_MINUTES} \
             minutes before the next is raised, as its end may be decided up to \
             {LATE_END_MINUTES} minutes late)",
            describe(recurrence)
        )));
    }
    match recurrence {
        Recurrence::Daily | Recurrence::Weekly => Ok(()),
        Recurrence::Monthly => {
            same_day("raise")?;
            check_monthly_days(entry)
        }
        Recurrence::MonthlyNth { nth, weekday } => {
            let start = entry.start.date();
            if !recurrence.runs_on(start, start) {
                return Err(Error::InvalidEvent(format!(
                    "start: {start} is not the {} {weekday} of its month, as recurrence {} says",
                    ordinal(*nth),
                    describe(recurrence)
                )));
            }
            same_day("raise")?;
            same_day("end")
        }
        Recurrence::Cron { minute, hour, days } => {
            if (*hour, *minute) != (entry.start.hour(), entry.start.minute()) {
                return Err(Error::InvalidEvent(format!(
                    "recurrence: the cron starts the event at {hour:02}:{minute:02} but start \
                     says {}; they must agree",
                    entry.start.format("%H:%M")
                )));
            }
            let start = entry.start.date();
            if !recurrence.runs_on(start, start) {
                return Err(Error::InvalidEvent(format!(
                    "start: {start} is not a day the cron runs on ({days}); start is the first \
                     occurrence"
                )));
            }
            same_day("raise")?;
            same_day("end")
        }
    }
}

/// The fewest days between two days a cron recurrence runs on (`MON-FRI`: 1), over the 28
/// years after `first` in which its weekdays come back to the same dates; 28 when it runs once
/// at most in them.
fn closest_days(recurrence: &Recurrence, first: NaiveDate) -> i64 {
    let runs = recurrence.days(first, first + chrono::Duration::days(28 * 366 - 1));
    let (mut closest, mut last) = (28, None::<NaiveDate>);
    for day in runs {
        if let Some(last) = last {
            closest = closest.min((day - last).num_days());
            if closest == 1 {
                break;
            }
        }
        last = Some(day);
    }
    closest
}

/// `monthly` repeats on a day of the month, and a cron day-of-month that a month lacks skips
/// that month: the event's days must be in every month (1 to 28), and it ends in the month it
/// starts in (an end on "the 2nd" after a start on the 27th would not be the same length every
/// month).
fn check_monthly_days(entry: &Entry) -> Result<(), Error> {
    let (start, end) = (entry.start.date(), entry.end.date());
    if start.day() > 28 {
        return Err(Error::InvalidEvent(format!(
            "start: {start} is day {} of its month, which not every month has: with recurrence \
             monthly, AWS would skip the months without it. Start on day 1 to 28, or use a \
             weekday-based recurrence such as monthly:fourth-{}",
            start.day(),
            [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday"
            ][start.weekday().num_days_from_monday() as usize]
        )));
    }
    if end.day() > 28 || end.month() != start.month() {
        return Err(Error::InvalidEvent(format!(
            "end: {end}: with recurrence monthly, the event must end by day 28 of the month it \
             starts in (a cron cannot end it on the same day after the start in every month); \
             end earlier or start earlier"
        )));
    }
    Ok(())
}

fn describe(recurrence: &Recurrence) -> String {
    match recurrence {
        Recurrence::Daily => "daily".to_owned(),
        Recurrence::Weekly => "weekly".to_owned(),
        Recurrence::Monthly => "monthly".to_owned(),
        Recurrence::MonthlyNth { nth, weekday } => {
            format!("monthly:{}-{}", ordinal(*nth), weekday)
        }
        Recurrence::Cron { .. } => "cron".to_owned(),
    }
}

/// The two actions of an entry on one variant. `baseline` is what the variant returns to
/// (the entry's, else the one this calendar already schedules, else the variant's);
/// `original_max` the MaxCapacity to return to when `raise_max` raised it.
pub fn actions(
    entry: &Entry,
    (resource_id, dimension): (&str, &str),
    raise: &(String, String),
    restore: &(String, String),
    current: Capacity,
    previous_end: Option<&ScheduledAction>,
    variant_baseline: u32,
) -> (Vec<ScheduledAction>, Option<String>) {
    let baseline = entry
        .baseline
        .or_else(|| previous_end.and_then(|a| a.min_capacity))
        .unwrap_or(variant_baseline);
    let original_max = previous_end
        .and_then(|a| a.max_capacity)
        .unwrap_or(current.max);
    let wanted = entry.min_capacity;
    let (start_min, start_max, end_max, note) = if wanted <= original_max {
        (wanted, None, None, None)
    } else if entry.raise_max {
        (
            wanted,
            Some(wanted),
            Some(original_max),
            Some(format!(
                "MaxCapacity raised from {original_max} to {wanted} during the event (raise_max)"
            )),
        )
    } else {
        (
            original_max,
            None,
            None,
            Some(format!(
                "min_capacity {wanted} capped at MaxCapacity={original_max}; set raise_max to \
                 raise MaxCapacity too"
            )),
        )
    };
    let action =
        |name: String, (schedule, zone): &(String, String), min, max, start_time| ScheduledAction {
            name,
            resource_id: resource_id.to_owned(),
            dimension: dimension.to_owned(),
            schedule: schedule.clone(),
            timezone: Some(zone.clone()),
            min_capacity: Some(min),
            max_capacity: max,
            start_time,
        };
    let (raise_from, restore_from) = start_times(entry);
    (
        vec![
            action(
                start_name(&entry.name),
                raise,
                start_min,
                start_max,
                raise_from,
            ),
            action(
                end_name(&entry.name),
                restore,
                baseline.min(end_max.unwrap_or(original_max)),
                end_max,
                restore_from,
            ),
        ],
        note,
    )
}

/// What a sync changes: actions to put (new or different) and to delete (ours, no longer in
/// the calendar); `existing` must hold only actions this function owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub create: Vec<ScheduledAction>,
    pub update: Vec<ScheduledAction>,
    pub unchanged: Vec<ScheduledAction>,
    pub delete: Vec<ScheduledAction>,
}

pub fn diff(desired: Vec<ScheduledAction>, existing: &[ScheduledAction]) -> Changes {
    let mut changes = Changes::default();
    let key = |a: &ScheduledAction| (a.resource_id.clone(), a.name.clone());
    let wanted: BTreeSet<_> = desired.iter().map(key).collect();
    for action in desired {
        match existing.iter().find(|e| key(e) == key(&action)) {
            Some(found) if *found == action => changes.unchanged.push(action),
            Some(_) => changes.update.push(action),
            None => changes.create.push(action),
        }
    }
    changes.delete = existing
        .iter()
        .filter(|e| !wanted.contains(&key(e)))
        .cloned()
        .collect();
    changes
}
