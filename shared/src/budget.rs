//! The tag budget, pure: a SageMaker resource carries at most 50 user tags (keys starting with
//! `aws:` do not count), and teams already use many (cost centre, owner, project). Before a
//! plan's tags are written, count what the endpoint will carry.

use std::collections::BTreeMap;

use crate::decide::Plan;

/// User tags a SageMaker resource may carry.
pub const MAX_USER_TAGS: usize = 50;
/// Fewer free slots than this after a write: the audit message says so.
pub const LOW_TAG_SLOTS: usize = 5;

/// Whether a plan's tag writes fit on the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// They fit; `delete_first`: only if the plan's removals (expired, unreadable or released
    /// holds) are made before its additions. `left`: free slots afterwards.
    Fits { delete_first: bool, left: usize },
    /// They do not fit even after the plan's removals: `needed` user tags.
    Over { now: usize, needed: usize },
}

/// Count `tags` (the endpoint's, as read) after `plan`'s additions and removals.
pub fn fit(tags: &BTreeMap<String, String>, plan: &Plan) -> Budget {
    let user = |key: &str| !key.starts_with("aws:");
    let now = tags.keys().filter(|k| user(k)).count();
    let added = plan
        .put_tags
        .iter()
        .filter(|(k, _)| user(k) && !tags.contains_key(k))
        .count();
    let removed = plan
        .delete_tags
        .iter()
        .filter(|k| user(k) && tags.contains_key(*k))
        .count();
    let after = now + added - removed;
    if after > MAX_USER_TAGS && added > 0 {
        return Budget::Over { now, needed: after };
    }
    Budget::Fits {
        delete_first: now + added > MAX_USER_TAGS,
        left: MAX_USER_TAGS.saturating_sub(after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Action;
    use crate::record::Record;

    fn tags(n: usize) -> BTreeMap<String, String> {
        let mut tags: BTreeMap<String, String> = (0..n)
            .map(|i| (format!("team:{i}"), "x".to_owned()))
            .collect();
        tags.insert("aws:cloudformation:stack-name".to_owned(), "s".to_owned());
        tags
    }

    fn plan(put: &[&str], delete: &[&str]) -> Plan {
        Plan {
            action: Action::Raised,
            old_min: 2,
            new_min: 4,
            old_max: 20,
            new_max: None,
            reason: String::new(),
            put_tags: put
                .iter()
                .map(|k| ((*k).to_owned(), "v".to_owned()))
                .collect(),
            delete_tags: delete.iter().map(|k| (*k).to_owned()).collect(),
            record: Record::default(),
            hold_until: None,
        }
    }

    #[test]
    fn new_keys_count_aws_keys_do_not_and_removals_make_room_first() {
        let hold = "remediation:v:hold:alarm.a";
        let base = "remediation:v:baseline";
        assert_eq!(
            fit(&tags(40), &plan(&[hold, base], &[])),
            Budget::Fits {
                delete_first: false,
                left: 8
            }
        );
        assert_eq!(
            fit(&tags(49), &plan(&[hold, base], &[])),
            Budget::Over {
                now: 49,
                needed: 51
            }
        );
        // A value rewritten in place takes no new slot.
        let mut full = tags(48);
        full.insert(hold.to_owned(), "old".to_owned());
        full.insert(base.to_owned(), "2".to_owned());
        assert_eq!(
            fit(&full, &plan(&[hold, base], &[])),
            Budget::Fits {
                delete_first: false,
                left: 0
            }
        );
        // An expired hold removed first makes room for the new one.
        let mut expired = tags(49);
        expired.insert("remediation:v:hold:event.old".to_owned(), "x".to_owned());
        assert_eq!(
            fit(&expired, &plan(&[hold], &["remediation:v:hold:event.old"])),
            Budget::Fits {
                delete_first: true,
                left: 0
            }
        );
        // Removals alone always fit, even on an endpoint already past the limit.
        assert!(matches!(
            fit(&tags(60), &plan(&[], &[])),
            Budget::Fits { left: 0, .. }
        ));
    }
}
