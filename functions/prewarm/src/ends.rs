//! The calendar's ends as EventBridge Scheduler schedules that invoke this function with an
//! `end` payload, so an event's end goes through the remediation path and leaves live holds
//! (ARCHITECTURE.md, "Other writers"). Its start stays a scheduled action: a raise needs no
//! invocation. Without a scheduler role configured, ends stay scheduled actions too.

use std::collections::BTreeMap;

use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::primitives::DateTime as SmithyTime;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, ScheduleState, Target,
};
use chrono::{DateTime, Utc};
use remediation::capacity::resource_id;
use remediation::config::Lookup;
use remediation::holds::digest128;
use remediation::Error;
use serde_json::{json, Value};

use crate::calendar::{self, ScheduledAction};
use crate::payload::End;
use crate::App;

pub const CALENDAR_SCHEDULE_ROLE_ARN: &str = "CALENDAR_SCHEDULE_ROLE_ARN";
pub const CALENDAR_SCHEDULE_GROUP: &str = "CALENDAR_SCHEDULE_GROUP";
pub const CALENDAR_END_FUNCTION_ARN: &str = "CALENDAR_END_FUNCTION_ARN";
pub const CALENDAR_SCHEDULE_DLQ_ARN: &str = "CALENDAR_SCHEDULE_DLQ_ARN";

/// Events that are on, by target and event name, with the time their end runs.
pub type Running = BTreeMap<(String, String), DateTime<Utc>>;

/// The events of earlier syncs that are on at `now`, by target and event name, with the time
/// their end runs: their start (an action among `existing`) has run since their end (an
/// action among `existing`, or one of the end `schedules`) last did, and their end runs
/// again. An entry removed from the calendar while its event is on keeps its end until it has
/// run: deleting it would leave the event's capacity up for good. A recurring entry's end is
/// made one-off for that (its start is deleted, or it would raise again with no end), so a
/// one-off end still to come whose start is gone is on too.
pub fn running(
    existing: &[ScheduledAction],
    schedules: &[EndSchedule],
    now: DateTime<Utc>,
) -> Running {
    let starts: BTreeMap<(&str, &str), &ScheduledAction> = existing
        .iter()
        .filter_map(|a| {
            Some((
                (a.resource_id.as_str(), calendar::started_entry(&a.name)?),
                a,
            ))
        })
        .collect();
    let end_actions = existing
        .iter()
        .filter_map(|a| Some((calendar::ended_entry(&a.name)?, a)));
    let end_schedules = (schedules.iter())
        .filter(|s| !s.close)
        .map(|s| (s.event.as_str(), &s.action));
    end_actions
        .chain(end_schedules)
        .filter_map(|(event, end)| {
            let ends_at = end.next_run(now)?;
            let on = match starts.get(&(end.resource_id.as_str(), event)) {
                Some(start) => start.started_since(end, now),
                None => end.due().is_some(),
            };
            on.then(|| ((end.resource_id.clone(), event.to_owned()), ends_at))
        })
        .collect()
}

/// What a sync does with an action or end schedule of an earlier sync it no longer wants.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Delete,
    Keep,
    /// Put this in its place (the same name).
    Replace(ScheduledAction),
}

/// The fate of `action`, the start (`start`) or end of `event`, no longer wanted: while the
/// event is on (`running`) its end stays until it has run, a one-off as it is, a recurring
/// end made one-off at the event's end; a recurring start goes (it would raise again with no
/// end), a one-off one has run and stays beside its end.
pub fn fate(action: &ScheduledAction, event: &str, start: bool, running: &Running) -> Fate {
    let Some(ends_at) = running.get(&(action.resource_id.clone(), event.to_owned())) else {
        return Fate::Delete;
    };
    match (action.due(), start) {
        (Some(_), _) => Fate::Keep,
        (None, true) => Fate::Delete,
        (None, false) => action.once_at(*ends_at).map_or(Fate::Keep, Fate::Replace),
    }
}

/// Every schedule this function owns starts with this (`.` never appears in an action name).
pub const SCHEDULE_PREFIX: &str = "prewarm.end.";

