//! What a replay shows: one row per policy (table, JSON) and the per-minute CSV.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::Model;
use crate::sim::{Event, Run};
use crate::trace::Trace;

/// One policy's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub policy: String,
    pub violation_minutes: usize,
    pub late_requests: u64,
    pub late_percent: f64,
    pub worst_p99_ms: Option<f64>,
    pub instance_hours: f64,
    pub cost: f64,
    pub peak_instances: u32,
    pub scaling_actions: u32,
    /// The first violation minute, as a time.
    pub first_violation: Option<String>,
    pub events: Vec<Event>,
}

pub fn summarize(trace: &Trace, model: &Model, run: &Run) -> Summary {
    let total = trace.total_requests().max(1) as f64;
    let late: f64 = run.rows.iter().map(|r| r.late).sum();
    let instance_hours = run
        .rows
        .iter()
        .map(|r| f64::from(r.provisioned))
        .sum::<f64>()
        / 60.0;
    Summary {
        policy: run.policy.name(),
        violation_minutes: run.rows.iter().filter(|r| r.violation).count(),
        late_requests: late.round() as u64,
        late_percent: 100.0 * late / total,
        worst_p99_ms: run.rows.iter().filter_map(|r| r.p99_ms).reduce(f64::max),
        instance_hours,
        cost: instance_hours * model.price,
        peak_instances: run.rows.iter().map(|r| r.provisioned).max().unwrap_or(0),
        scaling_actions: run.scaling_actions,
        first_violation: run
            .rows
            .iter()
            .position(|r| r.violation)
            .map(|m| iso(trace, m)),
        events: run.events.clone(),
    }
}

fn iso(trace: &Trace, minute: usize) -> String {
    trace.time(minute).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The model's parameters, one line each, as the report prints them.
pub fn model_lines(model: &Model) -> Vec<String> {
    vec![
        format!("service time {} ms ({}), {} concurrent requests per instance ({:.0} req/min per instance at full load)",
            num(model.service_ms), model.service_from, model.concurrency, model.instance_capacity()),
        format!("instance boot {} min, price {} USD per instance-hour, SLO p99 <= {} ms, MinCapacity {}, MaxCapacity {}",
            model.boot_minutes, num(model.price), num(model.slo_ms), model.min_capacity, model.max_capacity),
        format!("target tracking: {} invocations per instance per minute; out after {} min above, in after {} min below {}%; cooldowns out {} s, in {} s",
            num(model.target), model.out_minutes, model.in_minutes, num(model.in_ratio * 100.0), model.out_cooldown_s, model.in_cooldown_s),
        format!("latency alarm: p99 > {} ms for {} of {} min; step {}, ceiling {}, cooldown {} s, hold {} s, sweep every {} min; demand headroom {}{}",
            num(model.alarm_ms), model.alarm_minutes, model.alarm_minutes, model.step,
            model.ceiling.map_or("MaxCapacity".to_owned(), |c| c.to_string()),
            model.cooldown_s, model.hold_s, model.sweep_minutes, num(model.headroom),
            model.demand_target.map_or(String::new(), |t| format!(", floor {} invocations per instance", num(t)))),
    ]
}

/// What the report prints before the table: the trace, the model, the calendar.
pub fn header(
    name: &str,
    trace: &Trace,
    model: &Model,
    actions: &[String],
    notes: &[String],
) -> String {
    let mut out = format!(
        "{name}: {} minutes from {}, {} requests\n",
        trace.len(),
        trace.start.format("%Y-%m-%dT%H:%MZ"),
        trace.total_requests()
    );
    for line in model_lines(model) {
        let _ = writeln!(out, "  model: {line}");
    }
    for line in actions.iter().chain(notes) {
        let _ = writeln!(out, "  calendar: {line}");
    }
    out
}

/// The side-by-side table; extra cost is against the first policy.
pub fn table(summaries: &[Summary]) -> String {
    let header = [
        "policy",
        "SLO-violation min",
        "late requests",
        "late %",
        "worst p99 ms",
        "instance-hours",
        "cost USD",
        "extra cost USD",
        "peak instances",
        "scaling actions",
    ];
    let base = summaries.first().map_or(0.0, |s| s.cost);
    let rows: Vec<Vec<String>> = summaries.iter().map(|s| cells(s, base)).collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", padded.join(" | "));
    };
    line(header.to_vec(), &mut out);
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                "-".repeat(w + 2)
            } else {
                format!("{}:", "-".repeat(w + 1))
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

fn cells(s: &Summary, base_cost: f64) -> Vec<String> {
    vec![
        s.policy.clone(),
        s.violation_minutes.to_string(),
        s.late_requests.to_string(),
        format!("{:.3}", s.late_percent),
        s.worst_p99_ms.map_or("-".to_owned(), |p| format!("{p:.0}")),
        format!("{:.1}", s.instance_hours),
        format!("{:.2}", s.cost),
        format!("{:+.2}", s.cost - base_cost),
        s.peak_instances.to_string(),
        s.scaling_actions.to_string(),
    ]
}

/// Per minute: the trace, then for each policy MinCapacity, desired, in service, provisioned,
/// p99, late requests, backlog and whether the minute violates the SLO.
pub fn minutes_csv(trace: &Trace, runs: &[Run]) -> String {
    let mut out = String::with_capacity(trace.len() * (24 + runs.len() * 48));
    out.push_str("time,invocations");
    for run in runs {
        let p = run.policy.name();
        for column in [
            "min_capacity",
            "desired",
            "in_service",
            "provisioned",
            "p99_ms",
            "late",
            "backlog",
            "violation",
        ] {
            let _ = write!(out, ",{p}:{column}");
        }
    }
    out.push('\n');
    for minute in 0..trace.len() {
        let _ = write!(out, "{},{}", iso(trace, minute), trace.invocations[minute]);
        for run in runs {
            let r = &run.rows[minute];
            let p99 = r.p99_ms.map_or(String::new(), |p| format!("{p:.1}"));
            let _ = write!(
                out,
                ",{},{},{},{},{p99},{:.1},{:.1},{}",
                r.min_capacity,
                r.desired,
                r.in_service,
                r.provisioned,
                r.late,
                r.backlog,
                u8::from(r.violation)
            );
        }
        out.push('\n');
    }
    out
}

/// A number for people: at most two decimals, no trailing zeros.
pub fn num(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
