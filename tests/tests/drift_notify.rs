//! drift-notify against a moto server over HTTP: violations files in S3, SNS messages read back
//! through an SQS subscription, and the built binary under cargo-lambda's Runtime API emulator.

use std::collections::HashMap;

use chrono::Utc;
use drift_notify::finding::MAX_BODY;
use drift_notify::{App, Config, Summary};
use integration_tests::{
    function_binary, sample_event, unique, workspace, Inbox, LocalRuntime, Moto, Published,
};
use remediation::Error;
use serde_json::{json, Value};

const VIOLATIONS_EVENT: &str = "sagemaker-processing-job-monitoring-violations.json";
const JOB: &str = "model-monitoring-202611281300-4f2a9c1e7b3d5a6f8e0c2b41";

/// One endpoint name per test (the sample events' `prod-ranker` is replaced by it, bucket and
/// schedule names included) and an inbox subscribed to the notification topic.
struct Fixture {
    moto: Moto,
    endpoint: String,
    inbox: Inbox,
}

impl Fixture {
    async fn new() -> Fixture {
        let moto = Moto::connect().await;
        let inbox = moto.inbox(&unique("drift-topic")).await.unwrap();
        Self::with_inbox(moto, inbox)
    }

    async fn fifo() -> Fixture {
        let moto = Moto::connect().await;
        let inbox = moto.fifo_inbox(&unique("drift-topic")).await.unwrap();
        Self::with_inbox(moto, inbox)
    }

    fn with_inbox(moto: Moto, inbox: Inbox) -> Fixture {
        Fixture {
            moto,
            endpoint: unique("drift"),
            inbox,
        }
    }

    fn app(&self) -> App {
        let env = HashMap::from([("NOTIFY_TOPIC_ARN", self.inbox.topic_arn.clone())]);
        let config = Config::from_lookup(&|name| env.get(name).cloned()).unwrap();
        App::new(&self.moto.sdk, config)
    }

    fn event(&self, file: &str) -> Value {
        sample_event(file, &self.endpoint)
    }

    fn bucket(&self) -> String {
        format!("{}-monitoring", self.endpoint)
    }

    /// Where the sample monitoring job writes its results.
    fn violations_key(&self) -> String {
        format!(
            "reports/{0}/{0}-data-quality/2026/11/28/13/constraint_violations.json",
            self.endpoint
        )
    }

    async fn put_violations(&self, body: Vec<u8>) {
        self.moto
            .put_object(&self.bucket(), &self.violations_key(), body)
            .await
            .unwrap();
    }

    /// The message links the sample job's violations file as its report.
    fn assert_links_the_violations_file(&self, m: &Published) {
        let line = format!("Report: s3://{}/{}", self.bucket(), self.violations_key());
        assert!(
            m.message.contains(&line),
            "{line:?} missing from\n{}",
            m.message
        );
    }

    async fn put_sample_violations(&self) {
        let path = workspace().join("events/fixtures/constraint_violations.json");
        self.put_violations(std::fs::read(path).unwrap()).await;
    }

    async fn handle(&self, event: Value) -> Result<Summary, Error> {
        self.app().handle(event, Utc::now()).await
    }

    async fn published(&self) -> Vec<Published> {
        self.moto.published(&self.inbox).await.unwrap()
    }

    async fn only_message(&self) -> Published {
        let mut messages = self.published().await;
        assert_eq!(messages.len(), 1, "{messages:#?}");
        messages.remove(0)
    }
}

fn check_types(m: &Published) -> Vec<String> {
    serde_json::from_str(&m.attributes["check_types"]).unwrap_or_else(|e| {
        panic!(
            "check_types is not a JSON array ({e}): {:?}",
            m.attributes["check_types"]
        )
    })
}

