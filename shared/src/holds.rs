//! The holds a variant carries, as tags on its SageMaker endpoint: pure, no AWS.
//!
//! Per variant (see ARCHITECTURE.md, "The hold protocol"):
//! - `remediation:<variant>:baseline` = the MinCapacity without any hold,
//! - `remediation:<variant>:hold:<reason>` = `min=<n> until=<rfc3339> since=<rfc3339> [trigger=<id>]
//!   [raise_max=true]`, one per reason: `alarm.<alarm name>` for a latency alarm, `event.<name>`
//!   for a pre-warm.
//!
//! A reason's name is encoded reversibly (see [`encode_name`]), so two names never share a hold.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Every tag this project writes starts with this.
pub const TAG_PREFIX: &str = "remediation:";
/// Reasons of holds that latency alarms create start with this.
pub const ALARM_REASON_PREFIX: &str = "alarm.";
/// Reasons of holds that pre-warms for a named event create start with this.
pub const EVENT_REASON_PREFIX: &str = "event.";
/// SageMaker's limit on a tag key.
pub const MAX_TAG_KEY: usize = 128;

/// A variant's scalable target limits as read from Application Auto Scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub min: u32,
    pub max: u32,
}

/// One reason to keep MinCapacity at or above `min` until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub min: u32,
    pub until: DateTime<Utc>,
    pub since: DateTime<Utc>,
    /// The event that set the hold (an alarm transition id, a schedule time).
    pub trigger: Option<String>,
    /// A pre-warm that asked for `raise_max`: MaxCapacity may not go back below `min` while
    /// the hold lives (a calendar event's end gives MaxCapacity back only down to it).
    pub raise_max: bool,
}

impl Hold {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.until > now
    }

    pub fn encode(&self) -> String {
        let mut value = format!(
            "min={} until={} since={}",
            self.min,
            rfc3339(self.until),
            rfc3339(self.since)
        );
        if let Some(trigger) = &self.trigger {
            let _ = write!(value, " trigger={}", encode_name(trigger));
        }
        if self.raise_max {
            value.push_str(" raise_max=true");
        }
        value
    }

    pub fn decode(value: &str) -> Option<Hold> {
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for part in value.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            fields.insert(k, v);
        }
        let time = |k: &str| {
            DateTime::parse_from_rfc3339(fields.get(k)?)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        Some(Hold {
            min: fields.get("min")?.parse().ok().filter(|&m| m >= 1)?,
            until: time("until")?,
            since: time("since")?,
            trigger: match fields.get("trigger") {
                Some(t) => Some(decode_name(t)?),
                None => None,
            },
            raise_max: match fields.get("raise_max") {
                Some(&"true") => true,
                Some(_) => return None,
                None => false,
            },
        })
    }
}

/// The baseline and holds of one variant, as read from the endpoint's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantHolds {
    pub baseline: Option<u32>,
    pub holds: BTreeMap<String, Hold>,
    /// Tag keys of this variant whose values could not be read; they are removed on next write.
    pub unreadable: Vec<String>,
}

impl VariantHolds {
    pub fn from_tags<'a>(
        variant: &str,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let prefix = format!("{TAG_PREFIX}{variant}:");
        let mut out = VariantHolds::default();
        for (key, value) in tags {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            if rest == "baseline" {
                match value.parse::<u32>() {
                    Ok(n) if n >= 1 => out.baseline = Some(n),
                    _ => out.unreadable.push(key.to_owned()),
                }
            } else if let Some(reason) = rest.strip_prefix("hold:") {
                match Hold::decode(value) {
                    Some(hold) => {
                        out.holds.insert(reason.to_owned(), hold);
                    }
                    None => out.unreadable.push(key.to_owned()),
                }
            }
        }
        out
    }

    /// The holds that still count at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> impl Iterator<Item = (&String, &Hold)> {
        self.holds.iter().filter(move |(_, h)| h.is_live(now))
    }

    /// The reasons of holds whose time is over.
    pub fn expired(&self, now: DateTime<Utc>) -> impl Iterator<Item = &String> {
        self.holds
            .iter()
            .filter(move |(_, h)| !h.is_live(now))
            .map(|(reason, _)| reason)
    }

    /// The baseline tag's value where it means something: beside holds. Alone it is a
    /// leftover, and the variant's MinCapacity is its baseline.
    pub fn standing_baseline(&self) -> Option<u32> {
        self.baseline.filter(|_| !self.holds.is_empty())
    }

    /// How many tags this variant's state takes on the endpoint.
    pub fn tag_count(&self) -> usize {
        usize::from(self.baseline.is_some()) + self.holds.len() + self.unreadable.len()
    }
}

