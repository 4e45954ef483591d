//! A fleet, not a demo: one scheduled sweep over 200 allowed endpoints, 150 of them with an
//! expired latency hold and 50 without any of this project's tags, with every AWS call made
//! 30 ms slower through the fault proxy (real API calls take 30-100 ms; bare moto's few
//! milliseconds hide what a sequential sweep costs). The wall time is printed, not asserted:
//! `make bench` owns the figures (BENCHMARKS.md).

use std::time::{Duration, Instant};

use chrono::Utc;
use integration_tests::proxy::FaultProxy;
use integration_tests::{expired_hold, sample_event, unique, Moto, LOCK_TABLE};
use remediation::entry::Handler;
use remediation::holds::{alarm_reason, baseline_key, hold_key, TAG_PREFIX};
use scale_on_latency::{App, Config, SWEEP_MARGIN_SECONDS};

const VARIANT: &str = "AllTraffic";
const SWEEP: &str = "eventbridge-scheduled-sweep.json";
const CALL_DELAY: Duration = Duration::from_millis(30);
/// The functions' timeout in template.yaml: a sweep's deadline is this long after it starts.
const STACK_TIMEOUT: i64 = 150;

/// `count` endpoints `<prefix>-NNN` with a target at 2..20; the first `expired` of them at
/// MinCapacity 4 under a latency hold that expired an hour ago.
async fn fleet(moto: &Moto, prefix: &str, count: usize, expired: usize) -> Vec<String> {
    let hold = expired_hold(4, Utc::now());
    let hold_tag = hold_key(VARIANT, &alarm_reason(VARIANT, "latency"));
    let mut names = Vec::new();
    for i in 0..count {
        let name = format!("{prefix}-{i:03}");
        moto.create_endpoint(&name, &[VARIANT]).await.unwrap();
        let min = if i < expired { 4 } else { 2 };
        moto.register_target(&name, VARIANT, min, 20).await.unwrap();
        if i < expired {
            moto.put_tags(
                &name,
                &[
                    (baseline_key(VARIANT).as_str(), "2"),
                    (hold_tag.as_str(), hold.encode().as_str()),
                ],
            )
            .await
            .unwrap();
        }
        names.push(name);
    }
    names
}

fn app(sdk: &aws_config::SdkConfig, prefix: &str, topic: &str) -> App {
    let allowed = format!("{prefix}-*");
    let lookup = |name: &str| match name {
        "ALLOWED_ENDPOINTS" => Some(allowed.clone()),
        "NOTIFY_TOPIC_ARN" => Some(topic.to_owned()),
        "LOCK_TABLE" => Some(LOCK_TABLE.to_owned()),
        _ => None,
    };
    App::new(sdk, Config::from_lookup(&lookup).unwrap())
}

#[tokio::test]
async fn a_sweep_over_two_hundred_endpoints_restores_every_expired_hold() {
    let (count, expired) = (200, 150);
    let moto = Moto::connect().await;
    let prefix = unique("fleet");
    let names = fleet(&moto, &prefix, count, expired).await;
    let inbox = moto.inbox(&unique("audit")).await.unwrap();
    let (proxy, sdk) = FaultProxy::with_sdk().await.unwrap();
    proxy.slow_every_call(CALL_DELAY);
    let app = app(&sdk, &prefix, &inbox.topic_arn);

    let started = Instant::now();
    let now = Utc::now();
    let summary = app
        .handle_until(
            sample_event(SWEEP, &names[0]),
            now,
            Some(now + chrono::Duration::seconds(STACK_TIMEOUT)),
        )
        .await
        .unwrap();
    let took = started.elapsed();

    assert!(summary.left.is_empty(), "{:?}", summary.left);
    let swept = summary.swept.unwrap();
    assert_eq!(swept.len(), expired, "{swept:?}");
    assert!(swept
        .iter()
        .all(|o| o.action.as_str() == "restored" && o.new_min == Some(2)));
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            moto.capacity(name, VARIANT).await.unwrap(),
            (2, 20),
            "{name}"
        );
        let tags = moto.tags(name).await.unwrap();
        assert!(
            !tags.keys().any(|k| k.starts_with(TAG_PREFIX)),
            "{name} (#{i}) keeps {tags:?}"
        );
    }
    // An endpoint without this project's tags costs one call (ListTags); only the 150 with
    // holds are described.
    assert_eq!(proxy.count("DescribeEndpoint"), expired);
    assert_eq!(proxy.count("ListTags"), count + expired);
    let calls = proxy.operations().len();
    println!(
        "sweep: {count} endpoints ({expired} restored), {calls} calls ({:.1} per endpoint), \
         {:.1} s at {} ms a call",
        calls as f64 / count as f64,
        took.as_secs_f64(),
        CALL_DELAY.as_millis()
    );
}

#[tokio::test]
async fn a_sweep_near_its_deadline_starts_nothing_and_says_what_is_left() {
    let moto = Moto::connect().await;
    let prefix = unique("fleet-late");
    let names = fleet(&moto, &prefix, 3, 2).await;
    let inbox = moto.inbox(&unique("audit")).await.unwrap();
    let app = app(&moto.sdk, &prefix, &inbox.topic_arn);
    let now = Utc::now();
    let deadline = now + chrono::Duration::seconds(SWEEP_MARGIN_SECONDS - 1);
    let summary = app
        .handle_until(sample_event(SWEEP, &names[0]), now, Some(deadline))
        .await
        .unwrap();
    assert_eq!(summary.left, names);
    assert_eq!(summary.swept.as_deref(), Some(&[][..]));
    assert_eq!(moto.capacity(&names[0], VARIANT).await.unwrap(), (4, 20));
    assert!(moto.published(&inbox).await.unwrap().is_empty());
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["left"].as_array().map(Vec::len), Some(3), "{json}");

    // The next sweep, with time, does them.
    let summary = app
        .handle_until(
            sample_event(SWEEP, &names[0]),
            now,
            Some(Utc::now() + chrono::Duration::seconds(STACK_TIMEOUT)),
        )
        .await
        .unwrap();
    assert!(summary.left.is_empty());
    assert_eq!(summary.swept.map(|s| s.len()), Some(2));
    assert_eq!(moto.capacity(&names[0], VARIANT).await.unwrap(), (2, 20));
}
