//! Model-based test of the hold semantics over whole alarm lifecycles (ARCHITECTURE.md, "The
//! semantics"): random sequences of alarm transitions (two alarms, delivered late, reordered
//! and redelivered), time passing, sweeps, pre-warm raises and restores, an operator setting
//! MinCapacity, and calendar events (the start a scheduled action, `raise_max` included; the
//! end through the holds, giving MaxCapacity back), run through the real decision (`decide`,
//! with the transition ids scale-on-latency gives, applied to tags, target and record as the
//! remediation path applies it) beside a plain reference model of the written semantics.
//! After every step the two must agree, and the promises hold on their own:
//!
//! - an alarm whose latest delivered transition is ALARM keeps a live hold for `hold_for` after
//!   that transition, even when its raise was refused (cooldown, ceiling);
//! - a delivery older than the latest seen of its alarm, or one already seen, writes nothing;
//! - two raises by alarms are never closer than the cooldown, whatever OKs and expiries passed;
//! - after any decision, MinCapacity honours every live hold and never exceeds MaxCapacity;
//! - a calendar end lowers no firing alarm's capacity, except to the ceiling it gives back.
//!
//! Sequences per run: `PROPTEST_CASES` (256 by default; `make fuzz` runs many more).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use remediation::decide::{AlarmChange, Change, EventHold, MaxBack, Plan, ScalePolicy};
use remediation::holds::{alarm_reason, baseline_key, event_reason, Capacity};
use remediation::record::{Record, Transition};

mod common;

use common::{config, Variant, V};

const ALARMS: [&str; 2] = ["latency", "p99 latency"];
const EVENTS: [&str; 2] = ["promo", "launch"];
const MAX: u32 = 10;
const START_MIN: u32 = 2;
const POLICY: ScalePolicy = ScalePolicy {
    step: 2,
    ceiling: Some(8),
    cooldown: Duration::from_secs(300),
    hold_for: Duration::from_secs(3 * 3600),
};

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

fn hold_for() -> chrono::Duration {
    secs(POLICY.hold_for.as_secs() as i64)
}

fn cooldown() -> chrono::Duration {
    secs(POLICY.cooldown.as_secs() as i64)
}

#[derive(Debug, Clone, Copy)]
enum Op {
    /// The alarm changes state now (CloudWatch's transition); its event joins the queue.
    Transition {
        alarm: usize,
        firing: bool,
    },
    /// One queued event is delivered; `again` keeps it queued for a redelivery.
    Deliver {
        pick: usize,
        again: bool,
    },
    Wait {
        seconds: i64,
    },
    Sweep,
    /// A pre-warm of `event` at `min`; `raise_max` raises MaxCapacity to it when lower.
    Prewarm {
        event: usize,
        min: u32,
        hours: i64,
        raise_max: bool,
    },
    Restore {
        event: usize,
    },
    /// Someone else sets MinCapacity (an operator, a scheduled action); one above MaxCapacity
    /// is refused and changes nothing.
    Operator {
        min: u32,
    },
    /// Someone else sets MaxCapacity (an operator); Application Auto Scaling refuses one
    /// below MinCapacity, so that changes nothing.
    OperatorMax {
        max: u32,
    },
    /// A calendar event's start action (Application Auto Scaling): MinCapacity `min`, capped
    /// at MaxCapacity unless `raise_max`, which raises MaxCapacity to it.
    CalendarStart {
        min: u32,
        raise_max: bool,
    },
    /// The event's end through the holds, back to `baseline`; `give_back` when the event
    /// raised MaxCapacity (its end schedule then carries the variant's own, [`MAX`], and what
    /// the start set).
    CalendarEnd {
        event: usize,
        baseline: u32,
        give_back: bool,
    },
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..ALARMS.len(), any::<bool>())
            .prop_map(|(alarm, firing)| Op::Transition { alarm, firing }),
        5 => (any::<usize>(), prop::bool::weighted(0.3))
            .prop_map(|(pick, again)| Op::Deliver { pick, again }),
        3 => prop_oneof![0i64..120, 120i64..900, 3600i64..14_400]
            .prop_map(|seconds| Op::Wait { seconds }),
        1 => Just(Op::Sweep),
        1 => (0..EVENTS.len(), 1u32..=12, 1i64..=4, any::<bool>()).prop_map(
            |(event, min, hours, raise_max)| Op::Prewarm { event, min, hours, raise_max }
        ),
        1 => (0..EVENTS.len()).prop_map(|event| Op::Restore { event }),
        1 => (1u32..=MAX).prop_map(|min| Op::Operator { min }),
        1 => (1u32..=MAX + 8).prop_map(|max| Op::OperatorMax { max }),
        1 => (1u32..=MAX + 4, any::<bool>())
            .prop_map(|(min, raise_max)| Op::CalendarStart { min, raise_max }),
        1 => (0..EVENTS.len(), 1u32..=4, any::<bool>())
            .prop_map(|(event, baseline, give_back)| Op::CalendarEnd { event, baseline, give_back }),
    ]
}

