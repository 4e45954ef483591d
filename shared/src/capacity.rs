//! The AWS side of the capacity core: read an endpoint, its tags and its variants' scalable
//! targets, write them, and keep each variant's lease (DynamoDB). Decisions live in
//! [`crate::decide`]; this module only moves data ([`Store`]).

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::types::Tag;
use chrono::{DateTime, Utc};

use crate::config::LOCK_TABLE;
use crate::error::Error;
use crate::holds::{Capacity, VariantHolds};
use crate::record::Record;
use crate::store::{Store, Tags};

/// What DescribeEndpoint and ListTags say about an endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub variants: Vec<Variant>,
    pub tags: BTreeMap<String, String>,
}

/// One production variant of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    pub serverless: bool,
    pub current_instances: Option<i32>,
    pub desired_instances: Option<i32>,
}

impl Variant {
    /// Application Auto Scaling resource id of this variant.
    pub fn resource_id(&self, endpoint: &str) -> String {
        resource_id(endpoint, &self.name)
    }

    pub fn dimension(&self) -> ScalableDimension {
        if self.serverless {
            ScalableDimension::SageMakerVariantDesiredProvisionedConcurrency
        } else {
            ScalableDimension::SageMakerVariantDesiredInstanceCount
        }
    }
}

impl Endpoint {
    pub fn is_in_service(&self) -> bool {
        self.status == "InService"
    }

    /// Refuse to touch an endpoint that is creating, updating or failed: a retryable error.
    pub fn require_in_service(&self) -> Result<(), Error> {
        if self.is_in_service() {
            Ok(())
        } else {
            Err(Error::EndpointNotReady {
                endpoint: self.name.clone(),
                status: self.status.clone(),
            })
        }
    }

    /// The variants an action applies to: the named one, or every production variant.
    pub fn select_variants(&self, name: Option<&str>) -> Result<Vec<&Variant>, Error> {
        match name {
            None => Ok(self.variants.iter().collect()),
            Some(name) => self
                .variants
                .iter()
                .find(|v| v.name == name)
                .map(|v| vec![v])
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "endpoint {} has no production variant {name} (it has: {})",
                        self.name,
                        self.variants
                            .iter()
                            .map(|v| v.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
        }
    }

    /// Whether this project has recorded any baseline or hold on the endpoint.
    pub fn has_holds(&self) -> bool {
        self.tags
            .keys()
            .any(|k| k.starts_with(crate::holds::TAG_PREFIX))
    }

    /// Whether this project has recorded any baseline or hold for `variant`.
    pub fn has_holds_for(&self, variant: &str) -> bool {
        let prefix = format!("{}{variant}:", crate::holds::TAG_PREFIX);
        self.tags.keys().any(|k| k.starts_with(&prefix))
    }

    /// The baseline and holds this project recorded for `variant`.
    pub fn holds(&self, variant: &str) -> VariantHolds {
        holds_in(&self.tags, variant)
    }

    /// This project's baseline and hold tags of variants the endpoint no longer has (a
    /// deployment that renamed its variants), by variant.
    pub fn gone_variants(&self) -> BTreeMap<&str, Vec<String>> {
        let mut gone: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for key in self.tags.keys() {
            let variant = crate::holds::variant_of(key);
            if let Some(v) = variant.filter(|v| !self.variants.iter().any(|x| x.name == *v)) {
                gone.entry(v).or_default().push(key.clone());
            }
        }
        gone
    }
}

/// The clients the capacity core needs, and the lease table.
#[derive(Debug, Clone)]
pub struct CapacityClient {
    sagemaker: aws_sdk_sagemaker::Client,
    autoscaling: aws_sdk_applicationautoscaling::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    lock_table: String,
}

impl CapacityClient {
    pub fn new(config: &aws_config::SdkConfig, lock_table: &str) -> Self {
        CapacityClient::from_clients(
            aws_sdk_sagemaker::Client::new(config),
            aws_sdk_applicationautoscaling::Client::new(config),
            aws_sdk_dynamodb::Client::new(config),
            lock_table,
        )
    }

