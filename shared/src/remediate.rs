//! The one remediation path every function hands its decisions to: for one variant, take its
//! lease, read its target, tags and record, decide ([`crate::decide`]), write in the safe
//! order, store the record, give the lease back, and report. ARCHITECTURE.md explains why.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::audit::{Notifier, Outcome};
use crate::budget::{self, Budget, LOW_TAG_SLOTS, MAX_USER_TAGS};
use crate::capacity::{CapacityClient, Endpoint, Variant};
use crate::config::CommonConfig;
use crate::decide::{decide, AlarmChange, Change, Plan, View};
use crate::demand::Demand;
use crate::error::Error;
use crate::holds::{Capacity, VariantHolds};
use crate::record::Record;
use crate::store::Store;

mod announce;
mod lease;
use announce::remember_refusal;
pub use lease::{lease_key, Lease};

/// What each AWS call still to make is budgeted at: the SDK's limit for one call, retries
/// included.
pub const CALL_BUDGET: std::time::Duration = crate::sdk::OPERATION_TIMEOUT;
/// The calls a decision makes once it holds the lease: the reads (side by side), a demand
/// sizing, at most three writes and the release.
pub const DECISION_CALLS: u32 = 6;
/// A decision from the start: taking the lease, then [`DECISION_CALLS`].
pub const LEASED_DECISION_CALLS: u32 = 1 + DECISION_CALLS;
/// A sweep's decision sizes no demand: one call fewer than [`LEASED_DECISION_CALLS`].
pub const SWEEP_DECISION_CALLS: u32 = LEASED_DECISION_CALLS - 1;

/// The time `calls` sequential calls may take, each at [`CALL_BUDGET`]: every "does it still
/// fit before the deadline" in the functions is counted with this.
pub const fn budget(calls: u32) -> std::time::Duration {
    std::time::Duration::from_secs(CALL_BUDGET.as_secs() * calls as u64)
}
/// How long a lease lasts: longer than a decision can hold it ([`DECISION_CALLS`] calls of at
/// most [`CALL_BUDGET`]: 72 s), so a lease expires only under a decision that is no longer
/// running.
pub const LEASE_SECONDS: i64 = 90;
/// Attempts at a busy lease before giving up with a retryable error: about 18 s of waiting,
/// enough for dozens of decisions queued on one variant. A decision also stops waiting when
/// the invocation's time left could not fit its calls.
pub const LEASE_ATTEMPTS: u32 = 25;

/// What one variant's decision needs besides the change itself: lines for the audit message
/// and, on FIFO topics, the deduplication id.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub context: Vec<(&'static str, String)>,
    pub dedup_id: Option<String>,
    /// Said after the expiry of the hold a decision records ("Hold: until <time> (<note>)").
    pub hold_note: Option<String>,
    /// The invocation's deadline: a decision starts its writes only when they and the release
    /// fit before it, each call at [`CALL_BUDGET`], so it ends with its own error rather than
    /// a timeout in the middle of its writes.
    pub deadline: Option<DateTime<Utc>>,
}

/// The path, with the store it writes to and where it reports.
#[derive(Debug, Clone)]
pub struct Remediator<S> {
    pub store: S,
    pub notifier: Notifier,
    pub function: &'static str,
    pub common: CommonConfig,
}

