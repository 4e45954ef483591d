//! The payload, pure: one JSON object with an `action`, parsed into a [`Request`] or refused
//! with an error that names the field.
//!
//! It arrives bare from EventBridge Scheduler and from a scheduled rule with constant input,
//! or inside `detail` when it came as an EventBridge event (an input transformer, PutEvents).
//! Scheduler context placeholders (`<aws.scheduler.scheduled-time>` and friends) are resolved
//! by Scheduler before delivery; one that arrives unresolved (a payload pasted by hand) is
//! ignored in informational fields and refused in the fields a decision needs.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use remediation::decide::MaxBack;
use remediation::holds::rfc3339;
use remediation::Error;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::fields::{
    checked, known, missing, required, scheduled_time, text, Capacity, EndpointName, EventName,
    Flag, HoldFor, ScheduledTime, Time, VariantName,
};

/// The longest a raise may hold capacity: a typo in `until` must not pin capacity for years.
pub const MAX_HOLD_DAYS: i64 = 90;
/// Highest MinCapacity a payload may ask for.
pub const MAX_CAPACITY: u32 = 10_000;

pub const ACTIONS: &str = "raise, restore, end, verify, sync-calendar";

/// Fields that only describe the invocation (Scheduler context); never required. Every action
/// accepts them; `scheduled_time` is checked for every action ([`scheduled_time`]), the others
/// are not read.
pub(crate) const INFO_FIELDS: [&str; 5] = [
    "scheduled_time",
    "execution_id",
    "attempt_number",
    "schedule_arn",
    "note",
];

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Raise(Raise),
    Restore(Restore),
    End(End),
    Verify(Verify),
    SyncCalendar(SyncCalendar),
}

impl Request {
    pub fn action(&self) -> &'static str {
        match self {
            Request::Raise(_) => "raise",
            Request::Restore(_) => "restore",
            Request::End(_) => "end",
            Request::Verify(_) => "verify",
            Request::SyncCalendar(_) => "sync-calendar",
        }
    }
}

/// Hold MinCapacity at `min_capacity` for `event` until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raise {
    pub endpoint: String,
    /// `None`: every production variant.
    pub variant: Option<String>,
    pub event: String,
    pub min_capacity: u32,
    /// The hold's expiry: `until` as given, or the time of parsing plus `for`.
    pub until: DateTime<Utc>,
    /// `for` as given (`until` was computed from it); `None` when the payload gave `until`.
    pub hold_for: Option<Duration>,
    /// Raise MaxCapacity too when `min_capacity` is above it (otherwise the raise is capped).
    pub raise_max: bool,
    /// Scheduler's `<aws.scheduler.scheduled-time>`, when resolved: recognises a retried delivery.
    pub scheduled_time: Option<String>,
}

impl Raise {
    /// The change this raise asks of each of its variants.
    pub fn hold(&self) -> remediation::decide::EventHold<'_> {
        remediation::decide::EventHold {
            event: &self.event,
            min: self.min_capacity,
            until: self.until,
            hold_for: self.hold_for,
            raise_max: self.raise_max,
            trigger: self.scheduled_time.as_deref(),
        }
    }
}

/// Drop the hold of `event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub endpoint: String,
    pub variant: Option<String>,
    pub event: String,
}

/// A calendar event is over (sent by the schedule `sync-calendar` creates for its end):
/// MinCapacity back to `baseline`, or to what live holds justify above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub endpoint: String,
    pub variant: Option<String>,
    pub event: String,
    pub baseline: u32,
    /// The MaxCapacity to give back, when the event's start raised it (`raise_max`).
    pub max_capacity: Option<u32>,
    /// The MaxCapacity the event's start set: only that is given back (someone else's value
    /// stays). `None` in ends scheduled before it was sent.
    pub raised_max: Option<u32>,
    /// Scheduler's `<aws.scheduler.scheduled-time>`, when resolved: an end delivered more
    /// than [`LATE_END_MINUTES`] after it is refused.
    pub scheduled_time: Option<DateTime<Utc>>,
}

impl End {
    /// The MaxCapacity this end gives back, for [`Change::CalendarEnd`].
    ///
    /// [`Change::CalendarEnd`]: remediation::decide::Change::CalendarEnd
    pub fn max_back(&self) -> Option<MaxBack> {
        self.max_capacity.map(|to| MaxBack {
            to,
            from: self.raised_max,
        })
    }
}