    /// From clients built elsewhere (other settings, or mocked responses in tests).
    pub fn from_clients(
        sagemaker: aws_sdk_sagemaker::Client,
        autoscaling: aws_sdk_applicationautoscaling::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        lock_table: &str,
    ) -> Self {
        CapacityClient {
            sagemaker,
            autoscaling,
            dynamodb,
            lock_table: lock_table.to_owned(),
        }
    }

    /// The same, talking to SageMaker through `sagemaker` (a client with other settings, or
    /// one that replays recorded responses in tests).
    pub fn with_sagemaker(self, sagemaker: aws_sdk_sagemaker::Client) -> Self {
        CapacityClient { sagemaker, ..self }
    }

    /// Name and ARN of every endpoint in the account and region (ListEndpoints, all pages).
    pub async fn endpoint_arns(&self) -> Result<Vec<(String, String)>, Error> {
        let pages: Vec<_> = self
            .sagemaker
            .list_endpoints()
            .max_results(100)
            .into_paginator()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|err| Error::aws("ListEndpoints", err))?;
        Ok(pages
            .iter()
            .flat_map(|page| page.endpoints())
            .filter_map(|e| Some((e.endpoint_name()?.to_owned(), e.endpoint_arn()?.to_owned())))
            .collect())
    }

    /// DescribeEndpoint, then ListTags on its ARN.
    pub async fn endpoint(&self, name: &str) -> Result<Endpoint, Error> {
        let endpoint = self.describe(name).await?;
        Ok(Endpoint {
            tags: self.tags(&endpoint.arn).await?,
            ..endpoint
        })
    }

    /// DescribeEndpoint only; `tags` is left empty.
    pub async fn describe(&self, name: &str) -> Result<Endpoint, Error> {
        let out = self
            .sagemaker
            .describe_endpoint()
            .endpoint_name(name)
            .send()
            .await
            .map_err(|err| {
                // SageMaker reports a missing endpoint as a ValidationException; the message is
                // the only thing that tells it apart from other validation errors.
                let missing = err
                    .as_service_error()
                    .and_then(ProvideErrorMetadata::message)
                    .is_some_and(|m| m.contains("Could not find endpoint"));
                if missing {
                    Error::NotFound(format!("endpoint {name} does not exist"))
                } else {
                    Error::aws("DescribeEndpoint", err)
                }
            })?;
        let arn = out
            .endpoint_arn()
            .ok_or_else(|| aws_shape("DescribeEndpoint", "EndpointArn"))?
            .to_owned();
        let variants = out
            .production_variants()
            .iter()
            .filter_map(|v| {
                Some(Variant {
                    name: v.variant_name()?.to_owned(),
                    serverless: v.current_serverless_config().is_some()
                        || v.desired_serverless_config().is_some(),
                    current_instances: v.current_instance_count(),
                    desired_instances: v.desired_instance_count(),
                })
            })
            .collect();
        Ok(Endpoint {
            name: name.to_owned(),
            arn,
            status: out
                .endpoint_status()
                .map_or("Unknown", |s| s.as_str())
                .to_owned(),
            variants,
            tags: BTreeMap::new(),
        })
    }

