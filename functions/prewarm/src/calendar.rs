//! The calendar, pure: entries parsed and checked, turned into Application Auto Scaling
//! scheduled actions (an `at(...)` or `cron(...)` expression in local time plus an IANA
//! `Timezone`, so daylight saving is applied by AWS), and compared with what exists.
//!
//! Every action this function creates is named `prewarm-<entry>-start` / `prewarm-<entry>-end`;
//! only actions with the `prewarm-` prefix are ever updated or deleted.

use std::collections::BTreeSet;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use remediation::holds::Capacity;
use remediation::Error;
use serde::Serialize;
use serde_json::Value;

use crate::payload::{rfc3339, Fields};

/// Every scheduled action this function owns starts with this.
pub const ACTION_PREFIX: &str = "prewarm-";
/// Timezone of an `at(...)` written in UTC (a local time that occurs twice).
pub const UTC_ZONE: &str = "Etc/UTC";

const ENTRY_FIELDS: [&str; 11] = [
    "name",
    "endpoint",
    "variant",
    "start",
    "end",
    "timezone",
    "lead_minutes",
    "min_capacity",
    "recurrence",
    "raise_max",
    "baseline",
];

/// One event of the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub endpoint: String,
    pub variant: Option<String>,
    /// Local wall-clock times in `timezone`.
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub timezone: Tz,
    pub lead_minutes: u32,
    pub min_capacity: u32,
    pub recurrence: Option<Recurrence>,
    pub raise_max: bool,
    /// MinCapacity to put back at the end; default: the variant's baseline.
    pub baseline: Option<u32>,
}

/// How an entry repeats. The time of day always comes from `start` / `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recurrence {
    Daily,
    /// On the weekday of `start`.
    Weekly,
    /// On the day of the month of `start`.
    Monthly,
    /// On the nth (1-4) given weekday of every month: `monthly:first-friday`.
    MonthlyNth {
        nth: u32,
        weekday: Weekday,
    },
    /// A raw 6-field cron for the event's start; its minute and hour must match `start`.
    Cron {
        minute: u32,
        hour: u32,
        day_of_month: String,
        month: String,
        day_of_week: String,
        year: String,
    },
}

/// One scheduled action, desired or found on AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledAction {
    pub name: String,
    pub resource_id: String,
    /// `sagemaker:variant:DesiredInstanceCount` (or `...DesiredProvisionedConcurrency`).
    #[serde(skip)]
    pub dimension: String,
    pub schedule: String,
    pub timezone: Option<String>,
    pub min_capacity: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<u32>,
}

impl ScheduledAction {
    /// The endpoint of a SageMaker variant resource id (`endpoint/<e>/variant/<v>`).
    pub fn endpoint(&self) -> Option<&str> {
        let rest = self.resource_id.strip_prefix("endpoint/")?;
        Some(rest.split_once("/variant/")?.0)
    }
}

/// When an entry's two actions run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timing {
    Scheduled {
        raise: (String, String),
        restore: (String, String),
        note: Option<String>,
    },
    /// A one-off event that is over: it needs no action (old ones are removed as stale).
    Expired,
}

pub fn start_name(entry: &str) -> String {
    format!("{ACTION_PREFIX}{entry}-start")
}

pub fn end_name(entry: &str) -> String {
    format!("{ACTION_PREFIX}{entry}-end")
}

