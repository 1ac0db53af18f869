"""The session's moto server, and CloudTrail events as EventBridge delivers them.

``api_call_event`` builds "AWS API Call via CloudTrail" events in the shape EventBridge gives
targets: the envelope (``version``, ``id``, ``detail-type``, ``source``, ...) around a CloudTrail
record (``detail``) with the fields real records carry. The request-parameter helpers give the
CloudTrail ``requestParameters`` of the calls the remediation function acts on.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.moto.conftest import aws_client, moto_endpoint  # noqa: F401

#: moto's default account: the handler's own clients send no account header and land here.
ACCOUNT = "123456789012"
REGION = "us-east-1"
#: The role whose session does the tampering in the sample events.
ACTOR_ROLE = "remediation-test-intruder"
ACTOR_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ACTOR_ROLE}"
ACTOR_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ACTOR_ROLE}/mallory"
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"

#: The EventBridge ``source`` of a CloudTrail event, written out rather than derived from
#: ``eventSource``, so the patterns' own derivation is checked against it.
EVENTBRIDGE_SOURCE = {
    "cloudtrail.amazonaws.com": "aws.cloudtrail",
    "guardduty.amazonaws.com": "aws.guardduty",
    "s3.amazonaws.com": "aws.s3",
    "kms.amazonaws.com": "aws.kms",
    "config.amazonaws.com": "aws.config",
    "route53resolver.amazonaws.com": "aws.route53resolver",
    "logs.amazonaws.com": "aws.logs",
    "monitoring.amazonaws.com": "aws.monitoring",
    "events.amazonaws.com": "aws.events",
    "ec2.amazonaws.com": "aws.ec2",
    "iam.amazonaws.com": "aws.iam",
    "sts.amazonaws.com": "aws.sts",
}


def api_call_event(
    event_source: str,
    event_name: str,
    request_parameters: dict[str, Any] | None,
    *,
    response_elements: dict[str, Any] | None = None,
    error_code: str | None = None,
    read_only: bool = False,
    role_arn: str = ACTOR_ROLE_ARN,
    source_identity: str | None = None,
    region: str = REGION,
) -> dict[str, Any]:
    """An "AWS API Call via CloudTrail" event as an EventBridge target receives it."""
    role_name = role_arn.rsplit("/", 1)[-1]
    session_context: dict[str, Any] = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLEINTRUDER01",
            "arn": role_arn,
            "accountId": ACCOUNT,
            "userName": role_name,
        },
        "attributes": {"creationDate": "2026-11-28T09:58:02Z", "mfaAuthenticated": "false"},
    }
    if source_identity is not None:
        session_context["sourceIdentity"] = source_identity
    request_id = str(uuid.uuid4())
    detail: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEINTRUDER01:mallory",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/mallory",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "sessionContext": session_context,
        },
        "eventTime": "2026-11-28T10:01:44Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64",
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{event_source.split('.', 1)[0]}.{region}.amazonaws.com",
        },
    }
    if error_code is not None:
        detail["errorCode"] = error_code
        detail["errorMessage"] = f"User: {ACTOR_ARN} is not authorized to perform: {event_name}"
        detail["responseElements"] = None
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": EVENTBRIDGE_SOURCE[event_source],
        "account": ACCOUNT,
        "time": "2026-11-28T10:01:44Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }


def stop_logging(trail: str) -> dict[str, Any]:
    """``cloudtrail:StopLogging``: ``name`` is the trail's name or ARN, as the caller gave it."""
    return api_call_event("cloudtrail.amazonaws.com", "StopLogging", {"name": trail})


def update_detector(detector_id: str, **changes: Any) -> dict[str, Any]:
    """``guardduty:UpdateDetector``: only the fields the caller changed appear (``enable``...)."""
    return api_call_event(
        "guardduty.amazonaws.com", "UpdateDetector", {"detectorId": detector_id, **changes}
    )


def _s3_call(event_name: str, bucket: str, **parameters: Any) -> dict[str, Any]:
    event = api_call_event(
        "s3.amazonaws.com",
        event_name,
        {"bucketName": bucket, "Host": f"{bucket}.s3.{REGION}.amazonaws.com", **parameters},
    )
    event["detail"]["additionalEventData"] = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": "EXAMPLEx4mZ2/ExAmPlE=",
        "bytesTransferredOut": 0,
    }
    event["detail"]["resources"] = [
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
    ]
    return event


def put_public_access_block(bucket: str, **flags: bool) -> dict[str, Any]:
    """``s3:PutBucketPublicAccessBlock`` with the four flags (``True`` unless given)."""
    configuration = {
        "xmlns": S3_XMLNS,
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
        **flags,
    }
    return _s3_call(
        "PutBucketPublicAccessBlock",
        bucket,
        publicAccessBlock="",
        PublicAccessBlockConfiguration=configuration,
    )


def delete_public_access_block(bucket: str) -> dict[str, Any]:
    return _s3_call("DeleteBucketPublicAccessBlock", bucket, publicAccessBlock="")


def put_bucket_policy(bucket: str, policy: dict[str, Any]) -> dict[str, Any]:
    """``s3:PutBucketPolicy``: CloudTrail records the new policy as ``bucketPolicy``."""
    return _s3_call("PutBucketPolicy", bucket, bucketPolicy=policy, policy="")


def delete_bucket_policy(bucket: str) -> dict[str, Any]:
    return _s3_call("DeleteBucketPolicy", bucket, policy="")


def delete_flow_logs(flow_log_id: str) -> dict[str, Any]:
    """``ec2:DeleteFlowLogs``: EC2's query API, so CloudTrail keeps the XML request's shape."""
    request_id = str(uuid.uuid4())
    return api_call_event(
        "ec2.amazonaws.com",
        "DeleteFlowLogs",
        {"DeleteFlowLogsRequest": {"FlowLogId": {"content": flow_log_id, "tag": 1}}},
        response_elements={
            "DeleteFlowLogsResponse": {
                "xmlns": EC2_XMLNS,
                "requestId": request_id,
                "unsuccessful": "",
            }
        },
    )
