//! `raise` and `restore`: a pre-warm hold added or dropped on each variant, decided and applied
//! by the one remediation path.

use chrono::{DateTime, Utc};
use remediation::audit::Outcome;
use remediation::decide::Change;
use remediation::remediate::Report;
use remediation::Error;

use crate::payload::{Raise, Restore};
use crate::{App, FUNCTION};

/// Which of the two hold changes a request asks for.
pub(crate) enum HoldChange<'a> {
    Raise(&'a Raise),
    Restore(&'a Restore),
}

impl App {
    /// A raise or a restore, decided and applied for each variant on its own by the one
    /// remediation path.
    pub(crate) async fn change_holds(
        &self,
        endpoint: &str,
        variant: Option<&str>,
        change: HoldChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Outcome>, Error> {
        let event = match change {
            HoldChange::Raise(r) => r.event.as_str(),
            HoldChange::Restore(r) => r.event.as_str(),
        };
        self.allowed(endpoint, variant, Some(event)).await?;
        let endpoint = self.path.store.describe(endpoint).await?;
        endpoint.require_in_service()?;
        let mut report = event_report(Some(event));
        let change = match change {
            HoldChange::Raise(raise) => {
                report.hold_note = Some("restore sooner with the restore action".to_owned());
                Change::Hold(raise.hold())
            }
            HoldChange::Restore(restore) => Change::Release {
                event: &restore.event,
            },
        };
        let mut outcomes = Vec::new();
        let mut failure = None;
        for variant in endpoint.select_variants(variant)? {
            match self
                .path
                .remediate(&endpoint, variant, &change, &report, now)
                .await
            {
                Ok(outcome) => outcomes.push(outcome),
                Err(err) => {
                    tracing::error!(function = FUNCTION, endpoint = %endpoint.name,
                        variant = %variant.name, error = %err, "variant failed; the others go on");
                    failure.get_or_insert(err);
                }
            }
        }
        failure.map_or(Ok(outcomes), Err)
    }
}

/// The audit context of a pre-warm decision.
pub(crate) fn event_report(event: Option<&str>) -> Report {
    Report {
        context: event
            .map(|e| vec![("Event", e.to_owned())])
            .unwrap_or_default(),
        ..Report::default()
    }
}
