//! scale-on-latency against a moto server over HTTP: the handler with real SDK clients, and
//! the built binary under cargo-lambda's Runtime API emulator.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::StateValue;
use chrono::{DateTime, Duration, Utc};
use integration_tests::{
    function_binary, sample_event, unique, EndpointFixture, LocalRuntime, Moto, LOCK_TABLE,
};
use remediation::entry::Handler;
use remediation::holds::{alarm_reason, baseline_key, hold_key};
use remediation::Error;
use scale_on_latency::{App, Config, Summary};
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";
const ALARM_NAME: &str = "prod-ranker-model-latency-p99";

/// One endpoint with a scalable target (min 2, max 20) and an audit inbox.
struct Fixture(EndpointFixture);

impl std::ops::Deref for Fixture {
    type Target = EndpointFixture;
    fn deref(&self) -> &EndpointFixture {
        &self.0
    }
}

impl Fixture {
    async fn new() -> Fixture {
        Self::with_capacity(2, 20).await
    }

    async fn with_capacity(min: i32, max: i32) -> Fixture {
        Fixture(EndpointFixture::new("ranker", &[VARIANT], min, max).await)
    }

    /// The handler with real clients and the given variables on top of a working default.
    fn app(&self, vars: &[(&str, &str)]) -> App {
        let env = self.env("ranker-*", vars);
        let config = Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
        App::new(&self.moto.sdk, config)
    }

    /// The sample alarm's name as this fixture's events carry it.
    fn alarm_name(&self) -> String {
        ALARM_NAME.replace("prod-ranker", &self.endpoint)
    }

    fn event(&self, file: &str) -> Value {
        sample_event(file, &self.endpoint)
    }

    async fn min(&self) -> i32 {
        self.moto.capacity(&self.endpoint, VARIANT).await.unwrap().0
    }

    async fn tags(&self) -> BTreeMap<String, String> {
        self.moto.tags(&self.endpoint).await.unwrap()
    }

    async fn published(&self) -> Vec<integration_tests::Published> {
        self.moto.published(&self.inbox).await.unwrap()
    }

