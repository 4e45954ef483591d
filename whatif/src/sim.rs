//! The replay: one policy over the whole trace, minute by minute.
//!
//! Each minute: boots that finished start serving; scheduled actions due run (pre-warm); the
//! minute's requests are served (`queue`); then, at the end of the minute, the latency alarm
//! is evaluated and its transitions go through scale-on-latency's decision (`decisions`), the
//! sweep releases expired holds, and target tracking looks at the minute's metric (`aas`).
//! Capacity decided at the end of a minute starts booting then.

use std::collections::{BTreeMap, VecDeque};

use remediation::decide::MaxBack;
use serde::Serialize;

use crate::aas::{Fleet, TrackingState};
use crate::decisions::{Decision, LatencyHolds, MinuteMetrics};
use crate::model::{AlarmMode, Model, Policy};
use crate::queue;
use crate::trace::Trace;

/// The name of the simulated latency alarm (its hold reason is `alarm.<name>`).
pub const ALARM_NAME: &str = "whatif-model-latency-p99";
/// At most this many events are kept per policy for the report.
const MAX_EVENTS: usize = 500;

/// A scheduled change of the scalable target at a minute of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    pub minute: usize,
    pub name: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

/// One minute of one policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Row {
    pub arrivals: u64,
    pub min_capacity: u32,
    pub desired: u32,
    pub in_service: u32,
    pub provisioned: u32,
    pub p99_ms: Option<f64>,
    pub late: f64,
    pub backlog: f64,
    pub violation: bool,
}

/// Something a policy did, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub minute: usize,
    pub source: &'static str,
    pub what: String,
}

/// The result of one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub policy: Policy,
    pub rows: Vec<Row>,
    pub events: Vec<Event>,
    /// Changes of desired capacity (target tracking, MinCapacity raises, scheduled actions).
    pub scaling_actions: u32,
}

struct Sim<'a> {
    trace: &'a Trace,
    model: &'a Model,
    fleet: Fleet,
    tracking: TrackingState,
    min: u32,
    max: u32,
    desired: u32,
    backlog: f64,
    holds: Option<LatencyHolds>,
    /// The MaxCapacity each event's start action set (`raise_max`), for its end.
    raised: BTreeMap<String, u32>,
    breaching: VecDeque<bool>,
    in_alarm: bool,
    recent: VecDeque<MinuteMetrics>,
    run: Run,
}

/// Replay `trace` under `policy`; `schedule` is the calendar's actions (used with +prewarm).
pub fn simulate(trace: &Trace, model: &Model, policy: Policy, schedule: &[Timed]) -> Run {
    let mut sim = Sim {
        trace,
        model,
        fleet: Fleet::new(model.min_capacity),
        tracking: TrackingState::default(),
        min: model.min_capacity,
        max: model.max_capacity,
        desired: model.min_capacity,
        backlog: 0.0,
        holds: policy.alarm.map(|mode| {
            LatencyHolds::new(ALARM_NAME, model.latency_rules(mode == AlarmMode::Demand))
        }),
        raised: BTreeMap::new(),
        breaching: VecDeque::new(),
        in_alarm: false,
        recent: VecDeque::new(),
        run: Run {
            policy,
            rows: Vec::with_capacity(trace.len()),
            events: Vec::new(),
            scaling_actions: 0,
        },
    };
    let mut due = schedule.iter().peekable();
    for minute in 0..trace.len() {
        sim.fleet.start_minute(minute);
        while let Some(action) = due.next_if(|a| a.minute <= minute) {
            if policy.prewarm {
                sim.scheduled(minute, action);
            }
        }
        sim.minute(minute);
    }
    sim.run
}

