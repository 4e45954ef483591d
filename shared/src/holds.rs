//! The capacity decision, pure: no AWS, no clock, no I/O.
//!
//! State lives on the SageMaker endpoint as tags, one set per variant:
//! - `remediation:<variant>:baseline` = the MinCapacity before any remediation,
//! - `remediation:<variant>:hold:<reason>` = `min=<n> until=<rfc3339> since=<rfc3339> [trigger=<id>]`,
//!   one per reason (a latency alarm, a named pre-warm event).
//!
//! The effective MinCapacity is max(baseline, live holds). A raise adds or updates a hold, a
//! release removes one and recomputes, and expired holds are dropped by whichever decision
//! runs next, so a lost OK event never pins capacity forever and two reasons never undo
//! each other.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::demand::Sizing;
use crate::fnv1a;

/// Every tag this project writes starts with this.
pub const TAG_PREFIX: &str = "remediation:";
/// Reasons of holds that latency alarms create start with this.
pub const ALARM_REASON_PREFIX: &str = "alarm.";
/// Reasons of holds that pre-warms for a named event create start with this.
pub const EVENT_REASON_PREFIX: &str = "event.";
const MAX_TAG_KEY: usize = 128;

/// A variant's scalable target limits as read from Application Auto Scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub min: u32,
    pub max: u32,
}

/// One reason to keep MinCapacity at or above `min` until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub min: u32,
    pub until: DateTime<Utc>,
    pub since: DateTime<Utc>,
    /// The event that set the hold (an alarm transition id), to recognise a redelivery.
    pub trigger: Option<String>,
}

impl Hold {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.until > now
    }

    pub fn encode(&self) -> String {
        let mut value = format!(
            "min={} until={} since={}",
            self.min,
            rfc3339(self.until),
            rfc3339(self.since)
        );
        if let Some(trigger) = &self.trigger {
            let _ = write!(value, " trigger={}", sanitize(trigger));
        }
        value
    }

    pub fn decode(value: &str) -> Option<Hold> {
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for part in value.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            fields.insert(k, v);
        }
        let time = |k: &str| {
            DateTime::parse_from_rfc3339(fields.get(k)?)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        Some(Hold {
            min: fields.get("min")?.parse().ok().filter(|&m| m >= 1)?,
            until: time("until")?,
            since: time("since")?,
            trigger: fields.get("trigger").map(|t| (*t).to_owned()),
        })
    }
}

/// The baseline and holds of one variant, as read from the endpoint's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantHolds {
    pub baseline: Option<u32>,
    pub holds: BTreeMap<String, Hold>,
    /// Tag keys of this variant whose values could not be read; they are removed on next write.
    pub unreadable: Vec<String>,
}

impl VariantHolds {
    pub fn from_tags<'a>(
        variant: &str,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let prefix = format!("{TAG_PREFIX}{variant}:");
        let mut out = VariantHolds::default();
        for (key, value) in tags {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            if rest == "baseline" {
                match value.parse::<u32>() {
                    Ok(n) if n >= 1 => out.baseline = Some(n),
                    _ => out.unreadable.push(key.to_owned()),
                }
            } else if let Some(reason) = rest.strip_prefix("hold:") {
                match Hold::decode(value) {
                    Some(hold) => {
                        out.holds.insert(reason.to_owned(), hold);
                    }
                    None => out.unreadable.push(key.to_owned()),
                }
            }
        }
        out
    }

    fn live(&self, now: DateTime<Utc>) -> impl Iterator<Item = (&String, &Hold)> {
        self.holds.iter().filter(move |(_, h)| h.is_live(now))
    }

    fn expired(&self, now: DateTime<Utc>) -> impl Iterator<Item = &String> {
        self.holds
            .iter()
            .filter(move |(_, h)| !h.is_live(now))
            .map(|(reason, _)| reason)
    }

    /// The MinCapacity to return to once no hold is left. Without any hold the current
    /// MinCapacity is the baseline (an operator may have changed it since the last remediation).
    fn baseline(&self, current: Capacity) -> u32 {
        if self.holds.is_empty() {
            current.min
        } else {
            self.baseline.unwrap_or(current.min)
        }
    }
}