/// A recorded hold: (min, until, raise_max).
type Held = (u32, DateTime<Utc>, bool);

/// The reference model: the semantics as ARCHITECTURE.md writes them, on plain values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    min: u32,
    max: u32,
    /// The baseline tag: present only while holds exist.
    base_tag: Option<u32>,
    written: Option<u32>,
    last_raise: Option<DateTime<Utc>>,
    /// Latest transition applied per alarm: (firing, at, raise deferred by the cooldown).
    seen: BTreeMap<&'static str, (bool, DateTime<Utc>, bool)>,
    /// Recorded holds by reason (expired ones stay until a decision that writes removes them).
    holds: BTreeMap<String, Held>,
}

/// What one model decision is working with.
#[derive(Clone)]
struct Step {
    now: DateTime<Utc>,
    base: u32,
    /// MaxCapacity after the decision.
    max: u32,
    holds: BTreeMap<String, Held>,
    expired: bool,
    other_writer: bool,
    written: Option<u32>,
    last_raise: Option<DateTime<Utc>>,
    seen: BTreeMap<&'static str, (bool, DateTime<Utc>, bool)>,
}

enum Outcome {
    /// Nothing for the change itself; `raising` if it was an ALARM or a pre-warm.
    Skip {
        raising: bool,
    },
    Settle {
        raising: bool,
    },
}

impl Model {
    fn new() -> Self {
        Model {
            min: START_MIN,
            max: MAX,
            base_tag: None,
            written: None,
            last_raise: None,
            seen: BTreeMap::new(),
            holds: BTreeMap::new(),
        }
    }

    fn effective(&self, step: &Step) -> u32 {
        step.holds
            .values()
            .filter(|(_, until, _)| *until > step.now)
            .map(|(min, _, _)| *min)
            .fold(step.base, u32::max)
            .min(step.max)
    }

    fn begin(&self, now: DateTime<Utc>) -> Step {
        let mut step = self.begin_without_adopting(now);
        if let Some(written) = self.written {
            if written != self.min && self.min != self.effective(&step) {
                step.base = self.min;
                step.other_writer = true;
                step.written = Some(self.min);
            }
        }
        step
    }

    /// The step of a calendar end: what its own start action set is no other writer's.
    fn begin_without_adopting(&self, now: DateTime<Utc>) -> Step {
        let mut step = Step {
            now,
            base: match self.holds.is_empty() {
                true => self.min,
                false => self.base_tag.unwrap_or(self.min),
            },
            max: self.max,
            holds: self.holds.clone(),
            expired: false,
            other_writer: false,
            written: self.written,
            last_raise: self.last_raise,
            seen: self.seen.clone(),
        };
        step.holds.retain(|_, (_, until, _)| *until > now);
        step.expired = step.holds.len() != self.holds.len();
        step
    }

