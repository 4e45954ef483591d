//! The capacity decision, pure: no AWS, no clock, no I/O. One function, [`decide`], for every
//! change any function makes to a variant; ARCHITECTURE.md states its semantics.
//!
//! Effective MinCapacity = max(baseline, live holds), capped at MaxCapacity. A raise never
//! lowers. A MinCapacity that another writer set since this project's last write becomes the
//! baseline. Each alarm's latest transition is remembered, so stale and duplicate deliveries
//! change nothing, and an alarm that fires keeps a hold even when its raise is refused.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::demand::Demand;
use crate::holds::{alarm_reason, baseline_key, hold_key, rfc3339, Hold};
use crate::record::{Record, Transition};

mod events;
mod types;

pub use types::{Action, AlarmChange, Change, EventHold, MaxBack, Plan, ScalePolicy, View};

/// Decide what `change` does to the variant seen in `view`.
pub fn decide(change: &Change<'_>, view: &View<'_>) -> Plan {
    // The calendar's end is the one change that knows who set the capacity it finds: its
    // own start action, not a writer whose value should become the baseline.
    let calendar_end = matches!(change, Change::CalendarEnd { .. });
    let mut draft = Draft::new(view, !calendar_end);
    let verdict = match change {
        Change::Alarm(alarm) => draft.alarm(alarm),
        Change::Hold(hold) => draft.event_hold(hold),
        Change::Release { event } => draft.release(event),
        Change::Sweep => draft.sweep(),
        Change::CalendarEnd {
            event,
            baseline,
            max,
            alarm_hold,
        } => draft.calendar_end(event, (*baseline, *max), *alarm_hold),
    };
    match verdict {
        // Nothing to do for the change itself, but the variant is not where its holds say
        // (another writer lowered it under a live hold): every decision brings it back, and
        // a raise still never lowers.
        Verdict::Skip(_, reason) if draft.off_target() => draft.settle(Apply {
            action: None,
            why: reason,
            raising: change.is_raise(),
            new_max: None,
        }),
        Verdict::Skip(action, reason) => draft.skip(action, reason),
        Verdict::Apply(apply) => draft.settle(apply),
    }
}

enum Verdict {
    /// Nothing to write: a duplicate, a stale delivery, nothing to restore.
    Skip(Action, String),
    Apply(Apply),
}

struct Apply {
    /// Forced action (a refusal); otherwise from the capacity change.
    action: Option<Action>,
    why: String,
    /// A raise never lowers MinCapacity.
    raising: bool,
    new_max: Option<u32>,
}

impl Apply {
    fn verdict(why: String, raising: bool) -> Verdict {
        Verdict::Apply(Apply {
            action: None,
            why,
            raising,
            new_max: None,
        })
    }
}

/// A decision in the making: the holds and record as they will be.
struct Draft<'a> {
    view: &'a View<'a>,
    holds: BTreeMap<String, Hold>,
    record: Record,
    baseline: u32,
    /// Set when the baseline tag exists but cannot be read: nothing may be lowered.
    damaged_baseline: Option<String>,
    put: BTreeMap<String, String>,
    delete: BTreeSet<String>,
    notes: Vec<String>,
    hold_until: Option<DateTime<Utc>>,
}

impl<'a> Draft<'a> {
    /// `adopt`: whether a MinCapacity set by another writer becomes the baseline.
    fn new(view: &'a View<'a>, adopt: bool) -> Self {
        let (variant, now, current) = (view.variant, view.now, view.current);
        let mut record = view.record.clone();
        record.prune(now);
        let mut draft = Draft {
            view,
            holds: view.holds.holds.clone(),
            record,
            baseline: view.holds.standing_baseline().unwrap_or(current.min),
            damaged_baseline: None,
            put: BTreeMap::new(),
            delete: BTreeSet::new(),
            notes: Vec::new(),
            hold_until: None,
        };
        for key in &view.holds.unreadable {
            if *key == baseline_key(variant) {
                draft.damaged_baseline = Some(key.clone());
            } else {
                draft.delete.insert(key.clone());
                draft
                    .notes
                    .push(format!("removed the unreadable tag {key}"));
            }
        }
        let expired: Vec<String> = view.holds.expired(now).cloned().collect();
        for reason in expired {
            draft.holds.remove(&reason);
            draft.delete.insert(hold_key(variant, &reason));
        }
        if adopt {
            draft.observe_other_writers();
        }
        draft
    }