    /// The tags of a resource (ListTags, all pages).
    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, Error> {
        let pages: Vec<_> = self
            .sagemaker
            .list_tags()
            .resource_arn(arn)
            .max_results(100)
            .into_paginator()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|err| Error::aws("ListTags", err))?;
        Ok(pages
            .iter()
            .flat_map(|page| page.tags())
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect())
    }

    /// Scalable targets of the given variants in one DescribeScalableTargets call. Variants
    /// without a registered target are absent from the map.
    pub async fn targets(
        &self,
        endpoint: &str,
        variants: &[&Variant],
    ) -> Result<BTreeMap<String, Capacity>, Error> {
        if variants.is_empty() {
            return Ok(BTreeMap::new());
        }
        let pages: Vec<_> = self
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Sagemaker)
            .set_resource_ids(Some(
                variants.iter().map(|v| v.resource_id(endpoint)).collect(),
            ))
            .into_paginator()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|err| Error::aws("DescribeScalableTargets", err))?;
        let found: Vec<ScalableTarget> = pages
            .iter()
            .flat_map(|page| page.scalable_targets())
            .map(|t| ScalableTarget {
                resource_id: t.resource_id().to_owned(),
                dimension: t.scalable_dimension().clone(),
                capacity: Capacity {
                    min: u32::try_from(t.min_capacity()).unwrap_or(0),
                    max: u32::try_from(t.max_capacity()).unwrap_or(0),
                },
            })
            .collect();
        Ok(capacities(endpoint, variants.iter().copied(), &found))
    }
}

impl Store for CapacityClient {
    async fn read(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
    ) -> Result<(Option<Capacity>, Tags), Error> {
        let variants = [variant];
        let (mut targets, tags) = tokio::try_join!(
            self.targets(&endpoint.name, &variants),
            self.tags(&endpoint.arn)
        )?;
        Ok((targets.remove(&variant.name), tags))
    }

    async fn add_tags(&self, endpoint: &Endpoint, tags: &[(String, String)]) -> Result<(), Error> {
        self.sagemaker
            .add_tags()
            .resource_arn(&endpoint.arn)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|err| Error::aws("AddTags", err))?;
        Ok(())
    }

    async fn delete_tags(&self, endpoint: &Endpoint, keys: &[String]) -> Result<(), Error> {
        self.sagemaker
            .delete_tags()
            .resource_arn(&endpoint.arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|err| Error::aws("DeleteTags", err))?;
        Ok(())
    }

    async fn register(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        capacity: Capacity,
    ) -> Result<(), Error> {
        self.autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(variant.resource_id(&endpoint.name))
            .scalable_dimension(variant.dimension())
            .min_capacity(to_i32(capacity.min)?)
            .max_capacity(to_i32(capacity.max)?)
            .send()
            .await
            .map_err(|err| Error::aws("RegisterScalableTarget", err))?;
        Ok(())
    }

    async fn acquire(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Record>, Error> {
        let out = self
            .dynamodb
            .update_item()
            .table_name(&self.lock_table)
            .key(LEASE_KEY, AttributeValue::S(key.to_owned()))
            .update_expression("SET lease_owner = :me, lease_until = :until")
            .condition_expression("attribute_not_exists(lease_until) OR lease_until < :now")
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()))
            .expression_attribute_values(":until", number(until.timestamp()))
            .expression_attribute_values(":now", number(now.timestamp()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(conditional(("UpdateItem", &self.lock_table), out, |e| {
            e.is_conditional_check_failed_exception()
        })?
        .map(|out| record_of(out.attributes())))
    }

    async fn release(
        &self,
        key: &str,
        owner: &str,
        record: Option<&Record>,
    ) -> Result<bool, Error> {
        let mut request = self
            .dynamodb
            .update_item()
            .table_name(&self.lock_table)
            .key(LEASE_KEY, AttributeValue::S(key.to_owned()))
            .condition_expression("lease_owner = :me")
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()));
        request = match record {
            Some(record) => request
                .update_expression("SET #record = :record REMOVE lease_owner, lease_until")
                .expression_attribute_names("#record", "record")
                .expression_attribute_values(":record", AttributeValue::S(record.to_json())),
            None => request.update_expression("REMOVE lease_owner, lease_until"),
        };
        let out = request.send().await;
        Ok(conditional(("UpdateItem", &self.lock_table), out, |e| {
            e.is_conditional_check_failed_exception()
        })?
        .is_some())
    }

    async fn forget(&self, key: &str, owner: &str) -> Result<bool, Error> {
        let out = self
            .dynamodb
            .delete_item()
            .table_name(&self.lock_table)
            .key(LEASE_KEY, AttributeValue::S(key.to_owned()))
            .condition_expression("lease_owner = :me")
            .expression_attribute_values(":me", AttributeValue::S(owner.to_owned()))
            .send()
            .await;
        Ok(conditional(("DeleteItem", &self.lock_table), out, |e| {
            e.is_conditional_check_failed_exception()
        })?
        .is_some())
    }

    async fn record(&self, key: &str) -> Result<Record, Error> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(&self.lock_table)
            .key(LEASE_KEY, AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| table_error("GetItem", &self.lock_table, err))?;
        Ok(record_of(out.item()))
    }

    async fn backoff(&self, attempt: u32) {
        // 50 ms doubling to 800 ms, with jitter from the clock: about 18 s over every attempt.
        let base = 50u64 << attempt.min(4);
        let jitter = u64::from(Utc::now().timestamp_subsec_millis()) % base;
        tokio::time::sleep(std::time::Duration::from_millis(base / 2 + jitter)).await;
    }
}

