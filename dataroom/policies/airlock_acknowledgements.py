"""The nag findings the airlock is known to raise, each acknowledged on its own construct."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

from dataroom.policies.acknowledgements import INLINE_ON_PURPOSE, NIST, NO_REPLICATION, SOLUTIONS

if TYPE_CHECKING:
    from dataroom.constructs.airlock import Airlock

KEY_GRANT = (
    "Emitted by aws-cdk-lib's grant on the room key (GenerateDataKey*, ReEncrypt*); the resource "
    "is the room key only, which the airlock's buckets and table use."
)


def _logical_id(construct: IConstruct) -> str:
    stack = Stack.of(construct)
    child = construct.node.default_child
    assert child is not None
    return stack.get_logical_id(child)  # type: ignore[arg-type]


def acknowledge_airlock(airlock: Airlock, *, requesters: Sequence[IConstruct] = ()) -> None:
    """Acknowledge, construct by construct, what the airlock raises by design."""
    stack = Stack.of(airlock)
    table = _logical_id(airlock.table)
    review = _logical_id(airlock.review_bucket)
    export = _logical_id(airlock.export_bucket)
    index = Acknowledgment(
        id=f"{SOLUTIONS}IAM5[Resource::<{table}.Arn>/index/*]",
        reason="The airlock table's own indexes (one: ByRequest), for reading a request's rows.",
    )
    review_objects = Acknowledgment(
        id=f"{SOLUTIONS}IAM5[Resource::<{review}.Arn>/*]",
        reason="Objects of the airlock's review bucket, whose policy admits reads only of "
        "versions GuardDuty tagged clean (the scanner aside) and writes only by the pipeline.",
    )
    key_acks = [
        Acknowledgment(id=f"{SOLUTIONS}IAM5[Action::kms:GenerateDataKey*]", reason=KEY_GRANT),
        Acknowledgment(id=f"{SOLUTIONS}IAM5[Action::kms:ReEncrypt*]", reason=KEY_GRANT),
    ]
    inline = Acknowledgment(id=f"{NIST}IAMNoInlinePolicy", reason=INLINE_ON_PURPOSE)
    for bucket in (airlock.review_bucket, airlock.export_bucket):
        Validations.of(bucket).acknowledge(
            Acknowledgment(id=f"{NIST}S3BucketReplicationEnabled", reason=NO_REPLICATION)
        )
    Validations.of(airlock.table).acknowledge(
        Acknowledgment(
            id=f"{NIST}DynamoDBInBackupPlan",
            reason="The airlock table is append-only (its resource policy denies every update "
            "and delete), keeps point-in-time recovery for 35 days and is retained with "
            "deletion protection; released exports are also recorded in evidence.json.",
        )
    )
    Validations.of(airlock.pipeline_role).acknowledge(
        inline,
        index,
        review_objects,
        *key_acks,
        Acknowledgment(
            id=f"{SOLUTIONS}IAM5[Resource::*]",
            reason="Emitted by aws-cdk-lib for the state machine's X-Ray tracing and its "
            "CloudWatch Logs delivery, which support no resource-level permission.",
        ),
        Acknowledgment(
            id=f"{SOLUTIONS}IAM5[Resource::<{_logical_id(airlock.results_bucket)}.Arn>/*]",
            reason="Reads of the results bucket's objects: a request names its objects at run "
            "time; the state machine reads only the pinned versions a request lists.",
        ),
    )
    Validations.of(airlock.release_role).acknowledge(
        inline,
        review_objects,
        *key_acks,
        Acknowledgment(
            id=f"{SOLUTIONS}IAM5[Resource::<{export}.Arn>/*]",
            reason="Writes into the export bucket under each request's own prefix, named at run "
            "time; the release role is the only principal the bucket policy lets write.",
        ),
    )
    Validations.of(airlock.approver_role).acknowledge(inline, index, review_objects, *key_acks)
    events = Acknowledgment(
        id=f"{SOLUTIONS}IAM5[Resource::arn:aws:events:{stack.region}:{stack.account}:rule/"
        "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*]",
        reason="The EventBridge rule GuardDuty Malware Protection for S3 manages for the "
        "review bucket; GuardDuty chooses its suffix (AWS's documented policy for the role).",
    )
    for policy in (airlock.scanner_policy, airlock.scanner_boundary):
        Validations.of(policy).acknowledge(events, review_objects)
    execution = Acknowledgment(
        id=f"{SOLUTIONS}IAM5[Resource::arn:aws:states:{stack.region}:{stack.account}:"
        f"execution:{airlock.state_machine_name}:*]",
        reason="Executions of the airlock's own state machine (one per request, named after "
        "it): a requester reads the status of the requests it started.",
    )
    for requester in requesters:
        Validations.of(requester).acknowledge(index, execution)