    /// A MinCapacity that differs from what this project last set, and from what the holds
    /// justify, was set by someone else: it becomes the baseline, so it is never lowered.
    fn observe_other_writers(&mut self) {
        let current = self.view.current.min;
        let Some(written) = self.record.written else {
            return;
        };
        if written == current || current == self.effective() {
            return;
        }
        self.notes.push(format!(
            "MinCapacity {current} was set outside this project since it last set {written}: \
             taken as the baseline (was {})",
            self.baseline
        ));
        self.baseline = current;
        self.damaged_baseline = None;
        self.record.written = Some(current);
    }

    fn live(&self) -> impl Iterator<Item = (&String, &Hold)> {
        let now = self.view.now;
        self.holds.iter().filter(move |(_, h)| h.is_live(now))
    }

    /// max(baseline, live holds), capped at `max`, and the hold that sets it (if one does).
    fn effective_with(&self, max: u32) -> (u32, Option<String>) {
        let (min, top) =
            self.live()
                .map(|(r, h)| (h.min, Some(r)))
                .fold(
                    (self.baseline, None),
                    |best, c| if c.0 > best.0 { c } else { best },
                );
        (min.min(max), top.cloned())
    }

    /// max(baseline, live holds), capped at the current MaxCapacity.
    fn effective(&self) -> u32 {
        self.effective_with(self.view.current.max).0
    }

    fn put_hold(&mut self, reason: &str, hold: Hold) {
        let key = hold_key(self.view.variant, reason);
        self.delete.remove(&key);
        self.hold_until = Some(hold.until);
        self.put.insert(key, hold.encode());
        self.holds.insert(reason.to_owned(), hold);
    }

    fn drop_hold(&mut self, reason: &str) -> bool {
        let key = hold_key(self.view.variant, reason);
        let had = self.holds.remove(reason).is_some() || self.view.holds.holds.contains_key(reason);
        if had {
            self.put.remove(&key);
            self.delete.insert(key);
        }
        had
    }

    fn alarm(&mut self, alarm: &AlarmChange<'_>) -> Verdict {
        let view = self.view;
        let reason = alarm_reason(view.variant, alarm.name);
        let state = if alarm.firing { "ALARM" } else { "OK" };
        if let (Some(at), Some(seen)) = (alarm.at, self.seen(alarm.name, &reason)) {
            let seen_state = if seen.firing { "ALARM" } else { "OK" };
            if seen.at > at {
                return Verdict::Skip(
                    Action::Unchanged,
                    format!(
                        "stale delivery: {state} since {} is older than {seen_state} since {}, \
                         the latest transition seen of alarm {}",
                        rfc3339(at),
                        rfc3339(seen.at),
                        alarm.name
                    ),
                );
            }
            // A redelivery is a duplicate, unless the cooldown deferred its raise and is over.
            let owed = seen.deferred && self.cooldown_until(alarm.policy).is_none();
            if seen.at == at && seen.firing == alarm.firing && !owed {
                return self.duplicate(alarm, &reason);
            }
        }
        let at = alarm.at.unwrap_or(view.now);
        self.record.alarms.insert(
            alarm.name.to_owned(),
            Transition {
                firing: alarm.firing,
                at,
                deferred: false,
            },
        );
        if alarm.firing {
            self.raise_for_alarm(alarm, &reason)
        } else if self.drop_hold(&reason) {
            Apply::verdict(
                format!("alarm {} is OK: hold {reason} released", alarm.name),
                false,
            )
        } else {
            Apply::verdict(
                format!("alarm {} is OK: no hold {reason}", alarm.name),
                false,
            )
        }
    }

    /// The latest transition of alarm `name` this project acted on: the record's, or the
    /// newer ALARM its live hold names. A hold is written before capacity and the record only
    /// when the lease is given back, so a decision whose release failed leaves the hold ahead
    /// of the record; its retry is then still a duplicate, and an older OK still stale.
    fn seen(&self, name: &str, reason: &str) -> Option<Transition> {
        let recorded = self.record.alarms.get(name).copied();
        let held = (self.holds.get(reason))
            .filter(|h| h.is_live(self.view.now))
            .and_then(|h| Transition::alarm_of(h.trigger.as_deref()?));
        match (recorded, held) {
            (Some(r), Some(h)) if h.at > r.at => Some(h),
            (None, held) => held,
            (recorded, _) => recorded,
        }
    }

