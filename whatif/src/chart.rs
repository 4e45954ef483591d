//! The SVG chart, drawn with plotters: traffic on top, instances per policy below with the
//! SLO-violation minutes marked on each policy's line.

use std::ops::Range;
use std::path::Path;

use plotters::prelude::*;

use crate::error::Error;
use crate::sim::Run;
use crate::trace::Trace;

/// At most this many points per line: long traces are bucketed (maximum per bucket).
const MAX_POINTS: usize = 1500;
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

/// Draw minutes `window` of the trace and the runs into an SVG file at `path`.
pub fn draw(
    path: &Path,
    title: &str,
    trace: &Trace,
    runs: &[Run],
    window: Range<usize>,
) -> Result<(), Error> {
    draw_inner(path, title, trace, runs, window).map_err(|message| Error::Chart {
        path: path.to_owned(),
        message,
    })
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw_inner(
    path: &Path,
    title: &str,
    trace: &Trace,
    runs: &[Run],
    window: Range<usize>,
) -> Result<(), String> {
    let bucket = window.len().div_ceil(MAX_POINTS).max(1);
    let buckets: Vec<Range<usize>> = window
        .clone()
        .step_by(bucket)
        .map(|s| s..(s + bucket).min(window.end))
        .collect();
    let root = SVGBackend::new(path, (1200, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, bottom) = root.split_vertically(300);
    traffic_panel(&top, title, trace, &window, &buckets)?;
    instances_panel(&bottom, runs, &window, &buckets)?;
    root.present().map_err(|e| e.to_string())
}

fn traffic_panel(
    area: &Area<'_>,
    title: &str,
    trace: &Trace,
    window: &Range<usize>,
    buckets: &[Range<usize>],
) -> Result<(), String> {
    let e = |err: DrawingAreaErrorKind<_>| err.to_string();
    let hours = window.len() as f64 / 60.0;
    let traffic: Vec<(f64, f64)> = buckets
        .iter()
        .map(|b| {
            let peak = trace.invocations[b.clone()]
                .iter()
                .copied()
                .max()
                .unwrap_or(0);
            ((b.start - window.start) as f64 / 60.0, peak as f64)
        })
        .collect();
    let peak = traffic.iter().map(|p| p.1).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..hours, 0.0..peak * 1.1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .y_desc("requests per minute")
        .x_desc(format!(
            "hours from {}",
            trace.time(window.start).format("%Y-%m-%d %H:%M UTC")
        ))
        .draw()
        .map_err(e)?;
    chart
        .draw_series(LineSeries::new(traffic, &BLACK))
        .map_err(e)?;
    Ok(())
}

fn instances_panel(
    area: &Area<'_>,
    runs: &[Run],
    window: &Range<usize>,
    buckets: &[Range<usize>],
) -> Result<(), String> {
    let e = |err: DrawingAreaErrorKind<_>| err.to_string();
    let hours = window.len() as f64 / 60.0;
    let most = runs
        .iter()
        .flat_map(|r| r.rows[window.clone()].iter().map(|row| row.provisioned))
        .max()
        .unwrap_or(1);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..hours, 0.0..f64::from(most) * 1.15 + 1.0)
        .map_err(e)?;
    chart
        .configure_mesh()
        .y_desc("instances (dots: SLO-violation minutes)")
        .draw()
        .map_err(e)?;
    for (i, run) in runs.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        // Bucket maximum; lines offset slightly so equal policies stay visible.
        let points: Vec<(f64, f64, bool)> = buckets
            .iter()
            .map(|b| {
                let rows = &run.rows[b.clone()];
                let top = rows.iter().map(|r| r.provisioned).max().unwrap_or(0);
                let x = (b.start - window.start) as f64 / 60.0;
                (
                    x,
                    f64::from(top) + 0.08 * i as f64,
                    rows.iter().any(|r| r.violation),
                )
            })
            .collect();
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), &color))
            .map_err(e)?
            .label(run.policy.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.2)
                    .map(|p| Circle::new((p.0, p.1), 3, color.filled())),
            )
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    Ok(())
}