    /// Everything a bad input must leave alone: capacity and tags.
    async fn state(&self) -> ((i32, i32), BTreeMap<String, String>) {
        (
            self.moto.capacity(&self.endpoint, VARIANT).await.unwrap(),
            self.tags().await,
        )
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn only_result(summary: &Summary) -> &remediation::audit::Outcome {
    assert_eq!(summary.alarms.len(), 1, "{summary:?}");
    assert_eq!(summary.alarms[0].results.len(), 1, "{summary:?}");
    &summary.alarms[0].results[0]
}

fn alarm_at(mut event: Value, timestamp: &str) -> Value {
    event["detail"]["state"]["timestamp"] = json!(timestamp);
    event
}

#[tokio::test]
async fn alarm_then_ok_in_each_shape_raises_then_restores() {
    for shape in ["eventbridge", "sns", "lambda-action"] {
        let f = Fixture::new().await;
        let app = f.app(&[]);

        let raised = app
            .handle(
                f.event(&format!("cloudwatch-alarm-latency-{shape}.json")),
                now(),
            )
            .await
            .unwrap();
        let result = only_result(&raised);
        assert_eq!(
            (result.action.as_str(), result.old_min, result.new_min),
            ("raised", Some(2), Some(4)),
            "{shape}: {result:?}"
        );
        assert_eq!(f.min().await, 4, "{shape}");
        let tags = f.tags().await;
        assert_eq!(
            tags.get("remediation:AllTraffic:baseline")
                .map(String::as_str),
            Some("2"),
            "{shape}"
        );
        let hold = &tags[&format!("remediation:AllTraffic:hold:alarm.{}", f.alarm_name())];
        assert!(hold.starts_with("min=4 until="), "{shape}: {hold}");

        let restored = app
            .handle(
                f.event(&format!("cloudwatch-alarm-latency-ok-{shape}.json")),
                now(),
            )
            .await
            .unwrap();
        let result = only_result(&restored);
        assert_eq!(
            (result.action.as_str(), result.old_min, result.new_min),
            ("restored", Some(4), Some(2)),
            "{shape}"
        );
        assert_eq!(f.min().await, 2, "{shape}");
        assert!(f.tags().await.is_empty(), "{shape}: tags left behind");

        let messages = f.published().await;
        assert_eq!(messages.len(), 2, "{shape}: {messages:?}");
        assert_eq!(
            messages[0].subject,
            format!("Raised {}/AllTraffic MinCapacity 2 -> 4", f.endpoint)
        );
        assert_eq!(
            messages[1].subject,
            format!("Restored {}/AllTraffic MinCapacity 4 -> 2", f.endpoint)
        );
    }
}

/// A LOCK_TABLE that names no table is the configuration's fault: the first decision says
/// which variable to set, with a non-retryable error, and writes nothing.
#[tokio::test]
async fn a_lock_table_that_does_not_exist_names_the_variable() {
    let f = Fixture::new().await;
    let before = f.state().await;
    let app = f.app(&[("LOCK_TABLE", "no-such-table")]);
    let event = f.event("cloudwatch-alarm-latency-eventbridge.json");
    let err = app.handle(event, now()).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidConfig", "{err}");
    assert!(
        err.to_string()
            .contains("LOCK_TABLE=no-such-table: UpdateItem found no such DynamoDB table"),
        "{err}"
    );
    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn audit_message_is_readable_and_filterable() {
    let f = Fixture::new().await;
    f.app(&[])
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    let messages = f.published().await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.subject.len() <= 100);
    let first_line = format!(
        "scale-on-latency changed MinCapacity 2 -> 4 of endpoint {}, variant AllTraffic.\n",
        f.endpoint
    );
    assert!(m.message.starts_with(&first_line), "{}", m.message);
    assert!(
        m.message.contains("Why: MinCapacity 2 + step 2"),
        "{}",
        m.message
    );
    let alarm_line = format!(
        "Alarm: {} is ALARM since 2026-11-28T12:00:00Z",
        f.alarm_name()
    );
    assert!(m.message.contains(&alarm_line), "{}", m.message);
    assert!(
        m.message.contains("Alarm reason: Threshold Crossed"),
        "{}",
        m.message
    );
    assert!(
        m.message.contains("SCALE_HOLD_SECONDS=10800"),
        "{}",
        m.message
    );
    assert_eq!(m.attributes.get("endpoint"), Some(&f.endpoint));
    assert_eq!(
        m.attributes.get("action").map(String::as_str),
        Some("raised")
    );
    assert_eq!(
        m.attributes.get("variant").map(String::as_str),
        Some("AllTraffic")
    );
}

#[tokio::test]
async fn math_daily_and_composite_alarms_reach_the_variant() {
    for file in [
        "cloudwatch-alarm-math-eventbridge.json",
        "cloudwatch-alarm-daily-sns.json",
        "cloudwatch-alarm-composite-eventbridge.json",
    ] {
        let f = Fixture::new().await;
        // The composite alarm has no dimensions: its target comes from the alarm's tags.
        let composite = sample_event(file, &f.endpoint);
        if let Some(arn) = composite["resources"][0]
            .as_str()
            .filter(|a| a.contains("composite"))
        {
            let name = arn.rsplit(':').next().unwrap();
            f.moto
                .tagged_alarm(
                    name,
                    &[
                        ("EndpointName", f.endpoint.as_str()),
                        ("VariantName", VARIANT),
                    ],
                )
                .await
                .unwrap();
        }
        // Each sample is days old: its alarm (named in the event) still fires.
        let name = remediation::alarm::Alarm::parse(f.event(file)).unwrap()[0]
            .name
            .clone();
        if composite["resources"][0]
            .as_str()
            .is_some_and(|a| a.contains("composite"))
        {
            f.moto
                .set_alarm_state(&name, StateValue::Alarm)
                .await
                .unwrap();
        } else {
            f.moto.alarm_in(&name, StateValue::Alarm).await.unwrap();
        }
        let summary = f.app(&[]).handle(f.event(file), now()).await.unwrap();
        let result = only_result(&summary);
        assert_eq!(
            (result.action.as_str(), result.new_min),
            ("raised", Some(4)),
            "{file}"
        );
        assert_eq!(result.variant.as_deref(), Some(VARIANT), "{file}");
        assert_eq!(f.min().await, 4, "{file}");
    }
}

#[tokio::test]
async fn composite_alarm_without_target_tags_is_refused_clearly() {
    let f = Fixture::new().await;
    let before = f.state().await;
    let err = f
        .app(&[])
        .handle(
            f.event("cloudwatch-alarm-composite-eventbridge.json"),
            now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidEvent(_)), "{err}");
    assert!(
        err.to_string().contains("tag the alarm with EndpointName"),
        "{err}"
    );
    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn no_variant_dimension_acts_on_every_production_variant() {
    let f = Fixture(EndpointFixture::new("ranker", &["blue", "green"], 2, 20).await);
    f.moto
        .register_target(&f.endpoint, "green", 3, 20)
        .await
        .unwrap();
    let mut event = f.event("cloudwatch-alarm-latency-eventbridge.json");
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]
        .as_object_mut()
        .unwrap()
        .remove("VariantName");
    let summary = f.app(&[]).handle(event, now()).await.unwrap();
    let results = &summary.alarms[0].results;
    let got: Vec<_> = results
        .iter()
        .map(|r| (r.variant.clone().unwrap(), r.new_min.unwrap()))
        .collect();
    assert_eq!(got, vec![("blue".to_owned(), 4), ("green".to_owned(), 5)]);
    assert_eq!(f.moto.capacity(&f.endpoint, "blue").await.unwrap().0, 4);
    assert_eq!(f.moto.capacity(&f.endpoint, "green").await.unwrap().0, 5);
}

/// #14: an ALARM older than the hold (a replay from the failed-events queue, the sample invoked
/// by hand days later) raises only while its alarm is still in ALARM; otherwise the result
/// says how old it is and what the alarm is now, and nothing is written or published.
#[tokio::test]
async fn an_old_alarm_raises_only_while_its_alarm_still_fires() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    let old = f.event("cloudwatch-alarm-latency-eventbridge.json");
    for (state, says) in [
        (Some(StateValue::Ok), "the alarm is in OK now"),
        (None, "the alarm is gone (no such alarm) now"),
    ] {
        match state {
            Some(state) => f.moto.alarm_in(&f.alarm_name(), state).await.unwrap(),
            None => {
                f.moto
                    .cloudwatch
                    .delete_alarms()
                    .alarm_names(f.alarm_name())
                    .send()
                    .await
                    .unwrap();
            }
        }
        let before = f.state().await;
        let summary = app.handle(old.clone(), now()).await.unwrap();
        let result = only_result(&summary);
        assert_eq!(result.action.as_str(), "unchanged", "{result:?}");
        assert!(
            result
                .reason
                .starts_with("stale delivery: this ALARM is from 2026-11-28T12:00:00Z, "),
            "{}",
            result.reason
        );
        assert!(result.reason.contains(says), "{}", result.reason);
        assert_eq!(f.state().await, before);
    }
    assert!(f.published().await.is_empty());
    // The alarm fires again: the same old event raises.
    f.moto
        .alarm_in(&f.alarm_name(), StateValue::Alarm)
        .await
        .unwrap();
    let summary = app.handle(old, now()).await.unwrap();
    assert_eq!(only_result(&summary).new_min, Some(4));
}

