//! The sample events in `events/` stay valid: none carries an absolute time that the code
//! compares with the current time and that will pass within the next year. A sample that
//! expires breaks hand invokes (`cargo lambda invoke --data-file`, the console) and every test
//! that uses it on the day it passes; a relative expiry (`"for": "2h"`) never does.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use integration_tests::workspace;
use prewarm::calendar::{self, Timing};
use prewarm::payload::{self, Request};
use serde_json::Value;

/// How long a sample must stay valid from today.
fn horizon() -> Duration {
    Duration::days(366)
}

/// Every JSON file under `events/`, fixtures included, except the what-if calendars in
/// `events/traces/`: they describe the fixed dates of the generated sample traces they are
/// replayed with (docs/whatif.md), not something to invoke.
fn sample_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("events/traces") {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&workspace().join("events"), &mut files);
    files.sort();
    assert!(files.len() > 20, "events/ has only {} samples", files.len());
    files
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(path: &Path) -> String {
    path.strip_prefix(workspace())
        .unwrap()
        .display()
        .to_string()
}

/// A string that is a date or a time: RFC 3339 (`2026-11-28T12:00:00Z`), CloudWatch's
/// `2026-11-28T12:00:00.000+0000`, a calendar's local `2026-12-04T18:00`, or a bare date.
fn as_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc())
}

/// (JSON path, time) of every string in `value` that is a date or a time, also inside JSON
/// strings (an SNS message is a JSON document in a string).
fn times(value: &Value, at: &str, out: &mut Vec<(String, DateTime<Utc>)>) {
    match value {
        Value::String(text) => {
            if let Some(t) = as_time(text.trim()) {
                out.push((at.to_owned(), t));
            } else if let Ok(inner @ (Value::Object(_) | Value::Array(_))) =
                serde_json::from_str::<Value>(text)
            {
                times(&inner, at, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                times(item, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                times(item, &format!("{at}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// No date in any sample lies between now and a year from now: each is either in the past
/// (when something happened: an alarm, a job, a finding) or far ahead, where that is the point.
#[test]
fn no_sample_carries_a_date_that_passes_within_a_year() {
    let now = Utc::now();
    let mut soon = Vec::new();
    let mut seen = 0;
    for file in sample_files() {
        let mut found = Vec::new();
        times(&read(&file), "", &mut found);
        seen += found.len();
        for (at, t) in found {
            if t > now && t <= now + horizon() {
                soon.push(format!("{} {at}: {t}", name(&file)));
            }
        }
    }
    assert!(seen > 20, "only {seen} dates found: is the scan broken?");
    assert!(
        soon.is_empty(),
        "dates that will pass within a year (use a relative expiry such as \"for\": \"2h\", or \
         a date further ahead where a fixed date is the point):\n{}",
        soon.join("\n")
    );
}

/// What the code compares with the current time: a prewarm payload is accepted today and a year
/// from today (a fixed `until` cannot be: it is refused in the past and beyond the 90-day
/// horizon), and every calendar passes the checks a sync makes before writing (the horizon
/// among them) on both days, with no entry over.
#[test]
fn prewarm_samples_are_accepted_today_and_in_a_year() {
    let mut payloads = 0;
    let mut entries = 0;
    for file in sample_files() {
        let value = read(&file);
        let is_payload = value.get("action").is_some();
        let is_calendar = value.get("calendar").is_some();
        if !is_payload && !is_calendar {
            continue;
        }
        for now in [Utc::now(), Utc::now() + horizon()] {
            if is_payload {
                let request = payload::parse(value.clone(), now)
                    .unwrap_or_else(|e| panic!("{} at {now}: {e}", name(&file)));
                if let Request::Raise(raise) = &request {
                    assert!(
                        raise.hold_for.is_some(),
                        "{}: a raise sample gives `for`",
                        name(&file)
                    );
                }
                payloads += 1;
            }
            let calendar = match &request_calendar(&value) {
                Some(calendar) => {
                    calendar::parse(calendar).unwrap_or_else(|e| panic!("{}: {e}", name(&file)))
                }
                None => continue,
            };
            calendar::check(&calendar, now)
                .unwrap_or_else(|e| panic!("{} at {now}: {e}", name(&file)));
            for entry in &calendar {
                let timing = calendar::timing(entry, now)
                    .unwrap_or_else(|e| panic!("{} {} at {now}: {e}", name(&file), entry.name));
                assert!(
                    !matches!(timing, Timing::Expired),
                    "{}: calendar entry {} is over at {now}; move it further ahead",
                    name(&file),
                    entry.name
                );
                entries += 1;
            }
        }
    }
    // raise, restore, verify, sync-calendar, each at two times.
    assert!(payloads >= 8, "only {payloads} prewarm payloads checked");
    assert!(entries >= 4, "only {entries} calendar entries checked");
}

/// The inline calendar of a `sync-calendar` payload, or a calendar file itself.
fn request_calendar(value: &Value) -> Option<Value> {
    match value.get("calendar") {
        Some(list @ Value::Array(_)) => Some(list.clone()),
        _ => None,
    }
}
