//! The pure core of drift-notify: one [`Finding`] per thing worth a message, the Model Monitor
//! violations file, ranking, and the message itself. Nothing here calls AWS.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use remediation::audit::{shorten, subject, Notice};
use remediation::Error;
use serde::{Deserialize, Serialize};

use crate::FUNCTION;

/// At most this many violations are listed in a message; the rest are counted and left to the
/// report. Keeps an email readable.
pub const MAX_LISTED: usize = 25;
/// The body is cut to this many bytes: far inside SNS's 256 KiB message limit (attributes
/// count towards it too) and inside what SMS-to-email gateways and chat hooks accept.
pub const MAX_BODY: usize = 32 * 1024;
/// A violation's description is cut to this many bytes.
const MAX_DESCRIPTION: usize = 300;

/// The CloudWatch namespace Model Monitor publishes data-quality metrics to.
pub const DATA_METRICS: &str = "aws/sagemaker/Endpoints/data-metrics";
/// The CloudWatch namespace Model Monitor publishes model-quality metrics to.
pub const MODEL_METRICS: &str = "aws/sagemaker/Endpoints/model-metrics";

/// Check types that mean the model is fed data of the wrong shape: always critical.
const SCHEMA_CHECKS: [&str; 2] = ["data_type_check", "missing_column_check"];
/// A measured distance at least this many times its threshold is critical.
const CRITICAL_RATIO: f64 = 2.0;

/// How urgent a finding is; the `severity` message attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Monitoring itself failed: no drift is known, but nobody is watching.
    Warning,
    /// Drift or a quality drop beyond its threshold.
    High,
    /// Schema changes (wrong types, missing columns) or drift at least twice the threshold.
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What produced the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A Model Monitor job completed with violations.
    Violations,
    /// A Model Monitor job failed.
    MonitoringFailed,
    /// A CloudWatch alarm on a drift or model-quality metric.
    Alarm,
    /// A custom drift event from a team's own pipeline.
    Custom,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Violations => "violations",
            Kind::MonitoringFailed => "monitoring-failed",
            Kind::Alarm => "alarm",
            Kind::Custom => "custom",
        }
    }
}

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The feature (data quality) or metric (model quality, bias) that violated its constraint.
    pub feature: String,
    /// `baseline_drift_check`, `data_type_check`, ... (Model Monitor's `constraint_check_type`).
    pub check_type: String,
    /// The measured value (a distance for drift checks), when known.
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub description: Option<String>,
}

impl Violation {
    pub fn severity(&self) -> Severity {
        let far = matches!(self.ratio(), Some(r) if r >= CRITICAL_RATIO);
        if SCHEMA_CHECKS.contains(&self.check_type.as_str()) || far {
            Severity::Critical
        } else {
            Severity::High
        }
    }

    /// How far past its threshold the value is (value / threshold), for thresholds above zero.
    pub fn ratio(&self) -> Option<f64> {
        match (self.value, self.threshold) {
            (Some(v), Some(t)) if t > 0.0 && v.is_finite() => Some(v / t),
            _ => None,
        }
    }

    /// Most important first: critical before high, then the furthest past its threshold, then
    /// the ones with a known distance, then by name (stable output).
    fn importance(&self, other: &Self) -> Ordering {
        other
            .severity()
            .cmp(&self.severity())
            .then_with(|| match (self.ratio(), other.ratio()) {
                (Some(a), Some(b)) => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| self.feature.cmp(&other.feature))
            .then_with(|| self.check_type.cmp(&other.check_type))
    }
}

/// Sort violations most important first.
pub fn rank(violations: &mut [Violation]) {
    violations.sort_by(Violation::importance);
}

/// A CloudWatch metric a finding is about, for a console link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricLink {
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
}

