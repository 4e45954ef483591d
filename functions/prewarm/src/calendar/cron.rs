//! The day fields of a `cron(...)` recurrence (day-of-month, month, day-of-week, year), read as
//! Application Auto Scaling reads them, so a calendar can tell on which days an entry runs:
//! numbers, `*`, `?`, lists, ranges, `/` steps, month and weekday names (weekdays 1-7 are
//! SUN-SAT), `L` (the last day, or `5L` the last Thursday), `W` (`15W` the weekday nearest the
//! 15th, `LW` the last weekday) and `#` (`FRI#1` the first Friday).

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The days a cron runs on, parsed; shown as the four fields it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronDays {
    text: String,
    /// `None`: `?`.
    day_of_month: Option<Vec<MonthDay>>,
    month: Vec<Span>,
    /// `None`: `?`.
    day_of_week: Option<Vec<WeekDay>>,
    year: Vec<Span>,
}

/// `lo` to `hi`, every `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    lo: u32,
    hi: u32,
    step: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MonthDay {
    Days(Span),
    Last,
    NearestWeekday(u32),
    LastWeekday,
}

/// Weekdays are numbered as in the cron: 1 = Sunday to 7 = Saturday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WeekDay {
    Days(Span),
    Nth { weekday: u32, nth: u32 },
    Last(u32),
}

impl CronDays {
    /// Read the four day fields; an error names the field it does not understand.
    pub fn parse(
        day_of_month: &str,
        month: &str,
        day_of_week: &str,
        year: &str,
    ) -> Result<Self, String> {
        let any_day = |field: &str| field == "?";
        Ok(CronDays {
            text: format!("{day_of_month} {month} {day_of_week} {year}"),
            day_of_month: (!any_day(day_of_month))
                .then(|| items("day-of-month", day_of_month, month_day))
                .transpose()?,
            month: items("month", month, |part| span(part, 1, 12, &MONTHS))?,
            day_of_week: (!any_day(day_of_week))
                .then(|| items("day-of-week", day_of_week, week_day))
                .transpose()?,
            year: items("year", year, |part| span(part, 1970, 2199, &[]))?,
        })
    }

    /// Whether the cron runs on `date`.
    pub fn matches(&self, date: NaiveDate) -> bool {
        let in_spans = |spans: &[Span], v: u32| spans.iter().any(|s| s.contains(v));
        in_spans(&self.month, date.month())
            && in_spans(&self.year, u32::try_from(date.year()).unwrap_or(0))
            && self
                .day_of_month
                .as_ref()
                .is_none_or(|days| days.iter().any(|d| d.matches(date)))
            && self
                .day_of_week
                .as_ref()
                .is_none_or(|days| days.iter().any(|d| d.matches(date)))
    }
}

impl fmt::Display for CronDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Span {
    fn contains(self, v: u32) -> bool {
        (self.lo..=self.hi).contains(&v) && (v - self.lo).is_multiple_of(self.step)
    }
}

/// A comma list of a field's items, or an error naming the field.
fn items<T>(field: &str, text: &str, item: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    text.split(',')
        .map(|part| {
            item(part).ok_or_else(|| format!("has a {field} field {text:?} that is not understood"))
        })
        .collect()
}

/// `*`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s`, with `names` for 1, 2, ... (months, weekdays).
fn span(text: &str, lo: u32, hi: u32, names: &[&str]) -> Option<Span> {
    let (range, step) = match text.split_once('/') {
        Some((range, step)) => (range, step.parse().ok().filter(|&s| s > 0)?),
        None => (text, 1),
    };
    let value = |v: &str| {
        v.parse()
            .ok()
            .or_else(|| {
                let i = names.iter().position(|n| n.eq_ignore_ascii_case(v))?;
                u32::try_from(i + 1).ok()
            })
            .filter(|n| (lo..=hi).contains(n))
    };
    let (a, b) = match range {
        "*" => (lo, hi),
        r => match r.split_once('-') {
            Some((a, b)) => (value(a)?, value(b)?),
            None if step > 1 => (value(r)?, hi),
            None => (value(r)?, value(r)?),
        },
    };
    (a <= b).then_some(Span { lo: a, hi: b, step })
}

fn month_day(text: &str) -> Option<MonthDay> {
    match text {
        "L" => Some(MonthDay::Last),
        "LW" => Some(MonthDay::LastWeekday),
        t => match t.strip_suffix('W') {
            Some(day) => Some(MonthDay::NearestWeekday(
                day.parse().ok().filter(|d| (1..=31).contains(d))?,
            )),
            None => span(t, 1, 31, &[]).map(MonthDay::Days),
        },
    }
}

fn week_day(text: &str) -> Option<WeekDay> {
    let day = |d: &str| {
        span(d, 1, 7, &WEEKDAYS)
            .filter(|s| s.lo == s.hi)
            .map(|s| s.lo)
    };
    if let Some((weekday, nth)) = text.split_once('#') {
        let nth = nth.parse().ok().filter(|n| (1..=5).contains(n))?;
        return Some(WeekDay::Nth {
            weekday: day(weekday)?,
            nth,
        });
    }
    match text.strip_suffix('L') {
        Some("") => Some(WeekDay::Days(Span {
            lo: 7,
            hi: 7,
            step: 1,
        })),
        Some(weekday) => Some(WeekDay::Last(day(weekday)?)),
        None => span(text, 1, 7, &WEEKDAYS).map(WeekDay::Days),
    }
}

fn last_day(date: NaiveDate) -> u32 {
    (28..=31)
        .rev()
        .find(|&d| date.with_day(d).is_some())
        .unwrap_or(28)
}

/// The cron's number of a date's weekday: 1 = Sunday to 7 = Saturday.
fn cron_weekday(date: NaiveDate) -> u32 {
    date.weekday().num_days_from_sunday() + 1
}

impl MonthDay {
    fn matches(self, date: NaiveDate) -> bool {
        let last = last_day(date);
        // The weekday nearest `day` within the month.
        let nearest = |day: u32| {
            let that = date.with_day(day)?;
            Some(match that.weekday() {
                Weekday::Sat if day == 1 => 3,
                Weekday::Sat => day - 1,
                Weekday::Sun if day == last => day - 2,
                Weekday::Sun => day + 1,
                _ => day,
            })
        };
        match self {
            MonthDay::Days(span) => span.contains(date.day()),
            MonthDay::Last => date.day() == last,
            MonthDay::NearestWeekday(day) => nearest(day) == Some(date.day()),
            MonthDay::LastWeekday => nearest(last) == Some(date.day()),
        }
    }
}

impl WeekDay {
    fn matches(self, date: NaiveDate) -> bool {
        let weekday = cron_weekday(date);
        match self {
            WeekDay::Days(span) => span.contains(weekday),
            WeekDay::Nth { weekday: w, nth } => w == weekday && (date.day() - 1) / 7 + 1 == nth,
            WeekDay::Last(w) => w == weekday && date.day() + 7 > last_day(date),
        }
    }
}
