//! The variant's control record, kept in its lease item (see [`crate::lease`]): what this
//! project last set MinCapacity to, when it last raised, and the latest transition it has seen
//! of each alarm. Pure: the adapter stores it as one JSON attribute.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

impl Record {
    /// Forget transitions older than [`REMEMBER_TRANSITIONS_DAYS`].
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let horizon = now - chrono::Duration::days(REMEMBER_TRANSITIONS_DAYS);
        self.alarms.retain(|_, t| t.at > horizon);
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
        };
        assert_eq!(Record::from_json(&record.to_json()), record);
        record.prune(now);
        assert_eq!(record.alarms.len(), 1);
        assert_eq!(Record::from_json("not json"), Record::default());
    }
}
