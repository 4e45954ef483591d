//! template.yaml and the code must agree, so they cannot drift apart unnoticed:
//!
//! - every function crate is deployed, under its binary's name, built by cargo-lambda;
//! - each function's environment in the template (Globals plus its own) is exactly the set of
//!   variables its `Config::from_lookup` reads: the test records the names the code asks for,
//!   so renaming a variable on either side fails here;
//! - the event rules send what the handlers recognise: the detail-types and sources the code
//!   matches on (which samples each rule takes: tests/tests/event_patterns.rs);
//! - the pre-warm schedules' payloads are the sample payloads in `events/`, their dates
//!   parameters;
//! - each function's role in the SAM expansion grants what shared/src/iam.rs lists;
//! - each scaling parameter accepts exactly the values the configuration parser accepts, and
//!   the template's Rules refuse the combinations the parser refuses;
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

/// The variables a `Config::from_lookup` reads. The lookup answers only what is required
/// (NOTIFY_TOPIC_ARN, a valid ARN, and LOCK_TABLE), so every parser takes its default path and
/// asks for every variable it knows.
fn variables_read<T, E: std::fmt::Debug>(
    from_lookup: fn(Lookup<'_>) -> Result<T, E>,
) -> BTreeSet<String> {
    let seen = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        seen.borrow_mut().insert(name.to_owned());
        match name {
            config::NOTIFY_TOPIC_ARN => {
                Some("arn:aws:sns:us-east-1:123456789012:remediation-audit".to_owned())
            }
            config::LOCK_TABLE => Some("remediation-leases".to_owned()),
            _ => None,
        }
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

/// Variables the code reads that the stack deliberately leaves unset: `CALENDAR_DIR` (a
/// directory calendar files may be read from; unset, the deployed function refuses every path
/// and reads calendars from S3 only: SECURITY.md, "Local files"), `CALENDAR_END_FUNCTION_ARN`
/// (in Lambda, prewarm's end schedules invoke prewarm itself), and the variables Lambda sets
/// itself, from which that ARN is made.
fn local_only(variable: &str) -> bool {
    [
        "CALENDAR_DIR",
        "CALENDAR_END_FUNCTION_ARN",
        "AWS_REGION",
        "AWS_LAMBDA_FUNCTION_NAME",
    ]
    .contains(&variable)
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
        let missing: Vec<_> = reads
            .difference(deployed)
            .filter(|v| !local_only(v))
            .collect();
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
    let lock = set(&["LOCK_TABLE"]);
    let mut want: BTreeSet<String> = common.union(&scaling).cloned().collect();
    want.extend(lock.iter().cloned());
    want.insert(config::SWEEP_CONCURRENCY.to_owned());
    assert_eq!(scale, &want);
    // The lease table reaches the two functions that change capacity, and only those.
    assert!(functions[prewarm::FUNCTION].environment.is_superset(&lock));
    assert!(functions[drift_notify::FUNCTION]
        .environment
        .is_disjoint(&lock));
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
    // Which samples each rule takes: tests/tests/event_patterns.rs.

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

    // Which samples each rule takes: tests/tests/event_patterns.rs.
}

/// The example schedules' payloads are the samples in `events/`, with the endpoint, variant and
/// expiry from parameters; their dates are parameters too, so no example date can pass.
#[test]
fn prewarm_schedules_carry_the_sample_payloads() {
    let template = template();
    let prewarm_arn = "!GetAtt PrewarmFunction.Arn";
    let mut actions = BTreeSet::new();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Scheduler::Schedule") {
            continue;
        }
        let name = text(id);
        let props = &resource["Properties"];
        assert_eq!(text(&resource["Condition"]), "HasPrewarmExample", "{name}");
        assert_eq!(to_json(&props["Target"]["Arn"]), prewarm_arn, "{name}");
        assert!(!text(&props["ScheduleExpressionTimezone"]).is_empty());
        let expression = text(&props["ScheduleExpression"]);
        assert!(
            expression.starts_with("at(${PrewarmExampleDate}T"),
            "{name}: the date must be the parameter, found {expression}"
        );
        let sample_date = "2026-12-04";
        let input = text(&props["Target"]["Input"])
            .replace("${EndpointName}", "prod-ranker")
            .replace("${VariantName}", "AllTraffic")
            .replace("${PrewarmExampleDate}", sample_date);
        let mut payload: Json =
            serde_json::from_str(&input).unwrap_or_else(|e| panic!("{name}: Input: {e}"));
        let action = payload["action"].as_str().expect("an action").to_owned();
        let mut sample = event(&format!("events/prewarm-{action}.json"));
        // The expiry is the PrewarmExampleUntil parameter; the samples may spell theirs as
        // `until` or as a relative `for`.
        if action == "raise" {
            assert_eq!(payload["until"], "${PrewarmExampleUntil}", "{name}");
        }
        let rest = input.replace("${PrewarmExampleUntil}", "");
        assert!(
            !rest.contains("${"),
            "{name}: unknown placeholder in {input}"
        );
        for expiry in ["until", "for"] {
            payload.as_object_mut().unwrap().remove(expiry);
            sample.as_object_mut().unwrap().remove(expiry);
        }
        assert_eq!(
            payload, sample,
            "{name}: Input differs from events/prewarm-{action}.json"
        );
        actions.insert(action);
    }
    assert_eq!(actions, set(&["raise", "verify", "restore"]));
    assert!(functions(&template)[prewarm::FUNCTION]
        .events("ScheduleV2")
        .is_empty());
    // No absolute date anywhere in the template's schedules or payloads.
    let text = read("template.yaml");
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let dated = line.contains("at(20") || line.contains("\"until\": \"20");
        assert!(!dated, "an absolute date in template.yaml: {line}");
    }
}

