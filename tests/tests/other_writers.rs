//! Capacity someone else set (#18), through the real binaries: scale-on-latency and prewarm run
//! under cargo-lambda's Runtime API emulator against moto, beside two other writers of
//! MinCapacity: the calendar's own scheduled actions and an operator.
//!
//! moto stores scheduled actions but never runs them, so [`Writers::run_action`] does what
//! Application Auto Scaling does when one comes due: it reads the action `sync-calendar` wrote
//! and sets the target's capacity to the action's, with RegisterScalableTarget.

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::ScheduleState;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use integration_tests::{function_binary, sample_event, EndpointFixture, LocalRuntime, LOCK_TABLE};
use serde_json::{json, Value};

const VARIANT: &str = "AllTraffic";
const ALARM: &str = "cloudwatch-alarm-latency-eventbridge.json";
const OK: &str = "cloudwatch-alarm-latency-ok-eventbridge.json";
const SWEEP: &str = "eventbridge-scheduled-sweep.json";
const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/prewarm-scheduler";
const PREWARM_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:prewarm";
const FAILED_EVENTS: &str = "arn:aws:sqs:us-east-1:123456789012:failed-events";

fn scheduler(f: &EndpointFixture) -> aws_sdk_scheduler::Client {
    aws_sdk_scheduler::Client::new(&f.moto.sdk)
}

/// One endpoint (MinCapacity 2, MaxCapacity 20) with both functions running on it.
struct Writers {
    f: EndpointFixture,
    latency: LocalRuntime,
    prewarm: LocalRuntime,
}

impl Writers {
    /// Without end schedules: the calendar's ends are scheduled actions.
    async fn start() -> Writers {
        Writers::start_with(false).await
    }

