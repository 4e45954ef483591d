//! prewarm: capacity before a known traffic event, restored after, verified on time.
//!
//! One payload with an `action`:
//! - `raise`: a hold `event.<name>` keeps the variant's MinCapacity at `min_capacity` until
//!   `until` (capped at MaxCapacity unless `raise_max`),
//! - `restore`: that hold goes; MinCapacity is max(baseline, remaining live holds),
//! - `verify`: are the instances there? READY / NOT READY with counts, published and returned,
//! - `sync-calendar`: a calendar of events becomes Application Auto Scaling scheduled actions.
//!
//! Parsing ([`payload`]) and the calendar ([`calendar`]) are pure; decisions on holds come
//! from the shared capacity core. Each action has its module: `hold` (raise and restore),
//! `verify`, `sync` (the calendar sync, with `scheduled` for its AWS calls). Each reads,
//! checks every guardrail before the first write, applies and reports.

pub mod calendar;
mod closes;
pub mod ends;
mod fields;
pub mod files;
mod hold;
pub mod payload;
mod scheduled;
mod sync;
mod verify;

use remediation::audit::Outcome;
use remediation::capacity::CapacityClient;
use remediation::config::{self, CommonConfig, Lookup};
use remediation::entry::{Clock, Handler};
use remediation::remediate::Remediator;
use remediation::Error;
use serde::Serialize;
use serde_json::Value;

use hold::HoldChange;
use payload::Request;

pub use sync::{calendar_notice, CalendarReport};
pub use verify::{readiness, readiness_notice, Readiness, VariantReadiness};

/// The binary's name, used in logs and audit messages.
pub const FUNCTION: &str = "prewarm";

/// Configuration, read and validated once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub lock_table: String,
    /// Where a calendar given as a path may be read from (`CALENDAR_DIR`, in Lambda or not).
    pub files: files::LocalFiles,
    /// Where the calendar's ends are scheduled; `None`: as scheduled actions.
    pub ends: Option<ends::EndSchedules>,
    /// `SCALE_HOLD_SECONDS`: how long a firing alarm keeps its capacity after a calendar end.
    pub alarm_hold: chrono::Duration,
}

impl Config {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        Ok(Config {
            common: CommonConfig::from_lookup(env)?,
            lock_table: config::lock_table(env)?,
            files: files::LocalFiles::from_lookup(env, files::LocalFiles::in_lambda())?,
            ends: ends::EndSchedules::from_lookup(env)?,
            alarm_hold: chrono::Duration::from_std(config::alarm_hold(env)?)
                .unwrap_or(chrono::Duration::hours(3)),
        })
    }
}

/// The clients and configuration one Lambda instance keeps between invocations.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub path: Remediator<CapacityClient>,
    pub s3: aws_sdk_s3::Client,
    /// The calendar's scheduled actions (the capacity itself goes through `path`).
    autoscaling: aws_sdk_applicationautoscaling::Client,
    /// The calendar's end schedules.
    scheduler: aws_sdk_scheduler::Client,
    /// How often a raise or restore asks again for an endpoint that is not `InService`.
    pub ready_poll: std::time::Duration,
}

/// [`App::ready_poll`] in production.
pub const READY_POLL: std::time::Duration = std::time::Duration::from_secs(20);

/// What the handler returns.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub function: &'static str,
    pub action: &'static str,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// raise and restore: how long the endpoint took to be `InService`, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited: Option<String>,
    /// raise and restore: one result per variant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarReport>,
}

impl App {
    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        App {
            path: Remediator::on_aws(sdk, FUNCTION, config.common.clone(), &config.lock_table),
            // Checksums only where an operation requires them: S3-compatible stores (and
            // the local emulator) do not all return them.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .request_checksum_calculation(
                        aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                    )
                    .response_checksum_validation(
                        aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                    )
                    .build(),
            ),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(sdk),
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            config,
            ready_poll: READY_POLL,
        }
    }

    /// The allowlist, checked before anything is read; a refusal is published.
    async fn allowed(
        &self,
        endpoint: &str,
        variant: Option<&str>,
        event: Option<&str>,
    ) -> Result<(), Error> {
        self.path
            .allowed(endpoint, variant, &hold::event_report(event))
            .await
    }
}

impl Handler for App {
    type Summary = Summary;

    /// An endpoint that is not `InService` is waited for only when there is a deadline.
    async fn handle_at(&self, event: Value, clock: Clock) -> Result<Summary, Error> {
        let Clock { now, deadline } = clock;
        let request = remediation::check_event_size(&event)
            .and_then(|()| payload::parse(event, now))
            .and_then(|request| self.config.files.admit(request))
            .inspect_err(|err| {
                tracing::error!(function = FUNCTION, error = %err, "rejected payload");
            })?;
        tracing::info!(function = FUNCTION, action = request.action(), "request");
        let mut summary = Summary {
            function: FUNCTION,
            action: request.action(),
            dry_run: self.config.common.dry_run,
            event: None,
            waited: None,
            results: Vec::new(),
            readiness: None,
            calendar: None,
        };
        if let Some(change) = HoldChange::of(&request) {
            summary.event = Some(change.event().to_owned());
            (summary.results, summary.waited) = self.change_holds(change, now, deadline).await?;
        } else if let Request::Verify(verify) = &request {
            summary.event = verify.event.clone();
            summary.readiness = Some(self.verify(verify, now).await?);
        } else if let Request::SyncCalendar(sync) = &request {
            summary.calendar = Some(self.sync_calendar(sync, now).await?);
        }
        Ok(summary)
    }
}
