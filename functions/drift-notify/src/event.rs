//! The inputs drift-notify accepts, parsed into what the handler needs.
//!
//! - EventBridge "SageMaker Processing Job State Change" (`source: aws.sagemaker`): the detail is
//!   the DescribeProcessingJob response. A job is a Model Monitor job when SageMaker marked it so:
//!   it carries a `MonitoringScheduleArn` (set on every job a monitoring schedule starts) or the
//!   `sagemaker_monitoring_schedule_name` environment variable Model Monitor passes to its
//!   container. Anything else is not ours and is ignored.
//! - A CloudWatch alarm in any of the three shapes the shared [`Alarm`] model parses.
//! - The custom "Model Drift Detected" event ([`CUSTOM_DETAIL_TYPE`]) for teams with their own
//!   drift detection.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use remediation::alarm::{parse_time, Alarm, ALARM_DETAIL_TYPE};
use remediation::Error;
use serde::Deserialize;
use serde_json::Value;

pub use crate::drift_alarm::{alarm_finding, feature_of};
use crate::finding::{Finding, Kind, MetricLink, Violation, DATA_METRICS};

/// The detail-type SageMaker sends when a processing job changes state.
pub const PROCESSING_JOB_DETAIL_TYPE: &str = "SageMaker Processing Job State Change";
/// The detail-type of the custom drift event.
pub const CUSTOM_DETAIL_TYPE: &str = "Model Drift Detected";
/// The source the README documents for the custom event (any source not starting with `aws.`
/// is accepted; the detail-type identifies the event).
pub const CUSTOM_SOURCE: &str = "custom.sagemaker.drift";
/// The exit message prefix of a monitoring job that found violations.
pub const WITH_VIOLATIONS: &str = "CompletedWithViolations";
/// The file Model Monitor writes to the job's output location.
pub const VIOLATIONS_FILE: &str = "constraint_violations.json";
/// The environment variables Model Monitor passes to its container.
pub const ENV_SCHEDULE: &str = "sagemaker_monitoring_schedule_name";
pub const ENV_ENDPOINT: &str = "sagemaker_endpoint_name";
pub const ENV_OUTPUT_PATH: &str = "output_path";
/// The container path Model Monitor writes results to when `output_path` is not set.
pub const DEFAULT_OUTPUT_PATH: &str = "/opt/ml/processing/resultdata";

/// What one invocation is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Job(MonitoringJob),
    /// A processing job that is not a monitoring job: ignored.
    NotMonitoring {
        job: String,
    },
    Alarms(Vec<Alarm>),
    Custom(Box<Finding>),
}

impl Input {
    /// Refuse an event time that cannot be real (see [`remediation::alarm::check_time`]).
    pub fn check_time(&self, now: DateTime<Utc>) -> Result<(), Error> {
        match self {
            Input::Job(job) => remediation::alarm::check_time(job.time, "time", now),
            Input::NotMonitoring { .. } => Ok(()),
            Input::Alarms(alarms) => alarms.iter().try_for_each(|a| a.check_time(now)),
            Input::Custom(finding) => {
                remediation::alarm::check_time(finding.time, "detail.detected_at (or time)", now)
            }
        }
    }
}

/// What a monitoring job's state change says.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringJob {
    pub name: String,
    pub status: String,
    pub exit_message: Option<String>,
    pub failure_reason: Option<String>,
    /// `sagemaker_endpoint_name`: always there for a job with violations; a failed job of a
    /// schedule that monitors batch transform jobs names none.
    pub endpoint: Option<String>,
    pub schedule: Option<String>,
    /// The S3 prefix the job wrote its results to, resolved only for a job with violations
    /// (the one case that reads them).
    pub output: Option<String>,
    pub region: Option<String>,
    pub time: Option<DateTime<Utc>>,
}

impl MonitoringJob {
    pub fn has_violations(&self) -> bool {
        self.status == "Completed"
            && self
                .exit_message
                .as_deref()
                .is_some_and(|m| m.trim_start().starts_with(WITH_VIOLATIONS))
    }

    /// `s3://bucket/prefix/constraint_violations.json`.
    pub fn violations_uri(&self) -> Option<String> {
        self.output
            .as_deref()
            .map(|prefix| format!("{}/{VIOLATIONS_FILE}", prefix.trim_end_matches('/')))
    }

