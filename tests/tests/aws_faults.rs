//! AWS faults: the functions' real clients go through a fault-injecting proxy in front of moto
//! ([`FaultProxy`]). Throttling, server errors and resets that clear are retried and succeed;
//! persistent failures end in a `Retryable.*` error with tags and capacity consistent (and a
//! retry of the same event completes the work); a slow API is cut by the configured timeouts.
//!
//! The retry backoff is shortened here ([`fast`]), and the timeouts for the slow-API test
//! ([`short_timeouts`]), so that the tests take seconds; production uses
//! `remediation::sdk::Settings::default()`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::Utc;
use integration_tests::proxy::{Fault, FaultProxy};
use integration_tests::{sample_event, unique, EndpointFixture, Moto};
use remediation::entry::Handler;
use remediation::sdk::Settings;
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";
const ALARM: &str = "cloudwatch-alarm-latency-eventbridge.json";
const OK: &str = "cloudwatch-alarm-latency-ok-eventbridge.json";

/// Three attempts, as in production, with a short backoff; timeouts long enough for a busy
/// machine, as only the slow-API test means to hit them.
fn fast() -> Settings {
    Settings {
        max_attempts: 3,
        connect_timeout: Duration::from_secs(2),
        attempt_timeout: Duration::from_secs(5),
        operation_timeout: Duration::from_secs(12),
        initial_backoff: Duration::from_millis(20),
    }
}

/// Short timeouts, for the slow-API test: an attempt is cut after 300 ms, a call after 1 s.
fn short_timeouts() -> Settings {
    Settings {
        attempt_timeout: Duration::from_millis(300),
        operation_timeout: Duration::from_secs(1),
        ..fast()
    }
}

async fn sdk_via(proxy: &FaultProxy, settings: &Settings) -> aws_config::SdkConfig {
    remediation::sdk::loader(settings)
        .endpoint_url(proxy.url())
        .load()
        .await
}

struct Fixture {
    f: EndpointFixture,
    proxy: FaultProxy,
    sdk: aws_config::SdkConfig,
}

impl Fixture {
    async fn new() -> Fixture {
        Self::with(&fast()).await
    }

    async fn with(settings: &Settings) -> Fixture {
        let f = EndpointFixture::new("faults", &[VARIANT], 2, 20).await;
        let proxy = FaultProxy::in_front_of_moto().await.unwrap();
        let sdk = sdk_via(&proxy, settings).await;
        Fixture { f, proxy, sdk }
    }

    fn latency(&self) -> scale_on_latency::App {
        let env = self.f.env("faults-*", &[("SCALE_COOLDOWN_SECONDS", "0")]);
        let config = scale_on_latency::Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
        scale_on_latency::App::new(&self.sdk, config)
    }

    fn prewarm(&self) -> prewarm::App {
        let env = self.f.env("faults-*", &[]);
        let config = prewarm::Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
        prewarm::App::new(&self.sdk, config)
    }

    fn event(&self, file: &str) -> Value {
        sample_event(file, &self.f.endpoint)
    }

    /// `file` as CloudWatch sends it as the alarm changes state: its transition is now.
    fn fresh(&self, file: &str) -> Value {
        let mut event = self.event(file);
        event["detail"]["state"]["timestamp"] = json!(Utc::now().to_rfc3339());
        event
    }

    async fn min(&self) -> i32 {
        self.f
            .moto
            .capacity(&self.f.endpoint, VARIANT)
            .await
            .unwrap()
            .0
    }

    async fn tags(&self) -> BTreeMap<String, String> {
        self.f.moto.tags(&self.f.endpoint).await.unwrap()
    }

    async fn messages(&self) -> usize {
        self.f.moto.published(&self.f.inbox).await.unwrap().len()
    }

