//! One test per trust boundary of SECURITY.md, against moto and the built binaries:
//! - a calendar path in Lambda is refused before any file is opened, with the same message
//!   whether the file exists or not;
//! - names outside the configuration (an endpoint outside the allowlist, a topic, a bucket)
//!   change nothing and read nothing;
//! - free text from events reaches SNS subjects and the logs without control characters and
//!   within limits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use integration_tests::proxy::FaultProxy;
use integration_tests::{
    function_binary, sample_event, unique, EndpointFixture, LocalRuntime, LOCK_TABLE,
};
use remediation::entry::Handler;
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";

fn calendar_text(endpoint: &str) -> String {
    std::fs::read_to_string(integration_tests::workspace().join("events/prewarm-calendar.json"))
        .unwrap()
        .replace("prod-ranker", endpoint)
}

/// A fresh directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A named pipe: opening it for reading blocks until a writer opens it, so a function that
/// tried to open it would never answer.
fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The error line `cargo lambda invoke` printed, without what differs between invocations.
fn error_of(response: &Value) -> String {
    let text = response["error"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {response}"));
    text.lines()
        .filter(|l| l.contains("NonRetryable") || l.contains("calendar:"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn invoke_in_time(runtime: &mut LocalRuntime, event: &Value) -> Value {
    tokio::time::timeout(Duration::from_secs(30), runtime.invoke(event))
        .await
        .expect("the function answered (it did not block opening a file)")
        .unwrap()
}

fn sync(calendar: &Path) -> Value {
    json!({"action": "sync-calendar", "calendar": calendar.display().to_string()})
}

#[tokio::test]
async fn a_calendar_path_in_lambda_is_refused_before_any_file_is_opened() {
    let f = EndpointFixture::new("trust-path", &[VARIANT], 2, 20).await;
    let dir = temp_dir("trust-calendars");
    let exists = dir.join("calendar.json");
    std::fs::write(&exists, calendar_text(&f.endpoint)).unwrap();
    let pipe = dir.join("pipe.json");
    fifo(&pipe);
    let env = [
        ("ALLOWED_ENDPOINTS", f.endpoint.clone()),
        ("NOTIFY_TOPIC_ARN", f.inbox.topic_arn.clone()),
        ("LOCK_TABLE", LOCK_TABLE.to_owned()),
    ];
    let mut runtime = LocalRuntime::start(&function_binary("prewarm"), &env)
        .await
        .unwrap();
    let mut messages = Vec::new();
    for path in [
        exists.clone(),
        dir.join("missing.json"),
        pipe.clone(),
        PathBuf::from("/proc/self/environ"),
    ] {
        let response = invoke_in_time(&mut runtime, &sync(&path)).await;
        let error = error_of(&response);
        assert!(error.contains("NonRetryable.InvalidEvent"), "{response}");
        assert!(
            error.contains("calendar: a file path is not read in Lambda"),
            "{response}"
        );
        assert!(!error.contains(&dir.display().to_string()), "{error}");
        messages.push(error);
    }
    assert!(
        messages.iter().all(|m| *m == messages[0]),
        "the messages differ: {messages:#?}"
    );
    runtime.stop().await;

    // Nothing synced, nothing published.
    let actions = f
        .moto
        .autoscaling
        .describe_scheduled_actions()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker)
        .resource_id(format!("endpoint/{}/variant/{VARIANT}", f.endpoint))
        .send()
        .await
        .unwrap();
    assert!(actions.scheduled_actions().is_empty());
    assert!(f.moto.published(&f.inbox).await.unwrap().is_empty());

    // The same binary with CALENDAR_DIR set reads a file inside it (so the refusal above is
    // the policy), and still refuses one outside it.
    let mut env = env.to_vec();
    env.push(("CALENDAR_DIR", dir.display().to_string()));
    let mut runtime = LocalRuntime::start(&function_binary("prewarm"), &env)
        .await
        .unwrap();
    let synced = invoke_in_time(
        &mut runtime,
        &json!({"action": "sync-calendar", "calendar": "calendar.json"}),
    )
    .await;
    assert_eq!(
        synced["calendar"]["created"].as_array().map(Vec::len),
        Some(4),
        "{synced}"
    );
    let outside = invoke_in_time(&mut runtime, &sync(Path::new("/proc/self/environ"))).await;
    assert!(
        error_of(&outside).contains("calendar: only a file inside CALENDAR_DIR is read"),
        "{outside}"
    );
    runtime.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn names_outside_the_configuration_change_nothing_and_read_nothing() {
    let f = EndpointFixture::new("trust-names", &[VARIANT], 2, 20).await;
    let outsider = EndpointFixture::new("trust-outsider", &[VARIANT], 2, 20).await;
    let before = outsider.moto.tags(&outsider.endpoint).await.unwrap();
    let env = f.env(&f.endpoint, &[]);
    let lookup = |name: &str| env.get(name).cloned();
    // Every call goes through a recording proxy in front of moto.
    let (proxy, sdk) = FaultProxy::with_sdk().await.unwrap();

    // prewarm: an endpoint outside the allowlist is refused before anything about it is
    // read; the only call is the audit message, to the configured topic.
    let prewarm = prewarm::App::new(&sdk, prewarm::Config::from_lookup(&lookup).unwrap());
    let raise = sample_event("prewarm-raise.json", &outsider.endpoint);
    let err = prewarm.handle(raise, Utc::now()).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.Refused", "{err}");
    assert_eq!(proxy.operations(), ["Publish"]);

    // scale-on-latency: the same for an alarm about that endpoint.
    let scale = scale_on_latency::App::new(
        &sdk,
        scale_on_latency::Config::from_lookup(&lookup).unwrap(),
    );
    let alarm = sample_event(
        "cloudwatch-alarm-latency-eventbridge.json",
        &outsider.endpoint,
    );
    let err = scale.handle(alarm, Utc::now()).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.Refused", "{err}");
    assert_eq!(proxy.operations(), ["Publish", "Publish"]);
    let audit = f.moto.published(&f.inbox).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|m| m.attributes["action"] == "refused"));

    // A payload naming a topic, or a calendar naming a bucket by URL, is refused as it is
    // parsed: no call at all.
    let mut topic = sample_event("prewarm-raise.json", &f.endpoint);
    topic["notify_topic_arn"] = json!("arn:aws:sns:us-east-1:123456789012:attacker");
    let err = prewarm.handle(topic, Utc::now()).await.unwrap_err();
    assert!(
        err.to_string().contains("notify_topic_arn: unknown field"),
        "{err}"
    );
    let url = json!({"action": "sync-calendar", "calendar": "https://attacker.example/cal.json"});
    let err = prewarm.handle(url, Utc::now()).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidEvent", "{err}");
    assert_eq!(proxy.operations().len(), 2, "{:?}", proxy.operations());

    // drift-notify: a custom finding whose report lives in some other bucket is only linked,
    // never read; the message goes to the configured topic.
    let drift = drift_notify::App::new(&sdk, drift_notify::Config::from_lookup(&lookup).unwrap());
    let mut custom = sample_event("custom-drift-event.json", &f.endpoint);
    custom["detail"]["report_uri"] = json!("s3://someone-elses-bucket/private/report.json");
    custom["detail"]["detected_at"] = json!(Utc::now().to_rfc3339());
    custom["time"] = json!(Utc::now().to_rfc3339());
    drift.handle(custom, Utc::now()).await.unwrap();
    assert_eq!(proxy.operations(), ["Publish", "Publish", "Publish"]);
    assert_eq!(f.moto.published(&f.inbox).await.unwrap().len(), 1);

    // The endpoint outside the allowlist is as it was.
    assert_eq!(
        outsider.moto.tags(&outsider.endpoint).await.unwrap(),
        before
    );
    assert_eq!(
        outsider
            .moto
            .capacity(&outsider.endpoint, VARIANT)
            .await
            .unwrap()
            .0,
        2
    );
}

/// Text no subject or log line may carry as it is.
const HOSTILE: &str = "line\r\nSubject: forged\u{1b}[31m\u{0}\u{7}\ttab";

fn is_clean_subject(subject: &str) -> bool {
    subject.len() <= 100 && subject.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

#[tokio::test]
async fn free_text_reaches_subjects_without_control_characters_and_within_limits() {
    let f = EndpointFixture::new("trust-text", &[VARIANT], 2, 20).await;
    let env = f.env(&f.endpoint, &[]);
    let lookup = |name: &str| env.get(name).cloned();
    let drift = drift_notify::App::new(
        &f.moto.sdk,
        drift_notify::Config::from_lookup(&lookup).unwrap(),
    );
    let mut custom = sample_event("custom-drift-event.json", &f.endpoint);
    let long = format!("{HOSTILE} {}", "x".repeat(5_000));
    custom["detail"]["monitoring_schedule"] = json!(HOSTILE);
    custom["detail"]["features"] = json!((0..40)
        .map(
            |i| json!({"name": format!("{HOSTILE}{i}"), "check_type": HOSTILE,
                        "value": 0.5, "threshold": 0.1, "description": long})
        )
        .collect::<Vec<_>>());
    custom["detail"]["detected_at"] = json!(Utc::now().to_rfc3339());
    custom["time"] = json!(Utc::now().to_rfc3339());
    drift.handle(custom, Utc::now()).await.unwrap();

    let scale = scale_on_latency::App::new(
        &f.moto.sdk,
        scale_on_latency::Config::from_lookup(&lookup).unwrap(),
    );
    let mut alarm = sample_event("cloudwatch-alarm-latency-eventbridge.json", &f.endpoint);
    alarm["detail"]["configuration"]["description"] = json!(long);
    alarm["detail"]["state"]["reason"] = json!(long);
    scale.handle(alarm, Utc::now()).await.unwrap();

    let messages = f.moto.published(&f.inbox).await.unwrap();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    for m in &messages {
        assert!(is_clean_subject(&m.subject), "{:?}", m.subject);
        assert!(m.message.len() <= 32 * 1024, "{} bytes", m.message.len());
        // The body keeps its own lines and gets no other: the drift finding's texts are each
        // put on one line.
        let forged = m
            .message
            .lines()
            .filter(|l| l.starts_with("Subject: forged"));
        assert_eq!(forged.count(), 0, "{}", m.message);
        let control = |c: char| c.is_control() && c != '\n';
        assert!(!m.message.chars().any(control), "{:?}", m.message);
        for (name, value) in &m.attributes {
            assert!(!value.chars().any(char::is_control), "{name}: {value:?}");
        }
    }
}

/// Every line the binary logged has no raw control character (an ANSI colour code is one: Lambda
/// keeps it in CloudWatch as it is), is one JSON object when `json`, and repeats no more of the
/// event than a message needs.
fn assert_clean_log(log: &Path, json: bool, most: usize) -> usize {
    let text = std::fs::read_to_string(log).unwrap();
    let mut lines = 0;
    for line in text.lines() {
        if json {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "{}: not one JSON object per line ({e}): {line:?}",
                    log.display()
                )
            });
            assert!(value.is_object(), "{line}");
        }
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.len() <= most, "{} bytes: {}", line.len(), &line[..200]);
        lines += 1;
    }
    lines
}