/// #14, blue/green: an alarm on one variant touches only it; an alarm on the endpoint raises
/// each variant with its own hold and message; the OK of either never lowers a variant another
/// alarm still holds.
#[tokio::test]
async fn each_variant_of_an_endpoint_keeps_its_own_holds() {
    let f = Fixture(EndpointFixture::new("ranker", &["blue", "green"], 2, 20).await);
    let app = f.app(&[("SCALE_COOLDOWN_SECONDS", "0")]);
    let min = |variant: &'static str| {
        let f = &f;
        async move { f.moto.capacity(&f.endpoint, variant).await.unwrap().0 }
    };
    let dimensions = "/detail/configuration/metrics/0/metricStat/metric/dimensions";
    let on_blue = |file: &str| {
        let mut event = f.event(file);
        event.pointer_mut(dimensions).unwrap()["VariantName"] = json!("blue");
        event
    };
    let on_endpoint = |file: &str| {
        let mut event = f.event(file);
        event["detail"]["alarmName"] = json!(format!("{}-errors", f.endpoint));
        event["detail"]["state"]["timestamp"] = json!(Utc::now().to_rfc3339());
        event
            .pointer_mut(dimensions)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("VariantName");
        event
    };
    const ALARM: &str = "cloudwatch-alarm-latency-eventbridge.json";
    const OK: &str = "cloudwatch-alarm-latency-ok-eventbridge.json";

    app.handle(on_blue(ALARM), now()).await.unwrap();
    assert_eq!((min("blue").await, min("green").await), (4, 2));
    assert_eq!(f.published().await.len(), 1);

    let summary = app.handle(on_endpoint(ALARM), now()).await.unwrap();
    assert_eq!(summary.alarms[0].results.len(), 2);
    assert_eq!((min("blue").await, min("green").await), (6, 4));
    let messages = f.published().await;
    let mut variants: Vec<&str> = messages
        .iter()
        .map(|m| m.attributes["variant"].as_str())
        .collect();
    variants.sort();
    assert_eq!(variants, ["blue", "green"], "one message per variant");
    let holds = f
        .tags()
        .await
        .keys()
        .filter(|k| k.contains(":hold:"))
        .count();
    assert_eq!(holds, 3, "blue: two alarms' holds; green: one");

    // blue's own alarm clears: the endpoint alarm still holds both variants.
    app.handle(on_blue(OK), now()).await.unwrap();
    assert_eq!((min("blue").await, min("green").await), (6, 4));
    // The endpoint alarm clears: both come back to their baselines, each on its own.
    app.handle(on_endpoint(OK), now()).await.unwrap();
    assert_eq!((min("blue").await, min("green").await), (2, 2));
    assert!(f.tags().await.is_empty(), "{:?}", f.tags().await);
}