pub fn baseline_key(variant: &str) -> String {
    format!("{TAG_PREFIX}{variant}:baseline")
}

pub fn hold_key(variant: &str, reason: &str) -> String {
    format!("{TAG_PREFIX}{variant}:hold:{reason}")
}

/// The hold reason for a latency alarm: its name, made safe for a tag key. A name that had to
/// be changed or shortened gets a hash suffix so two alarms never share a hold.
pub fn alarm_reason(variant: &str, alarm_name: &str) -> String {
    tag_safe_reason(ALARM_REASON_PREFIX, variant, alarm_name)
}

/// The hold reason for a pre-warm of the named event (`event.<name>`), made safe for a tag key
/// the same way as [`alarm_reason`].
pub fn event_reason(variant: &str, event_name: &str) -> String {
    tag_safe_reason(EVENT_REASON_PREFIX, variant, event_name)
}

fn tag_safe_reason(prefix: &str, variant: &str, name: &str) -> String {
    let clean = sanitize(name);
    let room = MAX_TAG_KEY.saturating_sub(hold_key(variant, prefix).len());
    if clean == name && clean.len() <= room {
        return format!("{prefix}{clean}");
    }
    let hash = format!("@{:08x}", fnv1a(name) as u32);
    let keep = room.saturating_sub(hash.len());
    let short: String = clean.chars().take(keep).collect();
    format!("{prefix}{short}{hash}")
}

/// Keep what SageMaker tags accept (letters, digits, `_ . : / = + - @`), replace the rest.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a decision did, or would do, to one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// The writes a decision needs, in the order they must happen: tags first (so a hold is
/// recorded before capacity depends on it), then the scalable target, then tag removals (so a
/// hold is only forgotten once capacity no longer depends on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    pub old_min: u32,
    pub new_min: u32,
    /// Set when MaxCapacity changes too (a pre-warm asked to raise it).
    pub new_max: Option<u32>,
    /// The MinCapacity without any hold, as this decision saw it (see [`reconcile`]).
    pub baseline: u32,
    pub reason: String,
    pub put_tags: Vec<(String, String)>,
    pub delete_tags: Vec<String>,
}

impl Plan {
    fn unchanged(current: Capacity, action: Action, reason: String) -> Plan {
        Plan {
            action,
            old_min: current.min,
            new_min: current.min,
            new_max: None,
            baseline: current.min,
            reason,
            put_tags: Vec::new(),
            delete_tags: Vec::new(),
        }
    }

    /// Whether the scalable target must be written.
    pub fn changes_capacity(&self) -> bool {
        self.new_min != self.old_min || self.new_max.is_some()
    }

    pub fn writes_anything(&self) -> bool {
        self.changes_capacity() || !self.put_tags.is_empty() || !self.delete_tags.is_empty()
    }

    /// How to check the result once this plan is applied (see [`Recheck`]).
    pub fn recheck(&self) -> Recheck {
        if !self.delete_tags.is_empty() {
            Recheck::TargetFirst
        } else if self.changes_capacity() {
            Recheck::TagsFirst
        } else if !self.put_tags.is_empty() {
            Recheck::Both
        } else {
            Recheck::Nothing
        }
    }

    /// Record that [`reconcile`] put MinCapacity back to `min` after this plan was applied.
    pub fn repaired(&mut self, min: u32) {
        self.new_min = min;
        self.action = if min == self.old_min {
            Action::Unchanged
        } else if min > self.old_min {
            Action::Raised
        } else {
            Action::Restored
        };
        let _ = write!(
            self.reason,
            "; a concurrent decision changed the holds meanwhile: MinCapacity set to {min}, \
             what the recorded holds justify"
        );
    }
}

