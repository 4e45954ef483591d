//! The scheduled sweep: every allowed endpoint that carries this project's tags gets its
//! expired holds released and its MinCapacity brought back to what its holds justify, so a lost
//! OK event cannot pin capacity (and cost) past the hold's expiry.
//!
//! Endpoints are visited side by side (`SWEEP_CONCURRENCY` at a time); one without this
//! project's tags costs one call (ListTags: ListEndpoints already gave its ARN). No endpoint is
//! started within [`SWEEP_MARGIN_SECONDS`] of the invocation's deadline: those are returned as
//! left for the next sweep, so the function ends with its own result, never a timeout in the
//! middle of a write.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use remediation::audit::Outcome;
use remediation::capacity::Endpoint;
use remediation::config::ALLOWED_ENDPOINTS;
use remediation::decide::{Action, Change};
use remediation::holds::TAG_PREFIX;
use remediation::remediate::{budget, time_for, Report, SWEEP_DECISION_CALLS};
use remediation::store::Store;
use remediation::Error;

use crate::each::Each;
use crate::{refused_if_missing, App, FUNCTION};

/// The calls of one endpoint's visit: ListTags, DescribeEndpoint and a sweep's decision
/// (lease included).
const VISIT_CALLS: u32 = 2 + SWEEP_DECISION_CALLS;

/// No endpoint is started later than this before the invocation's deadline: its visit's
/// calls fit in it at the SDK's limit for one call (12 s): 96 s of the stack's 150 s timeout.
pub const SWEEP_MARGIN_SECONDS: i64 = budget(VISIT_CALLS).as_secs() as i64;

/// What a sweep did.
#[derive(Debug, Clone, Default)]
pub struct Swept {
    /// Variants the sweep changed (restored, or brought back to a live hold).
    pub changed: Vec<Outcome>,
    /// Allowed endpoints with holds this sweep could not act on, not reached before the
    /// deadline or not InService (being updated): the next sweep does them.
    pub left: Vec<String>,
}

/// One endpoint's visit.
enum Visit {
    Done(Vec<(String, Result<Outcome, Error>)>),
    Failed(String, Error),
    Left(String),
}

impl App {
    /// Sweep every allowed endpoint; `deadline` is the invocation's (none: no time limit).
    pub(crate) async fn sweep(
        &self,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<Swept, Error> {
        let allowlist = &self.config.common.allowlist;
        if allowlist.is_empty() {
            return Err(Error::Refused(format!(
                "{ALLOWED_ENDPOINTS} is empty, so the sweep changes no endpoint; set it to a \
                 comma-separated list of names or globs (e.g. prod-*)"
            )));
        }
        let endpoints: Vec<(String, String)> = self
            .path
            .store
            .endpoint_arns()
            .await?
            .into_iter()
            .filter(|(name, _)| allowlist.allows(name))
            .collect();
        let visits: Vec<Visit> = stream::iter(endpoints)
            .map(|(name, arn)| self.visit(name, arn, now, deadline))
            .buffer_unordered(self.config.sweep_concurrency)
            .collect()
            .await;
        let mut each = Each::default();
        let mut left = Vec::new();
        for visit in visits {
            match visit {
                Visit::Done(outcomes) => {
                    for (target, outcome) in outcomes {
                        each.push(&target, outcome);
                    }
                }
                Visit::Failed(name, err) => each.failed(&name, err),
                Visit::Left(name) => left.push(name),
            }
        }
        left.sort();
        if !left.is_empty() {
            tracing::warn!(function = FUNCTION, left = left.len(), first = %left[0],
                "endpoints left (deadline near, or not InService); the next sweep does them");
        }
        let mut changed = each.finish()?;
        changed.retain(|o| o.action != Action::Unchanged);
        changed.sort_by(|a, b| (&a.endpoint, &a.variant).cmp(&(&b.endpoint, &b.variant)));
        tracing::info!(
            function = FUNCTION,
            changed = changed.len(),
            left = left.len(),
            "sweep done"
        );
        Ok(Swept { changed, left })
    }

    /// One endpoint: its tags; only when this project has any, the endpoint and a decision
    /// per variant with holds. An endpoint that is not InService is left for the next sweep.
    async fn visit(
        &self,
        name: String,
        arn: String,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Visit {
        if time_for(deadline, VISIT_CALLS).is_err() {
            return Visit::Left(name);
        }
        let tags = match self.path.store.tags(&arn).await {
            Ok(tags) => tags,
            Err(err) => return Visit::Failed(name, err),
        };
        if !tags.keys().any(|k| k.starts_with(TAG_PREFIX)) {
            return Visit::Done(Vec::new());
        }
        let endpoint = match self.path.store.describe(&name).await {
            Ok(endpoint) => Endpoint { tags, ..endpoint },
            Err(Error::NotFound(_)) => return Visit::Done(Vec::new()),
            Err(err) => return Visit::Failed(name, err),
        };
        if let Err(err) = endpoint.require_in_service() {
            tracing::warn!(function = FUNCTION, endpoint = %name, error = %err,
                "not InService: left for the next sweep");
            return Visit::Left(name);
        }
        let report = sweep_report("a hold expired without its alarm returning to OK", deadline);
        if let Err(err) = self.forget_gone_variants(&endpoint, deadline).await {
            return Visit::Failed(name, err);
        }
        let mut outcomes = Vec::new();
        for variant in endpoint
            .variants
            .iter()
            .filter(|v| endpoint.has_holds_for(&v.name))
        {
            let outcome = self
                .path
                .remediate(&endpoint, variant, &Change::Sweep, &report, now)
                .await;
            let outcome = refused_if_missing(&endpoint, variant, outcome);
            outcomes.push((format!("{name}/{}", variant.name), outcome));
        }
        Visit::Done(outcomes)
    }

    /// The tags of variants the endpoint no longer has go: no capacity is left to give back,
    /// and they would count against the endpoint's 50 tags for good. Each removal is
    /// published.
    async fn forget_gone_variants(
        &self,
        endpoint: &Endpoint,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let report = sweep_report("the endpoint's variants were renamed or removed", deadline);
        for (variant, keys) in endpoint.gone_variants() {
            if !self.config.common.dry_run {
                self.path.store.delete_tags(endpoint, &keys).await?;
            }
            let reason = format!(
                "variant {variant} is no longer on endpoint {}: its {} tag(s) removed ({})",
                endpoint.name,
                keys.len(),
                keys.join(", ")
            );
            let outcome = Outcome::unchanged(&endpoint.name, Some(variant), reason);
            self.path.publish(&outcome, &report, true).await?;
        }
        Ok(())
    }
}

/// The audit context of what a sweep does, and why.
fn sweep_report(why: &str, deadline: Option<DateTime<Utc>>) -> Report {
    Report {
        context: vec![("Trigger", format!("scheduled sweep: {why}"))],
        deadline,
        ..Report::default()
    }
}
