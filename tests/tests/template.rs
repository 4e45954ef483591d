//! template.yaml and the code must agree, so they cannot drift apart unnoticed:
//!
//! - every function crate is deployed, under its binary's name, built by cargo-lambda;
//! - each function's environment in the template (Globals plus its own) is exactly the set of
//!   variables its `Config::from_lookup` reads: the test records the names the code asks for,
//!   so renaming a variable on either side fails here;
//! - the event rules send what the handlers recognise: the detail-types and sources the code
//!   matches on, and the sample events in `events/` match the rules meant for them;
//! - the pre-warm schedules' payloads are the sample payloads in `events/`;
//! - every IAM statement with `Resource: "*"` says why in a comment.
//!
//! No AWS and no moto: this reads files and calls the pure configuration parsers.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use remediation::config::{self, Lookup};
use serde_json::Value as Json;
use serde_yaml_ng::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn template() -> Value {
    serde_yaml_ng::from_str(&read("template.yaml")).expect("template.yaml is valid YAML")
}

fn event(path: &str) -> Json {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value under a CloudFormation short-form tag (`!Ref X` -> `X`), or the value itself.
fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

fn tag(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => Some(tagged.tag.to_string()),
        _ => None,
    }
}

fn text(value: &Value) -> &str {
    untag(value)
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value:?}"))
}

fn keys(value: &Value) -> BTreeSet<String> {
    untag(value)
        .as_mapping()
        .map(|m| m.keys().map(|k| text(k).to_owned()).collect())
        .unwrap_or_default()
}

/// A YAML value as JSON, with `!Ref X` kept as the string `!Ref X` (for event patterns).
fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::from_str(&n.to_string()).expect("a YAML number is JSON"),
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (text(k).to_owned(), to_json(v)))
                .collect(),
        ),
        Value::Tagged(tagged) => Json::String(format!("{} {}", tagged.tag, text(&tagged.value))),
    }
}

/// One `AWS::Serverless::Function` of the template.
struct Function {
    logical_id: String,
    properties: Value,
    metadata: Value,
    /// Globals' variables plus the function's own, as SAM merges them.
    environment: BTreeSet<String>,
}

