"""The events a room alerts on (MON-4) and remediates, as EventBridge patterns. jsii-free.

CloudTrail delivers management events to EventBridge as ``AWS API Call via CloudTrail``; the
room's trail (MON-1) is what makes them flow. IAM is a global service whose events arrive in
us-east-1 only, so IAM alerts fire when the room's region is us-east-1 (``iam_events_region``).
"""

from __future__ import annotations

from typing import Any

API_CALL = "AWS API Call via CloudTrail"

#: Attempts to switch off or blind a guardrail, by the CloudTrail ``eventSource`` they come from.
TAMPERING: dict[str, tuple[str, ...]] = {
    "cloudtrail.amazonaws.com": (
        "StopLogging",
        "DeleteTrail",
        "UpdateTrail",
        "PutEventSelectors",
        "PutInsightSelectors",
    ),
    "guardduty.amazonaws.com": (
        "DeleteDetector",
        "UpdateDetector",
        "DisassociateFromMasterAccount",
        "DisassociateFromAdministratorAccount",
        "CreateIPSet",
        "UpdateIPSet",
        "CreateFilter",
        "UpdateFilter",
    ),
    "s3.amazonaws.com": (
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutAccountPublicAccessBlock",
        "DeleteAccountPublicAccessBlock",
        "PutBucketAcl",
    ),
    "kms.amazonaws.com": (
        "PutKeyPolicy",
        "DisableKey",
        "ScheduleKeyDeletion",
        "DisableKeyRotation",
    ),
    "config.amazonaws.com": (
        "StopConfigurationRecorder",
        "DeleteConfigurationRecorder",
        "DeleteDeliveryChannel",
        "DeleteConfigRule",
        "PutConfigurationRecorder",
        "PutDeliveryChannel",
        "PutConfigRule",
        "DeleteEvaluationResults",
    ),
    "route53resolver.amazonaws.com": (
        "DisassociateFirewallRuleGroup",
        "UpdateFirewallRuleGroupAssociation",
        "DeleteFirewallRuleGroup",
        "DeleteFirewallRule",
        "UpdateFirewallRule",
        "UpdateFirewallConfig",
    ),
    "logs.amazonaws.com": (
        "DeleteLogGroup",
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "DisassociateKmsKey",
        "DeleteMetricFilter",
    ),
    # CloudWatch's API is recorded as monitoring.amazonaws.com (EventBridge source aws.monitoring).
    "monitoring.amazonaws.com": ("DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm"),
    "events.amazonaws.com": ("DisableRule", "DeleteRule", "RemoveTargets", "PutRule"),
}

#: Changes to the glovebox's network boundary: a path to the internet or a changed perimeter.
NETWORK: dict[str, tuple[str, ...]] = {
    "ec2.amazonaws.com": (
        "CreateInternetGateway",
        "AttachInternetGateway",
        "CreateEgressOnlyInternetGateway",
        "CreateNatGateway",
        "CreateVpcPeeringConnection",
        "AcceptVpcPeeringConnection",
        "CreateTransitGatewayVpcAttachment",
        "AttachVpnGateway",
        "CreateRoute",
        "ReplaceRoute",
        "DeleteRoute",
        "CreateRouteTable",
        "AssociateRouteTable",
        "ReplaceRouteTableAssociation",
        "CreateVpcEndpoint",
        "ModifyVpcEndpoint",
        "DeleteVpcEndpoints",
        "DeleteFlowLogs",
        "AuthorizeSecurityGroupEgress",
        "ModifyVpcAttribute",
        "ModifySubnetAttribute",
        "AssociateAddress",
        "ModifySecurityGroupRules",
        "CreateInstanceConnectEndpoint",
        "CreateClientVpnEndpoint",
        "AssociateClientVpnTargetNetwork",
        "CreateClientVpnRoute",
        "CreateVpcEndpointServiceConfiguration",
    ),
}

#: Any change to IAM in the room account (read-only calls are not listed, so never match).
IAM: dict[str, tuple[str, ...]] = {
    "iam.amazonaws.com": (
        "CreateUser",
        "CreateAccessKey",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "CreateRole",
        "DeleteRole",
        "UpdateAssumeRolePolicy",
        "PutRolePolicy",
        "DeleteRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        "PutUserPolicy",
        "AttachUserPolicy",
        "AddUserToGroup",
        "PutGroupPolicy",
        "AttachGroupPolicy",
        "CreatePolicy",
        "CreatePolicyVersion",
        "SetDefaultPolicyVersion",
        "DeletePolicy",
        "CreateSAMLProvider",
        "CreateOpenIDConnectProvider",
        "UpdateSAMLProvider",
    ),
}

#: The tampering the remediation function puts back (each also alerts through the topic).
REMEDIABLE: dict[str, tuple[str, ...]] = {
    "cloudtrail.amazonaws.com": ("StopLogging",),
    "guardduty.amazonaws.com": ("UpdateDetector",),
    "s3.amazonaws.com": (
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
    ),
    "ec2.amazonaws.com": ("DeleteFlowLogs",),
}

#: GuardDuty severities: low 1.0-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0.
DEFAULT_MIN_SEVERITY = 4.0


def api_call_pattern(calls: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """An EventBridge pattern matching successful or failed API calls ``calls`` names."""
    return {
        "detail-type": [API_CALL],
        "source": sorted({_source(event_source) for event_source in calls}),
        "detail": {
            "eventSource": sorted(calls),
            "eventName": sorted({name for names in calls.values() for name in names}),
        },
    }


def guardduty_pattern(min_severity: float = DEFAULT_MIN_SEVERITY) -> dict[str, Any]:
    """GuardDuty findings at or above ``min_severity``."""
    if not 1.0 <= min_severity <= 10.0:
        raise ValueError(f"min_severity={min_severity}: expected 1.0-10.0 (GuardDuty's scale)")
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", min_severity]}]},
    }


def denied_writes_pattern(role_arns: list[str]) -> dict[str, Any]:
    """Refused non-read calls by the given roles' sessions (production-side, MON-4)."""
    return {
        "detail-type": [API_CALL],
        "detail": {
            # EC2 records its refusals as Client.UnauthorizedOperation.
            "errorCode": [
                "AccessDenied",
                "AccessDeniedException",
                "UnauthorizedOperation",
                "Client.UnauthorizedOperation",
            ],
            "readOnly": [False],
            "userIdentity": {"sessionContext": {"sessionIssuer": {"arn": sorted(role_arns)}}},
        },
    }


def _source(event_source: str) -> str:
    """``s3.amazonaws.com`` -> ``aws.s3``: the EventBridge source of a CloudTrail event."""
    return "aws." + event_source.split(".", 1)[0]
