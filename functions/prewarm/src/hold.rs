//! `raise`, `restore` and `end`: a pre-warm hold added or dropped, or a calendar event ended,
//! on each variant, decided and applied by the one remediation path.

use chrono::{DateTime, Utc};
use remediation::audit::Outcome;
use remediation::capacity::Endpoint;
use remediation::decide::Change;
use remediation::remediate::{time_for, Lease, NoSizing, Report, LEASED_DECISION_CALLS};
use remediation::Error;

use crate::payload::{End, Raise, Request, Restore, LATE_END_MINUTES};
use crate::{App, FUNCTION};

/// Which of the hold changes a request asks for.
#[derive(Clone, Copy)]
pub(crate) enum HoldChange<'a> {
    Raise(&'a Raise),
    Restore(&'a Restore),
    End(&'a End),
}

impl<'a> HoldChange<'a> {
    /// The hold change `request` asks for, if it asks for one.
    pub(crate) fn of(request: &'a Request) -> Option<Self> {
        match request {
            Request::Raise(r) => Some(HoldChange::Raise(r)),
            Request::Restore(r) => Some(HoldChange::Restore(r)),
            Request::End(e) => Some(HoldChange::End(e)),
            Request::Verify(_) | Request::SyncCalendar(_) => None,
        }
    }

    /// The endpoint, the variant (`None`: every variant) and the event it names.
    fn target(&self) -> (&'a str, Option<&'a str>, &'a str) {
        let (endpoint, variant, event) = match self {
            HoldChange::Raise(r) => (&r.endpoint, &r.variant, &r.event),
            HoldChange::Restore(r) => (&r.endpoint, &r.variant, &r.event),
            HoldChange::End(e) => (&e.endpoint, &e.variant, &e.event),
        };
        (endpoint, variant.as_deref(), event)
    }

    pub(crate) fn event(&self) -> &'a str {
        self.target().2
    }
}

impl App {
    /// A raise, a restore or an end, decided and applied for each variant on its own by the
    /// one remediation path.
    pub(crate) async fn change_holds(
        &self,
        change: HoldChange<'_>,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(Vec<Outcome>, Option<String>), Error> {
        let (endpoint, variant, event) = change.target();
        self.allowed(endpoint, variant, Some(event)).await?;
        if let HoldChange::End(end) = change {
            self.refuse_late(end, now).await?;
            if let Err(reason) = self.given_back_max(end).await? {
                return Err(self.refuse_end(end, reason).await);
            }
        }
        let wait_until = match change {
            HoldChange::End(end) => last_on_time(end, deadline),
            _ => deadline,
        };
        let started = std::time::Instant::now();
        let (endpoint, waited, mut lease) = self
            .ready(endpoint, variant, (now, deadline), wait_until)
            .await?;
        // After waiting for the endpoint, the decision is made minutes later than `now`: at
        // the time it is made, so holds that expired meanwhile count as expired.
        let now = match waited {
            Some(_) => now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
            None => now,
        };
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
            HoldChange::End(end) => Change::CalendarEnd {
                event: &end.event,
                baseline: end.baseline,
                max: end.max_back(),
                alarm_hold: self.config.alarm_hold,
            },
        };
        let variants = match endpoint.select_variants(variant) {
            Ok(variants) => variants,
            Err(err) => {
                self.path.give_back(lease).await;
                return Err(err);
            }
        };
        let mut outcomes = Vec::new();
        let mut failure = None;
        for variant in variants {
            let leased = (&endpoint, variant);
            match self
                .path
                .remediate_after(lease.take(), leased, &change, &report, now, &NoSizing)
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

    /// An end delivered more than [`LATE_END_MINUTES`] after its schedule ran (Lambda's own
    /// retries of an asynchronous invoke last longer) may meet the variant's next event: it
    /// is refused and published, and capacity stays up until someone decides.
    async fn refuse_late(&self, end: &End, now: DateTime<Utc>) -> Result<(), Error> {
        let Some(due) = end.scheduled_time else {
            return Ok(());
        };
        let late = now - due;
        if late <= chrono::Duration::minutes(LATE_END_MINUTES) {
            return Ok(());
        }
        let reason = format!(
            "the end of {} was due at {} and arrived {} minutes late (more than {LATE_END_MINUTES}): \
             a later event may hold the variant now, so MinCapacity is left as it is; invoke \
             restore or end by hand once the event is over",
            end.event,
            remediation::holds::rfc3339(due),
            late.num_minutes()
        );
        Err(self.refuse_end(end, reason).await)
    }

    /// An end refused before anything is read: published, and the error to return.
    async fn refuse_end(&self, end: &End, reason: String) -> Error {
        let outcome = Outcome::refused(&end.endpoint, end.variant.as_deref(), reason.clone());
        match self
            .path
            .publish(&outcome, &event_report(Some(&end.event)), true)
            .await
        {
            Ok(()) => Error::Refused(reason),
            Err(err) => err,
        }
    }

    /// The endpoint once it is `InService`, how long that took when it was not at first, and
    /// with `variant` named the variant's lease, taken side by side with the first
    /// DescribeEndpoint (as scale-on-latency does). A lease taken for an endpoint that is not
    /// ready is given back before waiting: no decision waits holding one.
    async fn ready(
        &self,
        name: &str,
        variant: Option<&str>,
        (now, deadline): (DateTime<Utc>, Option<DateTime<Utc>>),
        wait_until: Option<DateTime<Utc>>,
    ) -> Result<(Endpoint, Option<String>, Option<Result<Lease, Error>>), Error> {
        let (described, lease) = self
            .path
            .describe_leased(name, variant, now, deadline)
            .await;
        let first = match described {
            Ok(endpoint) if endpoint.require_in_service().is_ok() => {
                return Ok((endpoint, None, lease));
            }
            described => {
                self.path.give_back(lease).await;
                described?
            }
        };
        let (endpoint, waited) = self.in_service(name, first, wait_until).await?;
        Ok((endpoint, waited, None))
    }

    /// The endpoint once it is `InService`, and how long that took when it was not at first
    /// (`first`: what the first DescribeEndpoint found).
    /// An endpoint being updated (a deployment, an autoscaling change) is asked again every
    /// [`App::ready_poll`] while the invocation's time left still fits a decision after it,
    /// so a pre-warm due at 17:45 is made when the update ends rather than given up after
    /// Lambda's two retries; without a deadline (a local run) it is not waited for.
    async fn in_service(
        &self,
        name: &str,
        first: Endpoint,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<(Endpoint, Option<String>), Error> {
        let started = Utc::now();
        let mut checks = 1;
        let mut endpoint = first;
        loop {
            let Err(err) = endpoint.require_in_service() else {
                let waited = (checks > 1).then(|| {
                    format!(
                        "{} s ({checks} checks) for endpoint {name} to be InService",
                        (Utc::now() - started).num_seconds()
                    )
                });
                return Ok((endpoint, waited));
            };
            // After the wait: DescribeEndpoint again, then the decision.
            let after_wait = deadline.map(|d| d - self.ready_poll);
            if after_wait.is_none() || time_for(after_wait, 1 + LEASED_DECISION_CALLS).is_err() {
                return Err(err);
            }
            tracing::info!(function = FUNCTION, endpoint = %name, error = %err,
                waited_s = (Utc::now() - started).num_seconds(), "waiting for the endpoint");
            tokio::time::sleep(self.ready_poll).await;
            endpoint = self.path.store.describe(name).await?;
            checks += 1;
        }
    }
}

/// How long an end may wait for its endpoint: until the invocation's `deadline`, and for an
/// end from a schedule no later than [`LATE_END_MINUTES`] after it came due, so it is never
/// decided later than a late end would be refused (the calendar keeps events on a variant
/// further apart than that, [`crate::payload::EVENT_GAP_MINUTES`]).
fn last_on_time(end: &End, deadline: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let Some(due) = end.scheduled_time else {
        return deadline;
    };
    let on_time = due + chrono::Duration::minutes(LATE_END_MINUTES);
    Some(deadline.map_or(on_time, |d| d.min(on_time)))
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
