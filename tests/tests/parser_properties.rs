//! Property-based tests of the event parsers: on any JSON, and on the sample events with any
//! part replaced by any JSON, the alarm model, the prewarm payload parser and the drift-notify
//! input parser return a value or an `InvalidEvent`; they never panic. No AWS involved.
//! Cases per property: `PROPTEST_CASES` (256 by default; `make fuzz` runs many more).

use chrono::{TimeZone, Utc};
use integration_tests::sample_event;
use proptest::prelude::*;
use remediation::alarm::Alarm;
use remediation::Error;
use serde_json::{Map, Value};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
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
