//! The remediation path (`Remediator` over the real `CapacityClient`) with its SDK clients
//! answered by `aws-smithy-mocks` rules: no emulator, no network, no sleeps. Each test checks
//! the outcome and which AWS calls were made, as the rules count them.
//!
//! Every SageMaker, Application Auto Scaling and DynamoDB operation the path may call has a
//! rule; a call to any other operation finds none and panics (the interceptor must match), so
//! it fails the test. SDK retries are off: one count is one request. SNS is reached through an
//! `SdkConfig` (`Notifier::new` takes one), so Publish is answered by an HTTP client function
//! that logs it (`aws-smithy-mocks` turns on the `test-util` feature that provides it).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
use aws_sdk_applicationautoscaling::operation::register_scalable_target::RegisterScalableTargetOutput;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ScalableTarget, ServiceNamespace};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::operation::add_tags::AddTagsOutput;
use aws_sdk_sagemaker::operation::delete_tags::DeleteTagsOutput;
use aws_sdk_sagemaker::operation::list_tags::ListTagsOutput;
use aws_sdk_sagemaker::types::Tag;
use aws_smithy_mocks::{mock, MockResponse, MockResponseInterceptor, Rule, RuleMode};
use chrono::{DateTime, Utc};
use remediation::audit::{Notifier, Outcome};
use remediation::capacity::{CapacityClient, Endpoint, Variant};
use remediation::config::CommonConfig;
use remediation::decide::{Action, AlarmChange, Change, EventHold, ScalePolicy};
use remediation::holds::{alarm_reason, baseline_key, event_reason, hold_key, Hold};
use remediation::record::Record;
use remediation::remediate::{Remediator, Report};
use remediation::Error;

const ENDPOINT: &str = "prod-ranker";
const ARN: &str = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod-ranker";
const V: &str = "AllTraffic";
const RESOURCE_ID: &str = "endpoint/prod-ranker/variant/AllTraffic";
const TABLE: &str = "remediation-leases";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:remediation-audit";
const POLICY: ScalePolicy = ScalePolicy {
    step: 2,
    ceiling: None,
    cooldown: Duration::ZERO,
    hold_for: Duration::from_secs(3 * 3600),
};

/// An SDK client of crate `$sdk` whose every call is answered by `$rules` (named rules).
macro_rules! mocked {
    ($sdk:ident, $rules:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new("us-east-1"))
                .credentials_provider($sdk::config::Credentials::new("k", "s", None, None, "t"))
                .retry_config($sdk::config::retry::RetryConfig::disabled())
                .http_client(aws_smithy_mocks::create_mock_http_client())
                .interceptor($rules.iter().fold(
                    MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
                    |mocks, (_, rule)| mocks.with_rule(rule),
                ))
                .build(),
        )
    };
}

/// What AWS holds for the variant before the decision, and which call fails: an HTTP status,
/// 400 with the service's throttling code or 500.
#[derive(Debug, Clone, Default)]
struct Setup {
    /// (MinCapacity, MaxCapacity) of the scalable target; `None`: not registered.
    target: Option<(i32, i32)>,
    tags: Vec<(String, String)>,
    register_fault: Option<u16>,
    publish_fault: Option<u16>,
    /// The first release that stores a record fails with this status.
    release_fault: Option<u16>,
    dry_run: bool,
}