impl Function {
    /// The function's events of one SAM type (`EventBridgeRule`, `Schedule`, `ScheduleV2`).
    fn events(&self, kind: &str) -> Vec<(String, Value)> {
        untag(&self.properties["Events"])
            .as_mapping()
            .map(|events| {
                events
                    .iter()
                    .filter(|(_, e)| text(&e["Type"]) == kind)
                    .map(|(name, e)| (text(name).to_owned(), e["Properties"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn patterns(&self) -> Vec<(String, Json)> {
        self.events("EventBridgeRule")
            .into_iter()
            .map(|(name, props)| (name, to_json(&props["Pattern"])))
            .collect()
    }
}

fn functions(template: &Value) -> BTreeMap<String, Function> {
    let globals = keys(&template["Globals"]["Function"]["Environment"]["Variables"]);
    let resources = template["Resources"]
        .as_mapping()
        .expect("Resources is a mapping");
    let mut out = BTreeMap::new();
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = text(&resource["Metadata"]["BuildProperties"]["Binary"]).to_owned();
        let mut environment = globals.clone();
        environment.extend(keys(&resource["Properties"]["Environment"]["Variables"]));
        let function = Function {
            logical_id: text(id).to_owned(),
            properties: resource["Properties"].clone(),
            metadata: resource["Metadata"].clone(),
            environment,
        };
        assert!(
            out.insert(binary.clone(), function).is_none(),
            "two functions build the binary {binary}"
        );
    }
    out
}

/// The variables a `Config::from_lookup` reads. The lookup answers only NOTIFY_TOPIC_ARN (a
/// valid ARN: drift-notify requires it), so every parser takes its default path and asks for
/// every variable it knows.
fn variables_read<T, E: std::fmt::Debug>(
    from_lookup: fn(Lookup<'_>) -> Result<T, E>,
) -> BTreeSet<String> {
    let seen = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        seen.borrow_mut().insert(name.to_owned());
        (name == config::NOTIFY_TOPIC_ARN)
            .then(|| "arn:aws:sns:us-east-1:123456789012:remediation-audit".to_owned())
    };
    from_lookup(&lookup).expect("the defaults are a valid configuration");
    seen.into_inner()
}

/// What each binary's code reads, by binary name.
fn code_environment() -> BTreeMap<&'static str, BTreeSet<String>> {
    BTreeMap::from([
        (
            scale_on_latency::FUNCTION,
            variables_read(scale_on_latency::Config::from_lookup),
        ),
        (
            prewarm::FUNCTION,
            variables_read(prewarm::Config::from_lookup),
        ),
        (
            drift_notify::FUNCTION,
            variables_read(drift_notify::Config::from_lookup),
        ),
    ])
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_function_crate_is_deployed_under_its_binary_name() {
    let template = template();
    let functions = functions(&template);
    let deployed: BTreeSet<String> = functions.keys().cloned().collect();
    assert_eq!(
        deployed,
        set(&[
            scale_on_latency::FUNCTION,
            prewarm::FUNCTION,
            drift_notify::FUNCTION
        ]),
        "template.yaml's BuildProperties Binary names"
    );

    // Every crate under functions/ is in the template, and declares that binary.
    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).expect("functions/") {
        let dir = entry.expect("an entry of functions/").path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let cargo = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            cargo.contains("[[bin]]") && cargo.contains(&format!("name = \"{name}\"")),
            "{}: expected a [[bin]] named {name}",
            manifest.display()
        );
        crates.insert(name);
    }
    assert_eq!(deployed, crates, "crates under functions/ vs template.yaml");

    for f in functions.values() {
        assert_eq!(
            text(&f.metadata["BuildMethod"]),
            "rust-cargolambda",
            "{}",
            f.logical_id
        );
        // sam build runs cargo lambda in CodeUri and takes target/lambda/<binary>/bootstrap
        // from there: that is the workspace root, where target/ is.
        let code_uri = text(&f.properties["CodeUri"]);
        let cargo = std::fs::read_to_string(root().join(code_uri).join("Cargo.toml")).unwrap();
        assert!(
            cargo.contains("[workspace]"),
            "{}: CodeUri must be the workspace root",
            f.logical_id
        );
    }
    let globals = &template["Globals"]["Function"];
    assert_eq!(text(&globals["Runtime"]), "provided.al2023");
    assert_eq!(text(&globals["Handler"]), "bootstrap");
    assert_eq!(
        to_json(&globals["Architectures"]),
        serde_json::json!(["arm64"])
    );

    // scripts/package.sh builds the binaries it finds on `Binary:` lines; keep them one per line.
    let lines: BTreeSet<String> = read("template.yaml")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Binary:"))
        .map(|b| b.trim().to_owned())
        .collect();
    assert_eq!(lines, deployed, "`Binary: <name>` lines in template.yaml");
}

#[test]
fn each_function_gets_exactly_the_variables_its_code_reads() {
    let template = template();
    let functions = functions(&template);
    let code = code_environment();
    for (binary, reads) in &code {
        let deployed = &functions
            .get(*binary)
            .unwrap_or_else(|| panic!("{binary} is not in template.yaml"))
            .environment;
        let missing: Vec<_> = reads.difference(deployed).collect();
        let unknown: Vec<_> = deployed.difference(reads).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{binary}: the code reads {missing:?} but template.yaml does not set them; \
             template.yaml sets {unknown:?} but the code never reads them"
        );
    }

    // The configuration contract in shared/src/config.rs: shared by all, and the scaling
    // variables are scale-on-latency's.
    let common = set(&[
        config::NOTIFY_TOPIC_ARN,
        config::ALLOWED_ENDPOINTS,
        config::DRY_RUN,
    ]);
    let scaling = set(&[
        config::SCALE_STEP,
        config::SCALE_CEILING,
        config::SCALE_COOLDOWN_SECONDS,
        config::SCALE_HOLD_SECONDS,
        config::SCALE_MODE,
        config::SCALE_CONCURRENCY_PER_INSTANCE,
        config::SCALE_HEADROOM,
        config::SCALE_TARGET_INVOCATIONS_PER_INSTANCE,
    ]);
    for (binary, f) in &functions {
        assert!(
            f.environment.is_superset(&common),
            "{binary} lacks some of {common:?}"
        );
    }
    let scale = &functions[scale_on_latency::FUNCTION].environment;
    assert_eq!(
        scale,
        &common.union(&scaling).cloned().collect::<BTreeSet<_>>()
    );
}

/// EventBridge pattern matching, for the subset the template uses: lists of exact values,
/// `{"prefix": ...}` and `{"exists": ...}`, nested objects, arrays in the event matched
/// element by element. `!Ref X` in a pattern is looked up in `params`.
fn matches(pattern: &Json, event: &Json, params: &BTreeMap<&str, &str>) -> bool {
    let Some(fields) = pattern.as_object() else {
        panic!("a pattern is an object: {pattern}");
    };
    fields.iter().all(|(key, want)| {
        let got = event.get(key);
        match want {
            Json::Object(_) => got.is_some_and(|g| match g {
                Json::Array(items) => items.iter().any(|i| matches(want, i, params)),
                other => matches(want, other, params),
            }),
            Json::Array(alternatives) => alternatives.iter().any(|alt| match alt {
                Json::Object(op) if op.contains_key("exists") => {
                    op["exists"].as_bool() == Some(got.is_some())
                }
                Json::Object(op) if op.contains_key("prefix") => {
                    let prefix = resolve(&op["prefix"], params);
                    values(got).any(|v| v.as_str().is_some_and(|s| s.starts_with(&prefix)))
                }
                Json::Object(op) => panic!("pattern operator not supported here: {op:?}"),
                exact => values(got).any(|v| v == exact),
            }),
            other => panic!("pattern value must be a list or an object: {other}"),
        }
    })
}

fn values(got: Option<&Json>) -> Box<dyn Iterator<Item = &Json> + '_> {
    match got {
        None => Box::new(std::iter::empty()),
        Some(Json::Array(items)) => Box::new(items.iter()),
        Some(one) => Box::new(std::iter::once(one)),
    }
}

fn resolve(value: &Json, params: &BTreeMap<&str, &str>) -> String {
    let s = value.as_str().expect("a string");
    match s.strip_prefix("!Ref ") {
        Some(name) => params
            .get(name)
            .unwrap_or_else(|| panic!("no test value for parameter {name}"))
            .to_string(),
        None => s.to_owned(),
    }
}

fn matched_by(patterns: &[(String, Json)], path: &str, params: &BTreeMap<&str, &str>) -> bool {
    let sample = event(path);
    patterns.iter().any(|(_, p)| matches(p, &sample, params))
}

#[test]
fn scale_on_latency_rules_send_what_the_handler_recognises() {
    let template = template();
    let functions = functions(&template);
    let f = &functions[scale_on_latency::FUNCTION];

    let patterns = f.patterns();
    assert!(!patterns.is_empty(), "scale-on-latency has no alarm rule");
    for (name, p) in &patterns {
        assert_eq!(p["source"], serde_json::json!(["aws.cloudwatch"]), "{name}");
        assert_eq!(
            p["detail-type"],
            serde_json::json!([remediation::alarm::ALARM_DETAIL_TYPE]),
            "{name}"
        );
    }
    // The rule narrows by LatencyAlarmPrefix: with the prefix of the sample alarms, the
    // latency samples go through and INSUFFICIENT_DATA (no change) is not sent.
    let params = BTreeMap::from([("LatencyAlarmPrefix", "prod-ranker-")]);
    for sample in [
        "events/cloudwatch-alarm-latency-eventbridge.json",
        "events/cloudwatch-alarm-latency-ok-eventbridge.json",
        "events/cloudwatch-alarm-math-eventbridge.json",
        "events/cloudwatch-alarm-composite-eventbridge.json",
    ] {
        assert!(
            matched_by(&patterns, sample, &params),
            "{sample} is not sent"
        );
    }
    assert!(!matched_by(
        &patterns,
        "events/cloudwatch-alarm-insufficient-data-eventbridge.json",
        &params
    ));
    let other_prefix = BTreeMap::from([("LatencyAlarmPrefix", "sagemaker-latency-")]);
    assert!(!matched_by(
        &patterns,
        "events/cloudwatch-alarm-latency-eventbridge.json",
        &other_prefix
    ));

    // The sweep: an EventBridge schedule rule (SAM type Schedule), whose events carry the
    // detail-type the handler looks for. A ScheduleV2 (EventBridge Scheduler) would deliver
    // a bare payload that is not a sweep.
    let sweeps = f.events("Schedule");
    assert_eq!(sweeps.len(), 1, "one sweep schedule");
    assert!(text(&sweeps[0].1["Schedule"]).starts_with("rate("));
    assert!(f.events("ScheduleV2").is_empty());
    assert_eq!(
        event("events/eventbridge-scheduled-sweep.json")["detail-type"],
        scale_on_latency::SCHEDULED_DETAIL_TYPE
    );

    // The sample alarm is one the rule sends: its name starts with the same parameter, and
    // it names the endpoint and variant by the dimensions the alarm parser reads.
    let alarm = &template["Resources"]["LatencyAlarm"]["Properties"];
    assert_eq!(tag(&alarm["AlarmName"]).as_deref(), Some("!Sub"));
    assert!(text(&alarm["AlarmName"]).starts_with("${LatencyAlarmPrefix}"));
    let pattern_prefix = &patterns[0].1["detail"]["alarmName"][0]["prefix"];
    assert_eq!(pattern_prefix, "!Ref LatencyAlarmPrefix");
    let metrics = to_json(&alarm["Metrics"]);
    let stat = metrics
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m.get("MetricStat").is_some())
        .expect("a metric with MetricStat");
    let dims: BTreeSet<&str> = stat["MetricStat"]["Metric"]["Dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Name"].as_str().unwrap())
        .collect();
    assert_eq!(dims, BTreeSet::from(["EndpointName", "VariantName"]));
    assert_eq!(stat["MetricStat"]["Metric"]["MetricName"], "ModelLatency");
    assert_eq!(stat["MetricStat"]["Period"], 60);
    assert_eq!(to_json(&alarm["EvaluationPeriods"]), 3);
    assert_eq!(to_json(&alarm["DatapointsToAlarm"]), 3);
}