    /// The same on every delivery of this job's terminal state.
    pub fn finding_id(&self) -> String {
        format!("job:{}:{}", self.name, self.status)
    }

    fn base_finding(&self, kind: Kind) -> Finding {
        Finding {
            kind,
            endpoint: self.endpoint.clone(),
            schedule: self.schedule.clone(),
            origin: format!("monitoring job {} ({})", self.name, self.status),
            time: self.time,
            region: self.region.clone(),
            violations: Vec::new(),
            failure_reason: None,
            report: None,
            metric: None,
            id: self.finding_id(),
        }
    }

    pub fn failed_finding(&self) -> Finding {
        Finding {
            failure_reason: Some(
                self.failure_reason
                    .clone()
                    .or_else(|| self.exit_message.clone())
                    .unwrap_or_else(|| "no FailureReason in the event".to_owned()),
            ),
            ..self.base_finding(Kind::MonitoringFailed)
        }
    }

    /// The job announced violations, but the file at `report` lists none: a warning, since
    /// the result contradicts itself and drift may go unreported.
    pub fn inconsistent_finding(&self, report: String) -> Finding {
        Finding {
            report: Some(report),
            ..self.base_finding(Kind::Inconsistent)
        }
    }

    pub fn violations_finding(&self, violations: Vec<Violation>) -> Finding {
        let top_drift = violations
            .iter()
            .filter(|v| v.check_type == "baseline_drift_check" && !v.feature.contains(' '))
            .max_by(|a, b| {
                a.ratio()
                    .unwrap_or(0.0)
                    .partial_cmp(&b.ratio().unwrap_or(0.0))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        let metric = match (top_drift, &self.endpoint, &self.schedule) {
            (Some(v), Some(endpoint), Some(schedule)) => Some(MetricLink {
                namespace: DATA_METRICS.to_owned(),
                name: format!("feature_baseline_drift_{}", v.feature),
                dimensions: BTreeMap::from([
                    ("Endpoint".to_owned(), endpoint.clone()),
                    ("MonitoringSchedule".to_owned(), schedule.clone()),
                ]),
            }),
            _ => None,
        };
        Finding {
            violations,
            report: self.violations_uri(),
            metric,
            ..self.base_finding(Kind::Violations)
        }
    }
}

/// Parse any input; unknown shapes are an `InvalidEvent` naming what was expected.
pub fn parse(event: Value) -> Result<Input, Error> {
    let Value::Object(object) = &event else {
        return Err(Error::InvalidEvent(
            "expected a JSON object (an EventBridge event, an SNS batch or a Lambda alarm action)"
                .to_owned(),
        ));
    };
    if object.contains_key("Records") || object.contains_key("alarmData") {
        return Alarm::parse(event).map(Input::Alarms);
    }
    let Some(detail_type) = object.get("detail-type") else {
        return Err(Error::InvalidEvent(format!(
            "not a drift event: no `detail-type` (expected \"{PROCESSING_JOB_DETAIL_TYPE}\", \
             \"{ALARM_DETAIL_TYPE}\" or \"{CUSTOM_DETAIL_TYPE}\"), no `Records` (SNS) and no \
             `alarmData` (Lambda alarm action)"
        )));
    };
    match detail_type.as_str() {
        Some(PROCESSING_JOB_DETAIL_TYPE) => parse_job(event),
        Some(ALARM_DETAIL_TYPE) => Alarm::parse(event).map(Input::Alarms),
        Some(CUSTOM_DETAIL_TYPE) => {
            crate::custom::parse_custom(event).map(|f| Input::Custom(Box::new(f)))
        }
        _ => Err(Error::InvalidEvent(format!(
            "detail-type is {detail_type}, expected \"{PROCESSING_JOB_DETAIL_TYPE}\", \
             \"{ALARM_DETAIL_TYPE}\" or \"{CUSTOM_DETAIL_TYPE}\""
        ))),
    }
}

/// Longest feature name or check type a custom event may carry.
pub const MAX_FEATURE_TEXT: usize = 256;

/// The endpoint a finding names must be a SageMaker endpoint name: it becomes a message
/// attribute subscribers filter on and part of the deduplication id.
pub(crate) fn endpoint_name(name: String, field: &str) -> Result<String, Error> {
    if remediation::is_sagemaker_name(&name) {
        Ok(name)
    } else {
        Err(Error::InvalidEvent(format!(
            "{field}: {:?} is not a SageMaker endpoint name (letters, digits, '-', at most 63)",
            remediation::audit::shorten(&name, 80)
        )))
    }
}

// ---- SageMaker Processing Job State Change ----

#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<D> {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) source: Option<String>,
    #[serde(default)]
    pub(crate) region: Option<String>,
    #[serde(default)]
    pub(crate) time: Option<String>,
    pub(crate) detail: D,
}

/// The fields of DescribeProcessingJob that matter here; everything else is ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JobDetail {
    processing_job_name: String,
    processing_job_status: String,
    #[serde(default)]
    exit_message: Option<String>,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default)]
    monitoring_schedule_arn: Option<String>,
    #[serde(default)]
    environment: Option<BTreeMap<String, String>>,
    #[serde(default)]
    processing_output_config: Option<OutputConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OutputConfig {
    #[serde(default)]
    outputs: Vec<Output>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    #[serde(default)]
    s3_output: Option<S3Output>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct S3Output {
    s3_uri: String,
    #[serde(default)]
    local_path: Option<String>,
}

/// A monitoring job's state change. Only what its status needs is required: the endpoint and
/// the results' location for a job with violations (its report is read); a failed job is
/// reported with what it names; other statuses are ignored by the handler.
fn parse_job(event: Value) -> Result<Input, Error> {
    let envelope: Envelope<JobDetail> = remediation::from_json(event, "")?;
    let detail = envelope.detail;
    let env = detail.environment.unwrap_or_default();
    let schedule_from_arn = detail
        .monitoring_schedule_arn
        .as_deref()
        .filter(|arn| !arn.is_empty())
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned());
    let schedule = env
        .get(ENV_SCHEDULE)
        .filter(|s| !s.is_empty())
        .cloned()
        .or(schedule_from_arn);
    let Some(schedule) = schedule else {
        return Ok(Input::NotMonitoring {
            job: detail.processing_job_name,
        });
    };
    let endpoint = env
        .get(ENV_ENDPOINT)
        .filter(|e| !e.is_empty())
        .map(|e| endpoint_name(e.clone(), &format!("detail.Environment.{ENV_ENDPOINT}")))
        .transpose()?;
    let mut job = MonitoringJob {
        name: detail.processing_job_name,
        status: detail.processing_job_status,
        exit_message: detail.exit_message,
        failure_reason: detail.failure_reason,
        endpoint,
        schedule: Some(schedule),
        output: None,
        region: envelope.region,
        time: parse_time(envelope.time, "time")?,
    };
    if job.has_violations() {
        let outputs: Vec<S3Output> = detail
            .processing_output_config
            .map(|c| c.outputs)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| o.s3_output)
            .collect();
        job.output = violations_location(&job, &outputs, env.get(ENV_OUTPUT_PATH))?;
    }
    Ok(Input::Job(job))
}

