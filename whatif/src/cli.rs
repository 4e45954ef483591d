//! Command-line flags. Every model parameter is a flag with a stated default (`whatif help`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::model::{Model, DEFAULT_POLICIES};

/// What `whatif run` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub trace: PathBuf,
    pub calendar: Option<PathBuf>,
    pub policies: String,
    pub out: PathBuf,
    pub name: Option<String>,
    pub chart_from: Option<DateTime<Utc>>,
    pub chart_to: Option<DateTime<Utc>>,
    /// Model flags as given, applied once the trace is read (some defaults come from it).
    pub model_flags: Vec<(String, String)>,
}

/// The model's flags: name, default, meaning.
pub const MODEL_FLAGS: [(&str, &str, &str); 22] = [
    (
        "--service-ms",
        "the trace's observed latency at low load, else 100",
        "mean service time of a request (ms)",
    ),
    ("--concurrency", "4", "requests one instance serves at once"),
    (
        "--boot-minutes",
        "8",
        "from a capacity increase to serving (SageMaker: several minutes)",
    ),
    ("--price", "0.23", "USD per instance-hour"),
    ("--slo-ms", "1000", "p99 latency threshold (ms)"),
    ("--min-capacity", "2", "MinCapacity"),
    ("--max-capacity", "20", "MaxCapacity"),
    (
        "--target",
        "half an instance's throughput per minute",
        "target tracking's invocations per instance per minute",
    ),
    (
        "--scale-out-minutes",
        "3",
        "minutes above target before a scale-out",
    ),
    (
        "--scale-in-minutes",
        "15",
        "minutes below 90% of target before a scale-in",
    ),
    (
        "--scale-in-ratio",
        "0.9",
        "share of the target below which a minute counts for scale-in",
    ),
    ("--scale-out-cooldown", "300", "seconds"),
    ("--scale-in-cooldown", "300", "seconds"),
    (
        "--alarm-ms",
        "the SLO",
        "latency alarm threshold on the minute's p99 (ms)",
    ),
    (
        "--alarm-minutes",
        "3",
        "N of N minutes above the threshold for ALARM",
    ),
    ("--step", "2", "SCALE_STEP"),
    ("--ceiling", "MaxCapacity", "SCALE_CEILING"),
    ("--cooldown", "300", "SCALE_COOLDOWN_SECONDS"),
    ("--hold", "10800", "SCALE_HOLD_SECONDS"),
    ("--sweep-minutes", "15", "the sweep rule's rate (minutes)"),
    ("--headroom", "1.2", "SCALE_HEADROOM (demand sizing)"),
    (
        "--demand-target",
        "none",
        "SCALE_TARGET_INVOCATIONS_PER_INSTANCE (demand sizing)",
    ),
];

pub fn usage() -> String {
    let mut text = String::from(
        "whatif run --trace FILE.csv [--calendar FILE.json] [--policies LIST] [--out DIR] [--name NAME]\n\
         \x20          [--chart-from TIME] [--chart-to TIME] [model flags]\n\
         whatif generate --out DIR [--scenario NAME]   (gaming-promotion, diurnal-week, flash-crowd)\n\n",
    );
    text.push_str(&format!("--policies: comma-separated, default {DEFAULT_POLICIES}\n--out: default target/whatif\n\nmodel flags (default; meaning):\n"));
    for (flag, default, meaning) in MODEL_FLAGS {
        text.push_str(&format!("  {flag:<22} ({default}) {meaning}\n"));
    }
    text
}

/// Pairs of `--flag value`; a flag without a value or given twice is an error.
pub fn pairs(args: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if !flag.starts_with("--") {
            return Err(Error::flag(flag, "expected a --flag"));
        }
        let value = it
            .next()
            .ok_or_else(|| Error::flag(flag, "needs a value"))?;
        if out.iter().any(|(f, _)| f == flag) {
            return Err(Error::flag(flag, "given twice"));
        }
        out.push((flag.clone(), value.clone()));
    }
    Ok(out)
}

pub fn run_args(args: &[String]) -> Result<RunArgs, Error> {
    let mut run = RunArgs {
        trace: PathBuf::new(),
        calendar: None,
        policies: DEFAULT_POLICIES.to_owned(),
        out: PathBuf::from("target/whatif"),
        name: None,
        chart_from: None,
        chart_to: None,
        model_flags: Vec::new(),
    };
    let mut trace = None;
    for (flag, value) in pairs(args)? {
        match flag.as_str() {
            "--trace" => trace = Some(PathBuf::from(value)),
            "--calendar" => run.calendar = Some(PathBuf::from(value)),
            "--policies" => run.policies = value,
            "--out" => run.out = PathBuf::from(value),
            "--name" => run.name = Some(value),
            "--chart-from" => run.chart_from = Some(time(&flag, &value)?),
            "--chart-to" => run.chart_to = Some(time(&flag, &value)?),
            f if MODEL_FLAGS.iter().any(|m| m.0 == f) => run.model_flags.push((flag, value)),
            _ => return Err(Error::flag(&flag, format!("unknown flag\n\n{}", usage()))),
        }
    }
    run.trace = trace.ok_or_else(|| {
        Error::flag(
            "--trace",
            "required: a CSV time,invocations[,model_latency_ms]",
        )
    })?;
    Ok(run)
}