/// Parse a calendar: a list of entries, or an object with a `calendar` list (a file or S3
/// object may use either). Every entry is checked; errors name `calendar[i].<field>`.
pub fn parse(value: &Value) -> Result<Vec<Entry>, Error> {
    let list = match value {
        Value::Array(list) => list,
        Value::Object(map) => match map.get("calendar") {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(Error::InvalidEvent(
                    "calendar: expected a list of entries (or {\"calendar\": [...]})".to_owned(),
                ))
            }
        },
        _ => {
            return Err(Error::InvalidEvent(
                "calendar: expected a list of entries".to_owned(),
            ))
        }
    };
    let mut names = BTreeSet::new();
    let mut entries = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let entry = parse_entry(item).map_err(|err| match err {
            Error::InvalidEvent(msg) => Error::InvalidEvent(format!("calendar[{i}].{msg}")),
            other => other,
        })?;
        if !names.insert(entry.name.clone()) {
            return Err(Error::InvalidEvent(format!(
                "calendar[{i}].name: {:?} is used by another entry; names must be unique",
                entry.name
            )));
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn parse_entry(item: &Value) -> Result<Entry, Error> {
    let Value::Object(map) = item else {
        return Err(Error::InvalidEvent(
            "entry: expected an object with name, endpoint, start, end, timezone, \
             min_capacity"
                .to_owned(),
        ));
    };
    let fields = Fields { map };
    fields.only(&ENTRY_FIELDS)?;
    let name = fields.required_str("name")?;
    if name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Error::InvalidEvent(format!(
            "name: {name:?} must be 1-100 letters, digits, '-', '_' or '.' (it names the \
             scheduled actions)"
        )));
    }
    let zone = fields.required_str("timezone")?;
    let timezone: Tz = zone.parse().map_err(|_| {
        Error::InvalidEvent(format!(
            "timezone: {zone:?} is not an IANA time zone name such as America/New_York or \
             Europe/Berlin"
        ))
    })?;
    let start = local_time(&fields, "start")?;
    let end = local_time(&fields, "end")?;
    if end <= start {
        return Err(Error::InvalidEvent(format!(
            "end: {end} is not after start {start}"
        )));
    }
    let lead_minutes = match map.get("lead_minutes") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n <= 24 * 60)
            .ok_or_else(|| {
                Error::InvalidEvent(format!(
                    "lead_minutes: expected 0 to 1440 whole minutes, got {n}"
                ))
            })?,
        Some(other) => {
            return Err(Error::InvalidEvent(format!(
                "lead_minutes: expected a whole number of minutes, got {other}"
            )))
        }
    };
    let baseline = match map.get("baseline") {
        None | Some(Value::Null) => None,
        Some(_) => Some(fields.capacity("baseline")?),
    };
    let recurrence = fields
        .optional_str("recurrence")?
        .map(|text| parse_recurrence(&text))
        .transpose()?;
    Ok(Entry {
        name,
        endpoint: fields.endpoint()?,
        variant: fields.variant()?,
        start,
        end,
        timezone,
        lead_minutes,
        min_capacity: fields.capacity("min_capacity")?,
        recurrence,
        raise_max: fields.bool("raise_max")?.unwrap_or(false),
        baseline,
    })
}

fn local_time(fields: &Fields<'_>, field: &str) -> Result<NaiveDateTime, Error> {
    let text = fields.required_str(field)?;
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&text, f).ok())
    .ok_or_else(|| {
        Error::InvalidEvent(format!(
            "{field}: {text:?} is not a local time such as 2026-12-04T18:00 (no offset: the \
                 timezone field says where)"
        ))
    })
}

fn parse_recurrence(text: &str) -> Result<Recurrence, Error> {
    let lower = text.to_ascii_lowercase();
    let bad = |why: &str| {
        Error::InvalidEvent(format!(
            "recurrence: {text:?} {why}; expected daily, weekly, monthly, \
             monthly:<first|second|third|fourth>-<weekday> or cron(<6 fields>)"
        ))
    };
    match lower.as_str() {
        "daily" => return Ok(Recurrence::Daily),
        "weekly" => return Ok(Recurrence::Weekly),
        "monthly" => return Ok(Recurrence::Monthly),
        _ => {}
    }
    if let Some(rest) = lower.strip_prefix("monthly:") {
        let (nth, day) = rest
            .split_once('-')
            .ok_or_else(|| bad("is not understood"))?;
        let nth = match nth {
            "first" => 1,
            "second" => 2,
            "third" => 3,
            "fourth" => 4,
            _ => return Err(bad("has an unknown position (first to fourth)")),
        };
        let weekday: Weekday = day.parse().map_err(|_| bad("has an unknown weekday"))?;
        return Ok(Recurrence::MonthlyNth { nth, weekday });
    }
    if let Some(inner) = text
        .trim()
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if parts.len() != 6 {
            return Err(bad(
                "does not have 6 fields (minutes hours day-of-month month day-of-week year)",
            ));
        }
        if parts.iter().any(|p| {
            !p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "*?,-/#".contains(c))
        }) {
            return Err(bad("has characters a cron field cannot have"));
        }
        if (parts[2] == "?") == (parts[4] == "?") {
            return Err(bad(
                "must have '?' in exactly one of day-of-month and day-of-week",
            ));
        }
        let (Ok(minute), Ok(hour)) = (parts[0].parse::<u32>(), parts[1].parse::<u32>()) else {
            return Err(bad(
                "must give the event's start as a single minute and hour",
            ));
        };
        return Ok(Recurrence::Cron {
            minute,
            hour,
            day_of_month: parts[2].to_owned(),
            month: parts[3].to_owned(),
            day_of_week: parts[4].to_owned(),
            year: parts[5].to_owned(),
        });
    }
    Err(bad("is not understood"))
}

