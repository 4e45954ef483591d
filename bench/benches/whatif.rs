//! The what-if replay: 30 days of a per-minute trace (43,200 minutes, the gaming promotion's
//! last 30 days, event included) x the 4 policies `make whatif` compares, decisions through
//! the functions' own code. Target: under one second. Run by `make bench`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use whatif::model::{Model, Policy, DEFAULT_POLICIES};
use whatif::trace::Trace;

fn thirty_days() -> Trace {
    let full = whatif::generate::gaming_promotion();
    let skip = full.len() - 30 * 24 * 60;
    Trace {
        start: full.time(skip),
        invocations: full.invocations[skip..].to_vec(),
        latency_ms: full.latency_ms[skip..].to_vec(),
    }
}

fn replay(c: &mut Criterion) {
    let trace = thirty_days();
    let model = Model::defaults(trace.low_load_latency_ms())
        .finish()
        .unwrap();
    let calendar = serde_json::from_str(include_str!(
        "../../events/traces/gaming-promotion-calendar.json"
    ))
    .unwrap();
    let calendar = whatif::calendar_from(&calendar, &trace, &model).unwrap();
    let policies: Vec<Policy> = DEFAULT_POLICIES
        .split(',')
        .map(|p| Policy::parse(p).unwrap())
        .collect();
    let mut group = c.benchmark_group("whatif");
    group.sample_size(10);
    group.bench_function("30 days x 4 policies", |b| {
        b.iter(|| {
            black_box(whatif::replay(
                black_box(&trace),
                &model,
                &policies,
                &calendar,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