    fn decide(&mut self, step: Step, outcome: Outcome) {
        let off_target = self.effective(&step) != self.min;
        let (now, base) = (step.now, step.base);
        match outcome {
            Outcome::Skip { .. } if !off_target => {
                // Nothing is written, but a MinCapacity a live hold sets is this project's.
                let held = (step.holds.values()).any(|&(min, until, _)| until > now && min > base);
                if held {
                    self.written = Some(self.min);
                }
            }
            Outcome::Skip { raising } => self.settle(step, raising),
            Outcome::Settle { raising } => self.settle(step, raising),
        }
    }

    fn settle(&mut self, mut step: Step, raising: bool) {
        let mut desired = self.effective(&step);
        let mut ours_above = false;
        if raising && self.min > desired {
            if step.written == Some(self.min) {
                ours_above = true;
            } else {
                step.base = self.min;
            }
            desired = self.min;
        }
        let any_live = step.holds.values().any(|(_, until, _)| *until > step.now);
        if !any_live && ours_above {
            // What this project left above its expired holds: holds and baseline tag stay
            // for the sweep to give it back.
            step.holds = self.holds.clone();
        } else if !any_live {
            self.base_tag = None;
        } else {
            self.base_tag = Some(step.base);
        }
        self.min = desired;
        self.max = step.max;
        self.written = Some(desired);
        self.holds = step.holds;
        self.last_raise = step.last_raise;
        self.seen = step.seen;
    }

    fn alarm(&mut self, name: &'static str, firing: bool, at: DateTime<Utc>, now: DateTime<Utc>) {
        let mut step = self.begin(now);
        let reason = alarm_reason(V, name);
        let cooling = step.last_raise.is_some_and(|last| last + cooldown() > now);
        if let Some(&(seen_firing, seen_at, deferred)) = step.seen.get(name) {
            // A redelivery is a duplicate unless the cooldown deferred its raise and is over.
            let owed = deferred && !cooling;
            let duplicate = seen_at == at && seen_firing == firing && !owed;
            if seen_at > at || duplicate {
                let unfinished = duplicate
                    && firing
                    && step
                        .holds
                        .get(&reason)
                        .is_some_and(|(min, _, _)| self.min < (*min).min(self.max));
                let outcome = match unfinished {
                    true => Outcome::Settle { raising: true },
                    false => Outcome::Skip { raising: firing },
                };
                return self.decide(step, outcome);
            }
        }
        step.seen.insert(name, (firing, at, false));
        if !firing {
            step.holds.remove(&reason);
            return self.decide(step, Outcome::Settle { raising: false });
        }
        let kept = step
            .holds
            .get(&reason)
            .map_or(self.min, |(min, _, _)| (*min).min(self.max).max(self.min));
        let ceiling = POLICY.ceiling.unwrap_or(self.max).min(self.max);
        let target = (self.min + POLICY.step).min(ceiling);
        if cooling || target <= self.min {
            // Refused; the alarm keeps what the variant has above the baseline.
            if cooling {
                step.seen.insert(name, (firing, at, true));
            }
            if kept > step.base || step.holds.contains_key(&reason) {
                step.holds.insert(reason, (kept, now + hold_for(), false));
            }
        } else {
            step.last_raise = Some(now);
            step.holds.insert(reason, (target, now + hold_for(), false));
        }
        self.decide(step, Outcome::Settle { raising: true });
    }

    fn prewarm(
        &mut self,
        event: &str,
        (min, raise_max): (u32, bool),
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let mut step = self.begin(now);
        let reason = event_reason(V, event);
        if raise_max {
            step.max = step.max.max(min);
        }
        let min = min.min(step.max);
        let same = step.holds.get(&reason) == Some(&(min, until, raise_max));
        if same && self.min >= min && step.max == self.max && !step.expired {
            return self.decide(step, Outcome::Skip { raising: true });
        }
        step.holds.insert(reason, (min, until, raise_max));
        self.decide(step, Outcome::Settle { raising: true });
    }