#[test]
fn drift_notify_rules_send_what_the_handler_recognises() {
    let template = template();
    let functions = functions(&template);
    let patterns = functions[drift_notify::FUNCTION].patterns();

    let detail_types: BTreeSet<&str> = patterns
        .iter()
        .flat_map(|(_, p)| p["detail-type"].as_array().unwrap())
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(
        detail_types,
        BTreeSet::from([
            drift_notify::event::PROCESSING_JOB_DETAIL_TYPE,
            drift_notify::event::CUSTOM_DETAIL_TYPE,
            remediation::alarm::ALARM_DETAIL_TYPE,
        ])
    );
    let custom = patterns
        .iter()
        .find(|(_, p)| p["detail-type"][0] == drift_notify::event::CUSTOM_DETAIL_TYPE)
        .unwrap();
    assert_eq!(
        custom.1["source"],
        serde_json::json!([drift_notify::event::CUSTOM_SOURCE])
    );

    let none = BTreeMap::new();
    for sample in [
        "events/sagemaker-processing-job-monitoring-violations.json",
        "events/sagemaker-processing-job-monitoring-failed.json",
        "events/custom-drift-event.json",
        "events/cloudwatch-alarm-drift-eventbridge.json",
    ] {
        assert!(matched_by(&patterns, sample, &none), "{sample} is not sent");
    }
    // Not a monitoring job, or a latency alarm: not sent at all.
    for sample in [
        "events/sagemaker-processing-job-not-monitoring.json",
        "events/cloudwatch-alarm-latency-eventbridge.json",
    ] {
        assert!(!matched_by(&patterns, sample, &none), "{sample} is sent");
    }
}

