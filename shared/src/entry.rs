//! What every function's `main` does around its handler: parse the raw payload itself (so a
//! number that does not fit, `1e400`, is a `NonRetryable.InvalidEvent` naming the field, not the
//! runtime's own deserializer error), and report a configuration error through the Runtime API's
//! init-error path with the documented error type before exiting.

use std::future::Future;

use chrono::{DateTime, Utc};
use lambda_runtime::{service_fn, LambdaEvent};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tracing_subscriber::filter::LevelFilter;

use crate::audit::Notifier;
use crate::config::{process_env, Lookup};
use crate::{from_json, Error, MAX_EVENT_BYTES};

/// The Runtime API path a runtime reports an initialization failure to.
pub const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";
/// The header that carries the error type of a reported failure.
pub const ERROR_TYPE_HEADER: &str = "Lambda-Runtime-Function-Error-Type";

/// Parse JSON text into a value; an error names the field it happened in, under `root`
/// (`detail.features[0].value: number out of range at line 1 column 80`).
pub fn parse_json(text: &str, root: &str) -> Result<Value, Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: Value = from_json(&mut deserializer, root)?;
    deserializer.end().map_err(|err| {
        let field = if root.is_empty() { "event" } else { root };
        Error::InvalidEvent(format!("{field}: {err}"))
    })?;
    Ok(value)
}

/// JSON carried inside a JSON string (an SNS `Message`, a payload delivered as a string): an
/// error starts with `context` (what the text should be) and names the field inside `root`.
pub fn parse_embedded(text: &str, root: &str, context: &str) -> Result<Value, Error> {
    parse_json(text, root).map_err(|err| match err {
        Error::InvalidEvent(detail) => Error::InvalidEvent(format!("{context} ({detail})")),
        other => other,
    })
}

/// The invocation payload as the handlers take it: refused before parsing when it is larger
/// than [`MAX_EVENT_BYTES`].
pub fn parse_payload(text: &str) -> Result<Value, Error> {
    if text.len() > MAX_EVENT_BYTES {
        return Err(Error::InvalidEvent(format!(
            "event: {} bytes, more than the {MAX_EVENT_BYTES} bytes any alarm, schedule or \
             drift event can be; refused without reading it",
            text.len()
        )));
    }
    parse_json(text, "")
}

/// When an invocation is handled: the time it is handled at, and the deadline it must end by
/// (Lambda's; `None` when called without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: DateTime<Utc>,
    pub deadline: Option<DateTime<Utc>>,
}

/// The handler of a function that changes capacity, as its `main` serves it and its tests call
/// it.
pub trait Handler {
    type Summary: Serialize;

    /// Handle one invocation at `clock.now` that must end by `clock.deadline`.
    fn handle_at(
        &self,
        event: Value,
        clock: Clock,
    ) -> impl Future<Output = Result<Self::Summary, Error>> + Send;

    /// Handle one invocation at time `now` that must end by `deadline` (Lambda's).
    fn handle_until(
        &self,
        event: Value,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Self::Summary, Error>> + Send {
        self.handle_at(event, Clock { now, deadline })
    }

    /// Handle one invocation at time `now`, with no deadline.
    fn handle(
        &self,
        event: Value,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Self::Summary, Error>> + Send {
        self.handle_until(event, now, None)
    }
}

/// Serve invocations until the runtime stops: each raw payload is parsed by [`parse_payload`]
/// and handed to `handler` with the invocation's deadline; a payload that does not parse is
/// refused with its `InvalidEvent`.
pub async fn serve<F, Fut, R>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value, Option<DateTime<Utc>>) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
    R: Serialize,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            let payload = parse_payload(event.payload.get()).inspect_err(|err| {
                tracing::error!(error = %err, "rejected event");
            })?;
            let deadline = usable_deadline(event.context.deadline(), Utc::now());
            handler(payload, deadline).await
        },
    ))
    .await
}

/// The invocation's deadline, or `None` when the runtime gives one that has already passed as
/// the invocation starts: Lambda never does; a local emulator may send a placeholder
/// (cargo-lambda's is 600,000 ms after the epoch), and a deadline taken at its word would stop
/// a sweep before it starts.
fn usable_deadline(deadline: std::time::SystemTime, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let deadline = DateTime::<Utc>::from(deadline);
    if deadline > now {
        return Some(deadline);
    }
    tracing::warn!(%deadline, "the runtime's deadline has already passed (a local emulator?): running without one");
    None
}

