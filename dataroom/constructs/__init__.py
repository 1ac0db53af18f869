"""Reusable constructs of a data room."""

from dataroom.constructs.airlock import Airlock
from dataroom.constructs.alert_delivery import AlertDelivery
from dataroom.constructs.alerts import RoomAlerts
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.constructs.cdk_roles import DefaultSecurityGroupProviderBoundary
from dataroom.constructs.config_rules import ConfigBaseline
from dataroom.constructs.data_room import DataRoom, DatasetRead
from dataroom.constructs.dns_firewall import DnsFirewall
from dataroom.constructs.glovebox import Glovebox
from dataroom.constructs.lifecycle import RoomLifecycle
from dataroom.constructs.permission_boundary import RoomPermissionBoundary
from dataroom.constructs.query_guard import QueryGuard
from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from dataroom.constructs.remediation import Remediation
from dataroom.constructs.results_publication import ResultsPublication
from dataroom.constructs.room_key import RoomKey
from dataroom.constructs.room_storage import RoomStorage
from dataroom.constructs.threat_detection import ThreatDetection
from dataroom.constructs.workbench import Workbench

__all__ = [
    "Airlock",
    "AlertDelivery",
    "AuditTrail",
    "ConfigBaseline",
    "DataRoom",
    "DatasetRead",
    "DefaultSecurityGroupProviderBoundary",
    "DnsFirewall",
    "Glovebox",
    "QueryGuard",
    "ReadOnlyDatasetAccess",
    "Remediation",
    "ResultsPublication",
    "RoomAlerts",
    "RoomKey",
    "RoomLifecycle",
    "RoomPermissionBoundary",
    "RoomStorage",
    "ThreatDetection",
    "Workbench",
]
