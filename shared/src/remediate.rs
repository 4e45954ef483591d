//! The one remediation path every function hands its decisions to: for one variant, take its
//! lease, read its target, tags and record, decide ([`crate::decide`]), write in the safe
//! order, store the record, give the lease back, and report. ARCHITECTURE.md explains why.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::audit::{Notifier, Outcome};
use crate::budget::{self, Budget, LOW_TAG_SLOTS, MAX_USER_TAGS};
use crate::capacity::{Endpoint, Variant};
use crate::config::CommonConfig;
use crate::decide::{decide, Action, Change, Plan, View};
use crate::error::Error;
use crate::holds::{rfc3339, Capacity, VariantHolds};
use crate::record::Record;
use crate::store::Store;

/// How long a lease lasts: longer than the longest invocation (the stack's 60 s timeout), so a
/// lease can only expire under a function that is no longer running.
pub const LEASE_SECONDS: i64 = 90;
/// Attempts at a busy lease before giving up with a retryable error: about 18 s of waiting,
/// enough for dozens of decisions queued on one variant, well inside the 60 s timeout.
pub const LEASE_ATTEMPTS: u32 = 25;

/// What one variant's decision needs besides the change itself: lines for the audit message
/// and, on FIFO topics, the deduplication id.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub context: Vec<(&'static str, String)>,
    pub dedup_id: Option<String>,
    /// Said after the expiry of the hold a decision records ("Hold: until <time> (<note>)").
    pub hold_note: Option<String>,
}

/// The path, with the store it writes to and where it reports.
#[derive(Debug, Clone)]
pub struct Remediator<S> {
    pub store: S,
    pub notifier: Notifier,
    pub function: &'static str,
    pub common: CommonConfig,
}

impl<S: Store> Remediator<S> {
    /// The allowlist, checked before anything is read: a refusal is published and returned.
    pub async fn allowed(
        &self,
        endpoint: &str,
        variant: Option<&str>,
        report: &Report,
    ) -> Result<(), Error> {
        if let Err(err) = self.common.allowlist.check(endpoint) {
            let outcome = Outcome::refused(endpoint, variant, err.to_string());
            self.publish(&outcome, report, true).await?;
            return Err(err);
        }
        Ok(())
    }

    /// Decide `change` for one variant and carry it out. A variant without a scalable target
    /// is refused (`NonRetryable.NotFound`), after its refusal is published.
    pub async fn remediate(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        change: &Change<'_>,
        report: &Report,
        now: DateTime<Utc>,
    ) -> Result<Outcome, Error> {
        let key = lease_key(&endpoint.name, &variant.name);
        if self.common.dry_run {
            let record = self.store.record(&key).await?;
            let (plan, _) = self
                .plan(endpoint, variant, change, &record, report, now)
                .await?;
            return self.finish(endpoint, variant, &plan, report).await;
        }
        let owner = lease_owner(self.function);
        let record = self
            .acquire(&key, &owner, &endpoint.name, &variant.name, now)
            .await?;
        let result = self
            .locked(endpoint, variant, change, &record, report, now)
            .await;
        let (released, outcome) = match &result {
            Ok(plan) => {
                let (released, outcome) = tokio::join!(
                    self.store.release(&key, &owner, Some(&plan.record)),
                    self.finish(endpoint, variant, plan, report)
                );
                (released, Some(outcome))
            }
            Err(_) => (self.store.release(&key, &owner, None).await, None),
        };
        if !released? {
            tracing::error!(function = self.function, endpoint = %endpoint.name,
                variant = %variant.name, "lease expired before the decision finished");
            return Err(Error::Busy(format!(
                "{}/{}: the lease expired before this decision finished; retry to re-check",
                endpoint.name, variant.name
            )));
        }
        match (outcome, result) {
            (Some(outcome), _) => outcome,
            (None, Err(err)) => Err(err),
            (None, Ok(plan)) => Ok(Outcome::from_plan(&endpoint.name, &variant.name, &plan)),
        }
    }

    async fn acquire(
        &self,
        key: &str,
        owner: &str,
        endpoint: &str,
        variant: &str,
        now: DateTime<Utc>,
    ) -> Result<Record, Error> {
        for attempt in 0..LEASE_ATTEMPTS {
            let until = Utc::now().max(now) + chrono::Duration::seconds(LEASE_SECONDS);
            if let Some(record) = self
                .store
                .acquire(key, owner, Utc::now().max(now), until)
                .await?
            {
                return Ok(record);
            }
            self.store.backoff(attempt).await;
        }
        Err(Error::Busy(format!(
            "{endpoint}/{variant}: another decision holds the variant's lease; retry later"
        )))
    }

