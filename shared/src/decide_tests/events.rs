//! The decisions of `decide/events.rs`: pre-warm holds, and the calendar's end (its start is a
//! scheduled action: another writer to the core).

use super::*;

#[test]
fn raise_above_max_is_capped_unless_raise_max() {
    let v = Variant::new(2, 8);
    let capped = v.plan(&promo(10), t(NOW));
    assert_eq!((capped.new_min, capped.new_max), (8, None));
    assert!(
        capped.reason.contains("capped at MaxCapacity=8"),
        "{}",
        capped.reason
    );
    let raised = v.plan(
        &Change::Hold(EventHold {
            event: "promo",
            min: 10,
            until: t("2026-11-28T18:00:00Z"),
            hold_for: None,
            raise_max: true,
            trigger: None,
        }),
        t(NOW),
    );
    assert_eq!((raised.new_min, raised.new_max), (10, Some(10)));
    assert!(
        raised.reason.contains("MaxCapacity raised from 8 to 10"),
        "{}",
        raised.reason
    );
}

#[test]
fn a_repeated_pre_warm_writes_nothing_and_a_lost_capacity_write_is_completed() {
    let mut v = Variant::new(2, 20);
    let first = v.run(&promo(10), t(NOW));
    assert_eq!((first.action, first.new_min), (Action::Raised, 10));
    let again = v.run(&promo(10), after(60));
    assert_eq!(again.action, Action::Unchanged);
    assert!(!again.writes_anything());
    v.cap.min = 2;
    v.record.written = Some(10);
    let repair = v.run(&promo(10), after(120));
    assert_eq!(
        (repair.action, repair.new_min),
        (Action::Raised, 10),
        "{repair:?}"
    );
}

#[test]
fn a_baseline_tag_left_without_holds_is_not_trusted() {
    let mut v = Variant::new(12, 15);
    v.tags.insert(baseline_key(V), "15".into());
    let plan = v.run(&Change::Sweep, t(NOW));
    assert_eq!(plan.new_min, 12, "{plan:?}");
    assert!(v.tags.is_empty(), "{:?}", v.tags);
}

#[test]
fn a_repeated_relative_pre_warm_does_not_push_its_expiry_on() {
    let relative = |now: DateTime<Utc>, hours: i64| {
        Change::Hold(EventHold {
            event: "promo",
            min: 10,
            until: now + chrono::Duration::hours(hours),
            hold_for: Some(chrono::Duration::hours(hours)),
            raise_max: false,
            trigger: None,
        })
    };
    let mut v = Variant::new(2, 20);
    v.run(&relative(t(NOW), 2), t(NOW));
    let again = v.run(&relative(after(1800), 2), after(1800));
    assert_eq!(again.action, Action::Unchanged, "{again:?}");
    assert!(!again.writes_anything());
    // A longer `for` is a new request, and so is a repeat after the hold expired.
    let longer = v.plan(&relative(after(1800), 3), after(1800));
    assert!(!longer.put_tags.is_empty(), "{longer:?}");
    let expired = v.plan(&relative(after(3 * 3600), 2), after(3 * 3600));
    assert!(!expired.put_tags.is_empty(), "{expired:?}");
}

fn calendar_end(baseline: u32) -> Change<'static> {
    calendar_end_max(baseline, None)
}

/// The end of an entry with `raise_max` whose start set MaxCapacity 30: MaxCapacity goes
/// back to `max` too.
fn calendar_end_max(baseline: u32, max: Option<u32>) -> Change<'static> {
    calendar_end_back(baseline, max.map(|to| MaxBack { to, from: Some(30) }))
}

fn calendar_end_back(baseline: u32, max: Option<MaxBack>) -> Change<'static> {
    Change::CalendarEnd {
        event: "promo",
        baseline,
        max,
        alarm_hold: chrono::Duration::seconds(3 * 3600),
    }
}

