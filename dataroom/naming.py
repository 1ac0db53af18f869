"""Names that are part of the contract between a room account and the production account.

The production stack trusts the room's scientist role by ARN, and the room assumes the production
read role by ARN, across accounts: neither side can look the other up, so both derive the names
from the manifest here.
"""

from __future__ import annotations

from dataroom.manifest import Manifest, Room


def default_scientist_role_name(room_name: str) -> str:
    """The entry role of the room called ``room_name``, in the room account."""
    return f"dataroom-{room_name}-scientist"


def scientist_role_name(room: Room) -> str:
    """The room's entry role, in the room account."""
    return default_scientist_role_name(room.name)


def read_role_name(room: Room) -> str:
    """The room's production read role, in the production account."""
    return f"dataroom-{room.name}-read"


def scientist_role_arn(manifest: Manifest, room: Room, partition: str) -> str:  # noqa: ARG001
    """ARN of the room's entry role, in ``partition`` (the stack's: never assume ``aws``)."""
    return f"arn:{partition}:iam::{room.account}:role/{scientist_role_name(room)}"


def read_role_arn(manifest: Manifest, room: Room, partition: str) -> str:
    """ARN of the room's production read role, in ``partition`` (the stack's)."""
    return f"arn:{partition}:iam::{manifest.production.account}:role/{read_role_name(room)}"


def external_id(room: Room) -> str:
    """The ExternalId the room presents to production: names the room and its approval ticket.

    It is not a secret; it stops the confused-deputy problem should a role ARN be reused.
    """
    return f"dataroom-{room.name}-{room.ticket}"


def dal_external_id(room_name: str, ticket: str) -> str:
    """The ExternalId the data access layer presents to a phase-B room's tenant reader role."""
    return f"dataroom-{room_name}-dal-{ticket}"