/// An end delivered later than this is dropped by Scheduler (and refused by prewarm) rather
/// than lowering capacity into a later event.
const MAX_END_AGE_SECONDS: i32 = (crate::payload::LATE_END_MINUTES * 60) as i32;

/// How long a one-off end schedule outlives its entry after it came due: as long as Lambda
/// retries prewarm's asynchronous invocations (the stack's `MaximumEventAgeInSeconds`), so a
/// retried end still finds the schedule its `max_capacity` is checked against.
const KEEP_AFTER_DUE_MINUTES: i64 = 60;

/// Where the calendar's end schedules go and what they invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSchedules {
    pub group: String,
    pub delivery: Delivery,
}

/// Where an end schedule delivers its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The function it invokes.
    pub function_arn: String,
    /// The role Scheduler assumes to invoke it.
    pub role_arn: String,
    /// The SQS queue an end goes to when Scheduler cannot deliver it.
    pub dead_letter_arn: Option<String>,
}

impl EndSchedules {
    /// `None` when `CALENDAR_SCHEDULE_ROLE_ARN` is not set. The function's ARN defaults to
    /// this function's own, from Lambda's `AWS_REGION` and `AWS_LAMBDA_FUNCTION_NAME` and the
    /// role's partition and account.
    pub fn from_lookup(env: Lookup<'_>) -> Result<Option<Self>, Error> {
        let set = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (role, group, explicit) = (
            set(CALENDAR_SCHEDULE_ROLE_ARN),
            set(CALENDAR_SCHEDULE_GROUP),
            set(CALENDAR_END_FUNCTION_ARN),
        );
        let (region, name) = (set("AWS_REGION"), set("AWS_LAMBDA_FUNCTION_NAME"));
        let dead_letter_arn = set(CALENDAR_SCHEDULE_DLQ_ARN);
        let Some(role_arn) = role else {
            return Ok(None);
        };
        if dead_letter_arn
            .as_deref()
            .is_some_and(|arn| arn_of(arn, "sqs").is_none())
        {
            return Err(Error::InvalidConfig(format!(
                "{CALENDAR_SCHEDULE_DLQ_ARN}={:?}: expected an SQS queue ARN \
                 (arn:aws:sqs:<region>:<account>:<name>)",
                dead_letter_arn.unwrap_or_default()
            )));
        }
        let Some(role) = arn_of(&role_arn, "iam").filter(|r| r[5].starts_with("role/")) else {
            return Err(Error::InvalidConfig(format!(
                "{CALENDAR_SCHEDULE_ROLE_ARN}={role_arn:?}: expected an IAM role ARN \
                 (arn:aws:iam::<account>:role/<name>)"
            )));
        };
        let own = match (region, name) {
            (Some(region), Some(name)) => Some(format!(
                "arn:{}:lambda:{region}:{}:function:{name}",
                role[1], role[4]
            )),
            _ => None,
        };
        let function_arn = explicit.or(own).ok_or_else(|| {
            Error::InvalidConfig(format!(
                "{CALENDAR_END_FUNCTION_ARN} is not set: outside Lambda, name the prewarm \
                 function the calendar's end schedules invoke"
            ))
        })?;
        Ok(Some(EndSchedules {
            group: group.unwrap_or_else(|| "default".to_owned()),
            delivery: Delivery {
                function_arn,
                role_arn,
                dead_letter_arn,
            },
        }))
    }
}

/// The six parts of `arn` when it is an ARN of `service` with a resource.
fn arn_of<'a>(arn: &'a str, service: &str) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = arn.split(':').collect();
    let valid = parts.len() == 6 && parts[0] == "arn" && parts[2] == service;
    (valid && !parts[5].is_empty()).then_some(parts)
}

/// A calendar's end as a schedule: the end action it replaces, renamed to the schedule's name,
/// and the event it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct EndSchedule {
    pub action: ScheduledAction,
    pub event: String,
    /// Where a schedule as found delivers (`None` for one a sync wants: it is written with
    /// the configuration's). A stack redeployed under another name, or with another role or
    /// queue, leaves schedules that deliver elsewhere, or nowhere.
    pub delivery: Option<Delivery>,
    /// The MaxCapacity the event's start sets (`raise_max`): the end gives MaxCapacity back
    /// only while it is still that.
    pub raised_max: Option<u32>,
    /// What the schedule carries that the calendar does not decide.
    pub kept: Kept,
    /// A close ([`calendar::close_name`]), not the entry's end.
    pub close: bool,
}

