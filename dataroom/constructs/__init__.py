"""Reusable constructs of a data room."""

from dataroom.constructs.audit_trail import AuditTrail
from dataroom.constructs.glovebox import Glovebox
from dataroom.constructs.permission_boundary import RoomPermissionBoundary
from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from dataroom.constructs.room_key import RoomKey
from dataroom.constructs.room_storage import RoomStorage

__all__ = [
    "AuditTrail",
    "Glovebox",
    "ReadOnlyDatasetAccess",
    "RoomKey",
    "RoomPermissionBoundary",
    "RoomStorage",
]
