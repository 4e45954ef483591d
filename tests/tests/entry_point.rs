//! The shared entry point of all three binaries (shared/src/entry.rs), run as Lambda runs it:
//! - a payload with a number that does not fit an f64 (`1e400`) goes through cargo-lambda's
//!   Runtime API emulator to the real binary and comes back as `NonRetryable.InvalidEvent`
//!   naming the field, never as the runtime's own deserializer error;
//! - a configuration error at start is posted to the Runtime API's init-error path with the
//!   error type `NonRetryable.InvalidConfig`, and the process exits non-zero: a bad variable,
//!   and an audit topic that does not exist (checked at start, before any event).
//!
//! The only AWS call is the topic check at start: every payload here is refused before the
//! handler reaches a client.

use std::time::Duration;

use integration_tests::{function_binary, sample_event, unique, LocalRuntime, Moto, LOCK_TABLE};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::Command;

const FUNCTIONS: [&str; 3] = ["scale-on-latency", "prewarm", "drift-notify"];

/// A topic ARN for the configuration; nothing is published in these tests.
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:entry-point-unused";

/// [`TOPIC`], created in moto: each binary checks its audit topic at start.
async fn topic() -> String {
    let moto = Moto::connect().await;
    let out = moto
        .sns
        .create_topic()
        .name("entry-point-unused")
        .send()
        .await
        .unwrap();
    let arn = out.topic_arn().unwrap().to_owned();
    assert_eq!(arn, TOPIC);
    arn
}

/// The sample `file` as text with the first `"<key>": <number>` given the value `literal`.
fn with_number(file: &str, key: &str, literal: &str) -> String {
    let text = sample_event(file, "prod-ranker").to_string();
    let marker = format!("\"{key}\":");
    let start = text.find(&marker).expect(&marker) + marker.len();
    let end = start
        + text[start..]
            .find([',', '}', ']'])
            .expect("a number ends the value");
    let replaced = format!("{}{literal}{}", &text[..start], &text[end..]);
    assert_ne!(replaced, text, "{file}: {key} was already {literal}");
    replaced
}

/// Payloads per function: (payload text, the field its error must name).
fn out_of_range_payloads(function: &str) -> Vec<(String, &'static str)> {
    match function {
        "scale-on-latency" => vec![
            (
                with_number(
                    "cloudwatch-alarm-latency-eventbridge.json",
                    "period",
                    "1e400",
                ),
                "detail.configuration.metrics[0].metricStat.period: number out of range",
            ),
            (
                with_number(
                    "cloudwatch-alarm-latency-lambda-action.json",
                    "period",
                    "-1E999",
                ),
                "alarmData.configuration.metrics[0].metricStat.period: number out of range",
            ),
        ],
        "prewarm" => vec![(
            with_number("prewarm-raise.json", "min_capacity", "1e400"),
            "min_capacity: number out of range",
        )],
        "drift-notify" => vec![(
            with_number("custom-drift-event.json", "value", "1e400"),
            "detail.features[0].value: number out of range",
        )],
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn out_of_range_numbers_are_invalid_events_in_every_binary() {
    let topic = topic().await;
    for function in FUNCTIONS {
        let env = [
            ("ALLOWED_ENDPOINTS", "prod-*".to_owned()),
            ("NOTIFY_TOPIC_ARN", topic.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
        ];
        let mut runtime = LocalRuntime::start(&function_binary(function), &env)
            .await
            .unwrap();
        for (payload, field) in out_of_range_payloads(function) {
            let answer = runtime
                .invoke_with(&["--data-ascii".to_owned(), payload.clone()])
                .await
                .unwrap();
            // cargo lambda wraps the message in a box: one line, without the box's borders.
            let error = answer["error"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .filter(|word| *word != "\u{2502}")
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                error.contains("NonRetryable.InvalidEvent"),
                "{function}: {answer}"
            );
            assert!(error.contains(field), "{function}: {field:?} in {answer}");
            assert!(!error.contains("DeserializeError"), "{function}: {answer}");
        }
        // Still serving: the next payload reaches the handler and is judged on its content.
        let answer = runtime
            .invoke(&serde_json::json!({"not": "an event"}))
            .await
            .unwrap();
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("NonRetryable.InvalidEvent"),
            "{function}: {answer}"
        );
        runtime.stop().await;
    }
}

/// What one HTTP request to the stand-in Runtime API carried.
struct Request {
    head: String,
    body: Value,
}

/// Accept one HTTP/1.1 request on `listener`, answer `202 Accepted` as the Runtime API does
/// for `/runtime/init/error`, and return it.
async fn one_request(listener: &TcpListener) -> Request {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, length) = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the request head ended");
        bytes.extend_from_slice(&buf[..n]);
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().unwrap())
                })
                .expect("a Content-Length header");
            bytes.drain(..end + 4);
            break (head, length);
        }
    };
    while bytes.len() < length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the body ended");
        bytes.extend_from_slice(&buf[..n]);
    }
    stream
        .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    Request {
        head,
        body: serde_json::from_slice(&bytes[..length]).unwrap(),
    }
}

