//! Audit messages, pure: what a decision did or refused ([`Outcome`]) and the message it
//! publishes ([`Notice`]). [`crate::audit::Notifier`] sends them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::decide::{Action, Plan};

/// SNS subjects: ASCII, no line breaks, at most 100 characters.
pub const MAX_SUBJECT: usize = 100;

/// One message for the audit topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub subject: String,
    pub body: String,
    /// Message attributes, for subscription filter policies.
    pub attributes: BTreeMap<String, String>,
    /// Stable id of what the message is about; used as the deduplication id on FIFO topics.
    pub dedup_id: Option<String>,
}

/// Make a valid SNS subject: printable ASCII only, one line, cut to 100 characters.
pub fn subject(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if clean.len() <= MAX_SUBJECT {
        clean
    } else {
        format!("{}...", &clean[..MAX_SUBJECT - 3])
    }
}

/// `text` on one line of a message body: line breaks, other control characters and runs of
/// spaces become one space. What an event or a report says is shown, never refused (a
/// finding still reaches its readers), but it cannot forge lines of the message.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cut `text` to at most `max` bytes on a character boundary, ending with `...` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(3);
    let mut end = room;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end]).chars().take(max).collect()
}

/// What a function did, or refused to do, to one variant: the handler's result per variant,
/// the audit message's content and the log line's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_max: Option<u32>,
    pub reason: String,
}

impl Outcome {
    pub fn from_plan(endpoint: &str, variant: &str, plan: &Plan) -> Self {
        Outcome {
            endpoint: endpoint.to_owned(),
            variant: Some(variant.to_owned()),
            action: plan.action,
            old_min: Some(plan.old_min),
            new_min: Some(plan.new_min),
            new_max: plan.new_max,
            reason: plan.reason.clone(),
        }
    }

    /// A refusal made before any capacity was read (allowlist, missing scalable target).
    pub fn refused(endpoint: &str, variant: Option<&str>, reason: String) -> Self {
        Outcome::unread(endpoint, variant, Action::Refused, reason)
    }

    /// Nothing done, decided before any capacity was read (a suppressed alarm).
    pub fn unchanged(endpoint: &str, variant: Option<&str>, reason: String) -> Self {
        Outcome::unread(endpoint, variant, Action::Unchanged, reason)
    }

    fn unread(endpoint: &str, variant: Option<&str>, action: Action, reason: String) -> Self {
        Outcome {
            endpoint: endpoint.to_owned(),
            variant: variant.map(str::to_owned),
            action,
            old_min: None,
            new_min: None,
            new_max: None,
            reason,
        }
    }

    /// Log this outcome with its fields: refusals as warnings, everything else as info.
    pub fn log(&self, function: &str, dry_run: bool) {
        let variant = self.variant.as_deref().unwrap_or("*");
        if self.action == Action::Refused {
            tracing::warn!(function, endpoint = %self.endpoint, variant, action = self.action.as_str(),
                old_min = self.old_min, new_min = self.new_min, dry_run, reason = %self.reason, "refused");
        } else {
            tracing::info!(function, endpoint = %self.endpoint, variant, action = self.action.as_str(),
                old_min = self.old_min, new_min = self.new_min, new_max = self.new_max, dry_run,
                reason = %self.reason, "decision");
        }
    }

