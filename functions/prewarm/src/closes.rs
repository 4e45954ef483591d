//! An event that is on when its entry changes so that its new times no longer include now
//! still ends when it would have. The entry's end follows its new times (the next occurrence's
//! end), so without more the event on now would keep its capacity until then: a week for a
//! weekly entry moved to another day, or ended early. The sync writes a one-off end at the
//! event's end, named `prewarm-<entry>-close` (a schedule like the other ends when they are
//! schedules), keeps it until it has run, and drops it when the calendar's times come to
//! include it again (it would end that event early).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::calendar::{close_name, closed_entry, end_name, start_name, ScheduledAction};
use crate::ends::Running;
use remediation::holds::rfc3339;

/// The closes a sync wants, and a note for each it adds: those of earlier syncs still to come
/// (among `previous`, the actions and end schedules found) that no event of the `desired`
/// actions covers, and one for each event `running` whose entry's new times do not include
/// now and raise next after the event's end.
pub fn closes(
    desired: &[ScheduledAction],
    running: &Running,
    previous: &[ScheduledAction],
    now: DateTime<Utc>,
) -> (Vec<ScheduledAction>, Vec<String>) {
    let wanted = Wanted { desired };
    let mut closes: BTreeMap<(String, String), ScheduledAction> = BTreeMap::new();
    for close in previous {
        let Some(event) = closed_entry(&close.name) else {
            continue;
        };
        // Covered: the wanted times have the event on until the close, and end it.
        let due = close.next_run(now);
        let covered = |due| wanted.on(&close.resource_id, event, due - Duration::seconds(1));
        if due.is_some_and(|due| !covered(due)) {
            let key = (close.resource_id.clone(), event.to_owned());
            closes.insert(key, close.clone());
        }
    }
    let mut notes = Vec::new();
    for ((target, event), ends_at) in running {
        let key = (target.clone(), event.clone());
        let Some((start, _)) = wanted.actions(target, event) else {
            continue; // Its entry is gone: its end stays as it is (`keep_running`).
        };
        let raises_first = start.next_run(now).is_some_and(|raise| raise <= *ends_at);
        if closes.contains_key(&key) || wanted.on(target, event, now) || raises_first {
            continue;
        }
        let old_end = previous
            .iter()
            .find(|a| a.resource_id == *target && a.name == end_name(event));
        let Some(close) = old_end.and_then(|end| end.once_at(*ends_at)) else {
            continue;
        };
        notes.push(format!(
            "{event} on {target}: on now, and its new times do not include now; it still \
             ends at {} ({})",
            rfc3339(*ends_at),
            close_name(event)
        ));
        let close = ScheduledAction {
            name: close_name(event),
            ..close
        };
        closes.insert(key, close);
    }
    (closes.into_values().collect(), notes)
}

/// The entries' actions as the sync wants them.
struct Wanted<'a> {
    desired: &'a [ScheduledAction],
}

impl Wanted<'_> {
    /// The start and end action `event` wants on `target`.
    fn actions(&self, target: &str, event: &str) -> Option<(&ScheduledAction, &ScheduledAction)> {
        let find = |name: String| {
            (self.desired.iter()).find(|a| a.resource_id == target && a.name == name)
        };
        Some((find(start_name(event))?, find(end_name(event))?))
    }

    /// Whether `event`'s wanted times have it on at `t` on `target`.
    fn on(&self, target: &str, event: &str, t: DateTime<Utc>) -> bool {
        self.actions(target, event)
            .is_some_and(|(start, end)| start.started_since(end, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: &str = "endpoint/e/variant/v";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn action(name: &str, schedule: &str) -> ScheduledAction {
        ScheduledAction {
            name: name.to_owned(),
            resource_id: TARGET.to_owned(),
            schedule: schedule.to_owned(),
            timezone: Some("Etc/UTC".to_owned()),
            min_capacity: Some(2),
            ..ScheduledAction::default()
        }
    }

    /// A one-off promo, 18:00 to 20:00 on 2030-11-29, on at 19:00.
    fn on_now() -> (Vec<ScheduledAction>, Running, DateTime<Utc>) {
        let previous = vec![
            action("prewarm-promo-start", "at(2030-11-29T18:00:00)"),
            action("prewarm-promo-end", "at(2030-11-29T20:00:00)"),
        ];
        let key = (TARGET.to_owned(), "promo".to_owned());
        let running = Running::from([(key, t("2030-11-29T20:00:00Z"))]);
        (previous, running, t("2030-11-29T19:00:00Z"))
    }

    fn moved_to(start: &str, end: &str) -> Vec<ScheduledAction> {
        vec![
            action("prewarm-promo-start", start),
            action("prewarm-promo-end", end),
        ]
    }

    #[test]
    fn an_event_postponed_mid_event_is_still_closed_at_its_end() {
        let (previous, running, now) = on_now();
        let next_week = moved_to("at(2030-12-06T18:00:00)", "at(2030-12-06T20:00:00)");
        let (wanted, notes) = closes(&next_week, &running, &previous, now);
        let [close] = &wanted[..] else {
            panic!("one close: {wanted:?}");
        };
        assert_eq!(close.name, "prewarm-promo-close");
        assert_eq!(close.schedule, "at(2030-11-29T20:00:00)");
        assert_eq!(close.min_capacity, Some(2));
        assert!(
            notes[0].contains("it still ends at 2030-11-29T20:00:00Z"),
            "{notes:?}"
        );
        // A later sync keeps it until it has run, then no longer wants it.
        let mut written = previous.clone();
        written.push(close.clone());
        let later = closes(
            &next_week,
            &Running::new(),
            &written,
            t("2030-11-29T19:30:00Z"),
        );
        assert_eq!(later.0, wanted);
        let after = closes(
            &next_week,
            &Running::new(),
            &written,
            t("2030-11-29T20:00:00Z"),
        );
        assert!(after.0.is_empty(), "{after:?}");
    }

    #[test]
    fn no_close_where_the_new_times_end_the_event() {
        let (previous, running, now) = on_now();
        for (start, end) in [
            // Extended: still on now, its own end ends it.
            ("at(2030-11-29T18:00:00)", "at(2030-11-29T21:00:00)"),
            // Raised again before the old end: the new event's end ends it.
            ("at(2030-11-29T19:30:00)", "at(2030-11-29T21:30:00)"),
        ] {
            let (wanted, notes) = closes(&moved_to(start, end), &running, &previous, now);
            assert!(wanted.is_empty() && notes.is_empty(), "{start}: {wanted:?}");
        }
        // Removed from the calendar: its own end stays (`keep_running`), no close.
        assert!(closes(&[], &running, &previous, now).0.is_empty());
    }
}