    /// The state invariant: MinCapacity is never above what the recorded holds justify (no
    /// raised capacity without a hold). A hold above its capacity is allowed only because a
    /// retry repairs it; the tests check that repair explicitly.
    async fn assert_consistent(&self, baseline: i32) {
        let min = self.min().await;
        let tags = self.tags().await;
        let holds: Vec<i32> = tags
            .iter()
            .filter(|(k, _)| k.contains(":hold:"))
            .filter_map(|(_, v)| v.strip_prefix("min=")?.split(' ').next()?.parse().ok())
            .collect();
        let justified = holds.iter().copied().fold(baseline, i32::max);
        assert!(
            min <= justified,
            "MinCapacity {min} without a hold justifying it: {tags:?}"
        );
    }
}

fn hold_key(f: &Fixture) -> String {
    format!(
        "remediation:{VARIANT}:hold:alarm.{}-model-latency-p99",
        f.f.endpoint
    )
}

/// The calls a raise and its restore make, without faults: DescribeEndpoint and the lease
/// (UpdateItem) side by side, the target and the tags side by side, the writes, then the lease
/// given back (UpdateItem) side by side with the audit message (ARCHITECTURE.md, the hold
/// protocol). A fresh ALARM costs no DescribeAlarms; one older than the hold costs exactly
/// that one call.
#[tokio::test]
async fn a_raise_and_a_restore_make_each_call_once() {
    let f = Fixture::new().await;
    let app = f.latency();
    app.handle(f.fresh(ALARM), Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 4);
    let raise = f.proxy.operations();
    app.handle(f.fresh(OK), Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 2);
    let restore = f.proxy.operations()[raise.len()..].to_vec();
    let expected = (
        ["DescribeEndpoint", "UpdateItem"],
        ["DescribeScalableTargets", "ListTags"],
        true,
        ["Publish", "UpdateItem"],
    );
    assert_eq!(
        shape(&raise, ["AddTags", "RegisterScalableTarget"]),
        expected,
        "{raise:?}"
    );
    assert_eq!(
        shape(&restore, ["RegisterScalableTarget", "DeleteTags"]),
        expected,
        "{restore:?}"
    );
    // The sample ALARM is days old (its alarm still fires): one call more, first.
    let g = Fixture::new().await;
    g.latency()
        .handle(g.event(ALARM), Utc::now())
        .await
        .unwrap();
    let replay = g.proxy.operations();
    assert_eq!(replay[0], "DescribeAlarms", "{replay:?}");
    assert_eq!(
        shape(&replay[1..], ["AddTags", "RegisterScalableTarget"]),
        expected
    );
}