/// A latency raise: MinCapacity up by `step`, capped, once per alarm transition and cooldown.
#[derive(Debug, Clone)]
pub struct StepRaise<'a> {
    pub variant: &'a str,
    pub reason: &'a str,
    pub step: u32,
    pub ceiling: Option<u32>,
    pub cooldown: Duration,
    pub hold_for: Duration,
    pub trigger: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// Instances the current load needs (`SCALE_MODE=demand`): the raise goes at least there.
    pub demand: Option<&'a Sizing>,
}

pub fn plan_step_raise(req: &StepRaise<'_>, current: Capacity, holds: &VariantHolds) -> Plan {
    let now = req.now;
    if let (Some(existing), Some(trigger)) = (holds.holds.get(req.reason), req.trigger) {
        if existing.is_live(now) && existing.trigger.as_deref() == Some(sanitize(trigger).as_str())
        {
            if current.min < existing.min {
                let mut plan = Plan::unchanged(
                    current,
                    Action::Raised,
                    format!(
                        "re-applied MinCapacity {} from the hold of {trigger}, which an earlier \
                         attempt recorded but did not finish",
                        existing.min
                    ),
                );
                plan.new_min = existing.min.min(current.max);
                return plan;
            }
            return Plan::unchanged(
                current,
                Action::Unchanged,
                format!(
                    "duplicate delivery of {trigger}: already raised to {}",
                    existing.min
                ),
            );
        }
    }
    let cooldown = chrono::Duration::from_std(req.cooldown).unwrap_or(chrono::Duration::zero());
    if let Some((_, recent)) = holds
        .live(now)
        .filter(|(reason, _)| reason.starts_with(ALARM_REASON_PREFIX))
        .filter(|(_, h)| h.since + cooldown > now)
        .max_by_key(|(_, h)| h.since)
    {
        return Plan::unchanged(
            current,
            Action::Refused,
            format!(
                "cooldown: raised at {}, next raise allowed after {} (SCALE_COOLDOWN_SECONDS={})",
                rfc3339(recent.since),
                rfc3339(recent.since + cooldown),
                req.cooldown.as_secs()
            ),
        );
    }
    let cap = req.ceiling.map_or(current.max, |c| c.min(current.max));
    let stepped = current.min.saturating_add(req.step);
    let wanted = req.demand.map_or(stepped, |d| d.instances.max(stepped));
    let target = wanted.min(cap);
    if target <= current.min {
        let limit = match req.ceiling {
            Some(c) if c < current.max => format!("SCALE_CEILING={c}"),
            _ => format!("MaxCapacity={}", current.max),
        };
        return Plan::unchanged(
            current,
            Action::Refused,
            format!(
                "at ceiling: MinCapacity {} cannot rise past {limit}",
                current.min
            ),
        );
    }
    let hold = Hold {
        min: target,
        until: now + chrono::Duration::from_std(req.hold_for).unwrap_or(chrono::Duration::hours(3)),
        since: now,
        trigger: req.trigger.map(str::to_owned),
    };
    let capped = if target < wanted {
        format!(" (capped at {cap})")
    } else {
        String::new()
    };
    let step = format!("MinCapacity {} + step {}", current.min, req.step);
    let why = match req.demand {
        Some(d) if d.instances > stepped => format!("demand: {}{capped}", d.explanation),
        Some(d) => format!(
            "demand: {}; at least one step: {step}{capped}",
            d.explanation
        ),
        None => format!("{step}{capped}"),
    };
    put_hold(req.variant, req.reason, hold, current, holds, why)
}

/// Record `hold` under `reason` and raise MinCapacity to it (never lowering). Expired holds
/// are dropped on the way.
pub fn put_hold(
    variant: &str,
    reason: &str,
    hold: Hold,
    current: Capacity,
    holds: &VariantHolds,
    why: String,
) -> Plan {
    let now = hold.since;
    let mut put_tags = Vec::new();
    if holds.holds.is_empty() || holds.baseline.is_none() {
        put_tags.push((baseline_key(variant), holds.baseline(current).to_string()));
    }
    let new_min = current.min.max(hold.min);
    put_tags.push((hold_key(variant, reason), hold.encode()));
    Plan {
        action: if new_min > current.min {
            Action::Raised
        } else {
            Action::Unchanged
        },
        old_min: current.min,
        new_min,
        new_max: None,
        baseline: holds.baseline(current),
        reason: why,
        put_tags,
        delete_tags: stale_keys(variant, holds, now, Some(reason)),
    }
}

