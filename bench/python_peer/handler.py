"""Reference Python 3 + boto3 handler for the latency ALARM raise, the peer of scale-on-latency.

A plain implementation of what a team would write instead: the same six calls in the same
order (DescribeEndpoint for the status check and the ARN, ListTags, DescribeScalableTargets,
AddTags, RegisterScalableTarget, Publish). Clients are built once, at import, as the Lambda
best practice says. It is used only by `make bench` (bench/run.py).
"""

import json
import os
from datetime import datetime, timedelta, timezone

import boto3

STEP = int(os.environ.get("SCALE_STEP", "2"))
HOLD_SECONDS = int(os.environ.get("SCALE_HOLD_SECONDS", "10800"))
TOPIC_ARN = os.environ.get("NOTIFY_TOPIC_ARN")
ALLOWED = [e.strip() for e in os.environ.get("ALLOWED_ENDPOINTS", "").split(",") if e.strip()]

sagemaker = boto3.client("sagemaker")
autoscaling = boto3.client("application-autoscaling")
sns = boto3.client("sns")


def handler(event, context):
    detail = event["detail"]
    alarm = detail["alarmName"]
    if detail["state"]["value"] != "ALARM":
        return {"alarm": alarm, "results": []}
    dims = detail["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]
    endpoint, variant = dims["EndpointName"], dims["VariantName"]
    if endpoint not in ALLOWED and "*" not in ALLOWED:
        raise RuntimeError(f"endpoint {endpoint} is not in ALLOWED_ENDPOINTS")

    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    if described["EndpointStatus"] != "InService":
        raise RuntimeError(f"endpoint {endpoint} is {described['EndpointStatus']}")
    arn = described["EndpointArn"]
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}

    resource_id = f"endpoint/{endpoint}/variant/{variant}"
    dimension = "sagemaker:variant:DesiredInstanceCount"
    target = autoscaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[resource_id], ScalableDimension=dimension
    )["ScalableTargets"][0]
    old_min, max_cap = target["MinCapacity"], target["MaxCapacity"]
    new_min = min(old_min + STEP, max_cap)

    now = datetime.now(timezone.utc).replace(microsecond=0)
    until = now + timedelta(seconds=HOLD_SECONDS)
    prefix = f"remediation:{variant}:"
    hold = f"min={new_min} until={until.isoformat()} since={now.isoformat()} trigger={event['id']}"
    new_tags = [{"Key": prefix + "hold:alarm." + alarm, "Value": hold}]
    if prefix + "baseline" not in tags:
        new_tags.append({"Key": prefix + "baseline", "Value": str(old_min)})
    sagemaker.add_tags(ResourceArn=arn, Tags=new_tags)
    autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=dimension,
        MinCapacity=new_min,
        MaxCapacity=max_cap,
    )
    result = {
        "endpoint": endpoint,
        "variant": variant,
        "action": "raised",
        "old_min": old_min,
        "new_min": new_min,
    }
    if TOPIC_ARN:
        sns.publish(
            TopicArn=TOPIC_ARN,
            Subject=f"Raised {endpoint}/{variant} MinCapacity {old_min} -> {new_min}",
            Message=json.dumps(result),
            MessageAttributes={
                "function": {"DataType": "String", "StringValue": "python-peer"},
                "endpoint": {"DataType": "String", "StringValue": endpoint},
                "action": {"DataType": "String", "StringValue": "raised"},
            },
        )
    return {"alarm": alarm, "results": [result]}