    fn restore(&mut self, event: &str, now: DateTime<Utc>) {
        let mut step = self.begin(now);
        let reason = event_reason(V, event);
        let had = self.holds.contains_key(&reason);
        step.holds.remove(&reason);
        let outcome = match had || step.expired || step.other_writer {
            true => Outcome::Settle { raising: false },
            false => Outcome::Skip { raising: false },
        };
        self.decide(step, outcome);
    }

    /// A calendar start: another writer sets MinCapacity (and MaxCapacity with `raise_max`).
    fn calendar_start(&mut self, min: u32, raise_max: bool) {
        (self.min, self.max) = match (min <= self.max, raise_max) {
            (true, _) => (min, self.max),
            (false, true) => (min, min),
            (false, false) => (self.max, self.max),
        };
    }

    /// The calendar's end; MaxCapacity goes back to `max.to` (or to what live `raise_max`
    /// pre-warms hold, when more) only when it is still what the event's start set
    /// (`max.from`), and never up.
    fn calendar_end(
        &mut self,
        event: &str,
        baseline: u32,
        max: Option<MaxBack>,
        now: DateTime<Utc>,
    ) {
        let mut step = self.begin_without_adopting(now);
        let reason = event_reason(V, event);
        let dropped = self.holds.contains_key(&reason);
        step.holds.remove(&reason);
        let kept_up = step
            .holds
            .values()
            .filter(|(_, _, raise_max)| *raise_max)
            .map(|(min, _, _)| *min);
        let to = max.map(|b| kept_up.fold(b.to, u32::max));
        let theirs =
            max.is_some_and(|b| b.from.is_some_and(|f| f != self.max)) && to != Some(self.max);
        let new_max = to.filter(|&to| !theirs && to < self.max);
        let had_base = step.base;
        step.base = baseline;
        step.max = new_max.unwrap_or(self.max);
        let keep = self.min.min(step.max);
        let mut kept = false;
        for (name, (firing, at, _)) in &self.seen {
            let reason = alarm_reason(V, name);
            let fires = *firing && *at + hold_for() > now;
            if fires && keep > self.effective(&step) && !step.holds.contains_key(&reason) {
                step.holds.insert(reason, (keep, *at + hold_for(), false));
                kept = true;
            }
        }
        let now_max = Step {
            max: self.max,
            ..step.clone()
        };
        let idle = !step.expired
            && !dropped
            && !kept
            && !theirs
            && had_base == baseline
            && new_max.is_none()
            && self.effective(&now_max) == self.min;
        let outcome = match idle {
            true => Outcome::Skip { raising: false },
            false => Outcome::Settle { raising: false },
        };
        self.decide(step, outcome);
    }

    fn sweep(&mut self, now: DateTime<Utc>) {
        let step = self.begin(now);
        let leftover = self.holds.is_empty() && self.base_tag.is_some();
        let idle =
            !step.expired && !step.other_writer && !leftover && self.effective(&step) == self.min;
        let outcome = match idle {
            true => Outcome::Skip { raising: false },
            false => Outcome::Settle { raising: false },
        };
        self.decide(step, outcome);
    }
}

/// The real side: the endpoint's tags, the variant's target and its record, changed only by
/// applying the plans `decide` makes, in the remediation path's order.
type Real = Variant;

/// Decide `change` on the real side and apply the plan.
fn decide_real(real: &mut Real, change: &Change<'_>, now: DateTime<Utc>) -> Plan {
    let plan = real.plan(change, now);
    *real = real.apply(&plan);
    plan
}

trait AsModel {
    fn as_model(&self) -> Model;
}

