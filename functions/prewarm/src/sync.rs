//! `sync-calendar`: the calendar (inline, a file or an S3 object) becomes Application Auto
//! Scaling scheduled actions, idempotently; actions this function created that the calendar no
//! longer produces are deleted. Every check is made before the first write.

mod end_changes;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use remediation::audit::{self, Notice, Outcome};
use remediation::capacity::Endpoint;
use remediation::Error;
use serde::Serialize;
use serde_json::Value;

use crate::calendar::{self, Changes, Entry, ScheduledAction, Timing, TooMany, ACTION_PREFIX};
use crate::closes;
use crate::ends::{
    self, EndSchedule, Fate, Found, Running, CALENDAR_SCHEDULE_ROLE_ARN, SCHEDULE_PREFIX,
};
use crate::hold::event_report;
use crate::payload::{CalendarSource, SyncCalendar};
use crate::{App, FUNCTION};
use end_changes::EndChanges;
use remediation::holds::rfc3339;

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

/// The actions of an entry removed from the calendar while its event is on stay until its
/// end has run ([`ends::fate`]); the report says so.
fn keep_running(changes: &mut Changes, running: &Running, report: &mut CalendarReport) {
    let mut kept = BTreeMap::new();
    for a in std::mem::take(&mut changes.delete) {
        let start = calendar::started_entry(&a.name);
        let Some(event) = start.or(calendar::ended_entry(&a.name)) else {
            changes.delete.push(a);
            continue;
        };
        let key = (a.resource_id.clone(), event.to_owned());
        if let Some(ends_at) = running.get(&key) {
            kept.insert(key, *ends_at);
        }
        match ends::fate(&a, event, start.is_some(), running) {
            Fate::Delete => changes.delete.push(a),
            Fate::Keep => changes.unchanged.push(a),
            Fate::Replace(once) => changes.update.push(once),
        }
    }
    for ((target, event), ends_at) in kept {
        report.notes.push(format!(
            "{event} on {target}: no longer in the calendar but on now; its end stays until it \
             has run, at {}",
            rfc3339(ends_at)
        ));
    }
}

/// An error of entry `i`, with its index in front (`calendar[i].<field>: ...`).
fn in_entry(i: usize) -> impl Fn(Error) -> Error {
    move |err| match err {
        Error::InvalidEvent(msg) => Error::InvalidEvent(format!("calendar[{i}].{msg}")),
        other => other,
    }
}

impl App {
    pub(crate) async fn sync_calendar(
        &self,
        req: &SyncCalendar,
        now: DateTime<Utc>,
    ) -> Result<CalendarReport, Error> {
        let entries = calendar::parse(&self.load_calendar(&req.source).await?)?;
        let timings = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| calendar::timing(entry, now).map_err(in_entry(i)))
            .collect::<Result<Vec<_>, _>>()?;
        calendar::check(&entries, now)?;
        for entry in &entries {
            self.allowed(&entry.endpoint, entry.variant.as_deref(), Some(&entry.name))
                .await?;
        }
        let allowlist = &self.config.common.allowlist;
        let all = self.scheduled_actions().await?;
        let existing: Vec<ScheduledAction> = all
            .iter()
            .filter(|a| a.name.starts_with(ACTION_PREFIX))
            .filter(|a| a.endpoint().is_some_and(|e| allowlist.allows(e)))
            .cloned()
            .collect();
        let mut report = CalendarReport {
            entries: entries.len(),
            ..CalendarReport::default()
        };
        let found_ends = self.found_ends().await?;
        let running = ends::running(&existing, &found_ends.ends, now);
        // An end's baseline stays what an earlier sync scheduled, action or schedule.
        let previous: Vec<ScheduledAction> = existing
            .iter()
            .cloned()
            .chain(found_ends.ends.iter().map(EndSchedule::as_end_action))
            .collect();
        let mut desired = self
            .desired_actions(&entries, &timings, &previous, &mut report)
            .await?;
        let (closes, notes) = closes::closes(&desired, &running, &previous, now);
        report.notes.extend(notes);
        desired.extend(closes);
        let (desired, ends) = self.split_ends(desired, found_ends, (now, &running), &mut report);
        if let Some(full) = calendar::too_many(&desired, &all) {
            return Err(self.refuse(&full).await);
        }
        let mut changes = calendar::diff(desired, &existing);
        keep_running(&mut changes, &running, &mut report);
        if !self.config.common.dry_run {
            self.write(&changes, &ends).await?;
        }
        for changes in [changes, ends.changes] {
            report.unchanged += changes.unchanged.len();
            report.created.extend(changes.create);
            report.updated.extend(changes.update);
            report.deleted.extend(changes.delete);
        }
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

