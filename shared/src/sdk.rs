//! One `SdkConfig` per Lambda instance, with retries and timeouts stated rather than implied,
//! and one HTTPS client that every SDK client shares.
//!
//! `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) keep working: the
//! default loader reads them, which is how the tests and the demo reach a local moto server.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::{Builder, ConnectorBuilder};

/// Attempts per AWS call, the first one included (standard retry mode, with backoff).
pub const MAX_ATTEMPTS: u32 = 3;
/// Time to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time for one attempt of one call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for one call, retries included. Several calls fit well inside the Lambda timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(12);
/// First retry delay of the standard retry mode (jittered, doubling per attempt).
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);

/// Retry and timeout settings. [`Settings::default`] is what the functions use in production;
/// tests shorten them to exercise throttling and slow APIs quickly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub max_attempts: u32,
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub initial_backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_attempts: MAX_ATTEMPTS,
            connect_timeout: CONNECT_TIMEOUT,
            attempt_timeout: ATTEMPT_TIMEOUT,
            operation_timeout: OPERATION_TIMEOUT,
            initial_backoff: INITIAL_BACKOFF,
        }
    }
}

/// The default loader with `settings` applied; callers may add to it (an endpoint URL).
pub fn loader(settings: &Settings) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(
            Builder::new().build_with_connector_fn(|settings, components| {
                // The SDK's default HTTPS connector (hyper 1.x, rustls with the platform's CA
                // certificates, proxy settings from HTTPS_PROXY/NO_PROXY), with ring as the crypto
                // provider instead of aws-lc-rs: the same TLS suites in a smaller binary.
                let mut connector =
                    ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
                connector.set_connector_settings(settings.cloned());
                connector.set_sleep_impl(components.and_then(|c| c.sleep_impl()));
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            }),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(settings.max_attempts)
                .with_initial_backoff(settings.initial_backoff),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(settings.connect_timeout)
                .operation_attempt_timeout(settings.attempt_timeout)
                .operation_timeout(settings.operation_timeout)
                .build(),
        )
}

/// The production configuration: [`Settings::default`].
pub async fn load() -> SdkConfig {
    load_with(&Settings::default()).await
}

/// A configuration with other retry and timeout settings.
pub async fn load_with(settings: &Settings) -> SdkConfig {
    loader(settings).load().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_call_is_bounded_well_inside_a_lambda_timeout() {
        let s = Settings::default();
        // Every attempt may hit its own timeout; the operation timeout cuts the whole call.
        assert!(s.operation_timeout < s.attempt_timeout * s.max_attempts + s.initial_backoff * 3);
        assert!(s.attempt_timeout < s.operation_timeout);
        assert!(s.connect_timeout < s.attempt_timeout);
        // Five sequential calls, all at their worst, still end within a minute.
        assert!(s.operation_timeout * 5 <= Duration::from_secs(60));
    }
}
