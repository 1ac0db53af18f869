"""Every acknowledged nag finding, in one place, each with the reason a reviewer would accept.

A finding is acknowledged on the one construct that raises it, never on a whole stack, so the same
finding on a new resource still fails synthesis.
"""

from __future__ import annotations

from typing import Protocol

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import IConstruct

from dataroom.constructs.alert_delivery import AlertDelivery
from dataroom.constructs.alerts import RoomAlerts
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.constructs.config_rules import ConfigBaseline
from dataroom.constructs.permission_boundary import RoomPermissionBoundary
from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from dataroom.constructs.remediation import Remediation
from dataroom.constructs.room_storage import RoomStorage
from dataroom.manifest import Manifest


# The stacks call these functions with themselves: described structurally, so this module never
# imports the stacks (no import cycle, not even for type checking).
class DataRoomStack(Protocol):
    """What acknowledging a room stack's findings reads of it."""

    storage: RoomStorage
    boundary: RoomPermissionBoundary
    scientist_role: iam.Role
    trail: AuditTrail
    priors: dict[str, secretsmanager.Secret]
    config_baseline: ConfigBaseline
    remediation: Remediation
    alerts: RoomAlerts

    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def partition(self) -> str: ...
    def get_logical_id(self, element: CfnElement) -> str: ...


class ProductionAccessStack(Protocol):
    """What acknowledging a production-access stack's findings reads of it."""

    manifest: Manifest
    read_trail: AuditTrail
    read_access: dict[str, ReadOnlyDatasetAccess]
    alert_delivery: AlertDelivery

    @property
    def partition(self) -> str: ...


NIST = "NIST.800.53.R5::NIST.800.53.R5-"
SOLUTIONS = "AwsSolutions::AwsSolutions-"

BOUNDARY_CEILING = (
    "This is a permissions boundary, not a grant: its Allow */* is the ceiling a boundary needs "
    "so that the role's own policies decide; it grants nothing by itself. Its Deny statements "
    "(IAM changes, egress, guardrail tampering) are the control."
)
INLINE_ON_PURPOSE = (
    "The policy belongs to this one role and is deleted with it; an inline policy cannot be "
    "attached to another principal by mistake, which is what a room's grant must guarantee."
)
#: The wildcard actions aws-cdk-lib's Bucket and Key grants emit for the room's own buckets.
ROOM_GRANT_WILDCARD_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)

#: Why room buckets are not replicated. Shared by the three buckets, as the reason is the same.
NO_REPLICATION = (
    "Room data is production-derived and must stay in the room's account and region; replication "
    "would create a second copy outside the glovebox's perimeter and review. Durability comes from "
    "S3 itself, versioning and a retain-on-delete policy."
)