    /// `end_schedules`: the calendar's ends are Scheduler schedules in a group of this
    /// fixture's own, invoking prewarm's `end`.
    async fn start_with(end_schedules: bool) -> Writers {
        let f = EndpointFixture::new("writers", &[VARIANT], 2, 20).await;
        let mut env = vec![
            ("ALLOWED_ENDPOINTS", f.endpoint.clone()),
            ("NOTIFY_TOPIC_ARN", f.inbox.topic_arn.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
            ("SCALE_COOLDOWN_SECONDS", "0".to_owned()),
        ];
        if end_schedules {
            scheduler(&f)
                .create_schedule_group()
                .name(&f.endpoint)
                .send()
                .await
                .unwrap();
            env.extend([
                ("CALENDAR_SCHEDULE_ROLE_ARN", SCHEDULER_ROLE.to_owned()),
                ("CALENDAR_SCHEDULE_GROUP", f.endpoint.clone()),
                ("CALENDAR_END_FUNCTION_ARN", PREWARM_ARN.to_owned()),
                ("CALENDAR_SCHEDULE_DLQ_ARN", FAILED_EVENTS.to_owned()),
            ]);
        }
        let latency = LocalRuntime::start(&function_binary("scale-on-latency"), &env)
            .await
            .unwrap();
        let prewarm = LocalRuntime::start(&function_binary("prewarm"), &env)
            .await
            .unwrap();
        Writers {
            f,
            latency,
            prewarm,
        }
    }

    async fn stop(self) {
        self.latency.stop().await;
        self.prewarm.stop().await;
    }

    async fn min(&self) -> i32 {
        self.capacity().await.0
    }

    /// (MinCapacity, MaxCapacity) as Application Auto Scaling has them.
    async fn capacity(&self) -> (i32, i32) {
        self.f
            .moto
            .capacity(&self.f.endpoint, VARIANT)
            .await
            .unwrap()
    }

    /// The latency alarm's transition to `state` at `at`: a distinct transition per time.
    fn alarm(&self, file: &str, at: DateTime<Utc>) -> Value {
        let mut event = sample_event(file, &self.f.endpoint);
        event["detail"]["state"]["timestamp"] =
            json!(at.to_rfc3339_opts(SecondsFormat::Millis, true));
        event
    }

    /// scale-on-latency's decision on the alarm's transition: (action, new MinCapacity).
    async fn latency(&mut self, file: &str, at: DateTime<Utc>) -> (String, i64) {
        let event = self.alarm(file, at);
        let out = self.latency.invoke(&event).await.unwrap();
        let result = &out["alarms"][0]["results"][0];
        assert!(result.is_object(), "{out}");
        (
            result["action"].as_str().unwrap().to_owned(),
            result["new_min"].as_i64().unwrap(),
        )
    }

    /// The scheduled sweep.
    async fn sweep(&mut self) -> Value {
        let event = sample_event(SWEEP, &self.f.endpoint);
        self.latency.invoke(&event).await.unwrap()
    }

    /// prewarm's decision on `payload`: (action, new MinCapacity).
    async fn prewarm(&mut self, payload: Value) -> (String, i64) {
        let out = self.prewarm.invoke(&payload).await.unwrap();
        let result = &out["results"][0];
        assert!(result.is_object(), "{out}");
        (
            result["action"].as_str().unwrap().to_owned(),
            result["new_min"].as_i64().unwrap(),
        )
    }

    fn raise(&self, event: &str, min: u32) -> Value {
        json!({"action": "raise", "endpoint": self.f.endpoint, "variant": VARIANT,
               "event": event, "min_capacity": min, "for": "2h"})
    }

    fn restore(&self, event: &str) -> Value {
        json!({"action": "restore", "endpoint": self.f.endpoint, "variant": VARIANT,
               "event": event})
    }

    /// A calendar of one event, `launch`, tomorrow 12:00-14:00 UTC at MinCapacity 10.
    fn calendar(&self) -> Value {
        let day = (Utc::now() + Duration::days(1)).date_naive();
        json!({"action": "sync-calendar", "calendar": [{
            "name": "launch", "endpoint": self.f.endpoint, "variant": VARIANT,
            "start": format!("{day}T12:00"), "end": format!("{day}T14:00"),
            "timezone": "UTC", "min_capacity": 10}]})
    }

    /// [`Writers::calendar`] with `raise_max`, at MinCapacity 30 (above MaxCapacity 20).
    fn raise_max_calendar(&self) -> Value {
        let mut calendar = self.calendar();
        calendar["calendar"][0]["min_capacity"] = json!(30);
        calendar["calendar"][0]["raise_max"] = json!(true);
        calendar
    }

    /// Sync [`Writers::calendar`].
    async fn sync_calendar(&mut self) {
        let calendar = self.calendar();
        let out = self.prewarm.invoke(&calendar).await.unwrap();
        assert_eq!(
            out["calendar"]["created"].as_array().map(Vec::len),
            Some(2),
            "{out}"
        );
    }

    /// What Application Auto Scaling does when the calendar's action `prewarm-launch-<which>`
    /// comes due: set the target's capacity to the action's.
    async fn run_action(&self, which: &str) {
        let name = format!("prewarm-launch-{which}");
        let resource = format!("endpoint/{}/variant/{VARIANT}", self.f.endpoint);
        let autoscaling = &self.f.moto.autoscaling;
        let out = autoscaling
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&resource)
            .scheduled_action_names(&name)
            .send()
            .await
            .unwrap();
        let action = out.scheduled_actions().first().expect("the synced action");
        let set = action.scalable_target_action().expect("its capacity");
        let mut register = autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&resource)
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount);
        if let Some(min) = set.min_capacity() {
            register = register.min_capacity(min);
        }
        if let Some(max) = set.max_capacity() {
            register = register.max_capacity(max);
        }
        register.send().await.unwrap();
    }

    /// The calendar's one end schedule, as Scheduler has it.
    async fn the_end_schedule(&self) -> GetScheduleOutput {
        let scheduler = scheduler(&self.f);
        let listed = scheduler
            .list_schedules()
            .group_name(&self.f.endpoint)
            .send()
            .await
            .unwrap();
        let [summary] = listed.schedules() else {
            panic!("one end schedule: {listed:?}");
        };
        scheduler
            .get_schedule()
            .group_name(&self.f.endpoint)
            .name(summary.name().unwrap())
            .send()
            .await
            .unwrap()
    }

    /// The payload the calendar's end schedule sends (what Scheduler delivers when it comes
    /// due); the end is no scheduled action.
    async fn end_schedule(&self) -> Value {
        let schedule = self.the_end_schedule().await;
        let target = schedule.target().unwrap();
        assert_eq!(
            (target.arn(), target.role_arn()),
            (PREWARM_ARN, SCHEDULER_ROLE)
        );
        let queue = target.dead_letter_config().and_then(|d| d.arn());
        assert_eq!(queue, Some(FAILED_EVENTS), "an undelivered end is kept");
        let actions = self
            .f
            .moto
            .autoscaling
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(format!("endpoint/{}/variant/{VARIANT}", self.f.endpoint))
            .send()
            .await
            .unwrap();
        let names: Vec<_> = actions
            .scheduled_actions()
            .iter()
            .map(|a| a.scheduled_action_name())
            .collect();
        assert_eq!(names, ["prewarm-launch-start"]);
        serde_json::from_str(target.input().unwrap()).unwrap()
    }

    /// prewarm's refusal of `payload` (`NonRetryable.Refused`), its message on one line.
    async fn refused(&mut self, payload: &Value) -> String {
        let out = self.prewarm.invoke(payload).await.unwrap();
        let message = out["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains("NonRetryable.Refused"), "{out}");
        message
    }

    /// Someone else rewrites the end schedule (UpdateSchedule, from what it is now, which
    /// `change` edits first).
    async fn rewrite_end_schedule(&self, change: impl FnOnce(&mut GetScheduleOutput)) {
        let mut found = self.the_end_schedule().await;
        change(&mut found);
        scheduler(&self.f)
            .update_schedule()
            .group_name(&self.f.endpoint)
            .name(found.name().unwrap())
            .schedule_expression(found.schedule_expression().unwrap())
            .set_schedule_expression_timezone(
                found.schedule_expression_timezone().map(str::to_owned),
            )
            .set_flexible_time_window(found.flexible_time_window().cloned())
            .set_state(found.state().cloned())
            .set_target(found.target().cloned())
            .send()
            .await
            .unwrap();
    }

    /// Sync [`Writers::calendar`] again: it rewrites the end schedule and leaves the start.
    async fn sync_rewrites_the_end_schedule(&mut self) {
        let synced = self.prewarm.invoke(&self.calendar()).await.unwrap();
        let report = &synced["calendar"];
        let updated = report["updated"].as_array().map(Vec::len);
        assert_eq!(
            (updated, &report["unchanged"]),
            (Some(1), &json!(1)),
            "{synced}"
        );
    }

    /// Sync [`Writers::calendar`] again: nothing to do.
    async fn sync_changes_nothing(&mut self) {
        let again = self.prewarm.invoke(&self.calendar()).await.unwrap();
        assert_eq!(again["calendar"]["unchanged"], json!(2), "{again}");
    }

    /// The end schedule's payload becomes `input` (written by another version, or by hand).
    async fn end_input_is(&self, input: &Value) {
        self.rewrite_end_schedule(|s| {
            s.target.as_mut().unwrap().input = Some(input.to_string());
        })
        .await;
    }

    /// Time passes for the end schedule: it comes due at `due` (a one-off `at(...)` in UTC).
    async fn end_is_due_at(&self, due: DateTime<Utc>) {
        self.rewrite_end_schedule(|s| {
            s.schedule_expression = Some(format!("at({})", due.format("%Y-%m-%dT%H:%M:%S")));
            s.schedule_expression_timezone = Some("UTC".to_owned());
        })
        .await;
    }

    /// An operator (or infrastructure code) sets MinCapacity.
    async fn operator_sets(&self, min: i32) {
        self.f
            .moto
            .register_target(&self.f.endpoint, VARIANT, min, 20)
            .await
            .unwrap();
    }

    async fn tags(&self) -> std::collections::BTreeMap<String, String> {
        self.f.moto.tags(&self.f.endpoint).await.unwrap()
    }

    /// The scheduled action `name` on the variant, as Application Auto Scaling has it.
    async fn action(&self, name: &str) -> aws_sdk_applicationautoscaling::types::ScheduledAction {
        let out = self
            .f
            .moto
            .autoscaling
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(format!("endpoint/{}/variant/{VARIANT}", self.f.endpoint))
            .scheduled_action_names(name)
            .send()
            .await
            .unwrap();
        out.scheduled_actions().first().expect(name).clone()
    }

    /// Time passes for the scheduled action `name`: it came due at `due` (an `at(...)` in UTC).
    async fn action_is_due_at(&self, name: &str, due: DateTime<Utc>) {
        let found = self.action(name).await;
        self.f
            .moto
            .autoscaling
            .put_scheduled_action()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(found.resource_id())
            .scalable_dimension(found.scalable_dimension().unwrap().clone())
            .scheduled_action_name(name)
            .schedule(format!("at({})", due.format("%Y-%m-%dT%H:%M:%S")))
            .timezone("Etc/UTC")
            .set_scalable_target_action(found.scalable_target_action().cloned())
            .send()
            .await
            .unwrap();
    }
}