pub fn baseline_key(variant: &str) -> String {
    format!("{TAG_PREFIX}{variant}:baseline")
}

pub fn hold_key(variant: &str, reason: &str) -> String {
    format!("{TAG_PREFIX}{variant}:hold:{reason}")
}

/// The variant a [`baseline_key`] or a [`hold_key`] is about; `None` for any other key.
pub fn variant_of(key: &str) -> Option<&str> {
    let (variant, what) = key.strip_prefix(TAG_PREFIX)?.split_once(':')?;
    (what == "baseline" || what.starts_with("hold:")).then_some(variant)
}

/// The hold reason for a latency alarm (`alarm.<encoded name>`).
pub fn alarm_reason(variant: &str, alarm_name: &str) -> String {
    reason(ALARM_REASON_PREFIX, variant, alarm_name)
}

/// The hold reason for a pre-warm of the named event (`event.<encoded name>`).
pub fn event_reason(variant: &str, event_name: &str) -> String {
    reason(EVENT_REASON_PREFIX, variant, event_name)
}

/// `prefix` + the name encoded with [`encode_name`]. A name whose encoding does not fit the tag
/// key is shortened and ends in `@` and 32 hex digits of the SHA-256 of the exact name; `@`
/// never appears in an encoded name, so a shortened reason cannot equal an unshortened one,
/// and two shortened ones share a reason only if their names share 128 bits of SHA-256.
fn reason(prefix: &str, variant: &str, name: &str) -> String {
    let encoded = encode_name(name);
    let room = MAX_TAG_KEY.saturating_sub(hold_key(variant, prefix).len());
    if encoded.len() <= room {
        return format!("{prefix}{encoded}");
    }
    let hash = digest128(name);
    let keep = room.saturating_sub(hash.len() + 1);
    let mut short: String = encoded.chars().take(keep).collect();
    // Never cut an escape in half.
    if let Some(plus) = short.rfind('+') {
        if short.len() - plus < 3 {
            short.truncate(plus);
        }
    }
    format!("{prefix}{short}@{hash}")
}

/// 128 bits of the SHA-256 of `text`, as 32 lowercase hex digits: a name that cannot collide.
pub fn digest128(text: &str) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Characters kept as they are in a tag; everything else (and `+` and `@`) is escaped.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.:/=-".contains(c)
}

/// A reversible encoding of any text into the characters SageMaker tags accept: letters,
/// digits and `_ . : / = -` stay, every other byte of the UTF-8 text becomes `+HH`.
pub fn encode_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if plain(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "+{b:02X}");
            }
        }
    }
    out
}

/// The inverse of [`encode_name`]; `None` for text it cannot have produced.
pub fn decode_name(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'+' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else if plain(char::from(b)) {
            bytes.push(b);
            rest = tail;
        } else {
            return None;
        }
    }
    String::from_utf8(bytes).ok()
}

pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variant_of_a_key_is_read_only_from_this_projects_keys() {
        assert_eq!(variant_of(&baseline_key("Blue")), Some("Blue"));
        assert_eq!(variant_of(&hold_key("Blue", "alarm.latency")), Some("Blue"));
        for other in ["remediation:owner", "remediation:Blue:note", "team"] {
            assert_eq!(variant_of(other), None, "{other}");
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const V: &str = "AllTraffic";

    #[test]
    fn hold_round_trips_through_a_tag_value() {
        let hold = Hold {
            min: 12,
            until: t("2026-11-28T15:00:00Z"),
            since: t("2026-11-28T12:00:00Z"),
            trigger: Some("ALARM@2026-11-28T11:59:00.000Z".into()),
            raise_max: false,
        };
        let encoded = hold.encode();
        assert!(encoded.len() <= 256);
        assert!(encoded
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c)));
        assert_eq!(Hold::decode(&encoded), Some(hold.clone()));
        assert_eq!(
            Hold::decode("min=0 until=2026-11-28T15:00:00Z since=x"),
            None
        );
        assert_eq!(Hold::decode("garbage"), None);
        let raising = Hold {
            raise_max: true,
            ..hold
        };
        let encoded = raising.encode();
        assert!(encoded.ends_with(" raise_max=true"), "{encoded}");
        assert_eq!(Hold::decode(&encoded), Some(raising));
        let garbled = encoded.replace("raise_max=true", "raise_max=yes");
        assert_eq!(Hold::decode(&garbled), None);
    }

    #[test]
    fn names_encode_reversibly_into_tag_characters() {
        for name in [
            "plain-name",
            "p99 latency",
            "Black Friday!",
            "年齢",
            "a+b@c",
            "",
        ] {
            let encoded = encode_name(name);
            assert!(
                encoded
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.:/=+-".contains(c)),
                "{encoded}"
            );
            assert_eq!(decode_name(&encoded).as_deref(), Some(name));
        }
        assert_eq!(decode_name("a+2"), None);
        assert_eq!(decode_name("a b"), None);
    }

    #[test]
    fn alarm_reasons_fit_tag_keys_and_stay_distinct() {
        let long = "x".repeat(300);
        let variant = "v".repeat(63);
        for name in ["p99 latency > 200ms", long.as_str(), "plain-name"] {
            let reason = alarm_reason(&variant, name);
            let key = hold_key(&variant, &reason);
            assert!(key.len() <= MAX_TAG_KEY, "{key}");
            assert!(key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:/=+-@".contains(c)));
        }
        assert_eq!(alarm_reason(V, "plain-name"), "alarm.plain-name");
        assert_ne!(alarm_reason(V, "a b"), alarm_reason(V, "a_b"));
        // The literal name that looks like another's shortened form is its own hold.
        assert_ne!(
            alarm_reason(V, "p99_latency@2d10630b"),
            alarm_reason(V, "p99 latency")
        );
    }

    #[test]
    fn event_reasons_fit_tag_keys_and_stay_distinct() {
        assert_eq!(event_reason(V, "promo"), "event.promo");
        assert_eq!(
            event_reason(V, "black-friday_2026"),
            "event.black-friday_2026"
        );
        let spaced = event_reason(V, "Black Friday!");
        assert_eq!(spaced, "event.Black+20Friday+21");
        assert_ne!(spaced, event_reason(V, "Black_Friday_@c9cf4596"));
        assert_ne!(spaced, event_reason(V, "Black Friday?"));
        let variant = "v".repeat(63);
        let (a, b) = ("y".repeat(300), format!("{}z", "y".repeat(299)));
        let (ka, kb) = (
            hold_key(&variant, &event_reason(&variant, &a)),
            hold_key(&variant, &event_reason(&variant, &b)),
        );
        assert!(ka.len() <= MAX_TAG_KEY, "{ka}");
        assert_ne!(ka, kb, "names that share their first 100 characters");
        assert_ne!(event_reason(V, "promo"), alarm_reason(V, "promo"));
    }

    #[test]
    fn unreadable_tags_are_reported() {
        let key = hold_key(V, "alarm.bad");
        let holds = VariantHolds::from_tags(V, [(key.as_str(), "min=banana")]);
        assert_eq!(holds.unreadable, vec![key]);
        let base = baseline_key(V);
        let holds = VariantHolds::from_tags(V, [(base.as_str(), "zero")]);
        assert_eq!((holds.baseline, holds.unreadable.len()), (None, 1));
    }
}