    /// The audit message for this outcome. `context` adds labelled lines to the body (the
    /// alarm that triggered it, the hold's expiry).
    pub fn notice(
        &self,
        function: &str,
        dry_run: bool,
        context: &[(&str, String)],
        dedup_id: Option<String>,
    ) -> Notice {
        let target = match &self.variant {
            Some(variant) => format!("{}/{variant}", self.endpoint),
            None => self.endpoint.clone(),
        };
        let counts = match (self.old_min, self.new_min) {
            (Some(old), Some(new)) => format!("MinCapacity {old} -> {new}"),
            _ => "MinCapacity".to_owned(),
        };
        let prefix = if dry_run { "[DRY RUN] " } else { "" };
        let headline = match self.action {
            Action::Raised => format!("Raised {target} {counts}"),
            Action::Restored => format!("Restored {target} {counts}"),
            Action::Unchanged => format!("No change to {target} {counts}"),
            Action::Refused => format!("Refused change to {target}: {}", first_words(&self.reason)),
        };
        let verb = match (self.action, dry_run) {
            (Action::Raised | Action::Restored, true) => "would change",
            (Action::Raised | Action::Restored, false) => "changed",
            (Action::Refused, _) => "refused to change",
            (Action::Unchanged, _) => "left",
        };
        let mut body = String::new();
        let variant_text = self
            .variant
            .as_deref()
            .map_or(String::new(), |v| format!(", variant {v}"));
        let _ = write!(
            body,
            "{function} {verb} {counts} of endpoint {}{variant_text}",
            self.endpoint
        );
        let _ = writeln!(body, ".\n\nWhy: {}", self.reason);
        if let Some(max) = self.new_max {
            let _ = writeln!(body, "MaxCapacity: raised to {max}");
        }
        for (label, value) in context {
            let _ = writeln!(body, "{label}: {}", one_line(value));
        }
        if dry_run {
            let _ = writeln!(body, "Dry run: DRY_RUN=true, no write call was made.");
        }
        let mut attributes = BTreeMap::from([
            ("function".to_owned(), function.to_owned()),
            ("endpoint".to_owned(), self.endpoint.clone()),
            ("action".to_owned(), self.action.as_str().to_owned()),
            ("dry_run".to_owned(), dry_run.to_string()),
        ]);
        if let Some(variant) = &self.variant {
            attributes.insert("variant".to_owned(), variant.clone());
        }
        Notice {
            subject: subject(&format!("{prefix}{headline}")),
            body,
            attributes,
            dedup_id,
        }
    }
}

fn first_words(text: &str) -> &str {
    text.split(':').next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(action: Action, old_min: u32, new_min: u32, reason: &str) -> Outcome {
        Outcome {
            endpoint: "prod-ranker".to_owned(),
            variant: Some("AllTraffic".to_owned()),
            action,
            old_min: Some(old_min),
            new_min: Some(new_min),
            new_max: None,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn subject_is_ascii_single_line_and_short() {
        let s = subject(&format!("Raised caf\u{e9}\n{}", "x".repeat(200)));
        assert!(s.len() <= MAX_SUBJECT);
        assert!(s.is_ascii());
        assert!(!s.contains('\n'));
        assert!(s.ends_with("..."));
        assert_eq!(subject("  a \t b "), "a b");
    }

    #[test]
    fn raise_notice_names_endpoint_variant_and_counts() {
        let notice = outcome(Action::Raised, 2, 4, "MinCapacity 2 + step 2").notice(
            "scale-on-latency",
            false,
            &[("Alarm", "p99 (ALARM)".to_owned())],
            None,
        );
        assert_eq!(
            notice.subject,
            "Raised prod-ranker/AllTraffic MinCapacity 2 -> 4"
        );
        assert!(notice.body.starts_with(
            "scale-on-latency changed MinCapacity 2 -> 4 of endpoint prod-ranker, variant AllTraffic.\n"
        ), "{}", notice.body);
        assert!(notice.body.contains("Why: MinCapacity 2 + step 2"));
        assert!(notice.body.contains("Alarm: p99 (ALARM)"));
        assert_eq!(notice.attributes["action"], "raised");
        assert_eq!(notice.attributes["endpoint"], "prod-ranker");
        assert_eq!(notice.attributes["variant"], "AllTraffic");
    }

    #[test]
    fn dry_run_and_refusal_say_so() {
        let notice = Outcome::refused("e", None, "not allowed: set ALLOWED_ENDPOINTS".to_owned())
            .notice("scale-on-latency", true, &[], None);
        assert_eq!(notice.subject, "[DRY RUN] Refused change to e: not allowed");
        assert!(notice.body.contains("no write call was made"));
        assert_eq!(notice.attributes["dry_run"], "true");
        assert!(!notice.attributes.contains_key("variant"));
    }

    #[test]
    fn shorten_cuts_on_a_char_boundary() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("abcdefghij", 8), "abcde...");
        let cut = shorten(&"\u{e9}".repeat(10), 8);
        assert!(cut.len() <= 8, "{cut}");
        assert!(cut.ends_with("..."));
        assert_eq!(shorten("abcdef", 2), "..");
    }
}
