"""Every acknowledged nag finding, in one place, each with the reason a reviewer would accept.

A finding is acknowledged on the one construct that raises it, never on a whole stack, so the same
finding on a new resource still fails synthesis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Validations

if TYPE_CHECKING:
    from dataroom.stacks.data_room_stack import DataRoomStack

NIST = "NIST.800.53.R5::NIST.800.53.R5-"

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
    Validations.of(storage.access_logs_bucket).acknowledge(
        Acknowledgment(
            id=f"{NIST}S3DefaultEncryptionKMS",
            reason="S3 server access logging cannot deliver to a bucket whose default encryption "
            "is SSE-KMS (an AWS limitation); this bucket holds only access logs, uses SSE-S3, "
            "blocks public access and admits principals of the room account only.",
        ),
    )
