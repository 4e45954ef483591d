//! `SCALE_MODE=demand`: the variant's load, read with one GetMetricData call once a raise goes
//! ahead, sizes it (the arithmetic is `remediation::demand`).

use chrono::{DateTime, Utc};
use remediation::demand::{self, Demand, DemandMetrics};
use remediation::remediate::Sizer;
use remediation::Error;

use crate::App;

/// `SCALE_MODE=demand`: a raise goes to what the load needs; metrics that cannot be read or
/// sized fall back to the step, and the decision says why.
impl Sizer for App {
    async fn size(&self, endpoint: &str, variant: &str, now: DateTime<Utc>) -> Option<Demand> {
        let config = self.config.scale.demand?;
        Some(match self.demand_metrics(endpoint, variant, now).await {
            Ok(metrics) => demand::size(&metrics, &config),
            Err(err) => Demand::Unavailable(format!("metrics could not be read: {err}")),
        })
    }
}

impl App {
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
}