#[tokio::test]
async fn violations_are_summarised_with_features_and_types() {
    let f = Fixture::new().await;
    f.put_sample_violations().await;
    let summary = f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap();
    assert_eq!(summary.findings.len(), 1, "{summary:?}");
    assert_eq!(summary.findings[0].violations, 4);

    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "[CRITICAL] Drift on {}: 4 violations (age, zip_code, device_type +1 more)",
            f.endpoint
        )
    );
    assert!(m.subject.len() <= 100 && m.subject.is_ascii());
    let body = &m.message;
    assert!(
        body.starts_with(&format!(
            "4 constraints violated on endpoint {}.\n",
            f.endpoint
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("Monitoring schedule: {}-data-quality", f.endpoint)),
        "{body}"
    );
    assert!(
        body.contains(&format!("monitoring job {JOB} (Completed)")),
        "{body}"
    );
    // Most important first: the far drift and the type change, then the smaller drift, then
    // completeness.
    let positions: Vec<usize> = [
        " 1. age - baseline_drift_check - 0.4127 vs threshold 0.1 (4.1x) [critical]",
        " 2. zip_code - data_type_check [critical]",
        " 3. device_type - baseline_drift_check - 0.1834 vs threshold 0.1 (1.8x) [high]",
        " 4. session_length - completeness_check - threshold 0.95 [high]",
    ]
    .iter()
    .map(|line| {
        body.find(line)
            .unwrap_or_else(|| panic!("{line:?} missing from\n{body}"))
    })
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
    assert!(
        body.contains("Numerical distance: 0.4127 exceeds numerical threshold: 0.1"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "Report: s3://{}/{}",
            f.bucket(),
            f.violations_key()
        )),
        "{body}"
    );
    assert!(
        body.contains("https://us-east-1.console.aws.amazon.com/s3/object/"),
        "{body}"
    );
    assert!(
        body.contains("Metric: https://us-east-1.console.aws.amazon.com/cloudwatch/home")
            && body.contains("~'feature_baseline_drift_age~'Endpoint~'"),
        "{body}"
    );
    assert_eq!(m.attributes["endpoint"], f.endpoint);
    assert_eq!(m.attributes["severity"], "critical");
    assert_eq!(
        check_types(&m),
        [
            "baseline_drift_check",
            "completeness_check",
            "data_type_check"
        ]
    );
}

#[tokio::test]
async fn many_violations_are_truncated_most_important_first() {
    let f = Fixture::new().await;
    let violations: Vec<Value> = (0..300)
        .map(|i| {
            json!({
                "feature_name": format!("f{i:03}"),
                "constraint_check_type": "baseline_drift_check",
                "description": format!(
                    "Numerical distance: {} exceeds numerical threshold: 0.5. {}",
                    0.5 + f64::from(i) / 1000.0,
                    "Long explanation. ".repeat(100)
                )
            })
        })
        .collect();
    f.put_violations(serde_json::to_vec(&json!({ "violations": violations })).unwrap())
        .await;
    f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap();
    let m = f.only_message().await;
    assert!(m.message.len() <= MAX_BODY, "{}", m.message.len());
    assert!(
        m.message.contains(" 1. f299 - baseline_drift_check"),
        "{}",
        m.message
    );
    assert!(
        m.message.contains("25. f275 - baseline_drift_check"),
        "{}",
        m.message
    );
    assert!(!m.message.contains("f274 -"), "{}", m.message);
    assert!(
        m.message
            .contains("... and 275 more not shown; the report lists all 300."),
        "{}",
        m.message
    );
    assert!(m.message.contains("Report: s3://"), "{}", m.message);
    assert!(
        m.subject.ends_with(": f299, f298, f297 +297 more"),
        "{}",
        m.subject
    );
}

#[tokio::test]
async fn failed_monitoring_job_says_why() {
    let f = Fixture::new().await;
    let summary = f
        .handle(f.event("sagemaker-processing-job-monitoring-failed.json"))
        .await
        .unwrap();
    assert_eq!(summary.findings.len(), 1);
    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "Model Monitor failed on {0} (schedule {0}-data-quality)",
            f.endpoint
        )
    );
    assert!(
        m.message.contains(&format!(
            "Failure reason: AlgorithmError: No captured data found for endpoint {}",
            f.endpoint
        )),
        "{}",
        m.message
    );
    assert!(m.message.contains("monitoring job failed"), "{}", m.message);
    assert_eq!(m.attributes["severity"], "warning");
    assert_eq!(check_types(&m), ["monitoring-failed"]);
}