#[test]
fn a_calendar_end_goes_back_to_the_calendars_baseline() {
    let mut v = Variant::new(2, 20);
    v.cap.min = 10; // the calendar's start action
    let end = v.run(&calendar_end(2), after(7200));
    assert_eq!(
        (end.action, end.old_min, end.new_min),
        (Action::Restored, 10, 2)
    );
    assert!(!end.reason.contains("set outside"), "{}", end.reason);
    // Delivered again (a retry): nothing left to do.
    let again = v.run(&calendar_end(2), after(7260));
    assert_eq!(
        (again.action, again.new_min),
        (Action::Unchanged, 2),
        "{again:?}"
    );
    assert!(again.put_tags.is_empty() && again.delete_tags.is_empty());
}

#[test]
fn a_calendar_end_leaves_a_live_latency_hold() {
    let mut v = Variant::new(2, 20);
    v.cap.min = 10; // the calendar's start action
    let raise = v.run(&fire(NOW), t(NOW));
    assert_eq!(raise.new_min, 12, "{raise:?}");
    assert_eq!(v.tags[&baseline_key(V)], "10", "adopted mid-event");
    let end = v.run(&calendar_end(2), after(1800));
    assert_eq!(end.new_min, 12, "{end:?}");
    assert_eq!(v.tags[&baseline_key(V)], "2");
    // The alarm clears after the event: back to the calendar's baseline.
    let ok = v.run(&clear("2026-11-28T13:00:00Z"), after(3600));
    assert_eq!((ok.action, ok.new_min), (Action::Restored, 2), "{ok:?}");
}

#[test]
fn a_calendar_end_keeps_what_a_firing_alarm_without_a_hold_has() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.run(&clear("2026-11-28T12:01:00Z"), after(60));
    v.cap.min = 10; // the calendar's start action
                    // Fires again within the cooldown: refused, and 10 is the (adopted) baseline.
    let refused = v.run(&fire("2026-11-28T12:02:00Z"), after(120));
    assert_eq!(refused.action, Action::Refused, "{refused:?}");
    let end = v.run(&calendar_end(2), after(1800));
    assert_eq!(end.new_min, 10, "{end:?}");
    assert!(
        end.reason.contains("alarm latency still fires"),
        "{}",
        end.reason
    );
    let ok = v.run(&clear("2026-11-28T12:40:00Z"), after(2400));
    assert_eq!(ok.new_min, 2, "{ok:?}");
}

#[test]
fn a_raise_max_end_gives_max_back_and_keeps_a_firing_alarms_hold_within_it() {
    // The event raised Min and Max to 30 (raise_max; the variant's own Max is 20).
    let mut v = Variant::new(2, 30);
    v.cap.min = 30;
    let raise = v.run(&fire(NOW), t(NOW));
    assert_eq!(raise.action, Action::Refused, "at the ceiling: {raise:?}");
    let end = v.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!(
        (end.action, end.old_min, end.new_min, end.new_max),
        (Action::Restored, 30, 20, Some(20)),
        "{end:?}"
    );
    assert!(
        end.reason.contains("MaxCapacity back from 30 to 20"),
        "{}",
        end.reason
    );
    // The alarm still fires: what it holds is the ceiling, never the calendar's baseline.
    let hold = v.tags[&hold_key(V, &alarm_reason(V, "latency"))].clone();
    assert!(hold.starts_with("min=20 "), "{hold}");
    // Delivered again (a retry): nothing left to do.
    let again = v.run(&calendar_end_max(2, Some(20)), after(1860));
    assert_eq!(
        (again.action, again.new_max),
        (Action::Unchanged, None),
        "{again:?}"
    );
    assert!(!again.writes_anything(), "{again:?}");
    // The alarm clears: back to the calendar's baseline, under the given-back ceiling.
    let ok = v.run(&clear("2026-11-28T12:40:00Z"), after(2400));
    assert_eq!((ok.new_min, v.cap.max), (2, 20), "{ok:?}");
}

#[test]
fn a_raise_max_end_with_nothing_held_lowers_both() {
    let mut v = Variant::new(30, 30);
    let end = v.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!(
        (end.action, end.new_min, end.new_max),
        (Action::Restored, 2, Some(20)),
        "{end:?}"
    );
    // Max already given back by someone else: only Min moves.
    let mut w = Variant::new(30, 20);
    w.cap.min = 20;
    let only_min = w.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!(
        (only_min.new_min, only_min.new_max),
        (2, None),
        "{only_min:?}"
    );
}

