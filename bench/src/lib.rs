//! The hot path of each function without any I/O: parse a sample event from `events/` into the
//! domain type and compute the decision (the capacity plan, the readiness verdict, the calendar
//! timings, the rendered drift message). `benches/hot_path.rs` times these per event; the
//! cold-start and API-call measurements are in `run.py`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use drift_notify::event::{self as drift_event, Input};
use drift_notify::finding::parse_violations;
use prewarm::calendar;
use prewarm::payload::{self, Request};
use remediation::alarm::{Alarm, AlarmState};
use remediation::decide::{self, AlarmChange, Change, Plan, ScalePolicy, View};
use remediation::holds::{self, Capacity, Hold, VariantHolds};
use remediation::record::Record;
use remediation::Error;
use serde_json::Value;

/// The function a sample event is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    ScaleOnLatency,
    Prewarm,
    DriftNotify,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::ScaleOnLatency => "scale-on-latency",
            Function::Prewarm => "prewarm",
            Function::DriftNotify => "drift-notify",
        }
    }
}

/// One sample event and the function it goes to.
#[derive(Debug, Clone)]
pub struct Sample {
    pub function: Function,
    /// File name without `.json`.
    pub name: String,
    /// The event as it arrives: JSON text.
    pub text: String,
}

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("events")
}

/// Every sample event in `events/` (the calendar file `prewarm-calendar.json` is an input the
/// `sync-calendar` action reads, not an event).
pub fn samples() -> Vec<Sample> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .expect("events/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            let function = if name.starts_with("prewarm-") {
                if name == "prewarm-calendar" {
                    return None;
                }
                Function::Prewarm
            } else if name.starts_with("sagemaker-processing-job")
                || name.starts_with("custom-drift")
                || name.starts_with("cloudwatch-alarm-drift")
            {
                Function::DriftNotify
            } else {
                Function::ScaleOnLatency
            };
            let text = std::fs::read_to_string(&path).expect("sample event is readable");
            Some(Sample {
                function,
                name,
                text,
            })
        })
        .collect()
}

/// The moment the decisions are taken at: the samples' day, so every hold and `until` is live.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:30Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

