//! One `SdkConfig` per Lambda instance, with retries and timeouts stated rather than implied.
//!
//! `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) keep working: the
//! default loader reads them, which is how the tests and the demo reach a local moto server.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per AWS call, the first one included (standard retry mode, with backoff).
pub const MAX_ATTEMPTS: u32 = 3;
/// Time to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time for one attempt of one call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for one call, retries included. Several calls fit well inside the Lambda timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(12);

pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .load()
        .await
}
