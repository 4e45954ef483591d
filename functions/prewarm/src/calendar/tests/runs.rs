//! What is read back from the actions a sync writes agrees with the calendar: across zones,
//! recurrences, leads over midnight and daylight saving, an event is known to be on
//! ([`crate::ends::running`]) exactly from its raise to its end, as the calendar computes
//! them from the entry ([`super::schedule::occurrence`]), and the end it names is that one.

use chrono::Duration;

use crate::ends::{running, Running};

use super::schedule::occurrence;
use super::*;

#[test]
fn running_agrees_with_the_calendars_occurrences() {
    let zones = [
        "America/New_York",
        "Europe/Berlin",
        "Australia/Sydney",
        "Etc/UTC",
    ];
    let recurrences = ["daily", "weekly", "monthly", "monthly:second-tuesday"];
    // Start and end times of day: a lead over midnight, and an event over it.
    let times = [
        ("2027-03-09T18:00", "2027-03-09T20:00", 15),
        ("2027-03-09T00:30", "2027-03-09T03:30", 90),
        ("2027-03-09T21:00", "2027-03-10T05:00", 0),
    ];
    let (from, days) = (utc("2027-03-01T00:00:00Z"), 50);
    let (mut entries, mut checked) = (0, (0, 0));
    for zone in zones {
        for recurrence in recurrences {
            for (start, end, lead) in times {
                let spec = json!({"start": start, "end": end, "lead_minutes": lead,
                    "timezone": zone, "recurrence": recurrence});
                let entry = one(spec.clone());
                // A monthly entry's raise (and, on the nth weekday, its end) must fall on its
                // start's day: one over midnight is refused, and has nothing to read back.
                let timing = timing(&entry, from);
                if let Err(err) = &timing {
                    let why = err.to_string();
                    assert!(recurrence.starts_with("monthly"), "{spec}: {why}");
                    assert!(
                        why.contains("must fall on the start's day"),
                        "{spec}: {why}"
                    );
                    continue;
                }
                let Ok(Timing::Scheduled { raise, restore, .. }) = timing else {
                    panic!("{spec}: expired");
                };
                entries += 1;
                let cap = Capacity { min: 2, max: 20 };
                let (written, _) = actions(&entry, T, &raise, &restore, cap, None, 2);
                let first = entry.start.date();
                let recurrence = entry.recurrence.as_ref().unwrap();
                let events: Vec<_> = recurrence
                    .days(first, first + Duration::days(days))
                    .map(|day| occurrence(&entry, day))
                    .collect();
                // Every 47 minutes over the 50 days, and at each raise and end exactly.
                let edges = events
                    .iter()
                    .flat_map(|(r, e)| [*r, *e - Duration::seconds(1), *e]);
                let ticks = (0..days * 24 * 60 / 47).map(|k| from + Duration::minutes(47 * k));
                for now in ticks.chain(edges) {
                    let expected: Running = events
                        .iter()
                        .find(|(raise, end)| *raise <= now && now < *end)
                        .map(|(_, end)| {
                            (
                                ("endpoint/e/variant/v".to_owned(), "promo".to_owned()),
                                *end,
                            )
                        })
                        .into_iter()
                        .collect();
                    let found = running(&written, &[], now);
                    assert_eq!(found, expected, "{spec} at {now}");
                    checked.0 += 1;
                    checked.1 += usize::from(!expected.is_empty());
                }
            }
        }
    }
    assert_eq!(entries, 36, "{checked:?}");
    assert!(
        checked.1 > checked.0 / 20,
        "{checked:?}: too few instants inside an event"
    );
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

// ---- Schedule: the minutes an expression runs at (what the what-if replays) ----

#[test]
fn at_runs_once_in_its_zone() {
    let s = Schedule::parse("at(2026-12-04T17:45:00)", "America/New_York").unwrap();
    assert!(matches!(s, Schedule::At(at) if at == utc("2026-12-04T22:45:00Z")));
    assert!(s.matches(utc("2026-12-04T22:45:00Z")));
    assert!(!s.matches(utc("2026-12-04T22:44:00Z")));
    // The hour clocks skip in spring names no instant; a malformed at(...) is said so.
    let skipped = Schedule::parse("at(2027-03-14T02:30:00)", "America/New_York").unwrap_err();
    assert!(
        skipped.contains("does not exist in America/New_York"),
        "{skipped}"
    );
    let malformed = Schedule::parse("at(2027-03-14)", "UTC").unwrap_err();
    assert!(
        malformed.contains("not at(yyyy-mm-ddThh:mm:ss)"),
        "{malformed}"
    );
}

#[test]
fn cron_follows_daylight_saving_and_nth_weekdays() {
    let s = Schedule::parse("cron(45 17 ? * FRI#1 *)", "America/New_York").unwrap();
    // First Friday of December 2026 (EST, UTC-5) and of May 2026 (EDT, UTC-4).
    assert!(s.matches(utc("2026-12-04T22:45:00Z")));
    assert!(s.matches(utc("2026-05-01T21:45:00Z")));
    assert!(!s.matches(utc("2026-12-11T22:45:00Z")));
    let daily = Schedule::parse("cron(30 18 * * ? *)", "Europe/London").unwrap();
    assert!(daily.matches(utc("2026-11-03T18:30:00Z")));
    assert!(daily.matches(utc("2026-07-03T17:30:00Z")));
    let weekly = Schedule::parse("cron(0 9 ? * MON-WED *)", "Etc/UTC").unwrap();
    assert!(weekly.matches(utc("2026-11-04T09:00:00Z"))); // a Wednesday
    assert!(!weekly.matches(utc("2026-11-05T09:00:00Z")));
}

/// The day fields are prewarm's own: `L`, `W`, and steps in the day of the month.
#[test]
fn day_fields_are_read_as_prewarm_reads_them() {
    let last = Schedule::parse("cron(0 9 L * ? *)", "Etc/UTC").unwrap();
    assert!(last.matches(utc("2026-11-30T09:00:00Z")));
    assert!(!last.matches(utc("2026-11-29T09:00:00Z")));
    let odd = Schedule::parse("cron(0 9 1/2 * ? *)", "Etc/UTC").unwrap();
    assert!(odd.matches(utc("2026-11-03T09:00:00Z")));
    assert!(!odd.matches(utc("2026-11-04T09:00:00Z")));
    assert!(Schedule::parse("cron(0 9 32 * ? *)", "Etc/UTC")
        .unwrap_err()
        .contains("day-of-month"));
}

#[test]
fn unknown_expressions_are_refused() {
    assert!(Schedule::parse("rate(5 minutes)", "Etc/UTC")
        .unwrap_err()
        .contains("only at"));
    assert!(Schedule::parse("cron(1 2 3)", "Etc/UTC")
        .unwrap_err()
        .contains("6 fields"));
    assert!(Schedule::parse("cron(x 2 * * ? *)", "Etc/UTC").is_err());
    assert!(Schedule::parse("at(2026-12-04T17:45:00)", "Mars/Base").is_err());
}