/// An end this late may meet the variant's next event: it is refused (capacity stays up),
/// and one that waits for its endpoint stops waiting once it would be this late.
pub const LATE_END_MINUTES: i64 = 15;

/// How long after one event on a variant ends the next may be raised: an end is decided at
/// most [`LATE_END_MINUTES`] after it came due and its decision takes at most a couple of
/// minutes (the lease, the reads and the writes), so it never lands in the next event.
pub const EVENT_GAP_MINUTES: i64 = LATE_END_MINUTES + 5;

/// Is the endpoint ready for the event?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    pub endpoint: String,
    pub variant: Option<String>,
    pub event: Option<String>,
    /// Instances each variant needs; `None`: the event's hold, else the target's MinCapacity.
    pub min_capacity: Option<u32>,
}

/// Turn a calendar into scheduled actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCalendar {
    pub source: CalendarSource,
}

/// Where the calendar is: in the payload, in a file, or in an S3 object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarSource {
    Inline(Value),
    File(PathBuf),
    S3 { bucket: String, key: String },
}

/// Parse an invocation payload. `now` is needed to refuse an `until` in the past.
pub fn parse(event: Value, now: DateTime<Utc>) -> Result<Request, Error> {
    let mut map = payload_object(event)?;
    let action = match map.remove("action") {
        None | Some(Value::Null) => return Err(missing("action")),
        Some(value) => text(&value).map_err(|why| Error::InvalidEvent(format!("action: {why}")))?,
    };
    let map = Value::Object(map);
    let scheduled = scheduled_time(&map)?;
    let request = match action.as_str() {
        "raise" => Request::Raise(known::<RaiseFields>(&map, &["action"])?.check(now, scheduled)?),
        "restore" => {
            let fields: RestoreFields = known(&map, &["action"])?;
            Request::Restore(Restore {
                endpoint: required(fields.endpoint, "endpoint")?.0,
                variant: fields.variant.map(|v| v.0),
                event: required(fields.event, "event")?.0,
            })
        }
        "end" => Request::End(known::<EndFields>(&map, &["action"])?.check(scheduled)?),
        "verify" => {
            let fields: VerifyFields = known(&map, &["action"])?;
            Request::Verify(Verify {
                endpoint: required(fields.endpoint, "endpoint")?.0,
                variant: fields.variant.map(|v| v.0),
                event: fields.event.map(|e| e.0),
                min_capacity: fields.min_capacity.map(|c| c.0),
            })
        }
        "sync-calendar" => {
            let fields: SyncFields = known(&map, &["action"])?;
            Request::SyncCalendar(SyncCalendar {
                source: required(fields.calendar, "calendar")?.0,
            })
        }
        other => {
            return Err(Error::InvalidEvent(format!(
                "action: unknown action {other:?}; expected one of {ACTIONS}"
            )))
        }
    };
    Ok(request)
}

// The fields of each action as they arrive; `known` refuses any other (besides `action` and
// the informational fields).

#[derive(Deserialize)]
struct RaiseFields {
    endpoint: Option<EndpointName>,
    variant: Option<VariantName>,
    event: Option<EventName>,
    min_capacity: Option<Capacity>,
    until: Option<Time>,
    #[serde(rename = "for")]
    hold_for: Option<HoldFor>,
    raise_max: Option<Flag>,
}

#[derive(Deserialize)]
struct RestoreFields {
    endpoint: Option<EndpointName>,
    variant: Option<VariantName>,
    event: Option<EventName>,
}

#[derive(Deserialize)]
struct EndFields {
    endpoint: Option<EndpointName>,
    variant: Option<VariantName>,
    event: Option<EventName>,
    baseline: Option<Capacity>,
    max_capacity: Option<Capacity>,
    raised_max: Option<Capacity>,
}

