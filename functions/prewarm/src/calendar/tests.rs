//! The calendar's pure functions: parsing, schedules across daylight saving, actions, diff.

use chrono::{DateTime, Utc};
use remediation::holds::Capacity;
use serde_json::{json, Value};

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn entry(extra: Value) -> Value {
    let mut e = json!({"name": "promo", "endpoint": "prod-ranker", "variant": "AllTraffic",
        "start": "2026-12-04T18:00", "end": "2026-12-04T20:00",
        "timezone": "America/New_York", "lead_minutes": 15, "min_capacity": 10});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

fn one(extra: Value) -> Entry {
    parse(&json!([entry(extra)])).unwrap().remove(0)
}

fn schedules(extra: Value) -> ((String, String), (String, String)) {
    match timing(&one(extra), now()).unwrap() {
        Timing::Scheduled { raise, restore, .. } => (raise, restore),
        Timing::Expired => panic!("expired"),
    }
}

const T: (&str, &str) = (
    "endpoint/e/variant/v",
    "sagemaker:variant:DesiredInstanceCount",
);

fn pair(expr: &str, zone: &str) -> (String, String) {
    (expr.to_owned(), zone.to_owned())
}

#[test]
fn worked_example_one_off() {
    let (raise, restore) = schedules(json!({}));
    assert_eq!(raise, pair("at(2026-12-04T17:45:00)", "America/New_York"));
    assert_eq!(restore, pair("at(2026-12-04T20:00:00)", "America/New_York"));
}

/// 2027-03-14 02:00 in New York and 2027-03-28 02:00 in Berlin jump to 03:00: 15 minutes
/// before 03:10 is 01:55 local, not the 02:55 that does not exist.
#[test]
fn lead_across_spring_forward_in_new_york_and_berlin() {
    for (zone, day) in [
        ("America/New_York", "2027-03-14"),
        ("Europe/Berlin", "2027-03-28"),
    ] {
        let (raise, restore) = schedules(json!({"timezone": zone,
            "start": format!("{day}T03:10"), "end": format!("{day}T05:10")}));
        assert_eq!(raise, pair(&format!("at({day}T01:55:00)"), zone));
        assert_eq!(restore, pair(&format!("at({day}T05:10:00)"), zone));
        let tz = Zone::named(zone).unwrap();
        let raise_utc = resolve(&tz, format!("{day}T01:55:00").parse().unwrap(), "x").unwrap();
        let start_utc = resolve(&tz, format!("{day}T03:10:00").parse().unwrap(), "x").unwrap();
        assert_eq!(
            start_utc - raise_utc,
            chrono::Duration::minutes(15),
            "{zone}"
        );
        // A start inside the gap is refused.
        let err = timing(
            &one(json!({"timezone": zone, "start": format!("{day}T02:30"),
                        "end": format!("{day}T04:30")})),
            now(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not exist in"), "{err}");
    }
}

/// 2027-11-07 in New York and 2027-10-31 in Berlin: 01:00-01:59 / 02:00-02:59 happen twice.
#[test]
fn fall_back_ambiguity_is_written_exactly() {
    // Berlin: 03:10 CET = 02:10 UTC; 90 minutes earlier is 00:40 UTC = 02:40 CEST, a local
    // time that occurs twice, so the action is written in UTC.
    let (raise, _) = schedules(json!({"timezone": "Europe/Berlin",
        "start": "2027-10-31T03:10", "end": "2027-10-31T05:00", "lead_minutes": 90}));
    assert_eq!(raise, pair("at(2027-10-31T00:40:00)", UTC_ZONE));
    // New York: 01:30 means its first occurrence (EDT, 05:30 UTC); 15 minutes earlier is
    // 01:15 EDT, also ambiguous locally.
    let (raise, restore) = schedules(json!({"start": "2027-11-07T01:30",
        "end": "2027-11-07T03:00"}));
    assert_eq!(raise, pair("at(2027-11-07T05:15:00)", UTC_ZONE));
    assert_eq!(restore, pair("at(2027-11-07T03:00:00)", "America/New_York"));
}

#[test]
fn recurrences_become_cron_in_local_time() {
    let (raise, restore) = schedules(json!({"recurrence": "daily"}));
    assert_eq!(raise, pair("cron(45 17 * * ? *)", "America/New_York"));
    assert_eq!(restore, pair("cron(0 20 * * ? *)", "America/New_York"));
    // 2026-12-04 is a Friday, the first of December.
    let (raise, restore) = schedules(json!({"recurrence": "weekly"}));
    assert_eq!(raise.0, "cron(45 17 ? * FRI *)");
    assert_eq!(restore.0, "cron(0 20 ? * FRI *)");
    let (raise, _) = schedules(json!({"recurrence": "monthly"}));
    assert_eq!(raise.0, "cron(45 17 4 * ? *)");
    let (raise, restore) = schedules(json!({"recurrence": "monthly:first-friday",
        "timezone": "Europe/Berlin"}));
    assert_eq!(raise, pair("cron(45 17 ? * FRI#1 *)", "Europe/Berlin"));
    assert_eq!(restore, pair("cron(0 20 ? * FRI#1 *)", "Europe/Berlin"));
    let (raise, restore) = schedules(json!({"recurrence": "cron(0 18 ? * FRI#1 2026-2027)"}));
    assert_eq!(raise.0, "cron(45 17 ? * FRI#1 2026-2027)");
    assert_eq!(restore.0, "cron(0 20 ? * FRI#1 2026-2027)");
    // A weekly lead that crosses midnight moves the raise to the day before.
    let (raise, _) = schedules(json!({"recurrence": "weekly", "start": "2026-12-04T00:10",
        "end": "2026-12-04T02:00"}));
    assert_eq!(raise.0, "cron(55 23 ? * THU *)");
}

#[test]
fn bad_entries_name_the_field() {
    let cases = [
        (
            json!({"timezone": "Mars/Olympus"}),
            "calendar[0].timezone: \"Mars/Olympus\"",
        ),
        (json!({"timezone": "EST5EDT-not"}), "calendar[0].timezone"),
        (
            json!({"min_capacity": 0}),
            "calendar[0].min_capacity: must be at least 1",
        ),
        (
            json!({"min_capacity": -2}),
            "calendar[0].min_capacity: must be at least 1",
        ),
        (
            json!({"start": "2026-12-04T18:00Z"}),
            "calendar[0].start: \"2026-12-04T18:00Z\"",
        ),
        (
            json!({"end": "2026-12-04T17:00"}),
            "calendar[0].end: 2026-12-04 17:00:00 is not after",
        ),
        (json!({"lead_minutes": -5}), "calendar[0].lead_minutes"),
        (json!({"name": "promo/1"}), "calendar[0].name"),
        (
            json!({"recurrence": "yearly"}),
            "calendar[0].recurrence: \"yearly\"",
        ),
        (json!({"recurrence": "cron(0 18 * * *)"}), "6 fields"),
        (json!({"recurrence": "cron(0 18 * * FRI *)"}), "exactly one"),
        (json!({"recurrence": "cron(0 17 ? * FRI *)"}), "must agree"),
        (
            json!({"recurrence": "monthly:first-thursday"}),
            "is not the first Thu",
        ),
        (
            json!({"colour": "red"}),
            "calendar[0].colour: unknown field",
        ),
    ];
    for (extra, expected) in cases {
        let result = parse(&json!([entry(extra.clone())]))
            .and_then(|mut e| timing(&e.remove(0), now()).map(|_| ()));
        let err = result.unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
        assert!(
            err.to_string().contains(expected),
            "{extra}: {err} should mention {expected}"
        );
    }
    for field in [
        "name",
        "endpoint",
        "start",
        "end",
        "timezone",
        "min_capacity",
    ] {
        let mut e = entry(json!({}));
        e.as_object_mut().unwrap().remove(field);
        let err = parse(&json!([e])).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("calendar[0].{field}: missing")),
            "{err}"
        );
    }
    let err = parse(&json!([entry(json!({})), entry(json!({}))])).unwrap_err();
    assert!(err.to_string().contains("calendar[1].name"), "{err}");
}

#[test]
fn a_finished_one_off_event_is_expired() {
    let e = one(json!({"start": "2026-11-01T18:00", "end": "2026-11-01T20:00"}));
    assert_eq!(timing(&e, now()).unwrap(), Timing::Expired);
}

#[test]
fn actions_cap_or_raise_max_and_keep_the_scheduled_baseline() {
    let e = one(json!({"min_capacity": 25}));
    let (raise, restore) = schedules(json!({}));
    let cap = Capacity { min: 2, max: 20 };
    let (capped, note) = actions(&e, T, &raise, &restore, cap, None, 2);
    assert_eq!(capped[0].min_capacity, Some(20));
    assert_eq!(capped[0].max_capacity, None);
    assert!(note.unwrap().contains("capped at MaxCapacity=20"));
    let mut e = e;
    e.raise_max = true;
    let (raised, _) = actions(&e, T, &raise, &restore, cap, None, 2);
    assert_eq!(
        (raised[0].min_capacity, raised[0].max_capacity),
        (Some(25), Some(25))
    );
    assert_eq!(
        (raised[1].min_capacity, raised[1].max_capacity),
        (Some(2), Some(20))
    );
    // Synced again while the event runs (MinCapacity 25, MaxCapacity 25): the restore
    // still goes back to what the calendar scheduled before.
    let running = Capacity { min: 25, max: 25 };
    let (again, _) = actions(&e, T, &raise, &restore, running, Some(&raised[1]), 25);
    assert_eq!(again, raised);
}

#[test]
fn a_new_entry_synced_during_an_event_goes_back_to_the_calendars_baseline() {
    // promo (raise_max, 25) is on: MinCapacity and MaxCapacity are 25. launch is added, and
    // promo is renamed promo-2030, while it runs.
    let cal = parse(&json!([
        entry(json!({"min_capacity": 25, "raise_max": true})),
        entry(json!({"name": "launch", "start": "2026-12-10T18:00", "end": "2026-12-10T20:00"})),
        entry(json!({"name": "promo-2030", "start": "2026-12-11T18:00",
                     "end": "2026-12-11T20:00", "min_capacity": 25, "raise_max": true})),
        entry(
            json!({"name": "own", "start": "2026-12-12T18:00", "end": "2026-12-12T20:00",
                     "baseline": 5})
        ),
    ]))
    .unwrap();
    let (raise, restore) = schedules(json!({}));
    let (first, _) = actions(
        &cal[0],
        T,
        &raise,
        &restore,
        Capacity { min: 2, max: 20 },
        None,
        2,
    );
    let running = Capacity { min: 25, max: 25 };
    let mut existing = first.clone();
    existing.push(ScheduledAction {
        name: end_name("own"),
        min_capacity: Some(5),
        max_capacity: None,
        ..first[1].clone()
    });
    for name in ["launch", "promo-2030"] {
        let entry = cal.iter().find(|e| e.name == name).unwrap();
        let known = known_end(&existing, T.0, name, &cal);
        assert_eq!(known, Some(&first[1]), "{name}");
        let (synced, _) = actions(entry, T, &raise, &restore, running, known, 25);
        assert_eq!(synced[1].min_capacity, Some(2), "{name}: {synced:?}");
    }
    // Its own end first; none on another variant; none from an entry with its own baseline.
    assert_eq!(
        known_end(&existing, T.0, "own", &cal).unwrap().min_capacity,
        Some(5)
    );
    assert_eq!(
        known_end(&existing, "endpoint/e/variant/w", "launch", &cal),
        None
    );
    assert_eq!(known_end(&existing[2..], T.0, "launch", &cal), None);
}

#[test]
fn diff_puts_what_differs_and_deletes_what_is_gone() {
    let a = |name: &str, schedule: &str| ScheduledAction {
        name: name.to_owned(),
        resource_id: "endpoint/e/variant/v".to_owned(),
        dimension: "sagemaker:variant:DesiredInstanceCount".to_owned(),
        schedule: schedule.to_owned(),
        timezone: Some("Europe/Berlin".to_owned()),
        min_capacity: Some(10),
        max_capacity: None,
        start_time: None,
    };
    let existing = vec![
        a("prewarm-x-start", "at(1)"),
        a("prewarm-y-start", "at(2)"),
        a("prewarm-old-end", "at(3)"),
    ];
    let changes = diff(
        vec![
            a("prewarm-x-start", "at(1)"),
            a("prewarm-y-start", "at(9)"),
            a("prewarm-z-start", "at(4)"),
        ],
        &existing,
    );
    assert_eq!(changes.unchanged, vec![a("prewarm-x-start", "at(1)")]);
    assert_eq!(changes.update, vec![a("prewarm-y-start", "at(9)")]);
    assert_eq!(changes.create, vec![a("prewarm-z-start", "at(4)")]);
    assert_eq!(changes.delete, vec![a("prewarm-old-end", "at(3)")]);
    assert_eq!(a("n", "s").endpoint(), Some("e"));
}

/// The calendar's rules: start times, refusals, the horizon, overlaps and the action limit.
mod rules;

/// What is read back from written actions agrees with the calendar's occurrences.
mod runs;
