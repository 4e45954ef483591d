//! Property-based tests of the capacity decision (`decide`): for any current capacity, any
//! recorded holds and record, and any request, a raise never lowers MinCapacity, never goes
//! above the ceiling or MaxCapacity, applying the same event twice leaves the state of applying
//! it once, and the state a decision leaves is what its holds justify. Cases per property:
//! `PROPTEST_CASES` (256 by default; `make fuzz` runs many more).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use remediation::decide::{AlarmChange, Change, EventHold, Plan, ScalePolicy};
use remediation::holds::{self, hold_key, Capacity, Hold, VariantHolds};
use remediation::record::Record;

mod common;

use common::{config, Variant as State, V};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

const REASONS: [&str; 4] = ["alarm.latency", "alarm.p99", "event.promo", "event.bf"];
const ALARMS: [&str; 2] = ["latency", "p99"];
const EVENTS: [&str; 2] = ["promo", "bf"];

fn arb_hold() -> impl Strategy<Value = Hold> {
    (
        1u32..=60,
        -20_000i64..20_000,
        0i64..20_000,
        proptest::option::of("[a-z]{1,3}"),
        any::<bool>(),
    )
        .prop_map(|(min, until, age, trigger, raise_max)| Hold {
            min,
            until: now() + chrono::Duration::seconds(until),
            since: now() - chrono::Duration::seconds(age),
            trigger,
            raise_max,
        })
}

/// Any recorded state: a target, maybe a baseline, some holds, maybe an unreadable tag.
fn arb_state() -> impl Strategy<Value = State> {
    (
        1u32..=50,
        0u32..=30,
        proptest::option::of(1u32..=50),
        proptest::collection::btree_map(proptest::sample::select(&REASONS[..]), arb_hold(), 0..4),
        any::<bool>(),
        proptest::option::of(0u32..=60),
    )
        .prop_map(|(min, extra, baseline, holds, garbage, written)| {
            let mut tags = BTreeMap::new();
            if let Some(b) = baseline {
                tags.insert(holds::baseline_key(V), b.to_string());
            }
            for (reason, hold) in holds {
                tags.insert(hold_key(V, reason), hold.encode());
            }
            if garbage {
                tags.insert(hold_key(V, "alarm.bad"), "min=banana".to_owned());
            }
            State {
                tags,
                capacity: Capacity {
                    min,
                    max: min + extra,
                },
                record: Record {
                    written,
                    ..Record::default()
                },
            }
        })
}

#[derive(Debug, Clone)]
struct Raise {
    alarm: &'static str,
    policy: ScalePolicy,
    /// Seconds before now that the alarm entered ALARM.
    age: i64,
    trigger: String,
}

fn arb_raise() -> impl Strategy<Value = Raise> {
    (
        proptest::sample::select(&ALARMS[..]),
        1u32..=10,
        proptest::option::of(1u32..=60),
        // No cooldown is the case where only the transition id prevents a second raise.
        prop_oneof![Just(0u64), 0u64..=900],
        60u64..=604_800,
        // Transition ids; some with characters a tag value cannot hold.
        "[a-zA-Z0-9 #@:.]{1,6}",
        0i64..600,
    )
        .prop_map(
            |(alarm, step, ceiling, cooldown, hold_for, trigger, age)| Raise {
                alarm,
                policy: ScalePolicy {
                    step,
                    ceiling,
                    cooldown: Duration::from_secs(cooldown),
                    hold_for: Duration::from_secs(hold_for),
                },
                age,
                trigger,
            },
        )
}

fn plan(r: &Raise, state: &State) -> Plan {
    let change = Change::Alarm(AlarmChange {
        name: r.alarm,
        firing: true,
        at: Some(now() - chrono::Duration::seconds(r.age)),
        trigger: Some(&r.trigger),
        policy: &r.policy,
        demand: None,
    });
    state.plan(&change, now())
}

