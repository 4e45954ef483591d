//! drift-notify: Model Monitor (or a team's own pipeline) finds drift, one clear SNS message.
//!
//! Inputs ([`event`]): SageMaker processing job state changes of Model Monitor jobs, CloudWatch
//! alarms on Model Monitor metrics (any of the three alarm shapes), and the custom
//! "Model Drift Detected" event. Each becomes at most one [`Finding`] per alarm or job, rendered
//! by the pure core in [`finding`] and published with the shared [`Notifier`].

mod ascii;
mod custom;
mod drift_alarm;
pub mod event;
pub mod finding;
mod links;
pub mod measure;
mod violations_file;

use chrono::{DateTime, Utc};
use remediation::alarm::AlarmState;
use remediation::audit::Notifier;
use remediation::config::{CommonConfig, Lookup, NOTIFY_TOPIC_ARN};
use remediation::Error;
use serde::Serialize;
use serde_json::Value;

use crate::event::{alarm_finding, Input, MonitoringJob};
pub use crate::finding::Finding;
use crate::finding::{parse_violations, Kind};

/// The binary's name, used in logs and message attributes.
pub const FUNCTION: &str = "drift-notify";

/// A sample event of `events/`, as the unit tests start from.
#[cfg(test)]
fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

/// Configuration, read and validated once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// Where findings go. Required: a drift finding nobody receives is worth nothing.
    pub topic_arn: String,
}

impl Config {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        let common = CommonConfig::from_lookup(env)?;
        let topic_arn = common.topic_arn.clone().ok_or_else(|| {
            Error::InvalidConfig(format!(
                "{NOTIFY_TOPIC_ARN} is not set: {FUNCTION} publishes every finding to this SNS \
                 topic; set it to the topic's ARN (arn:aws:sns:<region>:<account>:<topic>)"
            ))
        })?;
        Ok(Config { common, topic_arn })
    }
}

/// The clients and configuration one Lambda instance keeps between invocations.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub s3: aws_sdk_s3::Client,
    pub notifier: Notifier,
}

/// What the handler returns.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub function: &'static str,
    /// `monitoring-job`, `alarm` or `custom`.
    pub input: &'static str,
    /// Why nothing was published, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
    pub findings: Vec<Published>,
}

/// One message that was published.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// Absent for a failed monitoring job that names no endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub kind: Kind,
    pub severity: String,
    pub subject: String,
    pub violations: usize,
    pub finding_id: String,
}

