//! What a decision takes and gives: the change asked for, the view of the variant it is made
//! on, and the plan of writes it returns.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::demand::Demand;
use crate::holds::{Capacity, VariantHolds};
use crate::record::Record;

/// What a decision did, or would do, to one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Raised,
    Restored,
    Unchanged,
    Refused,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Raised => "raised",
            Action::Restored => "restored",
            Action::Unchanged => "unchanged",
            Action::Refused => "refused",
        }
    }
}

/// What a decision sees of one variant, read under its lease.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub variant: &'a str,
    pub current: Capacity,
    pub holds: &'a VariantHolds,
    pub record: &'a Record,
    pub now: DateTime<Utc>,
}

/// scale-on-latency's limits on a raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalePolicy {
    pub step: u32,
    pub ceiling: Option<u32>,
    pub cooldown: Duration,
    pub hold_for: Duration,
}

/// A latency alarm's transition to ALARM (`firing`) or OK.
#[derive(Debug, Clone, Copy)]
pub struct AlarmChange<'a> {
    pub name: &'a str,
    pub firing: bool,
    /// When the alarm entered the state (the event's state timestamp).
    pub at: Option<DateTime<Utc>>,
    /// The transition's identity, kept on the hold.
    pub trigger: Option<&'a str>,
    pub policy: &'a ScalePolicy,
    /// What the current load needs (`SCALE_MODE=demand`): the raise goes at least there; when
    /// sizing is unavailable the raise is one step and says why.
    pub demand: Option<&'a Demand>,
}

/// A pre-warm: hold MinCapacity at `min` for the named event until `until`.
#[derive(Debug, Clone, Copy)]
pub struct EventHold<'a> {
    pub event: &'a str,
    pub min: u32,
    pub until: DateTime<Utc>,
    /// Set when the raise gave a relative expiry (`for`): a live hold recorded for at least
    /// that long already is this raise, so a repeat does not push the expiry on.
    pub hold_for: Option<chrono::Duration>,
    /// Raise MaxCapacity to `min` when it is lower, instead of capping the hold.
    pub raise_max: bool,
    pub trigger: Option<&'a str>,
}

/// The MaxCapacity a calendar event's end gives back (`raise_max`): `to`, the variant's own
/// before the event, when MaxCapacity is still `from`, what the event's start set. A value
/// someone else set since is left as it is, and an end never raises MaxCapacity. `from` is
/// `None` for an end scheduled before it was known: then only "never raise" applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxBack {
    pub to: u32,
    pub from: Option<u32>,
}

/// Every change a function can ask for.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    Alarm(AlarmChange<'a>),
    Hold(EventHold<'a>),
    /// Drop the named event's hold (a pre-warm restore).
    Release {
        event: &'a str,
    },
    /// Drop expired and unreadable holds, and bring capacity to what the holds justify.
    Sweep,
    /// A calendar event is over: its start action set MinCapacity outside the holds, so the
    /// baseline goes back to the calendar's `baseline` and capacity to what the live holds
    /// justify above it (ARCHITECTURE.md, "Other writers").
    CalendarEnd {
        event: &'a str,
        baseline: u32,
        /// The MaxCapacity to give back when the event's start raised it (`raise_max`).
        max: Option<MaxBack>,
        /// How long an alarm's hold lives (`SCALE_HOLD_SECONDS`): an alarm whose latest
        /// transition is an ALARM this recent still fires, and keeps what the variant has.
        alarm_hold: chrono::Duration,
    },
}

/// The writes a decision needs, in the order the remediation path makes them: tags first (a
/// hold is recorded before capacity depends on it), then the scalable target, then tag
/// removals (a hold is forgotten only once capacity no longer depends on it), then the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    pub old_min: u32,
    pub new_min: u32,
    /// MaxCapacity as read; the target is written with it unless `new_max` changes it.
    pub old_max: u32,
    /// Set when MaxCapacity changes too (a pre-warm with `raise_max`, the end of a calendar
    /// event that raised it).
    pub new_max: Option<u32>,
    pub reason: String,
    pub put_tags: Vec<(String, String)>,
    pub delete_tags: Vec<String>,
    /// The variant's record after this decision.
    pub record: Record,
    /// The expiry of the hold this decision recorded, for messages.
    pub hold_until: Option<DateTime<Utc>>,
}

impl Plan {
    /// Whether the scalable target must be written.
    pub fn changes_capacity(&self) -> bool {
        self.new_min != self.old_min || self.new_max.is_some()
    }

    pub fn writes_anything(&self) -> bool {
        self.changes_capacity() || !self.put_tags.is_empty() || !self.delete_tags.is_empty()
    }

    /// Whether this plan is a latency alarm's new raise: it starts the variant's cooldown
    /// (`before` is the record the decision was made on).
    pub fn starts_cooldown(&self, before: &Record) -> bool {
        self.record.last_raise != before.last_raise
    }

    /// The one rule for audit: actions, refusals and repairs are published; a no-op (a
    /// duplicate, a stale delivery, nothing to restore) is only logged.
    pub fn is_news(&self) -> bool {
        self.action != Action::Unchanged || self.writes_anything()
    }
}

impl Change<'_> {
    /// An ALARM or a pre-warm: a change that may raise capacity and never lowers it.
    pub fn is_raise(&self) -> bool {
        match self {
            Change::Alarm(alarm) => alarm.firing,
            Change::Hold(_) => true,
            Change::Release { .. } | Change::Sweep | Change::CalendarEnd { .. } => false,
        }
    }
}
