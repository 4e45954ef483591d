//! The bad-input corpus: malformed and hostile events for all three functions, each run
//! through the handler with real clients against moto. Every one must end in a clear error
//! naming the problem, with a `NonRetryable.*` error type, without a panic, and with moto's
//! state byte-for-byte what it was: the variant's scalable target, the endpoint's tags, the
//! target's scheduled actions and the messages on the audit topic. (A refusal of an endpoint
//! outside `ALLOWED_ENDPOINTS` publishes its audit message; nothing else is published.)
//!
//! Truncated JSON: the Lambda Invoke API, EventBridge and SNS only deliver valid JSON (Invoke
//! answers `InvalidRequestContentException` to anything else, before the function runs), so
//! truncated JSON reaches a function only inside a JSON string: an SNS `Message`, a payload
//! delivered as a string, a calendar or violations file. Those are in the corpus; the binary
//! under the Runtime API emulator is also fed truncated bytes and keeps serving
//! (`the_binary_survives_truncated_bytes`).

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTargetAction, ServiceNamespace,
};
use chrono::{Duration, Utc};
use integration_tests::{
    function_binary, sample_event, unique, EndpointFixture, LocalRuntime, Published, LOCK_TABLE,
};
use remediation::entry::Handler;
use remediation::Error;
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";
const NON_RETRYABLE_INVALID: &str = "NonRetryable.InvalidEvent";
const REFUSED: &str = "NonRetryable.Refused";
const TEN_MB: usize = 10 * 1024 * 1024;

/// One hostile input and what its error must say.
struct Case {
    name: String,
    event: Value,
    error_type: &'static str,
    mentions: String,
}

fn case(name: &str, event: Value, mentions: &str) -> Case {
    Case {
        name: name.to_owned(),
        event,
        error_type: NON_RETRYABLE_INVALID,
        mentions: mentions.to_owned(),
    }
}

fn refused(name: &str, event: Value, mentions: &str) -> Case {
    Case {
        error_type: REFUSED,
        ..case(name, event, mentions)
    }
}

/// `event` with the value at a `/`-separated path set (objects are created on the way).
fn set(mut event: Value, path: &str, value: Value) -> Value {
    let mut cur = &mut event;
    for seg in path.split('/') {
        cur = match seg.parse::<usize>() {
            Ok(i) if cur.is_array() => &mut cur[i],
            _ => &mut cur[seg],
        };
    }
    *cur = value;
    event
}

/// `event` without the field at a `/`-separated path.
fn remove(mut event: Value, path: &str) -> Value {
    let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
    let target = if parent.is_empty() {
        Some(&mut event)
    } else {
        event.pointer_mut(&format!("/{parent}"))
    };
    if let Some(Value::Object(map)) = target {
        map.remove(last);
    }
    event
}

/// One endpoint with a target, a recorded prewarm hold, a scheduled action and an inbox: state
/// that a bad input must leave exactly as it is.
struct Fixture {
    f: EndpointFixture,
}

impl Fixture {
    async fn new() -> Fixture {
        let f = EndpointFixture::new("bad", &[VARIANT], 2, 20).await;
        let until = (Utc::now() + Duration::hours(6)).format("%Y-%m-%dT%H:%M:%SZ");
        let hold = format!("min=2 until={until} since=2026-11-28T12:00:00Z");
        f.moto
            .put_tags(
                &f.endpoint,
                &[
                    ("remediation:AllTraffic:baseline", "2"),
                    ("remediation:AllTraffic:hold:event.keep", &hold),
                    ("team", "ranking"),
                ],
            )
            .await
            .unwrap();
        f.moto
            .autoscaling
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .scheduled_action_name("prewarm-keep-start")
            .resource_id(format!("endpoint/{}/variant/{VARIANT}", f.endpoint))
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .schedule("cron(0 18 ? * FRI *)")
            .scalable_target_action(ScalableTargetAction::builder().min_capacity(4).build())
            .send()
            .await
            .unwrap();
        Fixture { f }
    }

    fn env(&self) -> BTreeMap<String, String> {
        self.f.env("bad-*", &[]).into_iter().collect()
    }