#[tokio::test]
async fn bad_events_change_nothing_and_say_what_is_wrong() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    let good = f.event("cloudwatch-alarm-latency-eventbridge.json");
    let mut no_name = good.clone();
    no_name["detail"]
        .as_object_mut()
        .unwrap()
        .remove("alarmName");
    let mut bad_state = good.clone();
    bad_state["detail"]["state"]["value"] = json!("ON_FIRE");
    let mut bad_endpoint = good.clone();
    bad_endpoint["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]
        ["EndpointName"] = json!("ranker-*/../x");
    let cases = [
        (json!({"hello": "world"}), "not a CloudWatch alarm"),
        (json!("ALARM"), "expected a JSON object"),
        (no_name, "detail: missing field `alarmName`"),
        (bad_state, "detail.state.value"),
        (bad_endpoint, "is not a SageMaker endpoint name"),
        (
            json!({"Records": [{"Sns": {"Message": "garbage"}}]}),
            "Records[0].Sns.Message",
        ),
    ];
    let before = f.state().await;
    for (event, expected) in cases {
        let err = app.handle(event, now()).await.unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent", "{err}");
        assert!(!err.is_retryable());
        assert!(
            err.to_string().contains(expected),
            "{err} should mention {expected}"
        );
    }
    assert_eq!(f.state().await, before);
    assert!(
        f.published().await.is_empty(),
        "a malformed event is logged, not published"
    );
}

#[tokio::test]
async fn endpoint_outside_the_allowlist_is_refused_and_audited() {
    let f = Fixture::new().await;
    let before = f.state().await;
    for allowlist in ["", "staging-*"] {
        let err = f
            .app(&[("ALLOWED_ENDPOINTS", allowlist)])
            .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.Refused");
        assert!(err.to_string().contains("ALLOWED_ENDPOINTS"), "{err}");
        assert!(err.to_string().contains(&f.endpoint), "{err}");
    }
    assert_eq!(f.state().await, before);
    let messages = f.published().await;
    assert_eq!(messages.len(), 2);
    assert!(messages[0]
        .subject
        .starts_with(&format!("Refused change to {}/AllTraffic", f.endpoint)));
    assert_eq!(
        messages[0].attributes.get("action").map(String::as_str),
        Some("refused")
    );
}

#[tokio::test]
async fn ceiling_and_max_capacity_cap_the_raise() {
    let f = Fixture::new().await;
    let summary = f
        .app(&[("SCALE_CEILING", "3")])
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    assert_eq!(only_result(&summary).new_min, Some(3));
    assert_eq!(f.min().await, 3);

    let f = Fixture::with_capacity(2, 3).await;
    let summary = f
        .app(&[("SCALE_STEP", "5"), ("SCALE_CEILING", "10")])
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    assert_eq!(only_result(&summary).new_min, Some(3));
    assert_eq!(f.moto.capacity(&f.endpoint, VARIANT).await.unwrap(), (3, 3));

    // Already at MaxCapacity: refused, audited, nothing written.
    let f = Fixture::with_capacity(3, 3).await;
    let before = f.state().await;
    let summary = f
        .app(&[])
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    let result = only_result(&summary);
    assert_eq!(result.action.as_str(), "refused");
    assert!(result.reason.contains("at ceiling"), "{}", result.reason);
    assert_eq!(f.state().await, before);
    assert_eq!(f.published().await.len(), 1);
}

#[tokio::test]
async fn cooldown_blocks_a_second_raise_until_it_passes() {
    let f = Fixture::new().await;
    let app = f.app(&[("SCALE_COOLDOWN_SECONDS", "600")]);
    let t0 = now();
    let first = alarm_at(
        f.event("cloudwatch-alarm-latency-eventbridge.json"),
        "2026-11-28T12:00:00.000+0000",
    );
    app.handle(first, t0).await.unwrap();
    assert_eq!(f.min().await, 4);

    // The alarm went OK -> ALARM again (a new transition) five minutes later, but the OK was lost.
    let second = alarm_at(
        f.event("cloudwatch-alarm-latency-eventbridge.json"),
        "2026-11-28T12:05:00.000+0000",
    );
    let summary = app
        .handle(second.clone(), t0 + Duration::seconds(300))
        .await
        .unwrap();
    let result = only_result(&summary);
    assert_eq!(result.action.as_str(), "refused");
    assert!(result.reason.contains("cooldown"), "{}", result.reason);
    assert_eq!(f.min().await, 4);

    let summary = app
        .handle(second, t0 + Duration::seconds(601))
        .await
        .unwrap();
    assert_eq!(only_result(&summary).new_min, Some(6));
    assert_eq!(f.min().await, 6);
    assert_eq!(f.tags().await["remediation:AllTraffic:baseline"], "2");
}