/// Case 1: a latency hold at 4; the calendar's start action sets 10; the alarm clears: the
/// event keeps its 10. The end action gives 2 back, and the calendar's end during a live
/// latency hold is brought back to the hold by the next decision (here the sweep).
#[tokio::test]
async fn the_calendar_and_latency_holds_compose_both_ways() {
    let mut w = Writers::start().await;
    let t0 = Utc::now() - Duration::minutes(10);
    w.sync_calendar().await;
    assert_eq!(w.latency(ALARM, t0).await, ("raised".to_owned(), 4));
    w.run_action("start").await;
    assert_eq!(w.min().await, 10);
    let (action, min) = w.latency(OK, t0 + Duration::seconds(60)).await;
    assert_eq!(
        (action.as_str(), min),
        ("unchanged", 10),
        "the event's capacity stays"
    );
    assert_eq!(w.min().await, 10);
    w.run_action("end").await;
    assert_eq!(w.min().await, 2);

    // The alarm fires again during the next event; the event ends while it still fires.
    w.run_action("start").await;
    assert_eq!(
        w.latency(ALARM, t0 + Duration::seconds(120)).await,
        ("raised".to_owned(), 12)
    );
    w.run_action("end").await;
    assert_eq!(
        w.min().await,
        2,
        "the end action itself sets 2 (no Lambda runs then)"
    );
    let swept = w.sweep().await;
    assert_eq!(swept["swept"][0]["action"], "raised", "{swept}");
    assert_eq!(
        w.min().await,
        12,
        "the next decision brings the firing alarm's hold back"
    );
    let (action, min) = w.latency(OK, t0 + Duration::seconds(180)).await;
    assert_eq!((action.as_str(), min), ("restored", 2));
    w.stop().await;
}

