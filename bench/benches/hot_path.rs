//! Per-event time of the hot path: parse one sample event from `events/` (JSON text, as the
//! runtime hands it over) and compute the decision, no I/O. Run by `make bench` (short warm-up
//! and measurement times).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

fn hot_path(c: &mut Criterion) {
    // Time only what works: every sample event must parse and decide.
    if let Err(err) = bench::check_samples() {
        panic!("sample event rejected: {err}");
    }
    let now = bench::now();
    for function in [
        bench::Function::ScaleOnLatency,
        bench::Function::Prewarm,
        bench::Function::DriftNotify,
    ] {
        let mut group = c.benchmark_group(function.name());
        for sample in bench::samples()
            .into_iter()
            .filter(|s| s.function == function)
        {
            group.bench_function(&sample.name, |b| {
                b.iter(|| black_box(bench::decide(function, black_box(&sample.text), now)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
