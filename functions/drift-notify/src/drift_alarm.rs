//! CloudWatch alarms on Model Monitor metrics, as findings.
//!
//! An alarm on one Model Monitor metric reports that metric's feature. An alarm whose value is a
//! metric-math expression over several (`MAX([m1, m2])` over two drift metrics) reports the
//! expression: its value belongs to no single feature, so the finding names every feature the
//! expression reads instead of claiming one.

use remediation::alarm::{Alarm, MetricRef};
use remediation::Error;

use crate::event::endpoint_name;
use crate::finding::{
    Direction, Finding, Kind, MetricLink, Violation, DATA_METRICS, MODEL_METRICS,
};

/// The check type of an expression over metrics of different checks.
pub const METRIC_MATH_CHECK: &str = "metric_math_check";

/// The metric families an alarm may read to be a drift alarm.
fn is_monitor_namespace(namespace: &str) -> bool {
    namespace.eq_ignore_ascii_case(DATA_METRICS)
        || namespace.eq_ignore_ascii_case(MODEL_METRICS)
        || (namespace
            .to_ascii_lowercase()
            .starts_with("aws/sagemaker/endpoints/")
            && namespace.to_ascii_lowercase().ends_with("-metrics"))
}

/// The finding an alarm in ALARM state reports: the feature and check type come from the metric
/// name (every metric's, for an expression over several), the endpoint and schedule from the
/// `Endpoint` and `MonitoringSchedule` dimensions of the first Model Monitor metric.
pub fn alarm_finding(alarm: &Alarm, region: Option<&str>) -> Result<Finding, Error> {
    let metrics = monitor_metrics(alarm)?;
    let metric = metrics[0];
    let namespace = metric.namespace.clone().unwrap_or_default();
    let name = metric_name(alarm, metric)?;
    let endpoint = metric
        .dimensions
        .get("Endpoint")
        .or_else(|| metric.dimensions.get("EndpointName"))
        .cloned()
        .ok_or_else(|| {
            Error::InvalidEvent(format!(
                "alarm {}: metric {name} has no Endpoint dimension",
                alarm.name
            ))
        })?;
    let endpoint = endpoint_name(
        endpoint,
        &format!("alarm {}: dimension Endpoint", alarm.name),
    )?;
    let (violation, metric_link) = if metrics.len() > 1 {
        (expression_violation(alarm, &metrics)?, None)
    } else {
        let (feature, check_type) = feature_of(&namespace, &name);
        let link = MetricLink {
            namespace,
            name,
            dimensions: metric.dimensions.clone(),
        };
        (
            alarm_violation(alarm, feature, check_type, alarm.reason.clone()),
            Some(link),
        )
    };
    let transition = alarm
        .transition_id()
        .unwrap_or_else(|| alarm.state.as_str().to_owned());
    Ok(Finding {
        kind: Kind::Alarm,
        endpoint: Some(endpoint),
        schedule: metric.dimensions.get("MonitoringSchedule").cloned(),
        origin: format!("alarm {} ({})", alarm.name, alarm.state),
        time: alarm.time,
        region: region.map(str::to_owned).or_else(|| region_of(alarm)),
        violations: vec![violation],
        failure_reason: None,
        report: None,
        metric: metric_link,
        id: format!("alarm:{}:{transition}", alarm.name),
    })
}

/// The distinct Model Monitor metrics the alarm reads, in the alarm's order; at least one.
fn monitor_metrics(alarm: &Alarm) -> Result<Vec<&MetricRef>, Error> {
    let mut metrics: Vec<&MetricRef> = Vec::new();
    for metric in &alarm.metrics {
        let monitored = metric
            .namespace
            .as_deref()
            .is_some_and(is_monitor_namespace);
        let same = |seen: &&MetricRef| {
            (&seen.namespace, &seen.name, &seen.dimensions)
                == (&metric.namespace, &metric.name, &metric.dimensions)
        };
        if monitored && !metrics.iter().any(same) {
            metrics.push(metric);
        }
    }
    if metrics.is_empty() {
        let seen: Vec<String> = alarm
            .metrics
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m.namespace.as_deref().unwrap_or("?"),
                    m.name.as_deref().unwrap_or("?")
                )
            })
            .collect();
        return Err(Error::InvalidEvent(format!(
            "alarm {}: reads no Model Monitor metric (namespace {DATA_METRICS} or \
             {MODEL_METRICS}); it reads [{}]",
            alarm.name,
            seen.join(", ")
        )));
    }
    Ok(metrics)
}

fn metric_name(alarm: &Alarm, metric: &MetricRef) -> Result<String, Error> {
    metric
        .name
        .clone()
        .ok_or_else(|| Error::InvalidEvent(format!("alarm {}: the metric has no name", alarm.name)))
}

/// The alarm's crossing as a violation of `feature`.
fn alarm_violation(
    alarm: &Alarm,
    feature: String,
    check_type: String,
    description: Option<String>,
) -> Violation {
    let crossing = alarm.crossing();
    Violation {
        feature,
        check_type,
        value: crossing.map(|c| c.value),
        threshold: crossing.map(|c| c.threshold),
        direction: alarm.reason.as_deref().and_then(Direction::stated_in),
        description,
    }
}