/// Case 2: a raise never lowers what someone else set, with or without holds of its own.
#[tokio::test]
async fn a_raise_never_lowers_capacity_an_operator_set() {
    let mut w = Writers::start().await;
    assert_eq!(w.prewarm(w.raise("a", 5)).await, ("raised".to_owned(), 5));
    w.operator_sets(15).await;
    let (_, min) = w.prewarm(w.raise("b", 8)).await;
    assert_eq!((min, w.min().await), (15, 15));
    let t0 = Utc::now() - Duration::minutes(10);
    let (_, min) = w.latency(ALARM, t0).await;
    assert_eq!(min, 17, "a latency raise steps from what it finds");
    assert_eq!(w.latency(OK, t0 + Duration::seconds(60)).await.1, 15);
    // The same event raised again, lower: the raise does not lower.
    assert_eq!(w.prewarm(w.raise("c", 18)).await.1, 18);
    let (_, min) = w.prewarm(w.raise("c", 16)).await;
    assert_eq!((min, w.min().await), (18, 18));
    // Restores come back to the operator's value, not below it.
    for event in ["a", "b", "c"] {
        w.prewarm(w.restore(event)).await;
    }
    assert_eq!(w.min().await, 15);
    w.stop().await;
}

/// Case 3: the first decision on a variant comes in the middle of a calendar event. The event's
/// capacity is another writer's: when its end action gives the real baseline back, that is the
/// baseline the latency hold is released to, not the event's 10.
#[tokio::test]
async fn a_baseline_taken_mid_event_follows_the_calendar_end() {
    let mut w = Writers::start().await;
    let t0 = Utc::now() - Duration::minutes(10);
    w.sync_calendar().await;
    w.run_action("start").await;
    assert_eq!(w.latency(ALARM, t0).await, ("raised".to_owned(), 12));
    w.run_action("end").await;
    let (_, min) = w.latency(OK, t0 + Duration::seconds(60)).await;
    assert_eq!(
        (min, w.min().await),
        (2, 2),
        "released to the calendar's end value"
    );
    assert!(
        w.tags().await.is_empty(),
        "no hold and no baseline left behind"
    );
    w.stop().await;
}

/// The calendar's end through the holds: with end schedules, the end is prewarm's `end`,
/// invoked by Scheduler. During a live latency hold it leaves the hold's capacity; the alarm's
/// OK then gives the calendar's baseline back; an end without holds lowers to it; a retried
/// end changes nothing.
#[tokio::test]
async fn a_calendar_end_through_the_holds_leaves_a_live_latency_hold() {
    let mut w = Writers::start_with(true).await;
    let t0 = Utc::now() - Duration::minutes(10);
    w.sync_calendar().await;
    let end = w.end_schedule().await;
    assert_eq!(
        (&end["action"], &end["event"], &end["baseline"]),
        (&json!("end"), &json!("launch"), &json!(2)),
        "{end}"
    );
    // Synced again, the calendar finds its action and its schedule as they should be.
    let again = w.prewarm.invoke(&w.calendar()).await.unwrap();
    let report = &again["calendar"];
    assert_eq!(
        (
            &report["created"],
            &report["updated"],
            &report["deleted"],
            &report["unchanged"]
        ),
        (&json!([]), &json!([]), &json!([]), &json!(2)),
        "{again}"
    );
    w.run_action("start").await;
    assert_eq!(w.latency(ALARM, t0).await, ("raised".to_owned(), 12));
    assert_eq!(w.prewarm(end.clone()).await, ("unchanged".to_owned(), 12));
    assert_eq!(w.min().await, 12, "the firing alarm keeps its capacity");
    assert_eq!(w.prewarm(end.clone()).await.1, 12, "a retried end");
    let (action, min) = w.latency(OK, t0 + Duration::seconds(60)).await;
    assert_eq!(
        (action.as_str(), min),
        ("restored", 2),
        "the calendar's baseline"
    );

    // The next occurrence, without an alarm: the end lowers to the baseline and cleans up.
    w.run_action("start").await;
    assert_eq!(w.min().await, 10);
    assert_eq!(w.prewarm(end.clone()).await, ("restored".to_owned(), 2));
    assert_eq!(w.prewarm(end).await, ("unchanged".to_owned(), 2));
    assert!(
        w.tags().await.is_empty(),
        "no hold and no baseline left behind"
    );
    w.stop().await;
}

