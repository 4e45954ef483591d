//! The pure core of drift-notify: one [`Finding`] per thing worth a message, the Model Monitor
//! violations file, ranking, and the message itself. Nothing here calls AWS.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use remediation::audit::{one_line, shorten, subject, Notice};

use serde::Serialize;

use crate::ascii::ascii_name;
pub use crate::links::{metric_console_url, s3_console_url};
pub use crate::measure::{measured, Direction};
pub use crate::violations_file::parse_violations;
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
/// A value at least this many times past its threshold (in the breach's direction) is critical.
const CRITICAL_RATIO: f64 = 2.0;

/// How urgent a finding is; the `severity` message attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Monitoring itself failed: no drift is known, but nobody is watching.
    Warning,
    /// Drift or a quality drop beyond its threshold.
    High,
    /// Schema changes (wrong types, missing columns), drift at least twice the threshold, or a
    /// quality metric at most half its threshold.
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
    /// A Model Monitor job announced violations, but its violations file lists none.
    Inconsistent,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Violations => "violations",
            Kind::MonitoringFailed => "monitoring-failed",
            Kind::Alarm => "alarm",
            Kind::Custom => "custom",
            Kind::Inconsistent => "inconsistent",
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
    /// The side of the threshold that is a breach, when the input states it (a check type such
    /// as `LessThanThreshold`, a description, an alarm reason); see [`Violation::direction`].
    pub direction: Option<Direction>,
    pub description: Option<String>,
}

impl Violation {
    /// The breach's direction: as stated, else read from the numbers (a reported value below
    /// its threshold broke a lower bound), else above (drift distances).
    pub fn direction(&self) -> Direction {
        self.direction
            .unwrap_or(match (self.value, self.threshold) {
                (Some(v), Some(t)) if v < t => Direction::Below,
                _ => Direction::Above,
            })
    }

    pub fn severity(&self) -> Severity {
        let far = matches!(self.ratio(), Some(r) if r >= CRITICAL_RATIO);
        if SCHEMA_CHECKS.contains(&self.check_type.as_str()) || far {
            Severity::Critical
        } else {
            Severity::High
        }
    }

    /// How many times past its threshold the value is, either way (see
    /// [`crate::measure::ratio`]), for thresholds above zero.
    pub fn ratio(&self) -> Option<f64> {
        crate::measure::ratio(self.value?, self.threshold?, self.direction())
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
    /// Always named, except by a failed monitoring job whose schedule names none (one that
    /// monitors batch transform jobs).
    pub endpoint: Option<String>,
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
            Kind::MonitoringFailed | Kind::Inconsistent => Severity::Warning,
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
        let mut attributes = BTreeMap::from([
            ("function".to_owned(), FUNCTION.to_owned()),
            (
                "check_types".to_owned(),
                serde_json::to_string(&check_types_attr).unwrap_or_else(|_| "[]".to_owned()),
            ),
            ("severity".to_owned(), severity.as_str().to_owned()),
            ("kind".to_owned(), self.kind.as_str().to_owned()),
            ("finding_id".to_owned(), shorten(&self.id, 256)),
        ]);
        if let Some(endpoint) = &self.endpoint {
            attributes.insert("endpoint".to_owned(), endpoint.clone());
        }
        Notice {
            subject: self.subject(&violations),
            body,
            attributes,
            dedup_id: Some(dedup_id(&self.id)),
        }
    }

    /// The endpoint as the message names it.
    fn endpoint_text(&self) -> &str {
        self.endpoint.as_deref().unwrap_or("(endpoint not named)")
    }