impl App {
    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        App {
            s3: aws_sdk_s3::Client::new(sdk),
            notifier: Notifier::new(sdk, Some(config.topic_arn.clone()))
                .with_array_attributes(&["check_types"]),
            config,
        }
    }

    /// Handle one invocation at time `now` (the detection time when the input has none).
    pub async fn handle(&self, event: Value, now: DateTime<Utc>) -> Result<Summary, Error> {
        let input = remediation::check_event_size(&event)
            .and_then(|()| event::parse(event))
            .and_then(|input| {
                input.check_time(now)?;
                Ok(input)
            })
            .inspect_err(|err| {
                tracing::error!(function = FUNCTION, error = %err, "rejected event");
            })?;
        let mut summary = Summary {
            function: FUNCTION,
            input: "monitoring-job",
            ignored: None,
            findings: Vec::new(),
        };
        let findings = match input {
            Input::NotMonitoring { job } => {
                tracing::info!(function = FUNCTION, job = %job, "not a Model Monitor job: ignored");
                summary.ignored = Some(format!("processing job {job} is not a monitoring job"));
                Vec::new()
            }
            Input::Job(job) => match self.job_finding(&job).await? {
                Ok(finding) => vec![finding],
                Err(reason) => {
                    summary.ignored = Some(reason);
                    Vec::new()
                }
            },
            Input::Alarms(alarms) => {
                summary.input = "alarm";
                let (findings, skipped) = alarm_findings(&alarms)?;
                if findings.is_empty() {
                    summary.ignored = Some(format!("{}: nothing to send", skipped.join("; ")));
                }
                findings
            }
            Input::Custom(finding) => {
                summary.input = "custom";
                vec![*finding]
            }
        };
        for mut finding in findings {
            finding.time = finding.time.or(Some(now));
            let notice = finding.notice();
            tracing::info!(
                function = FUNCTION,
                endpoint = finding.endpoint.as_deref(),
                kind = finding.kind.as_str(),
                severity = finding.severity().as_str(),
                violations = finding.violations.len(),
                finding_id = %finding.id,
                "finding"
            );
            self.notifier.publish(&notice).await?;
            summary.findings.push(Published {
                endpoint: finding.endpoint.clone(),
                kind: finding.kind,
                severity: finding.severity().as_str().to_owned(),
                subject: notice.subject,
                violations: finding.violations.len(),
                finding_id: finding.id,
            });
        }
        Ok(summary)
    }

    /// The finding of a monitoring job's state change, or why there is none to send.
    async fn job_finding(&self, job: &MonitoringJob) -> Result<Result<Finding, String>, Error> {
        tracing::info!(function = FUNCTION, job = %job.name, status = %job.status,
            endpoint = job.endpoint.as_deref(), "monitoring job");
        match job.status.as_str() {
            "Failed" => Ok(Ok(job.failed_finding())),
            "Completed" if job.has_violations() => {
                let uri = job.violations_uri().ok_or_else(|| {
                    Error::InvalidEvent(format!(
                        "detail.ProcessingOutputConfig.Outputs: monitoring job {} completed with \
                         violations but has no S3 output to read {} from",
                        job.name,
                        event::VIOLATIONS_FILE
                    ))
                })?;
                let violations = parse_violations(&self.read(&uri).await?, &uri)?;
                if violations.is_empty() {
                    tracing::warn!(function = FUNCTION, report = %uri, "violations announced, none listed");
                    return Ok(Ok(job.inconsistent_finding(uri)));
                }
                Ok(Ok(job.violations_finding(violations)))
            }
            "Completed" => Ok(Err(format!(
                "monitoring job {} completed without violations",
                job.name
            ))),
            other => Ok(Err(format!(
                "monitoring job {} is {other}: nothing to report",
                job.name
            ))),
        }
    }

    /// Read an `s3://bucket/key` object.
    async fn read(&self, uri: &str) -> Result<Vec<u8>, Error> {
        let (bucket, key) = remediation::s3_location(uri).ok_or_else(|| {
                Error::InvalidEvent(format!(
                    "detail.ProcessingOutputConfig.Outputs[].S3Output.S3Uri: {uri:?} is not an s3:// URI"
                ))
            })?;
        let out = match self.s3.get_object().bucket(bucket).key(key).send().await {
            Ok(out) => out,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Err(Error::NotFound(format!(
                    "{uri}: the monitoring job reported violations but the violations file does \
                     not exist"
                )))
            }
            Err(err) => return Err(Error::aws("GetObject", err)),
        };
        let bytes = out.body.collect().await.map_err(|err| Error::Aws {
            operation: "GetObject",
            message: format!("reading {uri}: {err}"),
            retryable: true,
        })?;
        Ok(bytes.into_bytes().to_vec())
    }
}

/// The findings of the alarms in ALARM, and why each other alarm sends nothing (its actions
/// suppressed, or not in ALARM).
fn alarm_findings(
    alarms: &[remediation::alarm::Alarm],
) -> Result<(Vec<Finding>, Vec<String>), Error> {
    let mut findings = Vec::new();
    let mut skipped = Vec::new();
    for alarm in alarms {
        if let Some(suppression) = &alarm.suppression {
            tracing::info!(function = FUNCTION, alarm = %alarm.name, %suppression,
                "actions suppressed: nothing to send");
            skipped.push(format!("alarm {}: {suppression}", alarm.name));
        } else if alarm.state != AlarmState::Alarm {
            tracing::info!(function = FUNCTION, alarm = %alarm.name, state = %alarm.state,
                "not in ALARM: nothing to send");
            skipped.push(format!("alarm {} is {}", alarm.name, alarm.state));
        } else {
            findings.push(alarm_finding(alarm, None)?);
        }
    }
    Ok((findings, skipped))
}