impl Remediator<CapacityClient> {
    /// The path against AWS as a function builds it once per cold start: capacity, tags and
    /// the variant's lease through `sdk` (the lease in `lock_table`), the audit to the topic
    /// `common` names.
    pub fn on_aws(
        sdk: &aws_config::SdkConfig,
        function: &'static str,
        common: CommonConfig,
        lock_table: &str,
    ) -> Self {
        Remediator {
            store: CapacityClient::new(sdk, lock_table),
            notifier: Notifier::new(sdk, common.topic_arn.clone()),
            function,
            common,
        }
    }
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
        self.remediate_after(None, (endpoint, variant), change, report, now, &NoSizing)
            .await
    }

    /// [`Self::remediate`], a latency raise sized by `sizer` once it is going ahead, under the
    /// lease [`Self::describe_leased`] took (`Some`; its error is this variant's), or taking it
    /// now (`None`).
    pub async fn remediate_after(
        &self,
        lease: Option<Result<Lease, Error>>,
        (endpoint, variant): (&Endpoint, &Variant),
        change: &Change<'_>,
        report: &Report,
        now: DateTime<Utc>,
        sizer: &impl Sizer,
    ) -> Result<Outcome, Error> {
        let lease = match lease {
            Some(taken) => taken?,
            None => {
                self.lease(&endpoint.name, &variant.name, now, report.deadline)
                    .await?
            }
        };
        self.remediate_leased(lease, (endpoint, variant), change, report, now, sizer)
            .await
    }

    /// [`Self::remediate_after`] under a lease already taken ([`Self::lease`]) on this variant.
    pub async fn remediate_leased(
        &self,
        lease: Lease,
        (endpoint, variant): (&Endpoint, &Variant),
        change: &Change<'_>,
        report: &Report,
        now: DateTime<Utc>,
        sizer: &impl Sizer,
    ) -> Result<Outcome, Error> {
        debug_assert_eq!(lease.key, lease_key(&endpoint.name, &variant.name));
        let target = Target {
            endpoint,
            variant,
            change,
            report,
            now,
        };
        let Lease { key, owner, record } = lease;
        let Some(owner) = owner else {
            // A dry run: the record was read, the lease not taken.
            let (mut plan, _) = self
                .plan(&target, &record, sizer)
                .await
                .map_err(|s| s.error)?;
            let notices = self.announce(&target, &mut plan);
            self.send(notices).await.map_err(|(err, _)| err)?;
            return Ok(Outcome::from_plan(&endpoint.name, &variant.name, &plan));
        };
        let mut plan = match self.locked(&target, &record, sizer).await {
            Ok(plan) => plan,
            Err(stop) => {
                let released = self.store.release(&key, &owner, stop.record.as_ref()).await;
                lost_lease(endpoint, variant, released?)?;
                return Err(stop.error);
            }
        };
        let notices = self.announce(&target, &mut plan);
        let (released, sent) = tokio::join!(
            self.store.release(&key, &owner, Some(&plan.record)),
            self.send(notices)
        );
        if let Err((err, unsent)) = sent {
            // A release that failed left the lease with this decision: the record goes with
            // the messages, under it, instead of waiting for a lease it holds itself.
            let held = released.is_err().then_some((owner.as_str(), plan.record));
            return Err(self
                .keep_unpublished(&key, &target, unsent, err, held)
                .await);
        }
        lost_lease(endpoint, variant, released?)?;
        Ok(Outcome::from_plan(&endpoint.name, &variant.name, &plan))
    }

    /// Under the lease: read, decide, write.
    async fn locked(
        &self,
        target: &Target<'_>,
        record: &Record,
        sizer: &impl Sizer,
    ) -> Result<Plan, Stop> {
        let (endpoint, variant) = (target.endpoint, target.variant);
        let (plan, delete_first) = self.plan(target, record, sizer).await?;
        let writes = [
            !plan.delete_tags.is_empty(),
            !plan.put_tags.is_empty(),
            plan.changes_capacity(),
        ];
        let calls = writes.iter().filter(|w| **w).count() as u32 + 1;
        if let Err(short) = time_for(target.report.deadline, calls) {
            return Err(Stop::from(Error::Busy(format!(
                "{}/{}: {short} for its writes and the release of the lease; nothing written, \
                 the retry decides again",
                endpoint.name, variant.name
            ))));
        }
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
            let capacity = Capacity {
                min: plan.new_min,
                max,
            };
            self.store.register(endpoint, variant, capacity).await?;
        }
        if !delete_first && !plan.delete_tags.is_empty() {
            self.store.delete_tags(endpoint, &plan.delete_tags).await?;
        }
        Ok(plan)
    }

    /// Read the variant and decide, and whether the plan's tag removals must come first (the
    /// tag budget). A latency raise that goes ahead is sized by `sizer` (never a duplicate, a
    /// stale delivery or a raise the cooldown refuses). No scalable target, or tags that do
    /// not fit: the refusal is published and returned, and nothing is written.
    async fn plan(
        &self,
        target: &Target<'_>,
        record: &Record,
        sizer: &impl Sizer,
    ) -> Result<(Plan, bool), Stop> {
        let (endpoint, variant) = (target.endpoint, target.variant);
        let (current, tags) = self.store.read(endpoint, variant).await?;
        let Some(current) = current else {
            let reason = format!(
                "no scalable target: register {} ({}) with Application Auto Scaling first",
                variant.resource_id(&endpoint.name),
                variant.dimension().as_str()
            );
            let error = Error::NotFound(format!("{}/{}: {reason}", endpoint.name, variant.name));
            return Err(self.refuse(target, record, reason, error).await);
        };
        let holds = VariantHolds::from_tags(
            &variant.name,
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let view = View {
            variant: &variant.name,
            current,
            holds: &holds,
            record,
            now: target.now,
        };
        let mut plan = decide(target.change, &view);
        if let Change::Alarm(alarm) = target.change {
            if plan.starts_cooldown(record) {
                if let Some(demand) = sizer.size(&endpoint.name, variant, target.now).await {
                    let sized = AlarmChange {
                        demand: Some(&demand),
                        ..*alarm
                    };
                    plan = decide(&Change::Alarm(sized), &view);
                }
            }
        }
        match budget::fit(&tags, &plan) {
            Budget::Over { now: count, needed } => {
                let reason = format!(
                    "tag budget: endpoint {} carries {count} of the {MAX_USER_TAGS} tags a \
                     SageMaker resource may have, and this decision needs {needed}; remove unused \
                     tags from the endpoint (this project needs one per variant and one per live \
                     hold)",
                    endpoint.name
                );
                let error = Error::Refused(format!("{}/{}: {reason}", endpoint.name, variant.name));
                Err(self.refuse(target, record, reason, error).await)
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

    /// A refusal made before deciding: published (a sweep's only when it is not the one it
    /// published last), and returned with the record that remembers it.
    async fn refuse(
        &self,
        target: &Target<'_>,
        record: &Record,
        reason: String,
        error: Error,
    ) -> Stop {
        let (endpoint, variant) = (&target.endpoint.name, &target.variant.name);
        let outcome = Outcome::refused(endpoint, Some(variant), reason);
        let mut record = record.clone();
        let news = remember_refusal(target.change, &mut record, &outcome);
        if let Err(err) = self.publish(&outcome, target.report, news).await {
            return Stop::from(err);
        }
        Stop {
            error,
            record: matches!(target.change, Change::Sweep).then_some(record),
        }
    }
}

/// Sizes a latency raise from the load the variant serves (`SCALE_MODE=demand`). The path asks
/// only once a raise is going ahead, under the lease: a duplicate, a stale delivery or a raise
/// the cooldown refuses reads no metrics.
pub trait Sizer: Sync {
    /// `None`: no sizing, the raise is one step.
    fn size(
        &self,
        endpoint: &str,
        variant: &Variant,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Option<Demand>> + Send;
}

/// Every raise is one step.
pub struct NoSizing;

impl Sizer for NoSizing {
    async fn size(&self, _: &str, _: &Variant, _: DateTime<Utc>) -> Option<Demand> {
        None
    }
}

/// What one variant's decision is about.
struct Target<'a> {
    endpoint: &'a Endpoint,
    variant: &'a Variant,
    change: &'a Change<'a>,
    report: &'a Report,
    now: DateTime<Utc>,
}

/// A decision that stopped before its plan was carried out: the error to return, and the
/// record to store with the lease (a sweep's refusal), if any.
struct Stop {
    error: Error,
    record: Option<Record>,
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop {
            error,
            record: None,
        }
    }
}

/// Whether `calls` calls ([`budget`]) fit before `deadline` (none: always); otherwise what is
/// left and what is needed ("20 s of the invocation are left, less than the 36 s needed").
pub fn time_for(deadline: Option<DateTime<Utc>>, calls: u32) -> Result<(), String> {
    let Some(deadline) = deadline else {
        return Ok(());
    };
    let left = (deadline - Utc::now()).num_seconds();
    let needed = budget(calls).as_secs() as i64;
    if left >= needed {
        return Ok(());
    }
    Err(format!(
        "{left} s of the invocation are left, less than the {needed} s needed"
    ))
}

/// `released`: whether the lease was still this decision's when it gave it back.
fn lost_lease(endpoint: &Endpoint, variant: &Variant, released: bool) -> Result<(), Error> {
    if released {
        return Ok(());
    }
    tracing::error!(endpoint = %endpoint.name, variant = %variant.name,
        "lease expired before the decision finished");
    Err(Error::Busy(format!(
        "{}/{}: the lease expired before this decision finished; retry to re-check",
        endpoint.name, variant.name
    )))
}