/// An end that arrives more than 15 minutes after its schedule ran (Lambda's asynchronous
/// retries last up to an hour) may meet the variant's next event: refused, published, nothing
/// written; on time, the same end acts.
#[tokio::test]
async fn a_late_calendar_end_is_refused_and_changes_nothing() {
    let mut w = Writers::start_with(true).await;
    w.sync_calendar().await;
    let mut end = w.end_schedule().await;
    w.run_action("start").await;
    w.f.moto.published(&w.f.inbox).await.unwrap(); // the sync's message
    let due = Utc::now() - Duration::minutes(20);
    end["scheduled_time"] = json!(due.to_rfc3339_opts(SecondsFormat::Secs, true));
    let err = w.refused(&end).await;
    assert!(err.contains("minutes late"), "{err}");
    assert_eq!(w.min().await, 10, "the event's capacity stays");
    assert!(w.tags().await.is_empty(), "nothing written");
    let published = w.f.moto.published(&w.f.inbox).await.unwrap();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].attributes["action"], "refused");
    end["scheduled_time"] = json!(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
    assert_eq!(w.prewarm(end).await, ("restored".to_owned(), 2));
    w.stop().await;
}

/// An entry with `raise_max` (MinCapacity 30 above the variant's MaxCapacity 20): its start
/// action raises both; its end, through the holds, gives MaxCapacity back as well. While the
/// latency alarm fires, MinCapacity goes down only to the ceiling given back, never to the
/// calendar's baseline; the alarm's OK gives the baseline back.
#[tokio::test]
async fn a_raise_max_end_through_the_holds_gives_max_back_under_a_firing_alarm() {
    let mut w = Writers::start_with(true).await;
    let t0 = Utc::now() - Duration::minutes(10);
    let calendar = w.raise_max_calendar();
    let synced = w.prewarm.invoke(&calendar).await.unwrap();
    let notes = synced["calendar"]["notes"].to_string();
    assert!(!notes.contains("scheduled action"), "no blind end: {notes}");
    let end = w.end_schedule().await;
    assert_eq!(
        (&end["baseline"], &end["max_capacity"]),
        (&json!(2), &json!(20)),
        "{end}"
    );
    let again = w.prewarm.invoke(&calendar).await.unwrap();
    assert_eq!(
        again["calendar"]["unchanged"],
        json!(2),
        "synced again, the schedule is as it should be: {again}"
    );
    w.run_action("start").await;
    assert_eq!(w.capacity().await, (30, 30));
    // Whoever may invoke prewarm cannot give back a MaxCapacity of their choosing.
    let mut forged = end.clone();
    forged["max_capacity"] = json!(2);
    let err = w.refused(&forged).await;
    assert!(err.contains("gives back (20)"), "{err}");
    let mut unknown = end.clone();
    unknown["event"] = json!("no-such-event");
    let err = w.refused(&unknown).await;
    assert!(err.contains("no schedule that raised MaxCapacity"), "{err}");
    assert_eq!(w.capacity().await, (30, 30), "nothing written");
    let (action, min) = w.latency(ALARM, t0).await;
    assert_eq!((action.as_str(), min), ("refused", 30), "at the ceiling");
    assert_eq!(w.prewarm(end.clone()).await, ("restored".to_owned(), 20));
    assert_eq!(
        w.capacity().await,
        (20, 20),
        "down to the ceiling given back, not to the baseline, while the alarm fires"
    );
    assert_eq!(w.prewarm(end.clone()).await, ("unchanged".to_owned(), 20));
    let (action, min) = w.latency(OK, t0 + Duration::seconds(60)).await;
    assert_eq!((action.as_str(), min), ("restored", 2));
    assert_eq!(w.capacity().await, (2, 20));

    // The next occurrence, without an alarm: the end lowers both.
    w.run_action("start").await;
    assert_eq!(w.prewarm(end).await, ("restored".to_owned(), 2));
    assert_eq!(w.capacity().await, (2, 20));
    assert!(w.tags().await.is_empty(), "nothing left behind");
    w.stop().await;
}

/// Without end schedules, no `end` gives MaxCapacity back: refused, published, nothing written.
#[tokio::test]
async fn without_end_schedules_an_end_gives_no_max_capacity_back() {
    let mut w = Writers::start().await;
    w.operator_sets(12).await;
    let end = json!({"action": "end", "endpoint": w.f.endpoint, "variant": VARIANT,
                     "event": "launch", "baseline": 2, "max_capacity": 12});
    let err = w.refused(&end).await;
    assert!(
        err.contains("CALENDAR_SCHEDULE_ROLE_ARN is not set"),
        "{err}"
    );
    assert_eq!(w.capacity().await, (12, 20), "nothing written");
    let published = w.f.moto.published(&w.f.inbox).await.unwrap();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].attributes["action"], "refused");
    w.stop().await;
}

