//! The sample traces, generated deterministically (a fixed-seed generator, no randomness from
//! the machine), so `whatif generate` writes the same bytes everywhere:
//! - `gaming-promotion`: 30 days at about 1800 requests per minute (two instances of the
//!   default model serve it at under 40% utilisation), then a promotion from 18:00 to 20:00 in
//!   New York on 2026-12-04 where requests rise 5x within 5 minutes;
//! - `diurnal-week`: a week from Monday 2026-11-02, quiet at night, a peak around 20:00 UTC,
//!   weekends 30% busier, with an observed latency column;
//! - `flash-crowd`: a day at about 1500 requests per minute and an unannounced crowd at 14:07
//!   UTC: 10x within 2 minutes, decaying over about an hour and a half.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};

use crate::trace::Trace;

pub const SCENARIOS: [&str; 3] = ["gaming-promotion", "diurnal-week", "flash-crowd"];

/// A small deterministic generator (SplitMix64) for the noise.
struct Noise(u64);

impl Noise {
    /// Uniform in [-1, 1).
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub fn scenario(name: &str) -> Option<Trace> {
    match name {
        "gaming-promotion" => Some(gaming_promotion()),
        "diurnal-week" => Some(diurnal_week()),
        "flash-crowd" => Some(flash_crowd()),
        _ => None,
    }
}

fn build(
    start: DateTime<Utc>,
    minutes: usize,
    seed: u64,
    rate: impl Fn(DateTime<Utc>) -> f64,
) -> (Trace, Noise) {
    let mut noise = Noise(seed);
    let invocations = (0..minutes)
        .map(|m| {
            let t = start + Duration::minutes(m as i64);
            (rate(t) * (1.0 + 0.05 * noise.next())).round().max(0.0) as u64
        })
        .collect();
    let trace = Trace {
        start,
        invocations,
        latency_ms: vec![None; minutes],
    };
    (trace, noise)
}

/// 2026-11-04 23:00 UTC to 2026-12-05 03:00 UTC; the event is 23:00-01:00 UTC (18:00-20:00 in
/// New York).
pub fn gaming_promotion() -> Trace {
    let start = at("2026-11-04T23:00:00Z");
    let event = at("2026-12-04T23:00:00Z");
    let end = event + Duration::hours(2);
    let level = 1800.0;
    build(start, 30 * 24 * 60 + 4 * 60, 1, |t| {
        let ramp = |from: DateTime<Utc>| ((t - from).num_minutes() as f64 / 5.0).clamp(0.0, 1.0);
        let factor = if t < event {
            1.0
        } else if t < end {
            1.0 + 4.0 * ramp(event)
        } else {
            5.0 - 4.0 * ramp(end)
        };
        level * factor
    })
    .0
}

/// Monday 2026-11-02 00:00 UTC, seven days.
pub fn diurnal_week() -> Trace {
    let start = at("2026-11-02T00:00:00Z");
    let (mut trace, mut noise) = build(start, 7 * 24 * 60, 2, |t| {
        let hour = f64::from(t.hour()) + f64::from(t.minute()) / 60.0;
        let daily = 0.5 - 0.5 * ((hour - 20.0) / 24.0 * std::f64::consts::TAU).cos();
        let weekend = matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
        (400.0 + 5600.0 * daily) * if weekend { 1.3 } else { 1.0 }
    });
    for (n, latency) in trace.invocations.iter().zip(trace.latency_ms.iter_mut()) {
        // Observed: about 100 ms when quiet, a little slower when busy.
        let busy = *n as f64 / 8000.0;
        *latency =
            Some(((100.0 + 30.0 * busy) * (1.0 + 0.03 * noise.next()) * 10.0).round() / 10.0);
    }
    trace
}

/// 2026-11-10 00:00 UTC, one day.
pub fn flash_crowd() -> Trace {
    let start = at("2026-11-10T00:00:00Z");
    let crowd = at("2026-11-10T14:07:00Z");
    build(start, 24 * 60, 3, |t| {
        let since = (t - crowd).num_minutes() as f64;
        let extra = if since < 0.0 {
            0.0
        } else if since < 2.0 {
            9.0 * (since + 1.0) / 2.0
        } else {
            9.0 * (-(since - 2.0) / 30.0).exp()
        };
        1500.0 * (1.0 + extra.min(9.0))
    })
    .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gaming_promotion_is_a_month_then_5x_within_5_minutes() {
        let t = gaming_promotion();
        assert!(t.len() >= 30 * 24 * 60);
        let event = t.invocations.len() - 4 * 60;
        let before: Vec<u64> = t.invocations[..event].to_vec();
        assert!(
            before.iter().all(|&n| (1700..=1900).contains(&n)),
            "a level before the event"
        );
        let mean = |s: &[u64]| s.iter().sum::<u64>() as f64 / s.len() as f64;
        let peak = mean(&t.invocations[event + 5..event + 120]);
        assert!((peak / mean(&before) - 5.0).abs() < 0.1, "{peak}");
        assert_eq!(t.time(event).to_rfc3339(), "2026-12-04T23:00:00+00:00");
        assert!(t.invocations[event + 5] as f64 > 4.5 * 1800.0);
    }

    #[test]
    fn generation_is_deterministic_and_round_trips() {
        for name in SCENARIOS {
            let a = scenario(name).unwrap();
            let b = scenario(name).unwrap();
            assert_eq!(a, b, "{name}");
            let csv = a.to_csv();
            assert_eq!(crate::trace::parse(&csv, name).unwrap(), a, "{name}");
        }
        let week = diurnal_week();
        assert!(week
            .low_load_latency_ms()
            .is_some_and(|l| (95.0..=106.0).contains(&l)));
        let crowd = flash_crowd();
        let at = 14 * 60 + 7;
        assert!(crowd.invocations[at + 2] > 9 * crowd.invocations[at - 1]);
    }
}