/// The failed sample naming no endpoint (a schedule that monitors batch transform jobs), with
/// two outputs and neither at the job's output path.
fn without_endpoint_or_result_output(f: &Fixture, status: &str) -> Value {
    let mut event = f.event("sagemaker-processing-job-monitoring-failed.json");
    let detail = &mut event["detail"];
    detail["ProcessingJobStatus"] = json!(status);
    detail["Environment"]
        .as_object_mut()
        .unwrap()
        .remove("sagemaker_endpoint_name");
    detail["Environment"]["output_path"] = json!("/opt/ml/processing/elsewhere");
    let result = detail["ProcessingOutputConfig"]["Outputs"][0].clone();
    let mut logs = result.clone();
    logs["S3Output"]["LocalPath"] = json!("/opt/ml/processing/logs");
    detail["ProcessingOutputConfig"]["Outputs"] = json!([result, logs]);
    event
}

#[tokio::test]
async fn failed_job_naming_no_endpoint_is_still_reported() {
    let f = Fixture::new().await;
    let summary = f
        .handle(without_endpoint_or_result_output(&f, "Failed"))
        .await
        .unwrap();
    assert_eq!(summary.findings.len(), 1, "{summary:?}");
    assert_eq!(summary.findings[0].endpoint, None);
    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "Model Monitor failed on schedule {}-data-quality",
            f.endpoint
        )
    );
    assert!(
        m.message.contains("Failure reason: AlgorithmError"),
        "{}",
        m.message
    );
    assert!(!m.attributes.contains_key("endpoint"), "{:?}", m.attributes);
    assert_eq!(m.attributes["kind"], "monitoring-failed");
    assert_eq!(check_types(&m), ["monitoring-failed"]);

    // Stopped and plain Completed jobs shaped the same way are ignored, not refused.
    for (status, why) in [
        ("Stopped", "is Stopped: nothing to report"),
        ("Completed", "completed without violations"),
    ] {
        let mut event = without_endpoint_or_result_output(&f, status);
        event["detail"]["ExitMessage"] = json!(format!("{status}."));
        let summary = f.handle(event).await.unwrap();
        assert!(summary.findings.is_empty(), "{status}: {summary:?}");
        assert!(
            summary.ignored.as_deref().unwrap().contains(why),
            "{status}: {summary:?}"
        );
    }
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn plain_completed_job_sends_nothing() {
    let f = Fixture::new().await;
    let summary = f
        .handle(f.event("sagemaker-processing-job-monitoring-completed.json"))
        .await
        .unwrap();
    assert!(summary.findings.is_empty(), "{summary:?}");
    assert!(
        summary
            .ignored
            .as_deref()
            .unwrap()
            .contains("completed without violations"),
        "{summary:?}"
    );
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn other_processing_jobs_are_ignored_quietly() {
    let f = Fixture::new().await;
    let summary = f
        .handle(f.event("sagemaker-processing-job-not-monitoring.json"))
        .await
        .unwrap();
    assert!(summary.findings.is_empty());
    assert_eq!(
        summary.ignored.as_deref(),
        Some("processing job feature-engineering-2026-11-28-12-00-00 is not a monitoring job")
    );
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn drift_alarm_in_each_shape() {
    for shape in ["eventbridge", "sns", "lambda-action"] {
        let f = Fixture::new().await;
        let summary = f
            .handle(f.event(&format!("cloudwatch-alarm-drift-{shape}.json")))
            .await
            .unwrap();
        assert_eq!(summary.input, "alarm", "{shape}");
        let m = f.only_message().await;
        assert_eq!(
            m.subject,
            format!("[CRITICAL] Drift alarm on {}: age", f.endpoint),
            "{shape}"
        );
        assert!(
            m.message
                .contains(&format!("Monitoring schedule: {}-data-quality", f.endpoint)),
            "{shape}: {}",
            m.message
        );
        assert!(
            m.message
                .contains(" 1. age - baseline_drift_check - 0.4127 vs threshold 0.1 (4.1x)"),
            "{shape}: {}",
            m.message
        );
        assert!(
            m.message.contains(&format!(
                "Source: alarm {}-feature-drift-age (ALARM)",
                f.endpoint
            )),
            "{shape}: {}",
            m.message
        );
        assert!(
            m.message.contains(
                "Metric: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#metricsV2?graph=~(metrics~(~(~'aws*2fsagemaker*2fEndpoints*2fdata-metrics~'feature_baseline_drift_age~'Endpoint~'"
            ),
            "{shape}: {}",
            m.message
        );
        assert_eq!(m.attributes["endpoint"], f.endpoint, "{shape}");
        assert_eq!(m.attributes["severity"], "critical", "{shape}");
        assert_eq!(check_types(&m), ["baseline_drift_check"], "{shape}");
    }
}

#[tokio::test]
async fn math_alarm_over_two_drift_metrics_names_every_feature() {
    let f = Fixture::new().await;
    let mut event = f.event("cloudwatch-alarm-drift-eventbridge.json");
    let metrics = &mut event["detail"]["configuration"]["metrics"];
    let mut age = metrics[0].clone();
    age["returnData"] = json!(false);
    let mut income = age.clone();
    income["id"] = json!("m2");
    income["metricStat"]["metric"]["name"] = json!("feature_baseline_drift_income");
    *metrics = json!([
        {"id": "e1", "expression": "MAX([m1,m2])", "label": "max drift", "returnData": true},
        age,
        income
    ]);
    let summary = f.handle(event).await.unwrap();
    assert_eq!(summary.findings.len(), 1, "{summary:?}");
    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "[CRITICAL] Drift alarm on {}: expression over 2 metrics: age, income",
            f.endpoint
        )
    );
    assert!(
        m.message.contains(
            " 1. expression over 2 metrics: age, income - baseline_drift_check - 0.4127 vs \
             threshold 0.1 (4.1x) [critical]"
        ),
        "{}",
        m.message
    );
    assert!(
        m.message.contains(
            "metric-math expression over feature_baseline_drift_age, \
             feature_baseline_drift_income"
        ),
        "{}",
        m.message
    );
    assert!(!m.message.contains(" 1. age - "), "{}", m.message);
    assert_eq!(m.attributes["endpoint"], f.endpoint);
    assert_eq!(check_types(&m), ["baseline_drift_check"]);
}

