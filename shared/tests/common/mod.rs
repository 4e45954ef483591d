//! What the property tests of the decision share: the variant a plan acts on, applied the way
//! the remediation path applies it, and the proptest settings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use proptest::test_runner::Config as ProptestConfig;
use remediation::decide::{decide, Change, Plan, View};
use remediation::holds::{Capacity, VariantHolds};
use remediation::record::Record;

/// The variant every property test decides on.
pub const V: &str = "AllTraffic";

/// `PROPTEST_CASES` cases (256 by default; `make fuzz` runs many more); failures print the
/// minimal input, with no regression files in the tree.
#[allow(dead_code)] // lost_record.rs runs fixed sequences only
pub fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The state a plan acts on: the endpoint's tags, the variant's target and its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub tags: BTreeMap<String, String>,
    pub capacity: Capacity,
    pub record: Record,
}

impl Variant {
    pub fn holds(&self) -> VariantHolds {
        VariantHolds::from_tags(V, self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    pub fn plan(&self, change: &Change<'_>, now: DateTime<Utc>) -> Plan {
        decide(
            change,
            &View {
                variant: V,
                current: self.capacity,
                holds: &self.holds(),
                record: &self.record,
                now,
            },
        )
    }

    /// What the remediation path does with a plan: tags put, target written, tags deleted,
    /// record stored.
    pub fn apply(&self, plan: &Plan) -> Variant {
        let mut next = self.clone();
        next.record = plan.record.clone();
        for (k, v) in &plan.put_tags {
            next.tags.insert(k.clone(), v.clone());
        }
        if plan.changes_capacity() {
            next.capacity.min = plan.new_min;
            next.capacity.max = plan.new_max.unwrap_or(next.capacity.max);
        }
        for k in &plan.delete_tags {
            next.tags.remove(k);
        }
        next
    }
}
