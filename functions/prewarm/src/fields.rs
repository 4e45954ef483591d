//! The values of a payload's and a calendar entry's fields, checked as they are deserialized:
//! each type's message says only what is wrong with the value, and [`remediation::from_json`]
//! puts the field's path in front of it (`min_capacity: must be at least 1, got 0`).
//!
//! Every field is an `Option` in the structs that use these types: `null` counts as absent,
//! and [`required`] says `<field>: missing (required)` for one that must be there.

use chrono::{DateTime, Duration, SubsecRound, Timelike, Utc};
use remediation::{is_sagemaker_name, Error};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::{Map, Value};

use crate::payload::{is_placeholder, shown, INFO_FIELDS, MAX_CAPACITY, MAX_HOLD_DAYS};

pub(crate) fn missing(field: &str) -> Error {
    Error::InvalidEvent(format!("{field}: missing (required)"))
}

/// The value of a field that must be given.
pub(crate) fn required<T>(value: Option<T>, field: &str) -> Result<T, Error> {
    value.ok_or_else(|| missing(field))
}

/// Deserialize the fields of `object` (a JSON object) into `T` after refusing any field `T`
/// does not have, other than `also` and the informational [`INFO_FIELDS`] (a typo would
/// otherwise be silently ignored).
pub(crate) fn known<T: DeserializeOwned>(object: &Value, also: &[&str]) -> Result<T, Error> {
    let fields = field_names::<T>();
    let allowed = |k: &str| fields.contains(&k) || also.contains(&k) || INFO_FIELDS.contains(&k);
    let keys = object.as_object().into_iter().flat_map(Map::keys);
    if let Some(unknown) = keys.into_iter().find(|k| !allowed(k)) {
        let expected: Vec<&str> = also.iter().chain(fields).copied().collect();
        return Err(Error::InvalidEvent(format!(
            "{}: unknown field; expected {}",
            shown(unknown),
            expected.join(", ")
        )));
    }
    remediation::from_json(object, "")
}

/// The fields a derived struct deserializes, as serde's derive hands them to
/// `deserialize_struct` (renames applied).
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// A field type whose value is checked by `$check(&Value) -> Result<$inner, String>`.
macro_rules! checked {
    ($(#[$doc:meta])* $name:ident($inner:ty) = $check:path) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $name(pub $inner);

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                $check(&value)
                    .map($name)
                    .map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use checked;

checked!(
    /// A SageMaker endpoint name.
    EndpointName(String) = endpoint
);
checked!(
    /// A SageMaker variant name.
    VariantName(String) = variant
);
checked!(
    /// An event's name: at most 100 characters, no control characters.
    EventName(String) = event_name
);
checked!(
    /// An instance count: a whole number from 1 to [`MAX_CAPACITY`].
    Capacity(u32) = capacity
);
checked!(
    /// `true` or `false`.
    Flag(bool) = flag
);
checked!(
    /// A point in time with an offset, to the whole second (see [`time`]).
    Time(DateTime<Utc>) = time
);
checked!(
    /// A hold's duration such as `2h` (see [`duration`]).
    HoldFor(Duration) = duration
);

/// `scheduled_time`, EventBridge Scheduler's `<aws.scheduler.scheduled-time>`: the time the
/// schedule was due. An end is refused when it arrives too late after it; a raise recognises
/// a retried delivery by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScheduledTime {
    /// As written (trimmed).
    pub text: String,
    pub time: DateTime<Utc>,
}

/// The payload's `scheduled_time`, checked the same way for every action: absent, `null` or
/// the placeholder left unresolved (a payload invoked by hand) is no time; any other value
/// must be a time with an offset, as Scheduler fills it in. A malformed one is refused rather
/// than ignored: ignoring it would turn off an end's lateness check.
pub(crate) fn scheduled_time(payload: &Value) -> Result<Option<ScheduledTime>, Error> {
    let value = match payload.get("scheduled_time") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if is_placeholder(s) => return Ok(None),
        Some(value) => value,
    };
    let refused = |why: String| {
        Error::InvalidEvent(format!(
            "scheduled_time: {why}; give the time the schedule was due (Scheduler fills in \
             <aws.scheduler.scheduled-time>) or leave it out"
        ))
    };
    let time = time(value).map_err(refused)?;
    Ok(Some(ScheduledTime {
        text: text(value).map_err(refused)?,
        time,
    }))
}

/// A string: trimmed, not empty, not an unresolved Scheduler placeholder.
pub(crate) fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if is_placeholder(s) => Err(format!(
            "{s} is an EventBridge Scheduler placeholder that was not resolved; placeholders \
             are only filled in when Scheduler invokes the function, give a value"
        )),
        Value::String(s) if s.trim().is_empty() => Err("must not be empty".to_owned()),
        Value::String(s) => Ok(s.trim().to_owned()),
        other => Err(format!("expected a string, got {other}")),
    }
}

