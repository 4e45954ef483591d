//! The gaming promotion, as the issue states it: target tracking alone violates the SLO at the
//! start of the event; pre-warm with a 15-minute lead and MinCapacity 10 does not, and costs
//! extra instance-hours. The model is not tuned for this: defaults only.

use std::path::Path;

use whatif::model::{Model, Policy, DEFAULT_POLICIES};
use whatif::report::summarize;
use whatif::trace::Trace;

/// The gaming promotion's trace, and the model with its defaults.
fn promotion() -> (Trace, Model) {
    let trace = whatif::generate::gaming_promotion();
    let model = Model::defaults(trace.low_load_latency_ms())
        .finish()
        .unwrap();
    (trace, model)
}

#[test]
fn the_gaming_promotion_with_and_without_prewarm() {
    let (trace, model) = promotion();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/traces/gaming-promotion-calendar.json");
    let calendar = whatif::load_calendar(&path, &trace, &model).unwrap();
    let timed: Vec<_> = calendar
        .timed
        .iter()
        .map(|t| (trace.time(t.minute).to_rfc3339(), t.min))
        .collect();
    assert_eq!(
        timed,
        vec![
            ("2026-12-04T22:45:00+00:00".to_owned(), Some(10)),
            ("2026-12-05T01:00:00+00:00".to_owned(), Some(2)),
        ]
    );
    let policies: Vec<Policy> = DEFAULT_POLICIES
        .split(',')
        .map(|p| Policy::parse(p).unwrap())
        .collect();
    let runs = whatif::replay(&trace, &model, &policies, &calendar);
    let s: Vec<_> = runs.iter().map(|r| summarize(&trace, &model, r)).collect();
    let event = trace.len() - 4 * 60;
    let alone = &s[0];
    assert!(alone.violation_minutes > 0, "{alone:?}");
    let first = runs[0].rows.iter().position(|r| r.violation).unwrap();
    assert!(
        (event..event + 15).contains(&first),
        "first violation at minute {first}, event at {event}"
    );
    let prewarm = &s[1];
    assert_eq!(prewarm.violation_minutes, 0, "{:?}", prewarm.events);
    assert!(prewarm.instance_hours > alone.instance_hours);
}

/// A recurring calendar entry runs from its `start` on, as prewarm's synced actions do (their
/// `StartTime`), not from the first matching day of the trace.
#[test]
fn a_recurring_entry_runs_from_its_start_day_on() {
    let (trace, model) = promotion();
    let calendar = serde_json::json!([{
        "name": "weekly", "endpoint": "prod-ranker", "variant": "AllTraffic",
        "start": "2026-11-17T18:00", "end": "2026-11-17T20:00", "timezone": "Etc/UTC",
        "min_capacity": 6, "recurrence": "weekly"}]);
    let calendar = whatif::calendar_from(&calendar, &trace, &model).unwrap();
    let raised: Vec<_> = calendar
        .timed
        .iter()
        .filter(|t| t.min == Some(6))
        .map(|t| trace.time(t.minute).date_naive().to_string())
        .collect();
    assert_eq!(raised, ["2026-11-17", "2026-11-24", "2026-12-01"]);
}

/// What a replay of `calendar` on the promotion did, besides target tracking: (time UTC,
/// source, what).
fn story(trace: &Trace, model: &Model, calendar: serde_json::Value) -> Vec<(String, String)> {
    let calendar = whatif::calendar_from(&calendar, trace, model).unwrap();
    let policies = [Policy::parse("target-tracking+prewarm+latency").unwrap()];
    let runs = whatif::replay(trace, model, &policies, &calendar);
    runs[0]
        .events
        .iter()
        .filter(|e| e.source != "target-tracking")
        .map(|e| {
            let at = trace.time(e.minute).format("%H:%M");
            (format!("{at} {}", e.source), e.what.clone())
        })
        .collect()
}

/// What happened at `when` (`"23:10 calendar end"`).
fn at<'a>(story: &'a [(String, String)], when: &str) -> &'a str {
    story
        .iter()
        .find(|(w, _)| w == when)
        .map(|(_, what)| what.as_str())
        .unwrap_or_else(|| panic!("nothing at {when}: {story:#?}"))
}

/// A calendar end while the latency alarm fires, replayed as the stack runs it (prewarm's `end`
/// through the holds): MinCapacity stays where the alarm's hold put it, and the alarm's OK then
/// goes back to the calendar's baseline, not to the event's MinCapacity.
#[test]
fn a_calendar_end_during_a_firing_alarm_keeps_the_alarms_hold() {
    let (trace, model) = promotion();
    // Too few instances for the promotion, and an end ten minutes in: the alarm fires at 23:06
    // and clears at 23:15 UTC; the event ends at 23:10.
    let calendar = serde_json::json!([{
        "name": "promo", "endpoint": "prod-ranker", "variant": "AllTraffic",
        "start": "2026-12-04T18:00", "end": "2026-12-04T18:10", "timezone": "America/New_York",
        "lead_minutes": 15, "min_capacity": 3}]);
    let story = story(&trace, &model, calendar);
    assert!(
        at(&story, "23:06 alarm ALARM").contains("MinCapacity 3 -> 5"),
        "{story:?}"
    );
    let end = at(&story, "23:10 calendar end");
    assert!(end.contains("MinCapacity 5 -> 5"), "{end}");
    assert!(end.contains("keeps MinCapacity at 5"), "{end}");
    assert!(
        at(&story, "23:15 alarm OK").contains("MinCapacity 5 -> 2"),
        "{story:?}"
    );
}

/// The same end for an entry with `raise_max` (the variant: MinCapacity 1, MaxCapacity 2; the
/// event: 3): the start raised MaxCapacity too, so the alarm's raise is refused at the ceiling.
/// The end gives MaxCapacity back through the holds; while the alarm fires, MinCapacity comes
/// down to that ceiling only, not to the baseline.
#[test]
fn a_raise_max_end_during_a_firing_alarm_comes_down_to_the_ceiling_only() {
    let (trace, mut model) = promotion();
    (model.min_capacity, model.max_capacity) = (1, 2);
    let calendar = serde_json::json!([{
        "name": "promo", "endpoint": "prod-ranker", "variant": "AllTraffic",
        "start": "2026-12-04T18:00", "end": "2026-12-04T18:10", "timezone": "America/New_York",
        "lead_minutes": 15, "min_capacity": 3, "raise_max": true}]);
    let story = story(&trace, &model, calendar);
    assert!(
        at(&story, "23:06 alarm ALARM").contains("at ceiling"),
        "{story:?}"
    );
    let end = at(&story, "23:10 calendar end");
    assert!(
        end.contains("MinCapacity 3 -> 2, MaxCapacity 3 -> 2"),
        "{end}"
    );
    assert!(end.contains("still fires"), "{end}");
}