/// One thing worth one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub endpoint: String,
    pub schedule: Option<String>,
    /// What reported it: the monitoring job, the alarm, the custom event's source.
    pub origin: String,
    /// When it was detected, when the input says.
    pub time: Option<DateTime<Utc>>,
    pub region: Option<String>,
    /// Most important first once [`Finding::notice`] has run; see [`rank`].
    pub violations: Vec<Violation>,
    /// Why monitoring failed (failed jobs only).
    pub failure_reason: Option<String>,
    /// Where the full report is (`s3://...`).
    pub report: Option<String>,
    pub metric: Option<MetricLink>,
    /// Stable id of the finding, the same on every delivery of the same input.
    pub id: String,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        match self.kind {
            Kind::MonitoringFailed => Severity::Warning,
            _ => self
                .violations
                .iter()
                .map(Violation::severity)
                .max()
                .unwrap_or(Severity::High),
        }
    }

    /// Distinct check types, sorted.
    pub fn check_types(&self) -> Vec<String> {
        let types: BTreeSet<&str> = self
            .violations
            .iter()
            .map(|v| v.check_type.as_str())
            .collect();
        types.into_iter().map(str::to_owned).collect()
    }

    /// The SNS message: subject, body and filterable attributes.
    pub fn notice(&self) -> Notice {
        let mut violations = self.violations.clone();
        rank(&mut violations);
        let severity = self.severity();
        let body = self.body(&violations, severity);
        let check_types = self.check_types();
        let mut check_types_attr = if check_types.is_empty() {
            vec![self.kind.as_str().to_owned()]
        } else {
            check_types
        };
        check_types_attr.truncate(50);
        let attributes = BTreeMap::from([
            ("function".to_owned(), FUNCTION.to_owned()),
            ("endpoint".to_owned(), self.endpoint.clone()),
            (
                "check_types".to_owned(),
                serde_json::to_string(&check_types_attr).unwrap_or_else(|_| "[]".to_owned()),
            ),
            ("severity".to_owned(), severity.as_str().to_owned()),
            ("kind".to_owned(), self.kind.as_str().to_owned()),
            ("finding_id".to_owned(), shorten(&self.id, 256)),
        ]);
        Notice {
            subject: self.subject(&violations),
            body,
            attributes,
            dedup_id: Some(self.id.clone()),
        }
    }

    /// At most 100 ASCII characters; endpoint first so a cut never loses it.
    fn subject(&self, ranked: &[Violation]) -> String {
        let endpoint = &self.endpoint;
        let text = match self.kind {
            Kind::MonitoringFailed => format!(
                "Model Monitor failed on {endpoint}{}",
                self.schedule
                    .as_deref()
                    .map(|s| format!(" (schedule {s})"))
                    .unwrap_or_default()
            ),
            _ => {
                let names: Vec<&str> = ranked.iter().map(|v| v.feature.as_str()).collect();
                let mut unique: Vec<&str> = Vec::new();
                for name in names {
                    if !unique.contains(&name) {
                        unique.push(name);
                    }
                }
                let what = if ranked
                    .iter()
                    .all(|v| v.check_type == "baseline_drift_check")
                {
                    "drift"
                } else {
                    "violations"
                };
                let count = ranked.len();
                let shown: Vec<&str> = unique.iter().take(3).copied().collect();
                let more = unique.len().saturating_sub(shown.len());
                let more = if more > 0 {
                    format!(" +{more} more")
                } else {
                    String::new()
                };
                let noun = if count == 1 {
                    "violation"
                } else {
                    "violations"
                };
                let prefix = match self.kind {
                    Kind::Alarm => "Drift alarm",
                    _ => "Drift",
                };
                if what == "drift" {
                    format!("{prefix} on {endpoint}: {}{more}", shown.join(", "))
                } else {
                    format!(
                        "{prefix} on {endpoint}: {count} {noun} ({}{more})",
                        shown.join(", ")
                    )
                }
            }
        };
        let severity = self.severity();
        let tag = if severity == Severity::Critical {
            "[CRITICAL] "
        } else {
            ""
        };
        subject(&format!("{tag}{text}"))
    }

    fn body(&self, ranked: &[Violation], severity: Severity) -> String {
        let mut body = String::new();
        let schedule = self.schedule.as_deref().unwrap_or("(none)");
        match self.kind {
            Kind::MonitoringFailed => {
                let _ = writeln!(
                    body,
                    "Model Monitor could not check endpoint {}: the monitoring job failed, so \
                     drift is not being watched until the next successful run.",
                    self.endpoint
                );
            }
            _ => {
                let noun = if ranked.len() == 1 {
                    "constraint"
                } else {
                    "constraints"
                };
                let _ = writeln!(
                    body,
                    "{} {noun} violated on endpoint {}.",
                    ranked.len(),
                    self.endpoint
                );
            }
        }
        let _ = writeln!(body);
        let _ = writeln!(body, "Endpoint: {}", self.endpoint);
        let _ = writeln!(body, "Monitoring schedule: {schedule}");
        let _ = writeln!(body, "Severity: {}", severity.as_str());
        let _ = writeln!(body, "Source: {}", self.origin);
        if let Some(time) = self.time {
            let _ = writeln!(
                body,
                "Detected: {}",
                time.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
        }
        if let Some(reason) = &self.failure_reason {
            let _ = writeln!(body, "Failure reason: {}", shorten(reason, 1024));
        }
        let mut links = String::new();
        if let Some(report) = &self.report {
            let _ = writeln!(links, "Report: {report}");
            if let Some(url) = s3_console_url(report, self.region.as_deref()) {
                let _ = writeln!(links, "Report in the console: {url}");
            }
        }
        if let Some(metric) = &self.metric {
            let _ = writeln!(
                links,
                "Metric: {}",
                metric_console_url(metric, self.region.as_deref())
            );
        }
        if !ranked.is_empty() {
            let _ = writeln!(body, "\nViolations, most important first:");
        }
        // Leave room for the links and the "not shown" line whatever happens.
        let budget = MAX_BODY.saturating_sub(links.len() + 200);
        let mut listed = 0;
        for (i, v) in ranked.iter().take(MAX_LISTED).enumerate() {
            let entry = violation_lines(i + 1, v);
            if body.len() + entry.len() > budget {
                break;
            }
            body.push_str(&entry);
            listed += 1;
        }
        if listed < ranked.len() {
            let _ = writeln!(
                body,
                "... and {} more not shown; the report lists all {}.",
                ranked.len() - listed,
                ranked.len()
            );
        }
        if !links.is_empty() {
            let _ = writeln!(body);
            body.push_str(&links);
        }
        shorten(&body, MAX_BODY)
    }
}

