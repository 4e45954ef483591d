//! The race that used to lose a pre-warm, through the real binaries: prewarm and
//! scale-on-latency each under cargo-lambda's Runtime API emulator (two Lambda functions),
//! against moto. A variant has a latency hold at 4 (baseline 2); at the same moment prewarm
//! raises it for `promo` to 10 and scale-on-latency handles that alarm's OK. Whatever the
//! order, the variant must end at 10 with the pre-warm's hold and without the alarm's.
//! Every round uses a new endpoint, so each starts from the same state.

use aws_sdk_cloudwatch::types::StateValue;
use integration_tests::{function_binary, sample_event, unique, LocalRuntime, Moto, LOCK_TABLE};
use serde_json::Value;

const ROUNDS: usize = 20;
const VARIANT: &str = "AllTraffic";

fn ok(result: &Value, what: &str) -> String {
    assert!(result.get("error").is_none(), "{what}: {result}");
    result.to_string()
}

#[tokio::test]
async fn a_pre_warm_and_a_latency_ok_at_once_never_lose_the_pre_warm() {
    let moto = Moto::connect().await;
    let inbox = moto.inbox(&unique("race-audit")).await.unwrap();
    let prefix = unique("race");
    let env = |extra: &[(&'static str, &str)]| {
        let mut env = vec![
            ("ALLOWED_ENDPOINTS", format!("{prefix}-*")),
            ("NOTIFY_TOPIC_ARN", inbox.topic_arn.clone()),
            ("LOCK_TABLE", LOCK_TABLE.to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        env
    };
    let mut prewarm = LocalRuntime::start(&function_binary("prewarm"), &env(&[]))
        .await
        .unwrap();
    let mut latency = LocalRuntime::start(
        &function_binary("scale-on-latency"),
        &env(&[("SCALE_COOLDOWN_SECONDS", "0")]),
    )
    .await
    .unwrap();
    let mut orders = std::collections::BTreeMap::new();
    for round in 0..ROUNDS {
        let endpoint = format!("{prefix}-{round}");
        moto.create_endpoint(&endpoint, &[VARIANT]).await.unwrap();
        moto.register_target(&endpoint, VARIANT, 2, 20)
            .await
            .unwrap();
        // The sample ALARM is days old: it raises because its alarm still fires.
        moto.alarm_in(
            &integration_tests::sample_alarm(&endpoint),
            StateValue::Alarm,
        )
        .await
        .unwrap();
        let raised = latency
            .invoke(&sample_event(
                "cloudwatch-alarm-latency-eventbridge.json",
                &endpoint,
            ))
            .await
            .unwrap();
        ok(&raised, "the latency raise");
        assert_eq!(moto.capacity(&endpoint, VARIANT).await.unwrap().0, 4);
        let promo = sample_event("prewarm-raise.json", &endpoint);
        let clear = sample_event("cloudwatch-alarm-latency-ok-eventbridge.json", &endpoint);
        let (pre, lat) = tokio::join!(prewarm.invoke(&promo), latency.invoke(&clear));
        let (pre, lat) = (pre.unwrap(), lat.unwrap());
        ok(&pre, "the pre-warm");
        ok(&lat, "the latency OK");
        let min = moto.capacity(&endpoint, VARIANT).await.unwrap().0;
        let tags = moto.tags(&endpoint).await.unwrap();
        assert_eq!(min, 10, "round {round}: {tags:?}\n{pre}\n{lat}");
        assert!(
            tags.keys().any(|k| k.ends_with(":hold:event.promo")),
            "round {round}: the pre-warm's hold is gone: {tags:?}"
        );
        assert!(
            !tags.keys().any(|k| k.contains(":hold:alarm.")),
            "round {round}: the alarm's hold is left: {tags:?}"
        );
        // Which decision took the lease first: the OK restores to the baseline (2) before the
        // pre-warm raises, or finds the pre-warm's hold and leaves 10.
        let order = match lat["alarms"][0]["results"][0]["new_min"].as_u64() {
            Some(2) => "OK first",
            Some(10) => "pre-warm first",
            other => panic!("round {round}: the OK left {other:?}: {lat}"),
        };
        *orders.entry(order).or_insert(0) += 1;
    }
    println!("{ROUNDS} rounds: {orders:?}");
    prewarm.stop().await;
    latency.stop().await;
}
