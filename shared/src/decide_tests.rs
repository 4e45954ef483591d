use super::*;
use std::time::Duration;

use crate::demand::Sizing;
use crate::holds::{Capacity, VariantHolds};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const NOW: &str = "2026-11-28T12:00:00Z";
const V: &str = "AllTraffic";
const POLICY: ScalePolicy = ScalePolicy {
    step: 2,
    ceiling: None,
    cooldown: Duration::from_secs(300),
    hold_for: Duration::from_secs(3 * 3600),
};

/// One variant's state as AWS holds it: the target, the endpoint's tags, the lease record.
#[derive(Debug, Clone)]
struct Variant {
    cap: Capacity,
    tags: BTreeMap<String, String>,
    record: Record,
}

impl Variant {
    fn new(min: u32, max: u32) -> Self {
        Variant {
            cap: Capacity { min, max },
            tags: BTreeMap::new(),
            record: Record::default(),
        }
    }

    fn holds(&self) -> VariantHolds {
        VariantHolds::from_tags(V, self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    fn plan(&self, change: &Change<'_>, now: DateTime<Utc>) -> Plan {
        let holds = self.holds();
        decide(
            change,
            &View {
                variant: V,
                current: self.cap,
                holds: &holds,
                record: &self.record,
                now,
            },
        )
    }

    /// Decide and apply, as the remediation path does.
    fn run(&mut self, change: &Change<'_>, now: DateTime<Utc>) -> Plan {
        let plan = self.plan(change, now);
        for (k, v) in &plan.put_tags {
            self.tags.insert(k.clone(), v.clone());
        }
        self.cap.min = plan.new_min;
        if let Some(max) = plan.new_max {
            self.cap.max = max;
        }
        for k in &plan.delete_tags {
            self.tags.remove(k);
        }
        self.record = plan.record.clone();
        plan
    }
}

fn alarm<'a>(name: &'a str, firing: bool, at: &str, policy: &'a ScalePolicy) -> Change<'a> {
    Change::Alarm(AlarmChange {
        name,
        firing,
        at: Some(t(at)),
        trigger: None,
        policy,
        demand: None,
    })
}

fn fire(at: &str) -> Change<'static> {
    alarm("latency", true, at, &POLICY)
}

fn clear(at: &str) -> Change<'static> {
    alarm("latency", false, at, &POLICY)
}

fn after(seconds: i64) -> DateTime<Utc> {
    t(NOW) + chrono::Duration::seconds(seconds)
}

fn promo(min: u32) -> Change<'static> {
    Change::Hold(EventHold {
        event: "promo",
        min,
        until: t("2026-11-28T18:00:00Z"),
        hold_for: None,
        raise_max: false,
        trigger: None,
    })
}

#[test]
fn first_raise_records_baseline_and_hold() {
    let mut v = Variant::new(2, 20);
    let plan = v.run(&fire(NOW), t(NOW));
    assert_eq!(
        (plan.action, plan.old_min, plan.new_min),
        (Action::Raised, 2, 4)
    );
    assert_eq!(plan.put_tags[0], (baseline_key(V), "2".into()));
    assert_eq!(plan.put_tags[1].0, hold_key(V, "alarm.latency"));
    assert!(plan.put_tags[1]
        .1
        .starts_with("min=4 until=2026-11-28T15:00:00Z"));
    assert!(plan.delete_tags.is_empty());
    assert_eq!(plan.record.written, Some(4));
    assert_eq!(plan.hold_until, Some(t("2026-11-28T15:00:00Z")));
}

#[test]
fn raise_is_capped_by_ceiling_and_max() {
    let policy = ScalePolicy {
        ceiling: Some(5),
        ..POLICY
    };
    let mut v = Variant::new(4, 20);
    let plan = v.plan(&alarm("a", true, NOW, &policy), t(NOW));
    assert_eq!(plan.new_min, 5);
    assert!(plan.reason.contains("capped at 5"), "{}", plan.reason);
    let policy = ScalePolicy {
        ceiling: Some(50),
        ..POLICY
    };
    v.cap.min = 19;
    assert_eq!(v.plan(&alarm("a", true, NOW, &policy), t(NOW)).new_min, 20);
    v.cap.min = 20;
    let plan = v.plan(&alarm("a", true, NOW, &policy), t(NOW));
    assert_eq!((plan.action, plan.new_min), (Action::Refused, 20));
    assert!(plan.reason.contains("MaxCapacity=20"), "{}", plan.reason);
    assert!(!plan.changes_capacity());
}