    fn duplicate(&self, alarm: &AlarmChange<'_>, reason: &str) -> Verdict {
        let trigger = alarm.trigger.unwrap_or(alarm.name);
        let current = self.view.current;
        match self.holds.get(reason).filter(|h| h.is_live(self.view.now)) {
            Some(hold) if alarm.firing && current.min < hold.min.min(current.max) => {
                Verdict::Apply(Apply {
                    action: Some(Action::Raised),
                    why: format!(
                        "re-applied MinCapacity {} from the hold of {trigger}, which an earlier \
                         attempt recorded but did not finish",
                        hold.min
                    ),
                    raising: true,
                    new_max: None,
                })
            }
            Some(hold) if alarm.firing => Verdict::Skip(
                Action::Unchanged,
                format!(
                    "duplicate delivery of {trigger}: already raised to {}",
                    hold.min
                ),
            ),
            _ => Verdict::Skip(
                Action::Unchanged,
                format!("duplicate delivery of {trigger}: already handled"),
            ),
        }
    }

    fn raise_for_alarm(&mut self, alarm: &AlarmChange<'_>, reason: &str) -> Verdict {
        let (now, current, policy) = (self.view.now, self.view.current, alarm.policy);
        let hold_for =
            chrono::Duration::from_std(policy.hold_for).unwrap_or(chrono::Duration::hours(3));
        let hold = |min| Hold {
            min,
            until: now + hold_for,
            since: now,
            trigger: alarm.trigger.map(str::to_owned),
            raise_max: false,
        };
        // Whatever happens next, a firing alarm holds at least what the variant has now.
        let kept = self
            .holds
            .get(reason)
            .filter(|h| h.is_live(now))
            .map_or(current.min, |h| h.min.min(current.max).max(current.min));
        if let Some((last, next)) = self.cooldown_until(policy) {
            self.keep(reason, hold(kept));
            if let Some(seen) = self.record.alarms.get_mut(alarm.name) {
                seen.deferred = true;
            }
            return refused(format!(
                "cooldown: raised at {}, next raise allowed after {} (SCALE_COOLDOWN_SECONDS={}); \
                 the alarm's hold keeps MinCapacity at {kept} while it fires",
                rfc3339(last),
                rfc3339(next),
                policy.cooldown.as_secs()
            ));
        }
        let cap = policy.ceiling.map_or(current.max, |c| c.min(current.max));
        let stepped = current.min.saturating_add(policy.step);
        let wanted = match alarm.demand {
            Some(Demand::Sized(d)) => d.instances.max(stepped),
            _ => stepped,
        };
        let target = wanted.min(cap);
        if target <= current.min {
            self.keep(reason, hold(kept));
            let limit = match policy.ceiling {
                Some(c) if c < current.max => format!("SCALE_CEILING={c}"),
                _ => format!("MaxCapacity={}", current.max),
            };
            return refused(format!(
                "at ceiling: MinCapacity {} cannot rise past {limit}",
                current.min
            ));
        }
        self.put_hold(reason, hold(target));
        self.record.last_raise = Some(now);
        Apply::verdict(step_reason(alarm, current.min, target, wanted, cap), true)
    }

