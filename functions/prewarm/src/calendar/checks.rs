//! What a whole calendar must keep when it is synced: every entry within the horizon of a raise
//! and one event at a time on each variant (checked before any AWS call), and no scalable
//! target with more scheduled actions than AWS allows (checked before any write).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use remediation::Error;

use super::schedule::occurrence;
use super::{Entry, ScheduledAction, ACTION_PREFIX};
use crate::payload::{EVENT_GAP_MINUTES, LATE_END_MINUTES, MAX_HOLD_DAYS};
use remediation::holds::rfc3339;

/// Application Auto Scaling keeps at most this many scheduled actions per scalable target.
pub const MAX_ACTIONS_PER_TARGET: usize = 200;

/// How far ahead of the latest first event overlaps are looked for: 28 years, after which
/// weekdays fall on the same dates again (and daylight-saving rules repeat every year).
const OVERLAP_DAYS: i64 = 28 * 365 + 7;

/// Check a calendar whose entries [`super::timing`] accepted, at `now`.
///
/// - Horizon, as for a raise's expiry: a one-off event ends within [`MAX_HOLD_DAYS`] days; a
///   recurring entry's first event (its `start`) is raised within them. A typo in a year must
///   not schedule capacity years ahead, or leave a recurring entry waiting unseen.
/// - Overlaps: two entries on one variant (an entry without a variant is on every variant of
///   its endpoint) whose events, lead included, are less than [`EVENT_GAP_MINUTES`] apart
///   are refused, naming both: the first to end (or its end, delivered late) would drop the
///   other to its baseline. One-off events that are over are left out.
pub fn check(entries: &[Entry], now: DateTime<Utc>) -> Result<(), Error> {
    for (i, entry) in entries.iter().enumerate() {
        within_horizon(entry, now)
            .map_err(|msg| Error::InvalidEvent(format!("calendar[{i}].{msg}")))?;
    }
    let live = |i: &usize| {
        let entry = &entries[*i];
        entry.recurrence.is_some() || occurrence(entry, entry.start.date()).1 > now
    };
    let mut endpoints: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in (0..entries.len()).filter(live) {
        endpoints.entry(&entries[i].endpoint).or_default().push(i);
    }
    for (endpoint, members) in endpoints {
        let mut variants: BTreeSet<Option<&str>> = members
            .iter()
            .filter_map(|&i| entries[i].variant.as_deref().map(Some))
            .collect();
        if variants.is_empty() {
            variants.insert(None);
        }
        for variant in variants {
            let on_variant: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| {
                    entries[i].variant.is_none() || entries[i].variant.as_deref() == variant
                })
                .collect();
            let target = match variant {
                Some(v) => format!("{endpoint}/{v}"),
                None => format!("{endpoint} (every production variant)"),
            };
            no_overlap(entries, &on_variant, &target)?;
        }
    }
    Ok(())
}

fn within_horizon(entry: &Entry, now: DateTime<Utc>) -> Result<(), String> {
    let horizon = now + Duration::days(MAX_HOLD_DAYS);
    let (raise, end) = occurrence(entry, entry.start.date());
    match entry.recurrence {
        None if end > horizon => Err(format!(
            "end: {} in {} is more than {MAX_HOLD_DAYS} days ahead (now {}); like a raise's \
             expiry, a one-off event must end within {MAX_HOLD_DAYS} days: sync it nearer the \
             time",
            entry.end.format("%Y-%m-%dT%H:%M"),
            entry.timezone.name(),
            rfc3339(now)
        )),
        Some(_) if raise > horizon => Err(format!(
            "start: the first event is raised at {}, more than {MAX_HOLD_DAYS} days ahead (now \
             {}); a recurring entry's start is its first event and must be raised within \
             {MAX_HOLD_DAYS} days: sync it nearer the time",
            rfc3339(raise),
            rfc3339(now)
        )),
        _ => Ok(()),
    }
}

