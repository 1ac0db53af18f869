"""Remediation: a function that puts a room's guardrails back when someone takes them away."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from dataroom import alert_events
from dataroom.constructs.acknowledge import NIST, SOLUTIONS, acknowledge, wildcard_resource
from dataroom.constructs.bounded_grant import grant_within_own_boundary
from dataroom.controls.monitoring import REMEDIABLE_EVENTS
from dataroom.controls.storage import PUBLIC_ACCESS_FLAGS

#: The handler's directory, shipped as the function's code as-is (plain Python + boto3).
HANDLER_DIR = Path(__file__).resolve().parent.parent / "remediation"


class Remediation(Construct):
    """Puts back what tampering removed, and tells the alert topic what it did.

    Subscribed (EventBridge) to the tampering it can undo: trail logging stopped, the detector
    disabled, a room bucket's public-access block deleted or weakened, its policy replaced or
    deleted, the VPC's flow logs deleted. The intended bucket policies are kept as SSM parameters
    resolved by CloudFormation from the same policy documents the buckets get, so the function
    restores exactly the deployed policy.

    The function's role has its *own* permissions boundary, narrower than the room's: it may
    perform only the restoring calls (which the room boundary denies to every other room role),
    publish to the topic and pass the flow-log role to EC2; nothing else.

    :param trail_name: the room trail.
    :param detector_id: the room's GuardDuty detector.
    :param buckets: the room buckets whose policy and public-access block it restores.
    :param vpc: the glovebox VPC; flow logs are re-created for it.
    :param flow_log_group: where the VPC's flow logs go.
    :param flow_log_role: the role flow logs deliver with.
    :param alert_topic: where reports go.
    :param encryption_key: encrypts the function's logs, environment and dead-letter queue.
    :param room_name: used in parameter names and report subjects.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trail_name: str,
        detector_id: str,
        buckets: Sequence[s3.Bucket],
        vpc: ec2.IVpc,
        flow_log_group: logs.ILogGroup,
        flow_log_role: iam.IRole,
        alert_topic: sns.ITopic,
        encryption_key: kms.IKey,
        room_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        prefix = f"/dataroom/{room_name}/bucket-policy/"
        self.parameters: list[ssm.StringParameter] = []
        for bucket in buckets:
            if bucket.policy is None:
                raise ValueError(f"{self.node.path}: buckets: {bucket.node.path} has no policy")
            self.parameters.append(
                ssm.StringParameter(
                    self,
                    f"IntendedPolicy-{bucket.node.id}",
                    parameter_name=f"{prefix}{bucket.bucket_name}",
                    simple_name=False,
                    string_value=stack.to_json_string(bucket.policy.document),
                    tier=ssm.ParameterTier.ADVANCED,
                    description=f"dataroom: the deployed policy of {bucket.node.path}",
                )
            )

        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_YEAR,
            encryption_key=encryption_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.dead_letters = dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"dataroom {room_name}: restores guardrails",
        )
        bucket_arns = [b.bucket_arn for b in buckets]
        trail_arn = stack.format_arn(
            service="cloudtrail", resource="trail", resource_name=trail_name
        )
        detector_arn = stack.format_arn(
            service="guardduty", resource="detector", resource_name=detector_id
        )
        flow_logs = stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
        restoring = [
            iam.PolicyStatement(
                sid="RestoreTrailLogging",
                actions=["cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"],
                resources=[trail_arn],
            ),
            iam.PolicyStatement(
                sid="RestoreDetector",
                actions=["guardduty:UpdateDetector", "guardduty:GetDetector"],
                resources=[detector_arn],
            ),
            iam.PolicyStatement(
                sid="RestoreBuckets",
                actions=[
                    "s3:PutBucketPolicy",
                    "s3:GetBucketPolicy",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:GetBucketPublicAccessBlock",
                ],
                resources=bucket_arns,
            ),
            iam.PolicyStatement(
                sid="ReadIntendedPolicies",
                actions=["ssm:GetParameter"],
                resources=[p.parameter_arn for p in self.parameters],
            ),
            iam.PolicyStatement(
                sid="RestoreFlowLogs",
                actions=["ec2:CreateFlowLogs"],
                resources=[
                    stack.format_arn(service="ec2", resource="vpc", resource_name=vpc.vpc_id),
                    flow_logs,
                ],
            ),
            iam.PolicyStatement(
                # DescribeFlowLogs supports no resource-level permissions.
                sid="SeeFlowLogs",
                actions=["ec2:DescribeFlowLogs"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="PassTheFlowLogRole",
                actions=["iam:PassRole"],
                resources=[flow_log_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="Report",
                actions=["sns:Publish"],
                resources=[alert_topic.topic_arn],
            ),
            iam.PolicyStatement(
                sid="UseTheRoomKey",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[encryption_key.key_arn],
            ),
            iam.PolicyStatement(
                sid="DeadLetters",
                actions=["sqs:SendMessage"],
                resources=[dead_letters.queue_arn],
            ),
        ]
        # The ceiling equals the grant: the boundary allows exactly the restoring calls.
        self.permissions, self.boundary = grant_within_own_boundary(
            self,
            self.role,
            restoring,
            permissions_id="Permissions",
            boundary_id="Boundary",
            boundary_description="dataroom: permissions boundary of the remediation function",
        )

        self.function = lambda_.Function(
            self,
            "Resource",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"]),
            role=self.role,
            timeout=Duration.seconds(60),
            memory_size=256,
            log_group=log_group,
            environment_encryption=encryption_key,
            dead_letter_queue=dead_letters,
            description=f"dataroom {room_name}: restores guardrails after tampering",
            environment={
                "ALERT_TOPIC_ARN": alert_topic.topic_arn,
                "ROOM_NAME": room_name,
                "TRAIL_NAME": trail_name,
                "DETECTOR_ID": detector_id,
                "ROOM_BUCKETS": stack.to_json_string([b.bucket_name for b in buckets]),
                "BUCKET_POLICY_PARAMETER_PREFIX": prefix,
                "VPC_ID": vpc.vpc_id,
                "FLOW_LOG_GROUP_NAME": flow_log_group.log_group_name,
                "FLOW_LOG_ROLE_ARN": flow_log_role.role_arn,
                # The catalogue's restore list and flags (the asset ships without dataroom).
                "REMEDIATED_EVENTS": json.dumps(REMEDIABLE_EVENTS, sort_keys=True),
                "PUBLIC_ACCESS_FLAGS": json.dumps(PUBLIC_ACCESS_FLAGS),
            },
        )
        self._acknowledge(flow_logs)
        self.rule = events.Rule(
            self,
            "Trigger",
            description="dataroom: tampering the remediation function undoes",
            event_pattern=_event_pattern(alert_events.api_call_pattern(REMEDIABLE_EVENTS)),
        )
        self.rule.add_target(
            targets.LambdaFunction(self.function, dead_letter_queue=dead_letters, retry_attempts=2)
        )

    def _acknowledge(self, flow_logs: str) -> None:
        """The findings the remediation function raises by design, each on its own child."""
        for policy in (self.permissions, self.boundary):
            acknowledge(
                policy,
                (
                    f"{SOLUTIONS}IAM5[Resource::*]",
                    "Only ec2:DescribeFlowLogs, which supports no resource-level permission; "
                    "every restoring call is scoped to the room's own trail, detector, buckets "
                    "and VPC.",
                ),
                (
                    wildcard_resource(self, flow_logs),
                    "A flow log's id is chosen by EC2 when it is created, so CreateFlowLogs must "
                    "name the flow-log resource type by wildcard; the VPC itself is named exactly.",
                ),
            )
        acknowledge(
            self.role,
            (
                f"{NIST}IAMNoInlinePolicy",
                "Generated by aws-cdk-lib for the function's dead-letter queue and encrypted "
                "environment: sqs:SendMessage on that queue and kms:Decrypt on the room key only. "
                "The role's own permissions are a managed policy, capped by its boundary.",
            ),
        )
        acknowledge(
            self.function,
            (
                f"{NIST}LambdaConcurrency",
                "Lambda keeps 10 unreserved executions per account, so reserving any in a new "
                "account (whose quota is 10) fails the deployment; the function runs only on "
                "tampering events, and a dead-letter queue keeps what it could not handle.",
            ),
            (
                f"{NIST}LambdaInsideVPC",
                "The function only calls AWS control-plane APIs (CloudTrail, GuardDuty, S3, "
                "SSM, EC2, SNS); inside the glovebox it would need six more interface endpoints "
                "in the room's perimeter and would stop healing exactly when someone breaks the "
                "glovebox's endpoints. It holds no data and is capped by its own boundary.",
            ),
        )


def _event_pattern(pattern: dict[str, object]) -> events.EventPattern:
    return events.EventPattern(
        source=pattern.get("source"),  # type: ignore[arg-type]
        detail_type=pattern.get("detail-type"),  # type: ignore[arg-type]
        detail=pattern.get("detail"),  # type: ignore[arg-type]
    )