    /// The writes of a sync, in an order that never leaves a raise without its end: end
    /// schedules first, then changed actions (a recurring end made one-off before its start
    /// goes), stale actions (so a target never holds more than it will at the end), new
    /// actions, and last the end schedules no longer wanted.
    async fn write(&self, changes: &Changes, ends: &EndChanges) -> Result<(), Error> {
        if let Some(config) = &self.config.ends {
            for (schedule, exists) in ends.puts() {
                self.put_end_schedule(config, schedule, exists).await?;
            }
        }
        for action in &changes.update {
            self.put_scheduled_action(action).await?;
        }
        for action in &changes.delete {
            self.delete_scheduled_action(action).await?;
        }
        for action in &changes.create {
            self.put_scheduled_action(action).await?;
        }
        if let Some(config) = &self.config.ends {
            for stale in &ends.changes.delete {
                self.delete_end_schedule(config, &stale.name).await?;
            }
        }
        Ok(())
    }

    /// The end schedules of allowed endpoints (none without end schedules configured): only
    /// those are this deployment's to change, as with actions.
    /// Those whose input is no end have no endpoint to check: the sync only rewrites one it
    /// wants, whose name is the digest of an allowed target and an event.
    async fn found_ends(&self) -> Result<Found, Error> {
        let Some(config) = &self.config.ends else {
            return Ok(Found::default());
        };
        let allowlist = &self.config.common.allowlist;
        let mut found = self.end_schedules(config).await?;
        found
            .ends
            .retain(|s| s.action.endpoint().is_some_and(|e| allowlist.allows(e)));
        Ok(found)
    }

    /// With end schedules configured, the desired end actions become schedules (compared with
    /// `found`); without, the report says what an end left as an action costs.
    fn split_ends(
        &self,
        desired: Vec<ScheduledAction>,
        found: Found,
        (now, running): (DateTime<Utc>, &Running),
        report: &mut CalendarReport,
    ) -> (Vec<ScheduledAction>, EndChanges) {
        // The MaxCapacity each event's start sets, by target and event.
        let raised: BTreeMap<(String, String), u32> = desired
            .iter()
            .filter_map(|a| {
                let event = calendar::started_entry(&a.name)?;
                Some(((a.resource_id.clone(), event.to_owned()), a.max_capacity?))
            })
            .collect();
        let mut actions = Vec::new();
        let mut schedules = BTreeMap::new();
        let mut blind = Vec::new();
        for action in desired {
            let ended = calendar::ended_entry(&action.name);
            match (
                ended.or(calendar::closed_entry(&action.name)),
                &self.config.ends,
            ) {
                (Some(event), Some(_)) => {
                    let key = (action.resource_id.clone(), event.to_owned());
                    let schedule = EndSchedule::of(&action, event, raised.get(&key).copied(), now);
                    schedules.insert(schedule.action.name.clone(), schedule);
                }
                (Some(event), _) => {
                    blind.push(event.to_owned());
                    actions.push(action);
                }
                (None, _) => actions.push(action),
            }
        }
        blind.sort();
        blind.dedup();
        for event in blind {
            report.notes.push(format!(
                "{event}: its end is a scheduled action ({CALENDAR_SCHEDULE_ROLE_ARN} is not \
                 set): it sets MinCapacity directly, under a live latency hold too, until the \
                 next decision on the variant"
            ));
        }
        for name in found.unreadable.keys() {
            if !schedules.contains_key(name) {
                report.notes.push(format!(
                    "end schedule {name}: its input is not an end payload (edited by hand?) and \
                     no entry of this calendar ends there; left alone"
                ));
            }
        }
        let delivery = self.config.ends.as_ref().map(|e| e.delivery.clone());
        let ends = EndChanges::new(schedules, found, (delivery, running), now);
        (actions, ends)
    }