fn time(flag: &str, value: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Error::flag(
                flag,
                format!("{value:?} is not a time such as 2026-12-04T22:00:00Z"),
            )
        })
}

/// Apply model flags to the defaults.
pub fn apply(mut model: Model, flags: &[(String, String)]) -> Result<Model, Error> {
    for (flag, value) in flags {
        let f = flag.as_str();
        match f {
            "--service-ms" => {
                model.service_ms = positive(f, value)?;
                model.service_from = "--service-ms".to_owned();
            }
            "--concurrency" => model.concurrency = whole(f, value, 1)?,
            "--boot-minutes" => model.boot_minutes = whole(f, value, 0)?,
            "--price" => model.price = number(f, value, 0.0)?,
            "--slo-ms" => model.slo_ms = positive(f, value)?,
            "--min-capacity" => model.min_capacity = whole(f, value, 1)?,
            "--max-capacity" => model.max_capacity = whole(f, value, 1)?,
            "--target" => model.target = positive(f, value)?,
            "--scale-out-minutes" => model.out_minutes = whole(f, value, 1)?,
            "--scale-in-minutes" => model.in_minutes = whole(f, value, 1)?,
            "--scale-in-ratio" => model.in_ratio = positive(f, value)?.min(1.0),
            "--scale-out-cooldown" => model.out_cooldown_s = whole(f, value, 0)?,
            "--scale-in-cooldown" => model.in_cooldown_s = whole(f, value, 0)?,
            "--alarm-ms" => model.alarm_ms = positive(f, value)?,
            "--alarm-minutes" => model.alarm_minutes = whole(f, value, 1)?,
            "--step" => model.step = whole(f, value, 1)?,
            "--ceiling" => model.ceiling = Some(whole(f, value, 1)?),
            "--cooldown" => model.cooldown_s = whole(f, value, 0)?,
            "--hold" => model.hold_s = whole(f, value, 60)?,
            "--sweep-minutes" => model.sweep_minutes = whole(f, value, 1)?,
            "--headroom" => model.headroom = number(f, value, 1.0)?,
            "--demand-target" => model.demand_target = Some(positive(f, value)?),
            _ => return Err(Error::flag(f, "unknown model flag")),
        }
    }
    model.finish()
}

fn number(flag: &str, value: &str, min: f64) -> Result<f64, Error> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= min => Ok(v),
        _ => Err(Error::flag(
            flag,
            format!("{value:?} is not a number of at least {min}"),
        )),
    }
}

fn positive(flag: &str, value: &str) -> Result<f64, Error> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(Error::flag(
            flag,
            format!("{value:?} is not a number above 0"),
        )),
    }
}

fn whole(flag: &str, value: &str, min: u32) -> Result<u32, Error> {
    match value.parse::<u32>() {
        Ok(v) if v >= min => Ok(v),
        _ => Err(Error::flag(
            flag,
            format!("{value:?} is not a whole number of at least {min}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_set_the_model_and_bad_values_name_the_flag() {
        let run = run_args(&args(&[
            "--trace", "t.csv", "--step", "3", "--slo-ms", "500",
        ]))
        .unwrap();
        let model = apply(Model::defaults(None), &run.model_flags).unwrap();
        assert_eq!(
            (model.step, model.slo_ms, model.alarm_ms),
            (3, 500.0, 500.0)
        );
        for (bad, flag) in [
            (vec!["--trace", "t", "--step", "0"], "flag --step"),
            (vec!["--trace", "t", "--price", "cheap"], "flag --price"),
            (vec!["--trace", "t", "--fast", "1"], "flag --fast: unknown"),
            (
                vec!["--trace", "t", "--trace", "u"],
                "flag --trace: given twice",
            ),
            (vec!["--step", "2"], "flag --trace: required"),
            (vec!["--trace"], "flag --trace: needs a value"),
        ] {
            let err = run_args(&args(&bad))
                .and_then(|r| apply(Model::defaults(None), &r.model_flags).map(|_| r))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(flag), "{err}");
        }
    }
}