impl EndFields {
    fn check(self, scheduled: Option<ScheduledTime>) -> Result<End, Error> {
        let baseline = required(self.baseline, "baseline")?.0;
        let max_capacity = self.max_capacity.map(|c| c.0);
        if let Some(max) = max_capacity.filter(|max| *max < baseline) {
            return Err(Error::InvalidEvent(format!(
                "max_capacity: {max} is below baseline {baseline}"
            )));
        }
        if max_capacity.is_some() && self.variant.is_none() {
            return Err(Error::InvalidEvent(
                "max_capacity: needs variant (MaxCapacity is given back per variant)".to_owned(),
            ));
        }
        let raised_max = self.raised_max.map(|c| c.0);
        match (raised_max, max_capacity) {
            (Some(_), None) => {
                return Err(Error::InvalidEvent(
                    "raised_max: needs max_capacity (the MaxCapacity to give back)".to_owned(),
                ))
            }
            (Some(raised), Some(max)) if raised < max => {
                return Err(Error::InvalidEvent(format!(
                    "raised_max: {raised} is below max_capacity {max}"
                )))
            }
            _ => {}
        }
        Ok(End {
            endpoint: required(self.endpoint, "endpoint")?.0,
            variant: self.variant.map(|v| v.0),
            event: required(self.event, "event")?.0,
            baseline,
            max_capacity,
            raised_max,
            scheduled_time: scheduled.map(|s| s.time),
        })
    }
}

#[derive(Deserialize)]
struct VerifyFields {
    endpoint: Option<EndpointName>,
    variant: Option<VariantName>,
    event: Option<EventName>,
    min_capacity: Option<Capacity>,
}

#[derive(Deserialize)]
struct SyncFields {
    calendar: Option<Source>,
}

impl RaiseFields {
    fn check(self, now: DateTime<Utc>, scheduled: Option<ScheduledTime>) -> Result<Raise, Error> {
        let (until, hold_for) = expiry(self.until, self.hold_for, now)?;
        Ok(Raise {
            endpoint: required(self.endpoint, "endpoint")?.0,
            variant: self.variant.map(|v| v.0),
            event: required(self.event, "event")?.0,
            min_capacity: required(self.min_capacity, "min_capacity")?.0,
            until,
            hold_for,
            raise_max: self.raise_max.is_some_and(|f| f.0),
            scheduled_time: scheduled.map(|s| s.text),
        })
    }
}

/// A raise's expiry: exactly one of `until` (a time with an offset) and `for` (a duration from
/// `now`), in the future and at most [`MAX_HOLD_DAYS`] ahead.
fn expiry(
    until: Option<Time>,
    hold_for: Option<HoldFor>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, Option<Duration>), Error> {
    let (until, hold_for) = match (until, hold_for) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidEvent(
                "until, for: give one of them, not both (until: a time such as \
                 2026-12-01T19:15:00Z; for: a duration such as 2h)"
                    .to_owned(),
            ))
        }
        (None, None) => {
            return Err(Error::InvalidEvent(
                "until: missing (required, or instead for: a duration such as 2h); \
                 nothing is pinned forever"
                    .to_owned(),
            ))
        }
        (Some(Time(until)), None) => (until, None),
        (None, Some(HoldFor(hold_for))) => (now + hold_for, Some(hold_for)),
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

/// The payload's object: as it came, from a JSON string, or from an EventBridge envelope's
/// `detail`.
fn payload_object(event: Value) -> Result<Map<String, Value>, Error> {
    let event = match event {
        // A payload delivered as a JSON string (some targets stringify constant input).
        Value::String(text) => remediation::entry::parse_embedded(
            &text,
            "payload",
            "the payload is a string but not JSON",
        )?,
        other => other,
    };
    let Value::Object(mut map) = event else {
        return Err(Error::InvalidEvent(format!(
            "expected a JSON object with an \"action\" ({ACTIONS})"
        )));
    };
    // An SNS or SQS delivery: a `Records` list around the payload.
    if map.contains_key("Records") && !map.contains_key("action") {
        return Err(Error::InvalidEvent(
            "Records: an SNS or SQS delivery; prewarm takes its payload bare (from EventBridge \
             Scheduler, a rule's constant input or a hand invoke), such as \
             events/prewarm-raise.json"
                .to_owned(),
        ));
    }
    // An EventBridge envelope: the payload is its `detail`.
    if map.contains_key("detail-type") && !map.contains_key("action") {
        match map.remove("detail") {
            Some(Value::Object(detail)) if detail.contains_key("action") => map = detail,
            _ => {
                return Err(Error::InvalidEvent(
                    "an EventBridge event without an \"action\": give the schedule or rule \
                     target a constant JSON input such as events/prewarm-raise.json"
                        .to_owned(),
                ))
            }
        }
    }
    Ok(map)
}

checked!(
    /// Where a `sync-calendar` payload says its calendar is.
    Source(CalendarSource) = calendar_source
);

