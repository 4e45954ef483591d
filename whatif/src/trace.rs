//! The input: a per-minute trace of requests, `time,invocations[,model_latency_ms]`.
//!
//! `time` is an ISO 8601 instant (`2026-12-04T23:00:00Z`, or with an offset), one row per
//! minute, strictly increasing; `invocations` is a whole number of requests received in that
//! minute; `model_latency_ms` (optional, may be empty) the observed average model latency.
//! A header line starting with `time` and lines starting with `#` are skipped. A minute missing
//! between two rows is a minute without requests. Every error names the line and the field.

use chrono::{DateTime, Duration, Utc};

use crate::error::Error;

/// The longest trace accepted: a year of minutes.
pub const MAX_MINUTES: usize = 366 * 24 * 60;

/// A parsed trace, one entry per minute from `start`, gaps filled with zero requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub start: DateTime<Utc>,
    pub invocations: Vec<u64>,
    /// Observed average model latency per minute, where the trace has it.
    pub latency_ms: Vec<Option<f64>>,
}

impl Trace {
    pub fn len(&self) -> usize {
        self.invocations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.invocations.is_empty()
    }

    pub fn time(&self, minute: usize) -> DateTime<Utc> {
        self.start + Duration::minutes(minute as i64)
    }

    pub fn total_requests(&self) -> u64 {
        self.invocations.iter().sum()
    }

    /// The observed latency at low load: the median latency of the tenth of minutes with data
    /// that had the fewest requests (at least one minute). `None` without latency data.
    pub fn low_load_latency_ms(&self) -> Option<f64> {
        let mut points: Vec<(u64, f64)> = self
            .invocations
            .iter()
            .zip(&self.latency_ms)
            .filter_map(|(&n, l)| l.map(|l| (n, l)))
            .filter(|(n, _)| *n > 0)
            .collect();
        if points.is_empty() {
            return None;
        }
        points.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let keep = points.len().div_ceil(10);
        let mut low: Vec<f64> = points[..keep].iter().map(|p| p.1).collect();
        low.sort_by(f64::total_cmp);
        Some(low[low.len() / 2])
    }

    /// Write the trace in the format [`parse`] reads (rows with zero requests included).
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(self.len() * 32);
        out.push_str("time,invocations,model_latency_ms\n");
        for (i, (n, l)) in self.invocations.iter().zip(&self.latency_ms).enumerate() {
            let time = self.time(i).format("%Y-%m-%dT%H:%M:%SZ");
            match l {
                Some(l) => out.push_str(&format!("{time},{n},{l:.1}\n")),
                None => out.push_str(&format!("{time},{n},\n")),
            }
        }
        out
    }
}

/// Parse a trace; `file` is only used in error messages.
pub fn parse(text: &str, file: &str) -> Result<Trace, Error> {
    let err = |line: usize, field: &'static str, message: String| Error::Trace {
        file: file.to_owned(),
        line,
        field,
        message,
    };
    let mut start: Option<DateTime<Utc>> = None;
    let mut last: Option<(usize, DateTime<Utc>)> = None;
    let mut invocations = Vec::new();
    let mut latency_ms = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let row = raw.trim();
        if row.is_empty() || row.starts_with('#') || (line == 1 && row.starts_with("time")) {
            continue;
        }
        let (time, count, latency) =
            parse_row(row).map_err(|(field, message)| err(line, field, message))?;
        let first = *start.get_or_insert(time);
        let minute = place(time, first, last).map_err(|message| err(line, "time", message))?;
        invocations.resize(minute, 0);
        latency_ms.resize(minute, None);
        invocations.push(count);
        latency_ms.push(latency);
        last = Some((line, time));
    }
    let Some(start) = start else {
        return Err(err(
            1,
            "row",
            "no data rows: expected time,invocations[,model_latency_ms]".to_owned(),
        ));
    };
    Ok(Trace {
        start,
        invocations,
        latency_ms,
    })
}

type Row = (DateTime<Utc>, u64, Option<f64>);

/// One row's fields, or the field that is wrong and why.
fn parse_row(row: &str) -> Result<Row, (&'static str, String)> {
    let fields: Vec<&str> = row.split(',').map(str::trim).collect();
    if fields.len() < 2 || fields.len() > 3 {
        return Err((
            "row",
            format!(
                "expected time,invocations[,model_latency_ms], got {} fields in {row:?}",
                fields.len()
            ),
        ));
    }
    let time = parse_time(fields[0]).map_err(|m| ("time", m))?;
    let count = parse_count(fields[1]).map_err(|m| ("invocations", m))?;
    let latency = match fields.get(2) {
        None | Some(&"") => None,
        Some(text) => Some(parse_latency(text).map_err(|m| ("model_latency_ms", m))?),
    };
    Ok((time, count, latency))
}

