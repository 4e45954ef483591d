//! The decisions that are not an alarm's: a pre-warm hold, its release, the calendar's end
//! and the sweep (ARCHITECTURE.md, "Semantics of a variant").

use chrono::{DateTime, Utc};

use super::{Apply, Draft, Verdict};
use crate::decide::types::{Action, EventHold, MaxBack};
use crate::holds::{alarm_reason, event_reason, rfc3339, Hold};

impl Draft<'_> {
    pub(super) fn event_hold(&mut self, req: &EventHold<'_>) -> Verdict {
        let (variant, now, current) = (self.view.variant, self.view.now, self.view.current);
        let reason = event_reason(variant, req.event);
        let until = rfc3339(req.until);
        let (min, new_max, why) = if req.min <= current.max {
            (
                req.min,
                None,
                format!(
                    "pre-warm for {}: MinCapacity {} until {until}",
                    req.event, req.min
                ),
            )
        } else if req.raise_max {
            (
                req.min,
                Some(req.min),
                format!(
                    "pre-warm for {}: MinCapacity {} until {until}; MaxCapacity raised from {} \
                     to {} (raise_max)",
                    req.event, req.min, current.max, req.min
                ),
            )
        } else {
            (
                current.max,
                None,
                format!(
                    "pre-warm for {}: min_capacity {} capped at MaxCapacity={} until {until}; \
                     set raise_max to raise MaxCapacity too",
                    req.event, req.min, current.max
                ),
            )
        };
        let same = self.holds.get(&reason).is_some_and(|h| {
            h.min == min
                && h.raise_max == req.raise_max
                && (h.until == req.until
                    || req
                        .hold_for
                        .is_some_and(|d| h.is_live(now) && h.until >= h.since + d))
        });
        if same
            && current.min >= min
            && new_max.is_none_or(|m| current.max >= m)
            && self.delete.is_empty()
        {
            return Verdict::Skip(
                Action::Unchanged,
                format!("hold {reason} already at {min} until {until}"),
            );
        }
        if !same {
            self.put_hold(
                &reason,
                Hold {
                    min,
                    until: req.until,
                    since: now,
                    trigger: req.trigger.map(str::to_owned),
                    raise_max: req.raise_max,
                },
            );
        }
        self.hold_until = Some(req.until);
        Verdict::Apply(Apply {
            action: None,
            why,
            raising: true,
            new_max,
        })
    }

    pub(super) fn release(&mut self, event: &str) -> Verdict {
        let reason = event_reason(self.view.variant, event);
        if !self.drop_hold(&reason) && self.delete.is_empty() && self.notes.is_empty() {
            return Verdict::Skip(
                Action::Unchanged,
                format!("no hold {reason}: nothing to restore"),
            );
        }
        Apply::verdict(String::new(), false)
    }

    /// The calendar's end action: MinCapacity back to the calendar's `baseline`, unless live
    /// holds keep it higher (a latency hold taken during the event outlives it), and
    /// MaxCapacity back when the event's start raised it and nobody changed it since
    /// ([`MaxBack`]), but never below a live pre-warm that asked for `raise_max`. An alarm that
    /// fires without a hold of its own (its raise was refused at what the event set) gets one at
    /// the current MinCapacity (within that MaxCapacity): capacity never goes down under a
    /// firing alarm, except to the ceiling.
    pub(super) fn calendar_end(
        &mut self,
        event: &str,
        (baseline, max): (u32, Option<MaxBack>),
        alarm_hold: chrono::Duration,
    ) -> Verdict {
        let (variant, now, current) = (self.view.variant, self.view.now, self.view.current);
        self.drop_hold(&event_reason(variant, event));
        let new_max = max.and_then(|back| self.max_back(back));
        let ceiling = new_max.unwrap_or(current.max);
        let had_baseline = self.baseline;
        self.baseline = baseline;
        self.damaged_baseline = None;
        let firing: Vec<(String, DateTime<Utc>)> = self
            .record
            .alarms
            .iter()
            .filter(|(_, seen)| seen.firing && seen.at + alarm_hold > now)
            .map(|(name, seen)| (name.clone(), seen.at))
            .collect();
        let keep = current.min.min(ceiling);
        for (name, at) in firing {
            let reason = alarm_reason(variant, &name);
            if keep > self.effective_with(ceiling).0 && !self.holds.contains_key(&reason) {
                self.put_hold(
                    &reason,
                    Hold {
                        min: keep,
                        until: at + alarm_hold,
                        since: now,
                        trigger: None,
                        raise_max: false,
                    },
                );
                self.notes.push(format!(
                    "alarm {name} still fires: its hold keeps MinCapacity at {keep}"
                ));
            }
        }
        if self.delete.is_empty()
            && self.notes.is_empty()
            && had_baseline == baseline
            && new_max.is_none()
            && self.effective() == current.min
        {
            return Verdict::Skip(
                Action::Unchanged,
                format!("calendar event {event} is over: already at {baseline} or held above it"),
            );
        }
        let why = match new_max {
            Some(m) => format!(
                "calendar event {event} is over; MaxCapacity back from {} to {m}",
                current.max
            ),
            None => format!("calendar event {event} is over"),
        };
        Verdict::Apply(Apply {
            action: None,
            why,
            raising: false,
            new_max,
        })
    }

    /// The MaxCapacity a calendar end writes, if any: `back.to`, or what live `raise_max`
    /// pre-warms hold when that is more, while MaxCapacity is still what the event's start set;
    /// never more than now.
    fn max_back(&mut self, back: MaxBack) -> Option<u32> {
        let (now, current) = (self.view.now, self.view.current.max);
        let (to, kept_by) = self
            .holds
            .iter()
            .filter(|(_, h)| h.raise_max && h.is_live(now) && h.min > back.to)
            .max_by_key(|(_, h)| h.min)
            .map_or((back.to, None), |(reason, h)| (h.min, Some(reason.clone())));
        if back.from.is_some_and(|from| from != current) {
            if current != to {
                self.notes.push(format!(
                    "MaxCapacity {current} is not the {} the event set: someone else changed \
                     it, so it stays",
                    back.from.unwrap_or_default()
                ));
            }
            return None;
        }
        if let Some(reason) = kept_by.filter(|_| to < current) {
            self.notes.push(format!(
                "MaxCapacity kept at {to}, not {}: hold {reason} asked for raise_max",
                back.to
            ));
        }
        (to < current).then_some(to)
    }

    pub(super) fn sweep(&mut self) -> Verdict {
        let current = self.view.current.min;
        let leftover = self.view.holds.holds.is_empty() && self.view.holds.baseline.is_some();
        if self.delete.is_empty()
            && self.notes.is_empty()
            && !leftover
            && self.effective() == current
        {
            return Verdict::Skip(Action::Unchanged, "no expired hold".to_owned());
        }
        Apply::verdict(String::new(), false)
    }
}
