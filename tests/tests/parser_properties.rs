//! Property-based tests of the event parsers: on any JSON, and on the sample events with any
//! part replaced by any JSON, the alarm model, the prewarm payload parser and the drift-notify
//! input parser return a value or an `InvalidEvent`; they never panic. No AWS involved.
//! Numbers out of range go in as JSON text through `remediation::entry::parse_payload`, the
//! same function every binary's entry point parses its raw payload with (so the runtime's own
//! deserializer never sees the payload): a number beyond an f64 (`1e400`) in any numeric field
//! of any sample, or inside an SNS `Message` or a string payload, is an `InvalidEvent` naming
//! that field; a number that fits an f64 but not the field (`-1`, `1e300`, `4294967296`) is a
//! value or an `InvalidEvent`, never anything else.
//! Cases per property: `PROPTEST_CASES` (256 by default; `make fuzz` runs many more).

use chrono::{TimeZone, Utc};
use integration_tests::sample_event;
use proptest::prelude::*;
use remediation::alarm::Alarm;
use remediation::entry::parse_payload;
use remediation::Error;
use serde_json::{Map, Value};

/// `PROPTEST_CASES` cases (256 by default), no regression files in the tree.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Keys and strings the parsers look for, so that generated JSON gets past the first checks.
const WORDS: [&str; 40] = [
    "detail-type",
    "detail",
    "source",
    "time",
    "id",
    "resources",
    "Records",
    "Sns",
    "Message",
    "MessageId",
    "alarmData",
    "alarmArn",
    "alarmName",
    "state",
    "value",
    "timestamp",
    "configuration",
    "metrics",
    "metricStat",
    "metric",
    "dimensions",
    "period",
    "ALARM",
    "OK",
    "CloudWatch Alarm State Change",
    "SageMaker Processing Job State Change",
    "Model Drift Detected",
    "action",
    "raise",
    "restore",
    "verify",
    "sync-calendar",
    "endpoint",
    "min_capacity",
    "until",
    "calendar",
    "features",
    "ProcessingJobName",
    "ProcessingJobStatus",
    "Environment",
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(&WORDS[..]).prop_map(str::to_owned),
        "\\PC{0,24}",
        Just("2026-11-28T12:00:00.000+0000".to_owned()),
        Just("{\"AlarmName\":\"a\",\"NewStateValue\":\"ALARM\"".to_owned()),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((arb_string(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const SAMPLES: [&str; 12] = [
    "cloudwatch-alarm-latency-eventbridge.json",
    "cloudwatch-alarm-latency-sns.json",
    "cloudwatch-alarm-latency-lambda-action.json",
    "cloudwatch-alarm-math-eventbridge.json",
    "cloudwatch-alarm-daily-sns.json",
    "cloudwatch-alarm-composite-eventbridge.json",
    "cloudwatch-alarm-drift-eventbridge.json",
    "custom-drift-event.json",
    "sagemaker-processing-job-monitoring-violations.json",
    "sagemaker-processing-job-monitoring-failed.json",
    "prewarm-raise.json",
    "prewarm-sync-calendar.json",
];

/// Every JSON pointer inside `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A sample event with one part (chosen by `pick`) replaced by `replacement`.
fn mutate(sample: usize, pick: usize, replacement: Value) -> Value {
    let mut event = sample_event(SAMPLES[sample % SAMPLES.len()], "prod-ranker");
    let mut all = Vec::new();
    pointers(&event, String::new(), &mut all);
    let at = &all[pick % all.len()];
    if at.is_empty() {
        return replacement;
    }
    if let Some(slot) = event.pointer_mut(at) {
        *slot = replacement;
    }
    event
}

/// Every parser on one input: only values or `InvalidEvent` (or, for prewarm's file
/// calendars, nothing else either).
fn parse_all(event: Value) -> Result<(), TestCaseError> {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    let invalid = |r: Result<(), Error>| match r {
        Ok(()) | Err(Error::InvalidEvent(_)) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!("not InvalidEvent: {other}"))),
    };
    invalid(remediation::check_event_size(&event))?;
    invalid(Alarm::parse(event.clone()).map(|alarms| {
        for alarm in &alarms {
            let _ = alarm.check_time(now);
            let _ = alarm.transition_id();
            let _ = alarm.crossing();
        }
    }))?;
    invalid(prewarm::payload::parse(event.clone(), now).map(|_| ()))?;
    invalid(drift_notify::event::parse(event).map(|input| {
        let _ = input.check_time(now);
    }))?;
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsers_never_panic_on_any_json(event in arb_json()) {
        parse_all(event)?;
    }

    #[test]
    fn parsers_never_panic_on_damaged_sample_events(
        sample in any::<usize>(), pick in any::<usize>(), replacement in arb_json()
    ) {
        parse_all(mutate(sample, pick, replacement))?;
    }

    #[test]
    fn parsers_never_panic_on_sns_messages_cut_anywhere(cut in any::<usize>()) {
        let mut event = sample_event("cloudwatch-alarm-latency-sns.json", "prod-ranker");
        let message = event["Records"][0]["Sns"]["Message"].as_str().unwrap().to_owned();
        let mut end = cut % (message.len() + 1);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        event["Records"][0]["Sns"]["Message"] = Value::String(message[..end].to_owned());
        parse_all(event.clone())?;
        // A string payload cut anywhere, as prewarm accepts stringified input.
        let text = sample_event("prewarm-raise.json", "prod-ranker").to_string();
        parse_all(Value::String(text[..cut % (text.len() + 1)].to_owned()))?;
    }
}

// ---- numbers out of range ----

/// Numbers, as JSON text, beyond what an f64 holds.
fn arb_beyond_f64() -> impl Strategy<Value = String> {
    prop_oneof![
        (309u32..100_000).prop_map(|e| format!("1e{e}")),
        (309u32..100_000).prop_map(|e| format!("-2.5E+{e}")),
        (310usize..600).prop_map(|digits| "9".repeat(digits)),
        (310usize..600).prop_map(|digits| format!("-{}.5", "9".repeat(digits))),
    ]
}

/// Numbers, as JSON text, that fit an f64 but not the fields that take counts, periods or
/// ratios.
fn arb_beyond_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("1.5".to_owned()),
        Just("4294967296".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("1e300".to_owned()),
        Just("-1e300".to_owned()),
        Just("5e-324".to_owned()),
    ]
}

/// A number in a sample: where it is (a JSON pointer), the path an error names for it, and,
/// for a number inside a JSON string (an SNS `Message`), the pointer inside that string.
#[derive(Debug, Clone)]
struct NumberAt {
    outer: String,
    inner: Option<String>,
    path: String,
}

fn push_segment(path: &str, key: &str, in_array: bool) -> String {
    match (in_array, path.is_empty()) {
        (true, _) => format!("{path}[{key}]"),
        (false, true) => key.to_owned(),
        (false, false) => format!("{path}.{key}"),
    }
}

/// Every number in `value`: (pointer, error path).
fn numbers(value: &Value, at: &str, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Number(_) => out.push((at.to_owned(), path.to_owned())),
        Value::Object(map) => {
            for (k, v) in map {
                let pointer = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                numbers(v, &pointer, &push_segment(path, k, false), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                numbers(
                    v,
                    &format!("{at}/{i}"),
                    &push_segment(path, &i.to_string(), true),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Every number of a sample, those inside its SNS messages included.
fn numbers_of(event: &Value) -> Vec<NumberAt> {
    let mut outer = Vec::new();
    numbers(event, "", "", &mut outer);
    let mut all: Vec<NumberAt> = outer
        .into_iter()
        .map(|(pointer, path)| NumberAt {
            outer: pointer,
            inner: None,
            path,
        })
        .collect();
    let records = event["Records"].as_array().map(Vec::len).unwrap_or(0);
    for i in 0..records {
        let at = format!("/Records/{i}/Sns/Message");
        let Some(message) = event.pointer(&at).and_then(Value::as_str) else {
            continue;
        };
        let message: Value = serde_json::from_str(message).unwrap();
        let mut inner = Vec::new();
        numbers(
            &message,
            "",
            &format!("Records[{i}].Sns.Message"),
            &mut inner,
        );
        all.extend(inner.into_iter().map(|(pointer, path)| NumberAt {
            outer: at.clone(),
            inner: Some(pointer),
            path,
        }));
    }
    all
}

const PLACEHOLDER: &str = "@@number@@";

/// `event` as JSON text with the number at `at` written as `literal`.
fn with_literal(mut event: Value, at: &NumberAt, literal: &str) -> String {
    let quoted = format!("\"{PLACEHOLDER}\"");
    match &at.inner {
        None => {
            *event.pointer_mut(&at.outer).unwrap() = Value::String(PLACEHOLDER.to_owned());
            event.to_string().replace(&quoted, literal)
        }
        Some(inner) => {
            let slot = event.pointer_mut(&at.outer).unwrap();
            let mut message: Value = serde_json::from_str(slot.as_str().unwrap()).unwrap();
            *message.pointer_mut(inner).unwrap() = Value::String(PLACEHOLDER.to_owned());
            *slot = Value::String(message.to_string().replace(&quoted, literal));
            event.to_string()
        }
    }
}

/// Samples whose every number the parsers may read.
fn numbers_in_samples() -> Vec<(Value, NumberAt)> {
    SAMPLES
        .iter()
        .flat_map(|name| {
            let event = sample_event(name, "prod-ranker");
            numbers_of(&event)
                .into_iter()
                .map(move |at| (event.clone(), at))
        })
        .collect()
}

#[test]
fn the_samples_have_numbers_in_every_shape() {
    let all = numbers_in_samples();
    for path in [
        "detail.configuration.metrics[0].metricStat.period",
        "Records[0].Sns.Message.Trigger.Threshold",
        "alarmData.configuration.metrics[0].metricStat.period",
        "min_capacity",
        "detail.features[0].value",
        "detail.features[0].threshold",
        "calendar[0].lead_minutes",
    ] {
        assert!(all.iter().any(|(_, at)| at.path == path), "{path}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn numbers_beyond_f64_are_invalid_events_naming_the_field(
        pick in any::<usize>(), literal in arb_beyond_f64()
    ) {
        let all = numbers_in_samples();
        let (event, at) = &all[pick % all.len()];
        let text = with_literal(event.clone(), at, &literal);
        let expected = format!("{}: number out of range", at.path);
        let err = match &at.inner {
            None => parse_payload(&text).map(|_| ()),
            // Inside an SNS message: the payload parses, the alarm model names the field.
            Some(_) => Alarm::parse(parse_payload(&text).unwrap()).map(|_| ()),
        };
        match err {
            Err(Error::InvalidEvent(message)) => {
                prop_assert!(message.contains(&expected), "{expected:?} not in {message:?}");
            }
            other => prop_assert!(false, "{text}: {other:?}"),
        }
    }

    #[test]
    fn numbers_beyond_a_field_are_values_or_invalid_events(
        pick in any::<usize>(), literal in arb_beyond_field()
    ) {
        let all = numbers_in_samples();
        let (event, at) = &all[pick % all.len()];
        let text = with_literal(event.clone(), at, &literal);
        parse_all(parse_payload(&text).unwrap())?;
    }

    #[test]
    fn a_string_payload_with_a_number_beyond_f64_names_the_field(
        literal in arb_beyond_f64()
    ) {
        let raise = sample_event("prewarm-raise.json", "prod-ranker");
        let at = NumberAt {
            outer: "/min_capacity".to_owned(),
            inner: None,
            path: "min_capacity".to_owned(),
        };
        let payload = Value::String(with_literal(raise, &at, &literal));
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        match prewarm::payload::parse(payload, now) {
            Err(Error::InvalidEvent(message)) => prop_assert!(
                message.contains("payload.min_capacity: number out of range"),
                "{message}"
            ),
            other => prop_assert!(false, "{other:?}"),
        }
    }
}
