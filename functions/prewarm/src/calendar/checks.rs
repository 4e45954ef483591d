//! What a whole calendar must keep when it is synced, checked before any AWS call: every entry
//! within the horizon of a raise.

use chrono::{DateTime, Duration, Utc};
use remediation::Error;

use super::schedule::occurrence;
use super::Entry;
use crate::payload::{rfc3339, MAX_HOLD_DAYS};

/// Check a calendar whose entries [`super::timing`] accepted, at `now`.
///
/// - Horizon, as for a raise's expiry: a one-off event ends within [`MAX_HOLD_DAYS`] days; a
///   recurring entry's first event (its `start`) is raised within them. A typo in a year must
///   not schedule capacity years ahead, or leave a recurring entry waiting unseen.
pub fn check(entries: &[Entry], now: DateTime<Utc>) -> Result<(), Error> {
    for (i, entry) in entries.iter().enumerate() {
        within_horizon(entry, now)
            .map_err(|msg| Error::InvalidEvent(format!("calendar[{i}].{msg}")))?;
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