#[tokio::test]
async fn free_text_reaches_the_logs_without_control_characters_and_within_limits() {
    let f = EndpointFixture::new("trust-logs", &[VARIANT], 2, 20).await;
    let dir = temp_dir("trust-logs");
    let long_key = format!("{HOSTILE}{}", "k".repeat(20_000));
    let cases: [(&str, Vec<Value>); 2] = [
        (
            "prewarm",
            vec![
                json!({"action": "raise", "endpoint": f.endpoint, "event": HOSTILE,
                       "min_capacity": 3, "for": "1h"}),
                json!({"action": "raise", "endpoint": f.endpoint, "event": "promo",
                       "min_capacity": 3, "for": "1h", long_key.clone(): 1}),
                json!({"action": HOSTILE}),
            ],
        ),
        (
            "scale-on-latency",
            vec![{
                let mut alarm =
                    sample_event("cloudwatch-alarm-latency-eventbridge.json", &f.endpoint);
                alarm["detail"]["configuration"]["description"] = json!(HOSTILE);
                alarm["detail"]["alarmName"] = json!(HOSTILE);
                alarm
            }],
        ),
    ];
    // Lambda's two log formats: `Text` is also what a function without the setting writes.
    let runs = cases
        .iter()
        .flat_map(|case| ["JSON", "Text"].map(|format| (case, format)));
    for ((binary, events), format) in runs {
        let log = dir.join(format!("{binary}-{format}.log"));
        let env = [
            ("ALLOWED_ENDPOINTS", f.endpoint.clone()),
            ("NOTIFY_TOPIC_ARN", f.inbox.topic_arn.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
            ("AWS_LAMBDA_LOG_FORMAT", format.to_owned()),
            ("AWS_LAMBDA_LOG_LEVEL", "info".to_owned()),
        ];
        let mut runtime = LocalRuntime::start_logged(&function_binary(binary), &env, &log)
            .await
            .unwrap();
        for event in events {
            let response = runtime.invoke(event).await.unwrap();
            assert!(
                response["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("NonRetryable.InvalidEvent")),
                "{binary}: {response}"
            );
        }
        runtime.stop().await;
        let lines = assert_clean_log(&log, format == "JSON", 2_048);
        assert!(
            lines >= events.len(),
            "{binary} ({format}): {lines} log lines"
        );
    }
    // Nothing was changed by any of it.
    assert_eq!(f.moto.capacity(&f.endpoint, VARIANT).await.unwrap().0, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
