//! Demand-based sizing, pure: how many instances the current load needs, by Little's law.
//!
//! Requests in flight L = arrival rate x time in system. With `c` requests per instance in
//! flight at once, the load needs ceil(L / c) instances; headroom on top absorbs the spike still
//! growing while instances boot. A target of invocations per instance per minute, when set, is a
//! second floor. The result always comes with its arithmetic in one line, so a person on call
//! can check it at a glance.

use serde::Serialize;

/// Minutes of metrics read per decision, and how many of them must have data.
pub const WINDOW_MINUTES: u32 = 5;
pub const MIN_DATAPOINTS: usize = 3;

/// How to size (from `SCALE_CONCURRENCY_PER_INSTANCE`, `SCALE_HEADROOM`,
/// `SCALE_TARGET_INVOCATIONS_PER_INSTANCE`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandConfig {
    pub concurrency_per_instance: Option<f64>,
    pub headroom: f64,
    pub target_invocations_per_instance: Option<f64>,
}

/// Per-minute datapoints of one variant over the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemandMetrics {
    /// `Invocations`, Sum per minute.
    pub invocations: Vec<f64>,
    /// `ModelLatency`, Average per minute, in microseconds.
    pub model_latency_us: Vec<f64>,
    /// `InvocationsPerInstance`, Sum per minute, when the endpoint reports it.
    pub invocations_per_instance: Vec<f64>,
}

/// Instances the load needs, and how that was worked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sizing {
    pub instances: u32,
    pub explanation: String,
}

/// The outcome of sizing: a number, or why there is none (the caller falls back to a step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demand {
    Sized(Sizing),
    Unavailable(String),
}

pub fn size(metrics: &DemandMetrics, config: &DemandConfig) -> Demand {
    let usable = |values: &[f64]| -> Vec<f64> {
        values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .collect()
    };
    let invocations = usable(&metrics.invocations);
    let latency = usable(&metrics.model_latency_us);
    for (name, points) in [("Invocations", &invocations), ("ModelLatency", &latency)] {
        if points.len() < MIN_DATAPOINTS {
            return Demand::Unavailable(format!(
                "only {} of the last {WINDOW_MINUTES} minutes have {name} data (need {MIN_DATAPOINTS})",
                points.len()
            ));
        }
    }
    // The busiest minute of the window: sizing for the spike, not for its average.
    let per_minute = invocations.iter().copied().fold(0.0, f64::max);
    let per_second = per_minute / 60.0;
    let seconds = latency.iter().sum::<f64>() / latency.len() as f64 / 1_000_000.0;
    let mut parts = Vec::new();
    let mut instances = 0u32;
    if let Some(per_instance) = config.concurrency_per_instance {
        let in_flight = per_second * seconds;
        let base = ceil_u32(in_flight / per_instance);
        let with_headroom = ceil_u32(f64::from(base) * config.headroom);
        parts.push(format!(
            "{} req/s x {} s = {} in flight; {} per instance -> {base}; +{}% -> {with_headroom}",
            num(per_second),
            num(seconds),
            num(in_flight),
            num(per_instance),
            num((config.headroom - 1.0) * 100.0),
        ));
        instances = instances.max(with_headroom);
    }
    if let Some(target) = config.target_invocations_per_instance {
        let by_rate = ceil_u32(per_minute / target);
        parts.push(format!(
            "{} req/min / {} per instance -> {by_rate}",
            num(per_minute),
            num(target)
        ));
        instances = instances.max(by_rate);
    }
    if let Some(now) = metrics.invocations_per_instance.last() {
        parts.push(format!("now {} req/min per instance", num(*now)));
    }
    Demand::Sized(Sizing {
        instances,
        explanation: parts.join("; "),
    })
}

/// Round up to a whole instance count; absurd or broken values saturate instead of wrapping.
fn ceil_u32(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        // Guard against 7.000000000001 from float noise turning into 8.
        let rounded = (x * 1e9).round() / 1e9;
        rounded.ceil() as u32
    }
}

