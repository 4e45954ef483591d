//! Every EventBridge rule pattern of template.yaml against every sample in `events/`, with
//! EventBridge's matching semantics (tests/src/event_pattern.rs, no credentials needed):
//! each sample reaches exactly the rules meant for it, and mutated copies of the samples
//! (another account, source or detail-type, a tested field removed or changed) reach none.
//!
//! A new sample in `events/` must be added to `EXPECTED`, which says which rules it reaches.

use std::collections::{BTreeMap, BTreeSet};

use integration_tests::event_pattern::matches;
use integration_tests::workspace;
use serde_json::{json, Value as Json};
use serde_yaml_ng::Value;

const ACCOUNT: &str = "123456789012";

/// Sample -> the rules (`<Function logical id>.<event name>`) it must reach; none listed:
/// it must reach no rule (SNS and alarm-action shapes, Scheduler payloads, the sweep).
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "cloudwatch-alarm-composite-eventbridge.json",
        &["ScaleOnLatencyFunction.LatencyAlarmStateChange"],
    ),
    (
        "cloudwatch-alarm-composite-suppressed-eventbridge.json",
        &["ScaleOnLatencyFunction.LatencyAlarmStateChange"],
    ),
    ("cloudwatch-alarm-daily-sns.json", &[]),
    // Its name starts with prod-ranker- like the samples' latency alarms, so with that
    // LatencyAlarmPrefix it reaches scale-on-latency too: the prefix is what keeps drift
    // alarms away from scale-on-latency (docs/deploy.md).
    (
        "cloudwatch-alarm-drift-eventbridge.json",
        &[
            "DriftNotifyFunction.DriftAlarms",
            "ScaleOnLatencyFunction.LatencyAlarmStateChange",
        ],
    ),
    ("cloudwatch-alarm-drift-lambda-action.json", &[]),
    ("cloudwatch-alarm-drift-sns.json", &[]),
    ("cloudwatch-alarm-insufficient-data-eventbridge.json", &[]),
    (
        "cloudwatch-alarm-latency-eventbridge.json",
        &["ScaleOnLatencyFunction.LatencyAlarmStateChange"],
    ),
    ("cloudwatch-alarm-latency-lambda-action.json", &[]),
    (
        "cloudwatch-alarm-latency-ok-eventbridge.json",
        &["ScaleOnLatencyFunction.LatencyAlarmStateChange"],
    ),
    ("cloudwatch-alarm-latency-ok-lambda-action.json", &[]),
    ("cloudwatch-alarm-latency-ok-sns.json", &[]),
    ("cloudwatch-alarm-latency-sns.json", &[]),
    (
        "cloudwatch-alarm-math-eventbridge.json",
        &["ScaleOnLatencyFunction.LatencyAlarmStateChange"],
    ),
    (
        "custom-drift-event.json",
        &["DriftNotifyFunction.CustomDrift"],
    ),
    ("eventbridge-scheduled-sweep.json", &[]),
    ("prewarm-calendar.json", &[]),
    ("prewarm-raise.json", &[]),
    ("prewarm-restore.json", &[]),
    ("prewarm-end.json", &[]),
    ("prewarm-end-raise-max.json", &[]),
    ("prewarm-sync-calendar.json", &[]),
    ("prewarm-verify.json", &[]),
    (
        "sagemaker-processing-job-monitoring-completed.json",
        &["DriftNotifyFunction.MonitoringJobs"],
    ),
    (
        "sagemaker-processing-job-monitoring-failed.json",
        &["DriftNotifyFunction.MonitoringJobs"],
    ),
    (
        "sagemaker-processing-job-monitoring-violations.json",
        &["DriftNotifyFunction.MonitoringJobs"],
    ),
    ("sagemaker-processing-job-not-monitoring.json", &[]),
];

