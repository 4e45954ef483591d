//! SNS alarm notifications: a PascalCase message inside a JSON string, possibly several to a
//! batch.

use super::*;

#[derive(Debug, Deserialize)]
struct SnsBatch {
    #[serde(rename = "Records")]
    records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsEnvelope,
}

#[derive(Debug, Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "MessageId", default)]
    message_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsAlarmMessage {
    alarm_name: String,
    #[serde(default)]
    alarm_arn: Option<String>,
    #[serde(default)]
    alarm_description: Option<String>,
    new_state_value: AlarmState,
    #[serde(default)]
    old_state_value: Option<String>,
    #[serde(default)]
    new_state_reason: Option<String>,
    #[serde(default)]
    state_change_time: Option<String>,
    #[serde(default)]
    alarm_rule: Option<String>,
    #[serde(default)]
    trigger: Option<SnsTrigger>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsTrigger {
    #[serde(default)]
    metric_name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    dimensions: Option<Vec<SnsDimension>>,
    #[serde(default)]
    period: Option<u64>,
    #[serde(default)]
    metrics: Option<Vec<SnsMetricQuery>>,
}

/// SNS alarm notifications spell dimension keys in lower case.
#[derive(Debug, Deserialize)]
struct SnsDimension {
    name: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsMetricQuery {
    #[serde(default)]
    metric_stat: Option<SnsMetricStat>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsMetricStat {
    metric: SnsMetric,
    #[serde(default)]
    period: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsMetric {
    #[serde(default)]
    metric_name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    dimensions: Option<Vec<SnsDimension>>,
}

fn dimension_map(dimensions: Option<Vec<SnsDimension>>) -> BTreeMap<String, String> {
    dimensions
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.name, d.value))
        .collect()
}

pub(super) fn parse_sns(event: Value) -> Result<Vec<Alarm>, Error> {
    let batch: SnsBatch = crate::from_json(event, "")?;
    if batch.records.is_empty() {
        return Err(Error::InvalidEvent(
            "Records: empty, no SNS record to read".to_owned(),
        ));
    }
    batch
        .records
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let root = format!("Records[{i}].Sns.Message");
            // Parsed with the field path, so `1e400` inside the message names its field.
            let context = format!("{root}: not a JSON alarm notification");
            let message = crate::entry::parse_embedded(&record.sns.message, &root, &context)?;
            let message: SnsAlarmMessage = crate::from_json(message, &root)?;
            from_sns_message(message, record.sns.message_id, &root)
        })
        .collect()
}

fn from_sns_message(
    message: SnsAlarmMessage,
    delivery_id: Option<String>,
    root: &str,
) -> Result<Alarm, Error> {
    let (kind, metrics) = match message.trigger {
        None => (AlarmKind::Composite, Vec::new()),
        Some(_) if message.alarm_rule.is_some() => (AlarmKind::Composite, Vec::new()),
        Some(trigger) => match trigger.metrics {
            Some(queries) if !queries.is_empty() => {
                let metrics = queries
                    .into_iter()
                    .filter_map(|q| q.metric_stat)
                    .map(|stat| MetricRef {
                        namespace: stat.metric.namespace,
                        name: stat.metric.metric_name,
                        dimensions: dimension_map(stat.metric.dimensions),
                        period: stat.period,
                    })
                    .collect();
                (AlarmKind::MetricMath, metrics)
            }
            _ => (
                AlarmKind::Metric,
                vec![MetricRef {
                    namespace: trigger.namespace,
                    name: trigger.metric_name,
                    dimensions: dimension_map(trigger.dimensions),
                    period: trigger.period,
                }],
            ),
        },
    };
    Ok(Alarm {
        name: non_empty(message.alarm_name, &format!("{root}.AlarmName"))?,
        arn: message.alarm_arn,
        source: AlarmSource::Sns,
        kind,
        state: message.new_state_value,
        previous_state: message
            .old_state_value
            .as_deref()
            .and_then(parse_state_lenient),
        reason: message.new_state_reason,
        time: parse_time(
            message.state_change_time,
            &format!("{root}.StateChangeTime"),
        )?,
        description: message.alarm_description,
        metrics,
        delivery_id,
        // An SNS notification is itself an alarm action: CloudWatch sends none while suppressed.
        suppression: None,
    })
}
