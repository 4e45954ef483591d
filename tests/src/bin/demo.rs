//! `make demo`: the functions under cargo-lambda's Runtime API emulator against a local moto
//! server, printing what happened to capacity and what was published.

use std::process::ExitCode;

use integration_tests::{function_binary, workspace, LocalRuntime, Moto, Published, Result};
use serde_json::Value;

const ENDPOINT: &str = "prod-ranker";
const VARIANT: &str = "AllTraffic";

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
    let inbox = moto.inbox("remediation-audit").await?;
    scale_on_latency(&moto).await?;
    print_messages(&moto.published(&inbox).await?);
    Ok(())
}

async fn scale_on_latency(moto: &Moto) -> Result<()> {
    println!("== scale-on-latency: endpoint {ENDPOINT}, variant {VARIANT} (MinCapacity 2, MaxCapacity 20)");
    let mut runtime = LocalRuntime::start(
        &function_binary("scale-on-latency"),
        &[
            ("ALLOWED_ENDPOINTS", "prod-*".to_owned()),
            (
                "NOTIFY_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:remediation-audit".to_owned(),
            ),
        ],
    )
    .await?;
    let before = moto.capacity(ENDPOINT, VARIANT).await?.0;
    println!("  MinCapacity before:           {before}");
    let alarm = invoke(&mut runtime, "cloudwatch-alarm-latency-eventbridge.json").await?;
    let raised = moto.capacity(ENDPOINT, VARIANT).await?.0;
    println!("  MinCapacity after the alarm:  {raised}");
    let ok = invoke(&mut runtime, "cloudwatch-alarm-latency-ok-eventbridge.json").await?;
    let restored = moto.capacity(ENDPOINT, VARIANT).await?.0;
    println!("  MinCapacity after recovery:   {restored}\n");
    runtime.stop().await;
    if (before, raised, restored) != (2, 4, 2) {
        return Err(format!(
            "expected MinCapacity 2 -> 4 -> 2, got {before} -> {raised} -> {restored}\nALARM: {alarm}\nOK: {ok}"
        )
        .into());
    }
    Ok(())
}

/// `cargo lambda invoke --data-file events/<file>` and a one-line account of the answer.
async fn invoke(runtime: &mut LocalRuntime, file: &str) -> Result<Value> {
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