#[test]
fn demand_raises_to_what_the_load_needs_but_at_least_one_step() {
    let explanation = "120 req/s x 0.25 s = 30 in flight; 4 per instance -> 8; +20% -> 10";
    let spike = Demand::Sized(Sizing {
        instances: 10,
        explanation: explanation.into(),
    });
    let change = |demand, policy| {
        Change::Alarm(AlarmChange {
            name: "a",
            firing: true,
            at: Some(t(NOW)),
            trigger: None,
            policy,
            demand: Some(demand),
        })
    };
    let v = Variant::new(2, 20);
    let plan = v.plan(&change(&spike, &POLICY), t(NOW));
    assert_eq!((plan.action, plan.new_min), (Action::Raised, 10));
    assert_eq!(plan.reason, format!("demand: {explanation}"));
    let small = Demand::Sized(Sizing {
        instances: 1,
        explanation: "1 req/s x 0.1 s = 0.1 in flight".into(),
    });
    let plan = v.plan(&change(&small, &POLICY), t(NOW));
    assert_eq!(plan.new_min, 4);
    assert!(
        plan.reason
            .ends_with("at least one step: MinCapacity 2 + step 2"),
        "{}",
        plan.reason
    );
    let capped = ScalePolicy {
        ceiling: Some(7),
        ..POLICY
    };
    let plan = v.plan(&change(&spike, &capped), t(NOW));
    assert_eq!(plan.new_min, 7);
    assert!(plan.reason.ends_with("(capped at 7)"), "{}", plan.reason);
    let small_max = Variant::new(2, 5);
    assert_eq!(small_max.plan(&change(&spike, &capped), t(NOW)).new_min, 5);
    let gap = Demand::Unavailable("only 2 of the last 5 minutes have data".into());
    let plan = v.plan(&change(&gap, &POLICY), t(NOW));
    assert_eq!(plan.new_min, 4);
    assert_eq!(
        plan.reason,
        "demand sizing unavailable (only 2 of the last 5 minutes have data), fell back to step: \
         MinCapacity 2 + step 2"
    );
}

#[test]
fn ceiling_below_current_never_lowers() {
    let policy = ScalePolicy {
        ceiling: Some(3),
        ..POLICY
    };
    let plan = Variant::new(6, 20).plan(&alarm("a", true, NOW, &policy), t(NOW));
    assert_eq!((plan.action, plan.new_min), (Action::Refused, 6));
    assert!(plan.reason.contains("SCALE_CEILING=3"), "{}", plan.reason);
}

#[test]
fn duplicate_transition_does_not_raise_twice_even_without_cooldown() {
    let policy = ScalePolicy {
        cooldown: Duration::ZERO,
        ..POLICY
    };
    let change = alarm("latency", true, NOW, &policy);
    let mut v = Variant::new(2, 20);
    v.run(&change, t(NOW));
    let second = v.run(&change, after(5));
    assert_eq!((second.action, second.new_min), (Action::Unchanged, 4));
    assert!(!second.writes_anything());
    assert!(
        second.reason.contains("duplicate delivery"),
        "{}",
        second.reason
    );
    // A recorded hold whose capacity write never happened is completed, not skipped.
    v.cap.min = 2;
    let repair = v.run(&change, after(10));
    assert_eq!((repair.action, repair.new_min), (Action::Raised, 4));
    assert!(repair.put_tags.is_empty());
}