/// A `raise_max` end gives back only the MaxCapacity its start set: an operator who raised
/// MaxCapacity during the event keeps it. A schedule synced before the end knew what its
/// start set is rewritten by the next sync.
#[tokio::test]
async fn a_raise_max_end_leaves_an_operators_max_capacity() {
    let mut w = Writers::start_with(true).await;
    let calendar = w.raise_max_calendar();
    w.prewarm.invoke(&calendar).await.unwrap();
    let end = w.end_schedule().await;
    assert_eq!(
        (&end["max_capacity"], &end["raised_max"]),
        (&json!(20), &json!(30))
    );
    // As an earlier version wrote it: no raised_max. The next sync rewrites it.
    let mut old = end.clone();
    old.as_object_mut().unwrap().remove("raised_max");
    w.end_input_is(&old).await;
    let synced = w.prewarm.invoke(&calendar).await.unwrap();
    assert_eq!(
        synced["calendar"]["updated"].as_array().map(Vec::len),
        Some(1),
        "{synced}"
    );
    assert_eq!(w.end_schedule().await, end);

    w.run_action("start").await;
    w.f.moto
        .register_target(&w.f.endpoint, VARIANT, 30, 40)
        .await
        .unwrap();
    // Whoever may invoke prewarm cannot name what the start set either: the operator's 40
    // would then read as the event's, and go back to 20.
    let mut forged = end.clone();
    forged["raised_max"] = json!(40);
    let err = w.refused(&forged).await;
    assert!(
        err.contains("raised_max 40 is not what the end schedule"),
        "{err}"
    );
    assert_eq!(w.capacity().await, (30, 40), "nothing written");
    let (action, min) = w.prewarm(end).await;
    assert_eq!((action.as_str(), min), ("restored", 2));
    assert_eq!(
        w.capacity().await,
        (2, 40),
        "the operator's MaxCapacity stays"
    );
    let published = w.f.moto.published(&w.f.inbox).await.unwrap();
    let said = &published.last().unwrap().message;
    assert!(
        said.contains("MaxCapacity 40 is not the 30 the event set: someone else changed it"),
        "{said}"
    );
    w.stop().await;
}

/// A pre-warm that asks for `raise_max` during a `raise_max` event, when MaxCapacity is high
/// enough already, still asked for it: the event's end gives MaxCapacity back only down to that
/// pre-warm, which keeps its MinCapacity. Its restore then leaves MaxCapacity, as a restore
/// always does.
#[tokio::test]
async fn a_raise_max_end_keeps_the_max_capacity_a_raise_max_pre_warm_holds() {
    let mut w = Writers::start_with(true).await;
    w.prewarm.invoke(&w.raise_max_calendar()).await.unwrap();
    let end = w.end_schedule().await;
    w.run_action("start").await;
    assert_eq!(w.capacity().await, (30, 30));
    let mut promo = w.raise("promo", 25);
    promo["raise_max"] = json!(true);
    assert_eq!(w.prewarm(promo).await, ("unchanged".to_owned(), 30));
    let hold = w
        .tags()
        .await
        .into_iter()
        .find(|(k, _)| k.ends_with(":hold:event.promo"));
    assert!(
        hold.as_ref()
            .is_some_and(|(_, v)| v.starts_with("min=25 ") && v.ends_with(" raise_max=true")),
        "the hold records what it asked for: {hold:?}"
    );
    assert_eq!(w.prewarm(end).await, ("restored".to_owned(), 25));
    assert_eq!(
        w.capacity().await,
        (25, 25),
        "the pre-warm keeps what it asked for, not the event's own MaxCapacity 20"
    );
    let published = w.f.moto.published(&w.f.inbox).await.unwrap();
    let said = &published.last().unwrap().message;
    assert!(
        said.contains("MaxCapacity kept at 25, not 20: hold event.promo asked for raise_max"),
        "{said}"
    );
    assert_eq!(
        w.prewarm(w.restore("promo")).await,
        ("restored".to_owned(), 2)
    );
    assert_eq!(w.capacity().await, (2, 25));
    w.stop().await;
}

/// A one-off end schedule outlives its entry for an hour after it came due: a sync after the
/// event (its entry over, or removed) keeps it, so Lambda's retry of a failed end still finds
/// the schedule its `max_capacity` is checked against and gives MaxCapacity back; a sync more
/// than an hour later deletes it.
#[tokio::test]
async fn a_one_off_end_keeps_its_schedule_for_a_retry() {
    let mut w = Writers::start_with(true).await;
    let calendar = w.raise_max_calendar();
    w.prewarm.invoke(&calendar).await.unwrap();
    let mut end = w.end_schedule().await;
    w.run_action("start").await;
    assert_eq!(w.capacity().await, (30, 30));
    // The end came due five minutes ago, failed, and Lambda retries it; meanwhile a sync
    // runs with the event no longer in the calendar.
    let due = Utc::now() - Duration::minutes(5);
    w.end_is_due_at(due).await;
    let empty = json!({"action": "sync-calendar", "calendar": []});
    let synced = w.prewarm.invoke(&empty).await.unwrap();
    let deleted = synced["calendar"]["deleted"].to_string();
    assert!(!deleted.contains("prewarm.end."), "{synced}");
    end["scheduled_time"] = json!(due.to_rfc3339_opts(SecondsFormat::Secs, true));
    let (action, min) = w.prewarm(end).await;
    assert_eq!((action.as_str(), min), ("restored", 2));
    assert_eq!(w.capacity().await, (2, 20), "MaxCapacity given back");
    // An hour after it came due, the schedule goes.
    w.end_is_due_at(Utc::now() - Duration::minutes(61)).await;
    let synced = w.prewarm.invoke(&empty).await.unwrap();
    let deleted = synced["calendar"]["deleted"].to_string();
    assert!(deleted.contains("prewarm.end."), "{synced}");
    w.stop().await;
}