/// Calls made, by operation; only those made at least once.
type Calls = BTreeMap<String, usize>;
type Log = Arc<Mutex<Vec<String>>>;
type Item = Arc<Mutex<Option<String>>>;
/// A rule and its operation: `Acquire`, `Release` and `ReleaseNoRecord` are UpdateItem.
type Named = (&'static str, Rule);

/// The rules by operation, the lease item and the log of writes and publishes.
struct Aws {
    rules: Vec<Named>,
    /// The lease item's `record` (JSON), as the last release stored it.
    item: Item,
    /// "AddTags <keys>", "RegisterScalableTarget <min>..<max>", "DeleteTags <keys>",
    /// "Publish", in the order they were made.
    log: Log,
}

impl Aws {
    fn calls(&self) -> Calls {
        let rules = self
            .rules
            .iter()
            .map(|(op, r)| (op.to_string(), r.num_calls()));
        let published = self.writes().iter().filter(|w| *w == "Publish").count();
        let mut calls: Calls = rules.chain([("Publish".to_owned(), published)]).collect();
        calls.retain(|_, n| *n > 0);
        calls
    }

    fn writes(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn stored(&self) -> Option<Record> {
        self.item.lock().unwrap().as_deref().map(Record::from_json)
    }
}

/// The calls `made` names, one name per call.
fn calls(made: &str) -> Calls {
    let mut calls = Calls::new();
    for op in made.split_whitespace() {
        *calls.entry(op.to_owned()).or_default() += 1;
    }
    calls
}

/// What a decision that takes the lease reads before any write, and then `more`.
fn reads_and(more: &str) -> Calls {
    calls(&format!("ListTags DescribeScalableTargets Acquire {more}"))
}

fn now() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn endpoint() -> Endpoint {
    let variant = Variant {
        name: V.to_owned(),
        serverless: false,
        current_instances: Some(2),
        desired_instances: Some(2),
    };
    Endpoint {
        name: ENDPOINT.to_owned(),
        arn: ARN.to_owned(),
        status: "InService".to_owned(),
        variants: vec![variant],
        tags: BTreeMap::new(),
    }
}

fn fire() -> Change<'static> {
    Change::Alarm(AlarmChange {
        name: "latency-high",
        firing: true,
        at: Some(now()),
        trigger: Some("t-1"),
        policy: &POLICY,
        demand: None,
    })
}

/// The baseline tag at 2 and event `launch`'s hold at `min`, live for `hours` more (negative:
/// expired).
fn event_tags(min: u32, hours: i64) -> Vec<(String, String)> {
    let hold = Hold {
        min,
        until: now() + chrono::Duration::hours(hours),
        since: now() - chrono::Duration::hours(6),
        trigger: None,
        raise_max: false,
    };
    vec![
        (baseline_key(V), "2".to_owned()),
        (hold_key(V, &event_reason(V, "launch")), hold.encode()),
    ]
}

/// A Lambda-style environment: the allowlist `prod-*`, the audit topic and `DRY_RUN`.
fn common(dry_run: bool) -> CommonConfig {
    let env = move |name: &str| match name {
        "ALLOWED_ENDPOINTS" => Some("prod-*".to_owned()),
        "NOTIFY_TOPIC_ARN" => Some(TOPIC.to_owned()),
        "DRY_RUN" => Some(dry_run.to_string()),
        _ => None,
    };
    CommonConfig::from_lookup(&env).unwrap()
}

/// The path over mocked clients set up as `setup` says, and its rules.
fn mocked(setup: &Setup) -> (Remediator<CapacityClient>, Aws) {
    let (log, item) = (Log::default(), Item::default());
    let sagemaker = sagemaker_rules(&setup.tags, &log);
    let autoscaling = autoscaling_rules(setup, &log);
    let lease = lease_rules(&item, setup.release_fault);
    let store = CapacityClient::from_clients(
        mocked!(aws_sdk_sagemaker, sagemaker),
        mocked!(aws_sdk_applicationautoscaling, autoscaling),
        mocked!(aws_sdk_dynamodb, lease),
        TABLE,
    );
    let path = Remediator {
        store,
        notifier: notifier(setup.publish_fault, log.clone()),
        function: "path-mocks",
        common: common(setup.dry_run),
    };
    let rules = [&sagemaker[..], &autoscaling, &lease].concat();
    (path, Aws { rules, item, log })
}

/// ListTags answers `tags`; AddTags and DeleteTags succeed and log the keys they carried.
fn sagemaker_rules(tags: &[(String, String)], log: &Log) -> [Named; 3] {
    let tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let list_tags = mock!(aws_sdk_sagemaker::Client::list_tags)
        .match_requests(|r| r.resource_arn() == Some(ARN))
        .then_output(move || {
            ListTagsOutput::builder()
                .set_tags(Some(tags.clone()))
                .build()
        });
    let added = log.clone();
    let add_tags = mock!(aws_sdk_sagemaker::Client::add_tags)
        .match_requests(|r| r.resource_arn() == Some(ARN))
        .then_compute_output(move |r| {
            let keys: Vec<_> = r.tags().iter().filter_map(|t| t.key()).collect();
            note(&added, format!("AddTags {}", keys.join(" ")));
            AddTagsOutput::builder().build()
        });
    let deleted = log.clone();
    let delete_tags = mock!(aws_sdk_sagemaker::Client::delete_tags)
        .match_requests(|r| r.resource_arn() == Some(ARN))
        .then_compute_output(move |r| {
            note(&deleted, format!("DeleteTags {}", r.tag_keys().join(" ")));
            DeleteTagsOutput::builder().build()
        });
    [
        ("ListTags", list_tags),
        ("AddTags", add_tags),
        ("DeleteTags", delete_tags),
    ]
}

/// DescribeScalableTargets answers `setup.target`; RegisterScalableTarget logs what it was
/// asked and fails with `setup.register_fault`.
fn autoscaling_rules(setup: &Setup, log: &Log) -> [Named; 2] {
    let found = setup.target.map(|(min, max)| {
        ScalableTarget::builder()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(RESOURCE_ID)
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .min_capacity(min)
            .max_capacity(max)
            .role_arn("arn:aws:iam::123456789012:role/autoscaling")
            .creation_time(aws_sdk_applicationautoscaling::primitives::DateTime::from_secs(0))
            .build()
            .unwrap()
    });
    let describe = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .match_requests(|r| r.resource_ids() == [RESOURCE_ID])
        .then_output(move || {
            DescribeScalableTargetsOutput::builder()
                .set_scalable_targets(Some(found.iter().cloned().collect()))
                .build()
        });
    let (log, fault) = (log.clone(), setup.register_fault);
    let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .match_requests(|r| r.resource_id() == Some(RESOURCE_ID))
        .then_compute_response(move |r| {
            let [min, max] = [r.min_capacity(), r.max_capacity()].map(|c| c.unwrap_or(-1));
            note(&log, format!("RegisterScalableTarget {min}..{max}"));
            match fault {
                None => MockResponse::Output(RegisterScalableTargetOutput::builder().build()),
                Some(status) => MockResponse::Http(json_fault(status)),
            }
        });
    [
        ("DescribeScalableTargets", describe),
        ("RegisterScalableTarget", register),
    ]
}

/// The lease item, kept in `item`: acquire (UpdateItem SET lease_owner) and GetItem return its
/// record; release (UpdateItem SET #record, or REMOVE only) stores the new one, if any, except
/// the first one with a record when `release_fault` is set.
fn lease_rules(item: &Item, release_fault: Option<u16>) -> [Named; 4] {
    let attributes = |item: &Item| {
        let record = item.lock().unwrap().clone();
        record.map(|json| HashMap::from([("record".to_owned(), AttributeValue::S(json))]))
    };
    let held = item.clone();
    let acquire = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| is_lease(r.table_name(), r.key()) && starts(r, "SET lease_owner"))
        .then_compute_output(move |_| {
            UpdateItemOutput::builder()
                .set_attributes(attributes(&held))
                .build()
        });
    let held = item.clone();
    let fault = Mutex::new(release_fault);
    let release = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| is_lease(r.table_name(), r.key()) && starts(r, "SET #record"))
        .then_compute_response(move |r| {
            if let Some(status) = fault.lock().unwrap().take() {
                let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError"}"#;
                let status = status.try_into().unwrap();
                return MockResponse::Http(HttpResponse::new(status, body.into()));
            }
            let values = r.expression_attribute_values();
            let record = values.and_then(|v| v.get(":record")?.as_s().ok().cloned());
            *held.lock().unwrap() = Some(record.expect("a release with a record carries it"));
            MockResponse::Output(UpdateItemOutput::builder().build())
        });
    let bare = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|r| is_lease(r.table_name(), r.key()) && starts(r, "REMOVE lease_owner"))
        .then_output(|| UpdateItemOutput::builder().build());
    let held = item.clone();
    let get_item = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|r| is_lease(r.table_name(), r.key()))
        .then_compute_output(move |_| GetItemOutput::builder().set_item(attributes(&held)).build());
    [
        ("Acquire", acquire),
        ("Release", release),
        ("ReleaseNoRecord", bare),
        ("GetItem", get_item),
    ]
}

