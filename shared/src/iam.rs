//! The IAM permissions each function needs, kept next to the adapters that call AWS.
//!
//! Two kinds: the actions the code calls itself, and the actions AWS checks on the function's
//! behalf (Lambda writing its logs and failed events, SNS and SQS using the stack's KMS key,
//! Application Auto Scaling checking the caller's SageMaker permissions when it registers a
//! scalable target). The emulator the acceptance tests run against enforces no IAM, so
//! `tests/tests/template.rs` checks this table against every function role of the SAM
//! expansion of `template.yaml`: each action granted, on a resource of the kind named here.
//! A new AWS call in an adapter belongs in this table in the same change.

/// What a permission must be granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The endpoints in `ALLOWED_ENDPOINTS`, as endpoint ARNs, in the stack's region.
    AllowedEndpoints,
    /// As [`Scope::AllowedEndpoints`], and only for tag keys under
    /// [`crate::holds::TAG_PREFIX`] (`aws:TagKeys`).
    HoldTags,
    /// Any endpoint configuration of the account and region: an endpoint's configuration has
    /// a name of its own, not known when the stack is deployed.
    EndpointConfigs,
    /// `*`, narrowed to SageMaker variant targets by the Application Auto Scaling condition
    /// keys (scalable-target ARNs are opaque ids).
    SageMakerScalableTargets,
    /// The action has no resource type: IAM accepts only `*`.
    NoResourceType,
    /// Alarms whose name starts with the stack's latency alarm prefix.
    LatencyAlarms,
    /// `*`: DescribeAlarms returns composite alarms only to a caller whose
    /// `cloudwatch:DescribeAlarms` is granted on `*` (a narrower grant leaves them out).
    AllAlarms,
    /// The stack's audit topic.
    AuditTopic,
    /// The stack's per-variant lease table (`LOCK_TABLE`).
    LockTable,
    /// The stack's KMS key (topic, queue).
    StackKey,
    /// The failed-events queue (Lambda's on-failure destination).
    FailedEventsQueue,
    /// The function's own log group.
    OwnLogGroup,
    /// Model Monitor's `constraint_violations.json` reports.
    MonitoringReports,
    /// The bucket the reports are in.
    MonitoringReportsBucket,
    /// The optional calendar object (`CalendarS3Object`).
    CalendarObject,
    /// The calendar's end schedules: `prewarm.end.*` in the stack's schedule group.
    EndSchedules,
    /// The role EventBridge Scheduler assumes to invoke prewarm, passed only to Scheduler.
    SchedulerRole,
}

/// Who makes the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The function's code, through the SDK.
    Code,
    /// AWS, with the function's role: the text says which service and when.
    OnBehalf(&'static str),
}

/// One action a function's role must allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub action: &'static str,
    pub scope: Scope,
    pub caller: Caller,
}

const fn code(action: &'static str, scope: Scope) -> Permission {
    Permission {
        action,
        scope,
        caller: Caller::Code,
    }
}

const fn aws(action: &'static str, scope: Scope, why: &'static str) -> Permission {
    Permission {
        action,
        scope,
        caller: Caller::OnBehalf(why),
    }
}

const REGISTER_CHECK: &str =
    "Application Auto Scaling, on RegisterScalableTarget for a SageMaker variant";
const LAMBDA_LOGS: &str = "Lambda, writing the function's logs";
const LAMBDA_XRAY: &str = "Lambda, sending the function's traces (Tracing: Active)";
const LAMBDA_DESTINATION: &str = "Lambda, sending a failed async event to the on-failure queue";
const KMS_FOR_SNS_SQS: &str = "SNS and SQS, encrypting with the stack's key on Publish and on \
                              the on-failure destination's SendMessage";

/// What every function needs, whatever it does.
const RUNTIME: [Permission; 9] = [
    aws("logs:CreateLogStream", Scope::OwnLogGroup, LAMBDA_LOGS),
    aws("logs:PutLogEvents", Scope::OwnLogGroup, LAMBDA_LOGS),
    aws("xray:PutTraceSegments", Scope::NoResourceType, LAMBDA_XRAY),
    aws(
        "xray:PutTelemetryRecords",
        Scope::NoResourceType,
        LAMBDA_XRAY,
    ),
    aws(
        "sqs:SendMessage",
        Scope::FailedEventsQueue,
        LAMBDA_DESTINATION,
    ),
    aws("kms:GenerateDataKey", Scope::StackKey, KMS_FOR_SNS_SQS),
    aws("kms:Decrypt", Scope::StackKey, KMS_FOR_SNS_SQS),
    // shared/src/audit.rs
    code("sns:Publish", Scope::AuditTopic),
    // shared/src/audit.rs, at start (Notifier::check_topic)
    code("sns:GetTopicAttributes", Scope::AuditTopic),
];