impl AsModel for Real {
    /// The real state in the model's terms.
    fn as_model(&self) -> Model {
        let holds = self.holds();
        Model {
            min: self.capacity.min,
            max: self.capacity.max,
            base_tag: self.tags.get(&baseline_key(V)).and_then(|v| v.parse().ok()),
            written: self.record.written,
            last_raise: self.record.last_raise,
            seen: ALARMS
                .iter()
                .filter_map(|&a| {
                    let t = self.record.alarms.get(a)?;
                    Some((a, (t.firing, t.at, t.deferred)))
                })
                .collect(),
            holds: holds
                .holds
                .into_iter()
                .map(|(reason, h)| (reason, (h.min, h.until, h.raise_max)))
                .collect(),
        }
    }
}

/// What the test itself knows of the alarms' true histories.
#[derive(Default)]
struct Truth {
    queue: Vec<(usize, bool, DateTime<Utc>)>,
    /// Latest delivered transition per alarm: (firing, at, whether it must hold: it found
    /// capacity above the baseline or raised it).
    delivered: BTreeMap<usize, (bool, DateTime<Utc>, bool)>,
    last_alarm_raise: Option<DateTime<Utc>>,
}

impl Truth {
    /// The queued event `pick` chooses (modulo the queue's length), left queued when `again`
    /// (a redelivery); `None` when nothing is queued.
    fn take(&mut self, pick: usize, again: bool) -> Option<(usize, bool, DateTime<Utc>)> {
        if self.queue.is_empty() {
            return None;
        }
        let index = pick % self.queue.len();
        Some(match again {
            true => self.queue[index],
            false => self.queue.remove(index),
        })
    }
}

/// The variant before the first step: MinCapacity [`START_MIN`], MaxCapacity [`MAX`].
fn fresh() -> Real {
    Real {
        tags: BTreeMap::new(),
        capacity: Capacity {
            min: START_MIN,
            max: MAX,
        },
        record: Record::default(),
    }
}

fn run(ops: &[Op]) -> Result<Real, TestCaseError> {
    let mut run = Run {
        now: start(),
        model: Model::new(),
        real: fresh(),
        truth: Truth::default(),
        raised: None,
    };
    for (i, op) in ops.iter().enumerate() {
        let before = run.real.clone();
        let decided = run.step(op)?;
        prop_assert_eq!(
            &run.real.as_model(),
            &run.model,
            "step {} {:?} disagrees with the model; before: {:?}",
            i,
            op,
            before
        );
        promises(&run.real, &run.truth, run.now, decided.as_ref())?;
    }
    Ok(run.real)
}

/// A sequence being run: the model and the real side, side by side.
struct Run {
    now: DateTime<Utc>,
    model: Model,
    real: Real,
    truth: Truth,
    /// The MaxCapacity the latest calendar start raised to.
    raised: Option<u32>,
}

impl Run {
    /// `op` on both sides; the plan the real decision made, if one decided.
    fn step(&mut self, op: &Op) -> Result<Option<Plan>, TestCaseError> {
        let (now, model, real) = (self.now, &mut self.model, &mut self.real);
        Ok(match *op {
            Op::Transition { alarm, firing } => {
                self.truth.queue.push((alarm, firing, now));
                None
            }
            Op::Deliver { pick, again } => {
                let Some((alarm, firing, at)) = self.truth.take(pick, again) else {
                    return Ok(None);
                };
                let plan = deliver(real, &mut self.truth, (alarm, firing, at), now)?;
                model.alarm(ALARMS[alarm], firing, at, now);
                Some(plan)
            }
            Op::Wait { seconds } => {
                self.now += secs(seconds);
                None
            }
            Op::Sweep => {
                model.sweep(now);
                Some(decide_real(real, &Change::Sweep, now))
            }
            Op::Prewarm {
                event,
                min,
                hours,
                raise_max,
            } => {
                let until = now + secs(hours * 3600);
                model.prewarm(EVENTS[event], (min, raise_max), until, now);
                Some(prewarm_real(
                    real,
                    (EVENTS[event], min, raise_max),
                    until,
                    now,
                ))
            }
            Op::Restore { event } => {
                model.restore(EVENTS[event], now);
                let release = Change::Release {
                    event: EVENTS[event],
                };
                Some(decide_real(real, &release, now))
            }
            Op::Operator { .. } | Op::OperatorMax { .. } | Op::CalendarStart { .. } => {
                other_write(op, model, real, &mut self.raised);
                None
            }
            Op::CalendarEnd {
                event,
                baseline,
                give_back,
            } => {
                // An entry whose start did not run (or did not need to raise) still says
                // what it would have set: above MAX.
                let max = give_back.then_some(MaxBack {
                    to: MAX,
                    from: Some(self.raised.unwrap_or(MAX + 1)),
                });
                model.calendar_end(EVENTS[event], baseline, max, now);
                Some(calendar_end_real(
                    real,
                    (EVENTS[event], baseline, max),
                    now,
                )?)
            }
        })
    }
}

