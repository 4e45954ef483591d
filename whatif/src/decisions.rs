//! The only module that calls the functions' decision code: the capacity core's one decision
//! (`remediation::decide`), demand sizing (`remediation::demand`) and prewarm's calendar
//! (`prewarm::calendar`). The simulation sees a narrow interface of its own (MinCapacity in,
//! MinCapacity out; a calendar in, scheduled MinCapacity changes out), so when the core's
//! signatures change, only this file changes.
//!
//! Holds are kept exactly as the functions keep them: as the endpoint's tags, in a map that
//! each decision reads with `VariantHolds::from_tags` and each plan writes to, beside the
//! variant's record (what the lease item stores).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prewarm::calendar::Schedule;
use remediation::decide::{decide, AlarmChange, Change, MaxBack, Plan, ScalePolicy, View};
use remediation::demand::{self, DemandConfig, DemandMetrics};
use remediation::holds::{Capacity, VariantHolds};
use remediation::record::Record;
use serde_json::Value;

/// The variant every simulated decision is about.
pub const VARIANT: &str = "AllTraffic";

/// scale-on-latency's settings, as its environment variables would give them.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRules {
    /// `SCALE_STEP`
    pub step: u32,
    /// `SCALE_CEILING`
    pub ceiling: Option<u32>,
    /// `SCALE_COOLDOWN_SECONDS`
    pub cooldown: Duration,
    /// `SCALE_HOLD_SECONDS`
    pub hold: Duration,
    /// `SCALE_MODE=demand` with its sizing settings; `None`: a fixed step.
    pub demand: Option<DemandRule>,
}

/// `SCALE_CONCURRENCY_PER_INSTANCE`, `SCALE_HEADROOM`, `SCALE_TARGET_INVOCATIONS_PER_INSTANCE`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandRule {
    pub concurrency_per_instance: Option<f64>,
    pub headroom: f64,
    pub target_invocations_per_instance: Option<f64>,
}

/// One minute of the variant's CloudWatch metrics, as demand sizing reads them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteMetrics {
    /// `Invocations` (Sum)
    pub invocations: f64,
    /// `ModelLatency` (Average), in milliseconds; `None` in a minute without requests.
    pub latency_ms: Option<f64>,
    /// `InvocationsPerInstance` (Sum)
    pub per_instance: f64,
}

/// What one decision did to MinCapacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub new_min: u32,
    /// Set when MaxCapacity changes too (the end of an event that raised it).
    pub new_max: Option<u32>,
    /// `raised`, `restored`, `unchanged` or `refused`, as the audit message says.
    pub action: &'static str,
    pub reason: String,
}

/// The latency holds of one variant and the alarm that sets them.
#[derive(Debug, Clone)]
pub struct LatencyHolds {
    rules: LatencyRules,
    alarm: String,
    tags: BTreeMap<String, String>,
    record: Record,
}

impl LatencyHolds {
    pub fn new(alarm_name: &str, rules: LatencyRules) -> Self {
        LatencyHolds {
            alarm: alarm_name.to_owned(),
            rules,
            tags: BTreeMap::new(),
            record: Record::default(),
        }
    }

    /// An ALARM transition at `now` (`trigger` identifies it, as `Alarm::transition_id` does);
    /// `recent` are the last minutes of metrics, oldest first (used in demand mode).
    pub fn alarm(
        &mut self,
        now: DateTime<Utc>,
        (min, max): (u32, u32),
        trigger: &str,
        recent: &[MinuteMetrics],
    ) -> Decision {
        let sizing = self
            .rules
            .demand
            .as_ref()
            .map(|rule| demand::size(&window(recent), &config(rule)));
        let policy = self.policy();
        let change = Change::Alarm(AlarmChange {
            name: &self.alarm,
            firing: true,
            at: Some(now),
            trigger: Some(trigger),
            policy: &policy,
            demand: sizing.as_ref(),
        });
        let plan = self.decide(&change, now, (min, max));
        self.apply(plan)
    }

    /// An OK transition: the alarm's hold is released.
    pub fn ok(&mut self, now: DateTime<Utc>, (min, max): (u32, u32)) -> Decision {
        let policy = self.policy();
        let change = Change::Alarm(AlarmChange {
            name: &self.alarm,
            firing: false,
            at: Some(now),
            trigger: None,
            policy: &policy,
            demand: None,
        });
        let plan = self.decide(&change, now, (min, max));
        self.apply(plan)
    }

    /// The scheduled sweep: expired holds are released.
    pub fn sweep(&mut self, now: DateTime<Utc>, (min, max): (u32, u32)) -> Decision {
        let plan = self.decide(&Change::Sweep, now, (min, max));
        self.apply(plan)
    }

    /// A calendar event's end, as prewarm's `end` decides it: back to `baseline` (and
    /// MaxCapacity back as `end_max` says when the event raised it), above it what live holds
    /// keep.
    pub fn calendar_end(
        &mut self,
        now: DateTime<Utc>,
        (min, max): (u32, u32),
        event: &str,
        (baseline, end_max): (u32, Option<MaxBack>),
    ) -> Decision {
        let change = Change::CalendarEnd {
            event,
            baseline,
            max: end_max,
            alarm_hold: chrono::Duration::from_std(self.rules.hold)
                .unwrap_or(chrono::Duration::hours(3)),
        };
        let plan = self.decide(&change, now, (min, max));
        self.apply(plan)
    }

