//! One alarm model for every way a CloudWatch alarm reaches Lambda.
//!
//! CloudWatch delivers a state change in three shapes:
//! - the EventBridge "CloudWatch Alarm State Change" event (`detail`, dimensions as a map),
//! - an SNS notification (`Records[].Sns.Message` is a JSON string, PascalCase keys,
//!   `Trigger.Dimensions` is an array of `{name, value}`),
//! - the direct Lambda alarm action (`alarmData`, the same layout as the EventBridge detail).
//!
//! All three become one [`Alarm`]. The wire types below are deliberately tolerant: metric-math
//! alarms (metrics without `metricStat`), composite alarms (no metrics at all), periods above
//! 65535 s and `null` descriptions all parse. What is required is only what a decision needs:
//! the alarm name and its new state.

use std::collections::BTreeMap;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::record::Transition;

mod sns;

use sns::parse_sns;

/// CloudWatch alarm names have at most this many characters.
pub const MAX_ALARM_NAME: usize = 255;
/// How far ahead of the function's clock an event time may be (clock skew, generously).
pub const MAX_FUTURE_SKEW_HOURS: i64 = 24;
/// Nothing CloudWatch or SageMaker sends is older than this (CloudWatch launched in 2009).
pub const EARLIEST_EVENT_TIME: &str = "2009-01-01T00:00:00Z";

/// Refuse an event time that cannot be real: before [`EARLIEST_EVENT_TIME`] or more than
/// [`MAX_FUTURE_SKEW_HOURS`] after `now`. Such a time would become part of an identity (the
/// transition id that recognises redeliveries), so a made-up one is refused, not ignored.
pub fn check_time(
    time: Option<DateTime<Utc>>,
    field: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let Some(time) = time else { return Ok(()) };
    let earliest = DateTime::parse_from_rfc3339(EARLIEST_EVENT_TIME)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let show = crate::holds::rfc3339;
    if time < earliest {
        return Err(Error::InvalidEvent(format!(
            "{field}: {} is before {EARLIEST_EVENT_TIME}; not a real event time",
            show(time)
        )));
    }
    if time > now + chrono::Duration::hours(MAX_FUTURE_SKEW_HOURS) {
        return Err(Error::InvalidEvent(format!(
            "{field}: {} is in the future (now {}); not a real event time",
            show(time),
            show(now)
        )));
    }
    Ok(())
}

/// The detail-type of the EventBridge event CloudWatch sends on an alarm state change.
pub const ALARM_DETAIL_TYPE: &str = "CloudWatch Alarm State Change";

/// The state an alarm moved into (or came from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl std::fmt::Display for AlarmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the alarm reached the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmSource {
    EventBridge,
    Sns,
    LambdaAction,
}

/// What the alarm evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlarmKind {
    /// One metric, one statistic.
    Metric,
    /// A metric-math expression over one or more metrics.
    MetricMath,
    /// A composite alarm: a rule over other alarms, no metrics of its own.
    Composite,
}

/// One metric an alarm reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricRef {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub dimensions: BTreeMap<String, String>,
    /// Seconds; daily alarms use 86400, beyond the 16-bit range some parsers assume.
    pub period: Option<u64>,
}

/// An alarm state change, whichever way it was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alarm {
    pub name: String,
    pub arn: Option<String>,
    pub source: AlarmSource,
    pub kind: AlarmKind,
    pub state: AlarmState,
    pub previous_state: Option<AlarmState>,
    pub reason: Option<String>,
    /// When the alarm entered `state`.
    pub time: Option<DateTime<Utc>>,
    pub description: Option<String>,
    /// The metrics the alarm reads (empty for composite alarms).
    pub metrics: Vec<MetricRef>,
    /// The delivery's own id (EventBridge `id`, SNS `MessageId`), when there is one.
    pub delivery_id: Option<String>,
    /// Set when CloudWatch withholds the alarm's actions (a composite alarm's suppressor):
    /// EventBridge still delivers the state change, and nothing may act on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

/// Why CloudWatch withholds an alarm's actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `Alarm` (the suppressor alarm fires), `WaitPeriod` or `ExtensionPeriod`.
    pub by: String,
    pub reason: Option<String>,
    /// The suppressor alarm, from the alarm's configuration.
    pub suppressor: Option<String>,
}