#[tokio::test]
async fn duplicate_deliveries_raise_once() {
    let f = Fixture::new().await;
    let app = f.app(&[("SCALE_COOLDOWN_SECONDS", "0")]);
    let t0 = now();
    // The same transition delivered three times: EventBridge retry, SNS copy, Lambda action.
    for (i, file) in [
        "cloudwatch-alarm-latency-eventbridge.json",
        "cloudwatch-alarm-latency-eventbridge.json",
        "cloudwatch-alarm-latency-sns.json",
        "cloudwatch-alarm-latency-lambda-action.json",
    ]
    .iter()
    .enumerate()
    {
        let summary = app
            .handle(f.event(file), t0 + Duration::seconds(i as i64))
            .await
            .unwrap();
        let expected = if i == 0 { "raised" } else { "unchanged" };
        assert_eq!(
            only_result(&summary).action.as_str(),
            expected,
            "{file} #{i}"
        );
    }
    assert_eq!(f.min().await, 4);
    assert_eq!(
        f.published().await.len(),
        1,
        "a duplicate is not announced again"
    );
}

#[tokio::test]
async fn ok_keeps_a_hold_from_another_reason() {
    let f = Fixture::new().await;
    // A pre-warm hold (as the prewarm function records it) keeps MinCapacity at 10 for hours.
    let until = (now() + Duration::hours(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let since = now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let promo = format!("min=10 until={until} since={since}");
    f.moto
        .put_tags(
            &f.endpoint,
            &[
                ("remediation:AllTraffic:baseline", "2"),
                ("remediation:AllTraffic:hold:event.promo", &promo),
            ],
        )
        .await
        .unwrap();
    f.moto
        .register_target(&f.endpoint, VARIANT, 10, 20)
        .await
        .unwrap();
    let app = f.app(&[]);
    app.handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    assert_eq!(f.min().await, 12);
    let summary = app
        .handle(
            f.event("cloudwatch-alarm-latency-ok-eventbridge.json"),
            now(),
        )
        .await
        .unwrap();
    let result = only_result(&summary);
    assert_eq!((result.old_min, result.new_min), (Some(12), Some(10)));
    assert!(result.reason.contains("event.promo"), "{}", result.reason);
    assert_eq!(f.min().await, 10);
    let tags = f.tags().await;
    assert_eq!(
        tags.get("remediation:AllTraffic:hold:event.promo"),
        Some(&promo)
    );
    assert_eq!(
        tags.get("remediation:AllTraffic:baseline")
            .map(String::as_str),
        Some("2")
    );
}

#[tokio::test]
async fn expired_hold_is_dropped_and_does_not_block_or_pin() {
    let f = Fixture::new().await;
    let app = f.app(&[("SCALE_HOLD_SECONDS", "3600")]);
    let t0 = now();
    app.handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), t0)
        .await
        .unwrap();
    assert_eq!(f.min().await, 4);
    // The OK event was lost. Two hours later the hold has expired: a new ALARM transition is a
    // fresh raise (no cooldown), measured from the live minimum, with the baseline kept.
    let later = alarm_at(
        f.event("cloudwatch-alarm-latency-eventbridge.json"),
        "2026-11-28T14:00:00.000+0000",
    );
    let summary = app.handle(later, t0 + Duration::hours(2)).await.unwrap();
    assert_eq!(only_result(&summary).new_min, Some(6));
    // Its OK, whenever it comes, goes back to the original baseline.
    let summary = app
        .handle(
            f.event("cloudwatch-alarm-latency-ok-eventbridge.json"),
            t0 + Duration::hours(4),
        )
        .await
        .unwrap();
    assert_eq!(only_result(&summary).new_min, Some(2));
    assert_eq!(f.min().await, 2);
    assert!(f.tags().await.is_empty());
}

#[tokio::test]
async fn insufficient_data_changes_nothing() {
    let f = Fixture::new().await;
    let before = f.state().await;
    let summary = f
        .app(&[])
        .handle(
            f.event("cloudwatch-alarm-insufficient-data-eventbridge.json"),
            now(),
        )
        .await
        .unwrap();
    assert!(summary.alarms[0].results.is_empty());
    assert_eq!(f.state().await, before);
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn dry_run_decides_and_publishes_but_writes_nothing() {
    let f = Fixture::new().await;
    let before = f.state().await;
    let summary = f
        .app(&[("DRY_RUN", "true")])
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    assert!(summary.dry_run);
    let result = only_result(&summary);
    assert_eq!(
        (result.action.as_str(), result.new_min),
        ("raised", Some(4))
    );
    assert_eq!(f.state().await, before);
    let messages = f.published().await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].subject.starts_with("[DRY RUN] Raised"),
        "{}",
        messages[0].subject
    );
    assert!(messages[0].message.contains("no write call was made"));
}

