//! What-if: replay a per-minute traffic trace against Application Auto Scaling target
//! tracking alone and with pre-warm (prewarm's calendar), latency holds (scale-on-latency's
//! capacity core) or demand sizing, and report SLO-violation minutes, late requests,
//! instance-hours and cost side by side, with a per-minute CSV and an SVG chart.
//!
//! Every decision the functions would take is taken by their own code, in [`decisions`]; the
//! rest is the model of the endpoint ([`queue`]) and of Application Auto Scaling ([`aas`]).

pub mod aas;
pub mod chart;
pub mod cli;
pub mod decisions;
pub mod error;
pub mod generate;
pub mod model;
pub mod queue;
pub mod report;
pub mod sim;
pub mod trace;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use error::Error;
use model::{Model, Policy};
use sim::{Run, Timed};
use trace::Trace;

/// The calendar as the simulation uses it: its actions at trace minutes, and prewarm's notes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Calendar {
    pub file: Option<String>,
    pub actions: Vec<String>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub timed: Vec<Timed>,
}

/// Read a calendar in prewarm's `sync-calendar` format and place its scheduled actions on the
/// trace's minutes, as Application Auto Scaling would run them.
pub fn load_calendar(path: &Path, trace: &Trace, model: &Model) -> Result<Calendar, Error> {
    let file = path.display().to_string();
    let bad = |message: String| Error::Calendar {
        file: file.clone(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "not JSON: line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    calendar_from(&value, trace, model)
        .map_err(bad)
        .map(|mut c| {
            c.file = Some(file.clone());
            c
        })
}

/// [`load_calendar`] on an already parsed calendar.
pub fn calendar_from(
    value: &serde_json::Value,
    trace: &Trace,
    model: &Model,
) -> Result<Calendar, String> {
    let bounds = (model.min_capacity, model.max_capacity);
    let (changes, notes) = decisions::calendar_actions(value, trace.start, bounds)?;
    let mut calendar = Calendar {
        notes,
        ..Calendar::default()
    };
    for change in changes {
        let schedule = decisions::schedule(&change.schedule, &change.timezone)
            .map_err(|e| format!("{}: {e}", change.name))?;
        let mut count = 0;
        for minute in 0..trace.len() {
            let at = trace.time(minute);
            if change.start.is_none_or(|start| at >= start) && schedule.matches(at) {
                count += 1;
                calendar.timed.push(Timed {
                    minute,
                    name: change.name.clone(),
                    min: change.min,
                    max: change.max,
                });
            }
        }
        calendar.actions.push(format!(
            "{} {} {} MinCapacity {}{}: runs {count} time(s) in the trace",
            change.name,
            change.schedule,
            change.timezone,
            change.min.map_or("-".to_owned(), |m| m.to_string()),
            change
                .max
                .map_or(String::new(), |m| format!(" MaxCapacity {m}")),
        ));
    }
    calendar.timed.sort_by_key(|t| t.minute);
    Ok(calendar)
}

/// Replay the trace under each policy.
pub fn replay(trace: &Trace, model: &Model, policies: &[Policy], calendar: &Calendar) -> Vec<Run> {
    policies
        .iter()
        .map(|p| sim::simulate(trace, model, *p, &calendar.timed))
        .collect()
}

pub fn parse_policies(list: &str, calendar: &Calendar) -> Result<Vec<Policy>, Error> {
    let policies = list
        .split(',')
        .map(Policy::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| Error::flag("--policies", m))?;
    if policies.iter().any(|p| p.prewarm) && calendar.file.is_none() {
        return Err(Error::flag(
            "--calendar",
            "a +prewarm policy needs a calendar (prewarm's sync-calendar format)",
        ));
    }
    Ok(policies)
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    trace: TraceInfo,
    model: &'a Model,
    model_lines: Vec<String>,
    calendar: &'a Calendar,
    policies: Vec<report::Summary>,
    outputs: Outputs,
}

#[derive(Debug, Serialize)]
struct TraceInfo {
    file: String,
    start: DateTime<Utc>,
    minutes: usize,
    requests: u64,
}

#[derive(Debug, Serialize)]
struct Outputs {
    json: PathBuf,
    minutes_csv: PathBuf,
    chart: PathBuf,
}

/// `whatif run`: read and check everything first, simulate, then write the outputs; returns
/// what to print.
pub fn run(args: &cli::RunArgs) -> Result<String, Error> {
    let file = args.trace.display().to_string();
    let text = std::fs::read_to_string(&args.trace).map_err(|e| Error::io(&args.trace, e))?;
    let trace = trace::parse(&text, &file)?;
    let model = cli::apply(
        Model::defaults(trace.low_load_latency_ms()),
        &args.model_flags,
    )?;
    let calendar = match &args.calendar {
        Some(path) => load_calendar(path, &trace, &model)?,
        None => Calendar::default(),
    };
    let policies = parse_policies(&args.policies, &calendar)?;
    let window = chart_window(args, &trace)?;
    let runs = replay(&trace, &model, &policies, &calendar);
    let summaries: Vec<_> = runs
        .iter()
        .map(|r| report::summarize(&trace, &model, r))
        .collect();
    let name = args.name.clone().unwrap_or_else(|| {
        args.trace
            .file_stem()
            .map_or("trace".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    let outputs = Outputs {
        json: args.out.join(format!("{name}.json")),
        minutes_csv: args.out.join(format!("{name}.minutes.csv")),
        chart: args.out.join(format!("{name}.svg")),
    };
    let mut printed = report::header(&name, &trace, &model, &calendar.actions, &calendar.notes);
    printed.push_str(&report::table(&summaries));
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    chart::draw(
        &outputs.chart,
        &format!("{name}: instances per policy"),
        &trace,
        &runs,
        window,
    )?;
    let csv = report::minutes_csv(&trace, &runs);
    std::fs::write(&outputs.minutes_csv, csv).map_err(|e| Error::io(&outputs.minutes_csv, e))?;
    printed.push_str(&format!(
        "written: {} (table as JSON), {} (per minute), {} (chart)\n",
        outputs.json.display(),
        outputs.minutes_csv.display(),
        outputs.chart.display()
    ));
    let json_path = outputs.json.clone();
    let report = Report {
        trace: TraceInfo {
            file,
            start: trace.start,
            minutes: trace.len(),
            requests: trace.total_requests(),
        },
        model: &model,
        model_lines: report::model_lines(&model),
        calendar: &calendar,
        policies: summaries,
        outputs,
    };
    let json =
        serde_json::to_string_pretty(&report).map_err(|e| Error::io(&json_path, e.into()))?;
    std::fs::write(&json_path, json).map_err(|e| Error::io(&json_path, e))?;
    Ok(printed)
}

fn chart_window(args: &cli::RunArgs, trace: &Trace) -> Result<std::ops::Range<usize>, Error> {
    let index = |flag: &str, t: DateTime<Utc>| -> Result<usize, Error> {
        let minutes = (t - trace.start).num_minutes();
        if minutes < 0 || minutes as usize > trace.len() {
            return Err(Error::flag(flag, format!("{t} is outside the trace")));
        }
        Ok(minutes as usize)
    };
    let from = args
        .chart_from
        .map(|t| index("--chart-from", t))
        .transpose()?
        .unwrap_or(0);
    let to = args
        .chart_to
        .map(|t| index("--chart-to", t))
        .transpose()?
        .unwrap_or(trace.len());
    if to <= from {
        return Err(Error::flag("--chart-to", "must be after --chart-from"));
    }
    Ok(from..to)
}

/// `whatif generate`: write the sample traces into `out`.
pub fn generate(out: &Path, only: Option<&str>) -> Result<String, Error> {
    let names: Vec<&str> = match only {
        Some(name) if generate::SCENARIOS.contains(&name) => vec![name],
        Some(name) => {
            return Err(Error::flag(
                "--scenario",
                format!("{name:?} is not one of {:?}", generate::SCENARIOS),
            ))
        }
        None => generate::SCENARIOS.to_vec(),
    };
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut printed = String::new();
    for name in names {
        let trace = generate::scenario(name).unwrap_or_else(|| unreachable!("checked above"));
        let path = out.join(format!("{name}.csv"));
        std::fs::write(&path, trace.to_csv()).map_err(|e| Error::io(&path, e))?;
        printed.push_str(&format!("{}: {} minutes\n", path.display(), trace.len()));
    }
    Ok(printed)
}