/// Someone else's write (an operator, the calendar's start action), on both sides; `raised`
/// is the MaxCapacity the latest calendar start raised to.
fn other_write(op: &Op, model: &mut Model, real: &mut Real, raised: &mut Option<u32>) {
    match *op {
        // Application Auto Scaling refuses MinCapacity above MaxCapacity.
        Op::Operator { min } if min <= model.max => {
            model.min = min;
            real.capacity.min = min;
        }
        Op::OperatorMax { max } if max >= model.min => {
            model.max = max;
            real.capacity.max = max;
        }
        Op::CalendarStart { min, raise_max } => {
            if raise_max && min > model.max {
                *raised = Some(min);
            }
            model.calendar_start(min, raise_max);
            (real.capacity.min, real.capacity.max) = (model.min, model.max);
        }
        _ => {}
    }
}

/// A pre-warm of `event` at `min` (`raise_max` as given) until `until`, on the real side.
fn prewarm_real(
    real: &mut Real,
    (event, min, raise_max): (&str, u32, bool),
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Plan {
    let hold = EventHold {
        event,
        min,
        until,
        hold_for: None,
        raise_max,
        trigger: None,
    };
    decide_real(real, &Change::Hold(hold), now)
}

/// The end of calendar event `event`, back to `baseline` (and MaxCapacity to `max`), on the
/// real side, checked against what an end promises under a firing alarm.
fn calendar_end_real(
    real: &mut Real,
    (event, baseline, max): (&str, u32, Option<MaxBack>),
    now: DateTime<Utc>,
) -> Result<Plan, TestCaseError> {
    let before = real.clone();
    let end = Change::CalendarEnd {
        event,
        baseline,
        max,
        alarm_hold: hold_for(),
    };
    let plan = decide_real(real, &end, now);
    calendar_end_promise(&before, real, now)?;
    Ok(plan)
}

/// Deliver one alarm event to the real decision and check what a delivery alone promises.
fn deliver(
    real: &mut Real,
    truth: &mut Truth,
    (alarm, firing, at): (usize, bool, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<Plan, TestCaseError> {
    let latest = truth.delivered.get(&alarm).map(|&(f, a, _)| (f, a));
    let cooling = real
        .record
        .last_raise
        .is_some_and(|last| last + cooldown() > now);
    let owed = !cooling
        && real
            .record
            .alarms
            .get(ALARMS[alarm])
            .is_some_and(|t| t.deferred && t.at == at && t.firing == firing);
    let repeat = !owed && latest.is_some_and(|(f, a)| a > at || (a == at && f == firing));
    let holds_before = real.holds().holds;
    let raised_before = real.record.last_raise;
    let min_before = real.capacity.min;
    // The id scale-on-latency gives a transition; holds record it (`trigger=`).
    let id = Transition::id(if firing { "ALARM" } else { "OK" }, at);
    let plan = decide_real(
        real,
        &Change::Alarm(AlarmChange {
            name: ALARMS[alarm],
            firing,
            at: Some(at),
            trigger: Some(&id),
            policy: &POLICY,
            demand: None,
        }),
        now,
    );
    if repeat {
        // Stale or already seen: nothing of the alarm's own changes.
        let reason = alarm_reason(V, ALARMS[alarm]);
        let holds_after = real.holds().holds;
        prop_assert_eq!(
            holds_after.get(&reason).filter(|h| h.is_live(now)),
            holds_before.get(&reason).filter(|h| h.is_live(now)),
            "a stale or repeated delivery changed its alarm's hold: {:?}",
            plan
        );
        prop_assert_eq!(
            real.record
                .alarms
                .get(ALARMS[alarm])
                .map(|t| (t.firing, t.at)),
            latest,
            "a stale or repeated delivery changed the alarm's latest transition"
        );
    } else {
        // A raise by an alarm is when the record's last raise moves. A refused ALARM must
        // hold when it found capacity above the baseline (another writer's value included).
        let raised = plan.record.last_raise != raised_before;
        let above_baseline = min_before > real.holds().baseline.unwrap_or(real.capacity.min);
        truth
            .delivered
            .insert(alarm, (firing, at, above_baseline || raised));
        if raised {
            if let Some(last) = truth.last_alarm_raise {
                prop_assert!(
                    now - last >= cooldown(),
                    "two raises {}s apart: {:?}",
                    (now - last).num_seconds(),
                    plan
                );
            }
            truth.last_alarm_raise = Some(now);
        }
    }
    Ok(plan)
}

/// What must hold after every step, whatever the model says.
fn promises(
    real: &Real,
    truth: &Truth,
    now: DateTime<Utc>,
    decided: Option<&Plan>,
) -> Result<(), TestCaseError> {
    prop_assert!(real.capacity.min <= real.capacity.max);
    let holds = real.holds();
    for (&alarm, &(firing, at, must_hold)) in &truth.delivered {
        if firing && must_hold && at + hold_for() > now {
            let reason = alarm_reason(V, ALARMS[alarm]);
            prop_assert!(
                holds.holds.get(&reason).is_some_and(|h| h.is_live(now)),
                "alarm {} fires (ALARM since {}) but holds nothing: {:?}",
                ALARMS[alarm],
                at,
                real
            );
        }
    }
    if decided.is_some() {
        let live = holds
            .live(now)
            .map(|(_, h)| h.min.min(real.capacity.max))
            .max();
        prop_assert!(
            live.is_none_or(|m| real.capacity.min >= m),
            "MinCapacity {} below a live hold: {:?}",
            real.capacity.min,
            real
        );
    }
    Ok(())
}

/// A calendar end while an alarm fires (its latest transition, as recorded, is an ALARM
/// within the hold's duration) that holds nothing live: capacity stays where it was, or at the
/// ceiling the end gives back when that is lower. (An alarm that holds is kept by its hold,
/// which [`promises`] checks after every decision.)
fn calendar_end_promise(
    before: &Real,
    after: &Real,
    now: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    let holds = before.holds();
    let unheld = before.record.alarms.iter().any(|(name, t)| {
        let reason = alarm_reason(V, name);
        let live = holds.holds.get(&reason).is_some_and(|h| h.is_live(now));
        t.firing && t.at + hold_for() > now && !live
    });
    let floor = before.capacity.min.min(after.capacity.max);
    prop_assert!(
        !unheld || after.capacity.min >= floor,
        "a calendar end lowered a firing alarm's capacity from {} to {}: {:?}",
        before.capacity.min,
        after.capacity.min,
        after
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_decision_follows_the_model_over_whole_lifecycles(
        ops in proptest::collection::vec(arb_op(), 1..60)
    ) {
        run(&ops)?;
    }
}

/// Alarm `alarm` goes to ALARM (`firing`) or OK.
fn transition(alarm: usize, firing: bool) -> Op {
    Op::Transition { alarm, firing }
}

/// The queued event `pick` chooses is delivered (once).
fn nth(pick: usize) -> Op {
    Op::Deliver { pick, again: false }
}

fn wait(seconds: i64) -> Op {
    Op::Wait { seconds }
}

/// A numbered case of the lifecycle review, as a fixed sequence: it keeps every promise of
/// [`run`] and ends at MinCapacity `expected` (baseline 2, step 2, cooldown 300 s, hold 3 h).
fn reviewed(ops: &[Op], expected: u32) {
    match run(ops) {
        Ok(real) => assert_eq!(real.capacity.min, expected, "{real:?}"),
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn reviewed_1_a_refused_alarm_still_holds_so_the_other_alarms_ok_keeps_capacity() {
    let ops = [
        transition(0, true),
        nth(0),
        wait(30),
        transition(1, true),
        nth(0),
        transition(0, false),
        nth(0),
    ];
    reviewed(&ops, 4);
}

#[test]
fn reviewed_2_a_late_ok_does_not_release_a_newer_raise() {
    let ops = [
        transition(0, true),
        wait(400),
        transition(0, false),
        wait(400),
        transition(0, true),
        nth(0),
        wait(400),
        nth(1),
        wait(400),
        nth(0),
    ];
    reviewed(&ops, 6);
}

#[test]
fn reviewed_3_after_the_hold_expired_a_redelivery_raises_nothing() {
    let ops = [
        transition(0, true),
        Op::Deliver {
            pick: 0,
            again: true,
        },
        wait(4 * 3600),
        Op::Sweep,
        nth(0),
    ];
    reviewed(&ops, 2);
}

#[test]
fn reviewed_3b_a_late_alarm_after_every_hold_expired_leaves_the_sweep_what_to_give_back() {
    let ops = [
        Op::Prewarm {
            event: 0,
            min: 5,
            hours: 2,
            raise_max: false,
        },
        transition(0, true),
        Op::Deliver {
            pick: 0,
            again: true,
        },
        wait(600),
        transition(0, false),
        nth(1),
        // The pre-warm has expired; the ALARM, older than the OK, comes again before the
        // sweep. It changes nothing, and the sweep still gives capacity back to 2.
        wait(2 * 3600),
        nth(0),
        Op::Sweep,
    ];
    reviewed(&ops, 2);
}

#[test]
fn reviewed_4_alarm_ok_alarm_within_the_cooldown_raises_once() {
    let ops = [
        transition(0, true),
        nth(0),
        wait(20),
        transition(0, false),
        nth(0),
        wait(20),
        transition(0, true),
        nth(0),
    ];
    reviewed(&ops, 2);
}

#[test]
fn reviewed_5_a_raise_max_events_end_under_a_firing_alarm_comes_down_to_the_ceiling_only() {
    let ops = [
        Op::CalendarStart {
            min: 14,
            raise_max: true,
        },
        transition(0, true),
        nth(0),
        wait(600),
        Op::CalendarEnd {
            event: 0,
            baseline: 2,
            give_back: true,
        },
    ];
    reviewed(&ops, MAX);
}

#[test]
fn reviewed_6_a_raise_max_events_end_keeps_what_a_raise_max_pre_warm_holds() {
    let ops = [
        Op::CalendarStart {
            min: 14,
            raise_max: true,
        },
        // MaxCapacity is 14 already: the pre-warm raises nothing, but asked for raise_max.
        Op::Prewarm {
            event: 1,
            min: 12,
            hours: 2,
            raise_max: true,
        },
        wait(600),
        Op::CalendarEnd {
            event: 0,
            baseline: 2,
            give_back: true,
        },
    ];
    reviewed(&ops, 12);
}