fn violation_lines(n: usize, v: &Violation) -> String {
    let mut line = format!("{n:>2}. {} - {}", v.feature, v.check_type);
    match (v.value, v.threshold) {
        (Some(value), Some(threshold)) => {
            let _ = write!(line, " - {value} vs threshold {threshold}");
            if let Some(r) = v.ratio() {
                let _ = write!(line, " ({r:.1}x)");
            }
        }
        (Some(value), None) => {
            let _ = write!(line, " - {value}");
        }
        (None, Some(threshold)) => {
            let _ = write!(line, " - threshold {threshold}");
        }
        (None, None) => {}
    }
    let _ = writeln!(line, " [{}]", v.severity().as_str());
    if let Some(description) = v.description.as_deref().filter(|d| !d.trim().is_empty()) {
        let one_line = description.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(line, "    {}", shorten(&one_line, MAX_DESCRIPTION));
    }
    line
}

// ---- constraint_violations.json ----

/// The file Model Monitor writes next to its report when a job completes with violations.
/// Data quality names a `feature_name`; model quality and bias name a `metric_name` (bias also
/// a `facet` and `facet_value`).
#[derive(Debug, Deserialize)]
struct ViolationsFile {
    violations: Vec<ViolationEntry>,
}

#[derive(Debug, Deserialize)]
struct ViolationEntry {
    #[serde(default)]
    feature_name: Option<String>,
    #[serde(default)]
    metric_name: Option<String>,
    #[serde(default)]
    facet: Option<String>,
    #[serde(default)]
    facet_value: Option<serde_json::Value>,
    constraint_check_type: String,
    #[serde(default)]
    description: Option<String>,
}

