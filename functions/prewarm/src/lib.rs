//! prewarm: capacity before a known traffic event, restored after, verified on time.
//!
//! One payload with an `action`:
//! - `raise`: a hold `event.<name>` keeps the variant's MinCapacity at `min_capacity` until
//!   `until` (capped at MaxCapacity unless `raise_max`),
//! - `restore`: that hold goes; MinCapacity is max(baseline, remaining live holds),
//! - `verify`: are the instances there? READY / NOT READY with counts, published and returned,
//! - `sync-calendar`: a calendar of events becomes Application Auto Scaling scheduled actions.
//!
//! Parsing ([`payload`]) and the calendar ([`calendar`]) are pure; decisions on holds come
//! from the shared capacity core; this module reads, checks every guardrail before the first
//! write, applies and reports.

pub mod calendar;
pub mod files;
pub mod payload;

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTargetAction, ServiceNamespace,
};
use chrono::{DateTime, Utc};
use remediation::audit::{self, Notice, Notifier, Outcome};
use remediation::capacity::{CapacityClient, Endpoint};
use remediation::config::{self, CommonConfig, Lookup};
use remediation::decide::{Change, EventHold};
use remediation::holds;
use remediation::remediate::{Remediator, Report};
use remediation::Error;
use serde::Serialize;
use serde_json::Value;

use calendar::{ScheduledAction, Timing, ACTION_PREFIX};
use payload::{CalendarSource, Raise, Request, Restore, SyncCalendar, Verify};

/// The binary's name, used in logs and audit messages.
pub const FUNCTION: &str = "prewarm";

/// Configuration, read and validated once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub lock_table: String,
    /// Where a calendar given as a path may be read from (`CALENDAR_DIR`, in Lambda or not).
    pub files: files::LocalFiles,
}

impl Config {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Error> {
        Ok(Config {
            common: CommonConfig::from_lookup(env)?,
            lock_table: config::lock_table(env)?,
            files: files::LocalFiles::from_lookup(env, files::LocalFiles::in_lambda())?,
        })
    }
}

/// The clients and configuration one Lambda instance keeps between invocations.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub path: Remediator<CapacityClient>,
    pub s3: aws_sdk_s3::Client,
}

/// What the handler returns.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub function: &'static str,
    pub action: &'static str,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// raise and restore: one result per variant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Readiness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarReport>,
}

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

/// What a calendar sync did (or, in dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CalendarReport {
    pub entries: usize,
    pub created: Vec<ScheduledAction>,
    pub updated: Vec<ScheduledAction>,
    pub deleted: Vec<ScheduledAction>,
    pub unchanged: usize,
    /// One-off entries whose event is over: nothing scheduled.
    pub expired: Vec<String>,
    pub notes: Vec<String>,
}

impl CalendarReport {
    pub fn changed(&self) -> bool {
        !(self.created.is_empty() && self.updated.is_empty() && self.deleted.is_empty())
    }
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

enum HoldChange<'a> {
    Raise(&'a Raise),
    Restore(&'a Restore),
}

impl App {
    pub fn new(sdk: &aws_config::SdkConfig, config: Config) -> Self {
        App {
            path: Remediator {
                store: CapacityClient::new(sdk, &config.lock_table),
                notifier: Notifier::new(sdk, config.common.topic_arn.clone()),
                function: FUNCTION,
                common: config.common.clone(),
            },
            // Checksums only where an operation requires them: S3-compatible stores (and
            // the local emulator) do not all return them.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .request_checksum_calculation(
                        aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                    )
                    .response_checksum_validation(
                        aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                    )
                    .build(),
            ),
            config,
        }
    }

