//! Demo scenario: a Model Monitor job completes with violations; drift-notify reads the
//! violations file from S3 and publishes one message.

use integration_tests::{function_binary, workspace, LocalRuntime, Moto, Result};

use crate::{AUDIT_TOPIC, ENDPOINT};

const EVENT: &str = "sagemaker-processing-job-monitoring-violations.json";
const BUCKET: &str = "prod-ranker-monitoring";
const KEY: &str =
    "reports/prod-ranker/prod-ranker-data-quality/2026/11/28/13/constraint_violations.json";

pub async fn run(moto: &Moto) -> Result<()> {
    println!("== drift-notify: Model Monitor found violations on {ENDPOINT}");
    let fixture = workspace().join("events/fixtures/constraint_violations.json");
    moto.put_object(BUCKET, KEY, std::fs::read(&fixture)?)
        .await?;
    println!(
        "  violations file:  s3://{BUCKET}/{KEY} (from events/fixtures/constraint_violations.json)"
    );
    let mut runtime = LocalRuntime::start(
        &function_binary("drift-notify"),
        &[("NOTIFY_TOPIC_ARN", AUDIT_TOPIC.to_owned())],
    )
    .await?;
    let response = runtime
        .invoke_file(&workspace().join("events").join(EVENT))
        .await;
    runtime.stop().await;
    let response = response?;
    println!("  -> cargo lambda invoke --data-file events/{EVENT}");
    if let Some(error) = response["error"].as_str() {
        return Err(format!("drift-notify failed: {error}").into());
    }
    let findings = response["findings"].as_array().cloned().unwrap_or_default();
    for finding in &findings {
        println!(
            "     published ({} severity, {} violations): {}",
            finding["severity"].as_str().unwrap_or("?"),
            finding["violations"],
            finding["subject"].as_str().unwrap_or("")
        );
    }
    println!();
    if findings.len() != 1 {
        return Err(format!("expected one drift message, got {response}").into());
    }
    Ok(())
}
