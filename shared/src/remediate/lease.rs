//! The variant's lease (ARCHITECTURE.md, the hold protocol): one conditional write takes it
//! and returns the record stored with it; the decision gives it back with its new record.
//! Taking it needs only the endpoint's and the variant's names, so a function that knows both
//! from its event takes it side by side with DescribeEndpoint.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use super::{time_for, Remediator, LEASED_DECISION_CALLS, LEASE_ATTEMPTS, LEASE_SECONDS};
use crate::capacity::{CapacityClient, Endpoint};
use crate::error::Error;
use crate::record::Record;
use crate::store::Store;

/// A variant's lease as [`Remediator::lease`] takes it, for
/// [`Remediator::remediate_leased`]: the record stored with it, and its owner (`None` in a dry
/// run, which reads the record and takes nothing). One not used is handed to
/// [`Remediator::give_back`].
#[derive(Debug)]
#[must_use = "a lease not used by a decision is given back with Remediator::give_back"]
pub struct Lease {
    pub(super) key: String,
    pub(super) owner: Option<String>,
    pub(super) record: Record,
}

impl<S: Store> Remediator<S> {
    /// Take the lease of `endpoint`/`variant` at `now`, waiting while another decision holds
    /// it, as long as a whole decision still fits before `deadline`. A dry run only reads the
    /// record (messages a real run failed to publish are left for a real run).
    pub async fn lease(
        &self,
        endpoint: &str,
        variant: &str,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<Lease, Error> {
        let key = lease_key(endpoint, variant);
        if self.common.dry_run {
            let mut record = self.store.record(&key).await?;
            record.unpublished.clear();
            return Ok(Lease {
                key,
                owner: None,
                record,
            });
        }
        let (owner, record) = self.acquire(&key, now, deadline).await?;
        Ok(Lease {
            key,
            owner: Some(owner),
            record,
        })
    }

    /// Give back the lease [`Remediator::describe_leased`] took, if it took one, when no
    /// decision used it (its endpoint could not be acted on): its record unchanged; a lease
    /// without a record leaves no item. A failure is logged: the lease then expires on its own.
    pub async fn give_back(&self, taken: Option<Result<Lease, Error>>) {
        let Some(Ok(Lease {
            key,
            owner: Some(owner),
            record,
        })) = taken
        else {
            return;
        };
        let given = match record == Record::default() {
            true => self.store.forget(&key, &owner).await,
            false => self.store.release(&key, &owner, None).await,
        };
        if let Err(err) = given {
            tracing::warn!(lease = %key, error = %err,
                "could not give back an unused lease; it expires on its own");
        }
    }

    /// Take lease `key` under a new owner name: the owner and the record stored with it.
    pub(super) async fn acquire(
        &self,
        key: &str,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(String, Record), Error> {
        let owner = lease_owner(self.function);
        for attempt in 0..LEASE_ATTEMPTS {
            let now = Utc::now().max(now);
            let until = now + chrono::Duration::seconds(LEASE_SECONDS);
            if let Some(record) = self.store.acquire(key, &owner, now, until).await? {
                return Ok((owner, record));
            }
            if let Err(short) = time_for(deadline, LEASED_DECISION_CALLS) {
                return Err(Error::Busy(format!(
                    "{key}: another decision holds the variant's lease, and {short} for a \
                     decision; nothing done, the retry decides again"
                )));
            }
            self.store.backoff(attempt).await;
        }
        Err(Error::Busy(format!(
            "{key}: another decision holds the variant's lease; retry later"
        )))
    }
}

impl Remediator<CapacityClient> {
    /// `endpoint` described; with `variant` named, its lease taken side by side (one round
    /// trip less on the way to a decision). The lease is the caller's to hand to
    /// [`Remediator::remediate_after`] or to give back ([`Remediator::give_back`]).
    pub async fn describe_leased(
        &self,
        endpoint: &str,
        variant: Option<&str>,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> (Result<Endpoint, Error>, Option<Result<Lease, Error>>) {
        let lease = async {
            match variant {
                Some(variant) => Some(self.lease(endpoint, variant, now, deadline).await),
                None => None,
            }
        };
        tokio::join!(self.store.describe(endpoint), lease)
    }
}

/// The lease of one variant (its key is how messages name the variant: `endpoint/variant`).
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
