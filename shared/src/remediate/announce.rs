//! What the remediation path publishes, and when: every outcome is logged; news is published
//! at least once (a message that fails is kept in the variant's record for the next decision);
//! a sweep's repeated refusal only once. ARCHITECTURE.md, the hold protocol, step 4.

use super::{Remediator, Report, Target};
use crate::audit::{Notice, Outcome};
use crate::decide::{Action, Change, Plan};
use crate::error::Error;
use crate::holds::rfc3339;
use crate::record::Record;
use crate::store::Store;

impl<S: Store> Remediator<S> {
    /// The messages a finished decision publishes, in order: those earlier decisions could not
    /// publish (taken out of the record, which is stored without them), then its own when it
    /// is news. Every outcome is logged.
    pub(super) fn announce(&self, target: &Target<'_>, plan: &mut Plan) -> Vec<Notice> {
        let outcome = Outcome::from_plan(&target.endpoint.name, &target.variant.name, plan);
        outcome.log(self.function, self.common.dry_run);
        let fresh = remember_refusal(target.change, &mut plan.record, &outcome);
        let news = plan.is_news() && fresh;
        let mut notices = std::mem::take(&mut plan.record.unpublished);
        if news {
            let mut report = target.report.clone();
            if let Some(until) = plan.hold_until.filter(|_| plan.action != Action::Unchanged) {
                let note = report
                    .hold_note
                    .as_deref()
                    .map_or(String::new(), |n| format!(" ({n})"));
                report
                    .context
                    .push(("Hold", format!("until {}{note}", rfc3339(until))));
            }
            notices.push(self.notice(&outcome, &report));
        }
        notices
    }

    /// Publish `notices` in order; on the first failure, the error and what was not sent.
    pub(super) async fn send(&self, notices: Vec<Notice>) -> Result<(), (Error, Vec<Notice>)> {
        for (i, notice) in notices.iter().enumerate() {
            if let Err(err) = self.notifier.publish(notice).await {
                return Err((err, notices[i..].to_vec()));
            }
        }
        Ok(())
    }

    /// A publish failed after the decision was made: keep the messages not sent in the
    /// variant's record, so the retry (or the next decision) publishes them, and return a
    /// retryable error that says so. `held`: the lease's owner and the decision's record when
    /// the decision's release failed (the lease is still its own); otherwise the lease is
    /// taken again.
    pub(super) async fn keep_unpublished(
        &self,
        key: &str,
        target: &Target<'_>,
        unsent: Vec<Notice>,
        err: Error,
        held: Option<(&str, Record)>,
    ) -> Error {
        let (endpoint, variant) = (&target.endpoint.name, &target.variant.name);
        let kept = async {
            let (owner, mut record) = match held {
                Some((owner, record)) => (owner.to_owned(), record),
                None => {
                    self.acquire(key, target.now, target.report.deadline)
                        .await?
                }
            };
            for dropped in record.keep_unpublished(unsent.clone()) {
                tracing::error!(function = self.function, endpoint = %endpoint, variant = %variant,
                    subject = %dropped.subject, "audit message dropped: too many unpublished");
            }
            self.store.release(key, &owner, Some(&record)).await
        };
        match kept.await {
            Ok(true) => Error::Aws {
                operation: "Publish",
                message: format!(
                    "{err}; {} audit message(s) of {endpoint}/{variant} kept, published by the \
                     retry or the next decision on the variant",
                    unsent.len()
                ),
                retryable: true,
            },
            kept => {
                for notice in &unsent {
                    tracing::error!(function = self.function, endpoint = %endpoint,
                        variant = %variant, subject = %notice.subject, body = %notice.body,
                        ?kept, "audit message lost: neither published nor kept");
                }
                err
            }
        }
    }

    /// The one rule for audit: log every outcome; publish it when `news`.
    pub async fn publish(
        &self,
        outcome: &Outcome,
        report: &Report,
        news: bool,
    ) -> Result<(), Error> {
        outcome.log(self.function, self.common.dry_run);
        if !news {
            return Ok(());
        }
        self.notifier.publish(&self.notice(outcome, report)).await
    }

    fn notice(&self, outcome: &Outcome, report: &Report) -> Notice {
        outcome.notice(
            self.function,
            self.common.dry_run,
            &report.context,
            report.dedup_id.clone(),
        )
    }
}

/// Whether `outcome` is news for the record: a sweep runs every 15 minutes, so the refusal it
/// published last is only logged when it finds it again; any other outcome of a sweep clears
/// it. Other decisions are each news.
pub(super) fn remember_refusal(
    change: &Change<'_>,
    record: &mut Record,
    outcome: &Outcome,
) -> bool {
    if !matches!(change, Change::Sweep) {
        return true;
    }
    let refusal = (outcome.action == Action::Refused).then(|| outcome.reason.clone());
    let repeated = refusal.is_some() && refusal == record.refusal;
    record.refusal = refusal;
    !repeated
}