/// A decision's calls in the order that is fixed: the pair made first side by side, the pair
/// read side by side, whether the two writes are `writes`, the pair made last side by side.
fn shape<'a>(
    ops: &'a [String],
    writes: [&str; 2],
) -> ([&'a str; 2], [&'a str; 2], bool, [&'a str; 2]) {
    assert_eq!(ops.len(), 8, "{ops:?}");
    (
        sorted_pair(&ops[0..2]),
        sorted_pair(&ops[2..4]),
        [ops[4].as_str(), ops[5].as_str()] == writes,
        sorted_pair(&ops[6..8]),
    )
}

/// An alarm names its variant, so the variant's lease needs no DescribeEndpoint first: the two
/// are sent together (one round trip less before the reads). DescribeEndpoint is held back two
/// seconds, so the lease's UpdateItem arrives while it is being answered only if they were.
#[tokio::test]
async fn the_lease_is_taken_side_by_side_with_describe_endpoint() {
    let f = Fixture::new().await;
    f.proxy.inject(
        "DescribeEndpoint",
        Fault::Delay(Duration::from_secs(2)),
        Some(1),
    );
    f.latency()
        .handle(f.fresh(ALARM), Utc::now())
        .await
        .unwrap();
    assert_eq!(f.min().await, 4);
    f.assert_side_by_side();
}

/// The same for a pre-warm that names its variant, when the endpoint is InService at once.
#[tokio::test]
async fn a_pre_warm_takes_the_lease_side_by_side_with_describe_endpoint() {
    let f = Fixture::new().await;
    f.proxy.inject(
        "DescribeEndpoint",
        Fault::Delay(Duration::from_secs(2)),
        Some(1),
    );
    let raise = json!({"action": "raise", "endpoint": f.f.endpoint, "variant": VARIANT,
                       "event": "promo", "min_capacity": 10, "for": "2h"});
    f.prewarm().handle(raise, Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 10);
    f.assert_side_by_side();
    assert_eq!(
        f.proxy.count("DescribeEndpoint"),
        1,
        "{:?}",
        f.proxy.operations()
    );
}

impl Fixture {
    /// The first two calls were DescribeEndpoint and the lease's UpdateItem, sent together.
    fn assert_side_by_side(&self) {
        let ops = self.proxy.operations();
        assert_eq!(sorted_pair(&ops[0..2]), ["DescribeEndpoint", "UpdateItem"]);
        let overlapping = self.proxy.overlapping();
        assert!(
            overlapping.first() == Some(&ops[1]),
            "the second call ({}) waited for the first: {overlapping:?} of {ops:?}",
            ops[1]
        );
    }
}

/// Two calls made side by side, in a fixed order.
fn sorted_pair(ops: &[String]) -> [&str; 2] {
    let mut pair = [ops[0].as_str(), ops[1].as_str()];
    pair.sort_unstable();
    pair
}

#[tokio::test]
async fn throttling_that_clears_is_retried_and_succeeds() {
    let f = Fixture::new().await;
    // awsJson (SageMaker, Application Auto Scaling) and query (SNS) protocols.
    f.proxy.inject("AddTags", Fault::Throttle, Some(2));
    f.proxy
        .inject("RegisterScalableTarget", Fault::Throttle, Some(1));
    f.proxy.inject("Publish", Fault::Throttle, Some(2));
    let summary = f
        .latency()
        .handle(f.event(ALARM), Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.alarms[0].results[0].new_min, Some(4));
    assert_eq!(f.min().await, 4);
    assert!(f.tags().await.contains_key(&hold_key(&f)));
    assert_eq!(f.messages().await, 1);
    assert_eq!(f.proxy.count("AddTags"), 3);
    assert_eq!(f.proxy.count("Publish"), 3);
}

#[tokio::test]
async fn server_errors_and_resets_that_clear_are_retried() {
    let f = Fixture::new().await;
    f.proxy
        .inject("DescribeEndpoint", Fault::Status(500), Some(1));
    f.proxy
        .inject("DescribeScalableTargets", Fault::Status(503), Some(2));
    f.proxy.inject("ListTags", Fault::Reset, Some(1));
    f.proxy.inject("DeleteTags", Fault::Reset, Some(1));
    let app = f.latency();
    app.handle(f.event(ALARM), Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 4);
    app.handle(f.event(OK), Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 2);
    assert!(f.tags().await.is_empty(), "{:?}", f.tags().await);
    assert_eq!(f.messages().await, 2);
    assert_eq!(f.proxy.count("DeleteTags"), 2);
}

#[tokio::test]
async fn persistent_failure_on_any_write_is_retryable_consistent_and_repaired_by_a_retry() {
    // (event, operation that keeps failing, how)
    let cases = [
        (ALARM, "AddTags", Fault::Throttle),
        (ALARM, "RegisterScalableTarget", Fault::Status(503)),
        (ALARM, "Publish", Fault::Status(500)),
        (OK, "RegisterScalableTarget", Fault::Status(500)),
        (OK, "DeleteTags", Fault::Reset),
    ];
    for (event, operation, fault) in cases {
        let f = Fixture::new().await;
        let app = f.latency();
        if event == OK {
            app.handle(f.event(ALARM), Utc::now()).await.unwrap();
            assert_eq!(f.min().await, 4);
        }
        let seen = f.proxy.count(operation);
        f.proxy.inject(operation, fault, None);
        let err = app.handle(f.event(event), Utc::now()).await.unwrap_err();
        assert_eq!(
            err.error_type(),
            "Retryable.AwsError",
            "{operation} {fault:?}: {err}"
        );
        assert!(err.to_string().contains(operation), "{err}");
        assert_eq!(
            f.proxy.count(operation) - seen,
            3,
            "{operation}: three attempts"
        );
        f.assert_consistent(2).await;

        // The retry Lambda makes (the same event) completes the work.
        f.proxy.clear();
        app.handle(f.event(event), Utc::now()).await.unwrap();
        let (min, has_hold) = (f.min().await, f.tags().await.contains_key(&hold_key(&f)));
        if event == ALARM {
            assert_eq!((min, has_hold), (4, true), "{operation} {fault:?}");
        } else {
            assert_eq!((min, has_hold), (2, false), "{operation} {fault:?}");
            assert!(f.tags().await.is_empty(), "{operation}: tags left behind");
        }
        f.assert_consistent(2).await;
    }
}

/// #21: the raise is made and its message cannot be published (a server error, or a 403 the
/// SDK does not retry): the error is retryable whatever the cause, the message is kept in the
/// variant's record, and the retry (a duplicate, which changes nothing) publishes it, once.
#[tokio::test]
async fn a_message_that_fails_after_a_raise_is_kept_and_published_by_the_retry() {
    for fault in [Fault::Status(500), Fault::Status(403)] {
        let f = Fixture::new().await;
        let app = f.latency();
        f.proxy.inject("Publish", fault, None);
        let err = app.handle(f.event(ALARM), Utc::now()).await.unwrap_err();
        assert_eq!(err.error_type(), "Retryable.AwsError", "{fault:?}: {err}");
        assert!(err.to_string().contains("kept"), "{err}");
        assert_eq!(f.min().await, 4, "the raise stands");
        assert_eq!(f.messages().await, 0);

        f.proxy.clear();
        let summary = app.handle(f.event(ALARM), Utc::now()).await.unwrap();
        let summary = serde_json::to_string(&summary).unwrap();
        assert!(summary.contains("duplicate delivery"), "{summary}");
        let published = f.f.moto.published(&f.f.inbox).await.unwrap();
        let subjects: Vec<&str> = published.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [format!(
                "Raised {}/{VARIANT} MinCapacity 2 -> 4",
                f.f.endpoint
            )],
            "{fault:?}"
        );
        app.handle(f.event(ALARM), Utc::now()).await.unwrap();
        assert_eq!(f.messages().await, 0, "published once");
        assert_eq!(f.min().await, 4);
    }
}