/// An end schedule written before its dead-letter queue was configured (or changed by hand) is
/// rewritten with it by the next sync, which keeps what it does not own (an operator disabled
/// it: it stays disabled); the one after finds nothing to do.
#[tokio::test]
async fn a_sync_gives_an_end_schedule_its_dead_letter_queue() {
    let mut w = Writers::start_with(true).await;
    w.sync_calendar().await;
    w.rewrite_end_schedule(|s| {
        s.state = Some(ScheduleState::Disabled);
        s.target.as_mut().unwrap().dead_letter_config = None;
    })
    .await;
    let dropped = w.the_end_schedule().await;
    assert_eq!(dropped.target().unwrap().dead_letter_config(), None);
    assert_eq!(dropped.state(), Some(&ScheduleState::Disabled));
    w.sync_rewrites_the_end_schedule().await;
    // The queue is there (end_schedule asserts it), and an end someone disabled stays
    // disabled when the sync rewrites its schedule.
    w.end_schedule().await;
    let rewritten = w.the_end_schedule().await;
    assert_eq!(rewritten.state(), Some(&ScheduleState::Disabled));
    w.sync_changes_nothing().await;
    w.stop().await;
}

/// End schedules written before the function and its scheduler role were replaced (a
/// template change that renames them gives them new ARNs) would invoke a function that is
/// gone through a role that is gone, and the event would never end: the next sync points
/// them at this deployment, and the one after finds nothing to do.
#[tokio::test]
async fn a_sync_points_end_schedules_at_this_deployment() {
    let mut w = Writers::start_with(true).await;
    w.sync_calendar().await;
    w.rewrite_end_schedule(|s| {
        let target = s.target.as_mut().unwrap();
        target.arn = "arn:aws:lambda:us-east-1:123456789012:function:old-stack-prewarm".into();
        target.role_arn = "arn:aws:iam::123456789012:role/old-stack-scheduler".into();
    })
    .await;
    let moved = w.the_end_schedule().await;
    assert_ne!(moved.target().unwrap().arn(), PREWARM_ARN);
    w.sync_rewrites_the_end_schedule().await;
    // end_schedule asserts the function, the role and the queue.
    w.end_schedule().await;
    w.sync_changes_nothing().await;
    w.stop().await;
}

/// An end schedule whose input someone edited into no end payload would be created again by
/// every sync, which Scheduler refuses: the whole calendar would stop syncing. The sync
/// rewrites it, keeping what it does not own; one no entry ends at is left alone and noted.
#[tokio::test]
async fn a_sync_rewrites_an_end_schedule_edited_by_hand() {
    let mut w = Writers::start_with(true).await;
    w.sync_calendar().await;
    let edited = |s: &mut GetScheduleOutput| {
        s.state = Some(ScheduleState::Disabled);
        s.target.as_mut().unwrap().input = Some("{\"note\": \"paused for the launch\"}".into());
    };
    w.rewrite_end_schedule(edited).await;
    w.sync_rewrites_the_end_schedule().await;
    let input = w.end_schedule().await;
    assert_eq!(
        (&input["action"], &input["event"], &input["baseline"]),
        (&json!("end"), &json!("launch"), &json!(2))
    );
    let rewritten = w.the_end_schedule().await;
    assert_eq!(rewritten.state(), Some(&ScheduleState::Disabled));
    w.sync_changes_nothing().await;
    // With the entry gone from the calendar, an edited schedule is nobody's to delete.
    w.rewrite_end_schedule(edited).await;
    let empty = json!({"action": "sync-calendar", "calendar": []});
    let synced = w.prewarm.invoke(&empty).await.unwrap();
    let report = &synced["calendar"];
    assert!(
        !report["deleted"].to_string().contains("prewarm.end."),
        "{synced}"
    );
    assert!(
        report["notes"].to_string().contains("not an end payload"),
        "{synced}"
    );
    w.the_end_schedule().await;
    w.stop().await;
}

/// A daily entry whose event started an hour ago and ends in an hour, in UTC.
fn daily_on_now(endpoint: &str) -> (Value, DateTime<Utc>) {
    daily_from(endpoint, 0)
}