/// The capacity core (shared/src/capacity.rs) and its leases, used by scale-on-latency and
/// prewarm.
const CAPACITY: [Permission; 12] = [
    code("sagemaker:DescribeEndpoint", Scope::AllowedEndpoints),
    code("sagemaker:ListTags", Scope::AllowedEndpoints),
    code("sagemaker:AddTags", Scope::HoldTags),
    code("sagemaker:DeleteTags", Scope::HoldTags),
    code(
        "application-autoscaling:DescribeScalableTargets",
        Scope::NoResourceType,
    ),
    code(
        "application-autoscaling:RegisterScalableTarget",
        Scope::SageMakerScalableTargets,
    ),
    aws(
        "sagemaker:DescribeEndpoint",
        Scope::AllowedEndpoints,
        REGISTER_CHECK,
    ),
    aws(
        "sagemaker:DescribeEndpointConfig",
        Scope::EndpointConfigs,
        REGISTER_CHECK,
    ),
    aws(
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        Scope::AllowedEndpoints,
        REGISTER_CHECK,
    ),
    code("dynamodb:GetItem", Scope::LockTable),
    code("dynamodb:UpdateItem", Scope::LockTable),
    code("dynamodb:DeleteItem", Scope::LockTable),
];

const SCALE_ON_LATENCY_OWN: [Permission; 4] = [
    // The sweep lists every endpoint, then filters with ALLOWED_ENDPOINTS.
    code("sagemaker:ListEndpoints", Scope::NoResourceType),
    // Composite alarms: targets from the alarm's tags.
    code("cloudwatch:ListTagsForResource", Scope::LatencyAlarms),
    // An ALARM older than the hold (a replay): does the alarm, metric or composite, still fire?
    code("cloudwatch:DescribeAlarms", Scope::AllAlarms),
    // SCALE_MODE=demand reads the variant's load.
    code("cloudwatch:GetMetricData", Scope::NoResourceType),
];

const PREWARM_OWN: [Permission; 10] = [
    code(
        "application-autoscaling:DescribeScheduledActions",
        Scope::NoResourceType,
    ),
    code(
        "application-autoscaling:PutScheduledAction",
        Scope::SageMakerScalableTargets,
    ),
    code(
        "application-autoscaling:DeleteScheduledAction",
        Scope::SageMakerScalableTargets,
    ),
    // sync-calendar with "calendar": "s3://..." (granted only when CalendarS3Object is set).
    code("s3:GetObject", Scope::CalendarObject),
    // functions/prewarm/src/ends.rs: the calendar's ends, invoking prewarm through Scheduler.
    code("scheduler:ListSchedules", Scope::NoResourceType),
    code("scheduler:GetSchedule", Scope::EndSchedules),
    code("scheduler:CreateSchedule", Scope::EndSchedules),
    code("scheduler:UpdateSchedule", Scope::EndSchedules),
    code("scheduler:DeleteSchedule", Scope::EndSchedules),
    aws(
        "iam:PassRole",
        Scope::SchedulerRole,
        "EventBridge Scheduler, checking that the caller may pass the role a schedule names",
    ),
];

const DRIFT_NOTIFY_OWN: [Permission; 2] = [
    code("s3:GetObject", Scope::MonitoringReports),
    aws(
        "s3:ListBucket",
        Scope::MonitoringReportsBucket,
        "S3, answering GetObject of a missing report with NoSuchKey instead of AccessDenied",
    ),
];

/// Every permission of the function with this binary name; `None` for an unknown name.
pub fn permissions(function: &str) -> Option<Vec<Permission>> {
    let own: &[&[Permission]] = match function {
        "scale-on-latency" => &[&CAPACITY, &SCALE_ON_LATENCY_OWN],
        "prewarm" => &[&CAPACITY, &PREWARM_OWN],
        "drift-notify" => &[&DRIFT_NOTIFY_OWN],
        _ => return None,
    };
    let mut all = RUNTIME.to_vec();
    all.extend(own.iter().flat_map(|p| p.iter().copied()));
    Some(all)
}

/// The functions the table knows, by binary name.
pub const FUNCTIONS: [&str; 3] = ["scale-on-latency", "prewarm", "drift-notify"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_the_runtime_permissions_and_its_own() {
        for function in FUNCTIONS {
            let all = permissions(function).unwrap();
            assert!(all.iter().any(|p| p.action == "logs:PutLogEvents"));
            assert!(all.iter().any(|p| p.action == "sns:Publish"));
        }
        assert!(permissions("planner").is_none());
        let scale = permissions("scale-on-latency").unwrap();
        let checks: Vec<_> = scale
            .iter()
            .filter(|p| p.caller == Caller::OnBehalf(REGISTER_CHECK))
            .map(|p| p.action)
            .collect();
        assert_eq!(
            checks,
            [
                "sagemaker:DescribeEndpoint",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:UpdateEndpointWeightsAndCapacities"
            ]
        );
        let drift = permissions("drift-notify").unwrap();
        assert!(!drift.iter().any(|p| p.action.starts_with("sagemaker:")));
    }
}