/// Parse `constraint_violations.json`; `location` names the file in errors.
pub fn parse_violations(bytes: &[u8], location: &str) -> Result<Vec<Violation>, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let file: ViolationsFile =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            let field = if path == "." { "file".to_owned() } else { path };
            Error::InvalidEvent(format!(
                "{location} is not a Model Monitor constraint_violations.json: {field}: {}",
                err.into_inner()
            ))
        })?;
    Ok(file
        .violations
        .into_iter()
        .map(|entry| {
            let base = entry
                .feature_name
                .or(entry.metric_name)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "(unnamed)".to_owned());
            let feature = match (entry.facet, entry.facet_value) {
                (Some(facet), Some(value)) => {
                    let value = value
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| value.to_string());
                    format!("{base} ({facet}={value})")
                }
                _ => base,
            };
            let (value, threshold) = entry
                .description
                .as_deref()
                .map(measured)
                .unwrap_or((None, None));
            Violation {
                feature,
                check_type: entry.constraint_check_type,
                value,
                threshold,
                description: entry.description,
            }
        })
        .collect())
}

/// The measured value and threshold in a violation description, when it states them:
/// `Numerical distance: 0.27 exceeds numerical threshold: 0.1`,
/// `Metric weightedF2 with 0.61 was LessThanThreshold '0.7'`.
pub fn measured(description: &str) -> (Option<f64>, Option<f64>) {
    let lower = description.to_ascii_lowercase();
    let value = ["distance", " with "]
        .iter()
        .find_map(|key| number_after(description, &lower, key));
    let threshold = number_after(description, &lower, "threshold");
    (value, threshold)
}

/// The first number within a few characters after `key` (matched in `lower`).
fn number_after(text: &str, lower: &str, key: &str) -> Option<f64> {
    let start = lower.find(key)? + key.len();
    let rest = &text[start..];
    let skip = rest
        .char_indices()
        .take(4)
        .find(|(_, c)| c.is_ascii_digit() || *c == '-')
        .map(|(i, _)| i)?;
    let rest = &rest[skip..];
    let end = rest
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-')))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches('.').parse().ok()
}

// ---- console links ----

/// The S3 console page of an `s3://bucket/key` object.
pub fn s3_console_url(uri: &str, region: Option<&str>) -> Option<String> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    let region = region.unwrap_or("us-east-1");
    Some(format!(
        "https://{region}.console.aws.amazon.com/s3/object/{bucket}?region={region}&prefix={}",
        url_escape(key)
    ))
}

/// The CloudWatch console graph of one metric.
pub fn metric_console_url(metric: &MetricLink, region: Option<&str>) -> String {
    let region = region.unwrap_or("us-east-1");
    let mut parts = vec![cw_escape(&metric.namespace), cw_escape(&metric.name)];
    for (k, v) in &metric.dimensions {
        parts.push(cw_escape(k));
        parts.push(cw_escape(v));
    }
    let metric = parts
        .iter()
        .map(|p| format!("~'{p}"))
        .collect::<Vec<_>>()
        .join("");
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#metricsV2?graph=~(metrics~(~({metric}))~region~'{region})"
    )
}

