//! Demo scenario: a gaming promotion. MinCapacity 2 -> 10 fifteen minutes before a two-hour
//! event, a readiness check at the start, back to 2 afterwards.

use integration_tests::{function_binary, workspace, LocalRuntime, Moto, Result};
use serde_json::Value;

use crate::{AUDIT_TOPIC, ENDPOINT, VARIANT};

pub async fn run(moto: &Moto) -> Result<()> {
    println!("== prewarm: a two-hour promotion on {ENDPOINT}/{VARIANT}, 10 instances from 15 minutes before");
    let mut runtime = LocalRuntime::start(
        &function_binary("prewarm"),
        &[
            ("ALLOWED_ENDPOINTS", "prod-*".to_owned()),
            ("NOTIFY_TOPIC_ARN", AUDIT_TOPIC.to_owned()),
            ("LOCK_TABLE", integration_tests::LOCK_TABLE.to_owned()),
        ],
    )
    .await?;
    let result = timeline(moto, &mut runtime).await;
    runtime.stop().await;
    result
}

async fn timeline(moto: &Moto, runtime: &mut LocalRuntime) -> Result<()> {
    let before = moto.capacity(ENDPOINT, VARIANT).await?.0;
    println!("  MinCapacity before:                 {before}");

    // The sample holds for 2h15m from the moment it arrives (`"for"`), so it is used as it is.
    let raised = invoke(runtime, "prewarm-raise.json").await?;
    println!(
        "  T-15m raise    cargo lambda invoke --data-file events/prewarm-raise.json (for 2h15m)"
    );
    print_results(&raised);
    let held = moto.capacity(ENDPOINT, VARIANT).await?.0;
    println!("                 MinCapacity now {held}");

    let verified = invoke(runtime, "prewarm-verify.json").await?;
    println!("  T+0   verify   cargo lambda invoke --data-file events/prewarm-verify.json");
    let readiness = &verified["readiness"];
    println!(
        "                 {} (endpoint {})",
        readiness["verdict"].as_str().unwrap_or("?"),
        readiness["status"].as_str().unwrap_or("?")
    );
    for v in readiness["variants"].as_array().into_iter().flatten() {
        println!(
            "                 {}: current {} instances, desired {}, required {} (moto does not start instances)",
            v["variant"].as_str().unwrap_or("?"),
            v["current_instances"],
            v["desired_instances"],
            v["required"]
        );
    }

    let restored = invoke(runtime, "prewarm-restore.json").await?;
    println!("  T+2h  restore  cargo lambda invoke --data-file events/prewarm-restore.json");
    print_results(&restored);
    let after = moto.capacity(ENDPOINT, VARIANT).await?.0;
    println!("  MinCapacity after the promotion:    {after}\n");

    if (before, held, after) != (2, 10, 2) || readiness["verdict"] != "NOT READY" {
        return Err(format!(
            "expected MinCapacity 2 -> 10 -> 2 and NOT READY, got {before} -> {held} -> {after}\n\
             raise: {raised}\nverify: {verified}\nrestore: {restored}"
        )
        .into());
    }
    Ok(())
}

async fn invoke(runtime: &mut LocalRuntime, file: &str) -> Result<Value> {
    runtime
        .invoke_file(&workspace().join("events").join(file))
        .await
}

fn print_results(response: &Value) {
    for r in response["results"].as_array().into_iter().flatten() {
        println!(
            "                 {}: {} {} -> {} ({})",
            r["variant"].as_str().unwrap_or("*"),
            r["action"].as_str().unwrap_or("?"),
            r["old_min"],
            r["new_min"],
            r["reason"].as_str().unwrap_or("")
        );
    }
    if let Some(error) = response["error"].as_str() {
        println!("                 error: {error}");
    }
}