#[test]
fn cooldown_refuses_a_second_raise_then_allows_it() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    let other = alarm("errors", true, "2026-11-28T12:04:59Z", &POLICY);
    let plan = v.plan(&other, after(299));
    assert_eq!(plan.action, Action::Refused);
    assert!(plan.reason.contains("cooldown"), "{}", plan.reason);
    let plan = v.plan(
        &alarm("errors", true, "2026-11-28T12:05:01Z", &POLICY),
        after(301),
    );
    assert_eq!((plan.action, plan.new_min), (Action::Raised, 6));
    // The baseline is not rewritten by a later raise.
    assert!(plan.put_tags.iter().all(|(k, _)| *k != baseline_key(V)));
}

#[test]
fn release_restores_baseline_and_clears_tags() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    let plan = v.run(&clear("2026-11-28T12:10:00Z"), after(600));
    assert_eq!((plan.action, plan.new_min), (Action::Restored, 2));
    assert!(v.tags.is_empty(), "{:?}", v.tags);
    assert!(
        plan.reason.contains("back to baseline 2"),
        "{}",
        plan.reason
    );
    // A second OK (the same transition) finds nothing to do.
    let again = v.run(&clear("2026-11-28T12:10:00Z"), after(700));
    assert_eq!(again.action, Action::Unchanged);
    assert!(!again.writes_anything());
}

#[test]
fn release_keeps_other_live_holds() {
    let mut v = Variant::new(2, 20);
    v.run(&promo(10), t(NOW));
    let latency = v.run(&fire(NOW), t(NOW));
    assert_eq!(latency.new_min, 12);
    let plan = v.run(&clear("2026-11-28T12:10:00Z"), after(600));
    assert_eq!((plan.action, plan.new_min), (Action::Restored, 10));
    assert!(plan.reason.contains("event.promo"), "{}", plan.reason);
    assert!(!plan.delete_tags.contains(&baseline_key(V)));
    assert_eq!(v.tags.get(&baseline_key(V)).map(String::as_str), Some("2"));
}

#[test]
fn expired_hold_is_dropped_and_capacity_comes_back() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    let sweep = v.run(&Change::Sweep, after(4 * 3600));
    assert_eq!((sweep.action, sweep.new_min), (Action::Restored, 2));
    assert!(v.tags.is_empty(), "{:?}", v.tags);
    // A new transition of the alarm after expiry raises from the current minimum again.
    let again = v.run(&fire("2026-11-28T16:00:00Z"), after(4 * 3600 + 60));
    assert_eq!(again.new_min, 4);
}

#[test]
fn restore_never_goes_above_max() {
    let mut v = Variant::new(8, 20);
    v.run(&promo(10), t(NOW));
    v.cap.max = 6;
    v.cap.min = 6;
    v.record.written = Some(6);
    let plan = v.plan(&Change::Release { event: "promo" }, t(NOW));
    assert_eq!(plan.new_min, 6);
}

#[test]
fn unreadable_tags_are_cleaned_and_a_garbled_own_hold_is_rewritten() {
    let mut v = Variant::new(2, 20);
    let key = hold_key(V, "alarm.latency");
    v.tags.insert(key.clone(), "min=banana".into());
    let plan = v.run(&fire(NOW), t(NOW));
    assert!(!plan.delete_tags.contains(&key), "{plan:?}");
    assert!(v.tags[&key].starts_with("min=4 "), "{:?}", v.tags);
    assert_eq!(v.cap.min, 4);
    let other = hold_key(V, "alarm.other");
    v.tags.insert(other.clone(), "garbage".into());
    let plan = v.run(&Change::Sweep, after(60));
    assert!(plan.delete_tags.contains(&other));
    assert!(plan.reason.contains("unreadable"), "{}", plan.reason);
    assert!(plan.is_news());
}

#[test]
fn a_damaged_baseline_never_lets_a_release_lower() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.tags.insert(baseline_key(V), "two".into());
    let plan = v.run(&clear("2026-11-28T12:10:00Z"), after(600));
    assert_eq!((plan.action, plan.new_min), (Action::Refused, 4));
    assert!(plan.reason.contains("cannot be read"), "{}", plan.reason);
}

// Issue: an alarm that still fires keeps its capacity.