/// Where a job with violations wrote its report: the job must name its endpoint (the
/// violations are reported per endpoint) and one output must hold the results.
fn violations_location(
    job: &MonitoringJob,
    outputs: &[S3Output],
    output_path: Option<&String>,
) -> Result<Option<String>, Error> {
    if job.endpoint.is_none() {
        return Err(Error::InvalidEvent(format!(
            "detail.Environment.{ENV_ENDPOINT}: missing; monitoring job {} of schedule {} \
             reported violations but names no endpoint",
            job.name,
            job.schedule.as_deref().unwrap_or("")
        )));
    }
    result_output(outputs, output_path.map(String::as_str))
}

/// A container path in one spelling: no repeated, trailing or `.` segments
/// (`/opt/ml//processing/./resultdata/` -> `/opt/ml/processing/resultdata`).
fn normal_path(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", segments.join("/"))
}

/// The S3 prefix of the output Model Monitor writes its results to: the one whose
/// `LocalPath` is the job's `output_path` (default [`DEFAULT_OUTPUT_PATH`]), paths compared
/// in one spelling. A single output is that output; among several, none matching is an
/// error rather than a guess (the first output is often the logs).
fn result_output(outputs: &[S3Output], output_path: Option<&str>) -> Result<Option<String>, Error> {
    let local = normal_path(output_path.unwrap_or(DEFAULT_OUTPUT_PATH));
    let matching = outputs
        .iter()
        .find(|o| o.local_path.as_deref().map(normal_path).as_ref() == Some(&local));
    match (matching, outputs) {
        (Some(output), _) => Ok(Some(output.s3_uri.clone())),
        (None, []) => Ok(None),
        (None, [only]) => Ok(Some(only.s3_uri.clone())),
        (None, several) => {
            let seen: Vec<String> = several
                .iter()
                .map(|o| format!("{:?}", o.local_path.as_deref().unwrap_or("")))
                .collect();
            Err(Error::InvalidEvent(format!(
                "detail.ProcessingOutputConfig.Outputs: {} outputs and none has LocalPath \
                 {local:?} (the job's {ENV_OUTPUT_PATH}); their LocalPaths are [{}]",
                several.len(),
                seen.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Direction, MODEL_METRICS};
    use crate::sample;
    use serde_json::json;

    fn job(name: &str) -> MonitoringJob {
        match parse(sample(name)).unwrap() {
            Input::Job(job) => job,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn monitoring_job_with_violations() {
        let job = job("sagemaker-processing-job-monitoring-violations.json");
        assert!(job.has_violations());
        assert_eq!(job.endpoint.as_deref(), Some("prod-ranker"));
        assert_eq!(job.schedule.as_deref(), Some("prod-ranker-data-quality"));
        assert_eq!(
            job.violations_uri().as_deref(),
            Some("s3://prod-ranker-monitoring/reports/prod-ranker/prod-ranker-data-quality/2026/11/28/13/constraint_violations.json")
        );
        assert_eq!(job.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn failed_and_plain_completed_jobs() {
        let failed = job("sagemaker-processing-job-monitoring-failed.json");
        assert_eq!(failed.status, "Failed");
        assert!(!failed.has_violations());
        assert!(failed
            .failed_finding()
            .failure_reason
            .unwrap()
            .contains("captured data"));
        let completed = job("sagemaker-processing-job-monitoring-completed.json");
        assert_eq!(completed.status, "Completed");
        assert!(!completed.has_violations());
    }

    #[test]
    fn other_processing_jobs_are_not_monitoring() {
        assert_eq!(
            parse(sample("sagemaker-processing-job-not-monitoring.json")).unwrap(),
            Input::NotMonitoring {
                job: "feature-engineering-2026-11-28-12-00-00".to_owned()
            }
        );
    }

    #[test]
    fn the_schedule_arn_alone_marks_a_monitoring_job() {
        let mut event = sample("sagemaker-processing-job-monitoring-completed.json");
        event["detail"]["Environment"]
            .as_object_mut()
            .unwrap()
            .remove(ENV_SCHEDULE);
        let job = match parse(event).unwrap() {
            Input::Job(job) => job,
            other => panic!("{other:?}"),
        };
        assert_eq!(job.schedule.as_deref(), Some("prod-ranker-data-quality"));
    }

    #[test]
    fn the_result_output_is_found_whatever_the_path_spelling() {
        let mut event = sample("sagemaker-processing-job-monitoring-violations.json");
        let result = event["detail"]["ProcessingOutputConfig"]["Outputs"][0].clone();
        let mut logs = result.clone();
        logs["OutputName"] = json!("logs");
        logs["S3Output"]["S3Uri"] = json!("s3://prod-ranker-monitoring/logs/run-1");
        logs["S3Output"]["LocalPath"] = json!("/opt/ml/processing/logs");
        let mut custom = result.clone();
        custom["S3Output"]["LocalPath"] = json!("/opt/ml/processing/custom_out");
        event["detail"]["ProcessingOutputConfig"]["Outputs"] = json!([logs, custom]);
        event["detail"]["Environment"][ENV_OUTPUT_PATH] = json!("/opt/ml/processing//custom_out/");
        let Input::Job(job) = parse(event.clone()).unwrap() else {
            panic!("not a job")
        };
        let uri = job.violations_uri().unwrap();
        assert!(
            uri.starts_with("s3://prod-ranker-monitoring/reports/"),
            "{uri}"
        );
        // Several outputs and none at the output path: an error naming them, not a guess.
        event["detail"]["Environment"][ENV_OUTPUT_PATH] = json!("/opt/ml/elsewhere");
        let err = parse(event).unwrap_err().to_string();
        assert!(
            err.contains("detail.ProcessingOutputConfig.Outputs: 2 outputs and none has LocalPath \"/opt/ml/elsewhere\""),
            "{err}"
        );
        assert!(err.contains("\"/opt/ml/processing/logs\""), "{err}");
    }

    /// The failed sample naming no endpoint, with a results and a logs output and neither at
    /// the job's output path: what a violations report needs is missing.
    fn without_endpoint_or_result_output(status: &str, exit_message: &str) -> Value {
        let mut event = sample("sagemaker-processing-job-monitoring-failed.json");
        let detail = &mut event["detail"];
        detail["ProcessingJobStatus"] = json!(status);
        detail["ExitMessage"] = json!(exit_message);
        detail["Environment"]
            .as_object_mut()
            .unwrap()
            .remove(ENV_ENDPOINT);
        detail["Environment"][ENV_OUTPUT_PATH] = json!("/opt/ml/processing/elsewhere");
        let result = detail["ProcessingOutputConfig"]["Outputs"][0].clone();
        let mut logs = result.clone();
        logs["S3Output"]["LocalPath"] = json!("/opt/ml/processing/logs");
        detail["ProcessingOutputConfig"]["Outputs"] = json!([result, logs]);
        event
    }

    #[test]
    fn a_failed_job_is_reported_without_what_only_violations_need() {
        let event = without_endpoint_or_result_output("Failed", "Error: no captured data.");
        let Input::Job(failed) = parse(event).unwrap() else {
            panic!("not a job")
        };
        assert_eq!(
            (failed.endpoint.as_deref(), failed.output.as_deref()),
            (None, None)
        );
        let finding = failed.failed_finding();
        assert_eq!(finding.kind, Kind::MonitoringFailed);
        let notice = finding.notice();
        assert_eq!(
            notice.subject,
            "Model Monitor failed on schedule prod-ranker-data-quality"
        );
        assert!(!notice.attributes.contains_key("endpoint"), "{notice:?}");
        assert!(
            notice.body.starts_with(
                "Model Monitor could not run monitoring schedule prod-ranker-data-quality: the \
                 monitoring job failed"
            ),
            "{}",
            notice.body
        );
        assert!(notice.body.contains("Endpoint: (not named in the event)"));
        assert!(notice
            .body
            .contains("Failure reason: AlgorithmError: No captured data"));
        // With its endpoint, the failed job names it as before.
        let mut named = without_endpoint_or_result_output("Failed", "Error");
        named["detail"]["Environment"][ENV_ENDPOINT] = json!("prod-ranker");
        let Input::Job(named) = parse(named).unwrap() else {
            panic!("not a job")
        };
        assert_eq!(
            named.failed_finding().notice().subject,
            "Model Monitor failed on prod-ranker (schedule prod-ranker-data-quality)"
        );
    }

    #[test]
    fn jobs_without_violations_parse_to_be_ignored() {
        for (status, exit_message) in [
            (
                "Completed",
                "Completed: Job completed successfully with no violations.",
            ),
            ("Stopped", "Stopped by the user"),
            ("InProgress", ""),
        ] {
            let event = without_endpoint_or_result_output(status, exit_message);
            let Input::Job(job) = parse(event).unwrap() else {
                panic!("{status}: not a job")
            };
            assert_eq!(job.status, status);
            assert!(!job.has_violations(), "{status}");
        }
    }

    #[test]
    fn a_job_with_violations_still_needs_its_endpoint_and_result_output() {
        let with_violations =
            "CompletedWithViolations: Job completed successfully with 4 violations.";
        let event = without_endpoint_or_result_output("Completed", with_violations);
        let err = parse(event.clone()).unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
        assert!(
            err.to_string()
                .contains("detail.Environment.sagemaker_endpoint_name: missing"),
            "{err}"
        );
        let mut named = event;
        named["detail"]["Environment"][ENV_ENDPOINT] = json!("prod-ranker");
        let err = parse(named).unwrap_err().to_string();
        assert!(
            err.contains("detail.ProcessingOutputConfig.Outputs: 2 outputs and none has LocalPath"),
            "{err}"
        );
    }

    #[test]
    fn report_links_lead_to_s3_only() {
        for bad in [
            "https://evil.example/x",
            "s3://",
            "s3://bucket",
            "s3:///key",
            "S3://bucket/key",
            "s3://bucket/a b",
        ] {
            let mut custom = sample("custom-drift-event.json");
            custom["detail"]["report_uri"] = json!(bad);
            let err = parse(custom).unwrap_err();
            assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
            assert!(
                err.to_string().contains("detail.report_uri:")
                    && err.to_string().contains("is not an s3://bucket/key URI"),
                "{bad}: {err}"
            );
        }
        let Input::Custom(finding) = parse(sample("custom-drift-event.json")).unwrap() else {
            panic!("not custom")
        };
        assert_eq!(
            finding.report.as_deref(),
            Some("s3://prod-ranker-monitoring/custom/psi/2026-11-28/report.json")
        );
    }

    #[test]
    fn an_alarm_below_its_threshold_is_a_drop() {
        let mut event = sample("cloudwatch-alarm-drift-eventbridge.json");
        event["detail"]["state"]["reason"] = json!(
            "Threshold Crossed: 1 datapoint [0.05 (28/11/26 12:00:00)] was less than the threshold (0.7)."
        );
        let Input::Alarms(alarms) = parse(event).unwrap() else {
            panic!("not an alarm")
        };
        let finding = alarm_finding(&alarms[0], None).unwrap();
        let v = &finding.violations[0];
        assert_eq!(v.direction, Some(Direction::Below));
        let r = v.ratio().unwrap();
        assert!((r - 14.0).abs() < 1e-9, "{r}");
    }

    #[test]
    fn drift_metric_names() {
        assert_eq!(
            feature_of(DATA_METRICS, "feature_baseline_drift_age"),
            ("age".to_owned(), "baseline_drift_check".to_owned())
        );
        assert_eq!(
            feature_of(DATA_METRICS, "feature_non_null_zip"),
            ("zip".to_owned(), "completeness_check".to_owned())
        );
        assert_eq!(
            feature_of(MODEL_METRICS, "f1"),
            ("f1".to_owned(), "model_quality_check".to_owned())
        );
    }

    #[test]
    fn unknown_shapes_name_the_field() {
        let err = |event: Value| parse(event).unwrap_err().to_string();
        assert!(err(json!({"hello": 1})).contains("no `detail-type`"));
        assert!(err(json!({"detail-type": "Scheduled Event", "detail": {}}))
            .contains("detail-type is \"Scheduled Event\""));
        assert!(
            err(json!({"detail-type": PROCESSING_JOB_DETAIL_TYPE, "detail": {}}))
                .contains("detail: missing field `ProcessingJobName`")
        );
        let mut custom = sample("custom-drift-event.json");
        custom["detail"]["features"][0]
            .as_object_mut()
            .unwrap()
            .remove("check_type");
        assert!(err(custom).contains("detail.features[0]: missing field `check_type`"));
        let mut custom = sample("custom-drift-event.json");
        custom["detail"]["features"] = json!([]);
        assert!(err(custom).contains("detail.features: empty"));
        let mut custom = sample("custom-drift-event.json");
        custom["detail"]["endpont"] = json!("typo");
        assert!(err(custom).contains("unknown field `endpont`"));
    }

    #[test]
    fn endpoint_names_and_feature_texts_are_checked() {
        let mut custom = sample("custom-drift-event.json");
        custom["detail"]["endpoint"] = json!("../../prod-*");
        let err = parse(custom).unwrap_err().to_string();
        assert!(
            err.contains("detail.endpoint: \"../../prod-*\" is not a SageMaker endpoint name"),
            "{err}"
        );
        let mut long = sample("custom-drift-event.json");
        long["detail"]["features"][0]["name"] = json!("f".repeat(MAX_FEATURE_TEXT + 1));
        let err = parse(long).unwrap_err().to_string();
        assert!(
            err.contains("detail.features[0].name: 257 characters"),
            "{err}"
        );
        let mut job = sample("sagemaker-processing-job-monitoring-violations.json");
        job["detail"]["Environment"][ENV_ENDPOINT] = json!("prod/ranker");
        let err = parse(job).unwrap_err().to_string();
        assert!(
            err.contains("detail.Environment.sagemaker_endpoint_name: \"prod/ranker\""),
            "{err}"
        );
    }
}