/// Interpret a local time in `tz`: a time skipped by daylight saving is refused, a time that
/// occurs twice means its first occurrence.
pub fn resolve(tz: Tz, local: NaiveDateTime, field: &str) -> Result<DateTime<Tz>, Error> {
    match tz.from_local_datetime(&local) {
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

/// `at(...)` for an instant, in local time with the entry's zone; a local time that occurs
/// twice (the hour clocks go back) is written in UTC so it is exact.
fn at(tz: Tz, instant: DateTime<Utc>) -> (String, String) {
    let local = instant.with_timezone(&tz).naive_local();
    match tz.from_local_datetime(&local) {
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
    let tz = entry.timezone;
    let lead = chrono::Duration::minutes(entry.lead_minutes.into());
    let Some(recurrence) = &entry.recurrence else {
        // One-off: exact instants. The lead is real time, so it is right across a DST change.
        let start = resolve(tz, entry.start, "start")?.with_timezone(&Utc);
        let end = resolve(tz, entry.end, "end")?.with_timezone(&Utc);
        if end <= now {
            return Ok(Timing::Expired);
        }
        let raise_at = start - lead;
        let note = (raise_at <= now).then(|| {
            format!(
                "the raise time {} has passed; only the restore will run",
                rfc3339(raise_at)
            )
        });
        return Ok(Timing::Scheduled {
            raise: at(tz, raise_at),
            restore: at(tz, end),
            note,
        });
    };
    // Recurring: wall-clock times in the zone; AWS applies daylight saving on every occurrence.
    let raise = entry.start - lead;
    let end = entry.end;
    let span = end - entry.start;
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
    let limit = match recurrence {
        Recurrence::Daily => chrono::Duration::hours(24),
        Recurrence::Weekly => chrono::Duration::days(7),
        _ => chrono::Duration::days(28),
    };
    if span >= limit {
        return Err(Error::InvalidEvent(format!(
            "end: an event that repeats {} must be shorter than {} hours",
            describe(recurrence),
            limit.num_hours()
        )));
    }
    let cron = |t: NaiveDateTime, days: &str| format!("cron({} {} {days})", t.minute(), t.hour());
    let (raise_expr, end_expr) = match recurrence {
        Recurrence::Daily => (cron(raise, "* * ? *"), cron(end, "* * ? *")),
        Recurrence::Weekly => (
            cron(raise, &format!("? * {} *", weekday_name(raise.weekday()))),
            cron(end, &format!("? * {} *", weekday_name(end.weekday()))),
        ),
        Recurrence::Monthly => {
            same_day("raise")?;
            (
                cron(raise, &format!("{} * ? *", raise.day())),
                cron(end, &format!("{} * ? *", end.day())),
            )
        }
        Recurrence::MonthlyNth { nth, weekday } => {
            let start = entry.start.date();
            if start.weekday() != *weekday || (start.day() - 1) / 7 + 1 != *nth {
                return Err(Error::InvalidEvent(format!(
                    "start: {start} is not the {} {weekday} of its month, as recurrence {} says",
                    ordinal(*nth),
                    describe(recurrence)
                )));
            }
            same_day("raise")?;
            same_day("end")?;
            let days = format!("? * {}#{nth} *", weekday_name(*weekday));
            (cron(raise, &days), cron(end, &days))
        }
        Recurrence::Cron {
            minute,
            hour,
            day_of_month,
            month,
            day_of_week,
            year,
        } => {
            if (*hour, *minute) != (entry.start.hour(), entry.start.minute()) {
                return Err(Error::InvalidEvent(format!(
                    "recurrence: the cron starts the event at {hour:02}:{minute:02} but start \
                     says {}; they must agree",
                    entry.start.format("%H:%M")
                )));
            }
            same_day("raise")?;
            same_day("end")?;
            let days = format!("{day_of_month} {month} {day_of_week} {year}");
            (cron(raise, &days), cron(end, &days))
        }
    };
    Ok(Timing::Scheduled {
        raise: (raise_expr, tz.name().to_owned()),
        restore: (end_expr, tz.name().to_owned()),
        note: None,
    })
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
    let action = |name: String, (schedule, zone): &(String, String), min, max| ScheduledAction {
        name,
        resource_id: resource_id.to_owned(),
        dimension: dimension.to_owned(),
        schedule: schedule.clone(),
        timezone: Some(zone.clone()),
        min_capacity: Some(min),
        max_capacity: max,
    };
    (
        vec![
            action(start_name(&entry.name), raise, start_min, start_max),
            action(
                end_name(&entry.name),
                restore,
                baseline.min(end_max.unwrap_or(original_max)),
                end_max,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn entry(extra: Value) -> Value {
        let mut e = json!({"name": "promo", "endpoint": "prod-ranker", "variant": "AllTraffic",
            "start": "2026-12-04T18:00", "end": "2026-12-04T20:00",
            "timezone": "America/New_York", "lead_minutes": 15, "min_capacity": 10});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    }

    fn one(extra: Value) -> Entry {
        parse(&json!([entry(extra)])).unwrap().remove(0)
    }

    fn schedules(extra: Value) -> ((String, String), (String, String)) {
        match timing(&one(extra), now()).unwrap() {
            Timing::Scheduled { raise, restore, .. } => (raise, restore),
            Timing::Expired => panic!("expired"),
        }
    }

    const T: (&str, &str) = (
        "endpoint/e/variant/v",
        "sagemaker:variant:DesiredInstanceCount",
    );

    fn pair(expr: &str, zone: &str) -> (String, String) {
        (expr.to_owned(), zone.to_owned())
    }

    #[test]
    fn worked_example_one_off() {
        let (raise, restore) = schedules(json!({}));
        assert_eq!(raise, pair("at(2026-12-04T17:45:00)", "America/New_York"));
        assert_eq!(restore, pair("at(2026-12-04T20:00:00)", "America/New_York"));
    }

    /// 2027-03-14 02:00 in New York and 2027-03-28 02:00 in Berlin jump to 03:00: 15 minutes
    /// before 03:10 is 01:55 local, not the 02:55 that does not exist.
    #[test]
    fn lead_across_spring_forward_in_new_york_and_berlin() {
        for (zone, day) in [
            ("America/New_York", "2027-03-14"),
            ("Europe/Berlin", "2027-03-28"),
        ] {
            let (raise, restore) = schedules(json!({"timezone": zone,
                "start": format!("{day}T03:10"), "end": format!("{day}T05:10")}));
            assert_eq!(raise, pair(&format!("at({day}T01:55:00)"), zone));
            assert_eq!(restore, pair(&format!("at({day}T05:10:00)"), zone));
            let tz: Tz = zone.parse().unwrap();
            let raise_utc = resolve(tz, format!("{day}T01:55:00").parse().unwrap(), "x").unwrap();
            let start_utc = resolve(tz, format!("{day}T03:10:00").parse().unwrap(), "x").unwrap();
            assert_eq!(
                start_utc - raise_utc,
                chrono::Duration::minutes(15),
                "{zone}"
            );
            // A start inside the gap is refused.
            let err = timing(
                &one(json!({"timezone": zone, "start": format!("{day}T02:30"),
                            "end": format!("{day}T04:30")})),
                now(),
            )
            .unwrap_err();
            assert!(err.to_string().contains("does not exist in"), "{err}");
        }
    }

    /// 2027-11-07 in New York and 2027-10-31 in Berlin: 01:00-01:59 / 02:00-02:59 happen twice.
    #[test]
    fn fall_back_ambiguity_is_written_exactly() {
        // Berlin: 03:10 CET = 02:10 UTC; 90 minutes earlier is 00:40 UTC = 02:40 CEST, a local
        // time that occurs twice, so the action is written in UTC.
        let (raise, _) = schedules(json!({"timezone": "Europe/Berlin",
            "start": "2027-10-31T03:10", "end": "2027-10-31T05:00", "lead_minutes": 90}));
        assert_eq!(raise, pair("at(2027-10-31T00:40:00)", UTC_ZONE));
        // New York: 01:30 means its first occurrence (EDT, 05:30 UTC); 15 minutes earlier is
        // 01:15 EDT, also ambiguous locally.
        let (raise, restore) = schedules(json!({"start": "2027-11-07T01:30",
            "end": "2027-11-07T03:00"}));
        assert_eq!(raise, pair("at(2027-11-07T05:15:00)", UTC_ZONE));
        assert_eq!(restore, pair("at(2027-11-07T03:00:00)", "America/New_York"));
    }

    #[test]
    fn recurrences_become_cron_in_local_time() {
        let (raise, restore) = schedules(json!({"recurrence": "daily"}));
        assert_eq!(raise, pair("cron(45 17 * * ? *)", "America/New_York"));
        assert_eq!(restore, pair("cron(0 20 * * ? *)", "America/New_York"));
        // 2026-12-04 is a Friday, the first of December.
        let (raise, restore) = schedules(json!({"recurrence": "weekly"}));
        assert_eq!(raise.0, "cron(45 17 ? * FRI *)");
        assert_eq!(restore.0, "cron(0 20 ? * FRI *)");
        let (raise, _) = schedules(json!({"recurrence": "monthly"}));
        assert_eq!(raise.0, "cron(45 17 4 * ? *)");
        let (raise, restore) = schedules(json!({"recurrence": "monthly:first-friday",
            "timezone": "Europe/Berlin"}));
        assert_eq!(raise, pair("cron(45 17 ? * FRI#1 *)", "Europe/Berlin"));
        assert_eq!(restore, pair("cron(0 20 ? * FRI#1 *)", "Europe/Berlin"));
        let (raise, restore) = schedules(json!({"recurrence": "cron(0 18 ? * FRI#1 2026-2027)"}));
        assert_eq!(raise.0, "cron(45 17 ? * FRI#1 2026-2027)");
        assert_eq!(restore.0, "cron(0 20 ? * FRI#1 2026-2027)");
        // A weekly lead that crosses midnight moves the raise to the day before.
        let (raise, _) = schedules(json!({"recurrence": "weekly", "start": "2026-12-04T00:10",
            "end": "2026-12-04T02:00"}));
        assert_eq!(raise.0, "cron(55 23 ? * THU *)");
    }

    #[test]
    fn bad_entries_name_the_field() {
        let cases = [
            (
                json!({"timezone": "Mars/Olympus"}),
                "calendar[0].timezone: \"Mars/Olympus\"",
            ),
            (json!({"timezone": "EST5EDT-not"}), "calendar[0].timezone"),
            (
                json!({"min_capacity": 0}),
                "calendar[0].min_capacity: must be at least 1",
            ),
            (
                json!({"min_capacity": -2}),
                "calendar[0].min_capacity: must be at least 1",
            ),
            (
                json!({"start": "2026-12-04T18:00Z"}),
                "calendar[0].start: \"2026-12-04T18:00Z\"",
            ),
            (
                json!({"end": "2026-12-04T17:00"}),
                "calendar[0].end: 2026-12-04 17:00:00 is not after",
            ),
            (json!({"lead_minutes": -5}), "calendar[0].lead_minutes"),
            (json!({"name": "promo/1"}), "calendar[0].name"),
            (
                json!({"recurrence": "yearly"}),
                "calendar[0].recurrence: \"yearly\"",
            ),
            (json!({"recurrence": "cron(0 18 * * *)"}), "6 fields"),
            (json!({"recurrence": "cron(0 18 * * FRI *)"}), "exactly one"),
            (json!({"recurrence": "cron(0 17 ? * FRI *)"}), "must agree"),
            (
                json!({"recurrence": "monthly:first-thursday"}),
                "is not the first Thu",
            ),
            (
                json!({"colour": "red"}),
                "calendar[0].colour: unknown field",
            ),
        ];
        for (extra, expected) in cases {
            let result = parse(&json!([entry(extra.clone())]))
                .and_then(|mut e| timing(&e.remove(0), now()).map(|_| ()));
            let err = result.unwrap_err();
            assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
            assert!(
                err.to_string().contains(expected),
                "{extra}: {err} should mention {expected}"
            );
        }
        for field in [
            "name",
            "endpoint",
            "start",
            "end",
            "timezone",
            "min_capacity",
        ] {
            let mut e = entry(json!({}));
            e.as_object_mut().unwrap().remove(field);
            let err = parse(&json!([e])).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("calendar[0].{field}: missing")),
                "{err}"
            );
        }
        let err = parse(&json!([entry(json!({})), entry(json!({}))])).unwrap_err();
        assert!(err.to_string().contains("calendar[1].name"), "{err}");
    }

    #[test]
    fn a_finished_one_off_event_is_expired() {
        let e = one(json!({"start": "2026-11-01T18:00", "end": "2026-11-01T20:00"}));
        assert_eq!(timing(&e, now()).unwrap(), Timing::Expired);
    }

    #[test]
    fn actions_cap_or_raise_max_and_keep_the_scheduled_baseline() {
        let e = one(json!({"min_capacity": 25}));
        let (raise, restore) = schedules(json!({}));
        let cap = Capacity { min: 2, max: 20 };
        let (capped, note) = actions(&e, T, &raise, &restore, cap, None, 2);
        assert_eq!(capped[0].min_capacity, Some(20));
        assert_eq!(capped[0].max_capacity, None);
        assert!(note.unwrap().contains("capped at MaxCapacity=20"));
        let mut e = e;
        e.raise_max = true;
        let (raised, _) = actions(&e, T, &raise, &restore, cap, None, 2);
        assert_eq!(
            (raised[0].min_capacity, raised[0].max_capacity),
            (Some(25), Some(25))
        );
        assert_eq!(
            (raised[1].min_capacity, raised[1].max_capacity),
            (Some(2), Some(20))
        );
        // Synced again while the event runs (MinCapacity 25, MaxCapacity 25): the restore
        // still goes back to what the calendar scheduled before.
        let running = Capacity { min: 25, max: 25 };
        let (again, _) = actions(&e, T, &raise, &restore, running, Some(&raised[1]), 25);
        assert_eq!(again, raised);
    }

    #[test]
    fn diff_puts_what_differs_and_deletes_what_is_gone() {
        let a = |name: &str, schedule: &str| ScheduledAction {
            name: name.to_owned(),
            resource_id: "endpoint/e/variant/v".to_owned(),
            dimension: "sagemaker:variant:DesiredInstanceCount".to_owned(),
            schedule: schedule.to_owned(),
            timezone: Some("Europe/Berlin".to_owned()),
            min_capacity: Some(10),
            max_capacity: None,
        };
        let existing = vec![
            a("prewarm-x-start", "at(1)"),
            a("prewarm-y-start", "at(2)"),
            a("prewarm-old-end", "at(3)"),
        ];
        let changes = diff(
            vec![
                a("prewarm-x-start", "at(1)"),
                a("prewarm-y-start", "at(9)"),
                a("prewarm-z-start", "at(4)"),
            ],
            &existing,
        );
        assert_eq!(changes.unchanged, vec![a("prewarm-x-start", "at(1)")]);
        assert_eq!(changes.update, vec![a("prewarm-y-start", "at(9)")]);
        assert_eq!(changes.create, vec![a("prewarm-z-start", "at(4)")]);
        assert_eq!(changes.delete, vec![a("prewarm-old-end", "at(3)")]);
        assert_eq!(a("n", "s").endpoint(), Some("e"));
    }
}