/// MaxCapacity that someone else changed during the event (an operator raised it for more
/// headroom, or lowered it to cap spend) is theirs: the end gives back only what the event's
/// start set, and never raises MaxCapacity.
#[test]
fn a_raise_max_end_leaves_a_max_capacity_someone_else_changed() {
    let mut raised = Variant::new(30, 40);
    let end = raised.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!(
        (end.action, end.new_min, end.new_max),
        (Action::Restored, 2, None),
        "{end:?}"
    );
    assert!(
        end.reason
            .contains("MaxCapacity 40 is not the 30 the event set: someone else changed it"),
        "{}",
        end.reason
    );
    let mut lowered = Variant::new(12, 12);
    let end = lowered.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!((end.new_min, end.new_max, lowered.cap.max), (2, None, 12));
    // An end scheduled before the start's MaxCapacity was known only never raises.
    let mut unknown = Variant::new(12, 12);
    let back = MaxBack { to: 20, from: None };
    let end = unknown.run(&calendar_end_back(2, Some(back)), after(1800));
    assert_eq!((end.new_min, end.new_max), (2, None), "{end:?}");
    let mut known = Variant::new(30, 30);
    let end = known.run(&calendar_end_back(2, Some(back)), after(1800));
    assert_eq!((end.new_min, end.new_max), (2, Some(20)), "{end:?}");
}

/// A pre-warm that asked for `raise_max` while a `raise_max` event had MaxCapacity high enough
/// (so it raised nothing) is not capped when the event ends: MaxCapacity goes back only down to
/// what such live holds need, and all the way once they are gone.
#[test]
fn a_raise_max_end_keeps_the_max_capacity_a_raise_max_pre_warm_holds() {
    let launch = |raise_max| {
        Change::Hold(EventHold {
            event: "launch",
            min: 25,
            until: t("2026-11-28T18:00:00Z"),
            hold_for: None,
            raise_max,
            trigger: None,
        })
    };
    // The event raised Min and Max to 30 (the variant's own Max is 20).
    let mut v = Variant::new(30, 30);
    let warm = v.run(&launch(true), t(NOW));
    assert_eq!((warm.new_min, warm.new_max), (30, None), "{warm:?}");
    let end = v.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!((end.new_min, end.new_max), (25, Some(25)), "{end:?}");
    assert!(
        end.reason
            .contains("MaxCapacity kept at 25, not 20: hold event.launch asked for raise_max"),
        "{}",
        end.reason
    );
    // Delivered again (a retry): nothing left to do, and nobody else changed MaxCapacity.
    let again = v.run(&calendar_end_max(2, Some(20)), after(1860));
    assert_eq!(again.action, Action::Unchanged, "{again:?}");
    assert!(!again.writes_anything(), "{again:?}");
    // A pre-warm without raise_max is capped at the MaxCapacity given back, as before.
    let mut plain = Variant::new(30, 30);
    plain.run(&launch(false), t(NOW));
    let end = plain.run(&calendar_end_max(2, Some(20)), after(1800));
    assert_eq!((end.new_min, end.new_max), (20, Some(20)), "{end:?}");
    // A raise_max hold that has expired keeps nothing.
    let mut late = Variant::new(30, 30);
    late.run(&launch(true), t(NOW));
    let end = late.run(&calendar_end_max(2, Some(20)), t("2026-11-28T18:30:00Z"));
    assert_eq!((end.new_min, end.new_max), (2, Some(20)), "{end:?}");
}

#[test]
fn a_calendar_end_after_the_alarms_hold_would_have_expired_lowers() {
    let mut v = Variant::new(2, 20);
    v.run(&fire(NOW), t(NOW));
    v.cap.min = 10;
    let end = v.run(&calendar_end(2), after(4 * 3600));
    assert_eq!(end.new_min, 2, "{end:?}");
}