/// Template parameters and pseudo parameters the patterns refer to, as a deploy would set
/// them for the samples (whose alarms are named prod-ranker-...).
fn params() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("AWS::AccountId", ACCOUNT),
        ("LatencyAlarmPrefix", "prod-ranker-"),
    ])
}

/// A YAML pattern as JSON, with `!Ref X` replaced by the parameter's value.
fn resolve(value: &Value, params: &BTreeMap<&str, &str>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::from_str(&n.to_string()).expect("a number"),
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(|i| resolve(i, params)).collect()),
        Value::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().expect("a key").to_owned(), resolve(v, params)))
                .collect(),
        ),
        Value::Tagged(tagged) => {
            assert_eq!(tagged.tag.to_string(), "!Ref", "only !Ref in patterns");
            let name = tagged.value.as_str().expect("!Ref names a parameter");
            let value = params
                .get(name)
                .unwrap_or_else(|| panic!("no test value for {name}"));
            Json::String(value.to_string())
        }
    }
}

/// Every EventBridgeRule pattern of the template, by `<Function>.<event>`.
fn rules(params: &BTreeMap<&str, &str>) -> BTreeMap<String, Json> {
    let text = std::fs::read_to_string(workspace().join("template.yaml")).unwrap();
    let template: Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            if event["Type"].as_str() == Some("EventBridgeRule") {
                let key = format!("{}.{}", id.as_str().unwrap(), name.as_str().unwrap());
                out.insert(key, resolve(&event["Properties"]["Pattern"], params));
            }
        }
    }
    assert!(out.len() >= 4, "the template's rules: {:?}", out.keys());
    out
}

fn samples() -> BTreeMap<String, Json> {
    let dir = workspace().join("events");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(name, serde_json::from_str(&text).unwrap());
        }
    }
    out
}

