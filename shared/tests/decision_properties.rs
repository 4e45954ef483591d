//! Property-based tests of the capacity decision (`holds`): for any current capacity, any
//! recorded holds and any request, a raise never lowers MinCapacity, never goes above the
//! ceiling or MaxCapacity, and applying the same event twice leaves the state of applying it
//! once. Cases per property: `PROPTEST_CASES` (256 by default; `make fuzz` runs many more).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use remediation::holds::{
    self, hold_key, plan_release, plan_step_raise, put_hold, Capacity, Hold, Plan, StepRaise,
    VariantHolds,
};

const V: &str = "AllTraffic";

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // Failures print the minimal input; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

/// The state a plan acts on: the endpoint's tags and the variant's target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    tags: BTreeMap<String, String>,
    capacity: Capacity,
}

impl State {
    fn holds(&self) -> VariantHolds {
        VariantHolds::from_tags(V, self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// What the adapter does with a plan: tags put, target written, tags deleted.
    fn apply(&self, plan: &Plan) -> State {
        let mut next = self.clone();
        for (k, v) in &plan.put_tags {
            next.tags.insert(k.clone(), v.clone());
        }
        if plan.changes_capacity() {
            next.capacity.min = plan.new_min;
            next.capacity.max = plan.new_max.unwrap_or(next.capacity.max);
        }
        for k in &plan.delete_tags {
            next.tags.remove(k);
        }
        next
    }
}

const REASONS: [&str; 4] = ["alarm.latency", "alarm.p99", "event.promo", "event.bf"];

fn arb_hold() -> impl Strategy<Value = Hold> {
    (
        1u32..=60,
        -20_000i64..20_000,
        0i64..20_000,
        proptest::option::of("[a-z]{1,3}"),
    )
        .prop_map(|(min, until, age, trigger)| Hold {
            min,
            until: now() + chrono::Duration::seconds(until),
            since: now() - chrono::Duration::seconds(age),
            trigger,
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
    )
        .prop_map(|(min, extra, baseline, holds, garbage)| {
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
            }
        })
}

#[derive(Debug, Clone)]
struct Raise {
    reason: &'static str,
    step: u32,
    ceiling: Option<u32>,
    cooldown: u64,
    hold_for: u64,
    trigger: String,
}

fn arb_raise() -> impl Strategy<Value = Raise> {
    (
        proptest::sample::select(&REASONS[..2]),
        1u32..=10,
        proptest::option::of(1u32..=60),
        // No cooldown is the case where only the transition id prevents a second raise.
        prop_oneof![Just(0u64), 0u64..=900],
        60u64..=604_800,
        // Transition ids; some with characters a tag value cannot hold.
        "[a-zA-Z0-9 #@:.]{1,6}",
    )
        .prop_map(
            |(reason, step, ceiling, cooldown, hold_for, trigger)| Raise {
                reason,
                step,
                ceiling,
                cooldown,
                hold_for,
                trigger,
            },
        )
}

fn plan(r: &Raise, state: &State) -> Plan {
    plan_step_raise(
        &StepRaise {
            variant: V,
            reason: r.reason,
            step: r.step,
            ceiling: r.ceiling,
            cooldown: Duration::from_secs(r.cooldown),
            hold_for: Duration::from_secs(r.hold_for),
            trigger: Some(&r.trigger),
            now: now(),
            demand: None,
        },
        state.capacity,
        &state.holds(),
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
        let key = hold_key(V, r.reason);
        if let Some((_, value)) = p.put_tags.iter().find(|(k, _)| *k == key) {
            let cap = r.ceiling.map_or(current.max, |c| c.min(current.max));
            prop_assert!(p.new_min <= cap.max(current.min), "above the ceiling: {:?}", p);
            let hold = Hold::decode(value).expect("the plan writes a readable hold");
            prop_assert!(hold.min <= cap.max(current.min));
            prop_assert!(hold.until > now());
        }
        // The applied state is never above what its holds justify.
        let after = state.apply(&p);
        prop_assert_eq!(holds::reconcile(p.baseline, after.capacity, &after.holds()), None);
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
        reason in proptest::option::of(proptest::sample::select(&REASONS[..])),
    ) {
        let p = plan_release(V, reason, state.capacity, &state.holds(), now());
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
        let again = plan_release(V, reason, once.capacity, &once.holds(), now());
        prop_assert!(!again.writes_anything(), "second release wrote: {again:?}");
        // A release that acts never leaves MinCapacity below a live hold it kept (within max).
        if p.writes_anything() {
            for hold in once.holds().holds.values() {
                prop_assert!(once.capacity.min >= hold.min.min(once.capacity.max));
            }
        }
    }

    #[test]
    fn put_hold_never_lowers_and_twice_is_once(state in arb_state(), hold in arb_hold()) {
        // Callers cap the hold at MaxCapacity before recording it.
        let hold = Hold { min: hold.min.min(state.capacity.max), since: now(), ..hold };
        let p = put_hold(V, "event.promo", hold.clone(), state.capacity, &state.holds(), "x".into());
        prop_assert!(p.new_min >= state.capacity.min);
        prop_assert!(p.new_min <= state.capacity.max);
        prop_assert_eq!(p.new_min, state.capacity.min.max(hold.min));
        let once = state.apply(&p);
        let twice = once.apply(&put_hold(
            V, "event.promo", hold, once.capacity, &once.holds(), "x".into(),
        ));
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn reconcile_only_ever_lowers_to_what_holds_justify(
        state in arb_state(), baseline in 1u32..=50
    ) {
        let holds = state.holds();
        if let Some(min) = holds::reconcile(baseline, state.capacity, &holds) {
            prop_assert!(min < state.capacity.min);
            prop_assert!(min >= baseline.min(state.capacity.max));
            for hold in holds.holds.values() {
                prop_assert!(min >= hold.min.min(state.capacity.max));
            }
        }
    }

    #[test]
    fn hold_values_never_panic_when_decoded(value in "\\PC{0,80}") {
        let _ = Hold::decode(&value);
        let _ = VariantHolds::from_tags(V, [(hold_key(V, "alarm.x").as_str(), value.as_str())]);
    }
}