/// #20: the timeouts the code's time budget is written for: a sweep keeps
/// `SWEEP_MARGIN_SECONDS` for its last endpoint and still has most of a minute to start them;
/// prewarm can wait out an endpoint update and still make its decision.
#[test]
fn timeouts_leave_room_for_the_time_budget() {
    use remediation::remediate::{CALL_BUDGET, DECISION_CALLS};
    let template = template();
    let timeout = |function: &Function| {
        function.properties["Timeout"]
            .as_i64()
            .or_else(|| template["Globals"]["Function"]["Timeout"].as_i64())
            .expect("a timeout")
    };
    let functions = functions(&template);
    let sweep = timeout(&functions["scale-on-latency"]);
    assert!(
        sweep >= scale_on_latency::SWEEP_MARGIN_SECONDS + 45,
        "scale-on-latency: {sweep} s"
    );
    let decision = CALL_BUDGET.as_secs() as i64 * i64::from(DECISION_CALLS + 2);
    let prewarm = timeout(&functions["prewarm"]);
    assert!(prewarm >= decision + 600, "prewarm: {prewarm} s");
    // A decision holds its lease for at most its six calls.
    let held = CALL_BUDGET.as_secs() as i64 * i64::from(DECISION_CALLS);
    assert!(remediation::remediate::LEASE_SECONDS > held);
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

/// The template parameters that set a configuration variable, and the variable.
const CONFIG_PARAMETERS: [(&str, &str); 10] = [
    ("AllowedEndpoints", config::ALLOWED_ENDPOINTS),
    ("DryRun", config::DRY_RUN),
    ("ScaleStep", config::SCALE_STEP),
    ("ScaleCeiling", config::SCALE_CEILING),
    ("ScaleCooldownSeconds", config::SCALE_COOLDOWN_SECONDS),
    ("ScaleHoldSeconds", config::SCALE_HOLD_SECONDS),
    ("ScaleMode", config::SCALE_MODE),
    (
        "ScaleConcurrencyPerInstance",
        config::SCALE_CONCURRENCY_PER_INSTANCE,
    ),
    ("ScaleHeadroom", config::SCALE_HEADROOM),
    (
        "ScaleTargetInvocationsPerInstance",
        config::SCALE_TARGET_INVOCATIONS_PER_INSTANCE,
    ),
];

/// Values the template refuses on purpose although the parser takes them: the template
/// always passes a value (its default is the code's), and asks for one spelling.
const STRICTER_IN_THE_TEMPLATE: [(&str, &str); 11] = [
    ("AllowedEndpoints", ""),
    ("AllowedEndpoints", "prod-*,"),
    ("AllowedEndpoints", "Prod-*"),
    ("DryRun", "yes"),
    ("DryRun", "1"),
    ("ScaleStep", ""),
    ("ScaleCooldownSeconds", ""),
    ("ScaleHoldSeconds", ""),
    ("ScaleMode", "Demand"),
    ("ScaleMode", ""),
    ("ScaleHeadroom", ""),
];

/// Does CloudFormation accept `value` for this parameter (AllowedValues, AllowedPattern as a
/// whole-string match, MinValue and MaxValue)?
fn template_accepts(parameter: &Value, value: &str) -> bool {
    if let Some(allowed) = parameter["AllowedValues"].as_sequence() {
        if !allowed
            .iter()
            .any(|a| to_json(a).to_string().trim_matches('"') == value)
        {
            return false;
        }
    }
    if let Some(pattern) = parameter["AllowedPattern"].as_str() {
        let whole = regex::Regex::new(&format!("^(?:{pattern})$")).expect("a valid pattern");
        if !whole.is_match(value) {
            return false;
        }
    }
    if parameter["Type"].as_str() == Some("Number") {
        let Ok(number) = value.parse::<f64>() else {
            return false;
        };
        let bound = |key: &str| parameter[key].as_f64();
        if bound("MinValue").is_some_and(|min| number < min)
            || bound("MaxValue").is_some_and(|max| number > max)
        {
            return false;
        }
    }
    true
}

/// Does scale-on-latency's parser (which reads the common and the scaling variables) accept
/// these variables, on top of a valid configuration?
fn code_accepts(settings: &[(&str, &str)]) -> bool {
    let env: BTreeMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = |name: &str| match name {
        config::LOCK_TABLE => Some("remediation-leases".to_owned()),
        _ => env.get(name).cloned(),
    };
    scale_on_latency::Config::from_lookup(&lookup).is_ok()
}

/// Probe values for a parameter: its bounds, one step inside and outside, other spellings.
fn probes(variable: &str) -> Vec<String> {
    let whole = |min: u32, max: u32| {
        let mut v: Vec<String> = (0..=1_100).map(|n| n.to_string()).collect();
        for edge in [min, max] {
            for n in edge.saturating_sub(3)..=edge + 3 {
                v.push(n.to_string());
            }
        }
        for p in 1..=9u32 {
            v.extend([10u64.pow(p) - 1, 10u64.pow(p), 10u64.pow(p) + 1].map(|n| n.to_string()));
        }
        v.extend(["1.5", "2.0", "-1", "two", "1e3", "4294967296"].map(String::from));
        v
    };
    let decimal = |edges: &[&str]| {
        let mut v: Vec<String> = edges.iter().map(|s| s.to_string()).collect();
        v.extend(
            [
                "0", "0.0", "0.5", "1", "1.0", "1.5", "2", "9.99", "10", "10.0", "10.001", "11",
                "-1", "NaN", "inf", "abc", "1..2", "",
            ]
            .map(String::from),
        );
        v
    };
    let v: Vec<String> = match variable {
        config::SCALE_STEP => whole(1, 1000),
        config::SCALE_CEILING => whole(1, 100_000),
        config::SCALE_COOLDOWN_SECONDS => whole(0, 86_400),
        config::SCALE_HOLD_SECONDS => whole(60, 604_800),
        config::SCALE_HEADROOM => decimal(&["0.999", "1.001", "9.999", "10.000", "10.5"]),
        config::SCALE_CONCURRENCY_PER_INSTANCE => decimal(&[
            "0.0009",
            "0.000999",
            "0.001",
            "0.0010",
            "0.01",
            "999999.99",
            "1000000",
            "1000000.0",
            "1000000.01",
            "1000001",
        ]),
        config::SCALE_TARGET_INVOCATIONS_PER_INSTANCE => decimal(&[
            "0.0009",
            "0.001",
            "0.00100",
            "999999999.9",
            "1000000000",
            "1000000000.0",
            "1000000000.5",
            "1000000001",
        ]),
        config::SCALE_MODE => ["step", "demand", "burst", ""].map(String::from).to_vec(),
        config::DRY_RUN => ["true", "false", "maybe", "tru"].map(String::from).to_vec(),
        config::ALLOWED_ENDPOINTS => [
            "prod-*",
            "prod-*,staging-ranker",
            "*",
            "prod-?",
            "prod/*",
            "prod ranker",
            "prod-*,",
            "a.b",
        ]
        .map(String::from)
        .to_vec(),
        other => panic!("no probes for {other}"),
    };
    v
}

#[test]
fn each_parameter_accepts_exactly_what_the_code_accepts() {
    let template = template();
    let parameters = &template["Parameters"];
    // scale-on-latency reads every variable these parameters set.
    let reads = &code_environment()[scale_on_latency::FUNCTION];
    let mut compared = 0;
    for (name, variable) in CONFIG_PARAMETERS {
        assert!(reads.contains(variable), "{variable}");
        let parameter = &parameters[name];
        assert!(parameter.is_mapping(), "no parameter {name}");
        // Demand sizing on top, so that ScaleMode=demand alone is valid for the parser.
        let base = [(config::SCALE_CONCURRENCY_PER_INSTANCE, "4")];
        for value in probes(variable) {
            let mut settings = base.to_vec();
            settings.retain(|(k, _)| *k != variable);
            settings.push((variable, &value));
            let (cfn, code) = (template_accepts(parameter, &value), code_accepts(&settings));
            if STRICTER_IN_THE_TEMPLATE.contains(&(name, value.as_str())) {
                assert!(
                    !cfn && code,
                    "{name}={value:?} is listed as refused by the template only"
                );
            } else {
                assert_eq!(
                    cfn, code,
                    "{name}={value:?}: template accepts {cfn}, code {code}"
                );
            }
            compared += 1;
        }
        // The default is valid on both sides.
        let default = parameter["Default"].as_str().unwrap_or("prod-*");
        assert!(template_accepts(parameter, default), "{name} default");
        assert!(code_accepts(&[(variable, default)]), "{name} default");
    }
    assert!(compared > 4_000, "{compared} comparisons");
}

/// Evaluate a Rules condition function over parameter values (the subset the template uses).
fn rule_value(value: &Value, params: &BTreeMap<&str, &str>) -> Json {
    let Value::Tagged(tagged) = value else {
        return to_json(value);
    };
    let args: Vec<Json> = match &tagged.value {
        Value::Sequence(items) => items.iter().map(|i| rule_value(i, params)).collect(),
        one => vec![rule_value(one, params)],
    };
    let truth = |j: &Json| j.as_bool().expect("a condition");
    match tagged.tag.to_string().as_str() {
        "!Ref" => {
            let name = args[0].as_str().unwrap();
            Json::String(params.get(name).map_or("", |v| v).to_owned())
        }
        "!Equals" => Json::Bool(args[0] == args[1]),
        "!Not" => Json::Bool(!truth(&args[0])),
        "!And" => Json::Bool(args.iter().all(truth)),
        "!Or" => Json::Bool(args.iter().any(truth)),
        other => panic!("rule function {other} not evaluated here"),
    }
}

/// Do the template's Rules let these parameter values through?
fn rules_accept(template: &Value, params: &BTreeMap<&str, &str>) -> bool {
    template["Rules"]
        .as_mapping()
        .unwrap()
        .values()
        .all(|rule| {
            let applies = match rule.get("RuleCondition") {
                Some(condition) => rule_value(condition, params) == Json::Bool(true),
                None => true,
            };
            !applies
                || rule["Assertions"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .all(|a| rule_value(&a["Assert"], params) == Json::Bool(true))
        })
}

#[test]
fn rules_refuse_the_combinations_the_code_refuses() {
    let template = template();
    for mode in ["step", "demand"] {
        for concurrency in ["", "4"] {
            for invocations in ["", "100"] {
                let params = BTreeMap::from([
                    ("ScaleMode", mode),
                    ("ScaleConcurrencyPerInstance", concurrency),
                    ("ScaleTargetInvocationsPerInstance", invocations),
                ]);
                let code = code_accepts(&[
                    (config::SCALE_MODE, mode),
                    (config::SCALE_CONCURRENCY_PER_INSTANCE, concurrency),
                    (config::SCALE_TARGET_INVOCATIONS_PER_INSTANCE, invocations),
                ]);
                assert_eq!(rules_accept(&template, &params), code, "{params:?}");
            }
        }
    }
    // No e-mail on a FIFO topic, and an example date needs its expiry.
    let fifo_mail = BTreeMap::from([("AuditTopicFifo", "true"), ("NotificationEmail", "a@b.co")]);
    assert!(!rules_accept(&template, &fifo_mail));
    let fifo = BTreeMap::from([("AuditTopicFifo", "true")]);
    assert!(rules_accept(&template, &fifo));
    let date_only = BTreeMap::from([("PrewarmExampleDate", "2027-01-08")]);
    assert!(!rules_accept(&template, &date_only));
    let both = BTreeMap::from([
        ("PrewarmExampleDate", "2027-01-08"),
        ("PrewarmExampleUntil", "2027-01-09T01:00:00Z"),
    ]);
    assert!(rules_accept(&template, &both));
}
