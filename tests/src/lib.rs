//! Test harness shared by the acceptance tests and the demo: fixtures in a moto server reached
//! over HTTP (`AWS_ENDPOINT_URL`), readers for what the functions wrote and published, and the
//! cargo-lambda Runtime API emulator driving the real binaries.

pub mod event_pattern;
pub mod mocks;
pub mod proxy;
mod runtime;

pub use runtime::{free_port, function_binary, wait_for_port, LocalRuntime};

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_sagemaker::types::{ProductionVariant, ProductionVariantInstanceType, Tag};
use serde_json::Value;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A name no other test in this run uses: `prefix-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The SDK configuration for the local moto server. Fails loudly when there is none.
pub async fn moto_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:"),
        "these tests need a local moto server: run `make test` (it installs moto into .venv and \
         starts it), or `scripts/with-moto.sh cargo test --workspace`. AWS_ENDPOINT_URL={endpoint:?}"
    );
    remediation::sdk::load().await
}

/// The DynamoDB table of per-variant leases every test and the demo use (`LOCK_TABLE`); made
/// on first use by [`Moto::connect`].
pub const LOCK_TABLE: &str = "remediation-leases";

/// Clients for the services the tests set up and inspect.
#[derive(Clone)]
pub struct Moto {
    pub sdk: aws_config::SdkConfig,
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

/// One message read back from the audit topic.
#[derive(Debug, Clone)]
pub struct Published {
    pub subject: String,
    pub message: String,
    pub attributes: BTreeMap<String, String>,
    /// On FIFO topics: the SQS `MessageDeduplicationId` and `MessageGroupId` SNS passed on.
    pub dedup_id: Option<String>,
    pub group_id: Option<String>,
}

/// An SNS topic with an SQS queue subscribed to it, to read what the functions publish.
#[derive(Debug, Clone)]
pub struct Inbox {
    pub topic_arn: String,
    pub queue_url: String,
}

impl Moto {
    pub async fn connect() -> Moto {
        let sdk = moto_config().await;
        let moto = Moto {
            sagemaker: aws_sdk_sagemaker::Client::new(&sdk),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&sdk),
            sns: aws_sdk_sns::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sdk,
        };
        moto.lock_table().await.expect("the lease table");
        moto
    }

    /// Create the lease table ([`LOCK_TABLE`]) as the stack does, unless it exists.
    pub async fn lock_table(&self) -> Result<()> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let created = self
            .dynamodb
            .create_table()
            .table_name(LOCK_TABLE)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(remediation::capacity::LEASE_KEY)
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(remediation::capacity::LEASE_KEY)
                    .key_type(KeyType::Hash)
                    .build()?,
            )
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Create a model, an endpoint config with the given instance variants, and the endpoint.
    pub async fn create_endpoint(&self, name: &str, variants: &[&str]) -> Result<String> {
        let model = format!("{name}-model");
        self.sagemaker
            .create_model()
            .model_name(&model)
            .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker-execution")
            .primary_container(
                aws_sdk_sagemaker::types::ContainerDefinition::builder()
                    .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/ranker:1")
                    .build(),
            )
            .send()
            .await?;
        let mut config = self
            .sagemaker
            .create_endpoint_config()
            .endpoint_config_name(format!("{name}-config"));
        for variant in variants {
            config = config.production_variants(
                ProductionVariant::builder()
                    .variant_name(*variant)
                    .model_name(&model)
                    .initial_instance_count(2)
                    .instance_type(ProductionVariantInstanceType::MlM5Large)
                    .build(),
            );
        }
        config.send().await?;
        let out = self
            .sagemaker
            .create_endpoint()
            .endpoint_name(name)
            .endpoint_config_name(format!("{name}-config"))
            .send()
            .await?;
        Ok(out.endpoint_arn().unwrap_or_default().to_owned())
    }

    pub async fn register_target(
        &self,
        endpoint: &str,
        variant: &str,
        min: i32,
        max: i32,
    ) -> Result<()> {
        self.autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(format!("endpoint/{endpoint}/variant/{variant}"))
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .min_capacity(min)
            .max_capacity(max)
            .send()
            .await?;
        Ok(())
    }

    /// (MinCapacity, MaxCapacity) of a variant's scalable target.
    pub async fn capacity(&self, endpoint: &str, variant: &str) -> Result<(i32, i32)> {
        let out = self
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_ids(format!("endpoint/{endpoint}/variant/{variant}"))
            .send()
            .await?;
        let target = out
            .scalable_targets()
            .first()
            .ok_or_else(|| format!("no scalable target for {endpoint}/{variant}"))?;
        Ok((target.min_capacity(), target.max_capacity()))
    }

    pub async fn endpoint_arn(&self, endpoint: &str) -> Result<String> {
        let out = self
            .sagemaker
            .describe_endpoint()
            .endpoint_name(endpoint)
            .send()
            .await?;
        Ok(out.endpoint_arn().unwrap_or_default().to_owned())
    }

    /// The attribute names of `endpoint`/`variant`'s item in [`LOCK_TABLE`] (`None`: no item),
    /// with its stored record's text.
    pub async fn lease_item(
        &self,
        endpoint: &str,
        variant: &str,
    ) -> Result<Option<(Vec<String>, Option<String>)>> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let key = remediation::remediate::lease_key(endpoint, variant);
        let out = self
            .dynamodb
            .get_item()
            .table_name(LOCK_TABLE)
            .key(remediation::capacity::LEASE_KEY, AttributeValue::S(key))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item().map(|item| {
            let mut names: Vec<String> = item.keys().cloned().collect();
            names.sort();
            let record = item.get("record").and_then(|r| r.as_s().ok()).cloned();
            (names, record)
        }))
    }

    /// The endpoint's tags.
    pub async fn tags(&self, endpoint: &str) -> Result<BTreeMap<String, String>> {
        let out = self
            .sagemaker
            .list_tags()
            .resource_arn(self.endpoint_arn(endpoint).await?)
            .send()
            .await?;
        Ok(out
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect())
    }

    pub async fn put_tags(&self, endpoint: &str, tags: &[(&str, &str)]) -> Result<()> {
        self.sagemaker
            .add_tags()
            .resource_arn(self.endpoint_arn(endpoint).await?)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await?;
        Ok(())
    }

    /// A metric alarm named `name` carrying `tags`; its ARN is what the sample events use.
    pub async fn tagged_alarm(&self, name: &str, tags: &[(&str, &str)]) -> Result<String> {
        let mut request = self
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/SageMaker")
            .metric_name("ModelLatency")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(60)
            .evaluation_periods(3)
            .threshold(200_000.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            );
        for (k, v) in tags {
            request = request.tags(
                aws_sdk_cloudwatch::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build(),
            );
        }
        request.send().await?;
        Ok(format!(
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
        ))
    }

    /// The metric alarm `name` (see [`Moto::tagged_alarm`]) in `state` now: moto never
    /// evaluates alarms, so the state is set as CloudWatch would have it. An ALARM event older
    /// than the hold is checked against this state.
    pub async fn alarm_in(
        &self,
        name: &str,
        state: aws_sdk_cloudwatch::types::StateValue,
    ) -> Result<()> {
        self.tagged_alarm(name, &[]).await?;
        self.set_alarm_state(name, state).await
    }

    /// Set the state of the existing alarm `name`, as CloudWatch's evaluation would.
    pub async fn set_alarm_state(
        &self,
        name: &str,
        state: aws_sdk_cloudwatch::types::StateValue,
    ) -> Result<()> {
        self.cloudwatch
            .set_alarm_state()
            .alarm_name(name)
            .state_value(state)
            .state_reason("set by the test")
            .send()
            .await?;
        Ok(())
    }

    /// A topic with a queue subscribed to it.
    pub async fn inbox(&self, name: &str) -> Result<Inbox> {
        self.create_inbox(name, false).await
    }

    /// A FIFO topic (`<name>.fifo`) with a FIFO queue subscribed to it.
    pub async fn fifo_inbox(&self, name: &str) -> Result<Inbox> {
        self.create_inbox(&format!("{name}.fifo"), true).await
    }

    async fn create_inbox(&self, name: &str, fifo: bool) -> Result<Inbox> {
        let mut topic = self.sns.create_topic().name(name);
        let mut queue = self.sqs.create_queue().queue_name(name);
        if fifo {
            topic = topic.attributes("FifoTopic", "true");
            queue = queue.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
        }
        let topic_arn = topic
            .send()
            .await?
            .topic_arn()
            .unwrap_or_default()
            .to_owned();
        let queue_url = queue
            .send()
            .await?
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        self.sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:123456789012:{name}"))
            .send()
            .await?;
        Ok(Inbox {
            topic_arn,
            queue_url,
        })
    }

    /// Everything published to the inbox's topic since the last read, oldest first.
    pub async fn published(&self, inbox: &Inbox) -> Result<Vec<Published>> {
        use aws_sdk_sqs::types::MessageSystemAttributeName as Attr;
        let mut out = Vec::new();
        loop {
            let batch = self
                .sqs
                .receive_message()
                .queue_url(&inbox.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .message_system_attribute_names(Attr::All.as_str().into())
                .send()
                .await?;
            if batch.messages().is_empty() {
                break;
            }
            for message in batch.messages() {
                let envelope: Value = serde_json::from_str(message.body().unwrap_or("{}"))?;
                let system = |name: Attr| message.attributes().and_then(|a| a.get(&name)).cloned();
                out.push(Published {
                    subject: envelope["Subject"].as_str().unwrap_or_default().to_owned(),
                    message: envelope["Message"].as_str().unwrap_or_default().to_owned(),
                    attributes: envelope["MessageAttributes"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v["Value"].as_str().unwrap_or("").to_owned())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    dedup_id: system(Attr::MessageDeduplicationId),
                    group_id: system(Attr::MessageGroupId),
                });
                if let Some(handle) = message.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&inbox.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await?;
                }
            }
        }
        Ok(out)
    }
}

/// One endpoint with a scalable target per variant and an audit inbox: what most acceptance
/// tests start from.
pub struct EndpointFixture {
    pub moto: Moto,
    pub endpoint: String,
    pub inbox: Inbox,
}

impl EndpointFixture {
    /// An endpoint named `<prefix>-<unique>` whose variants each have a target `min`..`max`.
    pub async fn new(prefix: &str, variants: &[&str], min: i32, max: i32) -> EndpointFixture {
        let moto = Moto::connect().await;
        let endpoint = unique(prefix);
        moto.create_endpoint(&endpoint, variants).await.unwrap();
        for variant in variants {
            moto.register_target(&endpoint, variant, min, max)
                .await
                .unwrap();
        }
        let inbox = moto.inbox(&unique("audit")).await.unwrap();
        // The sample latency alarm of this endpoint fires: the samples' ALARM events are days
        // old, and an old ALARM raises only while its alarm is in ALARM.
        moto.alarm_in(&sample_alarm(&endpoint), StateValue::Alarm)
            .await
            .unwrap();
        EndpointFixture {
            moto,
            endpoint,
            inbox,
        }
    }

    /// A function's environment: `ALLOWED_ENDPOINTS=allowed`, `NOTIFY_TOPIC_ARN` set to the
    /// inbox's topic, then `vars` on top.
    pub fn env(&self, allowed: &str, vars: &[(&str, &str)]) -> HashMap<String, String> {
        let mut env = HashMap::from([
            ("ALLOWED_ENDPOINTS".to_owned(), allowed.to_owned()),
            ("NOTIFY_TOPIC_ARN".to_owned(), self.inbox.topic_arn.clone()),
            ("LOCK_TABLE".to_owned(), LOCK_TABLE.to_owned()),
        ]);
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        env
    }
}

/// A hold of `min` that expired an hour before `now` (recorded three hours before that).
pub fn expired_hold(min: u32, now: chrono::DateTime<chrono::Utc>) -> remediation::holds::Hold {
    remediation::holds::Hold {
        min,
        until: now - chrono::Duration::hours(1),
        since: now - chrono::Duration::hours(4),
        trigger: None,
        raise_max: false,
    }
}

/// The name of the latency alarm the sample events of `endpoint` come from.
pub fn sample_alarm(endpoint: &str) -> String {
    format!("{endpoint}-model-latency-p99")
}

/// A sample event from `events/`, with the sample endpoint name replaced (also inside SNS
/// message strings) so each test works on its own endpoint.
pub fn sample_event(file: &str, endpoint: &str) -> Value {
    read_event(&workspace().join("events").join(file), endpoint)
}

/// An event kept for the tests alone, in `tests/fixtures/` (one that describes fixed dates,
/// replayed at a fixed clock), with the endpoint name replaced as in [`sample_event`].
pub fn fixture_event(file: &str, endpoint: &str) -> Value {
    read_event(&workspace().join("tests/fixtures").join(file), endpoint)
}

fn read_event(path: &Path, endpoint: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text.replace("prod-ranker", endpoint))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// S3 objects and FIFO topics, for the drift-notify tests and demo.
impl Moto {
    /// An S3 client for moto (the SDK's default flexible checksums work with moto 5.2).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::new(&self.sdk)
    }

    /// Create `bucket` (if needed) and write `body` to `key`.
    pub async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<()> {
        let s3 = self.s3();
        if s3.head_bucket().bucket(bucket).send().await.is_err() {
            s3.create_bucket().bucket(bucket).send().await?;
        }
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(body.into())
            .send()
            .await?;
        Ok(())
    }
}
