//! The what-if tool's latency policy and scale-on-latency agree: the same alarm sequence, fed
//! to the real handler against moto and to the simulation's `whatif::decisions::LatencyHolds`,
//! leaves the same MinCapacity with the same action after every step. If the simulation ever
//! stops using the functions' own decision code (or the handler stops using it), this fails.

use chrono::{DateTime, Duration, DurationRound, Utc};
use integration_tests::{sample_event, EndpointFixture};
use remediation::entry::Handler;
use scale_on_latency::{App, Config, Summary};
use serde_json::{json, Value};
use whatif::decisions::{LatencyHolds, LatencyRules};
use whatif::model::Model;

const VARIANT: &str = "AllTraffic";

#[derive(Debug, Clone, Copy)]
enum Step {
    Alarm,
    Ok,
    Sweep,
}

/// What the handler did to the one variant: (action, MinCapacity after).
fn outcome(summary: &Summary) -> (String, Option<u32>) {
    let result = match &summary.swept {
        Some(swept) => swept.first(),
        None => summary.alarms.first().and_then(|a| a.results.first()),
    };
    match result {
        Some(r) => (r.action.as_str().to_owned(), r.new_min),
        // The sweep reports only variants it changed.
        None => ("unchanged".to_owned(), None),
    }
}

async fn agree(vars: &[(&str, &str)], rules: LatencyRules, steps: &[(i64, Step)]) {
    let f = EndpointFixture::new("whatif", &[VARIANT], 2, 20).await;
    let env = f.env(&f.endpoint, vars);
    let app = App::new(
        &f.moto.sdk,
        Config::from_lookup(&|name| env.get(name).cloned()).unwrap(),
    );
    let alarm_name = format!("{}-model-latency-p99", f.endpoint);
    let mut sim = LatencyHolds::new(&alarm_name, rules);
    let t0: DateTime<Utc> = (Utc::now() - Duration::hours(12))
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    let mut min = 2;
    for (i, &(minute, step)) in steps.iter().enumerate() {
        let at = t0 + Duration::minutes(minute);
        let stamp = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let event = match step {
            Step::Alarm => alarm(
                &f.endpoint,
                "cloudwatch-alarm-latency-eventbridge.json",
                &stamp,
            ),
            Step::Ok => alarm(
                &f.endpoint,
                "cloudwatch-alarm-latency-ok-eventbridge.json",
                &stamp,
            ),
            Step::Sweep => sample_event("eventbridge-scheduled-sweep.json", &f.endpoint),
        };
        let summary = app.handle(event, at).await.unwrap();
        let (action, new_min) = outcome(&summary);
        let decision = match step {
            Step::Alarm => sim.alarm(at, (min, 20), &format!("ALARM@{stamp}"), &[]),
            Step::Ok => sim.ok(at, (min, 20)),
            Step::Sweep => sim.sweep(at, (min, 20)),
        };
        let live = f.moto.capacity(&f.endpoint, VARIANT).await.unwrap().0 as u32;
        assert_eq!(
            (decision.action, decision.new_min),
            (action.as_str(), new_min.unwrap_or(live)),
            "step {i} ({step:?} at +{minute} min): simulation {decision:?}, handler {summary:?}"
        );
        assert_eq!(
            live, decision.new_min,
            "step {i}: MinCapacity on the target"
        );
        min = live;
    }
}

fn alarm(endpoint: &str, file: &str, stamp: &str) -> Value {
    let mut event = sample_event(file, endpoint);
    event["detail"]["state"]["timestamp"] = json!(stamp);
    event
}

#[tokio::test]
async fn the_simulated_latency_policy_decides_as_scale_on_latency_does() {
    let steps = [
        (0, Step::Alarm),        // 2 -> 4
        (0, Step::Alarm),        // the same transition delivered twice: unchanged
        (3, Step::Alarm), // a new ALARM (after INSUFFICIENT_DATA) within the cooldown: refused
        (10, Step::Ok),   // 4 -> 2
        (12, Step::Alarm), // 2 -> 4
        (60, Step::Sweep), // the hold is live: the sweep leaves it
        (12 + 185, Step::Sweep), // the OK was lost: the hold expired, 4 -> 2
        (200, Step::Alarm), // 2 -> 4
        (206, Step::Alarm), // after the cooldown: 4 -> 6
        (207, Step::Ok),  // 6 -> 2
    ];
    let rules = Model::defaults(None).finish().unwrap().latency_rules(false);
    agree(&[], rules, &steps).await;
}

#[tokio::test]
async fn steps_ceilings_cooldowns_and_hold_times_are_the_same_settings() {
    let mut model = Model::defaults(None);
    (model.step, model.ceiling, model.cooldown_s, model.hold_s) = (3, Some(7), 600, 1800);
    let rules = model.finish().unwrap().latency_rules(false);
    let vars = [
        ("SCALE_STEP", "3"),
        ("SCALE_CEILING", "7"),
        ("SCALE_COOLDOWN_SECONDS", "600"),
        ("SCALE_HOLD_SECONDS", "1800"),
    ];
    let steps = [
        (0, Step::Alarm),  // 2 -> 5
        (6, Step::Alarm),  // within 600 s: refused
        (11, Step::Alarm), // 5 -> 7 (capped at the ceiling)
        (22, Step::Alarm), // at the ceiling: refused
        (30, Step::Sweep), // the 30-minute hold set at minute 11 is live: no change
        (45, Step::Sweep), // expired at minute 41: 7 -> 2
        (80, Step::Sweep), // nothing held: no change
        (81, Step::Ok),    // nothing left to restore
    ];
    agree(&vars, rules, &steps).await;
}
