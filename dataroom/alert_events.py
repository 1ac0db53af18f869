"""The events a room alerts on (MON-4) and remediates, as EventBridge patterns. jsii-free.

CloudTrail delivers management events to EventBridge as ``AWS API Call via CloudTrail``; the
room's trail (MON-1) is what makes them flow. IAM is a global service whose events arrive in
us-east-1 only, so IAM alerts fire when the room's region is us-east-1 (``iam_events_region``).
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.monitoring import (
    DEFAULT_MIN_SEVERITY,
    IAM_EVENTS,
    NETWORK_EVENTS,
    REMEDIABLE_EVENTS,
    TAMPERING_EVENTS,
)

__all__ = [
    "API_CALL",
    "DEFAULT_MIN_SEVERITY",
    "IAM",
    "NETWORK",
    "REMEDIABLE",
    "TAMPERING",
    "api_call_pattern",
    "denied_writes_pattern",
    "guardduty_pattern",
]

API_CALL = "AWS API Call via CloudTrail"

#: The event lists are control facts, defined once in the catalogue (dataroom.controls).
TAMPERING = TAMPERING_EVENTS
NETWORK = NETWORK_EVENTS
IAM = IAM_EVENTS
REMEDIABLE = REMEDIABLE_EVENTS


def api_call_pattern(calls: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """An EventBridge pattern matching successful or failed API calls ``calls`` names."""
    return {
        "detail-type": [API_CALL],
        "source": sorted({_source(event_source) for event_source in calls}),
        "detail": {
            "eventSource": sorted(calls),
            "eventName": sorted({name for names in calls.values() for name in names}),
        },
    }


def guardduty_pattern(min_severity: float = DEFAULT_MIN_SEVERITY) -> dict[str, Any]:
    """GuardDuty findings at or above ``min_severity``."""
    if not 1.0 <= min_severity <= 10.0:
        raise ValueError(f"min_severity={min_severity}: expected 1.0-10.0 (GuardDuty's scale)")
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", min_severity]}]},
    }


def denied_writes_pattern(role_arns: list[str]) -> dict[str, Any]:
    """Refused non-read calls by the given roles' sessions (production-side, MON-4)."""
    return {
        "detail-type": [API_CALL],
        "detail": {
            # EC2 records its refusals as Client.UnauthorizedOperation.
            "errorCode": [
                "AccessDenied",
                "AccessDeniedException",
                "UnauthorizedOperation",
                "Client.UnauthorizedOperation",
            ],
            "readOnly": [False],
            "userIdentity": {"sessionContext": {"sessionIssuer": {"arn": sorted(role_arns)}}},
        },
    }


def _source(event_source: str) -> str:
    """``s3.amazonaws.com`` -> ``aws.s3``: the EventBridge source of a CloudTrail event."""
    return "aws." + event_source.split(".", 1)[0]