/// What someone else may have set on an end schedule, kept when a sync rewrites it
/// (UpdateSchedule resets every field it is not given): its state (an end an operator
/// disabled stays disabled), its KMS key and its end date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kept {
    state: Option<ScheduleState>,
    kms_key_arn: Option<String>,
    end_date: Option<SmithyTime>,
}

impl Kept {
    fn of(schedule: &GetScheduleOutput) -> Self {
        Kept {
            state: schedule.state().cloned(),
            kms_key_arn: schedule.kms_key_arn().map(str::to_owned),
            end_date: schedule.end_date().copied(),
        }
    }
}

/// The end schedules of earlier syncs in the group.
#[derive(Debug, Default)]
pub struct Found {
    /// Those whose input is an `end` payload.
    pub ends: Vec<EndSchedule>,
    /// What someone else set on those, by name, whose input no longer is (edited by hand, or
    /// by another version): a sync that wants one rewrites it rather than creating it again,
    /// which Scheduler would refuse on every sync.
    pub unreadable: BTreeMap<String, Kept>,
}

impl EndSchedule {
    /// The schedule for `end`, the end action of entry `event` whose start sets MaxCapacity
    /// `raised_max`. Its name is a digest of the target and the event (Scheduler allows 64
    /// characters of `[0-9a-zA-Z-_.]`); a recurring schedule starts no earlier than now
    /// (Scheduler refuses a past StartDate).
    pub fn of(
        end: &ScheduledAction,
        event: &str,
        raised_max: Option<u32>,
        now: DateTime<Utc>,
    ) -> Self {
        let close = calendar::closed_entry(&end.name).is_some();
        let mut action = end.clone();
        action.name = match close {
            true => close_schedule_name(&end.resource_id, event),
            false => schedule_name(&end.resource_id, event),
        };
        action.dimension = String::new();
        action.start_time = end.start_time.filter(|t| *t > now);
        EndSchedule {
            action,
            event: event.to_owned(),
            delivery: None,
            raised_max: raised_max.filter(|_| end.max_capacity.is_some()),
            kept: Kept::default(),
            close,
        }
    }

    /// Whether this is a one-off end (`at(...)`) that came due less than
    /// [`KEEP_AFTER_DUE_MINUTES`] before `now`: a retry of it may still arrive.
    pub fn recently_due(&self, now: DateTime<Utc>) -> bool {
        self.action.due().is_some_and(|due| {
            due <= now && now < due + chrono::Duration::minutes(KEEP_AFTER_DUE_MINUTES)
        })
    }

    /// The action this schedule stands for (`prewarm-<event>-end`, or `-close`), for what a
    /// sync keeps from the one before it (the baseline, a close still to come).
    pub fn as_end_action(&self) -> ScheduledAction {
        let name = match self.close {
            true => calendar::close_name(&self.event),
            false => calendar::end_name(&self.event),
        };
        ScheduledAction {
            name,
            ..self.action.clone()
        }
    }

    /// The payload Scheduler sends: prewarm's `end` action (with the MaxCapacity to give back
    /// when the entry has `raise_max`).
    fn input(&self) -> Value {
        let (endpoint, variant) = self.action.target().unwrap_or_default();
        let mut input = json!({
            "action": "end",
            "endpoint": endpoint,
            "variant": variant,
            "event": self.event,
            "baseline": self.action.min_capacity,
            "scheduled_time": "<aws.scheduler.scheduled-time>",
        });
        if let Some(max) = self.action.max_capacity {
            input["max_capacity"] = json!(max);
        }
        if let Some(raised) = self.raised_max {
            input["raised_max"] = json!(raised);
        }
        input
    }

