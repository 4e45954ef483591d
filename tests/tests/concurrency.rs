//! Concurrency: many invocations of scale-on-latency on one variant at once, through the
//! handler with real clients against moto. (Production also runs scale-on-latency with
//! reserved concurrency 1; prewarm and the sweep can still overlap with it, and the capacity
//! core must not depend on that setting.)

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use integration_tests::proxy::{Fault, FaultProxy};
use integration_tests::{sample_event, EndpointFixture, LOCK_TABLE};
use remediation::entry::Handler;
use scale_on_latency::{App, Config};
use serde_json::{json, Value};
use tokio::task::JoinSet;

const VARIANT: &str = "AllTraffic";
const ALARM: &str = "cloudwatch-alarm-latency-eventbridge.json";
const OK: &str = "cloudwatch-alarm-latency-ok-eventbridge.json";

async fn fixture() -> EndpointFixture {
    EndpointFixture::new("race", &[VARIANT], 2, 20).await
}

fn app(f: &EndpointFixture, sdk: &aws_config::SdkConfig, vars: &[(&str, &str)]) -> App {
    let env = f.env("race-*", vars);
    App::new(
        sdk,
        Config::from_lookup(&|name| env.get(name).cloned()).unwrap(),
    )
}

/// The ALARM event of a transition at `second` past 12:00 (a distinct transition per second).
fn alarm_at(f: &EndpointFixture, second: u32) -> Value {
    let mut event = sample_event(ALARM, &f.endpoint);
    event["detail"]["state"]["timestamp"] = json!(format!(
        "2026-11-28T12:{:02}:{:02}.000+0000",
        second / 60,
        second % 60
    ));
    event
}

async fn state(f: &EndpointFixture) -> (i32, BTreeMap<String, String>) {
    (
        f.moto.capacity(&f.endpoint, VARIANT).await.unwrap().0,
        f.moto.tags(&f.endpoint).await.unwrap(),
    )
}

/// A fault-injecting proxy in front of moto, and an SDK configuration that goes through it.
async fn through_proxy() -> (FaultProxy, aws_config::SdkConfig) {
    FaultProxy::with_sdk().await.unwrap()
}

fn holds(tags: &BTreeMap<String, String>) -> Vec<&String> {
    tags.keys().filter(|k| k.contains(":hold:")).collect()
}

#[tokio::test]
async fn fifty_concurrent_alarms_raise_exactly_one_step_with_one_hold() {
    // Two rounds on fresh endpoints: the harmful interleavings need some luck to appear.
    for _ in 0..2 {
        fifty_concurrent_alarms().await;
    }
}

async fn fifty_concurrent_alarms() {
    let f = fixture().await;
    let app = app(&f, &f.moto.sdk, &[]);
    let mut set = JoinSet::new();
    for i in 0..50u32 {
        let app = app.clone();
        // Half are redeliveries of one transition, half distinct transitions of the alarm.
        let event = alarm_at(&f, if i % 2 == 0 { 0 } else { i });
        // Staggered starts, so that some read while others are between their writes.
        let start = Duration::from_millis(u64::from(i % 25) * 6);
        set.spawn(async move {
            tokio::time::sleep(start).await;
            app.handle(event, Utc::now()).await
        });
    }
    let mut errors = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Err(err) = joined.unwrap() {
            errors.push(err.to_string());
        }
    }
    assert!(errors.is_empty(), "{errors:#?}");
    let (min, tags) = state(&f).await;
    assert_eq!(min, 4, "one step above the baseline: {tags:?}");
    assert_eq!(holds(&tags).len(), 1, "{tags:?}");
    assert_eq!(
        tags.get("remediation:AllTraffic:baseline")
            .map(String::as_str),
        Some("2")
    );
    let hold = tags[holds(&tags)[0]].as_str();
    assert!(hold.starts_with("min=4 "), "{hold}");
}

