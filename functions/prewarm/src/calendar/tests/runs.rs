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