/// Refuse the first two of `members` (entries on one variant) whose events intersect.
fn no_overlap(entries: &[Entry], members: &[usize], target: &str) -> Result<(), Error> {
    if members.len() < 2 {
        return Ok(());
    }
    let Some(last_first) = members.iter().map(|&i| entries[i].start.date()).max() else {
        return Ok(());
    };
    let last_day = last_first + Duration::days(OVERLAP_DAYS);
    let mut events: Vec<(DateTime<Utc>, DateTime<Utc>, usize)> = Vec::new();
    for &i in members {
        let entry = &entries[i];
        let first = entry.start.date();
        match &entry.recurrence {
            None => {
                let (raise, end) = occurrence(entry, first);
                events.push((raise, end, i));
            }
            Some(recurrence) => events.extend(recurrence.days(first, last_day).map(|day| {
                let (raise, end) = occurrence(entry, day);
                (raise, end, i)
            })),
        }
    }
    events.sort();
    // The latest end so far and its entry, and the latest end of any other entry: an event
    // overlaps an earlier one of another entry exactly when it is raised before that end
    // (plus the gap a late end needs).
    let mut latest: Option<(DateTime<Utc>, usize)> = None;
    let mut other: Option<(DateTime<Utc>, usize)> = None;
    for (raise, end, i) in events {
        let rival = match latest {
            Some((_, j)) if j == i => other,
            found => found,
        };
        let gap = Duration::minutes(EVENT_GAP_MINUTES);
        if let Some((until, j)) = rival.filter(|(until, _)| raise < *until + gap) {
            return Err(overlap(entries, (j, until), (i, raise), target));
        }
        match latest {
            Some((e, j)) if j == i => latest = Some((e.max(end), j)),
            Some((e, _)) if end > e => {
                other = latest;
                latest = Some((end, i));
            }
            Some(_) => {
                if other.is_none_or(|(e, _)| end > e) {
                    other = Some((end, i));
                }
            }
            None => latest = Some((end, i)),
        }
    }
    Ok(())
}

/// Entry `i`'s event, raised at `raise`, overlaps entry `j`'s, which ends at `until`.
fn overlap(
    entries: &[Entry],
    (j, until): (usize, DateTime<Utc>),
    (i, raise): (usize, DateTime<Utc>),
    target: &str,
) -> Error {
    let (first, second) = (i.min(j), i.max(j));
    Error::InvalidEvent(format!(
        "calendar[{second}].start: entry {:?} overlaps entry {:?} (calendar[{first}]) on \
         {target}: {:?} is raised at {} (lead included), not {EVENT_GAP_MINUTES} minutes or \
         more after {:?} ends at {}, and the first to end (its end may be decided up to \
         {LATE_END_MINUTES} minutes late) would drop the other to its baseline. Give a variant \
         one event at a time: move one, or merge them into one entry",
        entries[second].name,
        entries[first].name,
        entries[i].name,
        rfc3339(raise),
        entries[j].name,
        rfc3339(until)
    ))
}

/// A scalable target that would hold more scheduled actions than AWS allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooMany {
    pub resource_id: String,
    /// This calendar's actions on the target after the sync.
    pub calendar: usize,
    /// Actions on the target that this function does not own (their names lack the prefix).
    pub others: usize,
}

impl fmt::Display for TooMany {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "too many scheduled actions: {} would hold {} ({} of this calendar, two per entry \
             on it, and {} not made by it), more than the {MAX_ACTIONS_PER_TARGET} Application Auto \
             Scaling allows per scalable target; nothing was synced. Remove entries on this \
             variant (or other scheduled actions of its target)",
            self.resource_id,
            self.calendar + self.others,
            self.calendar,
            self.others
        )
    }
}

/// The first target (by resource id) where `desired`, every action of the calendar after the
/// sync, and the actions in `existing` that this function does not own come to more than
/// [`MAX_ACTIONS_PER_TARGET`]. This function's actions that the calendar no longer produces
/// are deleted before anything is put, so they do not count.
pub fn too_many(desired: &[ScheduledAction], existing: &[ScheduledAction]) -> Option<TooMany> {
    let mut counts: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for action in desired {
        counts
            .entry((&action.resource_id, &action.dimension))
            .or_default()
            .0 += 1;
    }
    for action in existing
        .iter()
        .filter(|a| !a.name.starts_with(ACTION_PREFIX))
    {
        if let Some(count) =
            counts.get_mut(&(action.resource_id.as_str(), action.dimension.as_str()))
        {
            count.1 += 1;
        }
    }
    counts
        .into_iter()
        .find(|(_, (calendar, others))| calendar + others > MAX_ACTIONS_PER_TARGET)
        .map(|((resource_id, _), (calendar, others))| TooMany {
            resource_id: resource_id.to_owned(),
            calendar,
            others,
        })
}
