//! Typed access to the fields of a payload or of a calendar entry, with errors that name the
//! field: strings, names, capacities, flags, expiries and durations.

use chrono::{DateTime, Duration, SubsecRound, Timelike, Utc};
use remediation::{is_sagemaker_name, Error};
use serde_json::{Map, Value};

use crate::payload::{is_placeholder, rfc3339, shown, INFO_FIELDS, MAX_CAPACITY, MAX_HOLD_DAYS};

pub(crate) fn missing(field: &str) -> Error {
    Error::InvalidEvent(format!("{field}: missing (required)"))
}

/// Typed access to the fields of a JSON object, with errors that name them.
pub(crate) struct Fields<'a> {
    pub map: &'a Map<String, Value>,
}

impl Fields<'_> {
    /// Refuse fields this action does not know (a typo would otherwise be silently ignored).
    pub fn only(&self, known: &[&str]) -> Result<(), Error> {
        match self
            .map
            .keys()
            .find(|k| !known.contains(&k.as_str()) && !INFO_FIELDS.contains(&k.as_str()))
        {
            Some(unknown) => Err(Error::InvalidEvent(format!(
                "{}: unknown field; expected {}",
                shown(unknown),
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    pub fn optional_str(&self, field: &str) -> Result<Option<String>, Error> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if is_placeholder(s) => Err(Error::InvalidEvent(format!(
                "{field}: {s} is an EventBridge Scheduler placeholder that was not resolved; \
                 placeholders are only filled in when Scheduler invokes the function, give a value"
            ))),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(Error::InvalidEvent(format!("{field}: must not be empty")))
            }
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(Error::InvalidEvent(format!(
                "{field}: expected a string, got {other}"
            ))),
        }
    }

    pub fn required_str(&self, field: &str) -> Result<String, Error> {
        self.optional_str(field)?.ok_or_else(|| missing(field))
    }

    /// An informational string: placeholders and non-strings are ignored.
    pub fn info(&self, field: &str) -> Option<String> {
        self.map
            .get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && !is_placeholder(s))
            .map(str::to_owned)
    }

    pub fn endpoint(&self) -> Result<String, Error> {
        let name = self.required_str("endpoint")?;
        if is_sagemaker_name(&name) {
            Ok(name)
        } else {
            Err(Error::InvalidEvent(format!(
                "endpoint: {name:?} is not a SageMaker endpoint name (letters, digits, '-', \
                 at most 63)"
            )))
        }
    }

    pub fn variant(&self) -> Result<Option<String>, Error> {
        match self.optional_str("variant")? {
            Some(name) if !is_sagemaker_name(&name) => Err(Error::InvalidEvent(format!(
                "variant: {name:?} is not a SageMaker variant name (letters, digits, '-', at \
                 most 63)"
            ))),
            other => Ok(other),
        }
    }

    pub fn event_name(&self) -> Result<String, Error> {
        let name = self.required_str("event")?;
        if name.chars().count() > 100 {
            return Err(Error::InvalidEvent(
                "event: at most 100 characters".to_owned(),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::InvalidEvent(
                "event: contains control characters (line breaks, tabs, NUL); give a plain name"
                    .to_owned(),
            ));
        }
        Ok(name)
    }

    pub fn capacity(&self, field: &str) -> Result<u32, Error> {
        let value = self.map.get(field).ok_or_else(|| missing(field))?;
        let n = match value {
            Value::Number(n) => n.as_i64().ok_or_else(|| {
                Error::InvalidEvent(format!("{field}: {n} is not a whole number"))
            })?,
            Value::Null => return Err(missing(field)),
            other => {
                return Err(Error::InvalidEvent(format!(
                    "{field}: expected a whole number, got {other}"
                )))
            }
        };
        if n < 1 {
            return Err(Error::InvalidEvent(format!(
                "{field}: must be at least 1, got {n} (instance variants need at least one \
                 instance)"
            )));
        }
        u32::try_from(n)
            .ok()
            .filter(|&n| n <= MAX_CAPACITY)
            .ok_or_else(|| Error::InvalidEvent(format!("{field}: at most {MAX_CAPACITY}, got {n}")))
    }

    pub fn bool(&self, field: &str) -> Result<Option<bool>, Error> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::InvalidEvent(format!(
                "{field}: expected true or false, got {other}"
            ))),
        }
    }

    /// A raise's expiry: exactly one of `until` (a time with an offset) and `for` (a duration
    /// from `now`), in the future and at most [`MAX_HOLD_DAYS`] ahead.
    pub fn expiry(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, Option<Duration>), Error> {
        let given = |field| !matches!(self.map.get(field), None | Some(Value::Null));
        let (until, hold_for) = match (given("until"), given("for")) {
            (true, true) => {
                return Err(Error::InvalidEvent(
                    "until, for: give one of them, not both (until: a time such as \
                     2026-12-01T19:15:00Z; for: a duration such as 2h)"
                        .to_owned(),
                ))
            }
            (false, false) => {
                return Err(Error::InvalidEvent(
                    "until: missing (required, or instead for: a duration such as 2h); \
                     nothing is pinned forever"
                        .to_owned(),
                ))
            }
            (true, false) => (self.time("until")?, None),
            (false, true) => {
                let hold_for = self.duration("for")?;
                (now + hold_for, Some(hold_for))
            }
        };
        if until <= now {
            return Err(Error::InvalidEvent(format!(
                "until: {} is in the past (now {}); a raise must end in the future",
                rfc3339(until),
                rfc3339(now)
            )));
        }
        if until > now + Duration::days(MAX_HOLD_DAYS) {
            return Err(Error::InvalidEvent(format!(
                "until: {} is more than {MAX_HOLD_DAYS} days ahead; use a nearer expiry \
                 (raise again later to extend)",
                rfc3339(until)
            )));
        }
        Ok((until, hold_for))
    }

    /// A duration such as `2h`, `90m`, `2h15m`, `1d12h` or `45s`: whole numbers with the
    /// units d, h, m, s, largest first, each at most once; longer than zero.
    pub fn duration(&self, field: &str) -> Result<Duration, Error> {
        let text = self.required_str(field)?;
        let bad = || {
            Error::InvalidEvent(format!(
                "{field}: {text:?} is not a duration such as 2h, 90m or 1d12h (whole numbers \
                 with the units d, h, m, s)"
            ))
        };
        let mut total_seconds: i64 = 0;
        let mut units = ['d', 'h', 'm', 's'].iter();
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            // Each unit once, largest first: the next unit must come later in the list.
            let Some(&unit) = units.by_ref().find(|&&u| u == c) else {
                return Err(bad());
            };
            let n: i64 = digits.parse().map_err(|_| bad())?;
            digits.clear();
            let seconds = match unit {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                _ => 1,
            };
            total_seconds = total_seconds.saturating_add(n.saturating_mul(seconds));
        }
        if !digits.is_empty() || text.is_empty() {
            return Err(bad());
        }
        if total_seconds <= 0 {
            return Err(Error::InvalidEvent(format!(
                "{field}: {text:?} must be longer than zero"
            )));
        }
        if total_seconds > MAX_HOLD_DAYS * 86_400 {
            return Err(Error::InvalidEvent(format!(
                "{field}: {text:?} is more than {MAX_HOLD_DAYS} days; use a shorter hold \
                 (raise again later to extend)"
            )));
        }
        Ok(Duration::seconds(total_seconds))
    }

    /// A point in time with an offset (`2026-12-01T19:15:00Z`, `...+01:00`), to the whole
    /// second: holds are stored to the second, so `...:00.250Z` delivered twice is the same
    /// hold both times. A leap second (`:60`) is refused: none is scheduled, and an expiry
    /// stored as written would not be a real time.
    pub fn time(&self, field: &str) -> Result<DateTime<Utc>, Error> {
        let text = self.required_str(field)?;
        let time = DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Error::InvalidEvent(format!(
                    "{field}: {text:?} is not a time with a UTC offset, such as \
                     2026-12-01T19:15:00Z or 2026-12-01T20:15:00+01:00"
                ))
            })?;
        if time.nanosecond() >= 1_000_000_000 {
            return Err(Error::InvalidEvent(format!(
                "{field}: {text:?} is a leap second (second 60), not a time a hold can end at; \
                 use second 59 or the next minute"
            )));
        }
        Ok(time.trunc_subsecs(0))
    }
}