/// A variant at MinCapacity 2..20 with a baseline and one live pre-warm hold, as read from tags.
pub fn variant_state(variant: &str, now: DateTime<Utc>) -> (Capacity, VariantHolds) {
    let hold = Hold {
        min: 3,
        until: now + Duration::hours(2),
        since: now - Duration::minutes(10),
        trigger: None,
        raise_max: false,
    };
    let tags = [
        (holds::baseline_key(variant), "2".to_owned()),
        (
            holds::hold_key(variant, &holds::event_reason(variant, "promo")),
            hold.encode(),
        ),
    ];
    let holds =
        VariantHolds::from_tags(variant, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    (Capacity { min: 3, max: 20 }, holds)
}

/// Every sample event parses and decides; the first one that does not, as an error message.
pub fn check_samples() -> Result<usize, String> {
    let samples = samples();
    if samples.len() < 20 {
        return Err(format!("expected the sample events, got {}", samples.len()));
    }
    for sample in &samples {
        decide(sample.function, &sample.text, now())
            .map_err(|err| format!("{} ({}): {err}", sample.name, sample.function.name()))?;
    }
    Ok(samples.len())
}

/// Parse one event from its JSON text and decide. Returns a number that depends on the whole
/// result, so the work cannot be optimised away.
pub fn decide(function: Function, text: &str, now: DateTime<Utc>) -> Result<usize, Error> {
    let event: Value = serde_json::from_str(text)
        .map_err(|err| Error::InvalidEvent(format!("not JSON: {err}")))?;
    match function {
        Function::ScaleOnLatency => scale_on_latency(event, now),
        Function::Prewarm => prewarm(event, now),
        Function::DriftNotify => drift_notify(event),
    }
}

/// The decision the remediation path makes for one variant in the state [`variant_state`] gives.
fn plan(variant: &str, change: &Change<'_>, now: DateTime<Utc>) -> Plan {
    let (current, holds) = variant_state(variant, now);
    decide::decide(
        change,
        &View {
            variant,
            current,
            holds: &holds,
            record: &Record::default(),
            now,
        },
    )
}

const POLICY: ScalePolicy = ScalePolicy {
    step: 2,
    ceiling: None,
    cooldown: std::time::Duration::from_secs(300),
    hold_for: std::time::Duration::from_secs(10_800),
};

fn scale_on_latency(event: Value, now: DateTime<Utc>) -> Result<usize, Error> {
    if event.get("detail-type").and_then(Value::as_str)
        == Some(scale_on_latency::SCHEDULED_DETAIL_TYPE)
    {
        return Ok(plan("AllTraffic", &Change::Sweep, now).reason.len());
    }
    let mut size = 0;
    for alarm in Alarm::parse(event)? {
        let variant = alarm
            .metrics
            .iter()
            .find_map(|m| m.dimensions.get(scale_on_latency::VARIANT_TAG))
            .map_or("AllTraffic", String::as_str)
            .to_owned();
        if alarm.state == AlarmState::InsufficientData {
            continue;
        }
        let trigger = alarm.transition_id();
        let change = Change::Alarm(AlarmChange {
            name: &alarm.name,
            firing: alarm.state == AlarmState::Alarm,
            at: alarm.time,
            trigger: trigger.as_deref(),
            policy: &POLICY,
            demand: None,
        });
        let plan = plan(&variant, &change, now);
        size += plan.reason.len() + plan.put_tags.len() + plan.delete_tags.len();
    }
    Ok(size)
}

fn prewarm(event: Value, now: DateTime<Utc>) -> Result<usize, Error> {
    let variant = "AllTraffic";
    let (current, _) = variant_state(variant, now);
    Ok(match payload::parse(event, now)? {
        Request::Raise(raise) => {
            let change = Change::Hold(raise.hold());
            let plan = plan(variant, &change, now);
            plan.reason.len() + plan.put_tags.len()
        }
        Request::Restore(restore) => {
            let plan = plan(
                variant,
                &Change::Release {
                    event: &restore.event,
                },
                now,
            );
            plan.reason.len() + plan.delete_tags.len()
        }
        Request::End(end) => {
            let change = Change::CalendarEnd {
                event: &end.event,
                baseline: end.baseline,
                max: end.max_back(),
                alarm_hold: chrono::Duration::hours(3),
            };
            let plan = plan(variant, &change, now);
            plan.reason.len() + plan.put_tags.len() + plan.delete_tags.len()
        }
        Request::Verify(verify) => {
            let required = verify.min_capacity.unwrap_or(current.min);
            let r = prewarm::readiness(
                "InService",
                variant,
                Some(2),
                Some(2),
                (required, "min_capacity in the payload".to_owned()),
                verify.min_capacity,
            );
            usize::from(r.ready) + r.required as usize
        }
        Request::SyncCalendar(sync) => {
            let payload::CalendarSource::Inline(value) = sync.source else {
                return Ok(0);
            };
            let mut size = 0;
            for entry in calendar::parse(&value)? {
                if let calendar::Timing::Scheduled { raise, restore, .. } =
                    calendar::timing(&entry, now)?
                {
                    size += raise.0.len() + restore.0.len();
                }
            }
            size
        }
    })
}

/// The violations report the monitoring-job sample points at (read from S3 in the function).
pub fn violations_report() -> Vec<u8> {
    std::fs::read(events_dir().join("fixtures/constraint_violations.json"))
        .expect("events/fixtures/constraint_violations.json is readable")
}

fn drift_notify(event: Value) -> Result<usize, Error> {
    let findings = match drift_event::parse(event)? {
        Input::NotMonitoring { job } => return Ok(job.len()),
        Input::Job(job) => match job.status.as_str() {
            "Failed" => vec![job.failed_finding()],
            "Completed" if job.has_violations() => {
                let uri = job.violations_uri().unwrap_or_default();
                vec![job.violations_finding(parse_violations(&violations_report(), &uri)?)]
            }
            _ => Vec::new(),
        },
        Input::Alarms(alarms) => alarms
            .iter()
            .filter(|a| a.state == AlarmState::Alarm)
            .map(|a| drift_event::alarm_finding(a, None))
            .collect::<Result<_, _>>()?,
        Input::Custom(finding) => vec![*finding],
    };
    Ok(findings
        .iter()
        .map(|f| {
            let notice = f.notice();
            notice.subject.len() + notice.body.len()
        })
        .sum())
}