#[tokio::test]
async fn drift_alarm_back_to_ok_sends_nothing_and_other_alarms_are_rejected() {
    let f = Fixture::new().await;
    let mut ok = f.event("cloudwatch-alarm-drift-eventbridge.json");
    ok["detail"]["state"]["value"] = json!("OK");
    let summary = f.handle(ok).await.unwrap();
    assert!(summary.findings.is_empty());
    assert!(summary.ignored.unwrap().contains("is OK"));

    // A drift alarm whose actions CloudWatch suppresses (a maintenance window): no page either.
    let mut suppressed = f.event("cloudwatch-alarm-drift-eventbridge.json");
    suppressed["detail"]["state"]["actionsSuppressedBy"] = json!("ExtensionPeriod");
    suppressed["detail"]["configuration"]["actionsSuppressor"] = json!("maintenance-window");
    let summary = f.handle(suppressed).await.unwrap();
    assert!(summary.findings.is_empty());
    let ignored = summary.ignored.unwrap();
    assert!(
        ignored.contains("(ExtensionPeriod, suppressor alarm maintenance-window)"),
        "{ignored}"
    );

    let err = f
        .handle(f.event("cloudwatch-alarm-latency-eventbridge.json"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
    assert!(
        err.to_string().contains("reads no Model Monitor metric"),
        "{err}"
    );
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn custom_event() {
    let f = Fixture::new().await;
    let summary = f.handle(f.event("custom-drift-event.json")).await.unwrap();
    assert_eq!(summary.input, "custom");
    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "Drift on {}: 2 violations (basket_value, country)",
            f.endpoint
        )
    );
    for line in [
        " 1. basket_value - psi - 0.34 vs threshold 0.2 (1.7x) [high]".to_owned(),
        " 2. country - categorical_values_check - 0.07 vs threshold 0.05 (1.4x) [high]".to_owned(),
        format!("Monitoring schedule: {}-nightly-psi", f.endpoint),
        "Source: custom event from custom.sagemaker.drift".to_owned(),
        "Detected: 2026-11-28T14:00:00Z".to_owned(),
        format!(
            "Report: s3://{}-monitoring/custom/psi/2026-11-28/report.json",
            f.endpoint
        ),
        "~'RankerDrift~'psi_basket_value~'Endpoint~'".to_owned(),
    ] {
        assert!(
            m.message.contains(&line),
            "{line:?} missing from\n{}",
            m.message
        );
    }
    assert_eq!(m.attributes["severity"], "high");
    assert_eq!(check_types(&m), ["categorical_values_check", "psi"]);
}

#[tokio::test]
async fn fifo_topic_gets_a_deduplication_id_from_the_event() {
    let f = Fixture::fifo().await;
    f.put_sample_violations().await;
    // The same job event delivered twice (a retry, a duplicate delivery) pages once.
    f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap();
    let mut again = f.event(VIOLATIONS_EVENT);
    again["id"] = json!("another-delivery-of-the-same-state-change");
    f.handle(again).await.unwrap();
    let messages = f.moto.published(&f.inbox).await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let m = &messages[0];
    assert_eq!(m.attributes["finding_id"], format!("job:{JOB}:Completed"));
    assert_eq!(
        m.dedup_id.as_deref(),
        Some(format!("job:{JOB}:Completed").as_str())
    );
    assert_eq!(m.group_id.as_deref(), Some(f.endpoint.as_str()));

    // A different finding on the same topic is not swallowed.
    f.handle(f.event("cloudwatch-alarm-drift-eventbridge.json"))
        .await
        .unwrap();
    let messages = f.moto.published(&f.inbox).await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(
        messages[0].dedup_id.as_deref(),
        Some(
            format!(
                "alarm:{}-feature-drift-age:ALARM@2026-11-28T13:10:00.412Z",
                f.endpoint
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn missing_violations_file_is_a_clear_error() {
    let f = Fixture::new().await;
    // The bucket exists, the file does not.
    f.moto
        .put_object(&f.bucket(), "other/file.json", b"{}".to_vec())
        .await
        .unwrap();
    let err = f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.NotFound", "{err}");
    assert!(
        err.to_string().contains(&format!(
            "s3://{}/{}: the monitoring job reported violations but the violations file does not exist",
            f.bucket(),
            f.violations_key()
        )),
        "{err}"
    );
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn malformed_violations_file_is_a_clear_error() {
    let f = Fixture::new().await;
    f.put_violations(br#"{"violations": [{"feature_name": "age"}]}"#.to_vec())
        .await;
    let err = f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidEvent", "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "s3://{}/{} is not a Model Monitor constraint_violations.json",
            f.bucket(),
            f.violations_key()
        )),
        "{text}"
    );
    assert!(
        text.contains("violations[0]: missing field `constraint_check_type`"),
        "{text}"
    );
    f.put_violations(b"not json".to_vec()).await;
    let err = f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("is not a Model Monitor constraint_violations.json"),
        "{err}"
    );
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn unknown_shapes_are_rejected_naming_the_field() {
    let f = Fixture::new().await;
    for (event, expected) in [
        (
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
            "detail-type is \"Scheduled Event\"",
        ),
        (json!({"endpoint": "x"}), "no `detail-type`"),
        (
            json!({"detail-type": "SageMaker Processing Job State Change", "detail": {"ProcessingJobName": "j"}}),
            "detail: missing field `ProcessingJobStatus`",
        ),
    ] {
        let err = f.handle(event).await.unwrap_err();
        assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
        assert!(err.to_string().contains(expected), "{err}");
    }
    let mut custom = f.event("custom-drift-event.json");
    custom["detail"]["features"][1]["value"] = json!("high");
    let err = f.handle(custom).await.unwrap_err();
    assert!(
        err.to_string().contains("detail.features[1].value"),
        "{err}"
    );
    assert!(f.published().await.is_empty());
}

#[tokio::test]
async fn missing_topic_variable_stops_the_function_at_start() {
    let err = Config::from_lookup(&|_| None).unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidConfig");
    assert!(
        err.to_string().contains("NOTIFY_TOPIC_ARN is not set"),
        "{err}"
    );
    let err = Config::from_lookup(&|name| (name == "NOTIFY_TOPIC_ARN").then(|| "  ".to_owned()))
        .unwrap_err();
    assert!(err.to_string().contains("NOTIFY_TOPIC_ARN"), "{err}");

    // The binary refuses to start, naming the variable, before it serves any event.
    let out = tokio::process::Command::new(function_binary("drift-notify"))
        .env_remove("NOTIFY_TOPIC_ARN")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(output.contains("NOTIFY_TOPIC_ARN is not set"), "{output}");
}

#[tokio::test]
async fn the_binary_under_the_lambda_runtime_emulator() {
    let f = Fixture::new().await;
    f.put_sample_violations().await;
    let mut runtime = LocalRuntime::start(
        &function_binary("drift-notify"),
        &[("NOTIFY_TOPIC_ARN", f.inbox.topic_arn.clone())],
    )
    .await
    .unwrap();
    let response = runtime.invoke(&f.event(VIOLATIONS_EVENT)).await.unwrap();
    let ignored = runtime
        .invoke(&f.event("sagemaker-processing-job-not-monitoring.json"))
        .await
        .unwrap();
    let broken = runtime.invoke(&json!({"hello": "world"})).await.unwrap();
    runtime.stop().await;

    assert_eq!(response["function"], "drift-notify", "{response}");
    assert_eq!(
        response["findings"][0]["severity"], "critical",
        "{response}"
    );
    assert_eq!(response["findings"][0]["violations"], 4, "{response}");
    assert!(
        ignored["findings"].as_array().unwrap().is_empty(),
        "{ignored}"
    );
    assert!(
        ignored["ignored"]
            .as_str()
            .unwrap()
            .contains("not a monitoring job"),
        "{ignored}"
    );
    let error = broken["error"].as_str().unwrap_or_default();
    assert!(error.contains("NonRetryable.InvalidEvent"), "{broken}");

    let m = f.only_message().await;
    assert!(
        m.subject
            .starts_with(&format!("[CRITICAL] Drift on {}: 4 violations", f.endpoint)),
        "{}",
        m.subject
    );
    assert_eq!(m.attributes["function"], "drift-notify");
}

// ---- messages that never mislead ----

/// The custom sample with its features replaced.
fn custom_with(f: &Fixture, features: Value) -> Value {
    let mut event = f.event("custom-drift-event.json");
    event["detail"]["features"] = features;
    event
}

#[tokio::test]
async fn a_quality_collapse_pages_as_critical_and_ranks_first() {
    let f = Fixture::new().await;
    f.put_violations(
        br#"{"violations": [
            {"metric_name": "precision", "constraint_check_type": "LessThanThreshold",
             "description": "Metric precision with 0.69 was LessThanThreshold '0.7'"},
            {"metric_name": "f1", "constraint_check_type": "LessThanThreshold",
             "description": "Metric f1 with 0.05 was LessThanThreshold '0.7'"}
        ]}"#
        .to_vec(),
    )
    .await;
    f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap();
    let m = f.only_message().await;
    assert_eq!(m.attributes["severity"], "critical", "{}", m.message);
    assert!(
        m.message.contains(
            " 1. f1 - LessThanThreshold - 0.05 vs threshold 0.7 (14.0x below) [critical]"
        ),
        "{}",
        m.message
    );
    assert!(
        m.subject.starts_with(&format!(
            "[CRITICAL] Drift on {}: 2 violations (f1, precision)",
            f.endpoint
        )),
        "{}",
        m.subject
    );
}

#[tokio::test]
async fn scientific_notation_is_read_as_written() {
    let f = Fixture::new().await;
    f.put_violations(
        br#"{"violations": [{"feature_name": "age", "constraint_check_type": "baseline_drift_check",
             "description": "Numerical distance: 2.0E-4 exceeds numerical threshold: 0.1"},
            {"feature_name": "zip", "constraint_check_type": "baseline_drift_check",
             "description": "Numerical distance: 0.2 exceeds numerical threshold: 5.0E-4"}]}"#
            .to_vec(),
    )
    .await;
    f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap();
    let m = f.only_message().await;
    for line in [
        " 1. zip - baseline_drift_check - 0.2 vs threshold 0.0005 (400.0x) [critical]",
        " 2. age - baseline_drift_check - 0.0002 vs threshold 0.1 (0.0x) [high]",
    ] {
        assert!(
            m.message.contains(line),
            "{line:?} missing from\n{}",
            m.message
        );
    }
}

