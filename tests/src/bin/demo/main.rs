//! `make demo`: the functions under cargo-lambda's Runtime API emulator against a local moto
//! server, printing what happened to capacity and what was published.

use std::process::ExitCode;

mod drift_notify;
mod prewarm;
mod scale_on_latency;

use integration_tests::{workspace, LocalRuntime, Moto, Published, Result};
use serde_json::Value;

/// The endpoint the sample events name.
pub const ENDPOINT: &str = "prod-ranker";
pub const VARIANT: &str = "AllTraffic";
/// The audit topic every scenario publishes to.
pub const AUDIT_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:remediation-audit";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("demo failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let moto = Moto::connect().await;
    println!(
        "SageMaker endpoint remediation demo\n  AWS: moto at {}\n  Lambda: cargo lambda watch (Runtime API emulator), functions built from this workspace\n",
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_default()
    );
    moto.create_endpoint(ENDPOINT, &[VARIANT]).await?;
    moto.register_target(ENDPOINT, VARIANT, 2, 20).await?;
    // The sample ALARM is days old: it raises because its alarm is in ALARM now.
    moto.alarm_in(
        &integration_tests::sample_alarm(ENDPOINT),
        aws_sdk_cloudwatch::types::StateValue::Alarm,
    )
    .await?;
    let inbox = moto.inbox("remediation-audit").await?;
    // Each scenario runs one function under the emulator; later scenarios add theirs here.
    scale_on_latency::run(&moto).await?;
    prewarm::run(&moto).await?;
    drift_notify::run(&moto).await?;
    print_messages(&moto.published(&inbox).await?);
    Ok(())
}

/// `cargo lambda invoke --data-file events/<file>` and a one-line account of the answer.
pub async fn invoke(runtime: &mut LocalRuntime, file: &str) -> Result<Value> {
    let response = runtime
        .invoke_file(&workspace().join("events").join(file))
        .await?;
    println!("  -> cargo lambda invoke --data-file events/{file}");
    for alarm in response["alarms"].as_array().into_iter().flatten() {
        for r in alarm["results"].as_array().into_iter().flatten() {
            println!(
                "     {} {}: {} {} -> {} ({})",
                alarm["state"].as_str().unwrap_or("?"),
                r["variant"].as_str().unwrap_or("*"),
                r["action"].as_str().unwrap_or("?"),
                r["old_min"],
                r["new_min"],
                r["reason"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(error) = response["error"].as_str() {
        println!("     error: {error}");
    }
    Ok(response)
}

fn print_messages(messages: &[Published]) {
    println!(
        "== SNS messages published to remediation-audit ({})",
        messages.len()
    );
    for (i, m) in messages.iter().enumerate() {
        println!("  [{}] Subject: {}", i + 1, m.subject);
        for line in m.message.lines().filter(|l| !l.is_empty()) {
            println!("      {line}");
        }
        let attributes: Vec<String> = m
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!("      attributes: {}", attributes.join(" "));
    }
}