/// The Runtime API here is a small local HTTP server standing in for it (cargo-lambda's
/// emulator does not show what a function posts to `/runtime/init/error`); the binary is the
/// real one, started as Lambda starts it, with `AWS_LAMBDA_RUNTIME_API` pointing at the server.
/// Start `function` with `env` (and nothing else of this process's environment but the AWS
/// settings) against a stand-in Runtime API; it must post an init error of type
/// `NonRetryable.InvalidConfig` and exit non-zero. Returns the error message.
async fn init_error(function: &str, env: &[(&str, String)]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let aws: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_"))
        .collect();
    let mut child = Command::new(function_binary(function))
        .env_clear()
        .envs(aws)
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let request = tokio::time::timeout(Duration::from_secs(20), one_request(&listener))
        .await
        .unwrap_or_else(|_| panic!("{function} reported nothing to the Runtime API"));
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap_or_else(|_| panic!("{function} did not exit after the init error"))
        .unwrap();

    assert!(!status.success(), "{function}: {status}");
    let first = request.head.lines().next().unwrap_or_default();
    assert_eq!(
        first, "POST /2018-06-01/runtime/init/error HTTP/1.1",
        "{function}"
    );
    let error_type = request.head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("lambda-runtime-function-error-type")
            .then(|| value.trim().to_owned())
    });
    assert_eq!(
        error_type.as_deref(),
        Some("NonRetryable.InvalidConfig"),
        "{function}: {}",
        request.head
    );
    assert_eq!(
        request.body["errorType"], "NonRetryable.InvalidConfig",
        "{function}"
    );
    request.body["errorMessage"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn configuration_errors_are_reported_to_the_init_error_path() {
    for function in FUNCTIONS {
        let env = [
            ("NOTIFY_TOPIC_ARN", TOPIC.to_owned()),
            ("DRY_RUN", "perhaps".to_owned()),
        ];
        let message = init_error(function, &env).await;
        assert!(message.contains("DRY_RUN"), "{function}: {message}");
    }
}

/// An audit topic that does not exist is found at start, before any event can change capacity
/// and then fail to be announced.
#[tokio::test]
async fn a_missing_audit_topic_is_a_configuration_error_at_start() {
    let missing = format!(
        "arn:aws:sns:us-east-1:123456789012:{}",
        unique("no-such-topic")
    );
    for function in FUNCTIONS {
        let env = [
            ("ALLOWED_ENDPOINTS", "prod-*".to_owned()),
            ("NOTIFY_TOPIC_ARN", missing.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
        ];
        let message = init_error(function, &env).await;
        assert!(
            message.contains("NOTIFY_TOPIC_ARN") && message.contains(&missing),
            "{function}: {message}"
        );
    }
}
