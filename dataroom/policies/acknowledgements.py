"""Acknowledged nag findings: each construct now acknowledges its own, with the reason.

The by-design findings of :mod:`dataroom.constructs` (a boundary's ceiling, prefix wildcards,
SSE-S3 access-log buckets, unreplicated room data, CDK's generated inline policies...) are
acknowledged where they are raised, in the construct's own ``__init__`` (see
``dataroom/constructs/acknowledge.py``), so a team using the constructs in its own app needs no
copy of them. What remains here is for findings of a stack's own additions, outside any
construct; a finding is acknowledged on the one construct that raises it, never on a whole
stack, so the same finding on a new resource still fails synthesis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroom.constructs.acknowledge import (
    ACCESS_LOGS_SSE_S3,
    INLINE_ON_PURPOSE,
    NIST,
    NO_REPLICATION,
    SOLUTIONS,
)
from dataroom.constructs.data_room import PRIOR_NOT_A_CREDENTIAL, ROOM_GRANT_WILDCARD_ACTIONS
from dataroom.constructs.permission_boundary import BOUNDARY_CEILING

if TYPE_CHECKING:
    from dataroom.stacks.data_room_stack import DataRoomStack
    from dataroom.stacks.production_access_stack import ProductionAccessStack

__all__ = [
    "ACCESS_LOGS_SSE_S3",
    "BOUNDARY_CEILING",
    "INLINE_ON_PURPOSE",
    "NIST",
    "NO_REPLICATION",
    "PRIOR_NOT_A_CREDENTIAL",
    "ROOM_GRANT_WILDCARD_ACTIONS",
    "SOLUTIONS",
    "acknowledge_production_stack",
    "acknowledge_room_stack",
]


def acknowledge_room_stack(stack: DataRoomStack) -> None:
    """Findings of what a DataRoomStack adds next to its :class:`DataRoom`: none today."""


def acknowledge_production_stack(stack: ProductionAccessStack) -> None:
    """Findings of what a ProductionAccessStack adds next to its constructs: none today."""
