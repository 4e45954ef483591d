//! The endpoint model and the policies, with their defaults (each one a flag, see `cli`).

use std::time::Duration;

use serde::Serialize;

use crate::aas::Tracking;
use crate::decisions::{DemandRule, LatencyRules};
use crate::error::Error;

/// Everything the simulation needs besides the trace and the calendar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Mean service time of one request (ms).
    pub service_ms: f64,
    /// Where `service_ms` came from (a flag, the trace, the default).
    pub service_from: String,
    /// Requests one instance serves at once.
    pub concurrency: u32,
    /// From a capacity increase to serving (minutes).
    pub boot_minutes: u32,
    /// Price of one instance-hour (USD).
    pub price: f64,
    /// p99 latency threshold (ms).
    pub slo_ms: f64,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// Target tracking's target, invocations per instance per minute.
    pub target: f64,
    pub out_minutes: u32,
    pub in_minutes: u32,
    pub in_ratio: f64,
    pub out_cooldown_s: u32,
    pub in_cooldown_s: u32,
    /// The latency alarm: p99 above this (ms) for `alarm_minutes` of `alarm_minutes`.
    pub alarm_ms: f64,
    pub alarm_minutes: u32,
    /// scale-on-latency's settings.
    pub step: u32,
    pub ceiling: Option<u32>,
    pub cooldown_s: u32,
    pub hold_s: u32,
    /// The scheduled sweep of expired holds runs every this many minutes.
    pub sweep_minutes: u32,
    /// Demand sizing's headroom and optional invocations-per-instance floor.
    pub headroom: f64,
    pub demand_target: Option<f64>,
}

impl Model {
    /// The defaults for a trace whose observed low-load latency is `observed_ms`.
    pub fn defaults(observed_ms: Option<f64>) -> Model {
        let (service_ms, service_from) = match observed_ms {
            Some(ms) => (ms, "the trace's observed latency at low load".to_owned()),
            None => (
                100.0,
                "default (the trace has no latency column)".to_owned(),
            ),
        };
        let concurrency = 4;
        Model {
            service_ms,
            service_from,
            concurrency,
            boot_minutes: 8,
            price: 0.23,
            slo_ms: 1000.0,
            min_capacity: 2,
            max_capacity: 20,
            target: 0.0,
            out_minutes: 3,
            in_minutes: 15,
            in_ratio: 0.9,
            out_cooldown_s: 300,
            in_cooldown_s: 300,
            alarm_ms: 0.0,
            alarm_minutes: 3,
            step: 2,
            ceiling: None,
            cooldown_s: 300,
            hold_s: 3 * 3600,
            sweep_minutes: 15,
            headroom: 1.2,
            demand_target: None,
        }
    }

    /// An instance's throughput at full utilisation, requests per minute.
    pub fn instance_capacity(&self) -> f64 {
        f64::from(self.concurrency) * 60_000.0 / self.service_ms
    }

    /// Fill in what defaults to other values (target: half an instance's throughput; alarm
    /// threshold: the SLO) and check the whole model.
    pub fn finish(mut self) -> Result<Model, Error> {
        if self.target <= 0.0 {
            self.target = (self.instance_capacity() * 0.5).round().max(1.0);
        }
        if self.alarm_ms <= 0.0 {
            self.alarm_ms = self.slo_ms;
        }
        if self.min_capacity < 1 {
            return Err(Error::flag("--min-capacity", "must be at least 1"));
        }
        if self.max_capacity < self.min_capacity {
            return Err(Error::flag(
                "--max-capacity",
                format!(
                    "{} is below --min-capacity {}",
                    self.max_capacity, self.min_capacity
                ),
            ));
        }
        Ok(self)
    }

    pub fn tracking(&self) -> Tracking {
        Tracking {
            target: self.target,
            out_minutes: self.out_minutes,
            in_minutes: self.in_minutes,
            in_ratio: self.in_ratio,
            out_cooldown_minutes: self.out_cooldown_s.div_ceil(60),
            in_cooldown_minutes: self.in_cooldown_s.div_ceil(60),
        }
    }

    pub fn latency_rules(&self, demand: bool) -> LatencyRules {
        LatencyRules {
            step: self.step,
            ceiling: self.ceiling,
            cooldown: Duration::from_secs(self.cooldown_s.into()),
            hold: Duration::from_secs(self.hold_s.into()),
            demand: demand.then_some(DemandRule {
                concurrency_per_instance: Some(f64::from(self.concurrency)),
                headroom: self.headroom,
                target_invocations_per_instance: self.demand_target,
            }),
        }
    }
}

/// A policy: target tracking, optionally with pre-warm and a latency alarm (step or demand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub prewarm: bool,
    pub alarm: Option<AlarmMode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmMode {
    Step,
    Demand,
}

/// The four policies `make whatif` compares.
pub const DEFAULT_POLICIES: &str =
    "target-tracking,target-tracking+prewarm,target-tracking+latency,target-tracking+demand";

impl Policy {
    /// `target-tracking`, then any of `+prewarm`, `+latency`, `+demand` (not both of the
    /// last two: demand is the latency alarm with demand sizing).
    pub fn parse(name: &str) -> Result<Policy, String> {
        let mut parts = name.trim().split('+');
        if parts.next() != Some("target-tracking") {
            return Err(format!(
                "{name:?}: a policy starts with target-tracking, e.g. target-tracking+prewarm"
            ));
        }
        let mut policy = Policy {
            prewarm: false,
            alarm: None,
        };
        for part in parts {
            match (part, policy.alarm) {
                ("prewarm", _) if !policy.prewarm => policy.prewarm = true,
                ("latency", None) => policy.alarm = Some(AlarmMode::Step),
                ("demand", None) => policy.alarm = Some(AlarmMode::Demand),
                ("latency" | "demand", Some(_)) => {
                    return Err(format!(
                        "{name:?}: +latency and +demand are the same alarm; name one of them"
                    ))
                }
                _ => {
                    return Err(format!(
                        "{name:?}: unknown or repeated part {part:?} (known: +prewarm, +latency, +demand)"
                    ))
                }
            }
        }
        Ok(policy)
    }

    pub fn name(&self) -> String {
        let mut name = "target-tracking".to_owned();
        if self.prewarm {
            name.push_str("+prewarm");
        }
        match self.alarm {
            Some(AlarmMode::Step) => name.push_str("+latency"),
            Some(AlarmMode::Demand) => name.push_str("+demand"),
            None => {}
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_name_themselves() {
        for name in DEFAULT_POLICIES
            .split(',')
            .chain(["target-tracking+prewarm+demand"])
        {
            assert_eq!(Policy::parse(name).unwrap().name(), name);
        }
        for bad in [
            "prewarm",
            "target-tracking+latency+demand",
            "target-tracking+fast",
            "target-tracking+prewarm+prewarm",
        ] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derived_defaults_are_stated() {
        let m = Model::defaults(None).finish().unwrap();
        assert_eq!(
            (m.service_ms, m.target, m.alarm_ms),
            (100.0, 1200.0, 1000.0)
        );
        let m = Model::defaults(Some(50.0)).finish().unwrap();
        assert_eq!(m.target, 2400.0);
        let mut bad = Model::defaults(None);
        bad.max_capacity = 1;
        assert!(bad
            .finish()
            .unwrap_err()
            .to_string()
            .contains("--max-capacity"));
    }
}