fn endpoint(value: &Value) -> Result<String, String> {
    sagemaker_name(value, "endpoint")
}

fn variant(value: &Value) -> Result<String, String> {
    sagemaker_name(value, "variant")
}

/// A SageMaker `kind` (endpoint, variant) name.
fn sagemaker_name(value: &Value, kind: &str) -> Result<String, String> {
    let name = text(value)?;
    if is_sagemaker_name(&name) {
        Ok(name)
    } else {
        Err(format!(
            "{name:?} is not a SageMaker {kind} name (letters, digits, '-', at most 63)"
        ))
    }
}

fn event_name(value: &Value) -> Result<String, String> {
    let name = text(value)?;
    if name.chars().count() > 100 {
        return Err("at most 100 characters".to_owned());
    }
    if name.chars().any(char::is_control) {
        return Err(
            "contains control characters (line breaks, tabs, NUL); give a plain name".to_owned(),
        );
    }
    Ok(name)
}

fn capacity(value: &Value) -> Result<u32, String> {
    let n = match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{n} is not a whole number"))?,
        other => return Err(format!("expected a whole number, got {other}")),
    };
    if n < 1 {
        return Err(format!(
            "must be at least 1, got {n} (instance variants need at least one instance)"
        ));
    }
    u32::try_from(n)
        .ok()
        .filter(|&n| n <= MAX_CAPACITY)
        .ok_or_else(|| format!("at most {MAX_CAPACITY}, got {n}"))
}

fn flag(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("expected true or false, got {value}"))
}

/// A duration such as `2h`, `90m`, `2h15m`, `1d12h` or `45s`: whole numbers with the units d,
/// h, m, s, largest first, each at most once; longer than zero and at most [`MAX_HOLD_DAYS`].
fn duration(value: &Value) -> Result<Duration, String> {
    let text = text(value)?;
    let bad = || {
        format!(
            "{text:?} is not a duration such as 2h, 90m or 1d12h (whole numbers with the units \
             d, h, m, s)"
        )
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
        return Err(format!("{text:?} must be longer than zero"));
    }
    if total_seconds > MAX_HOLD_DAYS * 86_400 {
        return Err(format!(
            "{text:?} is more than {MAX_HOLD_DAYS} days; use a shorter hold (raise again later \
             to extend)"
        ));
    }
    Ok(Duration::seconds(total_seconds))
}

/// A point in time with an offset (`2026-12-01T19:15:00Z`, `...+01:00`), to the whole second:
/// holds are stored to the second, so `...:00.250Z` delivered twice is the same hold both
/// times. A leap second (`:60`) is refused: none is scheduled, and an expiry stored as written
/// would not be a real time.
fn time(value: &Value) -> Result<DateTime<Utc>, String> {
    let text = text(value)?;
    let time = DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "{text:?} is not a time with a UTC offset, such as 2026-12-01T19:15:00Z or \
                 2026-12-01T20:15:00+01:00"
            )
        })?;
    if time.nanosecond() >= 1_000_000_000 {
        return Err(format!(
            "{text:?} is a leap second (second 60), not a time a hold can end at; use second 59 \
             or the next minute"
        ));
    }
    Ok(time.trunc_subsecs(0))
}
