//! SCALE_MODE=demand against moto: metric data is put into CloudWatch first, then the handler
//! sizes the raise from it with one GetMetricData call.

use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use chrono::{DateTime, Utc};
use integration_tests::proxy::{Fault, FaultProxy};
use integration_tests::{sample_event, EndpointFixture};
use remediation::entry::Handler;
use scale_on_latency::{App, Config, Summary};
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";

struct Fixture(EndpointFixture);

impl std::ops::Deref for Fixture {
    type Target = EndpointFixture;
    fn deref(&self) -> &EndpointFixture {
        &self.0
    }
}

impl Fixture {
    async fn new(max: i32) -> Fixture {
        Fixture(EndpointFixture::new("demand", &[VARIANT], 2, max).await)
    }

    /// Put one datapoint per minute for each of the `minutes` whole minutes before `now`.
    async fn put_load(&self, now: DateTime<Utc>, minutes: i64, per_minute: f64, latency_us: f64) {
        let end = now.timestamp() - now.timestamp().rem_euclid(60);
        let mut data = Vec::new();
        for k in 1..=minutes {
            let at = AwsTime::from_secs(end - k * 60 + 10);
            for (name, value, unit) in [
                ("Invocations", per_minute, StandardUnit::Count),
                ("ModelLatency", latency_us, StandardUnit::Microseconds),
            ] {
                data.push(
                    MetricDatum::builder()
                        .metric_name(name)
                        .dimensions(
                            Dimension::builder()
                                .name("EndpointName")
                                .value(&self.endpoint)
                                .build(),
                        )
                        .dimensions(
                            Dimension::builder()
                                .name("VariantName")
                                .value(VARIANT)
                                .build(),
                        )
                        .timestamp(at)
                        .value(value)
                        .unit(unit)
                        .build(),
                );
            }
        }
        self.moto
            .cloudwatch
            .put_metric_data()
            .namespace("AWS/SageMaker")
            .set_metric_data(Some(data))
            .send()
            .await
            .unwrap();
    }

    /// The handler in demand mode, on `sdk`, with `vars` on top.
    fn app(&self, sdk: &aws_config::SdkConfig, vars: &[(&str, &str)]) -> App {
        let mut env = self.env(
            &self.endpoint,
            &[
                ("SCALE_MODE", "demand"),
                ("SCALE_CONCURRENCY_PER_INSTANCE", "4"),
            ],
        );
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let config = Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
        App::new(sdk, config)
    }

    fn alarm(&self) -> Value {
        sample_event("cloudwatch-alarm-latency-eventbridge.json", &self.endpoint)
    }

    async fn raise(&self, now: DateTime<Utc>, vars: &[(&str, &str)]) -> Summary {
        self.app(&self.moto.sdk, vars)
            .handle(self.alarm(), now)
            .await
            .unwrap()
    }

    async fn min(&self) -> i32 {
        self.moto.capacity(&self.endpoint, VARIANT).await.unwrap().0
    }
}

fn result(summary: &Summary) -> (u32, String) {
    let r = &summary.alarms[0].results[0];
    assert_eq!(r.action.as_str(), "raised", "{r:?}");
    (r.new_min.unwrap(), r.reason.clone())
}

#[tokio::test]
async fn a_spike_is_sized_in_one_raise_and_the_arithmetic_is_shown() {
    let f = Fixture::new(20).await;
    let now = Utc::now();
    // 7200 invocations a minute = 120 req/s; 250 ms model latency.
    f.put_load(now, 5, 7200.0, 250_000.0).await;
    let (new_min, reason) = result(&f.raise(now, &[]).await);
    assert_eq!(new_min, 10);
    assert_eq!(
        reason,
        "demand: 120 req/s x 0.25 s = 30 in flight; 4 per instance -> 8; +20% -> 10"
    );
    assert_eq!(f.min().await, 10);
    let messages = f.moto.published(&f.inbox).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]
            .message
            .contains("Why: demand: 120 req/s x 0.25 s = 30 in flight"),
        "{}",
        messages[0].message
    );
}

