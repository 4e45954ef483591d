//! The variant's control record, kept in its lease item (see [`crate::lease`]): what this
//! project last set MinCapacity to, when it last raised, and the latest transition it has seen
//! of each alarm. Pure: the adapter stores it as one JSON attribute.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::notice::Notice;

/// At most this many unpublished audit messages are kept per variant; older ones go first.
pub const MAX_UNPUBLISHED: usize = 20;

/// How long an alarm's last transition is remembered: longer than any hold, so a redelivery
/// or a reordered delivery is recognised after its hold expired.
pub const REMEMBER_TRANSITIONS_DAYS: i64 = 14;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The MinCapacity this project last set, or adopted as another writer's. A different
    /// current value means someone else (a scheduled action, an operator) set it since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<u32>,
    /// When a latency alarm last raised the variant: the cooldown counts from here, whatever
    /// became of that raise's hold since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_raise: Option<DateTime<Utc>>,
    /// The latest transition seen of each alarm, by exact alarm name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alarms: BTreeMap<String, Transition>,
    /// Audit messages of decisions on this variant whose publish failed: the next decision
    /// (the retry, or any later one) publishes them first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unpublished: Vec<Notice>,
    /// The refusal a sweep last published for this variant: a sweep that finds the same
    /// refusal again logs it and does not publish it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// An alarm's state change as CloudWatch timestamps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub firing: bool,
    pub at: DateTime<Utc>,
    /// An ALARM whose raise the cooldown refused: a redelivery after the cooldown raises.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

impl Transition {
    /// The id of a transition to `state` at `at`, the same on every delivery of it, which a
    /// hold records as its `trigger`: `ALARM@2026-11-28T12:00:00.120Z`.
    pub fn id(state: impl std::fmt::Display, at: DateTime<Utc>) -> String {
        format!("{state}@{}", at.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }

    /// The ALARM transition an id of [`Transition::id`] names; `None` for any other id (an
    /// OK, a delivery id of an event without a time).
    pub fn alarm_of(id: &str) -> Option<Transition> {
        let at = DateTime::parse_from_rfc3339(id.strip_prefix("ALARM@")?).ok()?;
        Some(Transition {
            firing: true,
            at: at.with_timezone(&Utc),
            deferred: false,
        })
    }
}

impl Record {
    /// Forget transitions older than [`REMEMBER_TRANSITIONS_DAYS`].
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let horizon = now - chrono::Duration::days(REMEMBER_TRANSITIONS_DAYS);
        self.alarms.retain(|_, t| t.at > horizon);
    }

    /// Keep `notices` for the next decision to publish, the newest [`MAX_UNPUBLISHED`]; returns
    /// the ones that no longer fit.
    pub fn keep_unpublished(&mut self, notices: Vec<Notice>) -> Vec<Notice> {
        self.unpublished.extend(notices);
        let excess = self.unpublished.len().saturating_sub(MAX_UNPUBLISHED);
        self.unpublished.drain(..excess).collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// A record that does not parse is treated as empty: it only ever makes a decision more
    /// cautious about duplicates and cooldowns, never about capacity (the tags decide that).
    pub fn from_json(text: &str) -> Record {
        serde_json::from_str(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(n: usize) -> Notice {
        Notice {
            subject: format!("Raised {n}"),
            body: "body".to_owned(),
            attributes: BTreeMap::from([("action".to_owned(), "raised".to_owned())]),
            dedup_id: None,
        }
    }

    #[test]
    fn record_round_trips_and_forgets_old_transitions() {
        let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        let mut record = Record {
            written: Some(4),
            last_raise: Some(now),
            alarms: BTreeMap::from([
                (
                    "p99 latency".to_owned(),
                    Transition {
                        firing: true,
                        at: now,
                        deferred: true,
                    },
                ),
                (
                    "old".to_owned(),
                    Transition {
                        firing: false,
                        at: now - chrono::Duration::days(15),
                        deferred: false,
                    },
                ),
            ]),
            refusal: Some("no scalable target".to_owned()),
            ..Record::default()
        };
        assert!(record.keep_unpublished(vec![notice(0)]).is_empty());
        assert_eq!(Record::from_json(&record.to_json()), record);
        record.prune(now);
        assert_eq!(record.alarms.len(), 1);
        assert_eq!(Record::from_json("not json"), Record::default());
    }

    #[test]
    fn unpublished_messages_are_bounded_oldest_first() {
        let mut record = Record::default();
        let dropped = record.keep_unpublished((0..MAX_UNPUBLISHED + 2).map(notice).collect());
        assert_eq!(dropped, vec![notice(0), notice(1)]);
        assert_eq!(record.unpublished.len(), MAX_UNPUBLISHED);
        assert_eq!(record.unpublished[0], notice(2));
    }
}
