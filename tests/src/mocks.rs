//! SageMaker answers moto cannot give (moto's endpoints are always `InService`): a client whose
//! DescribeEndpoint reports the status a test chooses, with the tag calls a decision makes
//! answered as on an endpoint with the tags the test gives. The other services stay on moto.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_sagemaker::operation::add_tags::AddTagsOutput;
use aws_sdk_sagemaker::operation::delete_tags::DeleteTagsOutput;
use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
use aws_sdk_sagemaker::operation::list_endpoints::ListEndpointsOutput;
use aws_sdk_sagemaker::operation::list_tags::ListTagsOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{EndpointStatus, EndpointSummary, ProductionVariantSummary, Tag};
use aws_smithy_mocks::{mock, MockResponseInterceptor, Rule, RuleMode};

/// A SageMaker client for `endpoint` (one variant, `variant`, no tags) whose n-th
/// DescribeEndpoint (from 0) reports `status(n)`; and the DescribeEndpoint rule, to count its
/// calls.
pub fn sagemaker_with_status(
    endpoint: &str,
    variant: &str,
    status: impl Fn(usize) -> EndpointStatus + Send + Sync + 'static,
) -> (aws_sdk_sagemaker::Client, Rule) {
    let (client, describe, _) = sagemaker_with_tags(endpoint, variant, status, Vec::new());
    (client, describe)
}

/// As [`sagemaker_with_status`], on an endpoint whose ListTags gives `tags` (and which
/// ListEndpoints lists alone); and the DeleteTags rule too.
pub fn sagemaker_with_tags(
    endpoint: &str,
    variant: &str,
    status: impl Fn(usize) -> EndpointStatus + Send + Sync + 'static,
    tags: Vec<(String, String)>,
) -> (aws_sdk_sagemaker::Client, Rule, Rule) {
    let arn = format!("arn:aws:sagemaker:us-east-1:123456789012:endpoint/{endpoint}");
    let listed = (endpoint.to_owned(), arn.clone());
    let (endpoint, variant) = (endpoint.to_owned(), variant.to_owned());
    let calls = Arc::new(AtomicUsize::new(0));
    let describe = mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_output(move || {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        DescribeEndpointOutput::builder()
            .endpoint_name(&endpoint)
            .endpoint_arn(&arn)
            .endpoint_config_name("c")
            .endpoint_status(status(n))
            .production_variants(
                ProductionVariantSummary::builder()
                    .variant_name(&variant)
                    .build(),
            )
            .creation_time(DateTime::from_secs(0))
            .last_modified_time(DateTime::from_secs(0))
            .build()
    });
    let list_tags = mock!(aws_sdk_sagemaker::Client::list_tags).then_output(move || {
        let tags = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build());
        ListTagsOutput::builder()
            .set_tags(Some(tags.collect()))
            .build()
    });
    let delete_tags = mock!(aws_sdk_sagemaker::Client::delete_tags)
        .then_output(|| DeleteTagsOutput::builder().build());
    let list_endpoints = mock!(aws_sdk_sagemaker::Client::list_endpoints).then_output(move || {
        let summary = EndpointSummary::builder()
            .endpoint_name(&listed.0)
            .endpoint_arn(&listed.1)
            .creation_time(DateTime::from_secs(0))
            .last_modified_time(DateTime::from_secs(0))
            .endpoint_status(EndpointStatus::InService)
            .build();
        ListEndpointsOutput::builder().endpoints(summary).build()
    });
    let add_tags =
        mock!(aws_sdk_sagemaker::Client::add_tags).then_output(|| AddTagsOutput::builder().build());
    let client = aws_sdk_sagemaker::Client::from_conf(
        aws_sdk_sagemaker::Config::builder()
            .behavior_version(aws_sdk_sagemaker::config::BehaviorVersion::latest())
            .region(aws_sdk_sagemaker::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sagemaker::config::Credentials::new(
                "k", "s", None, None, "test",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::MatchAny)
                    .with_rule(&describe)
                    .with_rule(&list_tags)
                    .with_rule(&add_tags)
                    .with_rule(&delete_tags)
                    .with_rule(&list_endpoints),
            )
            .build(),
    );
    (client, describe, delete_tags)
}