#[tokio::test]
async fn distinct_custom_finding_ids_are_distinct_messages_on_a_fifo_topic() {
    let f = Fixture::fifo().await;
    for id in ["r\u{e9}-1 2", "r-12", "r-12"] {
        let mut event = f.event("custom-drift-event.json");
        event["detail"]["finding_id"] = json!(id);
        f.handle(event).await.unwrap();
    }
    let messages = f.published().await;
    let ids: Vec<Option<&str>> = messages.iter().map(|m| m.dedup_id.as_deref()).collect();
    assert_eq!(
        ids,
        [
            Some(format!("custom:{}:r%C3%A9-1%202", f.endpoint).as_str()),
            Some(format!("custom:{}:r-12", f.endpoint).as_str()),
        ],
        "two findings, two messages; the repeat of r-12 is deduplicated"
    );
    assert_eq!(
        messages[0].attributes["finding_id"],
        format!("custom:{}:r\u{e9}-1 2", f.endpoint)
    );
}

#[tokio::test]
async fn non_ascii_feature_names_never_vanish_from_the_subject() {
    let f = Fixture::new().await;
    let feature =
        |name: &str| json!({"name": name, "check_type": "psi", "value": 0.5, "threshold": 0.1});
    let event = custom_with(
        &f,
        json!([
            feature("\u{5e74}\u{9f62}"),
            feature("\u{53ce}\u{5165}"),
            feature("\u{e2}ge")
        ]),
    );
    f.handle(event).await.unwrap();
    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "[CRITICAL] Drift on {}: 3 violations (age +2 more)",
            f.endpoint
        )
    );
    assert!(
        m.message.contains("\u{5e74}\u{9f62} - psi"),
        "{}",
        m.message
    );
}