/// Remove the hold `reason` (or, with `None`, only expired holds) and bring MinCapacity back
/// to max(baseline, remaining live holds).
pub fn plan_release(
    variant: &str,
    reason: Option<&str>,
    current: Capacity,
    holds: &VariantHolds,
    now: DateTime<Utc>,
) -> Plan {
    let mut delete_tags = stale_keys(variant, holds, now, None);
    let released = reason.filter(|r| holds.holds.contains_key(*r));
    if let Some(r) = released {
        let key = hold_key(variant, r);
        if !delete_tags.contains(&key) {
            delete_tags.push(key);
        }
    }
    if delete_tags.is_empty() {
        let what = reason.map_or("no expired hold".to_owned(), |r| format!("no hold {r}"));
        return Plan::unchanged(
            current,
            Action::Unchanged,
            format!("{what}: nothing to restore"),
        );
    }
    let baseline = holds.baseline(current);
    let remaining: Vec<(&String, &Hold)> = holds
        .live(now)
        .filter(|(r, _)| Some(r.as_str()) != released)
        .collect();
    if remaining.is_empty() {
        delete_tags.push(baseline_key(variant));
    }
    let (top_reason, top) = remaining
        .iter()
        .map(|(r, h)| (Some(r.as_str()), h.min))
        .fold(
            (None, baseline),
            |best, cand| if cand.1 > best.1 { cand } else { best },
        );
    let desired = top.min(current.max);
    let why = match top_reason {
        Some(r) => format!("hold {r} keeps MinCapacity at {desired}"),
        None => format!("back to baseline {baseline}"),
    };
    Plan {
        action: if desired == current.min {
            Action::Unchanged
        } else {
            Action::Restored
        },
        old_min: current.min,
        new_min: desired,
        new_max: None,
        baseline,
        reason: why,
        put_tags: Vec::new(),
        delete_tags,
    }
}

/// The check after a plan was applied, with the variant's tags and target read again: the
/// MinCapacity to put back when the target is above everything the tags justify, or `None`.
///
/// Tags and the scalable target live in two services without conditional writes, so two
/// decisions on one variant can interleave. The harmful interleaving is a raise that records
/// its hold, a concurrent release that deletes that hold (having read the target before the
/// raise wrote it), and then the raise's RegisterScalableTarget landing last: capacity raised
/// with no hold left to ever release it. Both sides run this check after their last write, so
/// whichever finishes last sees the final tags and target and lowers the target to max(the
/// baseline it knew, the baseline tag, every recorded hold, expired ones included). The result
/// is the state of one order or the other (release last: back to the baseline). The check only
/// ever lowers: raising here could race a release in the same way. A hold left above its
/// capacity is repaired by the next delivery of its event (a retried raise re-applies its
/// recorded hold), so that direction is safe to leave. Production also runs scale-on-latency
/// with reserved concurrency 1, which removes most of these races between its own
/// invocations; prewarm and the sweep can still overlap with it, so the core does not rely on it.
pub fn reconcile(baseline: u32, after: Capacity, holds: &VariantHolds) -> Option<u32> {
    let justified = justified(baseline, holds).min(after.max);
    (after.min > justified).then_some(justified)
}

/// The highest MinCapacity the recorded holds (expired ones included) and baselines justify.
pub fn justified(baseline: u32, holds: &VariantHolds) -> u32 {
    holds
        .holds
        .values()
        .map(|h| h.min)
        .chain(holds.baseline)
        .fold(baseline, u32::max)
}

