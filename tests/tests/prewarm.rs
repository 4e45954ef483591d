//! prewarm against a moto server over HTTP: the handler with real SDK clients, and the built
//! binary under cargo-lambda's Runtime API emulator.
//!
//! The handler takes the time as an argument, so most tests run at a fixed `NOW` (the raise
//! time of the worked example) and stay valid whatever the date.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTargetAction, ServiceNamespace,
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use integration_tests::proxy::FaultProxy;
use integration_tests::{
    function_binary, sample_event, unique, EndpointFixture, LocalRuntime, Moto, LOCK_TABLE,
};
use prewarm::{App, Config, Summary};
use remediation::entry::Handler;
use remediation::holds::{baseline_key, event_reason, hold_key, Hold};
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";
/// 2030-11-29 17:45 in New York: fifteen minutes before the sample calendar's promotion starts.
const NOW: &str = "2030-11-29T22:45:00Z";
/// A time before the 2027 events of the raise_max calendar below.
const BEFORE_2027: &str = "2026-12-04T22:45:00Z";

/// An RFC 3339 time as UTC.
fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    utc(NOW)
}

fn before_2027() -> DateTime<Utc> {
    utc(BEFORE_2027)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// (name, schedule, timezone, min, max) of one scheduled action.
type Row = (String, String, Option<String>, Option<i32>, Option<i32>);

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

    /// The handler, allowed to touch this fixture's endpoint only (calendar syncs delete stale
    /// actions on allowed endpoints, and tests run in parallel on one moto server).
    fn app(&self, vars: &[(&str, &str)]) -> App {
        let env = self.env(&self.endpoint, vars);
        App::new(
            &self.moto.sdk,
            Config::from_lookup(&|name| env.get(name).cloned()).unwrap(),
        )
    }

    fn event(&self, file: &str) -> Value {
        sample_event(file, &self.endpoint)
    }

    /// The worked calendar example of docs/prewarm.md (a one-off promotion on 2030-11-29 and a
    /// monthly game night), synced at this file's fixed clock.
    fn calendar_2030(&self) -> Value {
        integration_tests::fixture_event("sync-calendar-2030.json", &self.endpoint)
    }

    async fn capacity(&self) -> (i32, i32) {
        self.moto.capacity(&self.endpoint, VARIANT).await.unwrap()
    }

    async fn tags(&self) -> BTreeMap<String, String> {
        self.moto.tags(&self.endpoint).await.unwrap()
    }

    async fn published(&self) -> Vec<integration_tests::Published> {
        self.moto.published(&self.inbox).await.unwrap()
    }

    fn resource_id(&self) -> String {
        format!("endpoint/{}/variant/{VARIANT}", self.endpoint)
    }

    /// Scheduled actions on this fixture's variant, sorted by name.
    async fn schedules(&self) -> Vec<Row> {
        schedules_of(&self.moto, &self.resource_id()).await
    }

    /// (name, StartTime) of the scheduled actions on this fixture's variant, sorted by name.
    async fn start_times(&self) -> Vec<(String, Option<String>)> {
        let out = self
            .moto
            .autoscaling
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(self.resource_id())
            .send()
            .await
            .unwrap();
        let mut rows: Vec<(String, Option<String>)> = out
            .scheduled_actions()
            .iter()
            .map(|a| {
                let start = a.start_time().map(|t| {
                    rfc3339(DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap())
                });
                (a.scheduled_action_name().to_owned(), start)
            })
            .collect();
        rows.sort();
        rows
    }

    /// Everything a refused or bad request must leave alone.
    async fn state(&self) -> ((i32, i32), BTreeMap<String, String>, Vec<Row>) {
        (
            self.capacity().await,
            self.tags().await,
            self.schedules().await,
        )
    }

    async fn foreign_action(&self, resource_id: &str, name: &str) {
        self.moto
            .autoscaling
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .scheduled_action_name(name)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .schedule("cron(0 2 * * ? *)")
            .timezone("UTC")
            .scalable_target_action(ScalableTargetAction::builder().min_capacity(1).build())
            .send()
            .await
            .unwrap();
    }
}

