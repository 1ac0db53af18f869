"""RoomPermissionBoundary: the ceiling of every room role (IAM-5)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from dataroom.constructs.acknowledge import BOUNDARY_CEILING, NIST, SOLUTIONS, acknowledge

#: Changing identities or their policies would let a room role grant itself anything.
IAM_CHANGES = (
    "iam:Create*",
    "iam:Delete*",
    "iam:Put*",
    "iam:Attach*",
    "iam:Detach*",
    "iam:Update*",
    "iam:Add*",
    "iam:Remove*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:PassRole",
    "iam:UploadSSHPublicKey",
    "iam:UploadServerCertificate",
    "iam:UploadSigningCertificate",
    "sts:AssumeRoot",
)
#: Anything that opens a path out of the glovebox (NET-1..3).
NETWORK_EGRESS_CHANGES = (
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:CreateEgressOnlyInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:AllocateAddress",
    "ec2:AssociateAddress",
    "ec2:CreateVpcPeeringConnection",
    "ec2:AcceptVpcPeeringConnection",
    "ec2:CreateTransitGatewayVpcAttachment",
    "ec2:AcceptTransitGatewayVpcAttachment",
    "ec2:CreateVpnGateway",
    "ec2:AttachVpnGateway",
    "ec2:CreateRoute",
    "ec2:ReplaceRoute",
    "ec2:DeleteRoute",
    "ec2:CreateRouteTable",
    "ec2:AssociateRouteTable",
    "ec2:ReplaceRouteTableAssociation",
    "ec2:CreateVpcEndpoint",
    "ec2:ModifyVpcEndpoint",
    "ec2:DeleteVpcEndpoints",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:ModifySecurityGroupRules",
    "ec2:CreateInstanceConnectEndpoint",
    "ec2:CreateClientVpnEndpoint",
    "ec2:AssociateClientVpnTargetNetwork",
    "ec2:CreateClientVpnRoute",
    "ec2:CreateVpcEndpointServiceConfiguration",
    "route53resolver:*",
)
#: Turning off the eyes: trails, detectors, flow logs, config, and the policies that fence data.
GUARDRAIL_TAMPERING = (
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:CreateIPSet",
    "guardduty:UpdateIPSet",
    "guardduty:CreateFilter",
    "guardduty:UpdateFilter",
    "ec2:DeleteFlowLogs",
    "logs:DeleteLogGroup",
    "logs:DeleteLogStream",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "config:DeleteConfigRule",
    "config:PutConfigurationRecorder",
    "config:PutDeliveryChannel",
    "config:PutConfigRule",
    "config:DeleteEvaluationResults",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketLogging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:DeleteBucket",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:ScheduleKeyDeletion",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
    "organizations:LeaveOrganization",
    # Alerts and self-healing (MON-4, MON-5): the rules, topic, alarms and function that watch.
    "events:DisableRule",
    "events:DeleteRule",
    "events:PutRule",
    "events:RemoveTargets",
    "events:PutTargets",
    "sns:DeleteTopic",
    "sns:SetTopicAttributes",
    "sns:RemovePermission",
    "sns:Unsubscribe",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:PutMetricAlarm",
    "logs:DeleteMetricFilter",
    "logs:PutMetricFilter",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:DeleteFunction",
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "ssm:PutParameter",
    "ssm:DeleteParameter",
    "ssm:DeleteParameters",
    "ssm:LabelParameterVersion",
    # The query guard (QRY-1): its enforced limits are the point.
    "athena:UpdateWorkGroup",
    "athena:DeleteWorkGroup",
    "athena:CreateWorkGroup",
)


class RoomPermissionBoundary(Construct):
    """A managed policy used as the permissions boundary of every room role (IAM-5).

    A boundary caps what identity policies can grant: whatever a role is later given, it can
    never change IAM, open a network path out of the glovebox, or tamper with the trail, detector,
    flow logs, config recorder, bucket policies, public-access blocks or key policies. The
    boundary allows everything else, so the role's own policies still decide what it may do.

    :param extra_denied_actions: more actions to deny on top of the built-in lists.
        Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        extra_denied_actions: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = iam.ManagedPolicy(
            self,
            "Resource",
            description="dataroom permissions boundary: no IAM changes, no egress, no tampering",
            statements=[
                iam.PolicyStatement(sid="BoundaryCeiling", actions=["*"], resources=["*"]),
                iam.PolicyStatement(
                    sid="DenyIamChanges",
                    effect=iam.Effect.DENY,
                    actions=list(IAM_CHANGES),
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="DenyNetworkEgressChanges",
                    effect=iam.Effect.DENY,
                    actions=list(NETWORK_EGRESS_CHANGES),
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="DenyGuardrailTampering",
                    effect=iam.Effect.DENY,
                    actions=[*GUARDRAIL_TAMPERING, *extra_denied_actions],
                    resources=["*"],
                ),
            ],
        )
        acknowledge(
            self,
            *(
                (rule, BOUNDARY_CEILING)
                for rule in (
                    f"{SOLUTIONS}IAM5[Action::*]",
                    f"{SOLUTIONS}IAM5[Resource::*]",
                    f"{NIST}IAMPolicyNoStatementsWithAdminAccess",
                    f"{NIST}IAMPolicyNoStatementsWithFullAccess",
                )
            ),
        )

    def apply_to(self, role: iam.Role) -> None:
        """Make this policy ``role``'s permissions boundary."""
        iam.PermissionsBoundary.of(role).apply(self.policy)