#[tokio::test]
async fn a_small_load_still_gets_one_step() {
    let f = Fixture::new(20).await;
    let now = Utc::now();
    f.put_load(now, 4, 60.0, 100_000.0).await;
    let (new_min, reason) = result(&f.raise(now, &[]).await);
    assert_eq!(new_min, 4);
    assert!(
        reason.starts_with("demand: 1 req/s x 0.1 s = 0.1 in flight"),
        "{reason}"
    );
    assert!(
        reason.ends_with("at least one step: MinCapacity 2 + step 2"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_gap_in_the_metrics_falls_back_to_the_step() {
    let f = Fixture::new(20).await;
    let now = Utc::now();
    f.put_load(now, 2, 7200.0, 250_000.0).await;
    let (new_min, reason) = result(&f.raise(now, &[]).await);
    assert_eq!(new_min, 4);
    assert_eq!(
        reason,
        "demand sizing unavailable (only 2 of the last 5 minutes have Invocations data (need 3)), \
         fell back to step: MinCapacity 2 + step 2"
    );
}

#[tokio::test]
async fn ceiling_and_max_capacity_still_bound_a_demand_raise() {
    let f = Fixture::new(20).await;
    let now = Utc::now();
    f.put_load(now, 5, 7200.0, 250_000.0).await;
    let (new_min, reason) = result(&f.raise(now, &[("SCALE_CEILING", "6")]).await);
    assert_eq!(new_min, 6);
    assert!(reason.ends_with("(capped at 6)"), "{reason}");

    let f = Fixture::new(8).await;
    f.put_load(now, 5, 7200.0, 250_000.0).await;
    assert_eq!(result(&f.raise(now, &[]).await).0, 8);
    assert_eq!(f.moto.capacity(&f.endpoint, VARIANT).await.unwrap(), (8, 8));
}

/// #21: metrics are read only for a raise that goes ahead: a redelivery of the same transition
/// and another alarm's raise within the cooldown are decided without them (and the cooldown
/// refusal leads with its own reason).
#[tokio::test]
async fn duplicates_and_the_cooldown_are_decided_before_any_metrics_are_read() {
    let f = Fixture::new(20).await;
    let (proxy, sdk) = FaultProxy::with_sdk().await.unwrap();
    let app = f.app(&sdk, &[]);
    let now = Utc::now();
    f.put_load(now, 5, 7200.0, 250_000.0).await;
    assert_eq!(result(&app.handle(f.alarm(), now).await.unwrap()).0, 10);
    assert_eq!(proxy.count("GetMetricData"), 1);

    let again = app.handle(f.alarm(), now).await.unwrap();
    let reason = &again.alarms[0].results[0].reason;
    assert!(reason.starts_with("duplicate delivery"), "{reason}");
    let mut other = f.alarm();
    other["detail"]["alarmName"] = json!(format!("{}-p90", f.endpoint));
    other["detail"]["state"]["timestamp"] = json!(now.to_rfc3339());
    let refused = app.handle(other, now).await.unwrap();
    let r = &refused.alarms[0].results[0];
    assert_eq!(r.action.as_str(), "refused", "{r:?}");
    assert!(r.reason.starts_with("cooldown: raised at"), "{}", r.reason);
    assert_eq!(
        proxy.count("GetMetricData"),
        1,
        "no metrics read for either"
    );
    assert_eq!(f.min().await, 10);
}

/// #21: a metrics API failure (here a 403, as when the role lacks cloudwatch:GetMetricData)
/// does not block the raise: it falls back to the step and says why.
#[tokio::test]
async fn a_metrics_api_failure_falls_back_to_the_step() {
    let f = Fixture::new(20).await;
    let (proxy, sdk) = FaultProxy::with_sdk().await.unwrap();
    f.put_load(Utc::now(), 5, 7200.0, 250_000.0).await;
    proxy.inject("GetMetricData", Fault::Status(403), None);
    let summary = f
        .app(&sdk, &[])
        .handle(f.alarm(), Utc::now())
        .await
        .unwrap();
    let (new_min, reason) = result(&summary);
    assert_eq!(new_min, 4);
    assert!(
        reason.starts_with("demand sizing unavailable (metrics could not be read: GetMetricData"),
        "{reason}"
    );
    assert!(
        reason.ends_with("fell back to step: MinCapacity 2 + step 2"),
        "{reason}"
    );
    assert_eq!(f.min().await, 4);
}