    /// Handle one invocation at time `now`.
    pub async fn handle(&self, event: Value, now: DateTime<Utc>) -> Result<Summary, Error> {
        let request = remediation::check_event_size(&event)
            .and_then(|()| payload::parse(event, now))
            .and_then(|request| self.config.files.admit(request))
            .inspect_err(|err| {
                tracing::error!(function = FUNCTION, error = %err, "rejected payload");
            })?;
        tracing::info!(function = FUNCTION, action = request.action(), "request");
        let mut summary = Summary {
            function: FUNCTION,
            action: request.action(),
            dry_run: self.config.common.dry_run,
            event: None,
            results: Vec::new(),
            readiness: None,
            calendar: None,
        };
        match &request {
            Request::Raise(raise) => {
                summary.event = Some(raise.event.clone());
                summary.results = self
                    .change_holds(
                        &raise.endpoint,
                        raise.variant.as_deref(),
                        HoldChange::Raise(raise),
                        now,
                    )
                    .await?;
            }
            Request::Restore(restore) => {
                summary.event = Some(restore.event.clone());
                summary.results = self
                    .change_holds(
                        &restore.endpoint,
                        restore.variant.as_deref(),
                        HoldChange::Restore(restore),
                        now,
                    )
                    .await?;
            }
            Request::Verify(verify) => {
                summary.event = verify.event.clone();
                summary.readiness = Some(self.verify(verify, now).await?);
            }
            Request::SyncCalendar(sync) => {
                summary.calendar = Some(self.sync_calendar(sync, now).await?);
            }
        }
        Ok(summary)
    }

    /// The allowlist, checked before anything is read; a refusal is published.
    async fn allowed(
        &self,
        endpoint: &str,
        variant: Option<&str>,
        event: Option<&str>,
    ) -> Result<(), Error> {
        self.path
            .allowed(endpoint, variant, &event_report(event))
            .await
    }

