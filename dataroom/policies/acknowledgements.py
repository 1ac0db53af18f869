"""The room stack's own acknowledged nag findings: those of no single construct of the library.

Every construct of :mod:`dataroom.constructs` acknowledges its own by-design findings, each
with its reason (:mod:`dataroom.constructs.acknowledge`). What is left here belongs to the room
stack itself: its scientist role, which the stack grants the room's buckets and key, and the
priors' secrets. A finding is acknowledged on the one construct that raises it, never on a whole
stack, so the same finding on a new resource still fails synthesis.
"""

from __future__ import annotations

from typing import Protocol

from aws_cdk import Acknowledgment, CfnElement, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager

from dataroom.constructs.acknowledge import (
    ACCESS_LOGS_SSE_S3,
    BOUNDARY_CEILING,
    INLINE_ON_PURPOSE,
    NIST,
    NO_REPLICATION,
    SOLUTIONS,
)
from dataroom.constructs.room_storage import RoomStorage

__all__ = [
    "ACCESS_LOGS_SSE_S3",
    "BOUNDARY_CEILING",
    "INLINE_ON_PURPOSE",
    "NIST",
    "NO_REPLICATION",
    "PRIOR_NOT_A_CREDENTIAL",
    "ROOM_GRANT_WILDCARD_ACTIONS",
    "SOLUTIONS",
    "DataRoomStack",
    "acknowledge_room_stack",
]


# The stack calls this function with itself: described structurally, so this module never
# imports the stacks (no import cycle, not even for type checking).
class DataRoomStack(Protocol):
    """What acknowledging a room stack's own findings reads of it."""

    storage: RoomStorage
    scientist_role: iam.Role
    priors: dict[str, secretsmanager.Secret]

    def get_logical_id(self, element: CfnElement) -> str: ...


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

PRIOR_NOT_A_CREDENTIAL = (
    "A model prior is a parameter the room's owner sets, not a credential: there is nothing to "
    "rotate, and a rotation function would overwrite the value. The secret is encrypted with the "
    "room key and readable by the room's roles only (CHG-4)."
)


def acknowledge_room_stack(stack: DataRoomStack) -> None:
    """Acknowledge the findings of a DataRoomStack's scientist role and priors' secrets."""
    storage = stack.storage
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
