//! The tag budget against moto (whose AddTags, through scripts/moto-server.py, applies
//! SageMaker's limit of 50 user tags): a hold that does not fit is refused with nothing
//! written, this project's expired holds make room first, and a nearly full endpoint is
//! announced in the audit message.

use std::collections::BTreeMap;

use chrono::Utc;
use integration_tests::{expired_hold, sample_event, EndpointFixture};
use remediation::entry::Handler;
use remediation::holds::{baseline_key, event_reason, hold_key};
use remediation::Error;
use scale_on_latency::{App, Config};

const VARIANT: &str = "AllTraffic";
const ALARM: &str = "cloudwatch-alarm-latency-eventbridge.json";

/// An endpoint at MinCapacity 2 carrying `team` tags of its own.
async fn fixture(team: usize) -> EndpointFixture {
    let f = EndpointFixture::new("budget", &[VARIANT], 2, 20).await;
    let tags: Vec<(String, String)> = (0..team)
        .map(|i| (format!("team:tag-{i:02}"), "x".to_owned()))
        .collect();
    let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    f.moto.put_tags(&f.endpoint, &pairs).await.unwrap();
    f
}

fn app(f: &EndpointFixture) -> App {
    let env = f.env(&f.endpoint, &[]);
    App::new(
        &f.moto.sdk,
        Config::from_lookup(&|name| env.get(name).cloned()).unwrap(),
    )
}

async fn state(f: &EndpointFixture) -> (i32, BTreeMap<String, String>) {
    (
        f.moto.capacity(&f.endpoint, VARIANT).await.unwrap().0,
        f.moto.tags(&f.endpoint).await.unwrap(),
    )
}

#[tokio::test]
async fn the_emulator_refuses_a_fifty_first_tag_as_sagemaker_does() {
    let f = fixture(50).await;
    let err = f
        .moto
        .put_tags(&f.endpoint, &[("one", "more")])
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("ValidationException"),
        "{err:?}"
    );
    assert_eq!(f.moto.tags(&f.endpoint).await.unwrap().len(), 50);
}

#[tokio::test]
async fn a_hold_that_does_not_fit_is_refused_and_nothing_is_written() {
    // 49 of the team's tags: the raise needs its hold and the baseline, 51 in all.
    let f = fixture(49).await;
    let before = state(&f).await;
    let err = app(&f)
        .handle(sample_event(ALARM, &f.endpoint), Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    assert_eq!(err.error_type(), "NonRetryable.Refused");
    assert!(
        err.to_string().contains("carries 49 of the 50 tags") && err.to_string().contains("51"),
        "{err}"
    );
    assert_eq!(state(&f).await, before);
    let messages = f.moto.published(&f.inbox).await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(
        messages[0].subject.starts_with("Refused"),
        "{}",
        messages[0].subject
    );
}

#[tokio::test]
async fn an_expired_hold_makes_room_and_a_full_endpoint_is_announced() {
    // 48 team tags, this project's baseline and an expired pre-warm hold: 50, the limit.
    let f = fixture(48).await;
    let now = Utc::now();
    let expired = expired_hold(6, now);
    let expired_key = hold_key(VARIANT, &event_reason(VARIANT, "launch"));
    f.moto
        .put_tags(
            &f.endpoint,
            &[
                (baseline_key(VARIANT).as_str(), "2"),
                (expired_key.as_str(), expired.encode().as_str()),
            ],
        )
        .await
        .unwrap();
    let summary = app(&f)
        .handle(sample_event(ALARM, &f.endpoint), now)
        .await
        .unwrap();
    let result = &summary.alarms[0].results[0];
    assert_eq!(result.new_min, Some(4), "{result:?}");
    assert!(
        result.reason.contains("0 of 50 tag slots left"),
        "{}",
        result.reason
    );
    let (min, tags) = state(&f).await;
    assert_eq!(min, 4);
    assert_eq!(tags.len(), 50, "{tags:?}");
    assert!(!tags.contains_key(&expired_key));
    let messages = f.moto.published(&f.inbox).await.unwrap();
    assert!(
        messages[0].message.contains("0 of 50 tag slots left"),
        "{}",
        messages[0].message
    );
}
