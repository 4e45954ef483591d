//! Decisions whose writes were done but whose record was not stored: the release after them
//! failed, or the lease expired under them (ARCHITECTURE.md, "The hold protocol"). The tags
//! are written before capacity and the record only when the lease is given back, so the next
//! decision finds the tags ahead of the record. The Lambda retry of the same event must then
//! change nothing more, an older delivery must still be stale, and this project's own
//! MinCapacity must not be taken for another writer's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use remediation::decide::{Action, AlarmChange, Change, EventHold, Plan, ScalePolicy};
use remediation::holds::Capacity;
use remediation::record::{Record, Transition};

mod common;

use common::Variant;

const POLICY: ScalePolicy = ScalePolicy {
    step: 2,
    ceiling: None,
    cooldown: Duration::from_secs(300),
    hold_for: Duration::from_secs(3 * 3600),
};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// MinCapacity 2 of at most 20, which this project set last.
fn variant() -> Variant {
    Variant {
        tags: Default::default(),
        capacity: Capacity { min: 2, max: 20 },
        record: Record {
            written: Some(2),
            ..Record::default()
        },
    }
}

/// Alarm `latency` entered `state` at `when`, as scale-on-latency hands it over.
fn alarm(firing: bool, when: DateTime<Utc>, trigger: &str) -> Change<'_> {
    Change::Alarm(AlarmChange {
        name: "latency",
        firing,
        at: Some(when),
        trigger: Some(trigger),
        policy: &POLICY,
        demand: None,
    })
}

/// Decide and apply every write of the plan.
fn decided(v: &mut Variant, change: &Change<'_>, now: &str) -> Plan {
    let plan = v.plan(change, at(now));
    *v = v.apply(&plan);
    plan
}

/// Decide and apply the plan's writes, but not its record: the release failed.
fn record_lost(v: &mut Variant, change: &Change<'_>, now: &str) -> Plan {
    let plan = v.plan(change, at(now));
    let record = v.record.clone();
    *v = v.apply(&plan);
    v.record = record;
    plan
}

#[test]
fn the_retry_of_a_raise_whose_record_was_lost_raises_nothing_more() {
    let (when, mut v) = (at("2026-11-30T11:59:00Z"), variant());
    let id = Transition::id("ALARM", when);
    let raise = record_lost(&mut v, &alarm(true, when, &id), "2026-11-30T12:00:00Z");
    assert_eq!((raise.action, v.capacity.min), (Action::Raised, 4));

    // Lambda's retry, once the lease has expired.
    let retry = decided(&mut v, &alarm(true, when, &id), "2026-11-30T12:03:00Z");
    assert_eq!(retry.action, Action::Unchanged, "{}", retry.reason);
    assert!(retry.reason.contains("duplicate"), "{}", retry.reason);
    assert_eq!(v.capacity.min, 4);
}

#[test]
fn a_raise_half_done_and_completed_by_a_sweep_is_not_raised_again_by_its_retry() {
    let (when, mut v) = (at("2026-11-30T11:59:00Z"), variant());
    let id = Transition::id("ALARM", when);
    // The hold was recorded, then RegisterScalableTarget failed: no capacity, no record.
    let plan = v.plan(&alarm(true, when, &id), at("2026-11-30T12:00:00Z"));
    for (key, value) in &plan.put_tags {
        v.tags.insert(key.clone(), value.clone());
    }
    let sweep = decided(&mut v, &Change::Sweep, "2026-11-30T12:00:30Z");
    assert_eq!((sweep.action, v.capacity.min), (Action::Raised, 4));

    let retry = decided(&mut v, &alarm(true, when, &id), "2026-11-30T12:01:00Z");
    assert_eq!(v.capacity.min, 4, "{}", retry.reason);
}

#[test]
fn an_ok_older_than_a_raise_whose_record_was_lost_is_stale() {
    let (when, mut v) = (at("2026-11-30T11:59:00Z"), variant());
    let id = Transition::id("ALARM", when);
    record_lost(&mut v, &alarm(true, when, &id), "2026-11-30T12:00:00Z");

    let earlier = at("2026-11-30T11:50:00Z");
    let ok_id = Transition::id("OK", earlier);
    let late_ok = decided(
        &mut v,
        &alarm(false, earlier, &ok_id),
        "2026-11-30T12:02:00Z",
    );
    assert_eq!(late_ok.action, Action::Unchanged, "{}", late_ok.reason);
    assert!(
        late_ok.reason.contains("stale delivery"),
        "{}",
        late_ok.reason
    );
    assert_eq!(v.capacity.min, 4);

    // The OK that follows the ALARM still releases it.
    let later = at("2026-11-30T12:10:00Z");
    let ok_id = Transition::id("OK", later);
    let ok = decided(&mut v, &alarm(false, later, &ok_id), "2026-11-30T12:10:05Z");
    assert_eq!((ok.action, v.capacity.min), (Action::Restored, 2));
}

#[test]
fn a_pre_warm_whose_record_was_lost_is_given_back_when_it_expires() {
    let mut v = variant();
    let promo = Change::Hold(EventHold {
        event: "promo",
        min: 10,
        until: at("2026-11-30T14:00:00Z"),
        hold_for: None,
        raise_max: false,
        trigger: None,
    });
    record_lost(&mut v, &promo, "2026-11-30T12:00:00Z");
    assert_eq!(v.capacity.min, 10);
    // The retry finds the hold in place and writes nothing but the record.
    let retry = decided(&mut v, &promo, "2026-11-30T12:03:00Z");
    assert_eq!(retry.action, Action::Unchanged, "{}", retry.reason);

    let sweep = decided(&mut v, &Change::Sweep, "2026-11-30T14:15:00Z");
    assert!(
        !sweep.reason.contains("outside this project"),
        "{}",
        sweep.reason
    );
    assert_eq!((sweep.action, v.capacity.min), (Action::Restored, 2));
}
