//! The AWS side of the capacity core: read an endpoint, its tags and its variants' scalable
//! targets; apply a [`Plan`]. Decisions live in [`crate::holds`]; this module only moves data.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_sagemaker::types::Tag;

use crate::error::Error;
use crate::holds::{self, Capacity, Plan, Recheck, VariantHolds};

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

    /// The baseline and holds this project recorded for `variant`.
    pub fn holds(&self, variant: &str) -> VariantHolds {
        holds_in(&self.tags, variant)
    }
}

/// The clients the capacity core needs.
#[derive(Debug, Clone)]
pub struct CapacityClient {
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
}

impl CapacityClient {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        CapacityClient {
            sagemaker: aws_sdk_sagemaker::Client::new(config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
        }
    }

    /// Names of every endpoint in the account and region (ListEndpoints, all pages).
    pub async fn endpoint_names(&self) -> Result<Vec<String>, Error> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .sagemaker
                .list_endpoints()
                .set_next_token(token)
                .max_results(100)
                .send()
                .await
                .map_err(|err| Error::aws("ListEndpoints", err))?;
            names.extend(
                page.endpoints()
                    .iter()
                    .filter_map(|e| e.endpoint_name().map(str::to_owned)),
            );
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(names);
            }
        }
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
            .map_err(|err| match Error::aws("DescribeEndpoint", err) {
                Error::Aws { message, .. } if message.contains("Could not find endpoint") => {
                    Error::NotFound(format!("endpoint {name} does not exist"))
                }
                other => other,
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
        let mut tags = BTreeMap::new();
        let mut token = None;
        loop {
            let page = self
                .sagemaker
                .list_tags()
                .resource_arn(arn)
                .set_next_token(token)
                .max_results(100)
                .send()
                .await
                .map_err(|err| Error::aws("ListTags", err))?;
            for tag in page.tags() {
                if let (Some(key), Some(value)) = (tag.key(), tag.value()) {
                    tags.insert(key.to_owned(), value.to_owned());
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(tags);
            }
        }
    }

    /// Everything a decision reads: DescribeEndpoint (status, variants, ARN) and the variants'
    /// scalable targets, at the same time when the variant is named, and only then the tags.
    ///
    /// The tags must be read after the targets. Every raise writes its hold (AddTags) before
    /// the higher MinCapacity (RegisterScalableTarget), so a decision that reads a target some
    /// concurrent raise already wrote also reads that raise's hold, and refuses (cooldown) or
    /// recognises it, instead of stepping again from the raised value. Reading the tags first
    /// would let 50 concurrent alarms raise 50 times.
    pub async fn snapshot(&self, name: &str, variant: Option<&str>) -> Result<Snapshot, Error> {
        match variant {
            Some(variant) => {
                let named = [variant];
                let (endpoint, found) =
                    tokio::try_join!(self.describe(name), self.scalable_targets(name, &named))?;
                self.finish_snapshot(endpoint, Some(variant), &found).await
            }
            None => self.snapshot_of(self.describe(name).await?, None).await,
        }
    }

    /// [`CapacityClient::snapshot`] of an endpoint already described: the targets, then the
    /// tags (read again, whatever `endpoint.tags` holds).
    pub async fn snapshot_of(
        &self,
        endpoint: Endpoint,
        variant: Option<&str>,
    ) -> Result<Snapshot, Error> {
        let names: Vec<&str> = endpoint
            .select_variants(variant)?
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        let found = self.scalable_targets(&endpoint.name, &names).await?;
        self.finish_snapshot(endpoint, variant, &found).await
    }

    async fn finish_snapshot(
        &self,
        endpoint: Endpoint,
        variant: Option<&str>,
        found: &[ScalableTarget],
    ) -> Result<Snapshot, Error> {
        endpoint.require_in_service()?;
        let variants: Vec<Variant> = endpoint
            .select_variants(variant)?
            .into_iter()
            .cloned()
            .collect();
        let capacities = capacities(&endpoint.name, variants.iter(), found);
        let tags = self.tags(&endpoint.arn).await?;
        Ok(Snapshot {
            endpoint: Endpoint { tags, ..endpoint },
            variants,
            capacities,
        })
    }

    /// Scalable targets of the given variants in one DescribeScalableTargets call. Variants
    /// without a registered target are absent from the map.
    pub async fn targets(
        &self,
        endpoint: &str,
        variants: &[&Variant],
    ) -> Result<BTreeMap<String, Capacity>, Error> {
        let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        let found = self.scalable_targets(endpoint, &names).await?;
        Ok(capacities(endpoint, variants.iter().copied(), &found))
    }

    /// DescribeScalableTargets (all pages) for the named variants of `endpoint`, whatever
    /// their scalable dimension.
    async fn scalable_targets(
        &self,
        endpoint: &str,
        variants: &[&str],
    ) -> Result<Vec<ScalableTarget>, Error> {
        let mut found = Vec::new();
        if variants.is_empty() {
            return Ok(found);
        }
        let mut token = None;
        loop {
            let page = self
                .autoscaling
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Sagemaker)
                .set_resource_ids(Some(
                    variants.iter().map(|v| resource_id(endpoint, v)).collect(),
                ))
                .set_next_token(token)
                .send()
                .await
                .map_err(|err| Error::aws("DescribeScalableTargets", err))?;
            found.extend(page.scalable_targets().iter().map(|t| ScalableTarget {
                resource_id: t.resource_id().to_owned(),
                dimension: t.scalable_dimension().clone(),
                capacity: Capacity {
                    min: u32::try_from(t.min_capacity()).unwrap_or(0),
                    max: u32::try_from(t.max_capacity()).unwrap_or(0),
                },
            }));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    /// Apply a plan: AddTags, then RegisterScalableTarget, then DeleteTags (see [`Plan`]);
    /// then read the tags or the target again (see [`Recheck`]) and, when a concurrent decision
    /// left the target above what the recorded holds justify, lower it (see
    /// [`holds::reconcile`]). Returns the MinCapacity that check set, if it had to.
    pub async fn apply(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        current: Capacity,
        plan: &Plan,
    ) -> Result<Option<u32>, Error> {
        if !plan.put_tags.is_empty() {
            self.sagemaker
                .add_tags()
                .resource_arn(&endpoint.arn)
                .set_tags(Some(
                    plan.put_tags
                        .iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .send()
                .await
                .map_err(|err| Error::aws("AddTags", err))?;
        }
        if plan.changes_capacity() {
            let max = plan.new_max.unwrap_or(current.max);
            self.register(endpoint, variant, plan.new_min, max).await?;
        }
        if !plan.delete_tags.is_empty() {
            self.sagemaker
                .delete_tags()
                .resource_arn(&endpoint.arn)
                .set_tag_keys(Some(plan.delete_tags.clone()))
                .send()
                .await
                .map_err(|err| Error::aws("DeleteTags", err))?;
        }
        // Read again after the last write: this closes the raise/restore interleaving
        // described at holds::reconcile (whichever decision writes last repairs it).
        let (now, after) = match plan.recheck() {
            Recheck::Nothing => return Ok(None),
            Recheck::TargetFirst => {
                let Some(now) = self.target(endpoint, variant).await? else {
                    return Ok(None);
                };
                if now.min <= plan.baseline {
                    return Ok(None);
                }
                (now, self.holds(endpoint, variant).await?)
            }
            Recheck::TagsFirst => {
                let after = self.holds(endpoint, variant).await?;
                if holds::justified(plan.baseline, &after) >= plan.new_min {
                    return Ok(None);
                }
                let Some(now) = self.target(endpoint, variant).await? else {
                    return Ok(None);
                };
                (now, after)
            }
            Recheck::Both => {
                let after = self.holds(endpoint, variant).await?;
                let Some(now) = self.target(endpoint, variant).await? else {
                    return Ok(None);
                };
                (now, after)
            }
        };
        let Some(min) = holds::reconcile(plan.baseline, now, &after) else {
            return Ok(None);
        };
        tracing::warn!(
            endpoint = %endpoint.name,
            variant = %variant.name,
            old_min = now.min,
            new_min = min,
            "a concurrent decision changed the holds while this one applied; MinCapacity lowered \
             to what the recorded holds justify"
        );
        self.register(endpoint, variant, min, now.max).await?;
        Ok(Some(min))
    }

    /// The variant's scalable target as it is now.
    async fn target(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
    ) -> Result<Option<Capacity>, Error> {
        Ok(self
            .targets(&endpoint.name, &[variant])
            .await?
            .remove(&variant.name))
    }

    /// The variant's baseline and holds as they are now.
    async fn holds(&self, endpoint: &Endpoint, variant: &Variant) -> Result<VariantHolds, Error> {
        Ok(holds_in(&self.tags(&endpoint.arn).await?, &variant.name))
    }

    async fn register(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        min: u32,
        max: u32,
    ) -> Result<(), Error> {
        self.autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(variant.resource_id(&endpoint.name))
            .scalable_dimension(variant.dimension())
            .min_capacity(to_i32(min)?)
            .max_capacity(to_i32(max)?)
            .send()
            .await
            .map_err(|err| Error::aws("RegisterScalableTarget", err))?;
        Ok(())
    }
}

/// What a decision reads about an endpoint ([`CapacityClient::snapshot`]).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The endpoint, InService, with the tags read after the targets.
    pub endpoint: Endpoint,
    /// The variants the decision is about: the named one, or every production variant.
    pub variants: Vec<Variant>,
    /// Their MinCapacity and MaxCapacity; a variant without a scalable target is absent.
    pub capacities: BTreeMap<String, Capacity>,
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
fn resource_id(endpoint: &str, variant: &str) -> String {
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