impl std::fmt::Display for Suppression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CloudWatch suppresses this alarm's actions ({}", self.by)?;
        if let Some(suppressor) = &self.suppressor {
            write!(f, ", suppressor alarm {suppressor}")?;
        }
        write!(f, ")")?;
        if let Some(reason) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            write!(f, ": {reason}")?;
        }
        Ok(())
    }
}

impl Alarm {
    /// Parse any of the three alarm shapes. An SNS batch may carry several notifications.
    pub fn parse(event: Value) -> Result<Vec<Alarm>, Error> {
        let Value::Object(object) = &event else {
            return Err(Error::InvalidEvent(format!(
                "expected a JSON object, got {}",
                json_kind(&event)
            )));
        };
        if object.contains_key("Records") {
            parse_sns(event)
        } else if object.contains_key("alarmData") {
            parse_lambda_action(event).map(|alarm| vec![alarm])
        } else if let Some(detail_type) = object.get("detail-type") {
            if detail_type.as_str() != Some(ALARM_DETAIL_TYPE) {
                return Err(Error::InvalidEvent(format!(
                    "detail-type is {detail_type}, expected \"{ALARM_DETAIL_TYPE}\""
                )));
            }
            parse_eventbridge(event).map(|alarm| vec![alarm])
        } else {
            Err(Error::InvalidEvent(
                "not a CloudWatch alarm: expected `detail-type` (EventBridge), `Records` (SNS) \
                 or `alarmData` (Lambda alarm action)"
                    .to_owned(),
            ))
        }
    }

    /// Refuse a state time that cannot be real (see [`check_time`]).
    pub fn check_time(&self, now: DateTime<Utc>) -> Result<(), Error> {
        let field = match self.source {
            AlarmSource::EventBridge => "detail.state.timestamp",
            AlarmSource::LambdaAction => "alarmData.state.timestamp",
            AlarmSource::Sns => "Records[].Sns.Message.StateChangeTime",
        };
        check_time(self.time, field, now)
    }

    /// The first metric's namespace.
    pub fn namespace(&self) -> Option<&str> {
        self.metrics.iter().find_map(|m| m.namespace.as_deref())
    }

    /// The first metric's name.
    pub fn metric_name(&self) -> Option<&str> {
        self.metrics.iter().find_map(|m| m.name.as_deref())
    }

    /// Every dimension of every metric the alarm reads, in metric order.
    pub fn dimensions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metrics
            .iter()
            .flat_map(|m| m.dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The latest datapoint and the threshold, read from a threshold alarm's reason
    /// (`Threshold Crossed: ... [0.41 (28/11/26 12:00:00)] was greater than the threshold (0.1)
    /// ...`). `None` when the reason has another form (math alarms, composites, hand-made).
    pub fn crossing(&self) -> Option<Crossing> {
        let reason = self.reason.as_deref()?;
        let value = leading_number(&reason[reason.find('[')? + 1..])?;
        let marker = "the threshold (";
        let threshold = leading_number(&reason[reason.find(marker)? + marker.len()..])?;
        Some(Crossing { value, threshold })
    }

    /// A stable identity for this state transition, the same on every delivery and retry of it:
    /// alarm name, new state and the time it entered that state.
    pub fn transition_id(&self) -> Option<String> {
        match (&self.time, &self.delivery_id) {
            (Some(time), _) => Some(Transition::id(self.state, *time)),
            (None, Some(id)) => Some(id.clone()),
            (None, None) => None,
        }
    }
}

/// The datapoint that crossed an alarm's threshold, and the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crossing {
    pub value: f64,
    pub threshold: f64,
}