fn starts(r: &aws_sdk_dynamodb::operation::update_item::UpdateItemInput, text: &str) -> bool {
    r.update_expression().is_some_and(|e| e.starts_with(text))
}

/// The lease table, and the variant's item in it.
fn is_lease(table: Option<&str>, key: Option<&HashMap<String, AttributeValue>>) -> bool {
    let key = key.and_then(|k| k.get("target")?.as_s().ok().cloned());
    table == Some(TABLE) && key.as_deref() == Some("prod-ranker/AllTraffic")
}

/// Application Auto Scaling's error (JSON protocol): throttling at 400, else a service fault.
fn json_fault(status: u16) -> aws_sdk_applicationautoscaling::config::http::HttpResponse {
    let code = match status {
        400 => "ThrottlingException",
        _ => "InternalServiceException",
    };
    let body = format!(r#"{{"__type":"{code}","message":"injected"}}"#);
    let status = status.try_into().unwrap();
    aws_sdk_applicationautoscaling::config::http::HttpResponse::new(status, body.into())
}

fn note(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

/// The audit topic's client: every request must be a Publish; it is logged and answered with
/// success, or with `fault` (SNS's XML error: throttling at 400, else an internal error).
fn notifier(fault: Option<u16>, log: Log) -> Notifier {
    let http = aws_smithy_http_client::test_util::infallible_client_fn(move |request| {
        let body = request.body().bytes().map(String::from_utf8_lossy);
        let body = body.unwrap_or_default();
        assert!(body.contains("Action=Publish"), "not a Publish: {body}");
        note(&log, "Publish".to_owned());
        let (status, body) = match fault {
            None => (200, "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"),
            Some(400) => (400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code></Error></ErrorResponse>"),
            Some(status) => (status, "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code></Error></ErrorResponse>"),
        };
        let response =
            aws_sdk_sns::config::http::HttpResponse::new(status.try_into().unwrap(), body.into());
        response.try_into_http1x().unwrap()
    });
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sns::config::SharedCredentialsProvider::new(
            aws_sdk_sns::config::Credentials::new("k", "s", None, None, "t"),
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .http_client(http)
        .build();
    Notifier::new(&sdk, Some(TOPIC.to_owned()))
}

/// One decision on the variant, as the functions hand it over.
async fn run(setup: &Setup, change: &Change<'_>) -> (Result<Outcome, Error>, Aws) {
    let (path, aws) = mocked(setup);
    let endpoint = endpoint();
    let variant = &endpoint.variants[0];
    let result = path
        .remediate(&endpoint, variant, change, &Report::default(), now())
        .await;
    (result, aws)
}

#[tokio::test]
async fn an_endpoint_outside_the_allowlist_is_refused_before_any_call() {
    let (path, aws) = mocked(&Setup::default());
    let report = Report::default();
    let allowed = path.allowed(ENDPOINT, Some(V), &report).await;
    assert!(allowed.is_ok(), "prod-* allows prod-ranker: {allowed:?}");
    assert_eq!(aws.calls(), calls(""));

    let err = path.allowed("staging-ranker", Some(V), &report).await;
    let err = err.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.Refused");
    let refused = "not in ALLOWED_ENDPOINTS (prod-*)";
    assert!(err.to_string().contains(refused), "{err}");
    // Only the refusal's audit message: nothing read, no tag, capacity or lease call.
    assert_eq!(aws.calls(), calls("Publish"));
}

#[tokio::test]
async fn a_variant_without_a_scalable_target_is_not_found_and_writes_nothing() {
    let (result, aws) = run(&Setup::default(), &fire()).await;
    let err = result.unwrap_err();
    assert_eq!(err.error_type(), "NonRetryable.NotFound");
    assert!(err.to_string().contains("no scalable target"), "{err}");
    // The refusal is published and the lease given back without a record.
    assert_eq!(aws.calls(), reads_and("ReleaseNoRecord Publish"));
    assert_eq!(aws.writes(), ["Publish"]);
    assert!(aws.stored().is_none());
}

#[tokio::test]
async fn a_dry_run_reports_the_same_decision_and_writes_nothing() {
    let hold = Change::Hold(EventHold {
        event: "launch",
        min: 6,
        until: now() + chrono::Duration::hours(2),
        hold_for: None,
        raise_max: false,
        trigger: None,
    });
    let release = Change::Release { event: "launch" };
    let (live, expired) = (event_tags(6, 1), event_tags(6, -1));
    let up = "AddTags RegisterScalableTarget";
    let down = "RegisterScalableTarget DeleteTags";
    // (case, tags, change, MinCapacity before and after, writes)
    let cases = [
        ("alarm", &[][..], fire(), (2, 4), up),
        ("hold", &[], hold, (2, 6), up),
        ("release", &live, release, (6, 2), down),
        ("sweep", &expired, Change::Sweep, (6, 2), down),
    ];
    for (case, tags, change, (min, new_min), writes) in cases {
        let real = Setup {
            target: Some((min, 10)),
            tags: tags.to_vec(),
            ..Setup::default()
        };
        let (result, aws) = run(&real, &change).await;
        let done = result.unwrap_or_else(|err| panic!("{case}: {err}"));
        let action = if new_min > min {
            Action::Raised
        } else {
            Action::Restored
        };
        assert_eq!(done.action, action, "{case}: {}", done.reason);
        let old_new = (done.old_min, done.new_min);
        assert_eq!(old_new, (Some(min as u32), Some(new_min as u32)), "{case}");
        let wrote = reads_and(&format!("{writes} Release Publish"));
        assert_eq!(aws.calls(), wrote, "{case}");
        let register = format!("RegisterScalableTarget {new_min}..10");
        assert!(aws.writes().contains(&register), "{case}");

        let dry = Setup {
            dry_run: true,
            ..real
        };
        let (result, aws) = run(&dry, &change).await;
        let reported = result.unwrap_or_else(|err| panic!("{case}, dry run: {err}"));
        assert_eq!(reported, done, "{case}: the dry run decides the same");
        // The record is read without the lease; no tag, capacity or lease write.
        let read_only = calls("ListTags DescribeScalableTargets GetItem Publish");
        assert_eq!(aws.calls(), read_only, "{case}, dry run");
        assert_eq!(aws.writes(), ["Publish"], "{case}, dry run");
        assert!(aws.stored().is_none(), "{case}, dry run");
    }
}

#[tokio::test]
async fn a_capacity_write_that_fails_after_add_tags_is_retryable_and_deletes_no_tag() {
    // An expired pre-warm hold beside the baseline: a raise adds its own hold, raises, and
    // only then removes the expired one.
    let setup = Setup {
        target: Some((2, 10)),
        tags: event_tags(6, -1),
        ..Setup::default()
    };
    let add = format!("AddTags {}", hold_key(V, &alarm_reason(V, "latency-high")));
    let delete = format!("DeleteTags {}", hold_key(V, &event_reason(V, "launch")));
    let register = "RegisterScalableTarget 4..10".to_owned();
    let (result, aws) = run(&setup, &fire()).await;
    assert_eq!(result.unwrap().action, Action::Raised);
    let all_three = "AddTags RegisterScalableTarget DeleteTags Release Publish";
    assert_eq!(aws.calls(), reads_and(all_three));
    assert_eq!(aws.writes(), [&add, &register, &delete, "Publish"]);

    for fault in [400, 500] {
        let failing = Setup {
            register_fault: Some(fault),
            ..setup.clone()
        };
        let (result, aws) = run(&failing, &fire()).await;
        let err = result.unwrap_err();
        assert!(err.is_retryable(), "{fault}: {err}");
        assert_eq!(err.error_type(), "Retryable.AwsError", "{fault}");
        let failed = "RegisterScalableTarget failed";
        assert!(err.to_string().starts_with(failed), "{err}");
        // AddTags went through, the raise failed: no DeleteTags, no record, no message.
        let stopped = reads_and("AddTags RegisterScalableTarget ReleaseNoRecord");
        assert_eq!(aws.calls(), stopped, "{fault}");
        assert_eq!(aws.writes(), [&*add, &register], "{fault}");
        assert!(aws.stored().is_none(), "{fault}: the retry decides again");
    }
}

#[tokio::test]
async fn a_publish_that_fails_after_the_capacity_write_is_retryable_and_written_once() {
    for fault in [400, 500] {
        let setup = Setup {
            target: Some((2, 10)),
            publish_fault: Some(fault),
            ..Setup::default()
        };
        let (result, aws) = run(&setup, &fire()).await;
        let err = result.unwrap_err();
        assert!(err.is_retryable(), "{fault}: {err}");
        assert_eq!(err.error_type(), "Retryable.AwsError", "{fault}");
        let kept = "1 audit message(s) of prod-ranker/AllTraffic kept";
        assert!(err.to_string().contains(kept), "{err}");
        // One capacity write; the lease is taken a second time to keep the message.
        let once = "AddTags RegisterScalableTarget Release Publish Acquire Release";
        assert_eq!(aws.calls(), reads_and(once), "{fault}");
        let writes = aws.writes();
        assert_eq!(
            writes[1..],
            ["RegisterScalableTarget 4..10", "Publish"],
            "{fault}"
        );
        let record = aws.stored().expect("the record is stored");
        assert_eq!(record.written, Some(4), "{fault}");
        assert_eq!(record.unpublished.len(), 1, "{fault}");
    }
}

#[tokio::test]
async fn a_publish_and_a_release_that_both_fail_keep_the_message_with_the_record() {
    let setup = Setup {
        target: Some((2, 10)),
        publish_fault: Some(500),
        release_fault: Some(500),
        ..Setup::default()
    };
    let (result, aws) = run(&setup, &fire()).await;
    let err = result.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let kept = "1 audit message(s) of prod-ranker/AllTraffic kept";
    assert!(err.to_string().contains(kept), "{err}");
    // The failed release left the lease with the decision: the message is kept under it,
    // with the decision's record, by a second release. Taking the lease again would be
    // refused until it expires, and the message lost.
    let once = "AddTags RegisterScalableTarget Release Publish Release";
    assert_eq!(aws.calls(), reads_and(once));
    let record = aws.stored().expect("the record is stored");
    assert_eq!(record.written, Some(4));
    assert_eq!(record.unpublished.len(), 1);
}