def acknowledge_room_stack(stack: DataRoomStack) -> None:
    """Acknowledge the findings a DataRoomStack is known to raise, construct by construct."""
    storage = stack.storage
    for bucket in storage.buckets:
        Validations.of(bucket).acknowledge(
            Acknowledgment(id=f"{NIST}S3BucketReplicationEnabled", reason=NO_REPLICATION)
        )
    Validations.of(stack.boundary).acknowledge(
        Acknowledgment(id=f"{SOLUTIONS}IAM5[Action::*]", reason=BOUNDARY_CEILING),
        Acknowledgment(id=f"{SOLUTIONS}IAM5[Resource::*]", reason=BOUNDARY_CEILING),
        Acknowledgment(id=f"{NIST}IAMPolicyNoStatementsWithAdminAccess", reason=BOUNDARY_CEILING),
        Acknowledgment(id=f"{NIST}IAMPolicyNoStatementsWithFullAccess", reason=BOUNDARY_CEILING),
    )
    role_acks = [Acknowledgment(id=f"{NIST}IAMNoInlinePolicy", reason=INLINE_ON_PURPOSE)]
    for action in ROOM_GRANT_WILDCARD_ACTIONS:
        role_acks.append(
            Acknowledgment(
                id=f"{SOLUTIONS}IAM5[Action::{action}]",
                reason="Emitted by aws-cdk-lib's grant on the room's own bucket or key; the "
                "resource is that bucket or key only, and the bucket and endpoint policies confine "
                "it to the glovebox.",
            )
        )
    for bucket in (storage.intermediate_bucket, storage.results_bucket):
        logical_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
        role_acks.append(
            Acknowledgment(
                id=f"{SOLUTIONS}IAM5[Resource::<{logical_id}.Arn>/*]",
                reason="Objects of the room's own bucket; the bucket policy admits only requests "
                "through the glovebox's endpoint.",
            )
        )
    Validations.of(stack.scientist_role).acknowledge(*role_acks)
    Validations.of(storage.access_logs_bucket).acknowledge(
        Acknowledgment(id=f"{NIST}S3DefaultEncryptionKMS", reason=ACCESS_LOGS_SSE_S3),
    )
    acknowledge_audit_trail(stack.trail)
    acknowledge_alert_delivery(stack.alerts.delivery)
    for secret in stack.priors.values():
        Validations.of(secret).acknowledge(
            *(
                Acknowledgment(id=rule, reason=PRIOR_NOT_A_CREDENTIAL)
                for rule in (
                    f"{SOLUTIONS}SMG4",
                    f"{NIST}SecretsManagerRotationEnabled",
                )
            )
        )
    baseline = stack.config_baseline
    if baseline.delivery_bucket is not None:
        Validations.of(baseline.delivery_bucket).acknowledge(
            Acknowledgment(id=f"{NIST}S3BucketReplicationEnabled", reason=NO_REPLICATION)
        )
        bucket_id = stack.get_logical_id(baseline.delivery_bucket.node.default_child)  # type: ignore[arg-type]
        Validations.of(baseline.delivery_policy).acknowledge(
            Acknowledgment(
                id=f"{SOLUTIONS}IAM5[Resource::<{bucket_id}.Arn>/config/AWSLogs/"
                f"{stack.account}/Config/*]",
                reason="AWS Config names its snapshot and history objects; the wildcard covers "
                "Config's own prefix of the room's Config bucket and nothing else.",
            )
        )
    if baseline.recorder is not None:
        Validations.of(baseline.recorder_role).acknowledge(
            Acknowledgment(
                id=f"{SOLUTIONS}IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWS_ConfigRole]",
                reason="AWS_ConfigRole is the policy AWS maintains for the Config recorder; it "
                "tracks every resource type Config learns to record, which a hand-written copy "
                "would miss. The role is assumable by Config of this account only.",
            )
        )
    remediation = stack.remediation
    for policy in (remediation.permissions, remediation.boundary):
        Validations.of(policy).acknowledge(*_remediation_wildcards(stack))
    Validations.of(remediation.role).acknowledge(
        Acknowledgment(
            id=f"{NIST}IAMNoInlinePolicy",
            reason="Generated by aws-cdk-lib for the function's dead-letter queue and encrypted "
            "environment: sqs:SendMessage on that queue and kms:Decrypt on the room key only. "
            "The role's own permissions are a managed policy, capped by its boundary.",
        )
    )
    Validations.of(remediation.function).acknowledge(
        Acknowledgment(
            id=f"{NIST}LambdaConcurrency",
            reason="Lambda keeps 10 unreserved executions per account, so reserving any in a new "
            "account (whose quota is 10) fails the deployment; the function runs only on "
            "tampering events, and a dead-letter queue keeps what it could not handle.",
        ),
        Acknowledgment(
            id=f"{NIST}LambdaInsideVPC",
            reason="The function only calls AWS control-plane APIs (CloudTrail, GuardDuty, S3, "
            "SSM, EC2, SNS); inside the glovebox it would need six more interface endpoints in "
            "the room's perimeter and would stop healing exactly when someone breaks the "
            "glovebox's endpoints. It holds no data and is capped by its own boundary.",
        ),
    )