/// [`daily_on_now`] with its times `hours` later (not on now when 3 or more), and the end of
/// the event that is on now.
fn daily_from(endpoint: &str, hours: i64) -> (Value, DateTime<Utc>) {
    let now = Utc::now();
    let start = now - Duration::days(1) - Duration::hours(1);
    let end = start + Duration::hours(2);
    let local = |t: DateTime<Utc>| {
        (t + Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let calendar = json!({"action": "sync-calendar", "calendar": [{
        "name": "daily", "endpoint": endpoint, "variant": VARIANT,
        "start": local(start), "end": local(end), "recurrence": "daily",
        "timezone": "UTC", "min_capacity": 10}]});
    let ends_at = end + Duration::days(1);
    (
        calendar,
        ends_at - Duration::seconds(ends_at.timestamp() % 60),
    )
}

/// A recurring entry removed while its event is on: its start goes (it would raise again
/// with no end), and its end runs once more, made one-off at the end of the event that is on,
/// whether it is an end schedule or a scheduled action; a sync during that event keeps it, and
/// the first sync after it has run deletes it.
#[tokio::test]
async fn a_recurring_entry_removed_mid_event_ends_that_event_once() {
    for end_schedules in [true, false] {
        let mut w = Writers::start_with(end_schedules).await;
        let (calendar, ends_at) = daily_on_now(&w.f.endpoint);
        let synced = w.prewarm.invoke(&calendar).await.unwrap();
        assert_eq!(
            synced["calendar"]["created"].as_array().map(Vec::len),
            Some(2)
        );
        let empty = json!({"action": "sync-calendar", "calendar": []});
        let removed = w.prewarm.invoke(&empty).await.unwrap();
        let report = &removed["calendar"];
        let names = |field: &str| -> Vec<String> {
            let actions = report[field].as_array().unwrap();
            actions
                .iter()
                .map(|a| a["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names("deleted"), ["prewarm-daily-start"], "{removed}");
        let [updated] = &report["updated"].as_array().unwrap()[..] else {
            panic!("the end, made one-off: {removed}");
        };
        let once = format!("at({})", ends_at.format("%Y-%m-%dT%H:%M:%S"));
        assert_eq!(updated["schedule"], json!(once), "{removed}");
        assert!(
            report["notes"].to_string().contains("its end stays"),
            "{removed}"
        );
        let written = if end_schedules {
            let schedule = w.the_end_schedule().await;
            schedule.schedule_expression().unwrap().to_owned()
        } else {
            w.action("prewarm-daily-end").await.schedule().to_owned()
        };
        assert_eq!(written, once);
        // A sync while the event is still on keeps the end.
        let again = w.prewarm.invoke(&empty).await.unwrap();
        assert_eq!(
            (
                &again["calendar"]["deleted"],
                &again["calendar"]["unchanged"]
            ),
            (&json!([]), &json!(1)),
            "{again}"
        );
        // Once it has run (and, for a schedule, a retry of it can no longer come), it goes.
        let past = Utc::now() - Duration::minutes(61);
        if end_schedules {
            w.end_is_due_at(past).await;
        } else {
            w.action_is_due_at("prewarm-daily-end", past).await;
        }
        let after = w.prewarm.invoke(&empty).await.unwrap();
        let deleted = after["calendar"]["deleted"].as_array().map(Vec::len);
        assert_eq!(deleted, Some(1), "{after}");
        w.stop().await;
    }
}

/// A recurring entry moved while its event is on, to times that do not include now: its end
/// follows the new times (tomorrow), so a one-off close still ends the event on now when it
/// would have ended; a later sync keeps it, and one that moves the entry back (its times
/// include the close's again) drops it, or it would end that event early.
#[tokio::test]
async fn an_entry_moved_mid_event_still_ends_that_event() {
    for end_schedules in [true, false] {
        let mut w = Writers::start_with(end_schedules).await;
        let (calendar, ends_at) = daily_from(&w.f.endpoint, 0);
        w.prewarm.invoke(&calendar).await.unwrap();
        let (moved, _) = daily_from(&w.f.endpoint, 4);
        let synced = w.prewarm.invoke(&moved).await.unwrap();
        let report = &synced["calendar"];
        let [close] = &report["created"].as_array().unwrap()[..] else {
            panic!("one close: {synced}");
        };
        let once = format!("at({})", ends_at.format("%Y-%m-%dT%H:%M:%S"));
        assert_eq!(close["schedule"], json!(once), "{synced}");
        assert_eq!(close["min_capacity"], json!(2), "{synced}");
        assert_eq!(
            report["updated"].as_array().map(Vec::len),
            Some(2),
            "{synced}"
        );
        assert!(
            report["notes"].to_string().contains("it still ends at"),
            "{synced}"
        );
        if !end_schedules {
            let written = w.action("prewarm-daily-close").await;
            assert_eq!(written.schedule(), once);
        }
        let again = w.prewarm.invoke(&moved).await.unwrap();
        assert_eq!(again["calendar"]["unchanged"], json!(3), "{again}");
        // Moved back: its times include the close's, and their own end closes the event.
        let back = w.prewarm.invoke(&calendar).await.unwrap();
        let deleted = back["calendar"]["deleted"].as_array().map(Vec::len);
        assert_eq!(deleted, Some(1), "{back}");
        assert_eq!(
            back["calendar"]["updated"].as_array().map(Vec::len),
            Some(2),
            "{back}"
        );
        w.stop().await;
    }
}
