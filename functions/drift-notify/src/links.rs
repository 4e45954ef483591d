//! Console links in a message: the report in the S3 console, the metric in CloudWatch.

use crate::finding::MetricLink;

/// The S3 console page of an `s3://bucket/key` object.
pub fn s3_console_url(uri: &str, region: Option<&str>) -> Option<String> {
    let (bucket, key) = remediation::s3_location(uri)?;
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
