//! The seam between the remediation path and where a variant's state lives: its scalable
//! target (Application Auto Scaling), its endpoint's tags (SageMaker) and its lease item
//! (DynamoDB). [`crate::capacity::CapacityClient`] implements it against AWS; the interleaving
//! tests implement it in memory, so they run the very same path.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::capacity::{Endpoint, Variant};
use crate::error::Error;
use crate::holds::Capacity;
use crate::record::Record;

pub type Tags = BTreeMap<String, String>;

pub trait Store: Sync {
    /// The variant's scalable target (`None`: not registered) and the endpoint's tags, read
    /// side by side.
    fn read(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
    ) -> impl Future<Output = Result<(Option<Capacity>, Tags), Error>> + Send;

    fn add_tags(
        &self,
        endpoint: &Endpoint,
        tags: &[(String, String)],
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn delete_tags(
        &self,
        endpoint: &Endpoint,
        keys: &[String],
    ) -> impl Future<Output = Result<(), Error>> + Send;

    fn register(
        &self,
        endpoint: &Endpoint,
        variant: &Variant,
        capacity: Capacity,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Take the lease `key` for `owner` until `until` if nobody holds it at `now`, and return
    /// the record stored with it; `None` when another owner holds it.
    fn acquire(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Record>, Error>> + Send;

    /// Give the lease back, storing `record` with it when given. `false` when the lease was no
    /// longer `owner`'s (it expired and someone else took it).
    fn release(
        &self,
        key: &str,
        owner: &str,
        record: Option<&Record>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Give back a lease whose record is empty by removing its item, so an event about an
    /// endpoint that does not exist leaves nothing behind (no item reads as the empty record).
    /// `false` when the lease was no longer `owner`'s. A store where an item costs nothing
    /// gives it back as [`Store::release`] does.
    fn forget(&self, key: &str, owner: &str) -> impl Future<Output = Result<bool, Error>> + Send {
        self.release(key, owner, None)
    }

    /// The record stored with lease `key`, without taking it (dry run).
    fn record(&self, key: &str) -> impl Future<Output = Result<Record, Error>> + Send;

    /// Wait before trying a busy lease again (`attempt` counts from 0).
    fn backoff(&self, attempt: u32) -> impl Future<Output = ()> + Send;
}