async fn schedules_of(moto: &Moto, resource_id: &str) -> Vec<Row> {
    let out = moto
        .autoscaling
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource_id)
        .send()
        .await
        .unwrap();
    let mut rows: Vec<Row> = out
        .scheduled_actions()
        .iter()
        .map(|a| {
            let target = a.scalable_target_action();
            (
                a.scheduled_action_name().to_owned(),
                a.schedule().to_owned(),
                a.timezone().map(str::to_owned),
                target.and_then(|t| t.min_capacity()),
                target.and_then(|t| t.max_capacity()),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row(name: &str, schedule: &str, zone: &str, min: i32, max: Option<i32>) -> Row {
    (
        name.to_owned(),
        schedule.to_owned(),
        Some(zone.to_owned()),
        Some(min),
        max,
    )
}

fn only_result(summary: &Summary) -> &remediation::audit::Outcome {
    assert_eq!(summary.results.len(), 1, "{summary:?}");
    &summary.results[0]
}

fn sync(calendar: Value) -> Value {
    json!({"action": "sync-calendar", "calendar": calendar})
}

fn entry(endpoint: &str, name: &str, start: &str, end: &str, zone: &str, lead: u32) -> Value {
    json!({"name": name, "endpoint": endpoint, "variant": VARIANT, "start": start, "end": end,
           "timezone": zone, "lead_minutes": lead, "min_capacity": 10})
}

#[tokio::test]
async fn worked_example_raise_verify_restore() {
    let f = Fixture::new().await;
    let app = f.app(&[]);

    let raised = app
        .handle(f.event("prewarm-raise.json"), now())
        .await
        .unwrap();
    assert_eq!(raised.action, "raise");
    let r = only_result(&raised);
    assert_eq!(
        (r.action.as_str(), r.old_min, r.new_min),
        ("raised", Some(2), Some(10)),
        "{r:?}"
    );
    assert_eq!(f.capacity().await, (10, 20));
    let tags = f.tags().await;
    assert_eq!(tags["remediation:AllTraffic:baseline"], "2");
    assert!(
        tags["remediation:AllTraffic:hold:event.promo"]
            .starts_with("min=10 until=2030-11-30T01:00:00Z since=2030-11-29T22:45:00Z"),
        "{tags:?}"
    );

    // moto does not start instances: the endpoint still runs 2, so it is not ready for 10.
    let verified = app
        .handle(
            f.event("prewarm-verify.json"),
            now() + Duration::minutes(15),
        )
        .await
        .unwrap();
    let readiness = verified.readiness.as_ref().unwrap();
    assert_eq!((readiness.verdict, readiness.ready), ("NOT READY", false));
    let v = &readiness.variants[0];
    assert_eq!(
        (v.current_instances, v.required, v.min_capacity),
        (Some(2), 10, Some(10)),
        "{v:?}"
    );
    let json = serde_json::to_value(&verified).unwrap();
    assert_eq!(json["readiness"]["verdict"], "NOT READY", "{json}");
    assert_eq!(json["readiness"]["variants"][0]["current_instances"], 2);

    let restored = app
        .handle(f.event("prewarm-restore.json"), now() + Duration::hours(2))
        .await
        .unwrap();
    let r = only_result(&restored);
    assert_eq!(
        (r.action.as_str(), r.old_min, r.new_min),
        ("restored", Some(10), Some(2))
    );
    assert_eq!(f.capacity().await, (2, 20));
    assert!(f.tags().await.is_empty(), "tags left behind");
    check_worked_example_messages(&f).await;
}

/// Reads the worked example's audit messages and checks them: raised, not ready, restored.
async fn check_worked_example_messages(f: &Fixture) {
    let messages = f.published().await;
    let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        vec![
            format!("Raised {}/AllTraffic MinCapacity 2 -> 10", f.endpoint).as_str(),
            format!(
                "NOT READY: {} for promo (AllTraffic 2/10 instances)",
                f.endpoint
            )
            .as_str(),
            format!("Restored {}/AllTraffic MinCapacity 10 -> 2", f.endpoint).as_str(),
        ]
    );
    assert!(
        messages[0].message.contains("Event: promo"),
        "{}",
        messages[0].message
    );
    assert!(
        messages[1]
            .message
            .contains("AllTraffic: current 2 instances, desired 2, required 10"),
        "{}",
        messages[1].message
    );
    assert_eq!(
        messages[1].attributes.get("readiness").map(String::as_str),
        Some("NOT_READY")
    );
}

#[tokio::test]
async fn a_repeated_raise_changes_nothing_and_pages_once() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    app.handle(f.event("prewarm-raise.json"), now())
        .await
        .unwrap();
    let after_first = f.state().await;
    let again = app
        .handle(f.event("prewarm-raise.json"), now() + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(only_result(&again).action.as_str(), "unchanged");
    assert_eq!(f.state().await, after_first);
    assert_eq!(f.published().await.len(), 1);
}

#[tokio::test]
async fn above_max_capacity_is_capped_unless_raise_max() {
    let f = Fixture::with_capacity(2, 8).await;
    let summary = f
        .app(&[])
        .handle(f.event("prewarm-raise.json"), now())
        .await
        .unwrap();
    let r = only_result(&summary);
    assert_eq!((r.new_min, r.new_max), (Some(8), None));
    assert!(r.reason.contains("capped at MaxCapacity=8"), "{}", r.reason);
    assert_eq!(f.capacity().await, (8, 8));
    let messages = f.published().await;
    assert!(
        messages[0].message.contains("set raise_max"),
        "{}",
        messages[0].message
    );

    let f = Fixture::with_capacity(2, 8).await;
    let mut event = f.event("prewarm-raise.json");
    event["raise_max"] = json!(true);
    let summary = f.app(&[]).handle(event, now()).await.unwrap();
    let r = only_result(&summary);
    assert_eq!(
        (r.action.as_str(), r.new_min, r.new_max),
        ("raised", Some(10), Some(10))
    );
    assert_eq!(f.capacity().await, (10, 10));
    let messages = f.published().await;
    assert!(
        messages[0].message.contains("MaxCapacity: raised to 10"),
        "{}",
        messages[0].message
    );
    // Restore brings MinCapacity back; the raised MaxCapacity stays (it costs nothing).
    f.app(&[])
        .handle(f.event("prewarm-restore.json"), now())
        .await
        .unwrap();
    assert_eq!(f.capacity().await, (2, 10));
}

#[tokio::test]
async fn restore_keeps_a_live_latency_hold_and_not_an_expired_one() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    app.handle(f.event("prewarm-raise.json"), now())
        .await
        .unwrap();
    // A latency alarm fires during the promotion: scale-on-latency adds its own hold on top.
    let mut latency_env = HashMap::from([
        ("ALLOWED_ENDPOINTS".to_owned(), f.endpoint.clone()),
        ("SCALE_HOLD_SECONDS".to_owned(), "3600".to_owned()),
        ("LOCK_TABLE".to_owned(), LOCK_TABLE.to_owned()),
    ]);
    latency_env.insert("SCALE_COOLDOWN_SECONDS".to_owned(), "0".to_owned());
    let latency = scale_on_latency::App::new(
        &f.moto.sdk,
        scale_on_latency::Config::from_lookup(&|n| latency_env.get(n).cloned()).unwrap(),
    );
    latency
        .handle(
            sample_event("cloudwatch-alarm-latency-eventbridge.json", &f.endpoint),
            now() + Duration::minutes(30),
        )
        .await
        .unwrap();
    assert_eq!(f.capacity().await.0, 12);

    // The promotion ends while the alarm still fires: the latency hold keeps 12.
    let restored = app
        .handle(
            f.event("prewarm-restore.json"),
            now() + Duration::minutes(45),
        )
        .await
        .unwrap();
    let r = only_result(&restored);
    assert_eq!(r.new_min, Some(12), "{r:?}");
    assert!(r.reason.contains("alarm."), "{}", r.reason);
    assert_eq!(f.capacity().await.0, 12);
    let tags = f.tags().await;
    assert!(
        !tags.contains_key("remediation:AllTraffic:hold:event.promo"),
        "{tags:?}"
    );
    assert_eq!(tags["remediation:AllTraffic:baseline"], "2");
    assert!(tags.keys().any(|k| k.contains(":hold:alarm.")), "{tags:?}");

    // Same again, but the latency hold expired (its OK was lost): back to the baseline.
    let f = Fixture::new().await;
    let app = f.app(&[]);
    app.handle(f.event("prewarm-raise.json"), now())
        .await
        .unwrap();
    let stale = format!(
        "min=12 until={} since={}",
        rfc3339(now() - Duration::minutes(1)),
        rfc3339(now() - Duration::hours(3))
    );
    f.moto
        .put_tags(
            &f.endpoint,
            &[("remediation:AllTraffic:hold:alarm.old", &stale)],
        )
        .await
        .unwrap();
    let restored = app
        .handle(f.event("prewarm-restore.json"), now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(only_result(&restored).new_min, Some(2));
    assert_eq!(f.capacity().await.0, 2);
    assert!(f.tags().await.is_empty(), "{:?}", f.tags().await);
}

/// DescribeEndpoint's status for its `n`th call: `Updating` twice, then `InService`.
fn updating_twice(n: usize) -> aws_sdk_sagemaker::types::EndpointStatus {
    use aws_sdk_sagemaker::types::EndpointStatus;
    match n < 2 {
        true => EndpointStatus::Updating,
        false => EndpointStatus::InService,
    }
}

/// #20: a pre-warm that meets an endpoint being updated waits for it while a decision still
/// fits in the invocation, then raises and says how long it waited; without that time left it
/// fails at once with `Retryable.EndpointNotReady` and writes nothing.
#[tokio::test]
async fn a_raise_waits_for_an_endpoint_update_while_the_invocation_has_time() {
    let f = Fixture::new().await;
    let (sagemaker, describe) =
        integration_tests::mocks::sagemaker_with_status(&f.endpoint, VARIANT, updating_twice);
    let mut app = f.app(&[]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker.clone());
    app.ready_poll = std::time::Duration::from_millis(20);
    let raise = f.event("prewarm-raise.json");
    let summary = app
        .handle_until(
            raise.clone(),
            now(),
            Some(Utc::now() + Duration::seconds(300)),
        )
        .await
        .unwrap();
    assert_eq!(only_result(&summary).new_min, Some(10));
    let waited = summary.waited.as_deref().unwrap_or_default();
    assert!(waited.contains("(3 checks)"), "{waited}");
    assert_eq!(describe.num_calls(), 3);
    assert_eq!(f.capacity().await.0, 10);
    let message = &f.published().await[0];
    assert!(message.message.contains("Waited: "), "{}", message.message);

    // Less time left than a decision needs after one more check: no wait, no write.
    let g = Fixture::new().await;
    let (sagemaker, describe) =
        integration_tests::mocks::sagemaker_with_status(&g.endpoint, VARIANT, updating_twice);
    let mut app = g.app(&[]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
    let err = app
        .handle_until(
            g.event("prewarm-raise.json"),
            now(),
            Some(Utc::now() + Duration::seconds(90)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.EndpointNotReady", "{err}");
    assert_eq!(describe.num_calls(), 1);
    assert_eq!(g.capacity().await.0, 2);
}

/// A raise that names its variant takes the variant's lease beside its first DescribeEndpoint;
/// one that then finds the endpoint updating gives the lease back before it waits, so no other
/// decision on the variant waits behind a pre-warm waiting for its endpoint.
#[tokio::test]
async fn a_raise_waits_for_its_endpoint_without_holding_the_lease() {
    let f = Fixture::new().await;
    let (sagemaker, describe) =
        integration_tests::mocks::sagemaker_with_status(&f.endpoint, VARIANT, updating_twice);
    let mut app = f.app(&[]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
    app.ready_poll = std::time::Duration::from_millis(300);
    let deadline = Some(Utc::now() + Duration::seconds(300));
    let raise = app.handle_until(f.event("prewarm-raise.json"), now(), deadline);
    // Between the second check and the third, the raise is only waiting. A read still out when
    // the third check starts may be answered after the lease is taken again beside it: only
    // reads answered before the third check count.
    let watch = async {
        let mut seen = Vec::new();
        while describe.num_calls() < 3 {
            if describe.num_calls() == 2 {
                let item = f.moto.lease_item(&f.endpoint, VARIANT).await.unwrap();
                if describe.num_calls() == 2 {
                    seen.push(item);
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        seen
    };
    let (summary, seen) = tokio::join!(raise, watch);
    assert_eq!(only_result(&summary.unwrap()).new_min, Some(10));
    assert!(!seen.is_empty(), "the wait was never watched");
    assert!(
        seen.iter()
            .flatten()
            .all(|(names, _)| !names.iter().any(|n| n == "lease_owner")),
        "the lease was held while waiting: {seen:?}"
    );
    assert_eq!(f.capacity().await.0, 10);
}

/// A raise that waited for its endpoint decides at the time it decides, not at the time it
/// was invoked: a hold that expired while it waited is an expired hold, and goes.
#[tokio::test]
async fn a_raise_that_waited_for_its_endpoint_decides_at_the_time_it_decides() {
    let f = Fixture::new().await;
    let invoked = Utc::now();
    let launch = Hold {
        min: 3,
        until: invoked + Duration::seconds(1),
        since: invoked,
        trigger: None,
        raise_max: false,
    };
    let key = hold_key(VARIANT, &event_reason(VARIANT, "launch"));
    let tags = vec![
        (key.clone(), launch.encode()),
        (baseline_key(VARIANT), "2".to_owned()),
    ];
    let (sagemaker, _, delete_tags) =
        integration_tests::mocks::sagemaker_with_tags(&f.endpoint, VARIANT, updating_twice, tags);
    let mut app = f.app(&[]);
    app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
    // Two checks a second apart: the raise decides two seconds after it was invoked.
    app.ready_poll = std::time::Duration::from_secs(1);
    let deadline = Some(Utc::now() + Duration::seconds(300));
    let raise = app.handle_until(f.event("prewarm-raise.json"), invoked, deadline);
    let summary = raise.await.unwrap();
    assert!(summary.waited.is_some(), "{summary:?}");
    assert_eq!(only_result(&summary).new_min, Some(10));
    assert_eq!(
        delete_tags.num_calls(),
        1,
        "the hold of launch, expired during the wait, is removed"
    );
}

/// An end from a schedule waits for its endpoint only while it would still be on time (15
/// minutes after it came due): one that would be decided later could meet the variant's next
/// event, so it stops waiting with `Retryable.EndpointNotReady` and writes nothing.
#[tokio::test]
async fn an_end_waits_for_its_endpoint_only_while_it_is_on_time() {
    for (late_minutes, waits) in [(1, true), (14, false)] {
        let f = Fixture::new().await;
        let (sagemaker, describe) =
            integration_tests::mocks::sagemaker_with_status(&f.endpoint, VARIANT, updating_twice);
        let mut app = f.app(&[]);
        app.path.store = app.path.store.clone().with_sagemaker(sagemaker);
        app.ready_poll = std::time::Duration::from_millis(20);
        let mut end = f.event("prewarm-end.json");
        let due = Utc::now() - Duration::minutes(late_minutes);
        end["scheduled_time"] = json!(rfc3339(due));
        let deadline = Some(Utc::now() + Duration::seconds(300));
        let decided = app.handle_until(end, Utc::now(), deadline).await;
        match waits {
            true => {
                let summary = decided.unwrap();
                let waited = summary.waited.as_deref().unwrap_or_default();
                assert!(waited.contains("(3 checks)"), "{waited}");
            }
            false => {
                let err = decided.unwrap_err();
                assert_eq!(err.error_type(), "Retryable.EndpointNotReady", "{err}");
                assert_eq!(describe.num_calls(), 1, "no wait");
            }
        }
    }
}

#[tokio::test]
async fn no_variant_means_every_production_variant() {
    let f = Fixture(EndpointFixture::new("ranker", &["blue", "green"], 2, 20).await);
    f.moto
        .register_target(&f.endpoint, "green", 3, 20)
        .await
        .unwrap();
    let mut event = f.event("prewarm-raise.json");
    event.as_object_mut().unwrap().remove("variant");
    let summary = f.app(&[]).handle(event, now()).await.unwrap();
    let got: Vec<_> = summary
        .results
        .iter()
        .map(|r| (r.variant.clone().unwrap(), r.new_min.unwrap()))
        .collect();
    assert_eq!(got, vec![("blue".to_owned(), 10), ("green".to_owned(), 10)]);
    assert_eq!(f.moto.capacity(&f.endpoint, "green").await.unwrap().0, 10);
}

/// The sample raise with `field` set to `value` (`until` replaces the sample's `for`).
fn raise_with(raise: &Value, field: &str, value: Value) -> Value {
    let mut e = raise.clone();
    if field == "until" {
        // The sample gives `for`; `until` replaces it (one of the two).
        e.as_object_mut().unwrap().remove("for");
    }
    e[field] = value;
    e
}

/// The sample raise without `field`.
fn raise_without(raise: &Value, field: &str) -> Value {
    let mut e = raise.clone();
    e.as_object_mut().unwrap().remove(field);
    e
}

/// Malformed raise events, each with the text its error must contain.
fn bad_raises(raise: &Value) -> Vec<(Value, &'static str)> {
    let with = |field: &str, value: Value| raise_with(raise, field, value);
    let without = |field: &str| raise_without(raise, field);
    vec![
        (
            with("action", json!("scale-up")),
            "action: unknown action \"scale-up\"",
        ),
        (without("action"), "action: missing"),
        (without("endpoint"), "endpoint: missing"),
        (without("min_capacity"), "min_capacity: missing"),
        (without("for"), "until: missing"),
        (
            {
                let mut both = raise.clone();
                both["until"] = json!("2030-11-30T01:00:00Z");
                both
            },
            "until, for: give one of them, not both",
        ),
        (
            with("for", json!("91d")),
            "for: \"91d\" is more than 90 days",
        ),
        (
            with("for", json!("2 hours")),
            "for: \"2 hours\" is not a duration",
        ),
        (
            with("min_capacity", json!(0)),
            "min_capacity: must be at least 1, got 0",
        ),
        (
            with("min_capacity", json!(-4)),
            "min_capacity: must be at least 1, got -4",
        ),
        (
            with("until", json!("2030-11-29T22:00:00Z")),
            "until: 2030-11-29T22:00:00Z is in the past",
        ),
        (
            with("until", json!("<aws.scheduler.scheduled-time>")),
            "until: <aws.scheduler.scheduled-time>",
        ),
    ]
}

/// Calendar syncs with one malformed entry on `endpoint`, each with the text its error must
/// contain.
fn bad_calendars(endpoint: &str) -> Vec<(Value, &'static str)> {
    let calendar_with = |field: &str, value: Value| {
        let mut e = entry(
            endpoint,
            "promo",
            "2030-11-29T18:00",
            "2030-11-29T20:00",
            "America/New_York",
            15,
        );
        e[field] = value;
        sync(json!([e]))
    };
    vec![
        (
            calendar_with("timezone", json!("America/Gotham")),
            "calendar[0].timezone: \"America/Gotham\"",
        ),
        (
            calendar_with("min_capacity", json!(0)),
            "calendar[0].min_capacity: must be at least 1",
        ),
        (
            calendar_with("min_capacity", json!(-1)),
            "calendar[0].min_capacity: must be at least 1",
        ),
        (
            calendar_with("start", json!(null)),
            "calendar[0].start: missing",
        ),
        (
            calendar_with("recurrence", json!("every other tuesday")),
            "calendar[0].recurrence",
        ),
    ]
}

#[tokio::test]
async fn bad_payloads_change_nothing_and_name_the_field() {
    let f = Fixture::new().await;
    f.foreign_action(&f.resource_id(), "prewarm-keep-start")
        .await;
    let app = f.app(&[]);
    let mut cases = bad_raises(&f.event("prewarm-raise.json"));
    cases.extend(bad_calendars(&f.endpoint));
    let before = f.state().await;
    assert_eq!(before.2.len(), 1);
    for (event, expected) in cases {
        let err = app.handle(event.clone(), now()).await.unwrap_err();
        assert_eq!(
            err.error_type(),
            "NonRetryable.InvalidEvent",
            "{event}: {err}"
        );
        assert!(
            err.to_string().contains(expected),
            "{err} should mention {expected}"
        );
    }
    assert_eq!(f.state().await, before);
    assert!(
        f.published().await.is_empty(),
        "a malformed payload is logged, not published"
    );
}

#[tokio::test]
async fn endpoint_outside_the_allowlist_is_refused_and_audited() {
    let f = Fixture::new().await;
    let app = f.app(&[("ALLOWED_ENDPOINTS", "staging-*")]);
    let before = f.state().await;
    for event in [
        f.event("prewarm-raise.json"),
        f.event("prewarm-restore.json"),
        f.calendar_2030(),
    ] {
        let err = app.handle(event, now()).await.unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.Refused", "{err}");
        assert!(err.to_string().contains("ALLOWED_ENDPOINTS"), "{err}");
    }
    assert_eq!(f.state().await, before);
    let messages = f.published().await;
    assert_eq!(messages.len(), 3);
    assert!(messages.iter().all(|m| m.attributes["action"] == "refused"));
}

#[tokio::test]
async fn dry_run_decides_and_publishes_but_writes_nothing() {
    let f = Fixture::new().await;
    let app = f.app(&[("DRY_RUN", "true")]);
    let before = f.state().await;
    let raised = app
        .handle(f.event("prewarm-raise.json"), now())
        .await
        .unwrap();
    assert!(raised.dry_run);
    assert_eq!(only_result(&raised).new_min, Some(10));
    let synced = app.handle(f.calendar_2030(), now()).await.unwrap();
    assert_eq!(synced.calendar.as_ref().unwrap().created.len(), 4);
    assert_eq!(f.state().await, before);
    let messages = f.published().await;
    assert_eq!(messages.len(), 2);
    assert!(
        messages[0].subject.starts_with("[DRY RUN] Raised"),
        "{}",
        messages[0].subject
    );
    assert!(
        messages[1]
            .subject
            .starts_with("[DRY RUN] Calendar synced: 4 created"),
        "{}",
        messages[1].subject
    );
    assert!(messages[1].message.contains("no write call was made"));
}

#[tokio::test]
async fn calendar_sync_creates_scheduled_actions_and_is_idempotent() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    let first = app
        .handle(f.calendar_2030(), now() - Duration::days(7))
        .await
        .unwrap();
    let report = first.calendar.as_ref().unwrap();
    assert_eq!(
        (report.created.len(), report.unchanged),
        (4, 0),
        "{report:?}"
    );
    let expected = vec![
        row(
            "prewarm-game-night-end",
            "cron(0 23 ? * FRI#1 *)",
            "Europe/Berlin",
            2,
            None,
        ),
        row(
            "prewarm-game-night-start",
            "cron(30 19 ? * FRI#1 *)",
            "Europe/Berlin",
            6,
            None,
        ),
        row(
            "prewarm-promo-end",
            "at(2030-11-29T20:00:00)",
            "America/New_York",
            2,
            None,
        ),
        row(
            "prewarm-promo-start",
            "at(2030-11-29T17:45:00)",
            "America/New_York",
            10,
            None,
        ),
    ];
    // moto keeps the Timezone, the schedule and the capacities as given.
    assert_eq!(f.schedules().await, expected);

    // Twice: nothing put, nothing deleted, nothing published.
    let second = app
        .handle(f.calendar_2030(), now() - Duration::days(6))
        .await
        .unwrap();
    let report = second.calendar.as_ref().unwrap();
    assert!(!report.changed(), "{report:?}");
    assert_eq!(report.unchanged, 4);
    assert_eq!(f.schedules().await, expected);

    // Synced again while the promotion runs (MinCapacity is 10 now): the end still restores 2.
    f.moto
        .register_target(&f.endpoint, VARIANT, 10, 20)
        .await
        .unwrap();
    let during = app
        .handle(f.calendar_2030(), now() + Duration::minutes(30))
        .await
        .unwrap();
    assert!(!during.calendar.as_ref().unwrap().changed());
    assert_eq!(f.schedules().await, expected);
    assert_eq!(f.published().await.len(), 1);
}

#[tokio::test]
async fn stale_actions_are_removed_and_foreign_actions_are_never_touched() {
    let f = Fixture::new().await;
    let other = unique("ranker");
    f.moto.create_endpoint(&other, &[VARIANT]).await.unwrap();
    let other_resource = format!("endpoint/{other}/variant/{VARIANT}");
    // Someone else's action on the same variant, and a prewarm action on an endpoint this
    // function is not allowed to touch.
    f.foreign_action(&f.resource_id(), "nightly-scale-in").await;
    f.foreign_action(&other_resource, "prewarm-elsewhere-start")
        .await;
    let app = f.app(&[]);
    let at = now() - Duration::days(7);
    app.handle(f.calendar_2030(), at).await.unwrap();
    assert_eq!(f.schedules().await.len(), 5);

    // game-night is removed from the calendar: its two actions go, nothing else.
    let mut smaller = f.calendar_2030();
    smaller["calendar"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["name"] == "promo");
    let summary = app.handle(smaller.clone(), at).await.unwrap();
    let report = summary.calendar.unwrap();
    let mut deleted: Vec<&str> = report.deleted.iter().map(|a| a.name.as_str()).collect();
    deleted.sort();
    assert_eq!(
        deleted,
        vec!["prewarm-game-night-end", "prewarm-game-night-start"]
    );
    let names: Vec<String> = f.schedules().await.into_iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        vec![
            "nightly-scale-in",
            "prewarm-promo-end",
            "prewarm-promo-start"
        ]
    );

    // After the promotion, the one-off entry is over: its actions are removed as well.
    let summary = app
        .handle(smaller, now() + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!(summary.calendar.unwrap().expired, vec!["promo".to_owned()]);
    let names: Vec<String> = f.schedules().await.into_iter().map(|r| r.0).collect();
    assert_eq!(names, vec!["nightly-scale-in"]);
    let elsewhere = schedules_of(&f.moto, &other_resource).await;
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(elsewhere[0].0, "prewarm-elsewhere-start");
    let messages = f.published().await;
    assert!(
        messages[1]
            .message
            .contains("deleted: prewarm-game-night-end"),
        "{}",
        messages[1].message
    );
}

/// Before the spring changes of 2027: the time the spring calendar is synced.
const SPRING: &str = "2027-01-10T12:00:00Z";

/// Syncs, at `SPRING`, one entry just after the spring change in New York and one in Berlin.
async fn sync_spring_entries(f: &Fixture) {
    let e = &f.endpoint;
    let calendar = json!([
        entry(
            e,
            "ny-spring",
            "2027-03-14T03:10",
            "2027-03-14T05:10",
            "America/New_York",
            15
        ),
        entry(
            e,
            "berlin-spring",
            "2027-03-28T03:10",
            "2027-03-28T05:10",
            "Europe/Berlin",
            15
        ),
    ]);
    f.app(&[])
        .handle(sync(calendar), utc(SPRING))
        .await
        .unwrap();
}

/// Clocks go forward at 02:00 on 2027-03-14 in New York and on 2027-03-28 in Berlin: fifteen
/// minutes before 03:10 is 01:55 local. A start inside the skipped hour does not exist.
#[tokio::test]
async fn daylight_saving_spring_forward_in_new_york_and_berlin() {
    let f = Fixture::new().await;
    sync_spring_entries(&f).await;
    assert_eq!(
        f.schedules().await,
        vec![
            row(
                "prewarm-berlin-spring-end",
                "at(2027-03-28T05:10:00)",
                "Europe/Berlin",
                2,
                None
            ),
            row(
                "prewarm-berlin-spring-start",
                "at(2027-03-28T01:55:00)",
                "Europe/Berlin",
                10,
                None
            ),
            row(
                "prewarm-ny-spring-end",
                "at(2027-03-14T05:10:00)",
                "America/New_York",
                2,
                None
            ),
            row(
                "prewarm-ny-spring-start",
                "at(2027-03-14T01:55:00)",
                "America/New_York",
                10,
                None
            ),
        ]
    );
    // A start inside the skipped hour does not exist: refused, nothing written.
    let before = f.state().await;
    let err = f
        .app(&[])
        .handle(
            sync(json!([entry(
                &f.endpoint,
                "gap",
                "2027-03-14T02:30",
                "2027-03-14T04:00",
                "America/New_York",
                0
            )])),
            utc(SPRING),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
    assert!(
        err.to_string()
            .contains("calendar[0].start: 2027-03-14T02:30 does not exist"),
        "{err}"
    );
    assert_eq!(f.state().await, before);
}

/// Clocks go back on 2027-10-31 in Berlin: 90 minutes before 03:10 is 02:40 summer time, a
/// local time that happens twice, so it is written in UTC. A calendar schedules at most 90
/// days ahead, so it is synced after the spring one, whose actions are over and removed.
#[tokio::test]
async fn daylight_saving_fall_back_in_berlin() {
    let f = Fixture::new().await;
    sync_spring_entries(&f).await;
    let mut fall_back = entry(
        &f.endpoint,
        "berlin-fall",
        "2027-10-31T03:10",
        "2027-10-31T05:00",
        "Europe/Berlin",
        90,
    );
    fall_back["min_capacity"] = json!(4);
    f.app(&[])
        .handle(sync(json!([fall_back])), utc("2027-09-01T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        f.schedules().await,
        vec![
            row(
                "prewarm-berlin-fall-end",
                "at(2027-10-31T05:00:00)",
                "Europe/Berlin",
                2,
                None
            ),
            row(
                "prewarm-berlin-fall-start",
                "at(2027-10-31T00:40:00)",
                "Etc/UTC",
                4,
                None
            ),
        ]
    );
}

/// A monthly entry whose first event is 2027-06-04 must not run on the first Fridays before
/// it: both cron actions carry a StartTime (midnight in New York on the day each first runs),
/// moto keeps it, and a second sync finds nothing to change. A one-off action has none.
#[tokio::test]
async fn recurring_actions_carry_their_start_time() {
    let f = Fixture::new().await;
    let mut launch = entry(
        &f.endpoint,
        "launch",
        "2027-06-04T18:00",
        "2027-06-04T20:00",
        "America/New_York",
        15,
    );
    launch["recurrence"] = json!("monthly:first-friday");
    let once = entry(
        &f.endpoint,
        "promo",
        "2027-05-20T18:00",
        "2027-05-20T20:00",
        "America/New_York",
        15,
    );
    let calendar = sync(json!([launch, once]));
    let at = DateTime::parse_from_rfc3339("2027-04-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let app = f.app(&[]);
    let first = app.handle(calendar.clone(), at).await.unwrap();
    assert_eq!(first.calendar.unwrap().created.len(), 4);
    let midnight = Some("2027-06-04T04:00:00Z".to_owned());
    assert_eq!(
        f.start_times().await,
        vec![
            ("prewarm-launch-end".to_owned(), midnight.clone()),
            ("prewarm-launch-start".to_owned(), midnight),
            ("prewarm-promo-end".to_owned(), None),
            ("prewarm-promo-start".to_owned(), None),
        ]
    );
    let schedules: Vec<String> = f.schedules().await.into_iter().map(|r| r.1).collect();
    assert_eq!(
        schedules,
        vec![
            "cron(0 20 ? * FRI#1 *)",
            "cron(45 17 ? * FRI#1 *)",
            "at(2027-05-20T20:00:00)",
            "at(2027-05-20T17:45:00)",
        ]
    );
    let second = app
        .handle(calendar, at + Duration::days(1))
        .await
        .unwrap()
        .calendar
        .unwrap();
    assert_eq!(
        (second.changed(), second.unchanged),
        (false, 4),
        "{second:?}"
    );
    let messages = f.published().await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]
            .message
            .contains("created: prewarm-launch-start on ")
            && messages[0]
                .message
                .contains("cron(45 17 ? * FRI#1 *) America/New_York from 2027-06-04T04:00:00Z"),
        "{}",
        messages[0].message
    );
}

/// Overlapping entries, an entry beyond the 90-day horizon and a monthly entry on the 31st are
/// refused before any write: the previous sync's actions stay and nothing is published.
#[tokio::test]
async fn calendar_refusals_leave_the_previous_sync_alone() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    let at = now() - Duration::days(7);
    app.handle(f.calendar_2030(), at).await.unwrap();
    let before = f.state().await;
    assert_eq!(before.2.len(), 4);
    // Read (and so hidden from the next read): the first sync's message.
    assert_eq!(f.published().await.len(), 1);
    let e = &f.endpoint;
    let zone = "America/New_York";
    let promo = entry(e, "promo", "2030-11-29T18:00", "2030-11-29T20:00", zone, 15);
    let late = entry(
        e,
        "late-show",
        "2030-11-29T20:00",
        "2030-11-29T22:00",
        zone,
        15,
    );
    let typo = entry(e, "typo", "2031-11-28T18:00", "2031-11-28T20:00", zone, 15);
    let mut month_end = entry(
        e,
        "month-end",
        "2030-12-31T18:00",
        "2030-12-31T20:00",
        zone,
        0,
    );
    month_end["recurrence"] = json!("monthly");
    let cases = [
        (
            json!([promo.clone(), late]),
            format!(
                "calendar[1].start: entry \"late-show\" overlaps entry \"promo\" \
                 (calendar[0]) on {e}/AllTraffic: \"late-show\" is raised at \
                 2030-11-30T00:45:00Z"
            ),
        ),
        (
            json!([promo, typo]),
            "calendar[1].end: 2031-11-28T20:00 in America/New_York is more than 90 days ahead"
                .to_owned(),
        ),
        (
            json!([month_end]),
            "calendar[0].start: 2030-12-31 is day 31 of its month".to_owned(),
        ),
    ];
    for (calendar, expected) in cases {
        let err = app.handle(sync(calendar), at).await.unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent", "{err}");
        assert!(
            err.to_string().contains(&expected),
            "{err}\nshould contain {expected}"
        );
    }
    assert_eq!(f.state().await, before);
    assert!(f.published().await.is_empty(), "nothing published since");
}

/// `count` one-hour one-off entries on the fixture's variant, two hours apart from 2030-11-25.
fn hourly_entries(endpoint: &str, prefix: &str, count: usize) -> Value {
    let first = DateTime::parse_from_rfc3339("2030-11-25T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let local = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let entries: Vec<Value> = (0..count)
        .map(|k| {
            let start = first + Duration::hours(2 * k as i64);
            json!({"name": format!("{prefix}{k:03}"), "endpoint": endpoint, "variant": VARIANT,
                   "start": local(start), "end": local(start + Duration::hours(1)),
                   "timezone": "Etc/UTC", "lead_minutes": 0, "min_capacity": 4})
        })
        .collect();
    sync(json!(entries))
}

/// The handler for `f`'s endpoint with its calls going through a fresh [`FaultProxy`], which
/// records them.
async fn proxied_app(f: &Fixture) -> (FaultProxy, App) {
    let (proxy, sdk) = FaultProxy::with_sdk().await.unwrap();
    let env = f.env(&f.endpoint, &[]);
    let app = App::new(
        &sdk,
        Config::from_lookup(&|name| env.get(name).cloned()).unwrap(),
    );
    (proxy, app)
}

/// How many of `ops` put or delete a scheduled action.
fn writes(ops: &[String]) -> usize {
    ops.iter()
        .filter(|op| op.as_str() == "PutScheduledAction" || op.as_str() == "DeleteScheduledAction")
        .count()
}

/// Application Auto Scaling keeps at most 200 scheduled actions per scalable target. A
/// calendar that would leave more there (101 entries) is refused before any write, with one
/// audit message naming the target.
#[tokio::test]
async fn a_calendar_over_200_actions_on_a_target_writes_nothing() {
    let f = Fixture::new().await;
    let (proxy, app) = proxied_app(&f).await;
    let at = now() - Duration::days(7);
    let err = app
        .handle(hourly_entries(&f.endpoint, "a", 101), at)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidEvent", "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "invalid event: calendar: too many scheduled actions: {} would hold 202 (202 of \
             this calendar, two per entry on it, and 0 not made by it), more than the 200 \
             Application Auto Scaling allows per scalable target; nothing was synced. Remove \
             entries on this variant (or other scheduled actions of its target)",
            f.resource_id()
        )
    );
    assert_eq!(writes(&proxy.operations()), 0);
    assert!(f.schedules().await.is_empty());
    let audit = f.published().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].attributes["action"], "refused");
    assert_eq!(
        audit[0].subject,
        format!(
            "Refused change to {}/{VARIANT}: too many scheduled actions",
            f.endpoint
        )
    );
}

/// The 200 include someone else's action on the target: 100 entries beside it are refused
/// before any write; 99 that fit are synced, their stale actions deleted before the first new
/// one is put.
#[tokio::test]
async fn the_200_action_limit_counts_other_actions_and_deletes_stale_ones_first() {
    let f = Fixture::new().await;
    let (proxy, app) = proxied_app(&f).await;
    let at = now() - Duration::days(7);
    // 99 entries and someone else's action: 199 fit.
    f.foreign_action(&f.resource_id(), "nightly-scale-in").await;
    app.handle(hourly_entries(&f.endpoint, "a", 99), at)
        .await
        .unwrap();
    let synced = f.schedules().await;
    assert_eq!(synced.len(), 199);

    // 100 other entries: the 198 stale actions would go, but 200 new ones and the other
    // action make 201. Nothing changes.
    let before = proxy.operations().len();
    let err = app
        .handle(hourly_entries(&f.endpoint, "b", 100), at)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "{} would hold 201 (200 of this calendar, two per entry on it, and 1 not made by \
             it)",
            f.resource_id()
        )),
        "{err}"
    );
    assert_eq!(writes(&proxy.operations()[before..]), 0);
    assert_eq!(f.schedules().await, synced);

    // 99 other entries fit: every stale action is deleted before the first new one is put,
    // so the target never holds more than 199.
    let before = proxy.operations().len();
    let report = app
        .handle(hourly_entries(&f.endpoint, "b", 99), at)
        .await
        .unwrap()
        .calendar
        .unwrap();
    assert_eq!((report.deleted.len(), report.created.len()), (198, 198));
    let ops: Vec<String> = proxy.operations()[before..]
        .iter()
        .filter(|op| op.ends_with("ScheduledAction"))
        .cloned()
        .collect();
    assert_eq!(ops.len(), 396);
    assert!(
        ops[..198].iter().all(|op| op == "DeleteScheduledAction"),
        "{ops:?}"
    );
    assert!(
        ops[198..].iter().all(|op| op == "PutScheduledAction"),
        "{ops:?}"
    );
    assert_eq!(f.schedules().await.len(), 199);
}

#[tokio::test]
async fn raise_max_in_the_calendar_and_the_cap() {
    let f = Fixture::with_capacity(2, 8).await;
    let mut raised = entry(
        &f.endpoint,
        "big",
        "2027-01-08T18:00",
        "2027-01-08T20:00",
        "Europe/Berlin",
        0,
    );
    raised["raise_max"] = json!(true);
    let capped = entry(
        &f.endpoint,
        "small",
        "2027-01-09T18:00",
        "2027-01-09T20:00",
        "Europe/Berlin",
        0,
    );
    let summary = f
        .app(&[])
        .handle(sync(json!([raised, capped])), before_2027())
        .await
        .unwrap();
    let notes = summary.calendar.unwrap().notes;
    assert!(
        notes.iter().any(|n| n.contains("capped at MaxCapacity=8")),
        "{notes:?}"
    );
    assert_eq!(
        f.schedules().await,
        vec![
            row(
                "prewarm-big-end",
                "at(2027-01-08T20:00:00)",
                "Europe/Berlin",
                2,
                Some(8)
            ),
            row(
                "prewarm-big-start",
                "at(2027-01-08T18:00:00)",
                "Europe/Berlin",
                10,
                Some(10)
            ),
            row(
                "prewarm-small-end",
                "at(2027-01-09T20:00:00)",
                "Europe/Berlin",
                2,
                None
            ),
            row(
                "prewarm-small-start",
                "at(2027-01-09T18:00:00)",
                "Europe/Berlin",
                8,
                None
            ),
        ]
    );
}

/// An entry added (or renamed) while another of the calendar's events is on goes back to the
/// calendar's baseline at its end, not to what that event's start set.
#[tokio::test]
async fn an_entry_synced_during_an_event_goes_back_to_the_calendars_baseline() {
    let f = Fixture::with_capacity(2, 8).await;
    let mut big = entry(
        &f.endpoint,
        "big",
        "2027-01-08T18:00",
        "2027-01-08T20:00",
        "Europe/Berlin",
        0,
    );
    big["raise_max"] = json!(true);
    let app = f.app(&[]);
    app.handle(sync(json!([big.clone()])), before_2027())
        .await
        .unwrap();
    // big's start has run: MinCapacity and MaxCapacity are 10.
    f.moto
        .register_target(&f.endpoint, VARIANT, 10, 10)
        .await
        .unwrap();
    let later = entry(
        &f.endpoint,
        "later",
        "2027-01-09T18:00",
        "2027-01-09T20:00",
        "Europe/Berlin",
        0,
    );
    app.handle(sync(json!([big, later])), before_2027())
        .await
        .unwrap();
    let rows = f.schedules().await;
    let later: Vec<_> = rows.iter().filter(|r| r.0.contains("-later-")).collect();
    assert_eq!(
        later,
        [
            &row(
                "prewarm-later-end",
                "at(2027-01-09T20:00:00)",
                "Europe/Berlin",
                2,
                None
            ),
            &row(
                "prewarm-later-start",
                "at(2027-01-09T18:00:00)",
                "Europe/Berlin",
                8,
                None
            ),
        ]
    );
}

/// An entry taken out of the calendar while its event is on keeps its end until it has run:
/// deleting the end would leave the event's capacity up for good. Once the end has run, both
/// actions go.
#[tokio::test]
async fn an_entry_removed_during_its_event_keeps_its_end_until_it_has_run() {
    let f = Fixture::new().await;
    let promo = entry(
        &f.endpoint,
        "promo",
        "2027-01-08T18:00",
        "2027-01-08T20:00",
        "Europe/Berlin",
        0,
    );
    let app = f.app(&[]);
    app.handle(sync(json!([promo])), before_2027())
        .await
        .unwrap();
    let synced = f.schedules().await;
    assert_eq!(synced.len(), 2, "{synced:?}");
    // 18:30 in Berlin: the event is on.
    let during = utc("2027-01-08T17:30:00Z");
    let summary = app.handle(sync(json!([])), during).await.unwrap();
    assert_eq!(f.schedules().await, synced);
    let notes = summary.calendar.unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("promo on endpoint/")
                && n.contains("its end stays until it has run")),
        "{notes:?}"
    );
    // Two hours after the end: both are stale.
    app.handle(sync(json!([])), utc("2027-01-08T21:00:00Z"))
        .await
        .unwrap();
    assert_eq!(f.schedules().await, []);
}