/// The number at the start of `text` (after spaces), e.g. `0.41 (28/11/26 ...` -> 0.41. A
/// number that does not fit an `f64` (`1e400`) is no number: Rust would read it as infinity.
fn leading_number(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(text.len());
    text[..end].parse().ok().filter(|n: &f64| n.is_finite())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---- EventBridge and Lambda alarm action (camelCase) ----

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct AlarmDetail {
    alarm_name: String,
    state: StateDetail,
    #[serde(default)]
    previous_state: Option<PreviousStateDetail>,
    #[serde(default)]
    configuration: Option<ConfigurationDetail>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct StateDetail {
    value: AlarmState,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    actions_suppressed_by: Option<String>,
    #[serde(default)]
    actions_suppressed_reason: Option<String>,
}

/// The previous state is informational: an unknown or missing value must not reject the event.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct PreviousStateDetail {
    #[serde(default)]
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigurationDetail {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    metrics: Option<Vec<MetricQueryDetail>>,
    #[serde(default)]
    alarm_rule: Option<String>,
    #[serde(default)]
    actions_suppressor: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricQueryDetail {
    #[serde(default)]
    metric_stat: Option<MetricStatDetail>,
    #[serde(default)]
    expression: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricStatDetail {
    metric: MetricDetail,
    #[serde(default)]
    period: Option<u64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricDetail {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    dimensions: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LambdaAlarmAction {
    #[serde(default)]
    alarm_arn: Option<String>,
    alarm_data: AlarmDetail,
}

fn parse_eventbridge(event: Value) -> Result<Alarm, Error> {
    let event: EventBridgeEvent<AlarmDetail> = crate::from_json(event, "")?;
    let arn = event.resources.and_then(|r| r.into_iter().next());
    from_detail(
        event.detail,
        arn,
        event.id,
        AlarmSource::EventBridge,
        "detail",
    )
}

fn parse_lambda_action(event: Value) -> Result<Alarm, Error> {
    let action: LambdaAlarmAction = crate::from_json(event, "")?;
    from_detail(
        action.alarm_data,
        action.alarm_arn,
        None,
        AlarmSource::LambdaAction,
        "alarmData",
    )
}

fn from_detail(
    detail: AlarmDetail,
    arn: Option<String>,
    delivery_id: Option<String>,
    source: AlarmSource,
    root: &str,
) -> Result<Alarm, Error> {
    let configuration = detail.configuration.unwrap_or_default();
    let queries = configuration.metrics.unwrap_or_default();
    let kind = if configuration.alarm_rule.is_some() || queries.is_empty() {
        AlarmKind::Composite
    } else if queries.len() > 1 || queries.iter().any(|q| q.expression.is_some()) {
        AlarmKind::MetricMath
    } else {
        AlarmKind::Metric
    };
    let suppression = detail
        .state
        .actions_suppressed_by
        .filter(|by| !by.trim().is_empty())
        .map(|by| Suppression {
            by,
            reason: detail.state.actions_suppressed_reason,
            suppressor: configuration.actions_suppressor,
        });
    let metrics = queries
        .into_iter()
        .filter_map(|q| q.metric_stat)
        .map(|stat| MetricRef {
            namespace: stat.metric.namespace,
            name: stat.metric.name,
            dimensions: stat.metric.dimensions.unwrap_or_default(),
            period: stat.period,
        })
        .collect();
    Ok(Alarm {
        name: non_empty(detail.alarm_name, &format!("{root}.alarmName"))?,
        arn,
        source,
        kind,
        state: detail.state.value,
        previous_state: detail
            .previous_state
            .and_then(|p| p.value)
            .and_then(|v| parse_state_lenient(&v)),
        reason: detail.state.reason,
        time: parse_time(detail.state.timestamp, &format!("{root}.state.timestamp"))?,
        description: configuration.description,
        metrics,
        delivery_id,
        suppression,
    })
}

// ---- checks every alarm shape shares ----

fn non_empty(value: String, field: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        Err(Error::InvalidEvent(format!("{field}: must not be empty")))
    } else if value.chars().count() > MAX_ALARM_NAME {
        Err(Error::InvalidEvent(format!(
            "{field}: {} characters; CloudWatch alarm names have at most {MAX_ALARM_NAME}",
            value.chars().count()
        )))
    } else if value.chars().any(char::is_control) {
        Err(Error::InvalidEvent(format!(
            "{field}: contains control characters; not a CloudWatch alarm name"
        )))
    } else {
        Ok(value)
    }
}

fn parse_state_lenient(value: &str) -> Option<AlarmState> {
    match value {
        "OK" => Some(AlarmState::Ok),
        "ALARM" => Some(AlarmState::Alarm),
        "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
        _ => None,
    }
}

/// CloudWatch writes `2024-05-01T12:00:00.123+0000`; EventBridge and hand-written events often
/// use RFC 3339 (`...Z`). Both are accepted; `null` is no time.
pub fn parse_time(value: Option<String>, field: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let Some(text) = value else { return Ok(None) };
    DateTime::parse_from_rfc3339(&text)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| {
            Error::InvalidEvent(format!(
                "{field}: {text:?} is not a timestamp (expected e.g. 2024-05-01T12:00:00.000+0000)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
    }

    fn one(name: &str) -> Alarm {
        let mut alarms = Alarm::parse(sample(name)).unwrap();
        assert_eq!(alarms.len(), 1);
        alarms.remove(0)
    }

    fn latency_dims() -> Vec<(&'static str, &'static str)> {
        vec![
            ("EndpointName", "prod-ranker"),
            ("VariantName", "AllTraffic"),
        ]
    }

    #[test]
    fn the_three_shapes_agree() {
        let shapes = [
            (
                "cloudwatch-alarm-latency-eventbridge.json",
                AlarmSource::EventBridge,
            ),
            ("cloudwatch-alarm-latency-sns.json", AlarmSource::Sns),
            (
                "cloudwatch-alarm-latency-lambda-action.json",
                AlarmSource::LambdaAction,
            ),
        ];
        let alarms: Vec<Alarm> = shapes.iter().map(|(f, _)| one(f)).collect();
        for ((file, source), alarm) in shapes.iter().zip(&alarms) {
            assert_eq!(alarm.source, *source, "{file}");
            assert_eq!(alarm.name, "prod-ranker-model-latency-p99", "{file}");
            assert_eq!(alarm.state, AlarmState::Alarm, "{file}");
            assert_eq!(alarm.previous_state, Some(AlarmState::Ok), "{file}");
            assert_eq!(alarm.kind, AlarmKind::Metric, "{file}");
            assert_eq!(alarm.namespace(), Some("AWS/SageMaker"), "{file}");
            assert_eq!(alarm.metric_name(), Some("ModelLatency"), "{file}");
            assert_eq!(
                alarm.dimensions().collect::<Vec<_>>(),
                latency_dims(),
                "{file}"
            );
            assert_eq!(alarm.metrics[0].period, Some(60), "{file}");
            assert!(alarm
                .reason
                .as_deref()
                .unwrap()
                .starts_with("Threshold Crossed"));
            assert!(alarm
                .arn
                .as_deref()
                .unwrap()
                .ends_with(":alarm:prod-ranker-model-latency-p99"));
        }
        // The same transition has the same identity whichever way it arrives.
        let ids: Vec<_> = alarms.iter().map(|a| a.transition_id().unwrap()).collect();
        assert_eq!(ids[0], "ALARM@2026-11-28T12:00:00.120Z");
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    }

    #[test]
    fn crossing_reads_value_and_threshold_from_the_reason() {
        let alarm = one("cloudwatch-alarm-latency-sns.json");
        assert_eq!(
            alarm.crossing(),
            Some(Crossing {
                value: 455_000.0,
                threshold: 200_000.0
            })
        );
        let mut other = alarm.clone();
        other.reason = Some("Alarm rule ALARM(a) evaluated to true".to_owned());
        assert_eq!(other.crossing(), None);
        other.reason = None;
        assert_eq!(other.crossing(), None);
    }

    #[test]
    fn a_crossing_beyond_f64_is_no_crossing() {
        let mut alarm = one("cloudwatch-alarm-latency-eventbridge.json");
        alarm.reason = Some(
            "Threshold Crossed: 1 datapoint [1e400 (28/11/26 12:00:00)] was greater than the \
             threshold (200000.0)."
                .to_owned(),
        );
        assert_eq!(alarm.crossing(), None);
        alarm.reason = Some(
            "Threshold Crossed: 1 datapoint [2.5E5 (28/11/26 12:00:00)] was greater than the \
             threshold (200000.0)."
                .to_owned(),
        );
        assert_eq!(
            alarm.crossing(),
            Some(Crossing {
                value: 250000.0,
                threshold: 200000.0
            })
        );
    }

    #[test]
    fn ok_events_parse_in_every_shape() {
        for file in [
            "cloudwatch-alarm-latency-ok-eventbridge.json",
            "cloudwatch-alarm-latency-ok-sns.json",
            "cloudwatch-alarm-latency-ok-lambda-action.json",
        ] {
            let alarm = one(file);
            assert_eq!(alarm.state, AlarmState::Ok, "{file}");
            assert_eq!(alarm.previous_state, Some(AlarmState::Alarm), "{file}");
        }
    }

    #[test]
    fn metric_math_alarm_keeps_every_metric_and_a_null_description() {
        let alarm = one("cloudwatch-alarm-math-eventbridge.json");
        assert_eq!(alarm.kind, AlarmKind::MetricMath);
        assert_eq!(alarm.description, None);
        assert_eq!(alarm.metrics.len(), 2);
        assert_eq!(alarm.metric_name(), Some("ModelLatency"));
        assert_eq!(alarm.metrics[1].name.as_deref(), Some("OverheadLatency"));
    }

    #[test]
    fn daily_period_above_u16_parses() {
        let alarm = one("cloudwatch-alarm-daily-sns.json");
        assert_eq!(alarm.metrics[0].period, Some(86_400));
        assert_eq!(alarm.description, None);
        assert_eq!(alarm.dimensions().collect::<Vec<_>>(), latency_dims());
    }

    #[test]
    fn composite_alarm_has_no_metrics() {
        let alarm = one("cloudwatch-alarm-composite-eventbridge.json");
        assert_eq!(alarm.kind, AlarmKind::Composite);
        assert!(alarm.metrics.is_empty());
        assert_eq!(alarm.dimensions().count(), 0);
        assert_eq!(
            alarm.arn.as_deref(),
            Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-ranker-latency-composite")
        );
    }

    #[test]
    fn sns_math_and_composite_notifications_parse() {
        let mut event = sample("cloudwatch-alarm-latency-sns.json");
        let message = json!({
            "AlarmName": "math", "NewStateValue": "ALARM", "OldStateValue": "OK",
            "StateChangeTime": "2026-11-28T12:00:00.000+0000", "AlarmDescription": null,
            "Trigger": {"Period": 60, "Metrics": [
                {"Id": "e1", "Expression": "m1/1000", "Label": "ms", "ReturnData": true},
                {"Id": "m1", "ReturnData": false, "MetricStat": {"Period": 86400, "Stat": "Average",
                  "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "ModelLatency",
                    "Dimensions": [{"name": "EndpointName", "value": "e"}]}}}]}
        });
        event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
        let alarm = Alarm::parse(event.clone()).unwrap().remove(0);
        assert_eq!(alarm.kind, AlarmKind::MetricMath);
        assert_eq!(alarm.metrics[0].period, Some(86_400));
        assert_eq!(
            alarm.dimensions().collect::<Vec<_>>(),
            vec![("EndpointName", "e")]
        );

        let composite = json!({"AlarmName": "c", "NewStateValue": "OK", "AlarmRule": "ALARM(a)",
            "StateChangeTime": null, "AlarmDescription": null});
        event["Records"][0]["Sns"]["Message"] = json!(composite.to_string());
        let alarm = Alarm::parse(event).unwrap().remove(0);
        assert_eq!(alarm.kind, AlarmKind::Composite);
        assert_eq!(alarm.time, None);
        // Without a state time the SNS message id identifies the delivery.
        assert_eq!(
            alarm.transition_id().as_deref(),
            Some("95df01b4-ee98-5cb9-9903-4c221d41eb5e")
        );
    }

    fn error_of(event: Value) -> String {
        match Alarm::parse(event) {
            Err(Error::InvalidEvent(message)) => message,
            other => panic!("expected InvalidEvent, got {other:?}"),
        }
    }

    #[test]
    fn bad_events_name_the_field() {
        let mut no_state = sample("cloudwatch-alarm-latency-eventbridge.json");
        no_state["detail"].as_object_mut().unwrap().remove("state");
        assert!(error_of(no_state).contains("detail: missing field `state`"));

        let mut bad_state = sample("cloudwatch-alarm-latency-eventbridge.json");
        bad_state["detail"]["state"]["value"] = json!("PANIC");
        assert!(error_of(bad_state).contains("detail.state.value"));

        let mut bad_time = sample("cloudwatch-alarm-latency-lambda-action.json");
        bad_time["alarmData"]["state"]["timestamp"] = json!("yesterday");
        assert!(error_of(bad_time).contains("alarmData.state.timestamp"));

        let mut empty_name = sample("cloudwatch-alarm-latency-lambda-action.json");
        empty_name["alarmData"]["alarmName"] = json!(" ");
        assert!(error_of(empty_name).contains("alarmData.alarmName: must not be empty"));

        let mut wrong_type = sample("cloudwatch-alarm-latency-eventbridge.json");
        wrong_type["detail"]["configuration"]["metrics"][0]["metricStat"]["period"] = json!("60");
        assert!(error_of(wrong_type).contains("detail.configuration.metrics[0].metricStat.period"));

        let mut sns_garbage = sample("cloudwatch-alarm-latency-sns.json");
        sns_garbage["Records"][0]["Sns"]["Message"] = json!("{not json");
        assert!(
            error_of(sns_garbage).contains("Records[0].Sns.Message: not a JSON alarm notification")
        );

        // A number that does not fit, inside the message: named down to its field.
        let mut sns_huge = sample("cloudwatch-alarm-latency-sns.json");
        let message = sns_huge["Records"][0]["Sns"]["Message"].as_str().unwrap();
        let huge = message.replacen("\"Threshold\":", "\"Threshold\":1e400,\"Was\":", 1);
        assert_ne!(huge, message, "the sample has a Trigger.Threshold");
        sns_huge["Records"][0]["Sns"]["Message"] = json!(huge);
        let err = error_of(sns_huge);
        assert!(
            err.contains("Records[0].Sns.Message.Trigger.Threshold: number out of range"),
            "{err}"
        );

        let mut sns_missing = sample("cloudwatch-alarm-latency-sns.json");
        sns_missing["Records"][0]["Sns"]["Message"] = json!("{\"AlarmName\":\"x\"}");
        assert!(
            error_of(sns_missing).contains("Records[0].Sns.Message: missing field `NewStateValue`")
        );

        assert!(error_of(json!({"Records": []})).contains("Records: empty"));
        assert!(
            error_of(json!({"detail-type": "Scheduled Event", "source": "aws.events"}))
                .contains("expected \"CloudWatch Alarm State Change\"")
        );
        assert!(error_of(json!({"hello": "world"})).contains("not a CloudWatch alarm"));
        assert!(error_of(json!([1, 2])).contains("expected a JSON object, got an array"));
        assert!(error_of(json!(null)).contains("got null"));
    }

    #[test]
    fn huge_or_control_character_names_and_impossible_times_are_refused() {
        let mut huge = sample("cloudwatch-alarm-latency-eventbridge.json");
        huge["detail"]["alarmName"] = json!("a".repeat(256));
        assert!(error_of(huge).contains("detail.alarmName: 256 characters"));
        let mut max = sample("cloudwatch-alarm-latency-eventbridge.json");
        max["detail"]["alarmName"] = json!("a".repeat(255));
        assert!(Alarm::parse(max).is_ok());
        let mut newline = sample("cloudwatch-alarm-latency-sns.json");
        let message = newline["Records"][0]["Sns"]["Message"]
            .as_str()
            .unwrap()
            .replace(
                "\"AlarmName\": \"prod-ranker-model-latency-p99\"",
                "\"AlarmName\":\"a\\nb\"",
            );
        newline["Records"][0]["Sns"]["Message"] = json!(message);
        assert!(error_of(newline).contains("AlarmName: contains control characters"));

        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |text: &str| {
            let mut event = sample("cloudwatch-alarm-latency-eventbridge.json");
            event["detail"]["state"]["timestamp"] = json!(text);
            Alarm::parse(event).unwrap().remove(0).check_time(now)
        };
        assert!(at("2026-11-29T11:00:00.000+0000").is_ok());
        assert!(at("2009-01-01T00:00:00.000+0000").is_ok());
        let future = at("2126-11-28T12:00:00.000+0000").unwrap_err().to_string();
        assert!(
            future.contains("detail.state.timestamp: 2126-11-28T12:00:00Z is in the future"),
            "{future}"
        );
        let past = at("1970-01-01T00:00:00.000+0000").unwrap_err().to_string();
        assert!(past.contains("is before 2009-01-01"), "{past}");
    }
}
