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

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use remediation::alarm::{Alarm, AlarmState};
use remediation::audit::{Notifier, Outcome};
use remediation::capacity::{CapacityClient, Snapshot};
use remediation::config::{CommonConfig, Lookup, ScaleConfig, SCALE_HOLD_SECONDS};
use remediation::demand::{self, Demand, DemandMetrics};
use remediation::holds::{self, Action, StepRaise};
use remediation::Error;
use serde::Serialize;
use serde_json::Value;

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
}

impl Config {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        Ok(Config {
            common: CommonConfig::from_lookup(env)?,
            scale: ScaleConfig::from_lookup(env)?,
        })
    }
}

/// The clients and configuration one Lambda instance keeps between invocations.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub capacity: CapacityClient,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub notifier: Notifier,
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
            capacity: CapacityClient::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            notifier: Notifier::new(sdk, config.common.topic_arn.clone()),
            config,
        }
    }

    /// Handle one invocation at time `now`.
    pub async fn handle(&self, event: Value, now: DateTime<Utc>) -> Result<Summary, Error> {
        let mut summary = Summary {
            function: FUNCTION,
            dry_run: self.config.common.dry_run,
            alarms: Vec::new(),
            swept: None,
        };
        remediation::check_event_size(&event).inspect_err(|err| {
            tracing::error!(function = FUNCTION, error = %err, "rejected event");
        })?;
        if event.get("detail-type").and_then(Value::as_str) == Some(SCHEDULED_DETAIL_TYPE) {
            summary.swept = Some(self.sweep(now).await?);
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
            let results = self.handle_alarm(&alarm, now).await?;
            summary.alarms.push(AlarmSummary {
                alarm: alarm.name,
                state: alarm.state,
                results,
            });
        }
        Ok(summary)
    }

    async fn handle_alarm(&self, alarm: &Alarm, now: DateTime<Utc>) -> Result<Vec<Outcome>, Error> {
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
            if let Err(err) = self.config.common.allowlist.check(&target.endpoint) {
                let outcome =
                    Outcome::refused(&target.endpoint, target.variant.as_deref(), err.to_string());
                self.report(&outcome, Some(alarm), None).await?;
                return Err(err);
            }
        }
        let mut results = Vec::new();
        for target in &targets {
            let snapshot = self
                .capacity
                .snapshot(&target.endpoint, target.variant.as_deref())
                .await?;
            results.extend(self.act(Some(alarm), snapshot, now).await?);
        }
        Ok(results)
    }

    /// Release expired holds on every allowed endpoint that has any. An endpoint that is not
    /// InService is skipped (and logged) until the next sweep.
    async fn sweep(&self, now: DateTime<Utc>) -> Result<Vec<Outcome>, Error> {
        let allowlist = &self.config.common.allowlist;
        let mut results = Vec::new();
        for name in self.capacity.endpoint_names().await? {
            if !allowlist.allows(&name) {
                continue;
            }
            let endpoint = self.capacity.endpoint(&name).await?;
            if !endpoint.has_holds() {
                continue;
            }
            if let Err(err) = endpoint.require_in_service() {
                tracing::warn!(function = FUNCTION, endpoint = %name, error = %err, "sweep skipped");
                continue;
            }
            let snapshot = self.capacity.snapshot_of(endpoint, None).await?;
            let outcomes = self.act(None, snapshot, now).await?;
            results.extend(
                outcomes
                    .into_iter()
                    .filter(|o| o.action != Action::Unchanged),
            );
        }
        tracing::info!(function = FUNCTION, released = results.len(), "sweep done");
        Ok(results)
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
        if let Some(bad) = targets.iter().find(|t| !valid_name(&t.endpoint)) {
            return Err(Error::InvalidEvent(format!(
                "{ENDPOINT_TAG} {:?} is not a SageMaker endpoint name",
                bad.endpoint
            )));
        }
        if let Some(bad) = targets
            .iter()
            .find_map(|t| t.variant.as_deref().filter(|v| !valid_name(v)))
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

    /// Decide and apply for one endpoint's variants: ALARM raises, OK releases the alarm's
    /// hold, no alarm (the sweep) releases expired holds only.
    async fn act(
        &self,
        alarm: Option<&Alarm>,
        snapshot: Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Vec<Outcome>, Error> {
        let Snapshot {
            endpoint,
            variants,
            capacities,
        } = &snapshot;
        let scale = &self.config.scale;
        let trigger = alarm.and_then(Alarm::transition_id);
        let mut outcomes = Vec::with_capacity(variants.len());
        for variant in variants {
            let Some(&current) = capacities.get(&variant.name) else {
                let outcome = Outcome::refused(
                    &endpoint.name,
                    Some(&variant.name),
                    format!(
                        "no scalable target: register {} ({:?}) with Application Auto Scaling first",
                        variant.resource_id(&endpoint.name),
                        variant.dimension().as_str()
                    ),
                );
                self.report(&outcome, alarm, None).await?;
                outcomes.push(outcome);
                continue;
            };
            let holds = endpoint.holds(&variant.name);
            let reason = alarm.map(|a| holds::alarm_reason(&variant.name, &a.name));
            let raising = alarm.map(|a| a.state) == Some(AlarmState::Alarm);
            let (sizing, fallback) = match scale.demand {
                Some(config) if raising => {
                    let metrics = self
                        .demand_metrics(&endpoint.name, &variant.name, now)
                        .await?;
                    match demand::size(&metrics, &config) {
                        Demand::Sized(sizing) => (Some(sizing), None),
                        Demand::Unavailable(why) => (None, Some(why)),
                    }
                }
                _ => (None, None),
            };
            let mut plan = match (alarm.map(|a| a.state), reason.as_deref()) {
                (Some(AlarmState::Alarm), Some(reason)) => holds::plan_step_raise(
                    &StepRaise {
                        variant: &variant.name,
                        reason,
                        step: scale.step,
                        ceiling: scale.ceiling,
                        cooldown: scale.cooldown,
                        hold_for: scale.hold,
                        trigger: trigger.as_deref(),
                        now,
                        demand: sizing.as_ref(),
                    },
                    current,
                    &holds,
                ),
                (_, reason) => holds::plan_release(&variant.name, reason, current, &holds, now),
            };
            if let Some(why) = fallback {
                plan.reason = format!(
                    "demand sizing unavailable ({why}), fell back to step: {}",
                    plan.reason
                );
            }
            if plan.writes_anything() && !self.config.common.dry_run {
                if let Some(min) = self
                    .capacity
                    .apply(endpoint, variant, current, &plan)
                    .await?
                {
                    plan.repaired(min);
                }
            }
            let outcome = Outcome::from_plan(&endpoint.name, &variant.name, &plan);
            let hold_line = (plan.action == Action::Raised).then(|| {
                let until = now
                    + chrono::Duration::from_std(scale.hold).unwrap_or(chrono::Duration::zero());
                format!(
                    "until the alarm returns to OK, at the latest {} ({SCALE_HOLD_SECONDS}={})",
                    until.to_rfc3339_opts(SecondsFormat::Secs, true),
                    scale.hold.as_secs()
                )
            });
            self.report(&outcome, alarm, hold_line).await?;
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// One GetMetricData call: the variant's `Invocations` (Sum), `ModelLatency` (Average,
    /// microseconds) and `InvocationsPerInstance` (Sum) per minute over the last few whole
    /// minutes.
    async fn demand_metrics(
        &self,
        endpoint: &str,
        variant: &str,
        now: DateTime<Utc>,
    ) -> Result<DemandMetrics, Error> {
        use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
        let end = now.timestamp() - now.timestamp().rem_euclid(60);
        let start = end - i64::from(demand::WINDOW_MINUTES) * 60;
        let query = |id: &str, name: &str, stat: &str| {
            MetricDataQuery::builder()
                .id(id)
                .return_data(true)
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/SageMaker")
                                .metric_name(name)
                                .dimensions(
                                    Dimension::builder()
                                        .name("EndpointName")
                                        .value(endpoint)
                                        .build(),
                                )
                                .dimensions(
                                    Dimension::builder()
                                        .name("VariantName")
                                        .value(variant)
                                        .build(),
                                )
                                .build(),
                        )
                        .period(60)
                        .stat(stat)
                        .build(),
                )
                .build()
        };
        let out = self
            .cloudwatch
            .get_metric_data()
            .start_time(AwsTime::from_secs(start))
            .end_time(AwsTime::from_secs(end))
            .scan_by(ScanBy::TimestampAscending)
            .metric_data_queries(query("invocations", "Invocations", "Sum"))
            .metric_data_queries(query("latency", "ModelLatency", "Average"))
            .metric_data_queries(query("per_instance", "InvocationsPerInstance", "Sum"))
            .send()
            .await
            .map_err(|err| Error::aws("GetMetricData", err))?;
        let mut metrics = DemandMetrics::default();
        for result in out.metric_data_results() {
            let values = result.values().to_vec();
            match result.id() {
                Some("invocations") => metrics.invocations = values,
                Some("latency") => metrics.model_latency_us = values,
                Some("per_instance") => metrics.invocations_per_instance = values,
                _ => {}
            }
        }
        Ok(metrics)
    }

    /// Log every outcome; publish actions and refusals (a duplicate or a no-op is only logged).
    async fn report(
        &self,
        outcome: &Outcome,
        alarm: Option<&Alarm>,
        hold: Option<String>,
    ) -> Result<(), Error> {
        let dry_run = self.config.common.dry_run;
        outcome.log(FUNCTION, dry_run);
        if outcome.action == Action::Unchanged {
            return Ok(());
        }
        let Some(alarm) = alarm else {
            let context = [(
                "Trigger",
                "scheduled sweep: a hold expired without its alarm returning to OK".to_owned(),
            )];
            let notice = outcome.notice(FUNCTION, dry_run, &context, None);
            return self.notifier.publish(&notice).await;
        };
        let mut context = vec![(
            "Alarm",
            format!(
                "{} is {}{} ({:?}, delivered via {:?})",
                alarm.name,
                alarm.state,
                alarm
                    .time
                    .map(|t| format!(" since {}", t.to_rfc3339_opts(SecondsFormat::Secs, true)))
                    .unwrap_or_default(),
                alarm.kind,
                alarm.source
            ),
        )];
        if let Some(reason) = &alarm.reason {
            context.push(("Alarm reason", reason.chars().take(400).collect()));
        }
        if let Some(hold) = hold {
            context.push(("Hold", hold));
        }
        let dedup = alarm.transition_id().map(|id| {
            format!(
                "{}:{}:{}:{id}",
                alarm.name,
                outcome.endpoint,
                outcome.variant.as_deref().unwrap_or("*")
            )
        });
        let notice = outcome.notice(FUNCTION, dry_run, &context, dedup);
        self.notifier.publish(&notice).await
    }
}

/// SageMaker endpoint and variant names: letters, digits and hyphens, at most 63 characters.
fn valid_name(name: &str) -> bool {
    remediation::is_sagemaker_name(name)
}