    /// The variant's target, the endpoint's tags and the target's scheduled actions, as the
    /// APIs return them.
    async fn snapshot(&self) -> String {
        let moto = &self.f.moto;
        let resource = format!("endpoint/{}/variant/{VARIANT}", self.f.endpoint);
        let targets = moto
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_ids(&resource)
            .send()
            .await
            .unwrap();
        let actions = moto
            .autoscaling
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&resource)
            .send()
            .await
            .unwrap();
        let tags = moto.tags(&self.f.endpoint).await.unwrap();
        format!(
            "targets: {:?}\ntags: {tags:?}\nscheduled: {:?}",
            targets.scalable_targets(),
            actions.scheduled_actions()
        )
    }

    async fn published(&self) -> Vec<Published> {
        self.f.moto.published(&self.f.inbox).await.unwrap()
    }

    /// Run every case through `handle` and check the error, the absence of a panic and that
    /// nothing changed.
    async fn run<F, Fut>(&self, cases: Vec<Case>, handle: F)
    where
        F: Fn(Value) -> Fut,
        Fut: std::future::Future<Output = Result<String, Error>> + Send + 'static,
    {
        let mut failures = Vec::new();
        for case in cases {
            let before = self.snapshot().await;
            // A panic inside the handler surfaces as a JoinError instead of ending the test.
            let outcome = tokio::spawn(handle(case.event)).await;
            let after = self.snapshot().await;
            let messages = self.published().await;
            let problem = match outcome {
                Err(join) => Some(format!("panicked: {join}")),
                Ok(Ok(summary)) => Some(format!("accepted: {summary}")),
                Ok(Err(err)) if err.error_type() != case.error_type => Some(format!(
                    "error type {} (expected {}): {err}",
                    err.error_type(),
                    case.error_type
                )),
                Ok(Err(err)) if !err.error_type().starts_with("NonRetryable.") => {
                    Some(format!("retryable: {err}"))
                }
                Ok(Err(err)) if !err.to_string().contains(&case.mentions) => {
                    Some(format!("error does not mention {:?}: {err}", case.mentions))
                }
                Ok(Err(_)) => None,
            };
            let problem = problem
                .or_else(|| (before != after).then(|| format!("state changed:\n{before}\n{after}")))
                .or_else(|| {
                    let expected = usize::from(case.error_type == REFUSED);
                    let only_refusals = messages
                        .iter()
                        .all(|m| m.attributes.get("action").map(String::as_str) == Some("refused"));
                    (messages.len() != expected || !only_refusals)
                        .then(|| format!("published {messages:?}"))
                });
            if let Some(problem) = problem {
                failures.push(format!("{}: {problem}", case.name));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}

// ---- scale-on-latency ----

/// The text of the first record's SNS `Message` in an SNS-delivered sample.
fn sns_text(sns: &Value) -> String {
    sns["Records"][0]["Sns"]["Message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every scale-on-latency case, group after group.
fn latency_cases(endpoint: &str) -> Vec<Case> {
    let groups: [fn(&str) -> Vec<Case>; 5] = [
        latency_shape_cases,
        latency_alarm_field_cases,
        latency_name_cases,
        latency_time_cases,
        latency_other_envelope_cases,
    ];
    groups
        .into_iter()
        .flat_map(|group| group(endpoint))
        .collect()
}

/// Not an alarm state change: truncated JSON, wrong JSON types, other detail-types, bad state.
fn latency_shape_cases(endpoint: &str) -> Vec<Case> {
    let eb = sample_event("cloudwatch-alarm-latency-eventbridge.json", endpoint);
    let sns = sample_event("cloudwatch-alarm-latency-sns.json", endpoint);
    let message = sns_text(&sns);
    let sns_message = |text: String| set(sns.clone(), "Records/0/Sns/Message", json!(text));
    vec![
        case(
            "truncated JSON as a string",
            json!(eb.to_string()[..60]),
            "expected a JSON object, got a string",
        ),
        case(
            "truncated SNS message",
            sns_message(message[..message.len() / 2].to_owned()),
            "Records[0].Sns.Message: not a JSON alarm notification",
        ),
        case(
            "SNS message that is a number",
            sns_message("42".into()),
            "Records[0].Sns.Message",
        ),
        case(
            "SNS message without NewStateValue",
            sns_message(message.replace("NewStateValue", "NewState")),
            "missing field `NewStateValue`",
        ),
        case("null", Value::Null, "got null"),
        case("array", json!([eb.clone()]), "got an array"),
        case("number", json!(42), "got a number"),
        case("empty object", json!({}), "not a CloudWatch alarm"),
        case(
            "another detail-type",
            set(
                eb.clone(),
                "detail-type",
                json!("EC2 Instance State-change Notification"),
            ),
            "expected \"CloudWatch Alarm State Change\"",
        ),
        case(
            "detail-type of the wrong type",
            set(eb.clone(), "detail-type", json!(5)),
            "detail-type is 5",
        ),
        case("no detail", remove(eb.clone(), "detail"), "detail"),
        case(
            "no state",
            remove(eb.clone(), "detail/state"),
            "detail: missing field `state`",
        ),
        case(
            "unknown state",
            set(eb.clone(), "detail/state/value", json!("PANIC")),
            "detail.state.value",
        ),
        case(
            "state of the wrong type",
            set(eb.clone(), "detail/state/value", json!(1)),
            "detail.state.value",
        ),
    ]
}

/// Bad alarm fields: the alarm name, the metrics list, the dimensions and the period.
fn latency_alarm_field_cases(endpoint: &str) -> Vec<Case> {
    let eb = sample_event("cloudwatch-alarm-latency-eventbridge.json", endpoint);
    let dims = "detail/configuration/metrics/0/metricStat/metric/dimensions";
    let stat = "detail/configuration/metrics/0/metricStat";
    vec![
        case(
            "empty alarm name",
            set(eb.clone(), "detail/alarmName", json!("")),
            "detail.alarmName: must not be empty",
        ),
        case(
            "huge alarm name",
            set(eb.clone(), "detail/alarmName", json!("a".repeat(300_000))),
            "detail.alarmName: 300000 characters",
        ),
        case(
            "alarm name with a line break",
            set(eb.clone(), "detail/alarmName", json!("p99\nSubject: fake")),
            "detail.alarmName: contains control characters",
        ),
        case(
            "alarm name of the wrong type",
            set(eb.clone(), "detail/alarmName", json!({"name": "x"})),
            "detail.alarmName",
        ),
        case(
            "metrics not a list",
            set(eb.clone(), "detail/configuration/metrics", json!("all")),
            "detail.configuration.metrics",
        ),
        case(
            "dimensions as a list of names",
            set(eb.clone(), dims, json!(["EndpointName"])),
            "dimensions",
        ),
        case(
            "negative period",
            set(eb.clone(), &format!("{stat}/period"), json!(-60)),
            "period",
        ),
        case(
            "overflowing period",
            set(eb.clone(), &format!("{stat}/period"), json!(1e30)),
            "period",
        ),
    ]
}

/// Endpoint and variant names that are not SageMaker names, and an endpoint outside the allowlist.
fn latency_name_cases(endpoint: &str) -> Vec<Case> {
    let eb = sample_event("cloudwatch-alarm-latency-eventbridge.json", endpoint);
    let dims = "detail/configuration/metrics/0/metricStat/metric/dimensions";
    vec![
        case(
            "endpoint with path characters",
            set(
                eb.clone(),
                &format!("{dims}/EndpointName"),
                json!("../../etc/passwd"),
            ),
            "EndpointName \"../../etc/passwd\" is not a SageMaker endpoint name",
        ),
        case(
            "endpoint with a wildcard",
            set(eb.clone(), &format!("{dims}/EndpointName"), json!("bad-*")),
            "EndpointName \"bad-*\" is not a SageMaker endpoint name",
        ),
        case(
            "empty endpoint",
            set(eb.clone(), &format!("{dims}/EndpointName"), json!("")),
            "is not a SageMaker endpoint name",
        ),
        case(
            "huge endpoint",
            set(
                eb.clone(),
                &format!("{dims}/EndpointName"),
                json!("b".repeat(100_000)),
            ),
            "is not a SageMaker endpoint name",
        ),
        case(
            "variant with path characters",
            set(
                eb.clone(),
                &format!("{dims}/VariantName"),
                json!("All/../Traffic"),
            ),
            "VariantName \"All/../Traffic\" is not a SageMaker variant name",
        ),
        case(
            "variant wildcard",
            set(eb.clone(), &format!("{dims}/VariantName"), json!("*")),
            "VariantName \"*\" is not a SageMaker variant name",
        ),
        refused(
            "endpoint outside the allowlist",
            set(
                eb.clone(),
                &format!("{dims}/EndpointName"),
                json!("prod-other"),
            ),
            "endpoint prod-other is not in ALLOWED_ENDPOINTS",
        ),
    ]
}

/// State-change times in the future, before CloudWatch existed, or not times at all.
fn latency_time_cases(endpoint: &str) -> Vec<Case> {
    let eb = sample_event("cloudwatch-alarm-latency-eventbridge.json", endpoint);
    let sns = sample_event("cloudwatch-alarm-latency-sns.json", endpoint);
    let message = sns_text(&sns);
    let sns_message = |text: String| set(sns.clone(), "Records/0/Sns/Message", json!(text));
    vec![
        case(
            "state time far in the future",
            set(
                eb.clone(),
                "detail/state/timestamp",
                json!("2999-01-01T00:00:00.000+0000"),
            ),
            "detail.state.timestamp: 2999-01-01T00:00:00Z is in the future",
        ),
        case(
            "state time far in the past",
            set(
                eb.clone(),
                "detail/state/timestamp",
                json!("1970-01-01T00:00:00.000+0000"),
            ),
            "is before 2009-01-01",
        ),
        case(
            "state time that is not a time",
            set(eb.clone(), "detail/state/timestamp", json!("yesterday")),
            "detail.state.timestamp: \"yesterday\" is not a timestamp",
        ),
        case(
            "SNS state time in the future",
            sns_message(message.replace("2026-11-28T12:00:00.120", "2999-11-28T12:00:00.120")),
            "StateChangeTime: 2999-11-28T12:00:00Z is in the future",
        ),
    ]
}

/// Broken Lambda-action, SNS-batch and composite-alarm envelopes, and a ten-megabyte event.
fn latency_other_envelope_cases(endpoint: &str) -> Vec<Case> {
    let eb = sample_event("cloudwatch-alarm-latency-eventbridge.json", endpoint);
    let action = sample_event("cloudwatch-alarm-latency-lambda-action.json", endpoint);
    let composite = sample_event("cloudwatch-alarm-composite-eventbridge.json", endpoint);
    vec![
        case(
            "Lambda action without state",
            remove(action.clone(), "alarmData/state"),
            "alarmData: missing field `state`",
        ),
        case(
            "Lambda action with alarmData a string",
            set(action.clone(), "alarmData", json!("ALARM")),
            "alarmData",
        ),
        case("empty SNS batch", json!({"Records": []}), "Records: empty"),
        case(
            "Records not a list",
            json!({"Records": {"Sns": {}}}),
            "Records",
        ),
        case(
            "an SQS batch",
            json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}),
            "missing field `Sns`",
        ),
        case(
            "composite alarm without ARN or dimensions",
            set(composite, "resources", json!([])),
            "no EndpointName dimension and no alarm ARN",
        ),
        case(
            "ten megabytes",
            set(
                eb,
                "detail/configuration/description",
                json!("x".repeat(TEN_MB)),
            ),
            "more than the 1048576 bytes",
        ),
    ]
}

#[tokio::test]
async fn scale_on_latency_refuses_every_bad_input_and_changes_nothing() {
    let f = Fixture::new().await;
    let env = f.env();
    let config = scale_on_latency::Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
    let app = scale_on_latency::App::new(&f.f.moto.sdk, config);
    let cases = latency_cases(&f.f.endpoint);
    assert!(cases.len() >= 35);
    f.run(cases, |event| {
        let app = app.clone();
        async move {
            app.handle(event, Utc::now())
                .await
                .map(|s| format!("{s:?}"))
        }
    })
    .await;
}

// ---- prewarm ----

/// Every prewarm case, group after group.
fn prewarm_cases(endpoint: &str) -> Vec<Case> {
    let groups: [fn(&str) -> Vec<Case>; 7] = [
        prewarm_shape_cases,
        prewarm_capacity_cases,
        prewarm_name_cases,
        prewarm_until_cases,
        prewarm_field_and_action_cases,
        prewarm_calendar_cases,
        prewarm_size_cases,
    ];
    groups
        .into_iter()
        .flat_map(|group| group(endpoint))
        .collect()
}

/// A valid `raise` payload for `endpoint`, holding until two hours from now.
fn prewarm_raise(endpoint: &str) -> Value {
    let until = (Utc::now() + Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    json!({"action": "raise", "endpoint": endpoint, "variant": VARIANT,
           "event": "promo", "min_capacity": 10, "until": until})
}

/// Not a prewarm command: truncated JSON, wrong JSON types, a missing or unknown action.
fn prewarm_shape_cases(endpoint: &str) -> Vec<Case> {
    let raise = prewarm_raise(endpoint);
    let with = |field: &str, value: Value| set(raise.clone(), field, value);
    vec![
        case(
            "truncated JSON as a string",
            json!(raise.to_string()[..40]),
            "the payload is a string but not JSON",
        ),
        case("null", Value::Null, "expected a JSON object"),
        case("array", json!([raise.clone()]), "expected a JSON object"),
        case("empty object", json!({}), "action: missing"),
        case(
            "the payload inside an SNS delivery",
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": raise.to_string()}}]}),
            "Records: an SNS or SQS delivery",
        ),
        case(
            "action of the wrong type",
            with("action", json!(5)),
            "action: expected a string",
        ),
        case(
            "empty action",
            with("action", json!("")),
            "action: must not be empty",
        ),
        case(
            "unknown action",
            with("action", json!("RAISE")),
            "action: unknown action \"RAISE\"",
        ),
        case(
            "shell in the action",
            with("action", json!("raise; rm -rf /")),
            "action: unknown action",
        ),
    ]
}

/// Capacities that are negative, zero, too large, not whole or not numbers.
fn prewarm_capacity_cases(endpoint: &str) -> Vec<Case> {
    let raise = prewarm_raise(endpoint);
    let with = |field: &str, value: Value| set(raise.clone(), field, value);
    vec![
        case(
            "negative capacity",
            with("min_capacity", json!(-1)),
            "min_capacity: must be at least 1, got -1",
        ),
        case(
            "zero capacity",
            with("min_capacity", json!(0)),
            "min_capacity: must be at least 1",
        ),
        case(
            "capacity above u32",
            with("min_capacity", json!(4_294_967_297u64)),
            "min_capacity: at most 10000, got 4294967297",
        ),
        case(
            "capacity i64::MAX",
            with("min_capacity", json!(i64::MAX)),
            "min_capacity: at most 10000",
        ),
        case(
            "capacity u64::MAX",
            with("min_capacity", json!(u64::MAX)),
            "min_capacity: 18446744073709551615 is not a whole number",
        ),
        case(
            "capacity 1e300",
            with("min_capacity", json!(1e300)),
            "min_capacity: 1e+300 is not a whole number",
        ),
        case(
            "capacity as a string",
            with("min_capacity", json!("10")),
            "min_capacity: expected a whole number",
        ),
    ]
}

/// Endpoint, variant and event names that are malformed, empty or too long.
fn prewarm_name_cases(endpoint: &str) -> Vec<Case> {
    let raise = prewarm_raise(endpoint);
    let with = |field: &str, value: Value| set(raise.clone(), field, value);
    vec![
        case(
            "endpoint with path characters",
            with("endpoint", json!("../bad-x")),
            "endpoint: \"../bad-x\" is not a SageMaker endpoint name",
        ),
        case(
            "endpoint with a wildcard",
            with("endpoint", json!("bad-*")),
            "endpoint: \"bad-*\" is not a SageMaker endpoint name",
        ),
        case(
            "empty endpoint",
            with("endpoint", json!("  ")),
            "endpoint: must not be empty",
        ),
        case(
            "huge endpoint",
            with("endpoint", json!("b".repeat(70_000))),
            "is not a SageMaker endpoint name",
        ),
        case(
            "variant with path characters",
            with("variant", json!("All/Traffic")),
            "variant: \"All/Traffic\" is not a SageMaker variant name",
        ),
        case(
            "empty event",
            with("event", json!("")),
            "event: must not be empty",
        ),
        case(
            "huge event",
            with("event", json!("e".repeat(5000))),
            "event: at most 100 characters",
        ),
        case(
            "event name with NUL",
            with("event", json!("promo\u{0}x")),
            "event: contains control characters",
        ),
    ]
}

/// `until` times in the past, too far ahead, or not times.
fn prewarm_until_cases(endpoint: &str) -> Vec<Case> {
    let raise = prewarm_raise(endpoint);
    let with = |field: &str, value: Value| set(raise.clone(), field, value);
    vec![
        case(
            "until far in the past",
            with("until", json!("1999-01-01T00:00:00Z")),
            "until: 1999-01-01T00:00:00Z is in the past",
        ),
        case(
            "until far in the future",
            with("until", json!("2999-01-01T00:00:00Z")),
            "until: 2999-01-01T00:00:00Z is more than 90 days ahead",
        ),
        case(
            "until not a time",
            with("until", json!("tomorrow")),
            "until: \"tomorrow\" is not a time",
        ),
        case(
            "until a number",
            with("until", json!(1_764_000_000)),
            "until: expected a string",
        ),
    ]
}

/// An unknown field, an endpoint outside the allowlist, bad restore/verify/EventBridge input.
fn prewarm_field_and_action_cases(endpoint: &str) -> Vec<Case> {
    let raise = prewarm_raise(endpoint);
    let with = |field: &str, value: Value| set(raise.clone(), field, value);
    vec![
        case(
            "typo in a field",
            with("min_capacty", json!(10)),
            "min_capacty: unknown field",
        ),
        refused(
            "endpoint outside the allowlist",
            with("endpoint", json!("prod-other")),
            "endpoint prod-other is not in ALLOWED_ENDPOINTS",
        ),
        case(
            "restore without event",
            json!({"action": "restore", "endpoint": endpoint}),
            "event: missing",
        ),
        case(
            "verify with a negative capacity",
            json!({"action": "verify", "endpoint": endpoint, "min_capacity": -3}),
            "min_capacity: must be at least 1, got -3",
        ),
        case(
            "end with a scheduled_time that is not a time",
            json!({"action": "end", "endpoint": endpoint, "variant": VARIANT, "event": "promo",
                   "baseline": 2, "scheduled_time": "yesterday"}),
            "scheduled_time: \"yesterday\" is not a time with a UTC offset",
        ),
        case(
            "end with a scheduled_time in epoch seconds",
            json!({"action": "end", "endpoint": endpoint, "variant": VARIANT, "event": "promo",
                   "baseline": 2, "scheduled_time": 1_764_586_800}),
            "scheduled_time: expected a string",
        ),
        case(
            "EventBridge envelope without an action",
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
            "constant JSON input",
        ),
    ]
}

/// `sync-calendar` with a bad calendar URI or a bad field in a calendar entry.
fn prewarm_calendar_cases(endpoint: &str) -> Vec<Case> {
    // A month ahead, so the entry is never over: only the field under test is wrong.
    let day = (Utc::now() + Duration::days(30)).format("%Y-%m-%d");
    let entry = json!({"name": "promo", "endpoint": endpoint, "variant": VARIANT,
                       "start": format!("{day}T18:00"), "end": format!("{day}T20:00"),
                       "timezone": "America/New_York", "lead_minutes": 15, "min_capacity": 10});
    let calendar = |field: &str, value: Value| json!({"action": "sync-calendar", "calendar": [set(entry.clone(), field, value)]});
    vec![
        case(
            "calendar URI without a key",
            json!({"action": "sync-calendar", "calendar": "s3://bucket"}),
            "calendar: \"s3://bucket\" is not s3://<bucket>/<key>",
        ),
        case(
            "calendar entry name with path characters",
            calendar("name", json!("../promo")),
            "calendar[0].name",
        ),
        case(
            "calendar capacity overflowing",
            calendar("min_capacity", json!(99_999_999_999u64)),
            "calendar[0].min_capacity",
        ),
        case(
            "calendar negative lead",
            calendar("lead_minutes", json!(-5)),
            "calendar[0].lead_minutes",
        ),
        case(
            "calendar timezone as a path",
            calendar("timezone", json!("../../etc/localtime")),
            "calendar[0].timezone",
        ),
        case(
            "calendar entry endpoint wildcard",
            calendar("endpoint", json!("bad-*")),
            "calendar[0].endpoint",
        ),
    ]
}

/// A payload over the one-megabyte limit.
fn prewarm_size_cases(endpoint: &str) -> Vec<Case> {
    let raise = prewarm_raise(endpoint);
    let with = |field: &str, value: Value| set(raise.clone(), field, value);
    vec![case(
        "ten megabytes",
        with("note", json!("x".repeat(TEN_MB))),
        "more than the 1048576 bytes",
    )]
}

#[tokio::test]
async fn prewarm_refuses_every_bad_input_and_changes_nothing() {
    let f = Fixture::new().await;
    let env = f.env();
    let config = prewarm::Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
    let app = prewarm::App::new(&f.f.moto.sdk, config);
    // A truncated calendar in S3: truncated bytes where they can really arrive.
    let bucket = unique("bad-calendars");
    f.f.moto
        .put_object(
            &bucket,
            "calendar.json",
            br#"[{"name": "promo", "endpo"#.to_vec(),
        )
        .await
        .unwrap();
    let mut cases = prewarm_cases(&f.f.endpoint);
    cases.push(case(
        "truncated calendar file in S3",
        json!({"action": "sync-calendar", "calendar": format!("s3://{bucket}/calendar.json")}),
        &format!("calendar: s3://{bucket}/calendar.json is not JSON"),
    ));
    assert!(cases.len() >= 35);
    f.run(cases, |event| {
        let app = app.clone();
        async move {
            app.handle(event, Utc::now())
                .await
                .map(|s| format!("{s:?}"))
        }
    })
    .await;
}

// ---- drift-notify ----

/// Every drift-notify case, group after group.
fn drift_cases(endpoint: &str) -> Vec<Case> {
    let groups: [fn(&str) -> Vec<Case>; 5] = [
        drift_shape_and_job_cases,
        drift_custom_endpoint_cases,
        drift_custom_detail_cases,
        drift_alarm_cases,
        drift_size_cases,
    ];
    groups
        .into_iter()
        .flat_map(|group| group(endpoint))
        .collect()
}

/// Not a drift event, and processing-job events with bad detail, endpoint, time or output.
fn drift_shape_and_job_cases(endpoint: &str) -> Vec<Case> {
    let job = sample_event(
        "sagemaker-processing-job-monitoring-violations.json",
        endpoint,
    );
    let custom = sample_event("custom-drift-event.json", endpoint);
    vec![
        case(
            "truncated JSON as a string",
            json!(custom.to_string()[..50]),
            "expected a JSON object",
        ),
        case("null", Value::Null, "expected a JSON object"),
        case("empty object", json!({}), "not a drift event"),
        case(
            "another detail-type",
            set(job.clone(), "detail-type", json!("SageMaker Training Job State Change")),
            "detail-type is \"SageMaker Training Job State Change\"",
        ),
        case("job without detail", remove(job.clone(), "detail"), "detail"),
        case(
            "job name of the wrong type",
            set(job.clone(), "detail/ProcessingJobName", json!(7)),
            "detail.ProcessingJobName",
        ),
        case(
            "job endpoint with path characters",
            set(
                job.clone(),
                "detail/Environment/sagemaker_endpoint_name",
                json!("../prod"),
            ),
            "detail.Environment.sagemaker_endpoint_name: \"../prod\" is not a SageMaker endpoint name",
        ),
        case(
            "job time in the future",
            set(job.clone(), "time", json!("2999-01-01T00:00:00Z")),
            "time: 2999-01-01T00:00:00Z is in the future",
        ),
        case(
            "job output outside S3",
            set(
                job.clone(),
                "detail/ProcessingOutputConfig/Outputs/0/S3Output/S3Uri",
                json!("file:///etc/passwd"),
            ),
            "is not an s3:// URI",
        ),
    ]
}

/// Custom drift events whose endpoint is not a SageMaker endpoint name.
fn drift_custom_endpoint_cases(endpoint: &str) -> Vec<Case> {
    let custom = sample_event("custom-drift-event.json", endpoint);
    vec![
        case(
            "custom endpoint with path characters",
            set(
                custom.clone(),
                "detail/endpoint",
                json!("../../prod-ranker"),
            ),
            "detail.endpoint: \"../../prod-ranker\" is not a SageMaker endpoint name",
        ),
        case(
            "custom endpoint wildcard",
            set(custom.clone(), "detail/endpoint", json!("prod-*")),
            "detail.endpoint: \"prod-*\" is not a SageMaker endpoint name",
        ),
        case(
            "custom endpoint empty",
            set(custom.clone(), "detail/endpoint", json!("")),
            "detail.endpoint: must not be empty",
        ),
    ]
}

/// Bad custom drift events: features, unknown fields, detection times and an AWS source.
fn drift_custom_detail_cases(endpoint: &str) -> Vec<Case> {
    let custom = sample_event("custom-drift-event.json", endpoint);
    vec![
        case(
            "custom without features",
            set(custom.clone(), "detail/features", json!([])),
            "detail.features: empty",
        ),
        case(
            "custom features missing",
            remove(custom.clone(), "detail/features"),
            "missing field `features`",
        ),
        case(
            "custom unknown field",
            set(custom.clone(), "detail/severity", json!("critical")),
            "unknown field `severity`",
        ),
        case(
            "custom value of the wrong type",
            set(custom.clone(), "detail/features/0/value", json!("high")),
            "detail.features[0].value",
        ),
        case(
            "custom huge feature name",
            set(
                custom.clone(),
                "detail/features/0/name",
                json!("f".repeat(300)),
            ),
            "detail.features[0].name: 300 characters",
        ),
        case(
            "custom detection far in the future",
            set(
                custom.clone(),
                "detail/detected_at",
                json!("3000-01-01T00:00:00Z"),
            ),
            "3000-01-01T00:00:00Z is in the future",
        ),
        case(
            "custom detection far in the past",
            set(
                custom.clone(),
                "detail/detected_at",
                json!("0001-01-01T00:00:00Z"),
            ),
            "is before 2009-01-01",
        ),
        case(
            "custom finding_id blank",
            set(custom.clone(), "detail/finding_id", json!("  ")),
            "detail.finding_id: must not be empty",
        ),
        case(
            "custom event posing as AWS",
            set(custom.clone(), "source", json!("aws.sagemaker")),
            "source: \"aws.sagemaker\" is reserved for AWS",
        ),
    ]
}

/// Alarms that are not drift alarms, with a bad endpoint dimension, or truncated in SNS.
fn drift_alarm_cases(endpoint: &str) -> Vec<Case> {
    let alarm = sample_event("cloudwatch-alarm-drift-eventbridge.json", endpoint);
    let sns = sample_event("cloudwatch-alarm-drift-sns.json", endpoint);
    let message = sns_text(&sns);
    vec![
        case(
            "alarm on a latency metric",
            sample_event("cloudwatch-alarm-latency-eventbridge.json", endpoint),
            "reads no Model Monitor metric",
        ),
        case(
            "drift alarm endpoint with path characters",
            set(
                alarm,
                "detail/configuration/metrics/0/metricStat/metric/dimensions/Endpoint",
                json!("a/b"),
            ),
            "dimension Endpoint: \"a/b\" is not a SageMaker endpoint name",
        ),
        case(
            "truncated SNS drift message",
            set(
                sns,
                "Records/0/Sns/Message",
                json!(message[..message.len() / 3]),
            ),
            "Records[0].Sns.Message: not a JSON alarm notification",
        ),
    ]
}

/// A custom drift event over the one-megabyte limit.
fn drift_size_cases(endpoint: &str) -> Vec<Case> {
    let custom = sample_event("custom-drift-event.json", endpoint);
    vec![case(
        "ten megabytes",
        set(
            custom,
            "detail/features/0/description",
            json!("d".repeat(TEN_MB)),
        ),
        "more than the 1048576 bytes",
    )]
}

#[tokio::test]
async fn drift_notify_refuses_every_bad_input_and_publishes_nothing() {
    let f = Fixture::new().await;
    let env = f.env();
    let config = drift_notify::Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
    let app = drift_notify::App::new(&f.f.moto.sdk, config);
    let mut cases = drift_cases(&f.f.endpoint);
    // A violations file cut short, where the monitoring job says it is.
    let job = sample_event(
        "sagemaker-processing-job-monitoring-violations.json",
        &f.f.endpoint,
    );
    let uri = job["detail"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        .as_str()
        .unwrap()
        .strip_prefix("s3://")
        .unwrap()
        .to_owned();
    let (bucket, prefix) = uri.split_once('/').unwrap();
    f.f.moto
        .put_object(
            bucket,
            &format!("{prefix}/constraint_violations.json"),
            br#"{"violations": [{"feature_name": "age", "constraint_check_t"#.to_vec(),
        )
        .await
        .unwrap();
    cases.push(case(
        "truncated violations file",
        job,
        "constraint_violations.json",
    ));
    assert!(cases.len() >= 25);
    f.run(cases, |event| {
        let app = app.clone();
        async move {
            app.handle(event, Utc::now())
                .await
                .map(|s| format!("{s:?}"))
        }
    })
    .await;
}

#[tokio::test]
async fn the_corpus_has_at_least_sixty_cases() {
    let n =
        latency_cases("bad-x").len() + prewarm_cases("bad-x").len() + drift_cases("bad-x").len();
    assert!(n >= 60, "{n}");
}

/// Truncated bytes and a ten-megabyte file to the real binary through cargo-lambda's Runtime
/// API emulator: refused, and the function keeps serving the next event.
#[tokio::test]
async fn the_binary_survives_truncated_bytes_and_huge_payloads() {
    let f = Fixture::new().await;
    let env: Vec<(&str, String)> = vec![
        ("ALLOWED_ENDPOINTS", "bad-*".to_owned()),
        ("NOTIFY_TOPIC_ARN", f.f.inbox.topic_arn.clone()),
        ("LOCK_TABLE", LOCK_TABLE.to_owned()),
    ];
    let mut runtime = LocalRuntime::start(&function_binary("scale-on-latency"), &env)
        .await
        .unwrap();
    let before = f.snapshot().await;
    let alarm = sample_event("cloudwatch-alarm-latency-eventbridge.json", &f.f.endpoint);
    let truncated = runtime
        .invoke_with(&[
            "--data-ascii".to_owned(),
            alarm.to_string()[..70].to_owned(),
        ])
        .await
        .unwrap();
    assert!(truncated.get("error").is_some(), "{truncated}");
    let dir = std::env::temp_dir().join(unique("bad-input"));
    std::fs::create_dir_all(&dir).unwrap();
    let huge = dir.join("huge.json");
    std::fs::write(
        &huge,
        set(
            alarm.clone(),
            "detail/configuration/description",
            json!("x".repeat(TEN_MB)),
        )
        .to_string(),
    )
    .unwrap();
    let refused = runtime.invoke_file(&huge).await.unwrap();
    let text = refused["error"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains("NonRetryable.InvalidEvent"), "{refused}");
    assert!(text.contains("1048576 bytes"), "{refused}");
    assert_eq!(f.snapshot().await, before);
    // Still serving: a real alarm raises.
    let ok = runtime.invoke(&alarm).await.unwrap();
    assert_eq!(ok["alarms"][0]["results"][0]["action"], "raised", "{ok}");
    runtime.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