    /// A raise or a restore, decided and applied for each variant on its own by the one
    /// remediation path.
    async fn change_holds(
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
                Change::Hold(EventHold {
                    event: &raise.event,
                    min: raise.min_capacity,
                    until: raise.until,
                    hold_for: raise.hold_for,
                    raise_max: raise.raise_max,
                    trigger: raise.scheduled_time.as_deref(),
                })
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

    async fn verify(&self, req: &Verify, now: DateTime<Utc>) -> Result<Readiness, Error> {
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

    async fn load_calendar(&self, source: &CalendarSource) -> Result<Value, Error> {
        let (what, bytes) = match source {
            CalendarSource::Inline(value) => return Ok(value.clone()),
            CalendarSource::File(path) => (
                path.display().to_string(),
                std::fs::read(path).map_err(|err| {
                    Error::InvalidEvent(format!(
                        "calendar: cannot read file {}: {err}",
                        path.display()
                    ))
                })?,
            ),
            CalendarSource::S3 { bucket, key } => {
                let out = self
                    .s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|err| match Error::aws("GetObject", err) {
                        Error::Aws { message, .. } if message.starts_with("NoSuchKey") => {
                            Error::NotFound(format!("calendar s3://{bucket}/{key} does not exist"))
                        }
                        other => other,
                    })?;
                let body = out.body.collect().await.map_err(|err| Error::Aws {
                    operation: "GetObject",
                    message: format!("reading the body: {err}"),
                    retryable: true,
                })?;
                (format!("s3://{bucket}/{key}"), body.into_bytes().to_vec())
            }
        };
        serde_json::from_slice(&bytes)
            .map_err(|err| Error::InvalidEvent(format!("calendar: {what} is not JSON: {err}")))
    }

    async fn sync_calendar(
        &self,
        req: &SyncCalendar,
        now: DateTime<Utc>,
    ) -> Result<CalendarReport, Error> {
        let entries = calendar::parse(&self.load_calendar(&req.source).await?)?;
        let mut timings = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let timing = calendar::timing(entry, now).map_err(|err| match err {
                Error::InvalidEvent(msg) => Error::InvalidEvent(format!("calendar[{i}].{msg}")),
                other => other,
            })?;
            timings.push(timing);
        }
        for entry in &entries {
            self.allowed(&entry.endpoint, entry.variant.as_deref(), Some(&entry.name))
                .await?;
        }
        let allowlist = &self.config.common.allowlist;
        let existing: Vec<ScheduledAction> = self
            .scheduled_actions()
            .await?
            .into_iter()
            .filter(|a| a.name.starts_with(ACTION_PREFIX))
            .filter(|a| a.endpoint().is_some_and(|e| allowlist.allows(e)))
            .collect();
        let mut report = CalendarReport {
            entries: entries.len(),
            ..CalendarReport::default()
        };
        let mut desired = Vec::new();
        let mut endpoints: BTreeMap<String, Endpoint> = BTreeMap::new();
        for (i, (entry, timing)) in entries.iter().zip(&timings).enumerate() {
            let (raise, restore, note) = match timing {
                Timing::Expired => {
                    report.expired.push(entry.name.clone());
                    continue;
                }
                Timing::Scheduled {
                    raise,
                    restore,
                    note,
                } => (raise, restore, note),
            };
            if let Some(note) = note {
                report.notes.push(format!("{}: {note}", entry.name));
            }
            let in_entry = |err: Error| match err {
                Error::NotFound(msg) => {
                    Error::NotFound(format!("calendar[{i}] {}: {msg}", entry.name))
                }
                other => other,
            };
            if !endpoints.contains_key(&entry.endpoint) {
                let endpoint = self
                    .path
                    .store
                    .endpoint(&entry.endpoint)
                    .await
                    .map_err(in_entry)?;
                endpoints.insert(entry.endpoint.clone(), endpoint);
            }
            let endpoint = &endpoints[&entry.endpoint];
            let variants = endpoint
                .select_variants(entry.variant.as_deref())
                .map_err(in_entry)?;
            let capacities = self.path.store.targets(&endpoint.name, &variants).await?;
            for variant in variants {
                let Some(&current) = capacities.get(&variant.name) else {
                    return Err(Error::NotFound(format!(
                        "calendar[{i}] {}: {}",
                        entry.name,
                        no_target(endpoint, &variant.name)
                    )));
                };
                let resource_id = variant.resource_id(&endpoint.name);
                let dimension = variant.dimension();
                let previous_end = existing.iter().find(|a| {
                    a.resource_id == resource_id && a.name == calendar::end_name(&entry.name)
                });
                let baseline = endpoint
                    .holds(&variant.name)
                    .baseline
                    .unwrap_or(current.min);
                let (actions, note) = calendar::actions(
                    entry,
                    (&resource_id, dimension.as_str()),
                    raise,
                    restore,
                    current,
                    previous_end,
                    baseline,
                );
                if let Some(note) = note {
                    report.notes.push(format!(
                        "{} on {}/{}: {note}",
                        entry.name, endpoint.name, variant.name
                    ));
                }
                desired.extend(actions);
            }
        }
        let changes = calendar::diff(desired, &existing);
        if !self.config.common.dry_run {
            for action in changes.create.iter().chain(&changes.update) {
                self.put_scheduled_action(action).await?;
            }
            for action in &changes.delete {
                self.delete_scheduled_action(action).await?;
            }
        }
        report.unchanged = changes.unchanged.len();
        report.created = changes.create;
        report.updated = changes.update;
        report.deleted = changes.delete;
        tracing::info!(
            function = FUNCTION,
            created = report.created.len(),
            updated = report.updated.len(),
            deleted = report.deleted.len(),
            unchanged = report.unchanged,
            dry_run = self.config.common.dry_run,
            "calendar synced"
        );
        if report.changed() {
            self.path
                .notifier
                .publish(&calendar_notice(&report, self.config.common.dry_run))
                .await?;
        }
        Ok(report)
    }

