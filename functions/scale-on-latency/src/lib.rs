//! scale-on-latency: a latency alarm fires, the variant's MinCapacity goes up by a step; the
//! alarm clears, what this function raised is given back.
//!
//! The handler parses the event into the shared [`Alarm`] model, resolves which endpoint
//! variants it is about, checks every guardrail before the first write, and lets the shared
//! capacity core decide and apply. It returns a JSON summary per variant.
//!
//! An EventBridge "Scheduled Event" (a rule with a `rate(...)` schedule) sweeps instead: every
//! allowed endpoint with an expired hold gets its MinCapacity back, so a lost OK event cannot
//! pin capacity (and cost) past the hold's expiry.

mod each;
mod sizing;
mod stale;
mod sweep;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use remediation::alarm::{Alarm, AlarmState, Suppression};
use remediation::audit::Outcome;
use remediation::capacity::{CapacityClient, Endpoint, Variant};
use remediation::config::{self, CommonConfig, Lookup, ScaleConfig, SCALE_HOLD_SECONDS};
use remediation::decide::{AlarmChange, Change, ScalePolicy};
use remediation::entry::{Clock, Handler};
use remediation::remediate::{Lease, Remediator, Report};
use remediation::{is_sagemaker_name, Error};
use serde::Serialize;
use serde_json::Value;

use crate::each::Each;
pub use crate::sweep::SWEEP_MARGIN_SECONDS;

/// The binary's name, used in logs and audit messages.
pub const FUNCTION: &str = "scale-on-latency";
/// Alarm tags naming the target when the alarm has no `EndpointName` dimension (composite
/// alarms, math over a search expression).
pub const ENDPOINT_TAG: &str = "EndpointName";
pub const VARIANT_TAG: &str = "VariantName";

/// Configuration, read and validated once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub scale: ScaleConfig,
    pub lock_table: String,
    /// Endpoints a sweep visits side by side (`SWEEP_CONCURRENCY`).
    pub sweep_concurrency: usize,
}

impl Config {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        Ok(Config {
            common: CommonConfig::from_lookup(env)?,
            scale: ScaleConfig::from_lookup(env)?,
            lock_table: config::lock_table(env)?,
            sweep_concurrency: config::parse_u32(env, config::SWEEP_CONCURRENCY, 1, 64)?
                .unwrap_or(config::DEFAULT_SWEEP_CONCURRENCY)
                as usize,
        })
    }

    fn policy(&self) -> ScalePolicy {
        ScalePolicy {
            step: self.scale.step,
            ceiling: self.scale.ceiling,
            cooldown: self.scale.cooldown,
            hold_for: self.scale.hold,
        }
    }
}

/// The clients and configuration one Lambda instance keeps between invocations.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub path: Remediator<CapacityClient>,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

/// The detail-type of the events an EventBridge schedule rule sends.
pub const SCHEDULED_DETAIL_TYPE: &str = "Scheduled Event";

/// What the handler returns: one entry per alarm in the event, or what a sweep did.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub function: &'static str,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<AlarmSummary>,
    /// Variants whose expired holds a scheduled sweep released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swept: Option<Vec<Outcome>>,
    /// Allowed endpoints a sweep could not act on, not reached before the invocation's
    /// deadline or not InService: the next sweep does them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmSummary {
    pub alarm: String,
    pub state: AlarmState,
    pub results: Vec<Outcome>,
}

/// An endpoint, and the variant when the alarm names one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    endpoint: String,
    variant: Option<String>,
}