#[tokio::test]
async fn a_raise_and_a_restore_racing_end_as_one_order_or_the_other() {
    let f = fixture().await;
    let app = app(&f, &f.moto.sdk, &[("SCALE_COOLDOWN_SECONDS", "0")]);
    let ok = sample_event(OK, &f.endpoint);
    let mut seen = BTreeMap::new();
    for round in 0..30u32 {
        // Start from the baseline with no tags.
        f.moto
            .register_target(&f.endpoint, VARIANT, 2, 20)
            .await
            .unwrap();
        let keys: Vec<String> = f
            .moto
            .tags(&f.endpoint)
            .await
            .unwrap()
            .into_keys()
            .collect();
        if !keys.is_empty() {
            f.moto
                .sagemaker
                .delete_tags()
                .resource_arn(f.moto.endpoint_arn(&f.endpoint).await.unwrap())
                .set_tag_keys(Some(keys))
                .send()
                .await
                .unwrap();
        }
        // And forget the variant's record, so every round starts from no transition seen.
        f.moto
            .dynamodb
            .delete_item()
            .table_name(LOCK_TABLE)
            .key(
                "target",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("{}/{VARIANT}", f.endpoint)),
            )
            .send()
            .await
            .unwrap();
        // Vary which one starts first, and by how much.
        let offset = Duration::from_millis(u64::from(round % 6) * 7);
        let (raise_delay, ok_delay) = if round % 2 == 0 {
            (Duration::ZERO, offset)
        } else {
            (offset, Duration::ZERO)
        };
        let (a, b) = (app.clone(), app.clone());
        let alarm = alarm_at(&f, round + 1);
        let ok = ok.clone();
        let raise = tokio::spawn(async move {
            tokio::time::sleep(raise_delay).await;
            a.handle(alarm, Utc::now()).await
        });
        let restore = tokio::spawn(async move {
            tokio::time::sleep(ok_delay).await;
            b.handle(ok, Utc::now()).await
        });
        raise.await.unwrap().unwrap();
        restore.await.unwrap().unwrap();
        let (min, tags) = state(&f).await;
        let outcome = match (min, holds(&tags).len()) {
            // The restore went last: baseline, nothing recorded.
            (2, 0) if tags.is_empty() => "restore last",
            // The raise went last: one step up, held.
            (4, 1) => "raise last",
            _ => panic!("round {round}: a state no order gives: MinCapacity {min}, {tags:?}"),
        };
        *seen.entry(outcome).or_insert(0) += 1;
    }
    println!("outcomes: {seen:?}");
}

/// Two raises of the alarm (distinct transitions), the first held up inside its decision (its
/// read of the target is slow). The second waits for the variant's lease instead of reading
/// between the first one's writes, so it never steps again from the raised value.
#[tokio::test]
async fn a_raise_waits_for_a_slow_raise_and_does_not_step_twice() {
    let f = fixture().await;
    let (proxy, via_proxy) = through_proxy().await;
    let slow = app(&f, &via_proxy, &[]);
    let quick = app(&f, &f.moto.sdk, &[]);
    proxy.inject(
        "DescribeScalableTargets",
        Fault::Delay(Duration::from_secs(3)),
        Some(1),
    );
    let first = alarm_at(&f, 0);
    let slow = tokio::spawn(async move { slow.handle(first, Utc::now()).await });
    let mut waited = 0;
    while proxy.count("DescribeScalableTargets") == 0 && waited < 300 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    let second = quick.handle(alarm_at(&f, 30), Utc::now()).await.unwrap();
    assert!(
        slow.is_finished(),
        "the second raise returned while the first still held the lease"
    );
    let first = slow.await.unwrap().unwrap();
    assert_eq!(first.alarms[0].results[0].action.as_str(), "raised");
    assert_eq!(
        second.alarms[0].results[0].action.as_str(),
        "refused",
        "{second:?}"
    );
    let reason = &second.alarms[0].results[0].reason;
    assert!(reason.contains("cooldown"), "{reason}");
    let (min, tags) = state(&f).await;
    assert_eq!(min, 4, "{tags:?}");
    assert_eq!(
        tags.get("remediation:AllTraffic:baseline")
            .map(String::as_str),
        Some("2")
    );
}