    /// Under the lease: read, decide, write.
    async fn locked(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        change: &Change<'_>,
        record: &Record,
        report: &Report,
        now: DateTime<Utc>,
    ) -> Result<Plan, Error> {
        let (plan, delete_first) = self
            .plan(endpoint, variant, change, record, report, now)
            .await?;
        // Near the tag limit, the plan's removals (expired, unreadable or released holds)
        // make room first: removing a hold never leaves capacity raised without one.
        if delete_first && !plan.delete_tags.is_empty() {
            self.store.delete_tags(endpoint, &plan.delete_tags).await?;
        }
        if !plan.put_tags.is_empty() {
            self.store.add_tags(endpoint, &plan.put_tags).await?;
        }
        if plan.changes_capacity() {
            let max = plan.new_max.unwrap_or(plan.old_max);
            self.store
                .register(
                    endpoint,
                    variant,
                    Capacity {
                        min: plan.new_min,
                        max,
                    },
                )
                .await?;
        }
        if !delete_first && !plan.delete_tags.is_empty() {
            self.store.delete_tags(endpoint, &plan.delete_tags).await?;
        }
        Ok(plan)
    }

    /// Read the variant and decide, and whether the plan's tag removals must come first (the
    /// tag budget). No scalable target, or tags that do not fit: the refusal is published and
    /// returned, and nothing is written.
    async fn plan(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        change: &Change<'_>,
        record: &Record,
        report: &Report,
        now: DateTime<Utc>,
    ) -> Result<(Plan, bool), Error> {
        let (target, tags) = self.store.read(endpoint, variant).await?;
        let Some(current) = target else {
            let reason = format!(
                "no scalable target: register {} ({}) with Application Auto Scaling first",
                variant.resource_id(&endpoint.name),
                variant.dimension().as_str()
            );
            let outcome = Outcome::refused(&endpoint.name, Some(&variant.name), reason.clone());
            self.publish(&outcome, report, true).await?;
            return Err(Error::NotFound(format!(
                "{}/{}: {reason}",
                endpoint.name, variant.name
            )));
        };
        let holds = VariantHolds::from_tags(
            &variant.name,
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let mut plan = decide(
            change,
            &View {
                variant: &variant.name,
                current,
                holds: &holds,
                record,
                now,
            },
        );
        match budget::fit(&tags, &plan) {
            Budget::Over { now: count, needed } => {
                let reason = format!(
                    "tag budget: endpoint {} carries {count} of the {MAX_USER_TAGS} tags a \
                     SageMaker resource may have, and this decision needs {needed}; remove unused \
                     tags from the endpoint (this project needs one per variant and one per live \
                     hold)",
                    endpoint.name
                );
                let outcome = Outcome::refused(&endpoint.name, Some(&variant.name), reason.clone());
                self.publish(&outcome, report, true).await?;
                Err(Error::Refused(format!(
                    "{}/{}: {reason}",
                    endpoint.name, variant.name
                )))
            }
            Budget::Fits { delete_first, left } => {
                if left < LOW_TAG_SLOTS && !plan.put_tags.is_empty() {
                    plan.reason.push_str(&format!(
                        "; warning: {left} of {MAX_USER_TAGS} tag slots left on endpoint {}",
                        endpoint.name
                    ));
                }
                Ok((plan, delete_first))
            }
        }
    }

    /// Log the outcome and publish it when it is news.
    async fn finish(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        plan: &Plan,
        report: &Report,
    ) -> Result<Outcome, Error> {
        let outcome = Outcome::from_plan(&endpoint.name, &variant.name, plan);
        let mut report = report.clone();
        if let Some(until) = plan.hold_until.filter(|_| plan.action != Action::Unchanged) {
            let note = report
                .hold_note
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"));
            report
                .context
                .push(("Hold", format!("until {}{note}", rfc3339(until))));
        }
        self.publish(&outcome, &report, plan.is_news()).await?;
        Ok(outcome)
    }

    /// The one rule for audit: log every outcome; publish it when `news`.
    pub async fn publish(
        &self,
        outcome: &Outcome,
        report: &Report,
        news: bool,
    ) -> Result<(), Error> {
        outcome.log(self.function, self.common.dry_run);
        if !news {
            return Ok(());
        }
        let notice = outcome.notice(
            self.function,
            self.common.dry_run,
            &report.context,
            report.dedup_id.clone(),
        );
        self.notifier.publish(&notice).await
    }
}

/// The lease of one variant.
pub fn lease_key(endpoint: &str, variant: &str) -> String {
    format!("{endpoint}/{variant}")
}

/// A name for this decision's lease, unique across invocations and Lambda instances.
fn lease_owner(function: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{function}:{}:{}:{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
