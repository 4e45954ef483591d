//! The end schedules a sync wants against those it found: what to create, rewrite, keep and
//! delete.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::calendar::{self, Changes, ScheduledAction};
use crate::ends::{self, Delivery, EndSchedule, Fate, Found, Running};

/// The end schedules a sync wants, and how they differ from those that exist.
#[derive(Debug, Default)]
pub(super) struct EndChanges {
    pub(super) schedules: BTreeMap<String, EndSchedule>,
    pub(super) changes: Changes,
}

impl EndChanges {
    /// The end schedules a sync wants (`schedules`, by name) against those it `found`. One
    /// that delivers elsewhere than the configuration says (`delivery`: another function, role
    /// or dead-letter queue), that lacks the MaxCapacity its event's start sets, or whose
    /// input no longer reads as an end is rewritten, keeping what the calendar does not
    /// decide; one no longer wanted is deleted, unless it is a one-off end that came due
    /// within the last hour ([`EndSchedule::recently_due`]) or the end of an event that is on
    /// (`running`).
    pub(super) fn new(
        mut schedules: BTreeMap<String, EndSchedule>,
        Found {
            ends: found,
            unreadable,
        }: Found,
        (delivery, running): (Option<Delivery>, &Running),
        now: DateTime<Utc>,
    ) -> Self {
        let found: BTreeMap<String, EndSchedule> = found
            .into_iter()
            .map(|s| (s.action.name.clone(), s))
            .collect();
        let found_actions: Vec<ScheduledAction> =
            found.values().map(|s| s.action.clone()).collect();
        let mut changes = calendar::diff(
            schedules.values().map(|s| s.action.clone()).collect(),
            &found_actions,
        );
        let rewrite = |a: &ScheduledAction| {
            let (was, wanted) = (&found[&a.name], &schedules[&a.name]);
            was.delivery != delivery || was.raised_max != wanted.raised_max
        };
        let (update, mut unchanged): (Vec<_>, Vec<_>) = std::mem::take(&mut changes.unchanged)
            .into_iter()
            .partition(rewrite);
        let mut delete = Vec::new();
        for a in std::mem::take(&mut changes.delete) {
            let was = &found[&a.name];
            // A close is kept while it is wanted (`closes`), not for the event it ends.
            let fate = match was.close {
                true => Fate::Delete,
                false => ends::fate(&was.action, &was.event, false, running),
            };
            match fate {
                Fate::Replace(once) => {
                    let wanted = EndSchedule {
                        action: once.clone(),
                        delivery: None,
                        ..was.clone()
                    };
                    schedules.insert(a.name, wanted);
                    changes.update.push(once);
                }
                Fate::Keep => unchanged.push(a),
                Fate::Delete if was.recently_due(now) => unchanged.push(a),
                Fate::Delete => delete.push(a),
            }
        }
        let (overwrite, create): (Vec<_>, Vec<_>) = std::mem::take(&mut changes.create)
            .into_iter()
            .partition(|a| unreadable.contains_key(&a.name));
        changes.update.extend(update.into_iter().chain(overwrite));
        (changes.create, changes.delete, changes.unchanged) = (create, delete, unchanged);
        // A rewrite keeps what someone else set on the schedule it replaces.
        for (name, wanted) in &mut schedules {
            let kept = found.get(name).map(|was| &was.kept);
            if let Some(kept) = kept.or(unreadable.get(name)) {
                wanted.kept = kept.clone();
            }
        }
        EndChanges { schedules, changes }
    }

    /// Each schedule to create (`false`) or update (`true`).
    pub(super) fn puts(&self) -> impl Iterator<Item = (&EndSchedule, bool)> {
        let create = self.changes.create.iter().map(|a| (a, false));
        let update = self.changes.update.iter().map(|a| (a, true));
        create
            .chain(update)
            .filter_map(|(a, exists)| Some((self.schedules.get(&a.name)?, exists)))
    }
}
