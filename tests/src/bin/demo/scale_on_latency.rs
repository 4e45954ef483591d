//! Demo scenario: a latency alarm fires and clears.

use integration_tests::{function_binary, LocalRuntime, Moto, Result};

use crate::{invoke, AUDIT_TOPIC, ENDPOINT, VARIANT};

pub async fn run(moto: &Moto) -> Result<()> {
    println!("== scale-on-latency: endpoint {ENDPOINT}, variant {VARIANT} (MinCapacity 2, MaxCapacity 20)");
    let mut runtime = LocalRuntime::start(
        &function_binary("scale-on-latency"),
        &[
            ("ALLOWED_ENDPOINTS", "prod-*".to_owned()),
            ("NOTIFY_TOPIC_ARN", AUDIT_TOPIC.to_owned()),
            ("LOCK_TABLE", integration_tests::LOCK_TABLE.to_owned()),
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