impl App {
    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        App {
            path: Remediator::on_aws(sdk, FUNCTION, config.common.clone(), &config.lock_table),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            config,
        }
    }

    async fn handle_alarm(
        &self,
        alarm: &Alarm,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<Vec<Outcome>, Error> {
        tracing::info!(
            function = FUNCTION,
            alarm = %alarm.name,
            state = %alarm.state,
            source = ?alarm.source,
            kind = ?alarm.kind,
            "alarm"
        );
        if alarm.state == AlarmState::InsufficientData {
            tracing::info!(alarm = %alarm.name, "INSUFFICIENT_DATA: no change");
            return Ok(Vec::new());
        }
        let targets = self.targets(alarm).await?;
        // Every guardrail that needs no AWS read is checked for every target before any write.
        for target in &targets {
            let report = alarm_report(alarm, &target.endpoint, target.variant.as_deref());
            self.path
                .allowed(&target.endpoint, target.variant.as_deref(), &report)
                .await?;
        }
        if let Some(suppression) = &alarm.suppression {
            return self.suppressed(alarm, suppression, &targets).await;
        }
        if let Some(reason) = self.stale(alarm, now).await? {
            let outcomes = targets.iter().map(|target| {
                Outcome::unchanged(&target.endpoint, target.variant.as_deref(), reason.clone())
            });
            return Ok(outcomes
                .inspect(|o| o.log(FUNCTION, self.config.common.dry_run))
                .collect());
        }
        let mut results = Each::default();
        for target in &targets {
            let (endpoint, mut lease) = self
                .path
                .describe_leased(&target.endpoint, target.variant.as_deref(), now, deadline)
                .await;
            let variants = endpoint.and_then(|endpoint| {
                endpoint.require_in_service()?;
                let variants = endpoint.select_variants(target.variant.as_deref())?;
                let variants: Vec<Variant> = variants.into_iter().cloned().collect();
                Ok((endpoint, variants))
            });
            let (endpoint, variants) = match variants {
                Ok(found) => found,
                Err(err) => {
                    self.path.give_back(lease).await;
                    results.failed(&target.endpoint, err);
                    continue;
                }
            };
            for variant in &variants {
                let outcome = self
                    .act(alarm, (&endpoint, variant), lease.take(), now, deadline)
                    .await;
                results.push(&format!("{}/{}", endpoint.name, variant.name), outcome);
            }
        }
        results.finish()
    }

    /// CloudWatch withholds the alarm's actions (a maintenance window's suppressor alarm, or
    /// its wait or extension period): no capacity change; the result, the log and one audit
    /// message per target say which suppressor.
    async fn suppressed(
        &self,
        alarm: &Alarm,
        suppression: &Suppression,
        targets: &[Target],
    ) -> Result<Vec<Outcome>, Error> {
        let mut outcomes = Vec::new();
        for target in targets {
            let outcome = Outcome::unchanged(
                &target.endpoint,
                target.variant.as_deref(),
                format!("{suppression}; no capacity change"),
            );
            let report = alarm_report(alarm, &target.endpoint, target.variant.as_deref());
            self.path.publish(&outcome, &report, true).await?;
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// The endpoints and variants an alarm is about: its `EndpointName`/`VariantName`
    /// dimensions, or, when it has none, the same keys among the alarm's tags.
    async fn targets(&self, alarm: &Alarm) -> Result<Vec<Target>, Error> {
        let mut targets = BTreeSet::new();
        for metric in &alarm.metrics {
            if let Some(endpoint) = metric.dimensions.get(ENDPOINT_TAG) {
                targets.insert(Target {
                    endpoint: endpoint.clone(),
                    variant: metric.dimensions.get(VARIANT_TAG).cloned(),
                });
            }
        }
        if targets.is_empty() {
            let tags = self.alarm_tags(alarm).await?;
            match tags.get(ENDPOINT_TAG) {
                Some(endpoint) => {
                    targets.insert(Target {
                        endpoint: endpoint.clone(),
                        variant: tags.get(VARIANT_TAG).cloned(),
                    });
                }
                None => {
                    return Err(Error::InvalidEvent(format!(
                        "alarm {}: no {ENDPOINT_TAG} dimension and no {ENDPOINT_TAG} tag on the \
                         alarm; tag the alarm with {ENDPOINT_TAG} (and optionally {VARIANT_TAG})",
                        alarm.name
                    )))
                }
            }
        }
        // A whole-endpoint target covers every variant target of the same endpoint.
        let whole: BTreeSet<String> = targets
            .iter()
            .filter(|t| t.variant.is_none())
            .map(|t| t.endpoint.clone())
            .collect();
        targets.retain(|t| t.variant.is_none() || !whole.contains(&t.endpoint));
        if let Some(bad) = targets.iter().find(|t| !is_sagemaker_name(&t.endpoint)) {
            return Err(Error::InvalidEvent(format!(
                "{ENDPOINT_TAG} {:?} is not a SageMaker endpoint name",
                bad.endpoint
            )));
        }
        if let Some(bad) = targets
            .iter()
            .find_map(|t| t.variant.as_deref().filter(|v| !is_sagemaker_name(v)))
        {
            return Err(Error::InvalidEvent(format!(
                "{VARIANT_TAG} {bad:?} is not a SageMaker variant name (letters, digits, '-', at \
                 most 63)"
            )));
        }
        Ok(targets.into_iter().collect())
    }

    async fn alarm_tags(
        &self,
        alarm: &Alarm,
    ) -> Result<std::collections::BTreeMap<String, String>, Error> {
        let arn = alarm.arn.as_deref().ok_or_else(|| {
            Error::InvalidEvent(format!(
                "alarm {}: no {ENDPOINT_TAG} dimension and no alarm ARN to read its tags from",
                alarm.name
            ))
        })?;
        let out = self
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|err| Error::aws("ListTagsForResource", err))?;
        Ok(out
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect())
    }

    /// Decide and apply for one variant: ALARM raises, OK releases the alarm's hold.
    async fn act(
        &self,
        alarm: &Alarm,
        (endpoint, variant): (&Endpoint, &Variant),
        lease: Option<Result<Lease, Error>>,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<Outcome, Error> {
        let firing = alarm.state == AlarmState::Alarm;
        let trigger = alarm.transition_id();
        let policy = self.config.policy();
        let change = Change::Alarm(AlarmChange {
            name: &alarm.name,
            firing,
            at: alarm.time,
            trigger: trigger.as_deref(),
            policy: &policy,
            demand: None,
        });
        let mut report = alarm_report(alarm, &endpoint.name, Some(&variant.name));
        report.hold_note = Some(format!(
            "or sooner when the alarm returns to OK; {SCALE_HOLD_SECONDS}={}",
            self.config.scale.hold.as_secs()
        ));
        report.deadline = deadline;
        let outcome = self
            .path
            .remediate_after(lease, (endpoint, variant), &change, &report, now, self)
            .await;
        refused_if_missing(endpoint, variant, outcome)
    }
}

impl Handler for App {
    type Summary = Summary;

    /// A sweep starts no endpoint within [`SWEEP_MARGIN_SECONDS`] of `deadline`.
    async fn handle_at(&self, event: Value, clock: Clock) -> Result<Summary, Error> {
        let Clock { now, deadline } = clock;
        let mut summary = Summary {
            function: FUNCTION,
            dry_run: self.config.common.dry_run,
            alarms: Vec::new(),
            swept: None,
            left: Vec::new(),
        };
        remediation::check_event_size(&event).inspect_err(|err| {
            tracing::error!(function = FUNCTION, error = %err, "rejected event");
        })?;
        if event.get("detail-type").and_then(Value::as_str) == Some(SCHEDULED_DETAIL_TYPE) {
            let swept = self.sweep(now, deadline).await?;
            summary.swept = Some(swept.changed);
            summary.left = swept.left;
            return Ok(summary);
        }
        let alarms = Alarm::parse(event)
            .and_then(|alarms| {
                alarms.iter().try_for_each(|a| a.check_time(now))?;
                Ok(alarms)
            })
            .inspect_err(|err| {
                tracing::error!(function = FUNCTION, error = %err, "rejected event");
            })?;
        for alarm in alarms {
            let results = self.handle_alarm(&alarm, now, deadline).await?;
            summary.alarms.push(AlarmSummary {
                alarm: alarm.name,
                state: alarm.state,
                results,
            });
        }
        Ok(summary)
    }
}

/// A variant without a scalable target is refused (the path published the refusal): the
/// summary says so for that variant, and the others go on.
pub(crate) fn refused_if_missing(
    endpoint: &Endpoint,
    variant: &Variant,
    outcome: Result<Outcome, Error>,
) -> Result<Outcome, Error> {
    match outcome {
        Err(Error::NotFound(reason)) => Ok(Outcome::refused(
            &endpoint.name,
            Some(&variant.name),
            reason,
        )),
        other => other,
    }
}

/// The audit context of an alarm's decisions: which alarm, in which state, and the FIFO
/// deduplication id of its transition on this target.
fn alarm_report(alarm: &Alarm, endpoint: &str, variant: Option<&str>) -> Report {
    let mut context = vec![(
        "Alarm",
        format!(
            "{} is {}{} ({:?}, delivered via {:?})",
            alarm.name,
            alarm.state,
            alarm
                .time
                .map(|t| format!(" since {}", remediation::holds::rfc3339(t)))
                .unwrap_or_default(),
            alarm.kind,
            alarm.source
        ),
    )];
    if let Some(reason) = &alarm.reason {
        context.push(("Alarm reason", reason.chars().take(400).collect()));
    }
    let dedup_id = alarm
        .transition_id()
        .map(|id| format!("{}:{endpoint}:{}:{id}", alarm.name, variant.unwrap_or("*")));
    Report {
        context,
        dedup_id,
        ..Report::default()
    }
}