#[tokio::test]
async fn prewarm_raise_with_a_failing_target_write_is_retryable_and_completed_by_a_retry() {
    let f = Fixture::new().await;
    let app = f.prewarm();
    let until = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let raise = json!({"action": "raise", "endpoint": f.f.endpoint, "variant": VARIANT,
                       "event": "promo", "min_capacity": 10, "until": until});
    f.proxy
        .inject("RegisterScalableTarget", Fault::Status(503), None);
    let err = app.handle(raise.clone(), Utc::now()).await.unwrap_err();
    assert_eq!(err.error_type(), "Retryable.AwsError", "{err}");
    f.assert_consistent(2).await;
    f.proxy.clear();
    app.handle(raise, Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 10);
}

/// #20: a decision starts its writes only when they and the lease's release fit before the
/// invocation's deadline at 12 s a call (a raise: AddTags, RegisterScalableTarget, release:
/// 36 s); with 20 s left it ends with `Retryable.Busy`, nothing written, the lease given back.
#[tokio::test]
async fn a_decision_without_time_for_its_writes_writes_nothing() {
    let f = Fixture::new().await;
    let app = f.latency();
    let event = f.fresh(ALARM);
    let deadline = Some(Utc::now() + chrono::Duration::seconds(20));
    let err = app
        .handle_until(event.clone(), Utc::now(), deadline)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.Busy", "{err}");
    assert!(
        err.to_string().contains("of the invocation are left"),
        "{err}"
    );
    assert!(err.to_string().contains("nothing written"), "{err}");
    assert_eq!((f.min().await, f.tags().await.len()), (2, 0));
    assert_eq!(
        f.proxy.count("AddTags") + f.proxy.count("RegisterScalableTarget"),
        0
    );
    // The lease was given back and nothing was recorded: the retry raises.
    app.handle(event, Utc::now()).await.unwrap();
    assert_eq!(f.min().await, 4);
}