/// After any decision is applied, MinCapacity is what the holds justify: max(baseline, live
/// holds) capped at MaxCapacity, or, when a damaged baseline forbids lowering, no less.
fn justified(state: &State) -> Option<u32> {
    let holds = state.holds();
    let live = holds.live(now()).map(|(_, h)| h.min).max()?;
    Some(
        holds
            .baseline
            .unwrap_or(0)
            .max(live)
            .min(state.capacity.max),
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_alarm_never_lowers_and_never_exceeds_the_ceiling_or_max(
        state in arb_state(), r in arb_raise()
    ) {
        let p = plan(&r, &state);
        let current = state.capacity;
        prop_assert!(p.new_min >= current.min, "lowered: {p:?}");
        prop_assert_eq!(p.new_max, None);
        if p.changes_capacity() {
            prop_assert!(p.new_min <= current.max, "above MaxCapacity: {:?}", p);
        }
        // A new hold (not the completion of one recorded earlier) stays under the ceiling.
        let key = hold_key(V, &holds::alarm_reason(V, r.alarm));
        if let Some((_, value)) = p.put_tags.iter().find(|(k, _)| *k == key) {
            let cap = r.policy.ceiling.map_or(current.max, |c| c.min(current.max));
            // Capacity goes past the ceiling only as far as holds recorded before (this alarm's
            // own included: completing it is not a new raise) already justify.
            let others = state
                .holds()
                .live(now())
                .map(|(_, h)| h.min.min(current.max))
                .chain(state.holds().baseline.filter(|_| !state.holds().holds.is_empty()))
                .max()
                .unwrap_or(0);
            prop_assert!(p.new_min <= cap.max(current.min).max(others), "above the ceiling: {:?}", p);
            let hold = Hold::decode(value).expect("the plan writes a readable hold");
            prop_assert!(hold.min <= cap.max(current.min).max(others));
            prop_assert!(hold.until > now());
        }
        // The applied state is what its holds justify (a raise may keep more: it never lowers).
        let after = state.apply(&p);
        if let Some(justified) = justified(&after) {
            prop_assert!(after.capacity.min >= justified, "{after:?}");
        }
    }

    #[test]
    fn the_same_alarm_twice_is_the_same_as_once(state in arb_state(), r in arb_raise()) {
        let once = state.apply(&plan(&r, &state));
        let second = plan(&r, &once);
        prop_assert!(!second.writes_anything(), "second delivery wrote: {second:?}");
        prop_assert_eq!(once.apply(&second), once);
    }

    #[test]
    fn a_release_never_exceeds_max_and_twice_is_once(
        state in arb_state(),
        event in proptest::option::of(proptest::sample::select(&EVENTS[..])),
    ) {
        let release = match event {
            Some(event) => Change::Release { event },
            None => Change::Sweep,
        };
        let reason = event.map(|e| holds::event_reason(V, e));
        let reason = reason.as_deref();
        let p = state.plan(&release, now());
        if p.changes_capacity() {
            prop_assert!(p.new_min <= state.capacity.max, "{p:?}");
            prop_assert!(p.new_min >= 1);
        }
        let once = state.apply(&p);
        if let Some(reason) = reason {
            prop_assert!(!once.tags.contains_key(&hold_key(V, reason)));
        }
        // Nothing expired or unreadable is left behind.
        prop_assert!(once.holds().unreadable.is_empty());
        prop_assert!(once.holds().holds.values().all(|h| h.is_live(now())));
        let again = once.plan(&release, now());
        prop_assert!(!again.writes_anything(), "second release wrote: {again:?}");
        // A release that acts never leaves MinCapacity below a live hold it kept (within max).
        if p.writes_anything() {
            for hold in once.holds().holds.values() {
                prop_assert!(once.capacity.min >= hold.min.min(once.capacity.max));
            }
        }
    }

    #[test]
    fn a_pre_warm_never_lowers_and_twice_is_once(
        state in arb_state(), hold in arb_hold(), event in proptest::sample::select(&EVENTS[..])
    ) {
        let change = Change::Hold(EventHold {
            event,
            min: hold.min,
            until: hold.until.max(now() + chrono::Duration::seconds(1)),
            hold_for: None,
            raise_max: false,
            trigger: None,
        });
        let p = state.plan(&change, now());
        prop_assert!(p.new_min >= state.capacity.min);
        prop_assert!(p.new_min <= state.capacity.max.max(state.capacity.min));
        prop_assert!(p.new_min >= state.capacity.min.max(hold.min.min(state.capacity.max)));
        let once = state.apply(&p);
        let twice = once.apply(&once.plan(&change, now()));
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn every_decision_leaves_what_the_holds_justify(
        state in arb_state(), r in arb_raise(), event in proptest::sample::select(&EVENTS[..])
    ) {
        for change in [
            Change::Release { event },
            Change::Sweep,
            Change::Alarm(AlarmChange {
                name: r.alarm, firing: false, at: Some(now()), trigger: None,
                policy: &r.policy, demand: None,
            }),
        ] {
            let after = state.apply(&state.plan(&change, now()));
            if let (Some(justified), false) = (justified(&after), after.holds().baseline.is_none()) {
                prop_assert!(after.capacity.min >= justified, "{change:?}: {after:?}");
            }
            // Nothing is ever lowered below what another writer set.
            if state.record.written.is_some_and(|w| w != state.capacity.min) {
                prop_assert!(after.capacity.min >= state.capacity.min.min(state.capacity.max)
                    || justified(&state) == Some(state.capacity.min), "{change:?}: {after:?}");
            }
        }
    }

    #[test]
    fn hold_values_never_panic_when_decoded(value in "\\PC{0,80}") {
        let _ = Hold::decode(&value);
        let _ = VariantHolds::from_tags(V, [(hold_key(V, "alarm.x").as_str(), value.as_str())]);
    }
}