#[tokio::test]
async fn unknown_endpoint_and_missing_target_are_clear() {
    let f = Fixture::new().await;
    let mut event = f.event("cloudwatch-alarm-latency-eventbridge.json");
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]
        ["EndpointName"] = json!("ranker-missing");
    let err = f.app(&[]).handle(event, now()).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.NotFound", "{err}");
    assert!(err.to_string().contains("ranker-missing"), "{err}");
    // The lease taken beside DescribeEndpoint leaves no item behind.
    let item = f.moto.lease_item("ranker-missing", VARIANT).await.unwrap();
    assert_eq!(item, None);

    let moto = Moto::connect().await;
    let bare = unique("ranker");
    moto.create_endpoint(&bare, &[VARIANT]).await.unwrap();
    moto.alarm_in(&integration_tests::sample_alarm(&bare), StateValue::Alarm)
        .await
        .unwrap();
    let summary = f
        .app(&[])
        .handle(
            sample_event("cloudwatch-alarm-latency-eventbridge.json", &bare),
            now(),
        )
        .await
        .unwrap();
    let result = only_result(&summary);
    assert_eq!(result.action.as_str(), "refused");
    assert!(
        result.reason.contains("no scalable target"),
        "{}",
        result.reason
    );
    assert!(moto.tags(&bare).await.unwrap().is_empty());
}

/// moto always reports InService, so an endpoint that is updating is a fault sequence only a
/// mock can produce: DescribeEndpoint answers `Updating`, and no write may follow.
#[tokio::test]
async fn endpoint_not_in_service_is_a_retryable_error_without_writes() {
    let f = Fixture::new().await;
    let (sagemaker, describe) =
        integration_tests::mocks::sagemaker_with_status(&f.endpoint, VARIANT, |_| {
            aws_sdk_sagemaker::types::EndpointStatus::Updating
        });
    let mut app = f.app(&[]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
    let before = f.state().await;
    let err = app
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.EndpointNotReady", "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("Updating"), "{err}");
    assert_eq!(f.state().await, before);
    assert_eq!(describe.num_calls(), 1);
    // The lease taken beside DescribeEndpoint was given back: the variant is free, and a
    // variant with no record yet has no item.
    assert_eq!(f.moto.lease_item(&f.endpoint, VARIANT).await.unwrap(), None);
    let key = remediation::remediate::lease_key(&f.endpoint, VARIANT);
    let until = now() + chrono::Duration::seconds(90);
    let free = remediation::store::Store::acquire(&app.path.store, &key, "next", now(), until);
    assert!(free.await.unwrap().is_some(), "the lease is still held");
}

/// A lease given back unused (the endpoint is updating) keeps the variant's record: the
/// earlier raise is still known, so its cooldown and its alarm's transition still count.
#[tokio::test]
async fn an_unused_lease_keeps_the_variants_record() {
    let f = Fixture::new().await;
    let raised = f
        .app(&[])
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), now())
        .await
        .unwrap();
    assert_eq!(only_result(&raised).action.as_str(), "raised");
    let (names, record) = f
        .moto
        .lease_item(&f.endpoint, VARIANT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(names, ["record", "target"]);
    assert!(
        record
            .as_deref()
            .is_some_and(|r| r.contains("\"written\":4")),
        "{record:?}"
    );

    let (sagemaker, _) =
        integration_tests::mocks::sagemaker_with_status(&f.endpoint, VARIANT, |_| {
            aws_sdk_sagemaker::types::EndpointStatus::Updating
        });
    let mut app = f.app(&[]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
    let later = now() + Duration::seconds(30);
    let err = app
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"), later)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.EndpointNotReady", "{err}");
    let kept = f.moto.lease_item(&f.endpoint, VARIANT).await.unwrap();
    assert_eq!(kept, Some((names, record)));
}