    /// A schedule as Scheduler returns it, when its input is an `end` payload.
    fn read(name: &str, schedule: &GetScheduleOutput) -> Option<Self> {
        let input = schedule
            .target()
            .and_then(|t| t.input())
            .unwrap_or_default();
        let input: Value = serde_json::from_str(input).ok()?;
        let field = |k: &str| input.get(k).and_then(Value::as_str);
        let capacity = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let resource_id = resource_id(field("endpoint")?, field("variant")?);
        let event = field("event")?.to_owned();
        Some(EndSchedule {
            close: name == close_schedule_name(&resource_id, &event),
            action: ScheduledAction {
                name: name.to_owned(),
                resource_id,
                dimension: String::new(),
                schedule: schedule.schedule_expression()?.to_owned(),
                timezone: schedule.schedule_expression_timezone().map(str::to_owned),
                min_capacity: capacity("baseline"),
                max_capacity: capacity("max_capacity"),
                start_time: schedule
                    .start_date()
                    .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
            },
            event,
            delivery: schedule.target().map(|t| Delivery {
                function_arn: t.arn().to_owned(),
                role_arn: t.role_arn().to_owned(),
                dead_letter_arn: t
                    .dead_letter_config()
                    .and_then(DeadLetterConfig::arn)
                    .map(str::to_owned),
            }),
            raised_max: capacity("raised_max"),
            kept: Kept::of(schedule),
        })
    }
}

/// The name of the end schedule of `event` on target `resource_id`.
fn schedule_name(resource_id: &str, event: &str) -> String {
    format!(
        "{SCHEDULE_PREFIX}{}",
        digest128(&format!("{resource_id}\n{event}"))
    )
}

/// The name of the close of `event` on target `resource_id` (no event name has a line break).
fn close_schedule_name(resource_id: &str, event: &str) -> String {
    schedule_name(resource_id, &format!("{event}\nclose"))
}

impl App {
    /// The MaxCapacity an `end` gives back must be the one its end schedule carries (what the
    /// sync found before the event raised it), and so must the `raised_max` it gives it back
    /// from, when it names one: whoever may invoke prewarm cannot lower a variant's
    /// MaxCapacity to a value of their choosing. `Err(reason)` when it is not.
    pub(crate) async fn given_back_max(&self, end: &End) -> Result<Result<(), String>, Error> {
        let (Some(max), Some(variant)) = (end.max_capacity, end.variant.as_deref()) else {
            return Ok(Ok(()));
        };
        let Some(config) = &self.config.ends else {
            return Ok(Err(format!(
                "max_capacity {max}: only the calendar's end schedules give MaxCapacity back, \
                 and {CALENDAR_SCHEDULE_ROLE_ARN} is not set; MaxCapacity is left as it is"
            )));
        };
        let resource_id = resource_id(&end.endpoint, variant);
        let name = schedule_name(&resource_id, &end.event);
        let scheduled = self
            .get_schedule(&config.group, &name)
            .await?
            .and_then(|out| EndSchedule::read(&name, &out));
        let given = scheduled.as_ref().and_then(|s| s.action.max_capacity);
        let raised = scheduled.as_ref().and_then(|s| s.raised_max);
        Ok(match given {
            Some(m) if m != max => Err(format!(
                "max_capacity {max} is not what the end schedule of {} on {resource_id} gives \
                 back ({m}); MaxCapacity is left as it is",
                end.event
            )),
            Some(_) if end.raised_max.is_some_and(|r| Some(r) != raised) => Err(format!(
                "raised_max {} is not what the end schedule of {} on {resource_id} says the \
                 event set ({}); MaxCapacity is left as it is",
                end.raised_max.unwrap_or_default(),
                end.event,
                raised.map_or("nothing".to_owned(), |r| r.to_string())
            )),
            Some(_) => Ok(()),
            None => Err(format!(
                "max_capacity {max} is not what the end schedule of {} on {resource_id} gives \
                 back (no schedule that raised MaxCapacity); MaxCapacity is left as it is",
                end.event
            )),
        })
    }

