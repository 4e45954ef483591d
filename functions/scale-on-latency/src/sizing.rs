//! `SCALE_MODE=demand`: the variant's load, read with one GetMetricData call once a raise goes
//! ahead, sizes it (the arithmetic is `remediation::demand`).

use chrono::{DateTime, Utc};
use remediation::capacity::Variant;
use remediation::demand::{self, Demand, DemandMetrics};
use remediation::remediate::Sizer;
use remediation::Error;

use crate::App;

/// `SCALE_MODE=demand`: a raise goes to what the load needs; metrics that cannot be read or
/// sized fall back to the step, and the decision says why. A serverless variant's capacity is
/// provisioned concurrency, not instances: it is raised by the step.
impl Sizer for App {
    async fn size(&self, endpoint: &str, variant: &Variant, now: DateTime<Utc>) -> Option<Demand> {
        let config = self.config.scale.demand?;
        if variant.serverless {
            return Some(Demand::Unavailable(
                "the variant is serverless: its capacity is provisioned concurrency, which \
                 demand sizing (in instances) does not size"
                    .to_owned(),
            ));
        }
        Some(
            match self.demand_metrics(endpoint, &variant.name, now).await {
                Ok(metrics) => demand::size(&metrics, &config),
                Err(err) => Demand::Unavailable(format!("metrics could not be read: {err}")),
            },
        )
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Config;

    #[tokio::test]
    async fn a_serverless_variant_is_not_sized_in_instances() {
        let env = BTreeMap::from([
            ("ALLOWED_ENDPOINTS", "prod-ranker"),
            ("LOCK_TABLE", "leases"),
            ("SCALE_MODE", "demand"),
            ("SCALE_CONCURRENCY_PER_INSTANCE", "4"),
        ]);
        let config = Config::from_lookup(&|name| env.get(name).map(|v| (*v).to_owned())).unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let variant = Variant {
            name: "AllTraffic".to_owned(),
            serverless: true,
            current_instances: None,
            desired_instances: None,
        };
        // No call is made: the client has neither region nor credentials.
        let sized = App::new(&sdk, config)
            .size("prod-ranker", &variant, Utc::now())
            .await;
        match sized {
            Some(Demand::Unavailable(why)) => assert!(why.contains("serverless"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