/// #20: waiting for a busy lease stops once a whole decision (six calls at 12 s) no longer
/// fits before the deadline, instead of waiting its 18 s into a timeout.
#[tokio::test]
async fn waiting_for_a_busy_lease_stops_when_a_decision_no_longer_fits() {
    use remediation::store::Store;
    let f = Fixture::new().await;
    let app = f.latency();
    let key = remediation::remediate::lease_key(&f.f.endpoint, VARIANT);
    let now = Utc::now();
    let taken = app
        .path
        .store
        .acquire(
            &key,
            "someone-else",
            now,
            now + chrono::Duration::seconds(90),
        )
        .await
        .unwrap();
    assert!(taken.is_some());
    let seen = f.proxy.count("UpdateItem");
    let deadline = Some(Utc::now() + chrono::Duration::seconds(70));
    let err = app
        .handle_until(f.fresh(ALARM), Utc::now(), deadline)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.Busy", "{err}");
    assert!(
        err.to_string().contains("holds the variant's lease, and"),
        "{err}"
    );
    assert_eq!(
        f.proxy.count("UpdateItem") - seen,
        1,
        "one attempt, no waiting"
    );
    assert_eq!(f.min().await, 2);
}

#[tokio::test]
async fn a_slow_api_is_cut_by_the_configured_timeouts() {
    let settings = short_timeouts();
    let f = Fixture::with(&settings).await;
    // Each attempt waits longer than the attempt timeout.
    f.proxy.inject(
        "DescribeEndpoint",
        Fault::Delay(settings.attempt_timeout + Duration::from_millis(600)),
        None,
    );
    let before = (f.min().await, f.tags().await);
    let started = Instant::now();
    let err = f
        .latency()
        .handle(f.event(ALARM), Utc::now())
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.error_type(), "Retryable.AwsError", "{err}");
    assert!(err.to_string().contains("DescribeEndpoint"), "{err}");
    assert!(err.to_string().contains("timeout"), "{err}");
    // Cut by the operation timeout (1 s), long before a Lambda timeout; generous bound.
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        f.proxy.count("DescribeEndpoint") >= 2,
        "retried after a timeout"
    );
    assert_eq!((f.min().await, f.tags().await), before);
    assert_eq!(f.messages().await, 0);
}

#[tokio::test]
async fn drift_notify_publish_throttled_then_clears_or_fails_retryably() {
    let moto = Moto::connect().await;
    let inbox = moto.inbox(&unique("drift-faults")).await.unwrap();
    let proxy = FaultProxy::in_front_of_moto().await.unwrap();
    let sdk = sdk_via(&proxy, &fast()).await;
    let env = HashMap::from([("NOTIFY_TOPIC_ARN", inbox.topic_arn.clone())]);
    let config = drift_notify::Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
    let app = drift_notify::App::new(&sdk, config);
    let event = sample_event("custom-drift-event.json", &unique("drift"));

    proxy.inject("Publish", Fault::Throttle, Some(2));
    app.handle(event.clone(), Utc::now()).await.unwrap();
    assert_eq!(moto.published(&inbox).await.unwrap().len(), 1);

    proxy.inject("Publish", Fault::Status(503), None);
    let err = app.handle(event, Utc::now()).await.unwrap_err();
    assert_eq!(err.error_type(), "Retryable.AwsError", "{err}");
    assert!(moto.published(&inbox).await.unwrap().is_empty());
}