    /// The end schedules this function created in the group (ListSchedules, GetSchedule each).
    pub(crate) async fn end_schedules(&self, ends: &EndSchedules) -> Result<Found, Error> {
        let mut pages = self
            .scheduler
            .list_schedules()
            .group_name(&ends.group)
            .name_prefix(SCHEDULE_PREFIX)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| Error::aws("ListSchedules", err))?;
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|s| s.name())
                    .filter(|n| n.starts_with(SCHEDULE_PREFIX))
                    .map(str::to_owned),
            );
        }
        let mut found = Found::default();
        for name in names {
            // One deleted since the listing is gone.
            let Some(out) = self.get_schedule(&ends.group, &name).await? else {
                continue;
            };
            match EndSchedule::read(&name, &out) {
                Some(schedule) => found.ends.push(schedule),
                None => {
                    tracing::warn!(schedule = %name, "an end schedule whose input is not an end");
                    found.unreadable.insert(name, Kept::of(&out));
                }
            }
        }
        Ok(found)
    }

    /// Schedule `name` in `group`; `None` when there is none.
    async fn get_schedule(
        &self,
        group: &str,
        name: &str,
    ) -> Result<Option<GetScheduleOutput>, Error> {
        let out = self
            .scheduler
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await;
        match out {
            Ok(out) => Ok(Some(out)),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(Error::aws("GetSchedule", err)),
        }
    }

    /// CreateSchedule, or UpdateSchedule when `exists`.
    pub(crate) async fn put_end_schedule(
        &self,
        ends: &EndSchedules,
        schedule: &EndSchedule,
        exists: bool,
    ) -> Result<(), Error> {
        let a = &schedule.action;
        let target = Target::builder()
            .arn(&ends.delivery.function_arn)
            .role_arn(&ends.delivery.role_arn)
            .input(schedule.input().to_string())
            .set_dead_letter_config(
                ends.delivery
                    .dead_letter_arn
                    .as_ref()
                    .map(|arn| DeadLetterConfig::builder().arn(arn).build()),
            )
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_event_age_in_seconds(MAX_END_AGE_SECONDS)
                    .maximum_retry_attempts(10)
                    .build(),
            )
            .build()
            .map_err(|err| Error::InvalidEvent(format!("schedule {}: {err}", a.name)))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|err| Error::InvalidEvent(format!("schedule {}: {err}", a.name)))?;
        let start = a
            .start_time
            .map(|t| aws_sdk_scheduler::primitives::DateTime::from_secs(t.timestamp()));
        let description = format!("prewarm: end of {} on {}", schedule.event, a.resource_id);
        let description: String = description.chars().take(512).collect();
        // Create and update take the same fields on two builder types.
        macro_rules! fill {
            ($request:expr) => {
                $request
                    .name(&a.name)
                    .group_name(&ends.group)
                    .description(description)
                    .schedule_expression(&a.schedule)
                    .set_schedule_expression_timezone(a.timezone.clone())
                    .set_start_date(start)
                    .flexible_time_window(window)
                    .action_after_completion(ActionAfterCompletion::None)
                    .set_state(schedule.kept.state.clone())
                    .set_kms_key_arn(schedule.kept.kms_key_arn.clone())
                    .set_end_date(schedule.kept.end_date)
                    .target(target)
            };
        }
        if exists {
            fill!(self.scheduler.update_schedule())
                .send()
                .await
                .map_err(|err| Error::aws("UpdateSchedule", err))?;
        } else {
            fill!(self.scheduler.create_schedule())
                .send()
                .await
                .map_err(|err| Error::aws("CreateSchedule", err))?;
        }
        Ok(())
    }

    pub(crate) async fn delete_end_schedule(
        &self,
        ends: &EndSchedules,
        name: &str,
    ) -> Result<(), Error> {
        self.scheduler
            .delete_schedule()
            .group_name(&ends.group)
            .name(name)
            .send()
            .await
            .map_err(|err| Error::aws("DeleteSchedule", err))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws-cn:iam::123456789012:role/scheduler";

    fn config(vars: &[(&str, &str)]) -> Result<Option<EndSchedules>, Error> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EndSchedules::from_lookup(&|name: &str| vars.get(name).cloned())
    }

    #[test]
    fn a_one_off_end_is_recent_for_an_hour_after_it_came_due() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let end = ScheduledAction {
            name: "prewarm-promo-end".to_owned(),
            resource_id: "endpoint/e/variant/v".to_owned(),
            // 01:00 UTC on 2030-11-30.
            schedule: "at(2030-11-29T20:00:00)".to_owned(),
            timezone: Some("America/New_York".to_owned()),
            min_capacity: Some(2),
            ..ScheduledAction::default()
        };
        let one_off = EndSchedule::of(&end, "promo", None, t("2030-11-01T00:00:00Z"));
        for (now, recent) in [
            ("2030-11-30T00:59:59Z", false),
            ("2030-11-30T01:00:00Z", true),
            ("2030-11-30T01:59:59Z", true),
            ("2030-11-30T02:00:00Z", false),
        ] {
            assert_eq!(one_off.recently_due(t(now)), recent, "{now}");
        }
        let recurring = ScheduledAction {
            schedule: "cron(0 20 ? * FRI *)".to_owned(),
            ..end
        };
        let recurring = EndSchedule::of(&recurring, "promo", None, t("2030-11-01T00:00:00Z"));
        assert!(!recurring.recently_due(t("2030-11-30T01:30:00Z")));
    }

    #[test]
    fn an_event_is_running_from_its_start_to_its_end_action_or_schedule() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 23:00 to 01:00 UTC, 2030-11-29/30.
        let at = |name: &str, local: &str| ScheduledAction {
            name: name.to_owned(),
            resource_id: "endpoint/e/variant/v".to_owned(),
            schedule: format!("at({local})"),
            timezone: Some("America/New_York".to_owned()),
            ..ScheduledAction::default()
        };
        let start = at("prewarm-promo-start", "2030-11-29T18:00:00");
        let end = at("prewarm-promo-end", "2030-11-29T20:00:00");
        let schedule = EndSchedule::of(&end, "promo", None, t("2030-11-01T00:00:00Z"));
        let on = Running::from([(
            ("endpoint/e/variant/v".to_owned(), "promo".to_owned()),
            t("2030-11-30T01:00:00Z"),
        )]);
        for (now, running) in [
            ("2030-11-29T22:59:59Z", false),
            ("2030-11-29T23:00:00Z", true),
            ("2030-11-30T00:59:59Z", true),
            ("2030-11-30T01:00:00Z", false),
        ] {
            let expected = if running { on.clone() } else { Running::new() };
            assert_running((&start, &end, &schedule), now, &expected);
        }
        // Without its end, nothing is known to be running.
        assert!(running(&[start], &[], t("2030-11-30T00:00:00Z")).is_empty());
        // An end still to come whose start is gone (a recurring entry's, made one-off when
        // the entry left the calendar mid-event) is on until it has run.
        for (now, running) in [
            ("2030-11-30T00:59:59Z", on.clone()),
            ("2030-11-30T01:00:00Z", Running::new()),
        ] {
            let as_action = running_at(std::slice::from_ref(&end), &[], now);
            let as_schedule = running_at(&[], std::slice::from_ref(&schedule), now);
            assert_eq!(
                (as_action, as_schedule),
                (running.clone(), running),
                "{now}"
            );
        }
    }

    fn running_at(existing: &[ScheduledAction], schedules: &[EndSchedule], now: &str) -> Running {
        running(existing, schedules, now.parse().unwrap())
    }

    /// What is running at `now` is `expected`, whether the end is an action or a schedule.
    fn assert_running(
        (start, end, schedule): (&ScheduledAction, &ScheduledAction, &EndSchedule),
        now: &str,
        expected: &Running,
    ) {
        let as_action = running_at(&[start.clone(), end.clone()], &[], now);
        let as_schedule = running_at(
            std::slice::from_ref(start),
            std::slice::from_ref(schedule),
            now,
        );
        assert_eq!((&as_action, &as_schedule), (expected, expected), "{now}");
    }

    #[test]
    fn a_recurring_event_is_running_from_a_start_to_the_next_end() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Fridays 18:00 to 20:00 in New York (23:00 to 01:00 UTC in winter), from Friday
        // 2030-11-01 (still summer time: 22:00 to 00:00 UTC).
        let cron = |name: &str, hour: u32| ScheduledAction {
            name: name.to_owned(),
            resource_id: "endpoint/e/variant/v".to_owned(),
            schedule: format!("cron(0 {hour} ? * FRI *)"),
            timezone: Some("America/New_York".to_owned()),
            start_time: Some(t("2030-11-01T04:00:00Z")),
            ..ScheduledAction::default()
        };
        let (start, end) = (
            cron("prewarm-promo-start", 18),
            cron("prewarm-promo-end", 20),
        );
        let schedule = EndSchedule::of(&end, "promo", None, t("2030-10-01T00:00:00Z"));
        let on = |ends: &str| {
            let key = ("endpoint/e/variant/v".to_owned(), "promo".to_owned());
            Running::from([(key, t(ends))])
        };
        for (now, running) in [
            ("2030-11-01T21:59:59Z", Running::new()),
            ("2030-11-01T22:00:00Z", on("2030-11-02T00:00:00Z")),
            ("2030-11-29T22:59:59Z", Running::new()),
            ("2030-11-29T23:00:00Z", on("2030-11-30T01:00:00Z")),
            ("2030-11-30T00:59:59Z", on("2030-11-30T01:00:00Z")),
            ("2030-11-30T01:00:00Z", Running::new()),
            ("2030-12-04T12:00:00Z", Running::new()),
            ("2030-12-06T23:30:00Z", on("2030-12-07T01:00:00Z")),
        ] {
            assert_running((&start, &end, &schedule), now, &running);
        }
        // Made one-off at an occurrence's end, it runs then, in the action's zone.
        let once = end.once_at(t("2030-11-30T01:00:00Z")).unwrap();
        assert_eq!(
            (
                once.schedule.as_str(),
                once.timezone.as_deref(),
                once.start_time
            ),
            ("at(2030-11-29T20:00:00)", Some("America/New_York"), None)
        );
        // Without its start, a recurring end is not known to be running.
        assert!(running_at(std::slice::from_ref(&end), &[], "2030-11-30T00:00:00Z").is_empty());
    }

    #[test]
    fn without_a_role_ends_stay_actions() {
        assert_eq!(config(&[]).unwrap(), None);
        assert_eq!(config(&[(CALENDAR_SCHEDULE_ROLE_ARN, " ")]).unwrap(), None);
    }

    #[test]
    fn in_lambda_the_target_is_the_function_itself() {
        let ends = config(&[
            (CALENDAR_SCHEDULE_ROLE_ARN, ROLE),
            ("AWS_REGION", "cn-north-1"),
            ("AWS_LAMBDA_FUNCTION_NAME", "stack-PrewarmFunction-x"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            ends.delivery.function_arn,
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:stack-PrewarmFunction-x"
        );
        assert_eq!(ends.group, "default");
    }

    #[test]
    fn a_bad_role_or_no_target_names_the_variable() {
        let err = config(&[(CALENDAR_SCHEDULE_ROLE_ARN, "scheduler")]).unwrap_err();
        assert!(
            err.to_string().contains(CALENDAR_SCHEDULE_ROLE_ARN),
            "{err}"
        );
        let err = config(&[(CALENDAR_SCHEDULE_ROLE_ARN, ROLE)]).unwrap_err();
        assert!(err.to_string().contains(CALENDAR_END_FUNCTION_ARN), "{err}");
        let set = config(&[
            (CALENDAR_SCHEDULE_ROLE_ARN, ROLE),
            (
                CALENDAR_END_FUNCTION_ARN,
                "arn:aws:lambda:us-east-1:1:function:p",
            ),
            (CALENDAR_SCHEDULE_GROUP, "calendar"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            (set.delivery.function_arn.as_str(), set.group.as_str()),
            ("arn:aws:lambda:us-east-1:1:function:p", "calendar")
        );
        assert_eq!(set.delivery.dead_letter_arn, None);
    }

    #[test]
    fn the_dead_letter_queue_is_an_sqs_arn() {
        let with = |queue: &str| {
            config(&[
                (CALENDAR_SCHEDULE_ROLE_ARN, ROLE),
                (
                    CALENDAR_END_FUNCTION_ARN,
                    "arn:aws:lambda:us-east-1:1:function:p",
                ),
                (CALENDAR_SCHEDULE_DLQ_ARN, queue),
            ])
        };
        let queue = "arn:aws:sqs:us-east-1:123456789012:failed-events";
        let set = with(queue).unwrap().unwrap();
        assert_eq!(set.delivery.dead_letter_arn.as_deref(), Some(queue));
        for bad in [
            "failed-events",
            "arn:aws:sns:us-east-1:1:topic",
            "arn:aws:sqs:us-east-1:1:",
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains(CALENDAR_SCHEDULE_DLQ_ARN), "{bad}: {err}");
            assert!(err.contains("expected an SQS queue ARN"), "{err}");
        }
    }

    fn end_action(resource_id: &str, start: Option<DateTime<Utc>>) -> ScheduledAction {
        ScheduledAction {
            name: "prewarm-promo-end".to_owned(),
            resource_id: resource_id.to_owned(),
            dimension: "sagemaker:variant:DesiredInstanceCount".to_owned(),
            schedule: "cron(0 20 ? * TUE *)".to_owned(),
            timezone: Some("America/New_York".to_owned()),
            min_capacity: Some(2),
            max_capacity: None,
            start_time: start,
        }
    }

    /// A close is a schedule of its own beside the entry's end, found again as a close.
    #[test]
    fn a_close_is_named_apart_from_the_end_and_read_back_as_one() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let end = end_action("endpoint/e/variant/v", None);
        let close = ScheduledAction {
            name: calendar::close_name("promo"),
            schedule: "at(2030-11-29T20:00:00)".to_owned(),
            ..end.clone()
        };
        let (end, close) = (
            EndSchedule::of(&end, "promo", None, now),
            EndSchedule::of(&close, "promo", None, now),
        );
        assert!(close.close && !end.close);
        assert_ne!(close.action.name, end.action.name);
        assert_eq!(close.input(), end.input(), "the same end, at another time");
        for schedule in [&end, &close] {
            let target = Target::builder()
                .arn("arn:aws:lambda:us-east-1:1:function:p")
                .role_arn(ROLE)
                .input(schedule.input().to_string())
                .build()
                .unwrap();
            let found = GetScheduleOutput::builder()
                .name(&schedule.action.name)
                .schedule_expression(&schedule.action.schedule)
                .target(target)
                .build();
            let read = EndSchedule::read(&schedule.action.name, &found).unwrap();
            assert_eq!(read.close, schedule.close);
        }
        assert_eq!(close.as_end_action().name, "prewarm-promo-close");
        assert_eq!(end.as_end_action().name, "prewarm-promo-end");
    }

    #[test]
    fn a_schedule_is_named_by_its_target_and_event_and_sends_an_end() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let a = EndSchedule::of(
            &end_action("endpoint/e/variant/v", None),
            "promo",
            Some(30),
            now,
        );
        let b = EndSchedule::of(
            &end_action("endpoint/e/variant/w", None),
            "promo",
            None,
            now,
        );
        let c = EndSchedule::of(
            &end_action("endpoint/e/variant/v", None),
            "promo!",
            None,
            now,
        );
        assert!(a.action.name.starts_with(SCHEDULE_PREFIX));
        assert!(a.action.name.len() <= 64, "{}", a.action.name);
        assert!(a.action.name[SCHEDULE_PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.action.name, b.action.name);
        assert_ne!(a.action.name, c.action.name);
        assert_eq!(
            a.input(),
            json!({"action": "end", "endpoint": "e", "variant": "v", "event": "promo",
                   "baseline": 2, "scheduled_time": "<aws.scheduler.scheduled-time>"})
        );
        // raise_max: the end gives MaxCapacity back through prewarm's `end` too.
        let raised = ScheduledAction {
            max_capacity: Some(20),
            ..end_action("endpoint/e/variant/v", None)
        };
        let d = EndSchedule::of(&raised, "promo", Some(30), now);
        assert_eq!(d.input()["max_capacity"], json!(20));
        // and only while MaxCapacity is still what the start set.
        assert_eq!(d.input()["raised_max"], json!(30));
        assert_eq!(d.action.name, a.action.name, "the same end, one schedule");
    }

    #[test]
    fn a_recurring_schedule_starts_no_earlier_than_now() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let later = now + chrono::Duration::days(3);
        let earlier = now - chrono::Duration::days(3);
        let at =
            |start| EndSchedule::of(&end_action("endpoint/e/variant/v", start), "p", None, now);
        assert_eq!(at(Some(later)).action.start_time, Some(later));
        assert_eq!(at(Some(earlier)).action.start_time, None);
    }
}