    /// A target that would hold too many actions: the refusal is published (the endpoint is
    /// known) and returned; nothing is written.
    async fn refuse(&self, full: &TooMany) -> Error {
        let reason = full.to_string();
        let (endpoint, variant) = full
            .resource_id
            .strip_prefix("endpoint/")
            .and_then(|rest| rest.split_once("/variant/"))
            .map_or((full.resource_id.as_str(), None), |(e, v)| (e, Some(v)));
        let outcome = Outcome::refused(endpoint, variant, reason.clone());
        match self.path.publish(&outcome, &event_report(None), true).await {
            Ok(()) => Error::InvalidEvent(format!("calendar: {reason}")),
            Err(err) => err,
        }
    }

    /// Every scheduled action the calendar wants, on every variant its entries name; expired
    /// entries and notes go to `report`.
    async fn desired_actions(
        &self,
        entries: &[Entry],
        timings: &[Timing],
        existing: &[ScheduledAction],
        report: &mut CalendarReport,
    ) -> Result<Vec<ScheduledAction>, Error> {
        let mut desired = Vec::new();
        let mut endpoints: BTreeMap<String, Endpoint> = BTreeMap::new();
        for (i, (entry, timing)) in entries.iter().zip(timings).enumerate() {
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
            let not_found = |err: Error| match err {
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
                    .map_err(not_found)?;
                endpoints.insert(entry.endpoint.clone(), endpoint);
            }
            let endpoint = &endpoints[&entry.endpoint];
            let variants = endpoint
                .select_variants(entry.variant.as_deref())
                .map_err(not_found)?;
            let capacities = self.path.store.targets(&endpoint.name, &variants).await?;
            for variant in variants {
                let Some(&current) = capacities.get(&variant.name) else {
                    return Err(not_found(Error::NotFound(no_target(
                        endpoint,
                        &variant.name,
                    ))));
                };
                let resource_id = variant.resource_id(&endpoint.name);
                let previous_end =
                    calendar::known_end(existing, &resource_id, &entry.name, entries);
                let baseline =
                    (endpoint.holds(&variant.name).standing_baseline()).unwrap_or(current.min);
                let (actions, note) = calendar::actions(
                    entry,
                    (&resource_id, variant.dimension().as_str()),
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
        Ok(desired)
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
                    .map_err(|err| {
                        if err.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                            Error::NotFound(format!("calendar s3://{bucket}/{key} does not exist"))
                        } else {
                            Error::aws("GetObject", err)
                        }
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
}

fn no_target(endpoint: &Endpoint, variant: &str) -> String {
    format!(
        "no scalable target: register endpoint/{}/variant/{variant} with Application Auto \
         Scaling first",
        endpoint.name
    )
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
            let kind = match a.name.starts_with(SCHEDULE_PREFIX) {
                true => " (a schedule: prewarm's end through the holds)",
                false => "",
            };
            body.push_str(&format!(
                "{what}: {} on {}: {} {}{} MinCapacity {}{}{kind}\n",
                a.name,
                a.resource_id,
                a.schedule,
                a.timezone.as_deref().unwrap_or("UTC"),
                a.start_time
                    .map_or(String::new(), |t| format!(" from {}", rfc3339(t))),
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
