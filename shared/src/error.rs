//! One error type for every function, with stable error types for the Lambda console.
//!
//! The `error_type` a failed invocation reports starts with `Retryable.` when trying the same
//! event again later can succeed (throttling, an endpoint that is still updating), and with
//! `NonRetryable.` when it cannot (a malformed event, a refused endpoint, bad configuration).

use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Deserializer};

/// Error codes worth retrying although they come with a 4xx status: the throttling codes the
/// SDK's own retry classifier knows for the services these functions call, and Application
/// Auto Scaling's concurrent update.
const RETRYABLE_CODES: [&str; 9] = [
    "Throttling",
    // SNS, publishing to a topic encrypted with a KMS key whose request quota is used up.
    "KMSThrottling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ConcurrentUpdateException",
];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event is not one this function understands, or a field in it is wrong.
    #[error("invalid event: {0}")]
    InvalidEvent(String),

    /// An environment variable is missing or has a bad value.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// A guardrail refused the request (allowlist, impossible capacity).
    #[error("refused: {0}")]
    Refused(String),

    /// Something the event names does not exist (endpoint, scalable target).
    #[error("not found: {0}")]
    NotFound(String),

    /// The endpoint is not InService (creating, updating, rolling back): try again later.
    #[error("endpoint {endpoint} is {status}, not InService; no change made, retry later")]
    EndpointNotReady { endpoint: String, status: String },

    /// Another decision holds the variant's lease (or this one's expired): try again later.
    #[error("busy: {0}")]
    Busy(String),

    /// An AWS call failed.
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
        retryable: bool,
    },
}

impl Error {
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::EndpointNotReady { .. } | Error::Busy(_) => true,
            Error::Aws { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The stable name shown as `errorType` in the Lambda console and in async failure records.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::InvalidEvent(_) => "NonRetryable.InvalidEvent",
            Error::InvalidConfig(_) => "NonRetryable.InvalidConfig",
            Error::Refused(_) => "NonRetryable.Refused",
            Error::NotFound(_) => "NonRetryable.NotFound",
            Error::EndpointNotReady { .. } => "Retryable.EndpointNotReady",
            Error::Busy(_) => "Retryable.Busy",
            Error::Aws {
                retryable: true, ..
            } => "Retryable.AwsError",
            Error::Aws {
                retryable: false, ..
            } => "NonRetryable.AwsError",
        }
    }

    /// The same error, of the same type, its message rewritten by `f`. An endpoint that is
    /// not ready keeps its message: it names the endpoint and its status.
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> Error {
        match self {
            Error::InvalidEvent(m) => Error::InvalidEvent(f(m)),
            Error::InvalidConfig(m) => Error::InvalidConfig(f(m)),
            Error::Refused(m) => Error::Refused(f(m)),
            Error::NotFound(m) => Error::NotFound(f(m)),
            Error::Busy(m) => Error::Busy(f(m)),
            Error::Aws {
                operation,
                message,
                retryable,
            } => Error::Aws {
                operation,
                message: f(message),
                retryable,
            },
            not_ready @ Error::EndpointNotReady { .. } => not_ready,
        }
    }

    /// Wrap an SDK error: service faults, throttling, timeouts and dispatch failures are worth
    /// retrying; anything else (validation, access denied, not found) is not.
    pub fn aws<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let retryable = match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
            SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or_default();
                service.raw().status().is_server_error() || RETRYABLE_CODES.contains(&code)
            }
            _ => false,
        };
        let message = match err.as_service_error() {
            Some(service) => format!(
                "{}: {}",
                service.code().unwrap_or("error"),
                service.message().unwrap_or("no message")
            ),
            None => DisplayErrorContext(&err).to_string(),
        };
        Error::Aws {
            operation,
            message,
            retryable,
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(err: Error) -> Self {
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// Deserialize a `T` from event JSON, or an [`Error::InvalidEvent`] that names the failing
/// field's path under `root` (`detail.state.value: ...`), or `root` itself (`event` when it is
/// empty) when the whole value is wrong. The one place a field's path enters a message: a
/// field type's own check says only what is wrong with the value.
pub fn from_json<'de, T: Deserialize<'de>>(
    deserializer: impl Deserializer<'de>,
    root: &str,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = match (root.is_empty(), path.as_str()) {
            (true, ".") => "event".to_owned(),
            (false, ".") => root.to_owned(),
            (true, _) => path,
            (false, _) => format!("{root}.{path}"),
        };
        Error::InvalidEvent(format!("{field}: {}", err.into_inner()))
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_sns::error::ErrorMetadata;
    use aws_sdk_sns::operation::publish::PublishError;

    use super::*;

    /// A Publish that failed with `code` at HTTP `status`, as the SDK reports it.
    fn publish_failed(status: u16, code: &str) -> Error {
        let meta = ErrorMetadata::builder().code(code).message("m").build();
        let raw = HttpResponse::new(status.try_into().unwrap(), "".into());
        Error::aws(
            "Publish",
            SdkError::service_error(PublishError::generic(meta), raw),
        )
    }

    #[test]
    fn throttling_and_server_faults_are_retryable_and_client_errors_are_not() {
        for (status, code, retryable) in [
            (400, "Throttling", true),
            (400, "KMSThrottling", true),
            (500, "InternalError", true),
            (400, "InvalidParameter", false),
            (403, "AuthorizationError", false),
        ] {
            let err = publish_failed(status, code);
            assert_eq!(err.is_retryable(), retryable, "{code}: {err}");
            assert!(err
                .to_string()
                .starts_with(&format!("Publish failed: {code}")));
        }
    }
}
