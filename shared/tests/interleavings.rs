//! Every interleaving of two decisions on one variant, exhaustively: the remediation path
//! (`Remediator::remediate`, the code the functions run) over an in-memory store whose every
//! call is one step, scheduled in every possible order. At the end of each order the
//! invariant of ARCHITECTURE.md must hold:
//!
//! - MinCapacity = max(baseline, live holds) as the tags record them (capped at MaxCapacity),
//! - never below a value another writer set,
//! - the lease is free and the record knows the MinCapacity this project left.
//!
//! The same search over a store whose lease never excludes anyone finds orders that break the
//! invariant, which shows the search can fail and that the lease is what gives the guarantee.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use chrono::{DateTime, Utc};
use remediation::audit::Notifier;
use remediation::capacity::{Endpoint, Variant};
use remediation::config::{Allowlist, CommonConfig};
use remediation::decide::{AlarmChange, Change, EventHold, MaxBack, ScalePolicy};
use remediation::holds::{baseline_key, Capacity, VariantHolds};
use remediation::record::Record;
use remediation::remediate::{Remediator, Report};
use remediation::store::{Store, Tags};
use remediation::Error;

const V: &str = "AllTraffic";
const POLICY: ScalePolicy = ScalePolicy {
    step: 2,
    ceiling: None,
    cooldown: Duration::ZERO,
    hold_for: Duration::from_secs(3 * 3600),
};

thread_local! {
    /// The task the scheduler is polling: store calls are attributed to it.
    static TASK: Cell<usize> = const { Cell::new(0) };
}

/// The variant as AWS would hold it, plus the bookkeeping the scheduler needs.
#[derive(Debug, Clone, Default)]
struct World {
    target: Option<Capacity>,
    tags: Tags,
    /// (owner, task) holding the lease.
    lease: Option<(String, usize)>,
    record: Record,
    /// Tasks waiting for the lease to be given back.
    waiting: Vec<usize>,
    log: Vec<String>,
}

/// An in-memory [`Store`]: each call yields once first, so that each call is one step the
/// scheduler orders. With `exclusive: false` the lease never refuses anyone.
struct Memory {
    world: Mutex<World>,
    exclusive: bool,
}

/// Pending exactly once: a step boundary.
struct Step(bool);

impl Future for Step {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

impl Memory {
    async fn step<T>(&self, what: &str, op: impl FnOnce(&mut World) -> T) -> T {
        Step(false).await;
        let mut world = self.world.lock().unwrap();
        let task = TASK.with(Cell::get);
        world.log.push(format!("{task}:{what}"));
        op(&mut world)
    }
}

impl Store for Memory {
    async fn read(&self, _: &Endpoint, _: &Variant) -> Result<(Option<Capacity>, Tags), Error> {
        let target = self.step("read target", |w| w.target).await;
        let tags = self.step("read tags", |w| w.tags.clone()).await;
        Ok((target, tags))
    }

    async fn add_tags(&self, _: &Endpoint, tags: &[(String, String)]) -> Result<(), Error> {
        self.step("add tags", |w| {
            for (k, v) in tags {
                w.tags.insert(k.clone(), v.clone());
            }
        })
        .await;
        Ok(())
    }

    async fn delete_tags(&self, _: &Endpoint, keys: &[String]) -> Result<(), Error> {
        self.step("delete tags", |w| {
            for k in keys {
                w.tags.remove(k);
            }
        })
        .await;
        Ok(())
    }

    async fn register(&self, _: &Endpoint, _: &Variant, capacity: Capacity) -> Result<(), Error> {
        self.step("register", |w| w.target = Some(capacity)).await;
        Ok(())
    }