/// The interleaving that used to leave capacity raised with no hold, forced with the proxy:
/// the raise has recorded its hold and its RegisterScalableTarget is slow. The restore waits
/// for the lease, so it runs after the raise and restores to the baseline.
#[tokio::test]
async fn a_restore_during_a_raise_waits_and_leaves_no_orphan_raise() {
    let f = fixture().await;
    let (proxy, via_proxy) = through_proxy().await;
    let raiser = app(&f, &via_proxy, &[]);
    let restorer = app(&f, &f.moto.sdk, &[]);
    proxy.inject(
        "RegisterScalableTarget",
        Fault::Delay(Duration::from_secs(3)),
        Some(1),
    );
    let alarm = sample_event(ALARM, &f.endpoint);
    let raise = tokio::spawn(async move { raiser.handle(alarm, Utc::now()).await });
    // Wait until the raise has recorded its hold.
    let mut recorded = false;
    for _ in 0..100 {
        if !holds(&f.moto.tags(&f.endpoint).await.unwrap()).is_empty() {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(recorded, "the raise never recorded its hold");
    let restored = restorer
        .handle(sample_event(OK, &f.endpoint), Utc::now())
        .await
        .unwrap();
    assert!(
        raise.is_finished(),
        "the restore returned while the raise still held the lease"
    );
    let raised = raise.await.unwrap().unwrap();
    assert_eq!(raised.alarms[0].results[0].action.as_str(), "raised");
    let result = &restored.alarms[0].results[0];
    assert_eq!(
        (result.action.as_str(), result.old_min, result.new_min),
        ("restored", Some(4), Some(2)),
        "{result:?}"
    );
    let (min, tags) = state(&f).await;
    assert_eq!(
        (min, tags),
        (2, BTreeMap::new()),
        "the restore went last, so the variant is back at its baseline with nothing held"
    );
}

/// The other side, forced with the proxy: the restore has lowered the target and its tag
/// removal is slow; a new ALARM of the alarm arrives meanwhile. It waits for the lease, and
/// then decides on what the restore left: a newer transition raises again, with its hold.
#[tokio::test]
async fn a_raise_during_a_restore_waits_and_is_held() {
    let f = fixture().await;
    let (proxy, via_proxy) = through_proxy().await;
    let vars = [("SCALE_COOLDOWN_SECONDS", "0")];
    let raiser = app(&f, &f.moto.sdk, &vars);
    let restorer = app(&f, &via_proxy, &vars);
    raiser.handle(alarm_at(&f, 0), Utc::now()).await.unwrap();
    assert_eq!(state(&f).await.0, 4);
    proxy.inject("DeleteTags", Fault::Delay(Duration::from_secs(3)), Some(1));
    let ok = sample_event(OK, &f.endpoint);
    let restore = tokio::spawn(async move { restorer.handle(ok, Utc::now()).await });
    let mut lowered = false;
    for _ in 0..200 {
        if state(&f).await.0 == 2 {
            lowered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(lowered, "the restore never lowered the target");
    // A transition newer than the OK (12:25:00.480).
    let raised = raiser
        .handle(alarm_at(&f, 26 * 60), Utc::now())
        .await
        .unwrap();
    assert!(
        restore.is_finished(),
        "the raise returned while the restore still held the lease"
    );
    let restored = restore.await.unwrap().unwrap();
    assert_eq!(restored.alarms[0].results[0].action.as_str(), "restored");
    assert_eq!(
        raised.alarms[0].results[0].action.as_str(),
        "raised",
        "{raised:?}"
    );
    let (min, tags) = state(&f).await;
    assert_eq!(min, 4, "{tags:?}");
    assert_eq!(
        holds(&tags).len(),
        1,
        "the raise that went last is held: {tags:?}"
    );
}