/// A sweep that finds an endpoint with holds being updated leaves it for the next sweep, and
/// says so in `left`, instead of passing over it in silence.
#[tokio::test]
async fn a_sweep_leaves_an_endpoint_that_is_updating_and_says_so() {
    let f = Fixture::new().await;
    let hold = integration_tests::expired_hold(4, now());
    let key = hold_key(VARIANT, &alarm_reason(VARIANT, &f.alarm_name()));
    let tags = vec![
        (key, hold.encode()),
        (baseline_key(VARIANT), "2".to_owned()),
    ];
    let (sagemaker, _, delete_tags) = integration_tests::mocks::sagemaker_with_tags(
        &f.endpoint,
        VARIANT,
        |_| aws_sdk_sagemaker::types::EndpointStatus::Updating,
        tags,
    );
    let mut app = f.app(&[("ALLOWED_ENDPOINTS", f.endpoint.as_str())]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
    let swept = app
        .handle(f.event("eventbridge-scheduled-sweep.json"), now())
        .await
        .unwrap();
    assert_eq!(swept.left, std::slice::from_ref(&f.endpoint), "{swept:?}");
    assert_eq!(swept.swept.as_deref().map(<[_]>::len), Some(0), "{swept:?}");
    assert_eq!(delete_tags.num_calls(), 0);
}

/// A deployment that renames an endpoint's variants leaves this project's tags of the old
/// ones: the sweep removes them (they would count against the endpoint's 50 tags for good),
/// publishes the removal, and leaves every other tag and the capacity alone.
#[tokio::test]
async fn a_sweep_removes_the_tags_of_a_variant_the_endpoint_no_longer_has() {
    let f = Fixture::new().await;
    let hold = integration_tests::expired_hold(4, now()).encode();
    let old = [
        ("remediation:Blue:baseline", "2"),
        ("remediation:Blue:hold:alarm.latency", hold.as_str()),
    ];
    f.moto
        .put_tags(
            &f.endpoint,
            &[old[0], old[1], ("team", "ml"), ("remediation:owner", "ml")],
        )
        .await
        .unwrap();
    // Only this test's endpoint: a sweep of `ranker-*` would take the leases of the tests
    // running beside it.
    let swept = f
        .app(&[("ALLOWED_ENDPOINTS", f.endpoint.as_str())])
        .handle(f.event("eventbridge-scheduled-sweep.json"), now())
        .await
        .unwrap();
    assert!(swept.left.is_empty(), "{swept:?}");
    let tags = f.tags().await;
    assert!(!tags.keys().any(|k| k.contains(":Blue:")), "{tags:?}");
    assert_eq!(tags.get("team").map(String::as_str), Some("ml"));
    // Not one of this project's shapes: someone else's tag, left alone.
    assert_eq!(
        tags.get("remediation:owner").map(String::as_str),
        Some("ml")
    );
    assert_eq!(f.min().await, 2);
    let messages = f.published().await;
    let removal = messages
        .iter()
        .find(|m| m.message.contains("variant Blue is no longer on endpoint"))
        .unwrap_or_else(|| panic!("{messages:?}"));
    for said in ["2 tag(s) removed", "variants were renamed or removed"] {
        assert!(removal.message.contains(said), "{}", removal.message);
    }
    assert_eq!(removal.attributes["variant"], "Blue");
}

/// With ALLOWED_ENDPOINTS empty the sweep touches nothing, and says which variable to set.
#[tokio::test]
async fn a_sweep_with_an_empty_allowlist_names_the_variable() {
    let f = Fixture::new().await;
    let app = f.app(&[("ALLOWED_ENDPOINTS", "")]);
    let err = app
        .handle(f.event("eventbridge-scheduled-sweep.json"), now())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.Refused", "{err}");
    assert!(
        err.to_string()
            .contains("ALLOWED_ENDPOINTS is empty, so the sweep changes no endpoint"),
        "{err}"
    );
}

/// The built binary, polled by cargo-lambda's Runtime API emulator and invoked with
/// `cargo lambda invoke`, exactly as `make demo` runs it.
#[tokio::test]
async fn binary_under_the_lambda_runtime_emulator() {
    let f = Fixture::new().await;
    let mut runtime = LocalRuntime::start(
        &function_binary("scale-on-latency"),
        &[
            ("ALLOWED_ENDPOINTS", f.endpoint.clone()),
            ("NOTIFY_TOPIC_ARN", f.inbox.topic_arn.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
        ],
    )
    .await
    .unwrap();
    let raised = runtime
        .invoke(&f.event("cloudwatch-alarm-latency-sns.json"))
        .await
        .unwrap();
    assert_eq!(
        raised["alarms"][0]["results"][0]["action"], "raised",
        "{raised}"
    );
    assert_eq!(raised["alarms"][0]["results"][0]["new_min"], 4, "{raised}");
    assert_eq!(f.min().await, 4);

    let refused = runtime
        .invoke(&json!({"detail-type": "Unknown"}))
        .await
        .unwrap();
    let error = refused["error"].as_str().unwrap_or_default();
    assert!(error.contains("NonRetryable.InvalidEvent"), "{refused}");

    let restored = runtime
        .invoke(&f.event("cloudwatch-alarm-latency-ok-sns.json"))
        .await
        .unwrap();
    assert_eq!(
        restored["alarms"][0]["results"][0]["action"], "restored",
        "{restored}"
    );
    assert_eq!(f.min().await, 2);
    assert_eq!(f.published().await.len(), 2);
    runtime.stop().await;
}

#[tokio::test]
async fn scheduled_sweep_releases_expired_holds_on_allowed_endpoints_only() {
    let f = Fixture::new().await;
    let other = Fixture::new().await;
    let t0 = now();
    // Both endpoints were raised and lost their OK event.
    for fixture in [&f, &other] {
        fixture
            .app(&[("SCALE_HOLD_SECONDS", "3600")])
            .handle(
                fixture.event("cloudwatch-alarm-latency-eventbridge.json"),
                t0,
            )
            .await
            .unwrap();
        assert_eq!(fixture.min().await, 4);
    }
    let sweep = sample_event("eventbridge-scheduled-sweep.json", &f.endpoint);
    let app = f.app(&[("ALLOWED_ENDPOINTS", f.endpoint.as_str())]);

    // Before expiry the sweep leaves the live hold alone.
    let summary = app
        .handle(sweep.clone(), t0 + Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(summary.swept.as_deref(), Some(&[][..]));
    assert_eq!(f.min().await, 4);

    let summary = app.handle(sweep, t0 + Duration::hours(2)).await.unwrap();
    let swept = summary.swept.unwrap();
    assert_eq!(swept.len(), 1, "{swept:?}");
    assert_eq!(
        (
            swept[0].endpoint.as_str(),
            swept[0].action.as_str(),
            swept[0].new_min
        ),
        (f.endpoint.as_str(), "restored", Some(2))
    );
    assert_eq!(f.min().await, 2);
    assert!(f.tags().await.is_empty());
    let messages = f.published().await;
    let last = messages.last().unwrap();
    assert_eq!(
        last.subject,
        format!("Restored {}/AllTraffic MinCapacity 4 -> 2", f.endpoint)
    );
    assert!(last.message.contains("scheduled sweep"), "{}", last.message);
    // The endpoint outside the allowlist keeps its (expired) hold and capacity.
    assert_eq!(other.min().await, 4);
    assert!(!other.tags().await.is_empty());
}

/// #21: a sweep runs every 15 minutes; a variant it cannot act on (its scalable target was
/// deregistered under a hold) is refused and announced once, not on every sweep, and
/// announced again when the refusal changes (here: it is resolved, and the hold given back).
#[tokio::test]
async fn a_sweep_announces_a_repeated_refusal_once() {
    use remediation::holds::{alarm_reason, baseline_key, hold_key};
    let moto = Moto::connect().await;
    let bare = unique("ranker");
    moto.create_endpoint(&bare, &[VARIANT]).await.unwrap();
    let hold = integration_tests::expired_hold(4, now());
    let hold_tag = hold_key(VARIANT, &alarm_reason(VARIANT, "latency"));
    moto.put_tags(
        &bare,
        &[
            (baseline_key(VARIANT).as_str(), "2"),
            (hold_tag.as_str(), hold.encode().as_str()),
        ],
    )
    .await
    .unwrap();
    let f = Fixture::new().await;
    let app = f.app(&[("ALLOWED_ENDPOINTS", bare.as_str())]);
    let sweep = sample_event("eventbridge-scheduled-sweep.json", &bare);
    for (minute, announced) in [(0, 1), (15, 0), (30, 0)] {
        let summary = app
            .handle(sweep.clone(), now() + Duration::minutes(minute))
            .await
            .unwrap();
        let swept = summary.swept.unwrap();
        assert_eq!(swept.len(), 1, "{swept:?}");
        assert_eq!(
            swept[0].action.as_str(),
            "refused",
            "every sweep reports it"
        );
        assert!(swept[0].reason.contains("no scalable target"), "{swept:?}");
        let published = f.published().await;
        assert_eq!(published.len(), announced, "sweep at +{minute} min");
    }
    moto.register_target(&bare, VARIANT, 4, 20).await.unwrap();
    let summary = app
        .handle(sweep, now() + Duration::minutes(45))
        .await
        .unwrap();
    assert_eq!(summary.swept.unwrap()[0].action.as_str(), "restored");
    let published = f.published().await;
    assert_eq!(published.len(), 1);
    assert!(
        published[0].subject.starts_with("Restored"),
        "{}",
        published[0].subject
    );
    assert_eq!(moto.capacity(&bare, VARIANT).await.unwrap().0, 2);
}

/// A composite alarm whose suppressor (a maintenance window) fires: EventBridge still delivers
/// the ALARM, CloudWatch withholds the alarm's actions, and so does this function.
#[tokio::test]
async fn a_suppressed_alarm_changes_nothing_and_says_which_suppressor() {
    let f = Fixture::new().await;
    let event = f.event("cloudwatch-alarm-composite-suppressed-eventbridge.json");
    let name = event["detail"]["alarmName"].as_str().unwrap().to_owned();
    f.moto
        .tagged_alarm(
            &name,
            &[
                ("EndpointName", f.endpoint.as_str()),
                ("VariantName", VARIANT),
            ],
        )
        .await
        .unwrap();
    let before = f.state().await;
    let summary = f.app(&[]).handle(event, now()).await.unwrap();
    let result = only_result(&summary);
    assert_eq!(result.action.as_str(), "unchanged", "{result:?}");
    assert!(
        result.reason.contains("(Alarm, suppressor alarm ")
            && result.reason.contains("-maintenance-window)"),
        "{}",
        result.reason
    );
    assert_eq!(f.state().await, before);
    let messages = f.published().await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]
            .message
            .contains("maintenance-window is in ALARM state"),
        "{}",
        messages[0].message
    );
}