def _remediation_wildcards(stack: DataRoomStack) -> list[Acknowledgment]:
    return [
        Acknowledgment(
            id=f"{SOLUTIONS}IAM5[Resource::*]",
            reason="Only ec2:DescribeFlowLogs, which supports no resource-level permission; every "
            "restoring call is scoped to the room's own trail, detector, buckets and VPC.",
        ),
        Acknowledgment(
            id=f"{SOLUTIONS}IAM5[Resource::arn:{stack.partition}:ec2:{stack.region}:{stack.account}:"
            "vpc-flow-log/*]",
            reason="A flow log's id is chosen by EC2 when it is created, so CreateFlowLogs must "
            "name the flow-log resource type by wildcard; the VPC itself is named exactly.",
        ),
    ]


PRIOR_NOT_A_CREDENTIAL = (
    "A model prior is a parameter the room's owner sets, not a credential: there is nothing to "
    "rotate, and a rotation function would overwrite the value. The secret is encrypted with the "
    "room key and readable by the room's roles only (CHG-4)."
)

ACCESS_LOGS_SSE_S3 = (
    "S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS (an "
    "AWS limitation); this bucket holds only access logs, uses SSE-S3, blocks public access and "
    "admits principals of its own account only."
)


def acknowledge_audit_trail(trail: AuditTrail) -> None:
    """Acknowledge the findings every :class:`AuditTrail` raises by design."""
    stack = Stack.of(trail)
    buckets: list[IConstruct] = [trail.bucket]
    if trail.owns_access_logs_bucket:
        buckets.append(trail.access_logs_bucket)
        Validations.of(trail.access_logs_bucket).acknowledge(
            Acknowledgment(id=f"{NIST}S3DefaultEncryptionKMS", reason=ACCESS_LOGS_SSE_S3)
        )
    for bucket in buckets:
        Validations.of(bucket).acknowledge(
            Acknowledgment(
                id=f"{NIST}S3BucketReplicationEnabled",
                reason="Audit logs are object-locked (compliance mode) and retained on stack "
                "deletion; the account's copy for a separate log archive comes from the "
                "organization trail, not from replicating this bucket, which would spread the "
                "room's access records to a second place outside this review.",
            )
        )
    log_group = stack.resolve(trail.log_group.log_group_name)["Ref"]
    Validations.of(trail.logs_delivery_policy).acknowledge(
        Acknowledgment(
            id=f"{SOLUTIONS}IAM5[Resource::arn:{stack.partition}:logs:{stack.region}:{stack.account}:"
            f"log-group:<{log_group}>:log-stream:*]",
            reason="CloudTrail names the log streams it creates; the wildcard covers the streams "
            "of this trail's own log group and nothing else.",
        )
    )


def acknowledge_alert_delivery(delivery: AlertDelivery) -> None:
    """MON-6: the alert dead-letter queue is a DLQ, which cdk-nag recognises only between queues."""
    Validations.of(delivery.dead_letters).acknowledge(
        Acknowledgment(
            id=f"{SOLUTIONS}SQS3",
            reason="This queue is the dead-letter queue of the alert rules' targets "
            "(Targets[].DeadLetterConfig) and of the topic's subscriptions (RedrivePolicy); "
            "cdk-nag only recognises a DLQ named by another queue's RedrivePolicy. An alarm "
            "fires when it holds a message.",
        )
    )


def acknowledge_production_stack(stack: ProductionAccessStack) -> None:
    """Acknowledge the findings a ProductionAccessStack is known to raise."""
    acknowledge_audit_trail(stack.read_trail)
    acknowledge_alert_delivery(stack.alert_delivery)
    for room_name, access in stack.read_access.items():
        room = stack.manifest.room(room_name)
        acks = [Acknowledgment(id=f"{NIST}IAMNoInlinePolicy", reason=INLINE_ON_PURPOSE)]
        for dataset in stack.manifest.room_datasets(room):
            arn = f"arn:{stack.partition}:s3:::{dataset.bucket}/{dataset.prefix}*"
            acks.append(
                Acknowledgment(
                    id=f"{SOLUTIONS}IAM5[Resource::{arn}]",
                    reason=f"Objects under the approved prefix {dataset.prefix} of dataset "
                    f"{dataset.name}: a prefix grant needs the trailing wildcard; reads only, "
                    "until the room expires.",
                )
            )
        Validations.of(access.role).acknowledge(*acks)
