//! The calendar, pure: entries parsed and checked, turned into Application Auto Scaling
//! scheduled actions (an `at(...)` or `cron(...)` expression in local time plus an IANA
//! `Timezone`, so daylight saving is applied by AWS), and compared with what exists.
//!
//! Every action this function creates is named `prewarm-<entry>-start` / `prewarm-<entry>-end`;
//! only actions with the `prewarm-` prefix are ever updated or deleted.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc, Weekday};
use remediation::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::{checked, known, required, text, Capacity, EndpointName, Flag, VariantName};

mod checks;
mod cron;
mod runs;
mod schedule;
mod zone;

pub use checks::{check, too_many, TooMany, MAX_ACTIONS_PER_TARGET};
pub use cron::CronDays;
pub use runs::Schedule;
pub use schedule::{actions, at_instant, diff, resolve, timing, Changes, UTC_ZONE};
pub use zone::Zone;

/// Every scheduled action this function owns starts with this.
pub const ACTION_PREFIX: &str = "prewarm-";

/// One event of the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub endpoint: String,
    pub variant: Option<String>,
    /// Local wall-clock times in `timezone`.
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub timezone: Zone,
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
    /// A raw 6-field cron for the event's start; its minute and hour must match `start`, and
    /// `start` must be one of its days.
    Cron {
        minute: u32,
        hour: u32,
        /// Day-of-month, month, day-of-week and year.
        days: CronDays,
    },
}

impl Recurrence {
    /// Whether an entry repeating like this, whose first event starts on `first`, has an event
    /// starting on `day`.
    pub fn runs_on(&self, first: NaiveDate, day: NaiveDate) -> bool {
        day >= first
            && match self {
                Recurrence::Daily => true,
                Recurrence::Weekly => day.weekday() == first.weekday(),
                Recurrence::Monthly => day.day() == first.day(),
                Recurrence::MonthlyNth { nth, weekday } => {
                    day.weekday() == *weekday && (day.day() - 1) / 7 + 1 == *nth
                }
                Recurrence::Cron { days, .. } => days.matches(day),
            }
    }

    /// The days from `first` through `last` on which an entry repeating like this has an
    /// event.
    pub fn days(&self, first: NaiveDate, last: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        (first.iter_days())
            .take_while(move |day| *day <= last)
            .filter(move |day| self.runs_on(first, *day))
    }
}

/// One scheduled action, desired or found on AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
    /// A recurring action's `StartTime`: the start of the local day of its first occurrence,
    /// so nothing runs before the entry's start. `None` for `at(...)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
}

impl ScheduledAction {
    /// The endpoint of a SageMaker variant resource id (`endpoint/<e>/variant/<v>`).
    pub fn endpoint(&self) -> Option<&str> {
        Some(self.target()?.0)
    }

    /// The endpoint and the variant of `endpoint/<e>/variant/<v>`.
    pub fn target(&self) -> Option<(&str, &str)> {
        self.resource_id
            .strip_prefix("endpoint/")?
            .split_once("/variant/")
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

/// The one-off end that still closes an event of `entry` that was on when the entry changed
/// ([`crate::closes`]).
pub fn close_name(entry: &str) -> String {
    format!("{ACTION_PREFIX}{entry}-close")
}

/// The entry whose close action is named `name`, if it is one.
pub fn closed_entry(name: &str) -> Option<&str> {
    name.strip_prefix(ACTION_PREFIX)?.strip_suffix("-close")
}

/// The entry whose start action is named `name`, if it is one.
pub fn started_entry(name: &str) -> Option<&str> {
    name.strip_prefix(ACTION_PREFIX)?.strip_suffix("-start")
}

/// The entry whose end action is named `name`, if it is one.
pub fn ended_entry(name: &str) -> Option<&str> {
    name.strip_prefix(ACTION_PREFIX)?.strip_suffix("-end")
}

/// The end `entry` goes back from, among the `existing` actions on `resource_id`: its own
/// end, which carries the baseline and MaxCapacity found when the entry was first synced;
/// for an entry without one yet (new, or renamed), the end of another entry of the calendar
/// (`entries`) on the variant that keeps the default baseline, one that gives MaxCapacity
/// back first. While one of the calendar's events is on, the variant's MinCapacity is what
/// that event's start set, not its baseline, so it is taken only when no end knows better.
pub fn known_end<'a>(
    existing: &'a [ScheduledAction],
    resource_id: &str,
    entry: &str,
    entries: &[Entry],
) -> Option<&'a ScheduledAction> {
    let here = || {
        existing
            .iter()
            .filter(move |a| a.resource_id == resource_id)
    };
    let own = end_name(entry);
    let defaulted = |a: &&ScheduledAction| {
        let ended = ended_entry(&a.name);
        entries
            .iter()
            .any(|e| Some(e.name.as_str()) == ended && e.baseline.is_none())
    };
    here().find(|a| a.name == own).or_else(|| {
        here()
            .filter(defaulted)
            .min_by_key(|a| a.max_capacity.is_none())
    })
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
    if !item.is_object() {
        return Err(Error::InvalidEvent(
            "entry: expected an object with name, endpoint, start, end, timezone, \
             min_capacity"
                .to_owned(),
        ));
    }
    let fields: EntryFields = known(item, &[])?;
    let name = required(fields.name, "name")?.0;
    let timezone = required(fields.timezone, "timezone")?.0;
    let start = required(fields.start, "start")?.0;
    let end = required(fields.end, "end")?.0;
    if end <= start {
        return Err(Error::InvalidEvent(format!(
            "end: {end} is not after start {start}"
        )));
    }
    Ok(Entry {
        name,
        endpoint: required(fields.endpoint, "endpoint")?.0,
        variant: fields.variant.map(|v| v.0),
        start,
        end,
        timezone,
        lead_minutes: fields.lead_minutes.map_or(0, |m| m.0),
        min_capacity: required(fields.min_capacity, "min_capacity")?.0,
        recurrence: fields.recurrence.map(|r| r.0),
        raise_max: fields.raise_max.is_some_and(|f| f.0),
        baseline: fields.baseline.map(|b| b.0),
    })
}