/// What every `main` does before serving: logging, the configuration read from the process
/// environment by `config` (rejected: reported as [`config_or_report`] does), the clients built
/// once by `build`, and the audit topic checked (`notifier`: the app's) before the first event.
pub async fn start<C, A>(
    config: impl FnOnce(Lookup<'_>) -> Result<C, Error>,
    build: impl FnOnce(&aws_config::SdkConfig, C) -> A,
    notifier: impl FnOnce(&A) -> &Notifier,
) -> Result<A, Error> {
    init_logging();
    let config = config_or_report(config(&process_env)).await?;
    let app = build(&crate::sdk::load().await, config);
    config_or_report(notifier(&app).check_topic().await).await?;
    Ok(app)
}

/// Logging as Lambda's advanced logging controls set it: one JSON object per line when
/// `AWS_LAMBDA_LOG_FORMAT` is `JSON`, at the level `AWS_LAMBDA_LOG_LEVEL` names (else
/// `RUST_LOG`'s global level, its per-module directives not read; else INFO). The output of
/// lambda_runtime's default subscriber, without its per-module filter directives (a
/// regular-expression engine in every binary) and without colour codes (CloudWatch keeps them
/// as raw escape characters).
fn init_logging() {
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(log_level(&process_env));
    if process_env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// The level [`init_logging`] writes at.
fn log_level(env: Lookup<'_>) -> LevelFilter {
    env("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| env("RUST_LOG"))
        .and_then(|value| {
            // `RUST_LOG=warn,aws_smithy=debug`: the global level (the directive without `=`).
            let global = value.split(',').map(str::trim).find(|d| !d.contains('='))?;
            global.parse().ok()
        })
        .unwrap_or(LevelFilter::INFO)
}

/// The configuration, or, when it is rejected, the error reported to the Runtime API's
/// `/runtime/init/error` with its error type (`NonRetryable.InvalidConfig`) so the console
/// shows it, then returned so `main` exits non-zero.
pub async fn config_or_report<C>(config: Result<C, Error>) -> Result<C, Error> {
    let err = match config {
        Ok(config) => return Ok(config),
        Err(err) => err,
    };
    tracing::error!(error = %err, error_type = err.error_type(), "configuration rejected; fix the variable and redeploy");
    if let Err(report) = report_init_error(&err).await {
        tracing::error!(error = %report, "could not report the init error to the Runtime API");
    }
    Err(err)
}

/// POST the error to `http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error` with the
/// error type in [`ERROR_TYPE_HEADER`], as AWS documents for custom runtimes. Outside Lambda
/// (no `AWS_LAMBDA_RUNTIME_API`) there is nobody to tell: only the log line is written.
async fn report_init_error(err: &Error) -> Result<(), lambda_runtime::Error> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return Ok(());
    }
    let diagnostic = lambda_runtime::Diagnostic {
        error_type: err.error_type().to_owned(),
        error_message: err.to_string(),
    };
    let body = serde_json::to_vec(&diagnostic)?;
    let request = lambda_runtime_api_client::build_request()
        .method("POST")
        .uri(INIT_ERROR_PATH)
        .header(ERROR_TYPE_HEADER, err.error_type())
        .header("Content-Type", "application/json")
        .body(lambda_runtime_api_client::body::Body::from(body))?;
    let client = lambda_runtime_api_client::Client::builder().build()?;
    let response = client.call(request).await?;
    if !response.status().is_success() {
        return Err(format!("{INIT_ERROR_PATH} answered {}", response.status()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_level_comes_from_lambda_then_rust_log_else_info() {
        let level = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            log_level(&move |name: &str| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            })
        };
        assert_eq!(level(&[]), LevelFilter::INFO);
        assert_eq!(
            level(&[("AWS_LAMBDA_LOG_LEVEL", "WARN")]),
            LevelFilter::WARN
        );
        assert_eq!(
            level(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR"), ("RUST_LOG", "debug")]),
            LevelFilter::ERROR
        );
        assert_eq!(level(&[("RUST_LOG", "debug")]), LevelFilter::DEBUG);
        // Per-module directives are not read: their global level is the level.
        assert_eq!(
            level(&[("RUST_LOG", "info,aws_smithy=debug")]),
            LevelFilter::INFO
        );
        assert_eq!(
            level(&[("RUST_LOG", "aws_smithy=debug, warn")]),
            LevelFilter::WARN
        );
        assert_eq!(
            level(&[("RUST_LOG", "aws_smithy=debug")]),
            LevelFilter::INFO
        );
        assert_eq!(level(&[("RUST_LOG", "loud")]), LevelFilter::INFO);
    }

    #[test]
    fn a_deadline_already_past_is_no_deadline() {
        let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        let later = std::time::SystemTime::from(now + chrono::Duration::seconds(60));
        assert_eq!(
            usable_deadline(later, now),
            Some(now + chrono::Duration::seconds(60))
        );
        let placeholder = std::time::UNIX_EPOCH + std::time::Duration::from_millis(600_000);
        assert_eq!(usable_deadline(placeholder, now), None);
    }

    #[test]
    fn out_of_range_numbers_name_their_field() {
        for (text, field) in [
            (
                r#"{"min_capacity": 1e400}"#,
                "min_capacity: number out of range",
            ),
            (
                r#"{"detail": {"features": [{"name": "a", "value": -1e400}]}}"#,
                "detail.features[0].value: number out of range",
            ),
            (r#"[1, 2, 1e999]"#, "[2]: number out of range"),
            (r#"1e400"#, "event: number out of range"),
        ] {
            let err = parse_payload(text).unwrap_err();
            assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
            assert!(err.to_string().contains(field), "{text}: {err}");
        }
        let err = parse_json(
            r#"{"Trigger": {"Threshold": 1e400}}"#,
            "Records[0].Sns.Message",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("Records[0].Sns.Message.Trigger.Threshold: number out of range"),
            "{err}"
        );
    }

    #[test]
    fn numbers_that_fit_and_trailing_text() {
        let value = parse_payload(r#"{"a": 1e308, "b": 18446744073709551615, "c": -5}"#).unwrap();
        assert_eq!(value["a"], 1e308);
        assert_eq!(value["b"], u64::MAX);
        let err = parse_payload(r#"{"a": 1} x"#).unwrap_err();
        assert!(
            err.to_string().contains("event: trailing characters"),
            "{err}"
        );
        let huge = format!("\"{}\"", "x".repeat(MAX_EVENT_BYTES));
        assert!(parse_payload(&huge)
            .unwrap_err()
            .to_string()
            .contains("more than the 1048576 bytes"));
    }
}