    /// Every SageMaker scheduled action (DescribeScheduledActions, all pages).
    async fn scheduled_actions(&self) -> Result<Vec<ScheduledAction>, Error> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .path
                .store
                .autoscaling
                .describe_scheduled_actions()
                .service_namespace(ServiceNamespace::Sagemaker)
                .set_next_token(token)
                .send()
                .await
                .map_err(|err| Error::aws("DescribeScheduledActions", err))?;
            for a in page.scheduled_actions() {
                let target = a.scalable_target_action();
                found.push(ScheduledAction {
                    name: a.scheduled_action_name().to_owned(),
                    resource_id: a.resource_id().to_owned(),
                    dimension: a
                        .scalable_dimension()
                        .map(|d| d.as_str().to_owned())
                        .unwrap_or_default(),
                    schedule: a.schedule().to_owned(),
                    timezone: a.timezone().map(str::to_owned),
                    min_capacity: target
                        .and_then(|t| t.min_capacity())
                        .and_then(|n| u32::try_from(n).ok()),
                    max_capacity: target
                        .and_then(|t| t.max_capacity())
                        .and_then(|n| u32::try_from(n).ok()),
                });
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    async fn put_scheduled_action(&self, action: &ScheduledAction) -> Result<(), Error> {
        let capacity = |n: Option<u32>| n.and_then(|n| i32::try_from(n).ok());
        self.path
            .store
            .autoscaling
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .scheduled_action_name(&action.name)
            .resource_id(&action.resource_id)
            .scalable_dimension(ScalableDimension::from(action.dimension.as_str()))
            .schedule(&action.schedule)
            .set_timezone(action.timezone.clone())
            .scalable_target_action(
                ScalableTargetAction::builder()
                    .set_min_capacity(capacity(action.min_capacity))
                    .set_max_capacity(capacity(action.max_capacity))
                    .build(),
            )
            .send()
            .await
            .map_err(|err| Error::aws("PutScheduledAction", err))?;
        Ok(())
    }

    async fn delete_scheduled_action(&self, action: &ScheduledAction) -> Result<(), Error> {
        self.path
            .store
            .autoscaling
            .delete_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .scheduled_action_name(&action.name)
            .resource_id(&action.resource_id)
            .scalable_dimension(ScalableDimension::from(action.dimension.as_str()))
            .send()
            .await
            .map_err(|err| Error::aws("DeleteScheduledAction", err))?;
        Ok(())
    }
}

/// The audit context of a pre-warm decision.
fn event_report(event: Option<&str>) -> Report {
    Report {
        context: event
            .map(|e| vec![("Event", e.to_owned())])
            .unwrap_or_default(),
        ..Report::default()
    }
}

fn no_target(endpoint: &Endpoint, variant: &str) -> String {
    format!(
        "no scalable target: register endpoint/{}/variant/{variant} with Application Auto \
         Scaling first",
        endpoint.name
    )
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

/// The calendar sync message: counts in the subject, each change on its own line.
pub fn calendar_notice(r: &CalendarReport, dry_run: bool) -> Notice {
    let prefix = if dry_run { "[DRY RUN] " } else { "" };
    let mut body = format!(
        "{FUNCTION} {} scheduled actions for a calendar of {} entries.\n\n",
        if dry_run { "would sync" } else { "synced" },
        r.entries
    );
    for (what, list) in [
        ("created", &r.created),
        ("updated", &r.updated),
        ("deleted", &r.deleted),
    ] {
        for a in list {
            body.push_str(&format!(
                "{what}: {} on {}: {} {} MinCapacity {}{}\n",
                a.name,
                a.resource_id,
                a.schedule,
                a.timezone.as_deref().unwrap_or("UTC"),
                a.min_capacity.map_or("-".to_owned(), |n| n.to_string()),
                a.max_capacity
                    .map_or(String::new(), |n| format!(" MaxCapacity {n}"))
            ));
        }
    }
    for note in &r.notes {
        body.push_str(&format!("note: {note}\n"));
    }
    if dry_run {
        body.push_str("Dry run: DRY_RUN=true, no write call was made.\n");
    }
    Notice {
        subject: audit::subject(&format!(
            "{prefix}Calendar synced: {} created, {} updated, {} deleted, {} unchanged",
            r.created.len(),
            r.updated.len(),
            r.deleted.len(),
            r.unchanged
        )),
        body,
        attributes: BTreeMap::from([
            ("function".to_owned(), FUNCTION.to_owned()),
            ("action".to_owned(), "sync-calendar".to_owned()),
            ("dry_run".to_owned(), dry_run.to_string()),
        ]),
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