#[tokio::test]
async fn violations_announced_but_none_listed_sends_a_warning() {
    let f = Fixture::new().await;
    f.put_violations(br#"{"violations": []}"#.to_vec()).await;
    let summary = f.handle(f.event(VIOLATIONS_EVENT)).await.unwrap();
    assert_eq!(summary.ignored, None, "{summary:?}");
    assert_eq!(summary.findings[0].severity, "warning", "{summary:?}");
    let m = f.only_message().await;
    assert_eq!(
        m.subject,
        format!(
            "Model Monitor reported violations on {} but listed none",
            f.endpoint
        )
    );
    assert_eq!(m.attributes["kind"], "inconsistent");
    f.assert_links_the_violations_file(&m);
}

#[tokio::test]
async fn the_result_output_is_read_not_the_logs() {
    let f = Fixture::new().await;
    f.put_sample_violations().await;
    let mut event = f.event(VIOLATIONS_EVENT);
    let result = event["detail"]["ProcessingOutputConfig"]["Outputs"][0].clone();
    let mut logs = result.clone();
    logs["S3Output"]["S3Uri"] = json!(format!("s3://{}/logs", f.bucket()));
    logs["S3Output"]["LocalPath"] = json!("/opt/ml/processing/logs");
    event["detail"]["ProcessingOutputConfig"]["Outputs"] = json!([logs, result]);
    event["detail"]["Environment"]["output_path"] = json!("/opt/ml/processing/resultdata/");
    let summary = f.handle(event).await.unwrap();
    assert_eq!(summary.findings[0].violations, 4, "{summary:?}");
    let m = f.only_message().await;
    f.assert_links_the_violations_file(&m);
}

#[tokio::test]
async fn a_report_link_outside_s3_is_refused() {
    let f = Fixture::new().await;
    let mut event = f.event("custom-drift-event.json");
    event["detail"]["report_uri"] = json!("https://evil.example/x");
    let err = f.handle(event).await.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.InvalidEvent");
    assert!(
        err.to_string().contains(
            "detail.report_uri: \"https://evil.example/x\" is not an s3://bucket/key URI"
        ),
        "{err}"
    );
    assert!(f.published().await.is_empty());
}
