//! `raise` and `restore`: a pre-warm hold added or dropped on each variant, decided and applied
//! by the one remediation path.

use chrono::{DateTime, Utc};
use remediation::audit::Outcome;
use remediation::capacity::Endpoint;
use remediation::decide::Change;
use remediation::remediate::{Report, CALL_BUDGET, DECISION_CALLS};
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
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(Vec<Outcome>, Option<String>), Error> {
        let event = match change {
            HoldChange::Raise(r) => r.event.as_str(),
            HoldChange::Restore(r) => r.event.as_str(),
        };
        self.allowed(endpoint, variant, Some(event)).await?;
        let (endpoint, waited) = self.in_service(endpoint, deadline).await?;
        let mut report = event_report(Some(event));
        report.deadline = deadline;
        if let Some(waited) = &waited {
            report.context.push(("Waited", waited.clone()));
        }
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
        failure.map_or(Ok((outcomes, waited)), Err)
    }

    /// The endpoint once it is `InService`, and how long that took when it was not at first.
    /// An endpoint being updated (a deployment, an autoscaling change) is asked again every
    /// [`App::ready_poll`] while the invocation's time left still fits a decision after it,
    /// so a pre-warm due at 17:45 is made when the update ends rather than given up after
    /// Lambda's two retries; without a deadline (a local run) it is not waited for.
    async fn in_service(
        &self,
        name: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(Endpoint, Option<String>), Error> {
        let started = Utc::now();
        let mut checks = 0;
        loop {
            let endpoint = self.path.store.describe(name).await?;
            checks += 1;
            let Err(err) = endpoint.require_in_service() else {
                let waited = (checks > 1).then(|| {
                    format!(
                        "{} s ({checks} checks) for endpoint {name} to be InService",
                        (Utc::now() - started).num_seconds()
                    )
                });
                return Ok((endpoint, waited));
            };
            let reserve = CALL_BUDGET * (DECISION_CALLS + 2) + self.ready_poll;
            let room = deadline
                .is_some_and(|d| (d - Utc::now()).to_std().is_ok_and(|left| left > reserve));
            if !room {
                return Err(err);
            }
            tracing::info!(function = FUNCTION, endpoint = %name, error = %err,
                waited_s = (Utc::now() - started).num_seconds(), "waiting for the endpoint");
            tokio::time::sleep(self.ready_poll).await;
        }
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