    async fn acquire(
        &self,
        _: &str,
        owner: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Option<Record>, Error> {
        let exclusive = self.exclusive;
        Ok(self
            .step("acquire", |w| {
                if exclusive && w.lease.is_some() {
                    return None;
                }
                w.lease = Some((owner.to_owned(), TASK.with(Cell::get)));
                Some(w.record.clone())
            })
            .await)
    }

    async fn release(&self, _: &str, owner: &str, record: Option<&Record>) -> Result<bool, Error> {
        let exclusive = self.exclusive;
        Ok(self
            .step("release", |w| {
                let mine = w.lease.as_ref().is_some_and(|(o, _)| o == owner);
                if !mine && exclusive {
                    return false;
                }
                if let Some(record) = record {
                    w.record = record.clone();
                }
                if mine {
                    w.lease = None;
                }
                true
            })
            .await)
    }

    async fn record(&self, _: &str) -> Result<Record, Error> {
        Ok(self.step("get record", |w| w.record.clone()).await)
    }

    async fn backoff(&self, _: u32) {
        let task = TASK.with(Cell::get);
        self.world.lock().unwrap().waiting.push(task);
        Step(false).await;
    }
}

type Task<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + 'a>>;

struct Fixture {
    endpoint: Endpoint,
    now: DateTime<Utc>,
}

fn endpoint() -> Endpoint {
    Endpoint {
        name: "prod-ranker".to_owned(),
        arn: "arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod-ranker".to_owned(),
        status: "InService".to_owned(),
        variants: vec![Variant {
            name: V.to_owned(),
            serverless: false,
            current_instances: Some(2),
            desired_instances: Some(2),
        }],
        tags: BTreeMap::new(),
    }
}

/// Run the tasks, choosing at each step the runnable task `choices` names (the first one past
/// its end); returns the choices made and how many tasks could have run at each step.
fn run_once(
    tasks: &mut [Option<Task<'_>>],
    memory: &Memory,
    choices: &[usize],
) -> Vec<(usize, usize)> {
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut made = Vec::new();
    loop {
        let runnable: Vec<usize> = {
            let world = memory.world.lock().unwrap();
            (0..tasks.len())
                .filter(|&i| tasks[i].is_some())
                .filter(|&i| {
                    // A task waiting for the lease runs again once nobody else holds it.
                    !world.waiting.contains(&i) || world.lease.as_ref().is_none_or(|(_, t)| *t == i)
                })
                .collect()
        };
        if runnable.is_empty() {
            assert!(
                tasks.iter().all(Option::is_none),
                "deadlock: {:?}",
                memory.world.lock().unwrap()
            );
            return made;
        }
        let pick = choices
            .get(made.len())
            .copied()
            .unwrap_or(0)
            .min(runnable.len() - 1);
        made.push((pick, runnable.len()));
        let task = runnable[pick];
        memory.world.lock().unwrap().waiting.retain(|&t| t != task);
        TASK.with(|t| t.set(task));
        let fut = tasks[task].as_mut().expect("runnable");
        if let Poll::Ready(result) = fut.as_mut().poll(&mut cx) {
            result.unwrap_or_else(|err| panic!("task {task} failed: {err}"));
            tasks[task] = None;
        }
    }
}

/// Every schedule of the scenario, depth first; `check` judges each final world. Returns how
/// many schedules ran and the violations found.
fn explore(
    start: &World,
    exclusive: bool,
    scenario: impl Fn(Rc<Remediator<Memory>>, Rc<Fixture>) -> Vec<Task<'static>>,
    check: impl Fn(&World, DateTime<Utc>) -> Result<(), String>,
) -> (usize, Vec<String>) {
    let fixture = Rc::new(Fixture {
        endpoint: endpoint(),
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
    });
    let mut prefix: Vec<usize> = Vec::new();
    let mut runs = 0;
    let mut violations = Vec::new();
    let notifier = Notifier::new(&sdk(), None);
    loop {
        let path = Rc::new(Remediator {
            store: Memory {
                world: Mutex::new(start.clone()),
                exclusive,
            },
            notifier: notifier.clone(),
            function: "interleavings",
            common: CommonConfig {
                topic_arn: None,
                allowlist: Allowlist::parse("*").unwrap(),
                dry_run: false,
            },
        });
        let mut tasks: Vec<Option<Task<'static>>> = scenario(path.clone(), fixture.clone())
            .into_iter()
            .map(Some)
            .collect();
        let made = run_once(&mut tasks, &path.store, &prefix);
        runs += 1;
        let world = path.store.world.lock().unwrap().clone();
        if let Err(why) = check(&world, fixture.now) {
            violations.push(format!("{why}\n  order: {:?}", world.log));
        }
        // Next schedule: the last step with an untried alternative, one further.
        let Some(at) = made.iter().rposition(|&(pick, n)| pick + 1 < n) else {
            return (runs, violations);
        };
        prefix = made[..at].iter().map(|&(pick, _)| pick).collect();
        prefix.push(made[at].0 + 1);
    }
}

fn sdk() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

/// The invariant: capacity is what the tags justify, no lower than `floor`, the lease is free.
fn invariant(floor: u32) -> impl Fn(&World, DateTime<Utc>) -> Result<(), String> {
    move |world, now| {
        let target = world.target.expect("the target exists");
        let holds =
            VariantHolds::from_tags(V, world.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let live = holds.live(now).map(|(_, h)| h.min).max();
        let justified = match (holds.baseline, live) {
            (Some(b), Some(l)) => b.max(l),
            (None, Some(_)) => return Err(format!("holds without a baseline: {:?}", world.tags)),
            (_, None) if world.tags.contains_key(&baseline_key(V)) => {
                return Err(format!("a baseline without holds: {:?}", world.tags))
            }
            (_, None) => target.min,
        };
        if target.min != justified.min(target.max) {
            return Err(format!(
                "MinCapacity {} but the tags justify {justified}: {:?}",
                target.min, world.tags
            ));
        }
        if target.min < floor {
            return Err(format!(
                "MinCapacity {} below {floor}, set by another writer",
                target.min
            ));
        }
        if world.lease.is_some() {
            return Err("the lease is still held".to_owned());
        }
        if world.record.written != Some(target.min) && live.is_some() {
            return Err(format!(
                "record says {:?}, target {}",
                world.record.written, target.min
            ));
        }
        Ok(())
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn alarm(name: &'static str, firing: bool, when: &str) -> Change<'static> {
    Change::Alarm(AlarmChange {
        name,
        firing,
        at: Some(at(when)),
        trigger: None,
        policy: &POLICY,
        demand: None,
    })
}

fn promo(min: u32) -> Change<'static> {
    Change::Hold(EventHold {
        event: "promo",
        min,
        until: at("2026-11-30T14:00:00Z"),
        hold_for: None,
        raise_max: false,
        trigger: None,
    })
}

/// One decision of a function, as a task.
fn decision(
    path: &Rc<Remediator<Memory>>,
    fx: &Rc<Fixture>,
    change: Change<'static>,
) -> Task<'static> {
    let (path, fx) = (path.clone(), fx.clone());
    Box::pin(async move {
        let variant = fx.endpoint.variants[0].clone();
        path.remediate(&fx.endpoint, &variant, &change, &Report::default(), fx.now)
            .await
            .map(|_| ())
    })
}

/// Another writer (a calendar's scheduled action, an operator) setting MinCapacity.
fn operator(path: &Rc<Remediator<Memory>>, fx: &Rc<Fixture>, min: u32) -> Task<'static> {
    let (path, fx) = (path.clone(), fx.clone());
    Box::pin(async move {
        let variant = fx.endpoint.variants[0].clone();
        path.store
            .register(&fx.endpoint, &variant, Capacity { min, max: 20 })
            .await
    })
}

/// Baseline 2, a latency alarm firing since 11:58 with its hold at 4.
fn latency_raised() -> World {
    let mut start = World {
        target: Some(Capacity { min: 2, max: 20 }),
        ..World::default()
    };
    let (path, fx) = single(&start);
    run_alone(&path, &fx, alarm("latency", true, "2026-11-30T11:58:00Z"));
    start = path.store.world.lock().unwrap().clone();
    assert_eq!(start.target.unwrap().min, 4, "{start:?}");
    start.log.clear();
    start
}

fn single(start: &World) -> (Rc<Remediator<Memory>>, Rc<Fixture>) {
    let path = Rc::new(Remediator {
        store: Memory {
            world: Mutex::new(start.clone()),
            exclusive: true,
        },
        notifier: Notifier::new(&sdk(), None),
        function: "interleavings",
        common: CommonConfig {
            topic_arn: None,
            allowlist: Allowlist::parse("*").unwrap(),
            dry_run: false,
        },
    });
    let fx = Rc::new(Fixture {
        endpoint: endpoint(),
        now: at("2026-11-30T12:00:00Z"),
    });
    (path, fx)
}

fn run_alone(path: &Rc<Remediator<Memory>>, fx: &Rc<Fixture>, change: Change<'static>) {
    let mut tasks = vec![Some(decision(path, fx, change))];
    run_once(&mut tasks, &path.store, &[]);
}

/// Explore, print the count, and require every schedule to pass.
fn all_orders_hold(
    name: &str,
    start: &World,
    scenario: impl Fn(Rc<Remediator<Memory>>, Rc<Fixture>) -> Vec<Task<'static>>,
    check: impl Fn(&World, DateTime<Utc>) -> Result<(), String>,
) {
    let (runs, violations) = explore(start, true, scenario, check);
    println!("{name}: {runs} interleavings checked");
    assert!(runs > 1, "{name}: only {runs} schedule");
    assert!(
        violations.is_empty(),
        "{name}: {} of {runs} interleavings break the invariant, e.g.\n{}",
        violations.len(),
        violations[0]
    );
}

fn with_hold(
    reason: &'static str,
    then: impl Fn(&World, DateTime<Utc>) -> Result<(), String>,
) -> impl Fn(&World, DateTime<Utc>) -> Result<(), String> {
    move |world, now| {
        then(world, now)?;
        if !world.tags.keys().any(|k| k.ends_with(reason)) {
            return Err(format!("hold {reason} lost: {:?}", world.tags));
        }
        Ok(())
    }
}

#[test]
fn a_pre_warm_and_a_latency_ok_at_once_never_lose_the_pre_warm() {
    all_orders_hold(
        "pre-warm raise vs latency OK",
        &latency_raised(),
        |p, f| {
            vec![
                decision(&p, &f, promo(10)),
                decision(&p, &f, alarm("latency", false, "2026-11-30T11:59:00Z")),
            ]
        },
        with_hold("event.promo", invariant(0)),
    );
}

#[test]
fn a_raise_and_an_ok_of_one_alarm_at_once() {
    all_orders_hold(
        "latency ALARM vs OK",
        &latency_raised(),
        |p, f| {
            vec![
                decision(&p, &f, alarm("latency", true, "2026-11-30T11:59:30Z")),
                decision(&p, &f, alarm("latency", false, "2026-11-30T11:59:00Z")),
            ]
        },
        // The ALARM is the newer transition: whichever order, the alarm fires and holds.
        with_hold("alarm.latency", invariant(0)),
    );
}

#[test]
fn raises_for_two_reasons_at_once() {
    all_orders_hold(
        "two alarms and a pre-warm",
        &World {
            target: Some(Capacity { min: 2, max: 20 }),
            ..World::default()
        },
        |p, f| {
            vec![
                decision(&p, &f, alarm("latency", true, "2026-11-30T11:59:00Z")),
                decision(&p, &f, alarm("errors", true, "2026-11-30T11:59:10Z")),
                decision(&p, &f, promo(5)),
            ]
        },
        with_hold("event.promo", invariant(0)),
    );
}

#[test]
fn a_restore_and_a_sweep_at_once() {
    let mut start = latency_raised();
    let (path, fx) = single(&start);
    run_alone(&path, &fx, promo(10));
    start = path.store.world.lock().unwrap().clone();
    start.log.clear();
    all_orders_hold(
        "pre-warm restore vs sweep vs latency OK",
        &start,
        |p, f| {
            vec![
                decision(&p, &f, Change::Release { event: "promo" }),
                decision(&p, &f, Change::Sweep),
                decision(&p, &f, alarm("latency", false, "2026-11-30T11:59:00Z")),
            ]
        },
        |world, now| {
            invariant(0)(world, now)?;
            match world.target.map(|t| t.min) {
                Some(2) if world.tags.is_empty() => Ok(()),
                other => Err(format!(
                    "not back at baseline 2: {other:?} {:?}",
                    world.tags
                )),
            }
        },
    );
}

/// A `raise_max` calendar event (its start set MinCapacity and MaxCapacity to 14; the variant's
/// own MaxCapacity is 10) ends while the latency alarm fires again and a pre-warm comes in: in
/// every order, MaxCapacity is given back, and the alarm and the pre-warm keep their holds.
#[test]
fn a_raise_max_end_an_alarm_and_a_pre_warm_at_once() {
    let mut start = latency_raised();
    start.target = Some(Capacity { min: 14, max: 14 });
    all_orders_hold(
        "raise_max calendar end vs latency ALARM vs pre-warm",
        &start,
        |p, f| {
            vec![
                decision(
                    &p,
                    &f,
                    Change::CalendarEnd {
                        event: "launch",
                        baseline: 2,
                        max: Some(MaxBack {
                            to: 10,
                            from: Some(14),
                        }),
                        alarm_hold: chrono::Duration::hours(3),
                    },
                ),
                decision(&p, &f, alarm("latency", true, "2026-11-30T11:59:30Z")),
                decision(&p, &f, promo(8)),
            ]
        },
        with_hold(
            "alarm.latency",
            with_hold("event.promo", |world: &World, now| {
                invariant(0)(world, now)?;
                match world.target {
                    Some(Capacity { min, max: 10 }) if min >= 8 => Ok(()),
                    other => Err(format!(
                        "MaxCapacity not given back, or below the pre-warm: {other:?}"
                    )),
                }
            }),
        ),
    );
}

/// Another writer (a calendar start action) and a latency OK. What is guaranteed depends only
/// on where the other write lands relative to the decision's read of the target:
/// - before it: the decision sees the value and never lowers it;
/// - after the decision's own target write: the other value stands (nothing of this project
///   writes after it);
/// - in between (the decision read 4, the writer set 10, the decision then writes 2):
///   Application Auto Scaling has no conditional write, so that value is overwritten. This is
///   the one window the lease cannot close; ARCHITECTURE.md states it.
#[test]
fn another_writer_is_never_undone_unless_it_lands_inside_a_decision() {
    all_orders_hold(
        "calendar start action vs latency OK",
        &latency_raised(),
        |p, f| {
            vec![
                operator(&p, &f, 10),
                decision(&p, &f, alarm("latency", false, "2026-11-30T11:59:00Z")),
            ]
        },
        |world, now| {
            let position = |what: &str| world.log.iter().position(|l| l == what);
            let other = position("0:register").expect("the other writer ran");
            let read = position("1:read target").expect("the decision read the target");
            let own = position("1:register");
            let min = world.target.map_or(0, |t| t.min);
            if other < read {
                invariant(10)(world, now)
            } else if own.is_none_or(|own| other > own) {
                (min == 10)
                    .then_some(())
                    .ok_or(format!("the other writer went last, yet {min}"))
            } else {
                (min == 2)
                    .then_some(())
                    .ok_or(format!("inside the decision: expected 2, got {min}"))
            }
        },
    );
}

#[test]
fn without_the_lease_some_order_breaks_the_invariant() {
    let (runs, violations) = explore(
        &latency_raised(),
        false,
        |p, f| {
            vec![
                decision(&p, &f, promo(10)),
                decision(&p, &f, alarm("latency", false, "2026-11-30T11:59:00Z")),
            ]
        },
        with_hold("event.promo", invariant(0)),
    );
    println!(
        "without a lease: {} of {runs} interleavings break the invariant",
        violations.len()
    );
    assert!(
        !violations.is_empty(),
        "the search found no bad order among {runs}"
    );
}