/// An entry's fields as they arrive; `known` refuses any other.
#[derive(Deserialize)]
struct EntryFields {
    name: Option<EntryName>,
    endpoint: Option<EndpointName>,
    variant: Option<VariantName>,
    start: Option<LocalTime>,
    end: Option<LocalTime>,
    timezone: Option<ZoneName>,
    lead_minutes: Option<LeadMinutes>,
    min_capacity: Option<Capacity>,
    recurrence: Option<RecurrenceField>,
    raise_max: Option<Flag>,
    baseline: Option<Capacity>,
}

checked!(
    /// 1-100 letters, digits, '-', '_' or '.': it names the scheduled actions.
    EntryName(String) = entry_name
);
checked!(
    /// An IANA time zone name.
    ZoneName(Zone) = zone
);
checked!(
    /// A local wall-clock time, without an offset.
    LocalTime(NaiveDateTime) = local_time
);
checked!(
    /// Minutes before the start that capacity is raised: 0 to 1440.
    LeadMinutes(u32) = lead_minutes
);
checked!(
    /// How the event repeats.
    RecurrenceField(Recurrence) = recurrence
);

fn entry_name(value: &Value) -> Result<String, String> {
    let name = text(value)?;
    if name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "{name:?} must be 1-100 letters, digits, '-', '_' or '.' (it names the scheduled \
             actions)"
        ));
    }
    Ok(name)
}

fn zone(value: &Value) -> Result<Zone, String> {
    let zone = text(value)?;
    Zone::named(&zone).ok_or_else(|| {
        format!("{zone:?} is not an IANA time zone name such as America/New_York or Europe/Berlin")
    })
}

fn lead_minutes(value: &Value) -> Result<u32, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n <= 24 * 60)
            .ok_or_else(|| format!("expected 0 to 1440 whole minutes, got {n}")),
        other => Err(format!("expected a whole number of minutes, got {other}")),
    }
}

fn local_time(value: &Value) -> Result<NaiveDateTime, String> {
    let text = text(value)?;
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&text, f).ok())
    .ok_or_else(|| {
        format!(
            "{text:?} is not a local time such as 2026-12-04T18:00 (no offset: the timezone \
             field says where)"
        )
    })
}

fn recurrence(value: &Value) -> Result<Recurrence, String> {
    parse_recurrence(&text(value)?)
}

fn parse_recurrence(text: &str) -> Result<Recurrence, String> {
    let lower = text.to_ascii_lowercase();
    let bad = |why: &str| {
        format!(
            "{text:?} {why}; expected daily, weekly, monthly, \
             monthly:<first|second|third|fourth>-<weekday> or cron(<6 fields>)"
        )
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
        let days =
            CronDays::parse(parts[2], parts[3], parts[4], parts[5]).map_err(|why| bad(&why))?;
        return Ok(Recurrence::Cron { minute, hour, days });
    }
    Err(bad("is not understood"))
}

#[cfg(test)]
mod tests;