impl Sim<'_> {
    fn minute(&mut self, minute: usize) {
        let arrivals = self.trace.invocations[minute];
        let served = queue::serve_minute(
            arrivals as f64,
            self.backlog,
            self.fleet.in_service * self.model.concurrency,
            self.model.service_ms / 1000.0,
            self.model.slo_ms / 1000.0,
        );
        self.backlog = served.backlog;
        let in_service = self.fleet.in_service;
        self.recent.push_back(MinuteMetrics {
            invocations: arrivals as f64,
            latency_ms: served.mean_ms,
            per_instance: arrivals as f64 / f64::from(in_service.max(1)),
        });
        if self.recent.len() > crate::decisions::demand_window_minutes() {
            self.recent.pop_front();
        }
        let violation =
            served.p99_ms.is_some_and(|p| p > self.model.slo_ms) || served.backlog >= 0.5;
        self.run.rows.push(Row {
            arrivals,
            min_capacity: self.min,
            desired: self.desired,
            in_service,
            provisioned: self.fleet.provisioned(),
            p99_ms: served.p99_ms,
            late: served.late,
            backlog: served.backlog,
            violation,
        });
        if self.holds.is_some() {
            self.alarm(minute, served.p99_ms);
            self.sweep(minute);
        }
        let bounds = (self.desired, self.min, self.max);
        let tracking = self.model.tracking();
        if let Some(desired) =
            self.tracking
                .observe(&tracking, minute, arrivals as f64, in_service, bounds)
        {
            self.event(
                minute,
                "target-tracking",
                format!("desired {} -> {desired}", self.desired),
            );
            self.resize(minute + 1, desired);
        }
    }

    /// Evaluate the alarm on the minute's p99 (a minute without requests has no datapoint and
    /// does not breach) and hand a transition to scale-on-latency's decision.
    fn alarm(&mut self, minute: usize, p99_ms: Option<f64>) {
        let n = self.model.alarm_minutes.max(1) as usize;
        self.breaching
            .push_back(p99_ms.is_some_and(|p| p > self.model.alarm_ms));
        if self.breaching.len() > n {
            self.breaching.pop_front();
        }
        let all = self.breaching.len() == n && self.breaching.iter().all(|b| *b);
        if all == self.in_alarm {
            return;
        }
        self.in_alarm = all;
        let now = self.trace.time(minute + 1);
        let bounds = (self.min, self.max);
        let recent: Vec<MinuteMetrics> = self.recent.iter().copied().collect();
        let Some(holds) = self.holds.as_mut() else {
            return;
        };
        let decision = if all {
            let trigger = format!("ALARM@{}", now.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
            holds.alarm(now, bounds, &trigger, &recent)
        } else {
            holds.ok(now, bounds)
        };
        let source = if all { "alarm ALARM" } else { "alarm OK" };
        self.apply(minute, source, decision);
    }

    fn sweep(&mut self, minute: usize) {
        let every = self.model.sweep_minutes.max(1) as usize;
        if !(minute + 1).is_multiple_of(every) {
            return;
        }
        let now = self.trace.time(minute + 1);
        let bounds = (self.min, self.max);
        let Some(holds) = self.holds.as_mut().filter(|h| h.has_holds()) else {
            return;
        };
        let decision = holds.sweep(now, bounds);
        if decision.action != "unchanged" {
            self.apply(minute, "sweep", decision);
        }
    }

    /// A MinCapacity decision: above the current capacity it scales out at once; lowering it
    /// removes nothing (target tracking scales in later). A MaxCapacity given back below the
    /// current capacity scales in to it at once.
    fn apply(&mut self, minute: usize, source: &'static str, decision: Decision) {
        let max = match decision.new_max {
            Some(max) => format!(", MaxCapacity {} -> {max}", self.max),
            None => String::new(),
        };
        self.event(
            minute,
            source,
            format!(
                "{}: MinCapacity {} -> {}{max} ({})",
                decision.action, self.min, decision.new_min, decision.reason
            ),
        );
        self.min = decision.new_min;
        self.max = decision.new_max.unwrap_or(self.max);
        if self.desired > self.max {
            self.resize(minute, self.max);
        } else if self.desired < self.min {
            self.resize(minute + 1, self.min);
        }
    }

    /// A scheduled action: sets MinCapacity and MaxCapacity, ignoring cooldowns; capacity
    /// moves into the new bounds at once.
    fn scheduled(&mut self, minute: usize, action: &Timed) {
        // An end is prewarm's `end` through the holds, as the stack deploys it (its end
        // schedule); with holds in play, the decision is theirs.
        let end = prewarm::calendar::ended_entry(&action.name);
        if let (Some(event), Some(baseline), Some(holds)) = (end, action.min, self.holds.as_mut()) {
            let now = self.trace.time(minute);
            let bounds = (self.min, self.max);
            let max = action.max.map(|to| MaxBack {
                to,
                from: self.raised.get(event).copied(),
            });
            let decision = holds.calendar_end(now, bounds, event, (baseline, max));
            self.apply(minute, "calendar end", decision);
            return;
        }
        if let (Some(event), Some(max)) =
            (prewarm::calendar::started_entry(&action.name), action.max)
        {
            self.raised.insert(event.to_owned(), max);
        }
        self.min = action.min.unwrap_or(self.min);
        self.max = action.max.unwrap_or(self.max).max(self.min);
        self.event(
            minute,
            "scheduled action",
            format!(
                "{}: MinCapacity {}, MaxCapacity {}",
                action.name, self.min, self.max
            ),
        );
        let desired = self.desired.clamp(self.min, self.max);
        if desired != self.desired {
            self.resize(minute, desired);
        }
    }

    fn resize(&mut self, minute: usize, desired: u32) {
        self.desired = desired;
        self.fleet.resize(minute, desired, self.model.boot_minutes);
        self.run.scaling_actions += 1;
    }

    fn event(&mut self, minute: usize, source: &'static str, what: String) {
        if self.run.events.len() < MAX_EVENTS {
            self.run.events.push(Event {
                minute,
                source,
                what,
            });
        }
    }
}