/// The minute index of `time`: after the previous row's time, on a whole minute from the
/// first row, within [`MAX_MINUTES`].
fn place(
    time: DateTime<Utc>,
    first: DateTime<Utc>,
    last: Option<(usize, DateTime<Utc>)>,
) -> Result<usize, String> {
    let shown = time.format("%Y-%m-%dT%H:%M:%SZ");
    if let Some((prev_line, prev)) = last {
        if time == prev {
            return Err(format!("{shown} repeats the time of line {prev_line}"));
        }
        if time < prev {
            return Err(format!(
                "{shown} is before line {prev_line}'s time; rows must be sorted by time"
            ));
        }
    }
    let offset = time - first;
    if offset.num_seconds() % 60 != 0 {
        return Err(format!(
            "{shown} is not a whole number of minutes after the first row's time"
        ));
    }
    let minute = offset.num_minutes() as usize;
    if minute >= MAX_MINUTES {
        return Err(format!(
            "the trace may span at most {MAX_MINUTES} minutes (a year)"
        ));
    }
    Ok(minute)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("{text:?} is not an ISO 8601 time with an offset, such as 2026-12-04T23:00:00Z")
        })
}

fn parse_count(text: &str) -> Result<u64, String> {
    if text.starts_with('-') {
        return Err(format!(
            "{text} is negative; a count of requests is 0 or more"
        ));
    }
    text.parse::<u64>()
        .map_err(|_| format!("{text:?} is not a whole number of requests"))
}

fn parse_latency(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) if v.is_finite() && v <= 0.0 => Err(format!(
            "{text} is not a latency: expected milliseconds above 0"
        )),
        _ => Err(format!("{text:?} is not a number of milliseconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(text: &str) -> String {
        parse(text, "t.csv").unwrap_err().to_string()
    }

    #[test]
    fn parses_rows_fills_gaps_and_reads_optional_latency() {
        let t = parse(
            "time,invocations,model_latency_ms\n\
             2026-11-02T00:00:00Z,10,95.5\n\
             2026-11-02T00:01:00Z,12,\n\
             # a comment\n\
             2026-11-02T00:04:00+00:00,7\n",
            "t.csv",
        )
        .unwrap();
        assert_eq!(t.invocations, vec![10, 12, 0, 0, 7]);
        assert_eq!(t.latency_ms, vec![Some(95.5), None, None, None, None]);
        assert_eq!(t.total_requests(), 29);
        assert_eq!(t.time(4).to_rfc3339(), "2026-11-02T00:04:00+00:00");
        assert_eq!(parse(&t.to_csv(), "again").unwrap(), t);
    }

    #[test]
    fn bad_rows_name_the_line_and_the_field() {
        let head = "time,invocations\n2026-11-02T00:00:00Z,10\n";
        let cases = [
            (
                format!("{head}2026-11-02T00:01:00Z,ten\n"),
                "line 3, field invocations",
            ),
            (
                format!("{head}2026-11-02T00:01:00Z,-4\n"),
                "line 3, field invocations: -4 is negative",
            ),
            (format!("{head}yesterday,4\n"), "line 3, field time"),
            (
                format!("{head}2026-11-02T00:00:00Z,4\n"),
                "line 3, field time: 2026-11-02T00:00:00Z repeats the time of line 2",
            ),
            (
                format!("{head}2026-11-01T23:59:00Z,4\n"),
                "line 3, field time: 2026-11-01T23:59:00Z is before line 2's time",
            ),
            (
                format!("{head}2026-11-02T00:01:30Z,4\n"),
                "line 3, field time: 2026-11-02T00:01:30Z is not a whole number of minutes",
            ),
            (
                format!("{head}2026-11-02T00:01:00Z,4,fast\n"),
                "line 3, field model_latency_ms",
            ),
            (
                format!("{head}2026-11-02T00:01:00Z,4,-3\n"),
                "line 3, field model_latency_ms: -3 is not a latency",
            ),
            (
                format!("{head}2026-11-02T00:01:00Z\n"),
                "line 3, field row: expected time,invocations",
            ),
            (
                "time,invocations\n".to_owned(),
                "line 1, field row: no data rows",
            ),
        ];
        for (text, expected) in cases {
            let message = err_of(&text);
            assert!(message.starts_with("t.csv: "), "{message}");
            assert!(
                message.contains(expected),
                "{expected:?} not in {message:?}"
            );
        }
    }

    #[test]
    fn low_load_latency_is_the_median_of_the_quietest_tenth() {
        let mut text = String::from("time,invocations,model_latency_ms\n");
        for i in 0..20 {
            // The two quietest minutes (0 and 1 requests... 1 and 2) have 80 and 90 ms.
            let latency = if i < 2 { 80.0 + 10.0 * i as f64 } else { 200.0 };
            text.push_str(&format!("2026-11-02T00:{i:02}:00Z,{},{latency}\n", i + 1));
        }
        let t = parse(&text, "t").unwrap();
        assert_eq!(t.low_load_latency_ms(), Some(90.0));
        let none = parse("2026-11-02T00:00:00Z,5\n", "t").unwrap();
        assert_eq!(none.low_load_latency_ms(), None);
    }
}
