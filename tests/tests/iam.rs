//! Each function's role in the SAM expansion of template.yaml grants what shared/src/iam.rs
//! says the function needs (the actions its code calls and those AWS checks on its behalf),
//! on resources of the kind the table names, and nothing the table does not list.
//!
//! The emulator enforces no IAM, so this is the check that a first real alarm is not met by
//! AccessDenied. The expansion is made here with the same script as `make template-check`
//! (scripts/sam-transform.py, from the project's .venv); CloudFormation's intrinsic functions
//! are then evaluated for a few parameter sets, as a deploy would.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use integration_tests::workspace;
use remediation::holds::TAG_PREFIX;
use remediation::iam::{self, Permission, Scope};
use serde_json::{json, Value};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// The SAM expansion, made fresh from template.yaml.
fn expansion() -> Value {
    let root = workspace();
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make tools` (it installs cfn-lint and the SAM translator)",
        python.display()
    );
    let out = Command::new(python)
        .arg(root.join("scripts/sam-transform.py"))
        .arg(root.join("template.yaml"))
        .output()
        .expect("scripts/sam-transform.py runs");
    assert!(
        out.status.success(),
        "sam-transform failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the expansion is JSON")
}

/// Evaluates CloudFormation intrinsic functions with given parameter values. Resources
/// become symbols: `Ref X` -> `ref:X`, `GetAtt X.Arn` -> `getatt:X.Arn`.
struct Eval<'a> {
    template: &'a Value,
    params: BTreeMap<String, String>,
}

impl Eval<'_> {
    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::Region" => REGION.into(),
            "AWS::AccountId" => ACCOUNT.into(),
            "AWS::Partition" => "aws".into(),
            "AWS::StackName" => "remediation".into(),
            _ if name.contains('.') => format!("getatt:{name}"),
            _ => match self.params.get(name) {
                Some(v) => v.clone(),
                None => {
                    let parameter = &self.template["Parameters"][name];
                    match parameter.get("Default") {
                        Some(d) => d.as_str().map_or(d.to_string(), str::to_owned),
                        None if parameter.is_object() => panic!("no value for parameter {name}"),
                        None => format!("ref:{name}"),
                    }
                }
            },
        }
    }

    fn condition(&self, name: &str) -> bool {
        let c = self.eval(&self.template["Conditions"][name]);
        c.as_bool()
            .unwrap_or_else(|| panic!("condition {name}: {c}"))
    }

    fn sub(&self, text: &str, vars: &BTreeMap<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("a closed ${") + start;
            let name = &rest[start + 2..end];
            match vars.get(name) {
                Some(v) => out.push_str(v.as_str().expect("a string variable")),
                None => out.push_str(&self.reference(name)),
            }
            rest = &rest[end + 1..];
        }
        out + rest
    }

    /// The value, or `None` for `AWS::NoValue`.
    fn eval(&self, value: &Value) -> Value {
        let Some(map) = value.as_object() else {
            return match value {
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|i| self.eval(i))
                        .filter(|v| !v.is_null())
                        .collect(),
                ),
                other => other.clone(),
            };
        };
        if map.len() == 1 {
            let (name, arg) = map.iter().next().unwrap();
            if let Some(result) = self.function(name, arg) {
                return result;
            }
        }
        Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), self.eval(v)))
                .filter(|(_, v)| !v.is_null())
                .collect(),
        )
    }

    fn function(&self, name: &str, arg: &Value) -> Option<Value> {
        let list =
            |v: &Value| -> Vec<Value> { self.eval(v).as_array().cloned().unwrap_or_default() };
        let text = |v: &Value| self.eval(v).as_str().expect("a string").to_owned();
        Some(match name {
            "Ref" if arg == "AWS::NoValue" => Value::Null,
            "Ref" => json!(self.reference(arg.as_str().unwrap())),
            "Fn::GetAtt" => {
                let parts: Vec<&str> = arg
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect();
                json!(format!("getatt:{}", parts.join(".")))
            }
            "Fn::If" => {
                let a = arg.as_array().unwrap();
                let pick = if self.condition(a[0].as_str().unwrap()) {
                    &a[1]
                } else {
                    &a[2]
                };
                self.eval(pick)
            }
            "Condition" => json!(self.condition(arg.as_str().unwrap())),
            "Fn::Equals" => {
                let a = list(arg);
                json!(a[0] == a[1])
            }
            "Fn::Not" => json!(!list(arg)[0].as_bool().unwrap()),
            "Fn::And" => json!(list(arg).iter().all(|v| v.as_bool().unwrap())),
            "Fn::Or" => json!(list(arg).iter().any(|v| v.as_bool().unwrap())),
            "Fn::Join" => {
                let a = arg.as_array().unwrap();
                let items: Vec<String> = list(&a[1])
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect();
                json!(items.join(a[0].as_str().unwrap()))
            }
            "Fn::Split" => {
                let a = arg.as_array().unwrap();
                let whole = text(&a[1]);
                json!(whole.split(a[0].as_str().unwrap()).collect::<Vec<_>>())
            }
            "Fn::Select" => {
                let a = arg.as_array().unwrap();
                let index = a[0]
                    .as_u64()
                    .or_else(|| a[0].as_str()?.parse().ok())
                    .unwrap();
                list(&a[1])[index as usize].clone()
            }
            "Fn::Sub" => match arg {
                Value::String(s) => json!(self.sub(s, &BTreeMap::new())),
                Value::Array(a) => {
                    let vars = a[1]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), self.eval(v)))
                        .collect();
                    json!(self.sub(a[0].as_str().unwrap(), &vars))
                }
                other => panic!("Fn::Sub {other}"),
            },
            _ => return None,
        })
    }
}

/// One Allow statement, evaluated.
#[derive(Debug)]
struct Statement {
    actions: BTreeSet<String>,
    resources: BTreeSet<String>,
    condition: Value,
}

fn strings(v: &Value) -> BTreeSet<String> {
    match v {
        Value::String(s) => BTreeSet::from([s.clone()]),
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        other => panic!("expected strings: {other}"),
    }
}

/// Binary name -> (its role's Allow statements, its log group's logical id).
fn roles(eval: &Eval<'_>) -> BTreeMap<String, (Vec<Statement>, String)> {
    let resources = eval.template["Resources"].as_object().unwrap();
    let mut out = BTreeMap::new();
    for resource in resources.values() {
        if resource["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("a function built from a binary");
        let props = &resource["Properties"];
        let role_id = props["Role"]["Fn::GetAtt"][0]
            .as_str()
            .expect("its own role");
        let log_group = props["LoggingConfig"]["LogGroup"]["Ref"].as_str().unwrap();
        let role = eval.eval(&resources[role_id]["Properties"]);
        let mut statements = Vec::new();
        for policy in role["Policies"].as_array().unwrap() {
            for s in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                assert_eq!(s["Effect"], "Allow", "{role_id}: {s}");
                statements.push(Statement {
                    actions: strings(&s["Action"]),
                    resources: strings(&s["Resource"]),
                    condition: s.get("Condition").cloned().unwrap_or(Value::Null),
                });
            }
        }
        assert!(
            role.get("ManagedPolicyArns").is_none(),
            "{role_id}: no managed policies"
        );
        out.insert(binary.to_owned(), (statements, log_group.to_owned()));
    }
    out
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

/// Is `statement` a suitable grant for a permission of this scope?
fn suits(scope: Scope, s: &Statement, eval: &Eval<'_>, log_group: &str) -> bool {
    let region = s.condition["StringEquals"]["aws:RequestedRegion"] == REGION;
    let endpoints: Vec<String> = eval.params["AllowedEndpoints"]
        .split(',')
        .map(|e| format!("arn:*:sagemaker:*:*:endpoint/{e}"))
        .collect();
    let one = |arn: String| s.resources == BTreeSet::from([arn]);
    let sagemaker = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}");
    match scope {
        Scope::AllowedEndpoints => s.resources == set(&endpoints) && region,
        Scope::HoldTags => {
            s.resources == set(&endpoints)
                && region
                && s.condition["ForAllValues:StringLike"]["aws:TagKeys"]
                    == json!([format!("{TAG_PREFIX}*")])
                && s.condition["Null"]["aws:TagKeys"] == "false"
        }
        Scope::EndpointConfigs => one(format!("{sagemaker}:endpoint-config/*")),
        Scope::SageMakerScalableTargets => {
            let c = &s.condition["StringEquals"];
            let dimensions = strings(&c["application-autoscaling:scalable-dimension"]);
            let allowed = BTreeSet::from([
                "sagemaker:variant:DesiredInstanceCount".to_owned(),
                "sagemaker:variant:DesiredProvisionedConcurrency".to_owned(),
            ]);
            one("*".into())
                && c["application-autoscaling:service-namespace"] == "sagemaker"
                && !dimensions.is_empty()
                && dimensions.is_subset(&allowed)
                && region
        }
        Scope::NoResourceType | Scope::AllAlarms => one("*".into()),
        Scope::LatencyAlarms => {
            let prefix = eval.reference("LatencyAlarmPrefix");
            one(format!(
                "arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{prefix}*"
            ))
        }
        Scope::AuditTopic => one("ref:NotificationTopic".into()),
        Scope::LockTable => one("getatt:LockTable.Arn".into()),
        Scope::StackKey => one("getatt:StackKey.Arn".into()),
        Scope::FailedEventsQueue => one("getatt:FailedEventsQueue.Arn".into()),
        Scope::OwnLogGroup => one(format!("getatt:{log_group}.Arn")),
        Scope::MonitoringReports => {
            let prefix = reports_prefix(eval);
            one(format!("arn:aws:s3:::{prefix}*constraint_violations.json"))
        }
        Scope::MonitoringReportsBucket => {
            let prefix = reports_prefix(eval);
            one(format!(
                "arn:aws:s3:::{}",
                prefix.split('/').next().unwrap()
            ))
        }
        Scope::CalendarObject => one(format!("arn:aws:s3:::{}", eval.params["CalendarS3Object"])),
        Scope::EndSchedules => one(format!(
            "arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/ref:CalendarScheduleGroup/prewarm.end.*"
        )),
        Scope::SchedulerRole => {
            one("getatt:PrewarmSchedulerRole.Arn".into())
                && s.condition["StringEquals"]["iam:PassedToService"] == "scheduler.amazonaws.com"
        }
    }
}

/// Where drift-notify may read reports: the parameter, or SageMaker's default bucket.
fn reports_prefix(eval: &Eval<'_>) -> String {
    match eval.params["MonitoringReportsS3Prefix"].as_str() {
        "" => format!("sagemaker-{REGION}-{ACCOUNT}/"),
        prefix => {
            assert!(prefix.ends_with('/'), "a prefix ends in '/': {prefix}");
            prefix.to_owned()
        }
    }
}

/// Optional permissions, granted only with their parameter.
fn optional(p: &Permission, eval: &Eval<'_>) -> bool {
    p.scope == Scope::CalendarObject && eval.params["CalendarS3Object"].is_empty()
}

fn check(template: &Value, params: &[(&str, &str)]) {
    let eval = Eval {
        template,
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let roles = roles(&eval);
    assert_eq!(
        roles.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(iam::FUNCTIONS),
        "functions in the template vs shared/src/iam.rs"
    );
    for (function, (statements, log_group)) in &roles {
        let table = iam::permissions(function).unwrap();
        for p in &table {
            let granted = statements
                .iter()
                .any(|s| s.actions.contains(p.action) && suits(p.scope, s, &eval, log_group));
            if optional(p, &eval) {
                let any = statements.iter().any(|s| s.actions.contains(p.action));
                assert!(
                    !any,
                    "{function}: {} granted without its parameter",
                    p.action
                );
            } else {
                assert!(
                    granted,
                    "{function} ({params:?}): {} is not granted on {:?} ({:?})",
                    p.action, p.scope, p.caller
                );
            }
        }
        // Nothing beyond the table: every granted action is listed, on a scope it lists.
        for s in statements {
            for action in &s.actions {
                let listed = table
                    .iter()
                    .any(|p| p.action == action.as_str() && suits(p.scope, s, &eval, log_group));
                assert!(
                    listed,
                    "{function}: {action} on {:?} is not in shared/src/iam.rs",
                    s.resources
                );
            }
        }
    }
}

#[test]
fn every_role_grants_what_its_function_needs_and_no_more() {
    let template = expansion();
    let endpoints = ("AllowedEndpoints", "prod-*,staging-ranker");
    let name = ("EndpointName", "prod-ranker");
    check(
        &template,
        &[
            endpoints,
            name,
            ("MonitoringReportsS3Prefix", ""),
            ("CalendarS3Object", ""),
        ],
    );
    check(
        &template,
        &[
            endpoints,
            name,
            ("MonitoringReportsS3Prefix", "ml-reports/monitoring/"),
            ("CalendarS3Object", "ml-config/prewarm/calendar.json"),
        ],
    );
    check(
        &template,
        &[
            ("AllowedEndpoints", "*"),
            name,
            ("MonitoringReportsS3Prefix", "ml-reports/"),
            ("CalendarS3Object", ""),
        ],
    );
}

#[test]
fn the_checks_of_register_scalable_target_are_granted() {
    // The AccessDenied a first real raise would meet (issue: Application Auto Scaling checks
    // the caller's SageMaker permissions): named here so a refactor of the table cannot drop
    // them unnoticed.
    for function in ["scale-on-latency", "prewarm"] {
        let actions: BTreeSet<&str> = iam::permissions(function)
            .unwrap()
            .iter()
            .map(|p| p.action)
            .collect();
        for needed in [
            "application-autoscaling:RegisterScalableTarget",
            "sagemaker:DescribeEndpoint",
            "sagemaker:DescribeEndpointConfig",
            "sagemaker:UpdateEndpointWeightsAndCapacities",
        ] {
            assert!(actions.contains(needed), "{function}: {needed}");
        }
    }
}