/// A calendar inline, `s3://<bucket>/<key>`, or a file path (admitted or refused later, see
/// [`crate::files`]).
fn calendar_source(value: &Value) -> Result<CalendarSource, String> {
    if let Value::Array(_) = value {
        return Ok(CalendarSource::Inline(value.clone()));
    }
    if !value.is_string() {
        return Err("expected a list of entries, a file path or s3://<bucket>/<key>".to_owned());
    }
    let text = text(value)?;
    if let Some((bucket, key)) = remediation::s3_location(&text) {
        return Ok(CalendarSource::S3 {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        });
    }
    if text.starts_with("s3://") {
        return Err(format!("{text:?} is not s3://<bucket>/<key>"));
    }
    if let Some((scheme, _)) = text.split_once("://") {
        return Err(format!(
            "{}://... is not read: only s3://<bucket>/<key> locations are",
            shown(scheme)
        ));
    }
    Ok(CalendarSource::File(PathBuf::from(text)))
}

/// Whether a string is an EventBridge Scheduler context placeholder left unresolved.
pub fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("<aws.scheduler.") && t.ends_with('>')
}

/// Text from the event as an error message repeats it: as it is when it is a plain name, else
/// quoted with control characters escaped; at most [`SHOWN`] characters either way.
pub fn shown(text: &str) -> String {
    let cut: String = text.chars().take(SHOWN).collect();
    let more = if cut.len() < text.len() { "..." } else { "" };
    if cut
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        format!("{cut}{more}")
    } else {
        format!("{cut:?}{more}")
    }
}