fn reached(rules: &BTreeMap<String, Json>, event: &Json) -> BTreeSet<String> {
    rules
        .iter()
        .filter(|(name, pattern)| {
            matches(pattern, event).unwrap_or_else(|e| panic!("rule {name}: {e}"))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn every_sample_reaches_exactly_the_rules_meant_for_it() {
    let rules = rules(&params());
    let samples = samples();
    let expected: BTreeMap<&str, &[&str]> = EXPECTED.iter().copied().collect();
    let listed: BTreeSet<&str> = expected.keys().copied().collect();
    let present: BTreeSet<&str> = samples.keys().map(String::as_str).collect();
    assert_eq!(
        listed, present,
        "EXPECTED must name every sample in events/"
    );
    for (name, event) in &samples {
        let want: BTreeSet<String> = expected[name.as_str()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(reached(&rules, event), want, "{name}");
    }
    // Every rule is reached by some sample.
    let used: BTreeSet<&str> = EXPECTED
        .iter()
        .flat_map(|(_, r)| r.iter().copied())
        .collect();
    let all: BTreeSet<&str> = rules.keys().map(String::as_str).collect();
    assert_eq!(used, all, "a rule no sample reaches");
}

/// Apply `change` to the field at `path` (through arrays of objects too).
fn mutate(
    event: &mut Json,
    path: &[&str],
    change: &dyn Fn(&mut serde_json::Map<String, Json>, &str),
) {
    match event {
        Json::Array(items) => items.iter_mut().for_each(|i| mutate(i, path, change)),
        Json::Object(map) if path.len() == 1 => change(map, path[0]),
        Json::Object(map) => {
            if let Some(next) = map.get_mut(path[0]) {
                mutate(next, &path[1..], change);
            }
        }
        _ => {}
    }
}

/// The paths of the leaf fields a pattern tests (outside `$or`), with their matchers.
fn leaves(pattern: &Json, prefix: &[String], out: &mut Vec<(Vec<String>, Json)>) {
    for (key, want) in pattern.as_object().unwrap() {
        if key == "$or" {
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(key.clone());
        match want {
            Json::Object(_) => leaves(want, &path, out),
            _ => out.push((path, want.clone())),
        }
    }
}

#[test]
fn mutated_samples_reach_no_rule() {
    let rules = rules(&params());
    let samples = samples();
    let mut checked = 0;
    for (sample, targets) in EXPECTED {
        for target in *targets {
            let pattern = &rules[*target];
            let mut fields = Vec::new();
            leaves(pattern, &[], &mut fields);
            for (path, matchers) in fields {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                let mut removed = samples[*sample].clone();
                mutate(&mut removed, &path, &|m, k| {
                    m.remove(k);
                });
                assert!(
                    !matches(pattern, &removed).unwrap(),
                    "{sample} without {path:?} still reaches {target}"
                );
                if matchers.to_string().contains("exists") {
                    continue;
                }
                let mut changed = samples[*sample].clone();
                mutate(&mut changed, &path, &|m, k| {
                    m.insert(k.to_owned(), json!("mutated-value-nobody-sends"));
                });
                assert!(
                    !reached(&rules, &changed).contains(*target),
                    "{sample} with {path:?} changed still reaches {target}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} mutations checked");
}

#[test]
fn only_this_accounts_events_are_taken() {
    let rules = rules(&params());
    for (name, mut event) in samples() {
        if event.get("account").is_none() {
            continue;
        }
        event["account"] = json!("210987654321");
        assert!(
            reached(&rules, &event).is_empty(),
            "{name} from another account reaches a rule"
        );
    }
}

#[test]
fn monitoring_jobs_are_recognised_by_either_marker() {
    // The handler recognises a monitoring job by MonitoringScheduleArn or by the
    // sagemaker_monitoring_schedule_name variable; the rule must send both, and not a job
    // with neither.
    let rules = rules(&params());
    let rule = &rules["DriftNotifyFunction.MonitoringJobs"];
    let sample = &samples()["sagemaker-processing-job-monitoring-violations.json"];
    let mut env_only = sample.clone();
    env_only["detail"]
        .as_object_mut()
        .unwrap()
        .remove("MonitoringScheduleArn");
    assert!(matches(rule, &env_only).unwrap());
    let mut arn_only = sample.clone();
    arn_only["detail"]["Environment"] = json!({"STAGE": "prod"});
    assert!(matches(rule, &arn_only).unwrap());
    let mut neither = env_only.clone();
    neither["detail"]["Environment"] = json!({"STAGE": "prod"});
    assert!(!matches(rule, &neither).unwrap());
    // Still only finished jobs.
    let mut running = sample.clone();
    running["detail"]["ProcessingJobStatus"] = json!("InProgress");
    assert!(!matches(rule, &running).unwrap());
}

#[test]
fn drift_alarms_cover_every_model_monitor_namespace() {
    let rules = rules(&params());
    let rule = &rules["DriftNotifyFunction.DriftAlarms"];
    let sample = &samples()["cloudwatch-alarm-drift-eventbridge.json"];
    for kind in ["data", "model", "bias", "explainability"] {
        let mut event = sample.clone();
        mutate(
            &mut event,
            &[
                "detail",
                "configuration",
                "metrics",
                "metricStat",
                "metric",
                "namespace",
            ],
            &|m, k| {
                m.insert(
                    k.to_owned(),
                    json!(format!("aws/sagemaker/Endpoints/{kind}-metrics")),
                );
            },
        );
        assert!(matches(rule, &event).unwrap(), "{kind}-metrics");
    }
    // The latency alarm (AWS/SageMaker) is not a drift finding.
    let latency = &samples()["cloudwatch-alarm-latency-eventbridge.json"];
    assert!(!matches(rule, latency).unwrap());
}

#[test]
fn another_alarm_prefix_leaves_the_latency_samples_out() {
    let mut other = params();
    other.insert("LatencyAlarmPrefix", "sagemaker-latency-");
    let rules = rules(&other);
    let event = &samples()["cloudwatch-alarm-latency-eventbridge.json"];
    assert!(reached(&rules, event).is_empty());
}