/// The CloudWatch console's URL fragment escaping: `*` and two hex digits.
fn cw_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("*{b:02x}")
            }
        })
        .collect()
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use remediation::audit::MAX_SUBJECT;

    fn fixture() -> Vec<u8> {
        let path = format!(
            "{}/../../events/fixtures/constraint_violations.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).expect(&path)
    }

    fn violation(
        feature: &str,
        check: &str,
        value: Option<f64>,
        threshold: Option<f64>,
    ) -> Violation {
        Violation {
            feature: feature.to_owned(),
            check_type: check.to_owned(),
            value,
            threshold,
            description: None,
        }
    }

    fn finding(violations: Vec<Violation>) -> Finding {
        Finding {
            kind: Kind::Violations,
            endpoint: "prod-ranker".to_owned(),
            schedule: Some("prod-ranker-data-quality".to_owned()),
            origin: "monitoring job model-monitoring-1".to_owned(),
            time: None,
            region: Some("us-east-1".to_owned()),
            violations,
            failure_reason: None,
            report: Some(
                "s3://bucket/monitoring/prod-ranker/constraint_violations.json".to_owned(),
            ),
            metric: None,
            id: "job:model-monitoring-1:Completed".to_owned(),
        }
    }

    #[test]
    fn the_sample_violations_file_parses_with_distances() {
        let violations = parse_violations(&fixture(), "s3://b/k").unwrap();
        assert_eq!(violations.len(), 4);
        let age = violations.iter().find(|v| v.feature == "age").unwrap();
        assert_eq!(age.check_type, "baseline_drift_check");
        assert_eq!(age.value, Some(0.4127));
        assert_eq!(age.threshold, Some(0.1));
        assert_eq!(age.severity(), Severity::Critical);
        let types: BTreeSet<&str> = violations.iter().map(|v| v.check_type.as_str()).collect();
        assert!(types.contains("data_type_check"), "{types:?}");
        assert!(types.contains("completeness_check"), "{types:?}");
    }

    #[test]
    fn descriptions_give_value_and_threshold() {
        assert_eq!(
            measured("Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0"),
            (Some(0.2711598746081505), Some(0.0))
        );
        assert_eq!(
            measured("Categorical distance: 0.35 exceeds categorical threshold: 0.1."),
            (Some(0.35), Some(0.1))
        );
        assert_eq!(
            measured("Metric weightedF2 with 0.61 +/- 0.01 was LessThanThreshold '0.7'"),
            (Some(0.61), Some(0.7))
        );
        assert_eq!(
            measured("Data type of feature age is Fractional, expected Integral"),
            (None, None)
        );
    }

    #[test]
    fn model_quality_and_bias_entries_name_the_metric() {
        let file = br#"{"violations": [
            {"metric_name": "f1", "constraint_check_type": "LessThanThreshold",
             "description": "Metric f1 with 0.52 was LessThanThreshold '0.7'"},
            {"facet": "Age", "facet_value": 40, "metric_name": "CI",
             "constraint_check_type": "bias_drift_check", "description": "Value 0.07 does not meet the constraint requirement"}
        ]}"#;
        let v = parse_violations(file, "x").unwrap();
        assert_eq!(v[0].feature, "f1");
        assert_eq!((v[0].value, v[0].threshold), (Some(0.52), Some(0.7)));
        assert_eq!(v[1].feature, "CI (Age=40)");
    }

    #[test]
    fn malformed_files_name_the_field() {
        let err = parse_violations(b"{\"violations\": [{\"feature_name\": \"a\"}]}", "s3://b/k")
            .unwrap_err()
            .to_string();
        assert!(err.contains("s3://b/k"), "{err}");
        assert!(err.contains("violations[0]"), "{err}");
        assert!(err.contains("constraint_check_type"), "{err}");
        let err = parse_violations(b"<html>", "s3://b/k")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not a Model Monitor constraint_violations.json"),
            "{err}"
        );
        let err = parse_violations(b"{}", "s3://b/k").unwrap_err().to_string();
        assert!(err.contains("missing field `violations`"), "{err}");
    }

    #[test]
    fn ranking_puts_schema_breaks_and_far_drift_first() {
        let mut v = vec![
            violation("small", "baseline_drift_check", Some(0.12), Some(0.1)),
            violation("unknown", "completeness_check", None, None),
            violation("big", "baseline_drift_check", Some(0.5), Some(0.1)),
            violation("typed", "data_type_check", None, None),
            violation("medium", "baseline_drift_check", Some(0.18), Some(0.1)),
        ];
        rank(&mut v);
        let order: Vec<&str> = v.iter().map(|v| v.feature.as_str()).collect();
        assert_eq!(order, ["big", "typed", "medium", "small", "unknown"]);
    }

    #[test]
    fn many_violations_are_truncated_with_a_count() {
        let many: Vec<Violation> = (0..200)
            .map(|i| Violation {
                description: Some("x".repeat(1000)),
                ..violation(
                    &format!("feature_{i:03}"),
                    "baseline_drift_check",
                    Some(0.1 + f64::from(i) / 1000.0),
                    Some(0.1),
                )
            })
            .collect();
        let notice = finding(many).notice();
        assert!(notice.body.len() <= MAX_BODY, "{}", notice.body.len());
        // The furthest drift is listed first, the list stops at MAX_LISTED.
        assert!(
            notice
                .body
                .contains(" 1. feature_199 - baseline_drift_check"),
            "{}",
            notice.body
        );
        assert!(!notice.body.contains("feature_000 -"), "{}", notice.body);
        assert!(notice.body.contains(&format!(
            "... and {} more not shown; the report lists all 200.",
            200 - MAX_LISTED
        )));
        assert!(notice
            .body
            .contains("Report: s3://bucket/monitoring/prod-ranker/constraint_violations.json"));
        let line = notice
            .body
            .lines()
            .find(|l| l.starts_with("    x"))
            .unwrap();
        assert!(line.len() <= 4 + MAX_DESCRIPTION, "{}", line.len());
    }

    #[test]
    fn subjects_stay_within_100_ascii_characters_and_name_the_endpoint() {
        let long = "f".repeat(80);
        let notice = finding(vec![
            violation(&long, "baseline_drift_check", Some(0.3), Some(0.1)),
            violation("b\u{e9}ta", "baseline_drift_check", Some(0.2), Some(0.1)),
        ])
        .notice();
        assert!(notice.subject.len() <= MAX_SUBJECT, "{}", notice.subject);
        assert!(notice.subject.is_ascii());
        assert!(
            notice
                .subject
                .starts_with("[CRITICAL] Drift on prod-ranker: fff"),
            "{}",
            notice.subject
        );

        let notice = finding(vec![violation(
            "age",
            "baseline_drift_check",
            Some(0.15),
            Some(0.1),
        )])
        .notice();
        assert_eq!(notice.subject, "Drift on prod-ranker: age");
        assert_eq!(notice.attributes["severity"], "high");
        assert_eq!(
            notice.attributes["check_types"],
            "[\"baseline_drift_check\"]"
        );
        assert_eq!(notice.attributes["endpoint"], "prod-ranker");
        assert!(
            notice
                .body
                .contains(" 1. age - baseline_drift_check - 0.15 vs threshold 0.1 (1.5x) [high]"),
            "{}",
            notice.body
        );

        let mixed = finding(vec![
            violation("age", "baseline_drift_check", Some(0.15), Some(0.1)),
            violation("zip", "missing_column_check", None, None),
        ])
        .notice();
        assert_eq!(
            mixed.subject,
            "[CRITICAL] Drift on prod-ranker: 2 violations (zip, age)"
        );
        assert_eq!(
            mixed.attributes["check_types"],
            "[\"baseline_drift_check\",\"missing_column_check\"]"
        );
    }

    #[test]
    fn failed_monitoring_says_why() {
        let mut f = finding(Vec::new());
        f.kind = Kind::MonitoringFailed;
        f.failure_reason = Some("AlgorithmError: no data captured".to_owned());
        f.report = None;
        let notice = f.notice();
        assert_eq!(
            notice.subject,
            "Model Monitor failed on prod-ranker (schedule prod-ranker-data-quality)"
        );
        assert!(notice
            .body
            .contains("Failure reason: AlgorithmError: no data captured"));
        assert_eq!(notice.attributes["severity"], "warning");
        assert_eq!(notice.attributes["check_types"], "[\"monitoring-failed\"]");
    }

    #[test]
    fn console_links() {
        assert_eq!(
            s3_console_url("s3://bucket/a b/constraint_violations.json", Some("eu-west-1")).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/s3/object/bucket?region=eu-west-1&prefix=a%20b/constraint_violations.json"
        );
        assert_eq!(s3_console_url("https://x", None), None);
        let link = metric_console_url(
            &MetricLink {
                namespace: DATA_METRICS.to_owned(),
                name: "feature_baseline_drift_age".to_owned(),
                dimensions: BTreeMap::from([("Endpoint".to_owned(), "prod-ranker".to_owned())]),
            },
            None,
        );
        assert!(link.contains("~'aws*2fsagemaker*2fEndpoints*2fdata-metrics~'feature_baseline_drift_age~'Endpoint~'prod-ranker"), "{link}");
    }
}
