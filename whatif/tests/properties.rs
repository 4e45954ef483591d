//! Properties of the replay: adding capacity never adds violation minutes (nor late requests,
//! nor backlog), and no policy ever leaves MinCapacity/MaxCapacity.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::json;
use whatif::model::{Model, Policy};
use whatif::queue::serve_minute;
use whatif::sim::simulate;
use whatif::trace::Trace;

fn trace(invocations: Vec<u64>) -> Trace {
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
        .unwrap()
        .into();
    Trace {
        start,
        latency_ms: vec![None; invocations.len()],
        invocations,
    }
}

fn model(min: u32, max: u32) -> Model {
    let mut m = Model::defaults(None);
    (m.min_capacity, m.max_capacity) = (min, max);
    m.finish().unwrap()
}

proptest! {
    #[test]
    fn more_servers_never_make_a_minute_worse(
        minutes in prop::collection::vec((0u64..30_000, 1u32..40, 0u32..12), 1..60),
    ) {
        let (mut small, mut big) = (0.0, 0.0);
        for (arrivals, servers, extra) in minutes {
            let a = serve_minute(arrivals as f64, small, servers, 0.1, 1.0);
            let b = serve_minute(arrivals as f64, big, servers + extra, 0.1, 1.0);
            prop_assert!(b.backlog <= a.backlog + 1e-9, "{a:?} {b:?}");
            prop_assert!(b.late <= a.late + 1e-6 * (1.0 + a.late), "{a:?} {b:?}");
            if let (Some(pa), Some(pb)) = (a.p99_ms, b.p99_ms) {
                prop_assert!(pb <= pa + 0.2, "{a:?} {b:?}");
            }
            (small, big) = (a.backlog, b.backlog);
        }
    }

    #[test]
    fn adding_capacity_never_adds_violation_minutes(
        invocations in prop::collection::vec(0u64..40_000, 1..240),
        instances in 1u32..12,
        extra in 1u32..8,
    ) {
        let t = trace(invocations);
        let fixed = Policy::parse("target-tracking").unwrap();
        let count = |n: u32| {
            let run = simulate(&t, &model(n, n), fixed, &[]);
            let late: f64 = run.rows.iter().map(|r| r.late).sum();
            (run.rows.iter().filter(|r| r.violation).count(), late)
        };
        let (fewer, fewer_late) = count(instances);
        let (more, more_late) = count(instances + extra);
        prop_assert!(more <= fewer, "{instances}+{extra}: {more} > {fewer}");
        prop_assert!(more_late <= fewer_late + 1e-6 * (1.0 + fewer_late));
    }

    #[test]
    fn no_policy_leaves_min_and_max_capacity(
        invocations in prop::collection::vec(0u64..40_000, 30..300),
        (min, max) in (1u32..6).prop_flat_map(|min| (Just(min), min..25)),
        (lead, start, length, wanted) in (0u32..60, 0i64..200, 1i64..90, 1u32..40),
        policy in prop::sample::select(vec![
            "target-tracking", "target-tracking+prewarm", "target-tracking+latency",
            "target-tracking+demand", "target-tracking+prewarm+demand",
        ]),
        step in 1u32..5,
    ) {
        let t = trace(invocations);
        let mut m = model(min, max);
        m.step = step;
        let begin = t.start + Duration::minutes(start);
        let local = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
        let calendar = json!([{
            "name": "event", "endpoint": "prod-ranker", "timezone": "Etc/UTC",
            "start": local(begin), "end": local(begin + Duration::minutes(length)),
            "lead_minutes": lead, "min_capacity": wanted,
        }]);
        let calendar = whatif::calendar_from(&calendar, &t, &m).unwrap();
        let run = simulate(&t, &m, Policy::parse(policy).unwrap(), &calendar.timed);
        for (i, r) in run.rows.iter().enumerate() {
            prop_assert!(1 <= r.min_capacity && r.min_capacity <= r.desired && r.desired <= max,
                "minute {i}: {r:?}");
            prop_assert!(r.in_service <= r.provisioned && r.provisioned == r.desired, "minute {i}: {r:?}");
        }
    }
}