    /// At most 100 ASCII characters; endpoint first so a cut never loses it.
    fn subject(&self, ranked: &[Violation]) -> String {
        let endpoint = self.endpoint_text();
        let text = match self.kind {
            Kind::MonitoringFailed => match (&self.endpoint, &self.schedule) {
                (Some(endpoint), Some(schedule)) => {
                    format!("Model Monitor failed on {endpoint} (schedule {schedule})")
                }
                (Some(endpoint), None) => format!("Model Monitor failed on {endpoint}"),
                (None, Some(schedule)) => format!("Model Monitor failed on schedule {schedule}"),
                (None, None) => "Model Monitor failed".to_owned(),
            },
            Kind::Inconsistent => {
                format!("Model Monitor reported violations on {endpoint} but listed none")
            }
            _ => {
                let mut unique: Vec<&str> = Vec::new();
                for name in ranked.iter().map(|v| v.feature.as_str()) {
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
                let readable: Vec<String> = unique.iter().filter_map(|n| ascii_name(n)).collect();
                let shown: Vec<&str> = readable.iter().take(3).map(String::as_str).collect();
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
                if shown.is_empty() {
                    let features = if unique.len() == 1 {
                        "feature"
                    } else {
                        "features"
                    };
                    format!(
                        "{prefix} on {endpoint}: {count} {noun} in {} {features} (names in the message)",
                        unique.len()
                    )
                } else if what == "drift" {
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

    /// The first line: what happened, in words.
    fn headline(&self, violations: usize) -> String {
        let mut body = String::new();
        match self.kind {
            Kind::MonitoringFailed => {
                let what = match (&self.endpoint, &self.schedule) {
                    (Some(endpoint), _) => format!("check endpoint {endpoint}"),
                    (None, Some(schedule)) => format!("run monitoring schedule {schedule}"),
                    (None, None) => "run".to_owned(),
                };
                let _ = writeln!(
                    body,
                    "Model Monitor could not {what}: the monitoring job failed, so drift is not \
                     being watched until the next successful run."
                );
            }
            Kind::Inconsistent => {
                let _ = writeln!(
                    body,
                    "Model Monitor's result for endpoint {} contradicts itself: the job ended \
                     {}, but its violations file lists no violation. Drift may go unreported: \
                     check the report and the job's logs.",
                    self.endpoint_text(),
                    crate::event::WITH_VIOLATIONS
                );
            }
            _ => {
                let noun = if violations == 1 {
                    "constraint"
                } else {
                    "constraints"
                };
                let _ = writeln!(
                    body,
                    "{} {noun} violated on endpoint {}.",
                    violations,
                    self.endpoint_text()
                );
            }
        }
        body
    }

    fn body(&self, ranked: &[Violation], severity: Severity) -> String {
        let mut body = self.headline(ranked.len());
        let schedule = one_line(self.schedule.as_deref().unwrap_or("(none)"));
        let _ = writeln!(body);
        let _ = writeln!(
            body,
            "Endpoint: {}",
            self.endpoint
                .as_deref()
                .unwrap_or("(not named in the event)")
        );
        let _ = writeln!(body, "Monitoring schedule: {schedule}");
        let _ = writeln!(body, "Severity: {}", severity.as_str());
        let _ = writeln!(body, "Source: {}", one_line(&self.origin));
        if let Some(time) = self.time {
            let _ = writeln!(body, "Detected: {}", remediation::holds::rfc3339(time));
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

/// The longest FIFO deduplication id SNS accepts.
const MAX_DEDUP_ID: usize = 128;

/// The FIFO deduplication id of a finding id, one-to-one: bytes that are not printable ASCII,
/// and `%` itself, are percent-encoded (`ré-1 2` -> `r%C3%A9-1%202`, never the same as `r-12`);
/// an id whose encoding is longer than SNS accepts becomes a readable prefix, `%~` (which no
/// encoding contains) and a hash of the exact id.
pub fn dedup_id(id: &str) -> String {
    let mut encoded = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    if encoded.len() <= MAX_DEDUP_ID {
        return encoded;
    }
    // The encoding is ASCII: any byte is a character boundary.
    let prefix = &encoded[..MAX_DEDUP_ID - 18];
    format!("{prefix}%~{:016x}", remediation::fnv1a(id))
}

fn violation_lines(n: usize, v: &Violation) -> String {
    let mut line = format!(
        "{n:>2}. {} - {}",
        one_line(&v.feature),
        one_line(&v.check_type)
    );
    match (v.value, v.threshold) {
        (Some(value), Some(threshold)) => {
            let _ = write!(line, " - {value} vs threshold {threshold}");
            match (v.ratio(), v.direction()) {
                (Some(r), Direction::Above) if r.is_finite() => {
                    let _ = write!(line, " ({r:.1}x)");
                }
                (Some(r), Direction::Below) if r.is_finite() => {
                    let _ = write!(line, " ({r:.1}x below)");
                }
                (Some(_), Direction::Above) => line.push_str(" (far above)"),
                (Some(_), Direction::Below) => line.push_str(" (at or below zero)"),
                (None, Direction::Below) => line.push_str(" (below)"),
                (None, Direction::Above) => {}
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
        let _ = writeln!(
            line,
            "    {}",
            shorten(&one_line(description), MAX_DESCRIPTION)
        );
    }
    line
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
            direction: None,
            description: None,
        }
    }

    fn finding(violations: Vec<Violation>) -> Finding {
        Finding {
            kind: Kind::Violations,
            endpoint: Some("prod-ranker".to_owned()),
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
    fn a_reports_text_stays_on_its_line() {
        let forged = Violation {
            description: Some("distance 0.3\nReport: https://example.com/x\u{1b}[2J".to_owned()),
            ..violation(
                "age\nSeverity: none",
                "baseline_drift_check\r",
                Some(0.3),
                Some(0.1),
            )
        };
        let body = finding(vec![forged]).notice().body;
        assert!(
            body.contains(
                " 1. age Severity: none - baseline_drift_check - 0.3 vs threshold 0.1 (3.0x)"
            ),
            "{body}"
        );
        assert!(
            body.contains("    distance 0.3 Report: https://example.com/x [2J\n"),
            "{body}"
        );
        assert!(
            !body.chars().any(|c| c.is_control() && c != '\n'),
            "{body:?}"
        );
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
    fn a_quality_collapse_ranks_by_how_far_below_its_threshold_it_is() {
        let file = br#"{"violations": [
            {"metric_name": "precision", "constraint_check_type": "LessThanThreshold",
             "description": "Metric precision with 0.69 was LessThanThreshold '0.7'"},
            {"metric_name": "f1", "constraint_check_type": "LessThanThreshold",
             "description": "Metric f1 with 0.05 was LessThanThreshold '0.7'"},
            {"feature_name": "age", "constraint_check_type": "baseline_drift_check",
             "description": "Numerical distance: 0.15 exceeds numerical threshold: 0.1"}
        ]}"#;
        let violations = parse_violations(file, "s3://b/k").unwrap();
        let f1 = violations.iter().find(|v| v.feature == "f1").unwrap();
        assert_eq!(f1.direction(), Direction::Below);
        let r = f1.ratio().unwrap();
        assert!((r - 14.0).abs() < 1e-9, "{r}");
        assert_eq!(f1.severity(), Severity::Critical);
        let notice = finding(violations).notice();
        assert_eq!(notice.attributes["severity"], "critical");
        let lines: Vec<&str> = notice.body.lines().filter(|l| l.starts_with(' ')).collect();
        assert_eq!(
            lines[0], " 1. f1 - LessThanThreshold - 0.05 vs threshold 0.7 (14.0x below) [critical]",
            "{}",
            notice.body
        );
        assert!(lines[2].starts_with(" 2. age - "), "{lines:?}");
        assert!(
            lines[4].starts_with(" 3. precision - ") && lines[4].ends_with("(1.0x below) [high]"),
            "{lines:?}"
        );
        // Without a stated direction the numbers tell it; a value at zero is a collapse.
        let zero = violation("accuracy", "custom_check", Some(0.0), Some(0.8));
        assert_eq!(zero.direction(), Direction::Below);
        assert_eq!(zero.severity(), Severity::Critical);
        assert!(violation_lines(1, &zero).contains("(at or below zero) [critical]"));
    }

    #[test]
    fn scientific_notation_in_descriptions_is_read_whole() {
        let file = br#"{"violations": [{"feature_name": "age",
            "constraint_check_type": "baseline_drift_check",
            "description": "Numerical distance: 2.0E-4 exceeds numerical threshold: 5.0E-4"}]}"#;
        let v = &parse_violations(file, "s3://b/k").unwrap()[0];
        assert_eq!((v.value, v.threshold), (Some(2.0e-4), Some(5.0e-4)));
        assert!(
            violation_lines(1, v).contains("0.0002 vs threshold 0.0005 (0.4x) [high]"),
            "{}",
            violation_lines(1, v)
        );
    }

    #[test]
    fn deduplication_ids_are_one_to_one() {
        assert_eq!(
            dedup_id("custom:prod-ranker:r-12"),
            "custom:prod-ranker:r-12"
        );
        let accented = dedup_id("custom:prod-ranker:r\u{e9}-1 2");
        assert_eq!(accented, "custom:prod-ranker:r%C3%A9-1%202");
        assert_ne!(accented, dedup_id("custom:prod-ranker:r-12"));
        assert_ne!(dedup_id("a%20b"), dedup_id("a b"));
        let long_a = dedup_id(&format!("custom:x:{}a", "y".repeat(200)));
        let long_b = dedup_id(&format!("custom:x:{}b", "y".repeat(200)));
        assert_ne!(long_a, long_b);
        for id in [&long_a, &long_b, &dedup_id(&"\u{5e74}".repeat(100))] {
            assert!(id.len() <= MAX_DEDUP_ID && id.contains("%~"), "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_graphic()), "{id}");
        }
    }

    #[test]
    fn non_ascii_feature_names_are_transliterated_or_counted() {
        let drift = |names: &[&str]| {
            let violations = names
                .iter()
                .map(|n| violation(n, "baseline_drift_check", Some(0.3), Some(0.1)))
                .collect();
            finding(violations).notice()
        };
        let notice = drift(&["\u{5e74}\u{9f62}", "\u{53ce}\u{5165}", "\u{e2}ge"]);
        assert_eq!(
            notice.subject,
            "[CRITICAL] Drift on prod-ranker: age +2 more"
        );
        assert!(notice
            .body
            .contains("\u{5e74}\u{9f62} - baseline_drift_check"));
        let notice = drift(&["\u{5e74}\u{9f62}", "\u{53ce}\u{5165}"]);
        assert_eq!(
            notice.subject,
            "[CRITICAL] Drift on prod-ranker: 2 violations in 2 features (names in the message)"
        );
        let notice = drift(&["Stra\u{df}e"]);
        assert_eq!(notice.subject, "[CRITICAL] Drift on prod-ranker: Strasse");
    }

    #[test]
    fn violations_announced_but_none_listed_is_a_warning() {
        let mut f = finding(Vec::new());
        f.kind = Kind::Inconsistent;
        let notice = f.notice();
        assert_eq!(
            notice.subject,
            "Model Monitor reported violations on prod-ranker but listed none"
        );
        assert_eq!(notice.attributes["severity"], "warning");
        assert_eq!(notice.attributes["kind"], "inconsistent");
        assert!(
            notice.body.contains("contradicts itself"),
            "{}",
            notice.body
        );
        assert!(notice
            .body
            .contains("Report: s3://bucket/monitoring/prod-ranker/constraint_violations.json"));
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
