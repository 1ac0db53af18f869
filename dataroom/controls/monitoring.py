"""Monitoring control facts (MON-1 .. MON-6, DRF-2): defined here once. jsii-free."""

from __future__ import annotations

from typing import Literal, get_args

#: GuardDuty's detector feature names (MON-3).
GuardDutyFeature = Literal[
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
    "RUNTIME_MONITORING",
]
#: Every detector feature a production account has; a room turns them all on unless told less.
ALL_GUARDDUTY_FEATURES: tuple[GuardDutyFeature, ...] = get_args(GuardDutyFeature)
#: The feature no room may go without (S3 protection).
REQUIRED_GUARDDUTY_FEATURE: GuardDutyFeature = "S3_DATA_EVENTS"
#: Runtime monitoring manages its agents itself; without these it watches nothing.
RUNTIME_AGENTS: tuple[str, ...] = (
    "EKS_ADDON_MANAGEMENT",
    "ECS_FARGATE_AGENT_MANAGEMENT",
    "EC2_AGENT_MANAGEMENT",
)
#: GuardDuty's finding publishing frequencies.
Frequency = Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"]
#: Finding publishing frequencies, fastest first (a room may publish faster, never slower).
FREQUENCIES: tuple[Frequency, ...] = get_args(Frequency)
#: GuardDuty severities: low 1.0-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0.
DEFAULT_MIN_SEVERITY = 4.0
#: What the room's alert rules must at least cover (MON-4): event sources and event names.
REQUIRED_ALERTS: tuple[str, ...] = (
    "aws.guardduty",
    "StopLogging",
    "DeleteDetector",
    "PutBucketPolicy",
    "CreateInternetGateway",
    "AttachRolePolicy",
)
#: AWS Config records every supported type, global ones included (MON-5).
CONFIG_RECORDING_GROUP: dict[str, bool] = {
    "AllSupported": True,
    "IncludeGlobalResourceTypes": True,
}
#: The template metadata key under which a room stack writes what the gate must expect of it.
EXPECT_KEY = "expect"

#: Attempts to switch off or blind a guardrail, by the CloudTrail ``eventSource`` they come from.
TAMPERING_EVENTS: dict[str, tuple[str, ...]] = {
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
NETWORK_EVENTS: dict[str, tuple[str, ...]] = {
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
IAM_EVENTS: dict[str, tuple[str, ...]] = {
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

#: The tampering the remediation function puts back (each also alerts through the topic). The
#: function receives this map in its environment (``DATAROOM_REMEDIATED_EVENTS``).
REMEDIABLE_EVENTS: dict[str, tuple[str, ...]] = {
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