#[test]
fn a_refused_alarm_still_holds_what_it_has() {
    let mut v = Variant::new(2, 20);
    v.run(&alarm("a", true, NOW, &POLICY), t(NOW));
    let refused = v.run(
        &alarm("b", true, "2026-11-28T12:00:30Z", &POLICY),
        after(30),
    );
    assert_eq!(refused.action, Action::Refused);
    let ok = v.run(
        &alarm("a", false, "2026-11-28T12:01:00Z", &POLICY),
        after(60),
    );
    assert_eq!((ok.action, ok.new_min), (Action::Unchanged, 4), "{ok:?}");
    assert!(ok.reason.contains("alarm.b"), "{}", ok.reason);
}

#[test]
fn a_late_ok_never_releases_a_newer_raise() {
    let policy = ScalePolicy {
        cooldown: Duration::ZERO,
        ..POLICY
    };
    let mut v = Variant::new(2, 20);
    v.run(&alarm("a", true, "2026-11-28T12:00:00Z", &policy), t(NOW));
    v.run(
        &alarm("a", true, "2026-11-28T12:02:00Z", &policy),
        after(120),
    );
    let late = v.run(
        &alarm("a", false, "2026-11-28T12:01:00Z", &policy),
        after(180),
    );
    assert_eq!((late.action, late.new_min), (Action::Unchanged, 6));
    assert!(late.reason.starts_with("stale delivery"), "{}", late.reason);
    assert!(!late.writes_anything());
}

#[test]
fn duplicates_and_cooldown_survive_the_hold_expiring() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.run(&Change::Sweep, after(4 * 3600));
    assert_eq!(v.cap.min, 2);
    let again = v.run(&fire(NOW), after(4 * 3600 + 10));
    assert_eq!((again.action, again.new_min), (Action::Unchanged, 2));
}

#[test]
fn cooldown_counts_from_the_last_raise_whatever_became_of_its_hold() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.run(&clear("2026-11-28T12:00:20Z"), after(20));
    let flap = v.run(&fire("2026-11-28T12:00:50Z"), after(50));
    assert_eq!((flap.action, flap.new_min), (Action::Refused, 2));
    assert!(flap.reason.contains("cooldown"), "{}", flap.reason);
}

// Issue: capacity that someone else set.

#[test]
fn a_latency_ok_keeps_what_another_writer_set_mid_event() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.cap.min = 10; // the calendar's start action
    let ok = v.run(&clear("2026-11-28T12:10:00Z"), after(600));
    assert_eq!(ok.new_min, 10, "{ok:?}");
    assert!(
        ok.reason.contains("set outside this project"),
        "{}",
        ok.reason
    );
    v.cap.min = 2; // the calendar's end action
    let next = v.run(&fire("2026-11-28T13:00:00Z"), after(3600));
    assert_eq!((next.old_min, next.new_min), (2, 4));
    assert_eq!(v.tags[&baseline_key(V)], "2");
}

#[test]
fn a_raise_never_lowers_what_another_writer_set() {
    let mut v = Variant::new(2, 20);
    v.run(&promo(5), t(NOW));
    v.cap.min = 15; // an operator
    let other = Change::Hold(EventHold {
        event: "launch",
        min: 8,
        until: t("2026-11-28T20:00:00Z"),
        hold_for: None,
        raise_max: false,
        trigger: None,
    });
    let plan = v.run(&other, after(60));
    assert_eq!(plan.new_min, 15, "{plan:?}");
    assert_ne!(plan.action, Action::Restored);
    // Re-raising an event lower never lowers either.
    v.run(&promo(10), after(120));
    let lower = v.run(&promo(5), after(180));
    assert!(lower.new_min >= 15, "{lower:?}");
}

#[test]
fn a_hold_below_what_another_writer_lowered_comes_back() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.cap.min = 2; // a calendar end action while the alarm fires
    let sweep = v.run(&Change::Sweep, after(900));
    assert_eq!(
        (sweep.action, sweep.new_min),
        (Action::Raised, 4),
        "{sweep:?}"
    );
}

// Pre-warm holds and the calendar's end.
#[path = "decide_tests/events.rs"]
mod events;