/// The crossing of an expression over several Model Monitor metrics: named after every feature
/// it reads (`expression over 2 metrics: age, income`), with the expression's value and
/// threshold, and the metrics in the description. The check type is the metrics' own when they
/// share one, else [`METRIC_MATH_CHECK`].
fn expression_violation(alarm: &Alarm, metrics: &[&MetricRef]) -> Result<Violation, Error> {
    let mut names = Vec::new();
    let mut features: Vec<String> = Vec::new();
    let mut checks: Vec<String> = Vec::new();
    for metric in metrics {
        let name = metric_name(alarm, metric)?;
        let (feature, check) = feature_of(metric.namespace.as_deref().unwrap_or(""), &name);
        if !features.contains(&feature) {
            features.push(feature);
        }
        if !checks.contains(&check) {
            checks.push(check);
        }
        names.push(name);
    }
    let check_type = match checks.as_slice() {
        [one] => one.clone(),
        _ => METRIC_MATH_CHECK.to_owned(),
    };
    let label = format!(
        "expression over {} metrics: {}",
        metrics.len(),
        features.join(", ")
    );
    let mut description = format!(
        "The alarm's value is a metric-math expression over {}, not one feature's value.",
        names.join(", ")
    );
    if let Some(reason) = &alarm.reason {
        description = format!("{description} {reason}");
    }
    Ok(alarm_violation(alarm, label, check_type, Some(description)))
}

/// `feature_baseline_drift_age` -> (`age`, `baseline_drift_check`); `feature_non_null_age` ->
/// (`age`, `completeness_check`); a model-quality metric (`f1`) -> (`f1`, `model_quality_check`).
pub fn feature_of(namespace: &str, metric: &str) -> (String, String) {
    let pairs = [
        ("feature_baseline_drift_", "baseline_drift_check"),
        ("feature_non_null_", "completeness_check"),
    ];
    for (prefix, check) in pairs {
        if let Some(feature) = metric.strip_prefix(prefix).filter(|f| !f.is_empty()) {
            return (feature.to_owned(), check.to_owned());
        }
    }
    let check = if namespace.eq_ignore_ascii_case(MODEL_METRICS) {
        "model_quality_check"
    } else {
        "metric_threshold_check"
    };
    (metric.to_owned(), check.to_owned())
}

/// The region in an alarm ARN (`arn:aws:cloudwatch:<region>:...`).
fn region_of(alarm: &Alarm) -> Option<String> {
    alarm
        .arn
        .as_deref()?
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use serde_json::json;

    /// The drift alarm sample, its value now `MAX([m1, m2])` over the drift of `age` and of a
    /// second metric `second`.
    fn math_alarm(second: &str) -> Alarm {
        let mut event = sample("cloudwatch-alarm-drift-eventbridge.json");
        let metrics = &mut event["detail"]["configuration"]["metrics"];
        let mut m2 = metrics[0].clone();
        m2["id"] = json!("m2");
        m2["metricStat"]["metric"]["name"] = json!(second);
        metrics[0]["returnData"] = json!(false);
        m2["returnData"] = json!(false);
        let expression = json!({"id": "e1", "expression": "MAX([m1,m2])",
                                "label": "drift", "returnData": true});
        *metrics = json!([expression, metrics[0].clone(), m2]);
        Alarm::parse(event).unwrap().remove(0)
    }

    #[test]
    fn an_expression_over_two_drift_metrics_names_both_features() {
        let finding = alarm_finding(&math_alarm("feature_baseline_drift_income"), None).unwrap();
        let [v] = finding.violations.as_slice() else {
            panic!("{finding:?}")
        };
        assert_eq!(v.feature, "expression over 2 metrics: age, income");
        assert_eq!(v.check_type, "baseline_drift_check");
        assert_eq!((v.value, v.threshold), (Some(0.4127), Some(0.1)));
        assert!(
            v.description.as_deref().unwrap().starts_with(
                "The alarm's value is a metric-math expression over feature_baseline_drift_age, \
                 feature_baseline_drift_income, not one feature's value. Threshold Crossed:"
            ),
            "{v:?}"
        );
        assert_eq!(finding.metric, None);
        assert_eq!(finding.endpoint.as_deref(), Some("prod-ranker"));
        let notice = finding.notice();
        assert_eq!(
            notice.subject,
            "[CRITICAL] Drift alarm on prod-ranker: expression over 2 metrics: age, income"
        );
        assert!(
            notice.body.contains(
                " 1. expression over 2 metrics: age, income - baseline_drift_check - 0.4127 vs \
                 threshold 0.1 (4.1x) [critical]"
            ),
            "{}",
            notice.body
        );
        assert!(!notice.body.contains("Metric: "), "{}", notice.body);
    }

    #[test]
    fn an_expression_over_different_checks_is_a_metric_math_check() {
        let finding = alarm_finding(&math_alarm("feature_non_null_zip"), None).unwrap();
        let v = &finding.violations[0];
        assert_eq!(v.feature, "expression over 2 metrics: age, zip");
        assert_eq!(v.check_type, METRIC_MATH_CHECK);
        assert_eq!(finding.check_types(), [METRIC_MATH_CHECK]);
    }

    #[test]
    fn one_drift_metric_is_reported_as_its_feature() {
        // The sample: one metric, no expression.
        let event = sample("cloudwatch-alarm-drift-eventbridge.json");
        let alarm = Alarm::parse(event).unwrap().remove(0);
        let finding = alarm_finding(&alarm, None).unwrap();
        assert_eq!(finding.violations[0].feature, "age");
        assert_eq!(finding.violations[0].description, alarm.reason);
        assert_eq!(
            finding.metric.as_ref().map(|m| m.name.as_str()),
            Some("feature_baseline_drift_age")
        );
        // An expression reading the same metric twice reads one metric.
        let finding = alarm_finding(&math_alarm("feature_baseline_drift_age"), None).unwrap();
        assert_eq!(finding.violations[0].feature, "age");
        assert!(finding.metric.is_some());
    }
}
