//! The custom "Model Drift Detected" event ([`crate::event::CUSTOM_DETAIL_TYPE`]) for teams whose own drift
//! pipeline publishes to EventBridge.

use std::collections::BTreeMap;

use remediation::alarm::parse_time;
use remediation::Error;
use serde::Deserialize;
use serde_json::Value;

use crate::event::{endpoint_name, Envelope, CUSTOM_SOURCE, MAX_FEATURE_TEXT};
use crate::finding::{Finding, Kind, MetricLink, Violation};

/// A report link must lead to S3 (`s3://bucket/key`): the message shows it as the report and
/// builds an S3 console link from it, so a link elsewhere would mislead.
fn report_uri(uri: String) -> Result<String, Error> {
    let valid = remediation::s3_location(&uri).is_some()
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(uri)
    } else {
        Err(Error::InvalidEvent(format!(
            "detail.report_uri: {:?} is not an s3://bucket/key URI; only S3 reports are linked",
            remediation::audit::shorten(&uri, 80)
        )))
    }
}

/// `detail` of the custom "Model Drift Detected" event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomDetail {
    endpoint: String,
    #[serde(default)]
    monitoring_schedule: Option<String>,
    /// A stable id of the finding: the same on a re-publish of the same result, used to
    /// deduplicate. Default: the EventBridge event id.
    #[serde(default)]
    finding_id: Option<String>,
    #[serde(default)]
    detected_at: Option<String>,
    /// Where the full report is (`s3://...`).
    #[serde(default)]
    report_uri: Option<String>,
    /// The CloudWatch metric namespace the pipeline publishes to, for console links.
    #[serde(default)]
    metric_namespace: Option<String>,
    features: Vec<CustomFeature>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomFeature {
    name: String,
    check_type: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    description: Option<String>,
    /// The CloudWatch metric for this feature, when the pipeline publishes one.
    #[serde(default)]
    metric_name: Option<String>,
}

pub(crate) fn parse_custom(event: Value) -> Result<Finding, Error> {
    let envelope: Envelope<CustomDetail> = remediation::from_json(event, "")?;
    if let Some(source) = envelope.source.as_deref().filter(|s| s.starts_with("aws.")) {
        return Err(Error::InvalidEvent(format!(
            "source: {source:?} is reserved for AWS; custom drift events use e.g. \"{CUSTOM_SOURCE}\""
        )));
    }
    let mut detail = envelope.detail;
    if detail.endpoint.trim().is_empty() {
        return Err(Error::InvalidEvent(
            "detail.endpoint: must not be empty".to_owned(),
        ));
    }
    detail.endpoint = endpoint_name(detail.endpoint, "detail.endpoint")?;
    check_features(&detail.features)?;
    let id = finding_id(detail.finding_id.clone(), envelope.id)?;
    let metric = detail.metric_namespace.as_ref().and_then(|namespace| {
        let name = detail.features.iter().find_map(|f| f.metric_name.clone())?;
        let mut dimensions = BTreeMap::from([("Endpoint".to_owned(), detail.endpoint.clone())]);
        if let Some(schedule) = &detail.monitoring_schedule {
            dimensions.insert("MonitoringSchedule".to_owned(), schedule.clone());
        }
        Some(MetricLink {
            namespace: namespace.clone(),
            name,
            dimensions,
        })
    });
    let time = parse_time(detail.detected_at, "detail.detected_at")?
        .or(parse_time(envelope.time, "time")?);
    let report = detail.report_uri.map(report_uri).transpose()?;
    Ok(Finding {
        kind: Kind::Custom,
        origin: format!(
            "custom event from {}",
            envelope.source.as_deref().unwrap_or("an unnamed source")
        ),
        schedule: detail.monitoring_schedule,
        time,
        region: envelope.region,
        violations: detail
            .features
            .into_iter()
            .map(|f| Violation {
                feature: f.name,
                check_type: f.check_type,
                value: f.value,
                threshold: f.threshold,
                direction: None,
                description: f.description,
            })
            .collect(),
        failure_reason: None,
        report,
        metric,
        id: format!("custom:{}:{id}", detail.endpoint),
        endpoint: Some(detail.endpoint),
    })
}

/// The finding's own id, else the event's: the deduplication id of the message, so it must
/// say something. A blank one would make every finding that carries it a duplicate of the
/// first.
fn finding_id(given: Option<String>, event_id: Option<String>) -> Result<String, Error> {
    match given {
        Some(id) if id.trim().is_empty() => Err(Error::InvalidEvent(
            "detail.finding_id: must not be empty; give a stable id of this result, or leave \
             it out to use the event's `id`"
                .to_owned(),
        )),
        Some(id) => Ok(id),
        None => event_id.filter(|id| !id.trim().is_empty()).ok_or_else(|| {
            Error::InvalidEvent(
                "detail.finding_id: missing, and the event has no `id` to use instead".to_owned(),
            )
        }),
    }
}

/// Every feature named and typed, within [`MAX_FEATURE_TEXT`]; at least one.
fn check_features(features: &[CustomFeature]) -> Result<(), Error> {
    if features.is_empty() {
        return Err(Error::InvalidEvent(
            "detail.features: empty; list at least one feature that drifted".to_owned(),
        ));
    }
    for (i, f) in features.iter().enumerate() {
        for (field, text) in [("name", &f.name), ("check_type", &f.check_type)] {
            if text.trim().is_empty() {
                return Err(Error::InvalidEvent(format!(
                    "detail.features[{i}].{field}: must not be empty"
                )));
            }
            if text.chars().count() > MAX_FEATURE_TEXT {
                return Err(Error::InvalidEvent(format!(
                    "detail.features[{i}].{field}: {} characters, at most {MAX_FEATURE_TEXT}",
                    text.chars().count()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        crate::sample("custom-drift-event.json")
    }

    #[test]
    fn a_blank_finding_id_is_refused_not_shared() {
        for blank in ["", " ", "\t\n"] {
            let mut event = sample();
            event["detail"]["finding_id"] = json!(blank);
            let err = parse_custom(event).unwrap_err();
            assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
            assert!(
                err.to_string()
                    .contains("detail.finding_id: must not be empty"),
                "{blank:?}: {err}"
            );
        }
        // Without one, the event's id; a blank event id is no id.
        let mut event = sample();
        event["detail"]
            .as_object_mut()
            .unwrap()
            .remove("finding_id");
        let id = event["id"].as_str().unwrap().to_owned();
        assert_eq!(
            parse_custom(event.clone()).unwrap().id,
            format!("custom:prod-ranker:{id}")
        );
        event["id"] = json!(" ");
        let err = parse_custom(event).unwrap_err().to_string();
        assert!(
            err.contains("detail.finding_id: missing, and the event has no `id`"),
            "{err}"
        );
    }
}