/// What the check after applying a plan reads first. It only has to catch a final state whose
/// MinCapacity is above what the final tags justify, and the decision whose write lands last
/// (tag additions aside, which only ever justify more) is the one that sees that state:
/// - its last write removed tags: the target cannot change after it, so read the target, and
///   only when it is above the baseline read the tags too;
/// - its last write was the target: no tag can be removed after it, so read the tags, and only
///   when they no longer justify the MinCapacity it wrote read the target too;
/// - it only wrote tags (a hold or baseline recorded or rewritten, capacity unchanged): read both,
///   since a rewrite can justify less than before.
///
/// A decision whose write does not land last leaves the check to the one whose write does. The
/// common raise and restore thus make one read after writing instead of two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recheck {
    Nothing,
    TargetFirst,
    TagsFirst,
    Both,
}

/// Tag keys to remove because their hold expired or could not be read (`keep` is rewritten).
fn stale_keys(
    variant: &str,
    holds: &VariantHolds,
    now: DateTime<Utc>,
    keep: Option<&str>,
) -> Vec<String> {
    holds
        .expired(now)
        .filter(|r| Some(r.as_str()) != keep)
        .map(|r| hold_key(variant, r))
        .chain(holds.unreadable.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const NOW: &str = "2026-11-28T12:00:00Z";
    const V: &str = "AllTraffic";

    fn raise<'a>(trigger: Option<&'a str>) -> StepRaise<'a> {
        StepRaise {
            variant: V,
            reason: "alarm.latency",
            step: 2,
            ceiling: None,
            cooldown: Duration::from_secs(300),
            hold_for: Duration::from_secs(3 * 3600),
            trigger,
            now: t(NOW),
            demand: None,
        }
    }

    fn cap(min: u32, max: u32) -> Capacity {
        Capacity { min, max }
    }

    /// Apply a plan's tag writes to a tag map, as the adapter would.
    fn apply(tags: &mut BTreeMap<String, String>, plan: &Plan) {
        for (k, v) in &plan.put_tags {
            tags.insert(k.clone(), v.clone());
        }
        for k in &plan.delete_tags {
            tags.remove(k);
        }
    }

    fn holds_of(tags: &BTreeMap<String, String>) -> VariantHolds {
        VariantHolds::from_tags(V, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    #[test]
    fn hold_round_trips_through_a_tag_value() {
        let hold = Hold {
            min: 12,
            until: t("2026-11-28T15:00:00Z"),
            since: t(NOW),
            trigger: Some("ALARM@2026-11-28T11:59:00.000Z".into()),
        };
        let encoded = hold.encode();
        assert!(encoded.len() <= 256);
        assert!(encoded
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c)));
        assert_eq!(Hold::decode(&encoded), Some(hold));
        assert_eq!(
            Hold::decode("min=0 until=2026-11-28T15:00:00Z since=x"),
            None
        );
        assert_eq!(Hold::decode("garbage"), None);
    }

    #[test]
    fn first_raise_records_baseline_and_hold() {
        let plan = plan_step_raise(&raise(Some("a1")), cap(2, 20), &VariantHolds::default());
        assert_eq!(
            (plan.action, plan.old_min, plan.new_min),
            (Action::Raised, 2, 4)
        );
        assert_eq!(plan.put_tags[0], (baseline_key(V), "2".into()));
        assert_eq!(plan.put_tags[1].0, hold_key(V, "alarm.latency"));
        assert!(plan.put_tags[1]
            .1
            .starts_with("min=4 until=2026-11-28T15:00:00Z"));
        assert!(plan.delete_tags.is_empty());
    }

    #[test]
    fn raise_is_capped_by_ceiling_and_max() {
        let mut req = raise(None);
        req.ceiling = Some(5);
        let plan = plan_step_raise(&req, cap(4, 20), &VariantHolds::default());
        assert_eq!(plan.new_min, 5);
        assert!(plan.reason.contains("capped at 5"), "{}", plan.reason);
        req.ceiling = Some(50);
        let plan = plan_step_raise(&req, cap(19, 20), &VariantHolds::default());
        assert_eq!(plan.new_min, 20);
        let plan = plan_step_raise(&req, cap(20, 20), &VariantHolds::default());
        assert_eq!((plan.action, plan.new_min), (Action::Refused, 20));
        assert!(plan.reason.contains("MaxCapacity=20"), "{}", plan.reason);
        assert!(!plan.writes_anything());
    }

    #[test]
    fn demand_raises_to_what_the_load_needs_but_at_least_one_step() {
        let spike = Sizing {
            instances: 10,
            explanation: "120 req/s x 0.25 s = 30 in flight; 4 per instance -> 8; +20% -> 10"
                .into(),
        };
        let mut req = raise(Some("t1"));
        req.demand = Some(&spike);
        let plan = plan_step_raise(&req, cap(2, 20), &VariantHolds::default());
        assert_eq!((plan.action, plan.new_min), (Action::Raised, 10));
        assert_eq!(plan.reason, format!("demand: {}", spike.explanation));

        let small = Sizing {
            instances: 1,
            explanation: "1 req/s x 0.1 s = 0.1 in flight".into(),
        };
        req.demand = Some(&small);
        let plan = plan_step_raise(&req, cap(2, 20), &VariantHolds::default());
        assert_eq!(plan.new_min, 4);
        assert!(
            plan.reason
                .ends_with("at least one step: MinCapacity 2 + step 2"),
            "{}",
            plan.reason
        );

        req.demand = Some(&spike);
        req.ceiling = Some(7);
        let plan = plan_step_raise(&req, cap(2, 20), &VariantHolds::default());
        assert_eq!(plan.new_min, 7);
        assert!(plan.reason.ends_with("(capped at 7)"), "{}", plan.reason);
        let plan = plan_step_raise(&req, cap(2, 5), &VariantHolds::default());
        assert_eq!(plan.new_min, 5);
    }

    #[test]
    fn ceiling_below_current_never_lowers() {
        let mut req = raise(None);
        req.ceiling = Some(3);
        let plan = plan_step_raise(&req, cap(6, 20), &VariantHolds::default());
        assert_eq!((plan.action, plan.new_min), (Action::Refused, 6));
        assert!(plan.reason.contains("SCALE_CEILING=3"), "{}", plan.reason);
    }

    #[test]
    fn duplicate_trigger_does_not_raise_twice_even_without_cooldown() {
        let mut req = raise(Some("ALARM@x"));
        req.cooldown = Duration::ZERO;
        let mut tags = BTreeMap::new();
        let first = plan_step_raise(&req, cap(2, 20), &holds_of(&tags));
        apply(&mut tags, &first);
        let second = plan_step_raise(&req, cap(first.new_min, 20), &holds_of(&tags));
        assert_eq!((second.action, second.new_min), (Action::Unchanged, 4));
        assert!(!second.writes_anything());
        // A recorded hold whose capacity write never happened is completed, not skipped.
        let repair = plan_step_raise(&req, cap(2, 20), &holds_of(&tags));
        assert_eq!((repair.action, repair.new_min), (Action::Raised, 4));
        assert!(repair.put_tags.is_empty());
    }

    #[test]
    fn cooldown_refuses_a_second_raise_then_allows_it() {
        let mut tags = BTreeMap::new();
        let first = plan_step_raise(&raise(Some("t1")), cap(2, 20), &holds_of(&tags));
        apply(&mut tags, &first);
        let mut req = raise(Some("t2"));
        req.now = t(NOW) + chrono::Duration::seconds(299);
        let plan = plan_step_raise(&req, cap(4, 20), &holds_of(&tags));
        assert_eq!(plan.action, Action::Refused);
        assert!(plan.reason.contains("cooldown"), "{}", plan.reason);
        req.now = t(NOW) + chrono::Duration::seconds(301);
        let plan = plan_step_raise(&req, cap(4, 20), &holds_of(&tags));
        assert_eq!((plan.action, plan.new_min), (Action::Raised, 6));
        // The baseline is not rewritten by a later raise.
        assert!(plan.put_tags.iter().all(|(k, _)| *k != baseline_key(V)));
    }

    #[test]
    fn release_restores_baseline_and_clears_tags() {
        let mut tags = BTreeMap::new();
        let first = plan_step_raise(&raise(Some("t1")), cap(2, 20), &holds_of(&tags));
        apply(&mut tags, &first);
        let plan = plan_release(
            V,
            Some("alarm.latency"),
            cap(4, 20),
            &holds_of(&tags),
            t(NOW),
        );
        assert_eq!((plan.action, plan.new_min), (Action::Restored, 2));
        apply(&mut tags, &plan);
        assert!(tags.is_empty(), "{tags:?}");
        // A second OK finds nothing to do.
        let again = plan_release(
            V,
            Some("alarm.latency"),
            cap(2, 20),
            &holds_of(&tags),
            t(NOW),
        );
        assert_eq!(again.action, Action::Unchanged);
        assert!(!again.writes_anything());
    }

    #[test]
    fn release_keeps_other_live_holds() {
        let mut tags = BTreeMap::new();
        let promo = Hold {
            min: 10,
            until: t("2026-11-28T18:00:00Z"),
            since: t(NOW),
            trigger: None,
        };
        let prewarm = put_hold(
            V,
            "event.promo",
            promo,
            cap(2, 20),
            &holds_of(&tags),
            "promo".into(),
        );
        apply(&mut tags, &prewarm);
        let latency = plan_step_raise(&raise(Some("t1")), cap(10, 20), &holds_of(&tags));
        assert_eq!(latency.new_min, 12);
        apply(&mut tags, &latency);
        let plan = plan_release(
            V,
            Some("alarm.latency"),
            cap(12, 20),
            &holds_of(&tags),
            t(NOW),
        );
        assert_eq!((plan.action, plan.new_min), (Action::Restored, 10));
        assert!(plan.reason.contains("event.promo"), "{}", plan.reason);
        assert!(!plan.delete_tags.contains(&baseline_key(V)));
        assert_eq!(tags.get(&baseline_key(V)).map(String::as_str), Some("2"));
    }

    #[test]
    fn expired_hold_is_dropped_and_capacity_comes_back() {
        let mut tags = BTreeMap::new();
        let first = plan_step_raise(&raise(Some("t1")), cap(2, 20), &holds_of(&tags));
        apply(&mut tags, &first);
        let later = t(NOW) + chrono::Duration::hours(4);
        let sweep = plan_release(V, None, cap(4, 20), &holds_of(&tags), later);
        assert_eq!((sweep.action, sweep.new_min), (Action::Restored, 2));
        apply(&mut tags, &sweep);
        assert!(tags.is_empty(), "{tags:?}");
        // And a new alarm after expiry raises from the current minimum again.
        let mut req = raise(Some("t2"));
        req.now = later;
        assert_eq!(
            plan_step_raise(&req, cap(2, 20), &holds_of(&tags)).new_min,
            4
        );
    }

    #[test]
    fn restore_never_goes_above_max() {
        let mut holds = VariantHolds::from_tags(V, [(baseline_key(V).as_str(), "8")]);
        holds.holds.insert(
            "alarm.x".into(),
            Hold {
                min: 10,
                until: t("2026-11-28T18:00:00Z"),
                since: t(NOW),
                trigger: None,
            },
        );
        let plan = plan_release(V, Some("alarm.x"), cap(10, 6), &holds, t(NOW));
        assert_eq!(plan.new_min, 6);
    }

    #[test]
    fn unreadable_tags_are_reported_and_cleaned() {
        let key = hold_key(V, "alarm.bad");
        let holds = VariantHolds::from_tags(V, [(key.as_str(), "min=banana")]);
        assert_eq!(holds.unreadable, vec![key.clone()]);
        let plan = plan_step_raise(&raise(None), cap(2, 20), &holds);
        assert!(plan.delete_tags.contains(&key));
    }

    #[test]
    fn reconcile_lowers_a_raise_whose_hold_a_concurrent_release_deleted() {
        let mut tags = BTreeMap::new();
        let raise = plan_step_raise(&raise(Some("t1")), cap(2, 20), &holds_of(&tags));
        // The raise records its hold; a release reads it with the target still at 2 ...
        for (k, v) in &raise.put_tags {
            tags.insert(k.clone(), v.clone());
        }
        let release = plan_release(
            V,
            Some("alarm.latency"),
            cap(2, 20),
            &holds_of(&tags),
            t(NOW),
        );
        assert!(!release.changes_capacity());
        apply(&mut tags, &release);
        // ... and deletes it before the raise's target write lands.
        let after = cap(raise.new_min, 20);
        assert_eq!(reconcile(raise.baseline, after, &holds_of(&tags)), Some(2));
        assert_eq!(
            reconcile(release.baseline, after, &holds_of(&tags)),
            Some(2)
        );
        let mut repaired = raise.clone();
        repaired.repaired(2);
        assert_eq!((repaired.action, repaired.new_min), (Action::Unchanged, 2));
        assert!(
            repaired.reason.contains("concurrent decision"),
            "{}",
            repaired.reason
        );
        // With the hold in place (or another one keeping it up) nothing is lowered.
        let mut held = BTreeMap::new();
        apply(&mut held, &raise);
        assert_eq!(reconcile(raise.baseline, after, &holds_of(&held)), None);
        assert_eq!(reconcile(2, cap(2, 20), &holds_of(&tags)), None);
    }

    #[test]
    fn the_check_after_a_plan_starts_with_what_its_last_write_can_have_left_wrong() {
        let mut tags = BTreeMap::new();
        let raise = plan_step_raise(&raise(Some("t1")), cap(2, 20), &holds_of(&tags));
        // AddTags, RegisterScalableTarget: no tag can be removed after the target write.
        assert_eq!(raise.recheck(), Recheck::TagsFirst);
        apply(&mut tags, &raise);
        assert!(justified(raise.baseline, &holds_of(&tags)) >= raise.new_min);
        let release = plan_release(
            V,
            Some("alarm.latency"),
            cap(4, 20),
            &holds_of(&tags),
            t(NOW),
        );
        // RegisterScalableTarget, DeleteTags: the target cannot change after the removal.
        assert_eq!(release.recheck(), Recheck::TargetFirst);
        assert_eq!(release.new_min, release.baseline);
        apply(&mut tags, &release);
        assert_eq!(justified(raise.baseline, &holds_of(&tags)), 2);
        // A hold rewritten with capacity unchanged may justify less than before: read both.
        let rewrite = Plan {
            put_tags: raise.put_tags.clone(),
            ..Plan::unchanged(cap(4, 20), Action::Raised, String::new())
        };
        assert_eq!(rewrite.recheck(), Recheck::Both);
        let nothing = Plan::unchanged(cap(4, 20), Action::Unchanged, String::new());
        assert_eq!(nothing.recheck(), Recheck::Nothing);
    }

    #[test]
    fn alarm_reasons_fit_tag_keys_and_stay_distinct() {
        let long = "x".repeat(300);
        let variant = "v".repeat(63);
        for name in ["p99 latency > 200ms", long.as_str(), "plain-name"] {
            let reason = alarm_reason(&variant, name);
            let key = hold_key(&variant, &reason);
            assert!(key.len() <= MAX_TAG_KEY, "{key}");
            assert!(key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:/=+-@".contains(c)));
        }
        assert_eq!(alarm_reason(V, "plain-name"), "alarm.plain-name");
        assert_ne!(alarm_reason(V, "a b"), alarm_reason(V, "a_b"));
    }

    #[test]
    fn event_reasons_fit_tag_keys_and_stay_distinct() {
        assert_eq!(event_reason(V, "promo"), "event.promo");
        assert_eq!(
            event_reason(V, "black-friday_2026"),
            "event.black-friday_2026"
        );
        let spaced = event_reason(V, "Black Friday!");
        assert!(spaced.starts_with("event.Black_Friday_@"), "{spaced}");
        assert_ne!(spaced, event_reason(V, "Black Friday?"));
        let long = "y".repeat(300);
        let variant = "v".repeat(63);
        let key = hold_key(&variant, &event_reason(&variant, &long));
        assert_eq!(key.len(), MAX_TAG_KEY, "{key}");
        assert!(key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:/=+-@".contains(c)));
        assert_ne!(event_reason(V, "promo"), alarm_reason(V, "promo"));
    }
}