#[test]
fn prewarm_schedules_carry_the_sample_payloads() {
    let template = template();
    let functions = functions(&template);
    let schedules = functions[prewarm::FUNCTION].events("ScheduleV2");
    let mut actions = BTreeSet::new();
    for (name, props) in &schedules {
        assert!(
            !text(&props["ScheduleExpressionTimezone"]).is_empty(),
            "{name}: a schedule with a time zone"
        );
        let input = text(&props["Input"])
            .replace("${EndpointName}", "prod-ranker")
            .replace("${VariantName}", "AllTraffic");
        let payload: Json =
            serde_json::from_str(&input).unwrap_or_else(|e| panic!("{name}: Input: {e}"));
        let action = payload["action"].as_str().expect("an action").to_owned();
        assert_eq!(
            payload,
            event(&format!("events/prewarm-{action}.json")),
            "{name}: Input differs from events/prewarm-{action}.json"
        );
        actions.insert(action);
    }
    assert_eq!(actions, set(&["raise", "verify", "restore"]));
}

#[test]
fn every_wildcard_resource_says_why() {
    let text = read("template.yaml");
    let lines: Vec<&str> = text.lines().collect();
    let mut wildcards = 0;
    for (i, line) in lines.iter().enumerate() {
        let code = line.split(" #").next().unwrap().trim();
        if code != "Resource: \"*\"" && code != "Resource: '*'" {
            continue;
        }
        wildcards += 1;
        // A comment on the line, inside the statement above it, or right above the statement.
        let mut commented = line.contains(" #");
        let mut above = lines[..i].iter().rev().map(|l| l.trim_start());
        for l in above.by_ref() {
            commented |= l.starts_with('#');
            if l.starts_with("- ") {
                break;
            }
        }
        commented |= above.take_while(|l| l.starts_with('#')).count() > 0;
        assert!(
            commented,
            "template.yaml:{}: `Resource: \"*\"` needs a comment saying why AWS requires it",
            i + 1
        );
    }
    assert!(
        wildcards > 0,
        "no wildcard resources found: is the check still looking right?"
    );
}