#[tokio::test]
async fn calendar_from_a_file_and_from_s3() {
    let f = Fixture::new().await;
    let app = f.app(&[]);
    let text = std::fs::read_to_string(
        integration_tests::workspace().join("events/prewarm-calendar.json"),
    )
    .unwrap()
    .replace("prod-ranker", &f.endpoint);
    let dir = std::env::temp_dir().join(unique("prewarm-calendar"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("calendar.json");
    std::fs::write(&file, &text).unwrap();
    let at = now() - Duration::days(7);
    let from_file = app
        .handle(sync(json!(file.display().to_string())), at)
        .await
        .unwrap();
    assert_eq!(from_file.calendar.unwrap().created.len(), 4);
    let listed = f.schedules().await;

    let bucket = unique("calendars");
    f.moto
        .put_object(&bucket, "team/calendar.json", text.into_bytes())
        .await
        .unwrap();
    let from_s3 = app
        .handle(sync(json!(format!("s3://{bucket}/team/calendar.json"))), at)
        .await
        .unwrap();
    let report = from_s3.calendar.unwrap();
    assert_eq!((report.unchanged, report.changed()), (4, false));
    assert_eq!(f.schedules().await, listed);

    let err = app
        .handle(sync(json!(format!("s3://{bucket}/missing.json"))), at)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.NotFound", "{err}");
    let err = app
        .handle(
            sync(json!(dir.join("missing.json").display().to_string())),
            at,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("calendar: cannot read file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The built binary, polled by cargo-lambda's Runtime API emulator and invoked with
/// `cargo lambda invoke`, as `make demo` runs it. The binary reads the real clock.
#[tokio::test]
async fn binary_under_the_lambda_runtime_emulator() {
    let f = Fixture::new().await;
    let mut runtime = LocalRuntime::start(
        &function_binary("prewarm"),
        &[
            ("ALLOWED_ENDPOINTS", f.endpoint.clone()),
            ("NOTIFY_TOPIC_ARN", f.inbox.topic_arn.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
        ],
    )
    .await
    .unwrap();
    // The sample's `for` is relative, so the binary reading the real clock takes it as it is.
    let raised = runtime
        .invoke(&f.event("prewarm-raise.json"))
        .await
        .unwrap();
    assert_eq!(raised["results"][0]["action"], "raised", "{raised}");
    assert_eq!(raised["results"][0]["new_min"], 10, "{raised}");
    assert_eq!(f.capacity().await.0, 10);

    let verified = runtime
        .invoke(&f.event("prewarm-verify.json"))
        .await
        .unwrap();
    assert_eq!(verified["readiness"]["verdict"], "NOT READY", "{verified}");
    assert_eq!(
        verified["readiness"]["variants"][0]["required"], 10,
        "{verified}"
    );

    let refused = runtime
        .invoke(
            &json!({"action": "raise", "endpoint": f.endpoint, "event": "promo",
                        "min_capacity": 0, "until": "2030-01-01T00:00:00Z"}),
        )
        .await
        .unwrap();
    let error = refused["error"].as_str().unwrap_or_default();
    assert!(error.contains("NonRetryable.InvalidEvent"), "{refused}");

    let restored = runtime
        .invoke(&f.event("prewarm-restore.json"))
        .await
        .unwrap();
    assert_eq!(restored["results"][0]["action"], "restored", "{restored}");
    assert_eq!(f.capacity().await.0, 2);
    assert_eq!(f.published().await.len(), 3);
    runtime.stop().await;
}