/// A number for people: at most two decimals, no trailing zeros.
fn num(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cpi: Option<f64>, headroom: f64, target: Option<f64>) -> DemandConfig {
        DemandConfig {
            concurrency_per_instance: cpi,
            headroom,
            target_invocations_per_instance: target,
        }
    }

    fn metrics(invocations: &[f64], latency_us: &[f64]) -> DemandMetrics {
        DemandMetrics {
            invocations: invocations.to_vec(),
            model_latency_us: latency_us.to_vec(),
            invocations_per_instance: Vec::new(),
        }
    }

    fn sized(demand: Demand) -> Sizing {
        match demand {
            Demand::Sized(s) => s,
            Demand::Unavailable(why) => panic!("unavailable: {why}"),
        }
    }

    #[test]
    fn the_worked_example() {
        // 7200 per minute = 120 req/s, 250 ms = 250000 us.
        let s = sized(size(
            &metrics(&[6000.0, 7200.0, 6600.0], &[250_000.0; 3]),
            &config(Some(4.0), 1.2, None),
        ));
        assert_eq!(s.instances, 10);
        assert_eq!(
            s.explanation,
            "120 req/s x 0.25 s = 30 in flight; 4 per instance -> 8; +20% -> 10"
        );
    }

    #[test]
    fn rounding_is_up_and_exact_multiples_stay_exact() {
        // 60 req/s x 0.2 s = 12 in flight, 4 per instance -> exactly 3, no headroom -> 3.
        let s = sized(size(
            &metrics(&[3600.0; 3], &[200_000.0; 3]),
            &config(Some(4.0), 1.0, None),
        ));
        assert_eq!(s.instances, 3);
        // 13 in flight -> 3.25 -> 4.
        let s = sized(size(
            &metrics(&[3900.0; 3], &[200_000.0; 3]),
            &config(Some(4.0), 1.0, None),
        ));
        assert_eq!(s.instances, 4);
        // Headroom rounds up too: 3 x 1.1 = 3.3 -> 4.
        let s = sized(size(
            &metrics(&[3600.0; 3], &[200_000.0; 3]),
            &config(Some(4.0), 1.1, None),
        ));
        assert_eq!(s.instances, 4);
    }

    #[test]
    fn target_invocations_per_instance_is_a_second_floor() {
        let s = sized(size(
            &metrics(&[7200.0; 4], &[10_000.0; 4]),
            &config(Some(4.0), 1.2, Some(600.0)),
        ));
        // Little's law: 120 x 0.01 = 1.2 in flight -> 1 -> 2; by rate: 7200 / 600 = 12.
        assert_eq!(s.instances, 12);
        assert!(
            s.explanation
                .ends_with("7200 req/min / 600 per instance -> 12"),
            "{}",
            s.explanation
        );
        let only_rate = sized(size(
            &metrics(&[7200.0; 4], &[10_000.0; 4]),
            &config(None, 1.2, Some(1000.0)),
        ));
        assert_eq!(only_rate.instances, 8);
    }

    #[test]
    fn zero_load_needs_zero_and_missing_data_is_unavailable() {
        let s = sized(size(
            &metrics(&[0.0; 5], &[0.0; 5]),
            &config(Some(4.0), 1.2, None),
        ));
        assert_eq!(s.instances, 0);
        match size(
            &metrics(&[100.0, 120.0], &[1000.0; 5]),
            &config(Some(4.0), 1.2, None),
        ) {
            Demand::Unavailable(why) => assert!(
                why.contains("only 2 of the last 5 minutes have Invocations"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        match size(&metrics(&[100.0; 5], &[]), &config(Some(4.0), 1.2, None)) {
            Demand::Unavailable(why) => assert!(why.contains("ModelLatency"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Broken datapoints do not count as data.
        match size(
            &metrics(&[f64::NAN, -1.0, f64::INFINITY, 5.0], &[1.0; 5]),
            &config(Some(1.0), 1.0, None),
        ) {
            Demand::Unavailable(why) => assert!(why.contains("only 1"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn absurd_values_saturate_instead_of_overflowing() {
        let s = sized(size(
            &metrics(&[1e300; 3], &[1e300; 3]),
            &config(Some(1e-300), 10.0, Some(1e-300)),
        ));
        assert_eq!(s.instances, u32::MAX);
        assert_eq!(ceil_u32(f64::NAN), 0);
        assert_eq!(ceil_u32(-3.0), 0);
        assert_eq!(ceil_u32(7.000_000_000_1), 7);
        assert_eq!(ceil_u32(7.01), 8);
    }

    #[test]
    fn invocations_per_instance_is_reported_when_present() {
        let mut m = metrics(&[600.0; 3], &[100_000.0; 3]);
        m.invocations_per_instance = vec![290.0, 300.0];
        let s = sized(size(&m, &config(Some(1.0), 1.0, None)));
        assert!(
            s.explanation.ends_with("now 300 req/min per instance"),
            "{}",
            s.explanation
        );
    }
}