/// The most characters of event text an error message repeats.
pub const SHOWN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn raise() -> Value {
        json!({"action": "raise", "endpoint": "prod-ranker", "variant": "AllTraffic",
               "min_capacity": 10, "event": "promo", "until": "2026-12-01T19:15:00Z"})
    }

    fn err(event: Value) -> String {
        let e = parse(event, now()).unwrap_err();
        assert_eq!(e.error_type(), "NonRetryable.InvalidEvent", "{e}");
        e.to_string()
    }

    #[test]
    fn raise_parses_bare_and_in_an_envelope_and_as_a_string() {
        let expected = Request::Raise(Raise {
            endpoint: "prod-ranker".into(),
            variant: Some("AllTraffic".into()),
            event: "promo".into(),
            min_capacity: 10,
            until: DateTime::parse_from_rfc3339("2026-12-01T19:15:00Z")
                .unwrap()
                .with_timezone(&Utc),
            hold_for: None,
            raise_max: false,
            scheduled_time: None,
        });
        assert_eq!(parse(raise(), now()).unwrap(), expected);
        let envelope = json!({"version": "0", "detail-type": "Scheduled Event",
                              "source": "aws.events", "detail": raise()});
        assert_eq!(parse(envelope, now()).unwrap(), expected);
        assert_eq!(
            parse(Value::String(raise().to_string()), now()).unwrap(),
            expected
        );
    }

    #[test]
    fn scheduler_placeholders_are_ignored_where_informational_and_refused_where_needed() {
        let mut event = raise();
        event["scheduled_time"] = json!("<aws.scheduler.scheduled-time>");
        event["execution_id"] = json!("<aws.scheduler.execution-id>");
        let Request::Raise(r) = parse(event.clone(), now()).unwrap() else {
            panic!("not a raise")
        };
        assert_eq!(r.scheduled_time, None);
        event["scheduled_time"] = json!("2026-12-01T17:00:00Z");
        let Request::Raise(r) = parse(event.clone(), now()).unwrap() else {
            panic!("not a raise")
        };
        assert_eq!(r.scheduled_time.as_deref(), Some("2026-12-01T17:00:00Z"));
        event["until"] = json!("<aws.scheduler.scheduled-time>");
        let e = err(event);
        assert!(e.contains("until: <aws.scheduler.scheduled-time>"), "{e}");
        assert!(e.contains("not resolved"), "{e}");
    }

    #[test]
    fn until_is_kept_to_the_second_and_leap_seconds_are_refused() {
        let until = |text: &str| {
            let mut event = raise();
            event["until"] = json!(text);
            parse(event, now())
        };
        let whole = until("2026-12-01T19:15:00Z").unwrap();
        for fractional in ["2026-12-01T19:15:00.250Z", "2026-12-01T19:15:00.999999999Z"] {
            assert_eq!(until(fractional).unwrap(), whole, "{fractional}");
        }
        let e = until("2026-12-15T12:30:60Z").unwrap_err().to_string();
        assert!(
            e.contains("until: \"2026-12-15T12:30:60Z\" is a leap second"),
            "{e}"
        );
        assert!(until("2026-12-31T23:59:60.5+00:00").is_err());
    }

    #[test]
    fn bad_payloads_name_the_field() {
        let mut past = raise();
        past["until"] = json!("2026-12-01T11:59:59Z");
        let mut far = raise();
        far["until"] = json!("2036-12-01T11:59:59Z");
        let mut naive = raise();
        naive["until"] = json!("2026-12-01T19:15:00");
        let mut zero = raise();
        zero["min_capacity"] = json!(0);
        let mut negative = raise();
        negative["min_capacity"] = json!(-3);
        let mut fraction = raise();
        fraction["min_capacity"] = json!(2.5);
        let mut no_until = raise();
        no_until.as_object_mut().unwrap().remove("until");
        let mut no_event = raise();
        no_event.as_object_mut().unwrap().remove("event");
        let mut typo = raise();
        typo["raisemax"] = json!(true);
        let mut bad_endpoint = raise();
        bad_endpoint["endpoint"] = json!("prod/ranker");
        let mut control = raise();
        control["event"] = json!("promo\nSubject: fake");
        let cases = [
            (
                json!({"action": "scale"}),
                "action: unknown action \"scale\"",
            ),
            (json!({"endpoint": "x"}), "action: missing"),
            (
                json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{}"}}]}),
                "Records: an SNS or SQS delivery; prewarm takes its payload bare",
            ),
            (json!([1]), "expected a JSON object"),
            (
                json!({"detail-type": "Scheduled Event", "detail": {}}),
                "constant JSON input",
            ),
            (past, "until: 2026-12-01T11:59:59Z is in the past"),
            (far, "more than 90 days"),
            (
                naive,
                "until: \"2026-12-01T19:15:00\" is not a time with a UTC offset",
            ),
            (zero, "min_capacity: must be at least 1, got 0"),
            (negative, "min_capacity: must be at least 1, got -3"),
            (fraction, "min_capacity: 2.5 is not a whole number"),
            (no_until, "until: missing"),
            (no_event, "event: missing"),
            (typo, "raisemax: unknown field"),
            (
                bad_endpoint,
                "endpoint: \"prod/ranker\" is not a SageMaker endpoint name",
            ),
            (control, "event: contains control characters"),
        ];
        assert_each_names(cases);
    }

    #[test]
    fn bad_payloads_of_the_other_actions_name_the_field() {
        let cases = [
            (
                json!({"action": "restore", "endpoint": "e"}),
                "event: missing",
            ),
            (
                json!({"action": "verify", "variant": "v"}),
                "endpoint: missing",
            ),
            (
                json!({"action": "end", "endpoint": "e", "event": "promo"}),
                "baseline: missing",
            ),
            (
                json!({"action": "end", "endpoint": "e", "event": "promo", "baseline": -1}),
                "baseline:",
            ),
            (
                json!({"action": "end", "endpoint": "e", "event": "promo", "baseline": 2,
                       "min_capacity": 10}),
                "min_capacity: unknown field",
            ),
            (
                json!({"action": "end", "endpoint": "e", "event": "promo", "baseline": 4,
                       "max_capacity": 3}),
                "max_capacity: 3 is below baseline 4",
            ),
            (
                json!({"action": "end", "endpoint": "e", "variant": "v", "event": "promo",
                       "baseline": 2, "max_capacity": 0}),
                "max_capacity:",
            ),
            (
                json!({"action": "end", "endpoint": "e", "event": "promo", "baseline": 2,
                       "max_capacity": 20}),
                "max_capacity: needs variant",
            ),
            (
                json!({"action": "end", "endpoint": "e", "variant": "v", "event": "promo",
                       "baseline": 2, "raised_max": 30}),
                "raised_max: needs max_capacity",
            ),
            (
                json!({"action": "end", "endpoint": "e", "variant": "v", "event": "promo",
                       "baseline": 2, "max_capacity": 20, "raised_max": 10}),
                "raised_max: 10 is below max_capacity 20",
            ),
            (json!({"action": "sync-calendar"}), "calendar: missing"),
            (
                json!({"action": "sync-calendar", "calendar": "s3://bucket"}),
                "not s3://<bucket>/<key>",
            ),
            (
                json!({"action": "sync-calendar", "calendar": 5}),
                "calendar: expected",
            ),
        ];
        assert_each_names(cases);
    }

    /// Each payload is refused with a message that mentions its text.
    fn assert_each_names<const N: usize>(cases: [(Value, &str); N]) {
        for (event, expected) in cases {
            let e = err(event.clone());
            assert!(
                e.contains(expected),
                "{event}: {e} should mention {expected}"
            );
        }
    }

    fn relative(hold_for: &str) -> Result<Raise, Error> {
        let mut event = raise();
        event.as_object_mut().unwrap().remove("until");
        event["for"] = json!(hold_for);
        match parse(event, now())? {
            Request::Raise(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn for_is_a_duration_from_now() {
        for (text, seconds) in [
            ("2h", 7_200),
            ("90m", 5_400),
            ("2h15m", 8_100),
            ("1d12h", 129_600),
            ("45s", 45),
            ("90d", 90 * 86_400),
        ] {
            let r = relative(text).unwrap();
            assert_eq!(r.hold_for, Some(Duration::seconds(seconds)), "{text}");
            assert_eq!(r.until, now() + Duration::seconds(seconds), "{text}");
        }
    }

    #[test]
    fn for_and_until_exactly_one_and_within_the_horizon() {
        let both = {
            let mut e = raise();
            e["for"] = json!("2h");
            e
        };
        let e = err(both);
        assert!(e.contains("until, for: give one of them, not both"), "{e}");
        let mut neither = raise();
        neither.as_object_mut().unwrap().remove("until");
        let e = err(neither);
        assert!(e.contains("until: missing") && e.contains("for:"), "{e}");
        for (text, expected) in [
            ("91d", "for: \"91d\" is more than 90 days"),
            ("2160h1s", "for: \"2160h1s\" is more than 90 days"),
            ("0m", "for: \"0m\" must be longer than zero"),
            ("2", "for: \"2\" is not a duration"),
            ("h", "for: \"h\" is not a duration"),
            ("2m2h", "for: \"2m2h\" is not a duration"),
            ("2h2h", "for: \"2h2h\" is not a duration"),
            ("-2h", "for: \"-2h\" is not a duration"),
            ("2 hours", "for: \"2 hours\" is not a duration"),
            ("99999999999999999999d", "is not a duration"),
            ("9999999999d", "is more than 90 days"),
            ("<aws.scheduler.scheduled-time>", "not resolved"),
        ] {
            let e = relative(text).unwrap_err();
            assert_eq!(e.error_type(), "NonRetryable.InvalidEvent", "{e}");
            assert!(e.to_string().contains(expected), "{text}: {e}");
        }
        let mut number = raise();
        number.as_object_mut().unwrap().remove("until");
        number["for"] = json!(7200);
        assert!(err(number).contains("for: expected a string"));
    }

    #[test]
    fn event_text_in_messages_is_escaped_and_short() {
        let mut hostile = raise();
        hostile[format!("x\n{{\"level\":\"ERROR\"}}\u{1b}[2J{}", "y".repeat(10_000))] = json!(1);
        let e = err(hostile);
        assert!(e.starts_with("invalid event: \"x\\n{\\\"level"), "{e}");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert!(e.len() < 300, "{} bytes", e.len());
        assert_eq!(shown("raise_max"), "raise_max");
        assert_eq!(shown(&"a".repeat(70)), format!("{}...", "a".repeat(64)));
        for url in ["file:///etc/passwd", "https://example.com/cal.json"] {
            let e = err(json!({"action": "sync-calendar", "calendar": url}));
            assert!(e.contains("only s3://<bucket>/<key> locations are"), "{e}");
            assert!(!e.contains("passwd") && !e.contains("example"), "{e}");
        }
    }

    #[test]
    fn an_end_keeps_a_resolved_scheduled_time_and_ignores_a_placeholder() {
        let end = |time: &str| {
            parse(
                json!({"action": "end", "endpoint": "prod-ranker", "event": "promo",
                       "baseline": 2, "scheduled_time": time}),
                now(),
            )
            .unwrap()
        };
        let Request::End(resolved) = end("2026-12-01T11:50:00Z") else {
            panic!("an end");
        };
        assert_eq!(
            (resolved.baseline, resolved.scheduled_time),
            (2, Some(now() - chrono::Duration::minutes(10)))
        );
        let Request::End(unresolved) = end("<aws.scheduler.scheduled-time>") else {
            panic!("an end");
        };
        assert_eq!(unresolved.scheduled_time, None);
        assert_eq!(
            (resolved.max_capacity, unresolved.max_capacity),
            (None, None)
        );
        let Ok(Request::End(with_max)) = parse(
            json!({"action": "end", "endpoint": "prod-ranker", "variant": "AllTraffic",
                   "event": "promo", "baseline": 2, "max_capacity": 20}),
            now(),
        ) else {
            panic!("an end with max_capacity");
        };
        assert_eq!((with_max.baseline, with_max.max_capacity), (2, Some(20)));
        assert_eq!(with_max.max_back(), Some(MaxBack { to: 20, from: None }));
        let Ok(Request::End(raised)) = parse(
            json!({"action": "end", "endpoint": "prod-ranker", "variant": "AllTraffic",
                   "event": "promo", "baseline": 2, "max_capacity": 20, "raised_max": 30}),
            now(),
        ) else {
            panic!("an end with raised_max");
        };
        let back = MaxBack {
            to: 20,
            from: Some(30),
        };
        assert_eq!(raised.max_back(), Some(back));
    }

    #[test]
    fn a_scheduled_time_that_is_not_a_time_is_refused_by_every_action() {
        let end = json!({"action": "end", "endpoint": "prod-ranker", "variant": "AllTraffic",
                         "event": "promo", "baseline": 2});
        let restore = json!({"action": "restore", "endpoint": "prod-ranker", "event": "promo"});
        let verify = json!({"action": "verify", "endpoint": "prod-ranker"});
        let sync = json!({"action": "sync-calendar", "calendar": []});
        for payload in [end, raise(), restore, verify, sync] {
            for (bad, expected) in [
                (
                    json!("yesterday"),
                    "scheduled_time: \"yesterday\" is not a time with a UTC offset",
                ),
                (
                    json!("2026-12-01T11:00:00"),
                    "scheduled_time: \"2026-12-01T11:00:00\" is not a time with a UTC offset",
                ),
                (json!(1_764_586_800), "scheduled_time: expected a string"),
                (json!(" "), "scheduled_time: must not be empty"),
            ] {
                let mut event = payload.clone();
                event["scheduled_time"] = bad.clone();
                let e = err(event);
                assert!(e.contains(expected), "{payload} with {bad}: {e}");
            }
            // Left unresolved (a payload invoked by hand), or null: no time, no error.
            for absent in [json!("<aws.scheduler.scheduled-time>"), Value::Null] {
                let mut event = payload.clone();
                event["scheduled_time"] = absent;
                assert!(parse(event.clone(), now()).is_ok(), "{event}");
            }
        }
        let mut offset = raise();
        offset["scheduled_time"] = json!("2026-12-01T18:00:00+01:00");
        let Request::Raise(r) = parse(offset, now()).unwrap() else {
            panic!("not a raise")
        };
        assert_eq!(
            r.scheduled_time.as_deref(),
            Some("2026-12-01T18:00:00+01:00")
        );
    }

    #[test]
    fn restore_verify_and_calendar_sources() {
        assert_eq!(
            parse(
                json!({"action": "restore", "endpoint": "prod-ranker", "event": "promo"}),
                now()
            )
            .unwrap(),
            Request::Restore(Restore {
                endpoint: "prod-ranker".into(),
                variant: None,
                event: "promo".into()
            })
        );
        assert_eq!(
            parse(
                json!({"action": "verify", "endpoint": "prod-ranker"}),
                now()
            )
            .unwrap(),
            Request::Verify(Verify {
                endpoint: "prod-ranker".into(),
                variant: None,
                event: None,
                min_capacity: None
            })
        );
        let source = |calendar: Value| match parse(
            json!({"action": "sync-calendar", "calendar": calendar}),
            now(),
        )
        .unwrap()
        {
            Request::SyncCalendar(s) => s.source,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            source(json!("s3://cal-bucket/team/promo.json")),
            CalendarSource::S3 {
                bucket: "cal-bucket".into(),
                key: "team/promo.json".into()
            }
        );
        assert_eq!(
            source(json!("events/prewarm-calendar.json")),
            CalendarSource::File("events/prewarm-calendar.json".into())
        );
        assert_eq!(source(json!([])), CalendarSource::Inline(json!([])));
    }
}