/// The lease table's partition key.
pub const LEASE_KEY: &str = "target";

fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// A conditional write's result: `None` when its condition did not hold (`failed` tells that
/// service error of `operation` from the others).
fn conditional<T, E>(
    (operation, table): (&'static str, &str),
    out: Result<T, SdkError<E, HttpResponse>>,
    failed: impl Fn(&E) -> bool,
) -> Result<Option<T>, Error>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match out {
        Ok(out) => Ok(Some(out)),
        Err(err) if err.as_service_error().is_some_and(&failed) => Ok(None),
        Err(err) => Err(table_error(operation, table, err)),
    }
}

/// A failed call on the lease table. A table that does not exist is the configuration's
/// fault, not something a retry mends: it names the variable.
fn table_error<E>(operation: &'static str, table: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if err.as_service_error().and_then(|e| e.code()) == Some("ResourceNotFoundException") {
        return Error::InvalidConfig(format!(
            "{LOCK_TABLE}={table}: {operation} found no such DynamoDB table in this account and \
             region; set it to the stack's LockTable"
        ));
    }
    Error::aws(operation, err)
}

fn record_of(item: Option<&std::collections::HashMap<String, AttributeValue>>) -> Record {
    item.and_then(|item| item.get("record"))
        .and_then(|value| value.as_s().ok())
        .map(|text| Record::from_json(text))
        .unwrap_or_default()
}

/// One row of DescribeScalableTargets.
#[derive(Debug, Clone)]
struct ScalableTarget {
    resource_id: String,
    dimension: ScalableDimension,
    capacity: Capacity,
}

/// The baseline and holds recorded for `variant` among an endpoint's tags.
fn holds_in(tags: &BTreeMap<String, String>, variant: &str) -> VariantHolds {
    VariantHolds::from_tags(variant, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Application Auto Scaling resource id of an endpoint's variant.
pub fn resource_id(endpoint: &str, variant: &str) -> String {
    format!("endpoint/{endpoint}/variant/{variant}")
}

/// The capacities of `variants` among `found`: same resource id and the variant's dimension.
fn capacities<'a>(
    endpoint: &str,
    variants: impl Iterator<Item = &'a Variant>,
    found: &[ScalableTarget],
) -> BTreeMap<String, Capacity> {
    variants
        .filter_map(|v| {
            let id = v.resource_id(endpoint);
            found
                .iter()
                .find(|t| t.resource_id == id && t.dimension == v.dimension())
                .map(|t| (v.name.clone(), t.capacity))
        })
        .collect()
}

fn to_i32(n: u32) -> Result<i32, Error> {
    i32::try_from(n).map_err(|_| Error::Refused(format!("capacity {n} is out of range")))
}

fn aws_shape(operation: &'static str, field: &str) -> Error {
    Error::Aws {
        operation,
        message: format!("response has no {field}"),
        retryable: false,
    }
}