    fn policy(&self) -> ScalePolicy {
        ScalePolicy {
            step: self.rules.step,
            ceiling: self.rules.ceiling,
            cooldown: self.rules.cooldown,
            hold_for: self.rules.hold,
        }
    }

    fn decide(&self, change: &Change<'_>, now: DateTime<Utc>, (min, max): (u32, u32)) -> Plan {
        decide(
            change,
            &View {
                variant: VARIANT,
                current: Capacity { min, max },
                holds: &self.holds(),
                record: &self.record,
                now,
            },
        )
    }

    /// Whether any hold is recorded (the sweep only looks at endpoints that have one).
    pub fn has_holds(&self) -> bool {
        !self.tags.is_empty()
    }

    fn holds(&self) -> VariantHolds {
        VariantHolds::from_tags(
            VARIANT,
            self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }

    /// Apply a plan's writes in the order the capacity client does: tags, target, removals.
    fn apply(&mut self, plan: Plan) -> Decision {
        for (key, value) in &plan.put_tags {
            self.tags.insert(key.clone(), value.clone());
        }
        for key in &plan.delete_tags {
            self.tags.remove(key);
        }
        self.record = plan.record.clone();
        Decision {
            new_min: plan.new_min,
            new_max: plan.new_max,
            action: plan.action.as_str(),
            reason: plan.reason,
        }
    }
}

fn config(rule: &DemandRule) -> DemandConfig {
    DemandConfig {
        concurrency_per_instance: rule.concurrency_per_instance,
        headroom: rule.headroom,
        target_invocations_per_instance: rule.target_invocations_per_instance,
    }
}

/// The last `WINDOW_MINUTES` minutes as GetMetricData returns them: a minute without requests
/// has no `ModelLatency` datapoint.
fn window(recent: &[MinuteMetrics]) -> DemandMetrics {
    let from = recent.len().saturating_sub(demand::WINDOW_MINUTES as usize);
    let recent = &recent[from..];
    DemandMetrics {
        invocations: recent.iter().map(|m| m.invocations).collect(),
        model_latency_us: recent
            .iter()
            .filter_map(|m| m.latency_ms.map(|l| l * 1000.0))
            .collect(),
        invocations_per_instance: recent.iter().map(|m| m.per_instance).collect(),
    }
}

/// The number of minutes of metrics demand sizing reads.
pub fn demand_window_minutes() -> usize {
    demand::WINDOW_MINUTES as usize
}

/// One scheduled action prewarm's `sync-calendar` would put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledChange {
    pub name: String,
    /// `at(...)` or `cron(...)`, as Application Auto Scaling receives it.
    pub schedule: String,
    /// IANA zone of the schedule.
    pub timezone: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// A recurring action's `StartTime`: it does not run before.
    pub start: Option<DateTime<Utc>>,
}

/// When a scheduled action of the calendar runs, as prewarm reads it back: `at(...)` once,
/// `cron(...)` at every matching minute in `zone` (its day fields read by prewarm's own cron
/// reader).
pub fn schedule(expression: &str, zone: &str) -> Result<Schedule, String> {
    Schedule::parse(expression, zone)
}

/// The scheduled actions prewarm's `sync-calendar` would create for `calendar` (its JSON, a
/// list or `{"calendar": [...]}`), synced at `now` for a variant with MinCapacity `min` and
/// MaxCapacity `max`, plus the notes prewarm would report. A calendar a sync would refuse is
/// refused; errors are prewarm's own messages, which name the entry and field.
pub fn calendar_actions(
    calendar: &Value,
    now: DateTime<Utc>,
    (min, max): (u32, u32),
) -> Result<(Vec<ScheduledChange>, Vec<String>), String> {
    let entries = prewarm::calendar::parse(calendar).map_err(|e| e.to_string())?;
    // What a sync refuses (overlaps, the horizon, days a recurrence cannot express) is refused.
    prewarm::calendar::check(&entries, now).map_err(|e| e.to_string())?;
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let timing = prewarm::calendar::timing(entry, now)
            .map_err(|e| format!("calendar[{i}] ({}): {e}", entry.name))?;
        let prewarm::calendar::Timing::Scheduled {
            raise,
            restore,
            note,
        } = timing
        else {
            notes.push(format!(
                "{}: over before the trace starts, no action",
                entry.name
            ));
            continue;
        };
        notes.extend(note.map(|n| format!("{}: {n}", entry.name)));
        let variant = entry.variant.as_deref().unwrap_or(VARIANT);
        let resource = format!("endpoint/{}/variant/{variant}", entry.endpoint);
        let (actions, note) = prewarm::calendar::actions(
            entry,
            (&resource, "sagemaker:variant:DesiredInstanceCount"),
            &raise,
            &restore,
            Capacity { min, max },
            None,
            min,
        );
        notes.extend(note.map(|n| format!("{}: {n}", entry.name)));
        changes.extend(actions.into_iter().map(|a| ScheduledChange {
            name: a.name,
            schedule: a.schedule,
            timezone: a.timezone.unwrap_or_else(|| "Etc/UTC".to_owned()),
            min: a.min_capacity,
            max: a.max_capacity,
            start: a.start_time,
        }));
    }
    Ok((changes, notes))
}
