//! `verify`: are the instances there for the event? READY / NOT READY with counts per
//! variant, published and returned. It never changes anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use remediation::audit::{self, Notice};
use remediation::holds;
use remediation::Error;
use serde::Serialize;

use crate::payload::Verify;
use crate::{App, FUNCTION};

/// What verify found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub endpoint: String,
    /// `READY` or `NOT READY`.
    pub verdict: &'static str,
    pub ready: bool,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub variants: Vec<VariantReadiness>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariantReadiness {
    pub variant: String,
    pub ready: bool,
    pub current_instances: Option<i32>,
    pub desired_instances: Option<i32>,
    /// Instances needed: the payload's `min_capacity`, else the event's hold, else MinCapacity.
    pub required: u32,
    /// Where `required` came from.
    pub required_from: String,
    pub min_capacity: Option<u32>,
}

/// Whether a variant is ready: the endpoint InService and enough instances running.
pub fn readiness(
    status: &str,
    variant: &str,
    current_instances: Option<i32>,
    desired_instances: Option<i32>,
    (required, required_from): (u32, String),
    min_capacity: Option<u32>,
) -> VariantReadiness {
    let running = current_instances
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    VariantReadiness {
        variant: variant.to_owned(),
        ready: status == "InService" && running >= required,
        current_instances,
        desired_instances,
        required,
        required_from,
        min_capacity,
    }
}

impl App {
    pub(crate) async fn verify(
        &self,
        req: &Verify,
        now: DateTime<Utc>,
    ) -> Result<Readiness, Error> {
        self.allowed(&req.endpoint, req.variant.as_deref(), req.event.as_deref())
            .await?;
        let endpoint = self.path.store.endpoint(&req.endpoint).await?;
        let variants = endpoint.select_variants(req.variant.as_deref())?;
        let capacities = self.path.store.targets(&endpoint.name, &variants).await?;
        let mut results = Vec::with_capacity(variants.len());
        for variant in variants {
            let min_capacity = capacities.get(&variant.name).map(|c| c.min);
            let hold = req.event.as_deref().and_then(|event| {
                let reason = holds::event_reason(&variant.name, event);
                endpoint
                    .holds(&variant.name)
                    .holds
                    .get(&reason)
                    .filter(|h| h.is_live(now))
                    .map(|h| (h.min, format!("hold {reason}")))
            });
            let required = req
                .min_capacity
                .map(|n| (n, "min_capacity in the payload".to_owned()))
                .or(hold)
                .or(min_capacity.map(|n| (n, "MinCapacity".to_owned())))
                .unwrap_or((1, "default".to_owned()));
            results.push(readiness(
                &endpoint.status,
                &variant.name,
                variant.current_instances,
                variant.desired_instances,
                required,
                min_capacity,
            ));
        }
        let ready = endpoint.is_in_service() && results.iter().all(|r| r.ready);
        let readiness = Readiness {
            endpoint: endpoint.name.clone(),
            verdict: if ready { "READY" } else { "NOT READY" },
            ready,
            status: endpoint.status.clone(),
            event: req.event.clone(),
            variants: results,
        };
        tracing::info!(function = FUNCTION, endpoint = %readiness.endpoint,
            verdict = readiness.verdict, status = %readiness.status, "verify");
        self.path
            .notifier
            .publish(&readiness_notice(&readiness, self.config.common.dry_run))
            .await?;
        Ok(readiness)
    }
}

/// The verify message: the verdict and counts in the subject, a line per variant.
pub fn readiness_notice(r: &Readiness, dry_run: bool) -> Notice {
    let counts: Vec<String> = r
        .variants
        .iter()
        .map(|v| {
            format!(
                "{} {}/{}",
                v.variant,
                v.current_instances
                    .map_or("?".to_owned(), |n| n.to_string()),
                v.required
            )
        })
        .collect();
    let event = r
        .event
        .as_deref()
        .map_or(String::new(), |e| format!(" for {e}"));
    let mut body = format!(
        "{FUNCTION} checked endpoint {}{event}: {} (endpoint status {}).\n\n",
        r.endpoint, r.verdict, r.status
    );
    for v in &r.variants {
        body.push_str(&format!(
            "{}: current {} instances, desired {}, required {} ({}), MinCapacity {}: {}\n",
            v.variant,
            v.current_instances
                .map_or("unknown".to_owned(), |n| n.to_string()),
            v.desired_instances
                .map_or("unknown".to_owned(), |n| n.to_string()),
            v.required,
            v.required_from,
            v.min_capacity.map_or("none".to_owned(), |n| n.to_string()),
            if v.ready { "READY" } else { "NOT READY" }
        ));
    }
    let mut attributes = BTreeMap::from([
        ("function".to_owned(), FUNCTION.to_owned()),
        ("endpoint".to_owned(), r.endpoint.clone()),
        ("action".to_owned(), "verify".to_owned()),
        ("readiness".to_owned(), r.verdict.replace(' ', "_")),
        ("dry_run".to_owned(), dry_run.to_string()),
    ]);
    if let Some(event) = &r.event {
        attributes.insert("event".to_owned(), event.clone());
    }
    Notice {
        subject: audit::subject(&format!(
            "{}: {}{event} ({} instances)",
            r.verdict,
            r.endpoint,
            counts.join(", ")
        )),
        body,
        attributes,
        dedup_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_needs_in_service_and_enough_instances() {
        let need = |n| (n, "x".to_owned());
        assert!(readiness("InService", "v", Some(10), Some(10), need(10), Some(10)).ready);
        assert!(!readiness("InService", "v", Some(2), Some(2), need(10), Some(10)).ready);
        assert!(!readiness("Updating", "v", Some(10), Some(10), need(10), Some(10)).ready);
        assert!(!readiness("InService", "v", None, None, need(1), None).ready);
    }

    #[test]
    fn readiness_notice_shows_counts() {
        let r = Readiness {
            endpoint: "prod-ranker".into(),
            verdict: "NOT READY",
            ready: false,
            status: "InService".into(),
            event: Some("promo".into()),
            variants: vec![readiness(
                "InService",
                "AllTraffic",
                Some(2),
                Some(2),
                (10, "hold event.promo".into()),
                Some(10),
            )],
        };
        let notice = readiness_notice(&r, false);
        assert_eq!(
            notice.subject,
            "NOT READY: prod-ranker for promo (AllTraffic 2/10 instances)"
        );
        assert!(
            notice
                .body
                .contains("AllTraffic: current 2 instances, desired 2, required 10"),
            "{}",
            notice.body
        );
        assert_eq!(notice.attributes["readiness"], "NOT_READY");
    }
}