    /// The last raise and the end of its cooldown, while the cooldown lasts.
    fn cooldown_until(&self, policy: &ScalePolicy) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let cooldown =
            chrono::Duration::from_std(policy.cooldown).unwrap_or(chrono::Duration::zero());
        let last = self.record.last_raise?;
        (last + cooldown > self.view.now).then_some((last, last + cooldown))
    }

    /// The hold of a firing alarm whose raise was refused: it keeps what the variant has, so
    /// another alarm's OK cannot lower capacity under it. At the baseline, with no hold of its
    /// own yet, there is nothing to keep and nothing is written.
    fn keep(&mut self, reason: &str, hold: Hold) {
        if hold.min > self.baseline || self.holds.contains_key(reason) {
            self.put_hold(reason, hold);
        }
    }

    /// Leave the expired holds' tags where they are.
    fn keep_expired(&mut self) {
        for reason in self.view.holds.expired(self.view.now) {
            self.delete.remove(&hold_key(self.view.variant, reason));
        }
    }

    /// Whether capacity differs from what the holds justify (a damaged baseline aside).
    fn off_target(&self) -> bool {
        self.damaged_baseline.is_none() && self.effective() != self.view.current.min
    }

    fn skip(self, action: Action, reason: String) -> Plan {
        let current = self.view.current;
        let mut record = self.view.record.clone();
        // A MinCapacity that a live hold sets is this project's, even when the decision that
        // wrote it could not store its record: it must not be taken for another writer's
        // once the hold expires.
        if let (min, Some(_)) = self.effective_with(current.max) {
            if min == current.min {
                record.written = Some(min);
            }
        }
        Plan {
            action,
            old_min: current.min,
            new_min: current.min,
            old_max: current.max,
            new_max: None,
            reason,
            put_tags: Vec::new(),
            delete_tags: Vec::new(),
            record,
            hold_until: None,
        }
    }

    /// Bring the drafted holds to one MinCapacity and the tag writes that record them.
    fn settle(mut self, apply: Apply) -> Plan {
        let (variant, current) = (self.view.variant, self.view.current);
        let max = apply.new_max.unwrap_or(current.max);
        let (mut desired, top) = self.effective_with(max);
        let mut left_for_the_sweep = false;
        if apply.raising && current.min > desired {
            // A raise never lowers. What the variant has above its holds is the baseline from
            // now on if someone else set it; if this project set it (a hold that has since
            // expired), the sweep gives it back.
            if self.record.written == Some(current.min) {
                left_for_the_sweep = true;
            } else {
                self.baseline = current.min;
            }
            desired = current.min;
        }
        let mut action = apply.action;
        if let Some(key) = &self.damaged_baseline {
            // Without a baseline nothing may be lowered; a raise still goes ahead.
            if !apply.raising {
                desired = desired.max(current.min);
                action = Some(Action::Refused);
            }
            self.notes.push(format!(
                "the baseline tag {key} cannot be read, so nothing is lowered: set it to the \
                 variant's normal MinCapacity"
            ));
        }
        let any_live = self.live().next().is_some();
        let base_key = baseline_key(variant);
        if !any_live && left_for_the_sweep {
            // The expired holds and the baseline tag stay: they are how the sweep knows what
            // to give back (without holds, a baseline tag is ignored).
            self.keep_expired();
        } else if !any_live {
            if self.view.holds.baseline.is_some() {
                self.delete.insert(base_key);
            }
        } else if self.view.holds.baseline != Some(self.baseline) && self.damaged_baseline.is_none()
        {
            self.put.insert(base_key, self.baseline.to_string());
        }
        self.record.written = Some(desired);
        let settled = match &top {
            Some(r) if desired > self.baseline.min(max) => {
                format!("hold {r} keeps MinCapacity at {desired}")
            }
            _ => format!("back to baseline {}", self.baseline.min(max)),
        };
        let mut reason = match (apply.why.is_empty(), apply.raising) {
            (true, _) => settled,
            (false, true) => apply.why,
            (false, false) => format!("{}; {settled}", apply.why),
        };
        for note in &self.notes {
            reason.push_str("; ");
            reason.push_str(note);
        }
        let action = action.unwrap_or(match desired.cmp(&current.min) {
            std::cmp::Ordering::Greater => Action::Raised,
            std::cmp::Ordering::Less => Action::Restored,
            std::cmp::Ordering::Equal => match apply.new_max {
                Some(max) if max > current.max => Action::Raised,
                Some(max) if max < current.max => Action::Restored,
                _ => Action::Unchanged,
            },
        });
        Plan {
            action,
            old_min: current.min,
            new_min: desired,
            old_max: current.max,
            new_max: apply.new_max,
            reason,
            put_tags: self.put.into_iter().collect(),
            delete_tags: self.delete.into_iter().collect(),
            record: self.record,
            hold_until: self.hold_until,
        }
    }
}

fn refused(why: String) -> Verdict {
    Verdict::Apply(Apply {
        action: Some(Action::Refused),
        why,
        raising: true,
        new_max: None,
    })
}

fn step_reason(alarm: &AlarmChange<'_>, from: u32, target: u32, wanted: u32, cap: u32) -> String {
    let capped = if target < wanted {
        format!(" (capped at {cap})")
    } else {
        String::new()
    };
    let stepped = from.saturating_add(alarm.policy.step);
    let step = format!("MinCapacity {from} + step {}", alarm.policy.step);
    match alarm.demand {
        Some(Demand::Sized(d)) if d.instances > stepped => {
            format!("demand: {}{capped}", d.explanation)
        }
        Some(Demand::Sized(d)) => format!(
            "demand: {}; at least one step: {step}{capped}",
            d.explanation
        ),
        Some(Demand::Unavailable(why)) => {
            format!("demand sizing unavailable ({why}), fell back to step: {step}{capped}")
        }
        None => format!("{step}{capped}"),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
