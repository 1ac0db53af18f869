"""Rows of the airlock table, and what they say, without jsii and without AWS calls.

Rows people write live in their own partition (``pk`` = their SourceIdentity, enforced by IAM):

- a **request**: ``sk = request#<id>``, the objects (key and pinned version), the reason;
- a **decision**: ``sk = decision#<id>``, ``approve`` or ``reject``, a comment.

Rows only the state machine writes live in ``pk = airlock#<id>``: one ``state#NN#<State>`` row
per state entered, the last one saying where the request is; the ``Released`` row carries the
released objects (keys, pinned versions, SHA-256 digests) and the approvers the machine counted.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataroom.airlock.definition import (
    APPROVE,
    DECISION_PREFIX,
    PIPELINE_PREFIX,
    REJECT,
    REQUEST_PREFIX,
    TERMINAL,
)

__all__ = [
    "BY_KIND_INDEX",
    "Decision",
    "ExportObject",
    "RequestStatus",
    "decision_item",
    "new_request_id",
    "parse_object",
    "request_item",
    "status_from_rows",
]

#: Index that lists every row of one kind (``request``, ``state``) in time order.
BY_KIND_INDEX = "ByKind"
#: Object keys the airlock accepts: they are used verbatim in CopySource, which must not need
#: URL-encoding, and they must not climb out of the request's prefix.
_KEY_RE = re.compile(r"^[A-Za-z0-9!_.*'()=/-]{1,1000}$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9._+=-]{1,1024}$")
_REQUEST_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
#: What STS accepts as a SourceIdentity (2..64 characters, no '#').
_IDENTITY_RE = re.compile(r"^[\w+=,.@-]{2,64}$")


@dataclass(frozen=True)
class ExportObject:
    """One object of a request: a key of the results bucket and its pinned version."""

    key: str
    version_id: str

    def to_item(self) -> dict[str, Any]:
        return {"M": {"key": {"S": self.key}, "version_id": {"S": self.version_id}}}


def check_identity(identity: str) -> str:
    """``identity`` if it can be a SourceIdentity; ``ValueError`` naming it otherwise."""
    if not _IDENTITY_RE.fullmatch(identity):
        raise ValueError(
            f"--as {identity!r}: expected the SourceIdentity of your session (2-64 characters of "
            "letters, digits and +=,.@_-), e.g. your e-mail address"
        )
    return identity


def check_request_id(request_id: str) -> str:
    if not _REQUEST_ID_RE.fullmatch(request_id):
        raise ValueError(
            f"request id {request_id!r}: expected an id printed by `dataroom export request`, "
            "e.g. 20261201T120000Z-1a2b3c4d"
        )
    return request_id


def parse_object(text: str) -> ExportObject:
    """``KEY@VERSION_ID`` as an :class:`ExportObject`; ``ValueError`` saying what is wrong."""
    key, sep, version = text.rpartition("@")
    if not sep:
        raise ValueError(
            f"{text!r}: expected KEY@VERSION_ID (exports are pinned to a version; "
            "`aws s3api list-object-versions` shows them)"
        )
    problems = []
    if not _KEY_RE.fullmatch(key) or key.startswith("/") or ".." in key.split("/"):
        problems.append(
            f"key {key!r} must be 1-1000 characters of letters, digits and !_.*'()=/- "
            "without a leading '/' or '..'"
        )
    if not _VERSION_RE.fullmatch(version) or version == "null":
        problems.append(f"version {version!r} is not an S3 version id")
    if problems:
        raise ValueError(f"{text!r}: " + "; ".join(problems))
    return ExportObject(key, version)


def new_request_id(now: dt.datetime | None = None) -> str:
    """A request id: UTC time and 32 random bits (also the execution's name)."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def request_item(
    *,
    request_id: str,
    requester: str,
    room: str,
    objects: Sequence[ExportObject],
    reason: str,
    caller_arn: str,
    at: str | None = None,
) -> dict[str, Any]:
    """The request row, in the requester's own partition."""
    if not objects:
        raise ValueError("a request needs at least one object")
    keys = [o.key for o in objects]
    if len(set(keys)) != len(keys):
        raise ValueError(f"objects {keys!r}: a key is listed twice")
    if len(reason.strip()) < 10:
        raise ValueError(f"--reason {reason!r}: expected at least 10 characters saying why")
    return {
        "pk": {"S": check_identity(requester)},
        "sk": {"S": f"{REQUEST_PREFIX}{request_id}"},
        "request_id": {"S": request_id},
        "kind": {"S": "request"},
        "room": {"S": room},
        "objects": {"L": [o.to_item() for o in objects]},
        "reason": {"S": reason.strip()},
        "caller_arn": {"S": caller_arn},
        "at": {"S": at or _now()},
    }


def decision_item(
    *, request_id: str, approver: str, decision: str, comment: str, at: str | None = None
) -> dict[str, Any]:
    """A decision row, in the approver's own partition (one per approver and request)."""
    if decision not in (APPROVE, REJECT):
        raise ValueError(f"decision {decision!r}: expected {APPROVE!r} or {REJECT!r}")
    item = {
        "pk": {"S": check_identity(approver)},
        "sk": {"S": f"{DECISION_PREFIX}{request_id}"},
        "request_id": {"S": request_id},
        "kind": {"S": "decision"},
        "decision": {"S": decision},
        "at": {"S": at or _now()},
    }
    if comment:
        item["comment"] = {"S": comment}
    return item


def pipeline_key(request_id: str) -> str:
    return f"{PIPELINE_PREFIX}{request_id}"


@dataclass(frozen=True)
class Decision:
    """A decision row as read back."""

    identity: str
    decision: str
    at: str
    comment: str = ""


@dataclass
class RequestStatus:
    """Everything the table says about one request."""

    request_id: str
    requester: str | None = None
    reason: str = ""
    requested_at: str = ""
    objects: list[dict[str, Any]] = field(default_factory=list)
    states: list[tuple[str, str]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    released: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        """The last state the state machine recorded (``Requested`` before it starts)."""
        return self.states[-1][0] if self.states else "Requested"

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "requester": self.requester,
            "reason": self.reason,
            "requested_at": self.requested_at,
            "state": self.state,
            "states": [{"state": s, "at": at} for s, at in self.states],
            "objects": self.objects,
            "decisions": [d.__dict__ for d in self.decisions],
            "released": self.released,
        }


def _s(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name, {})
    return str(value.get("S", "")) if isinstance(value, Mapping) else ""


def _json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text) if text else []
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []


def status_from_rows(request_id: str, rows: Iterable[Mapping[str, Any]]) -> RequestStatus:
    """A request's status from its rows (request, decisions, pipeline states) in any order."""
    status = RequestStatus(request_id)
    states: list[tuple[str, str, str]] = []
    for row in rows:
        sk = _s(row, "sk")
        if sk == f"{REQUEST_PREFIX}{request_id}":
            status.requester = _s(row, "pk")
            status.reason = _s(row, "reason")
            status.requested_at = _s(row, "at")
            status.objects = [
                {
                    "key": o.get("M", {}).get("key", {}).get("S"),
                    "version_id": o.get("M", {}).get("version_id", {}).get("S"),
                }
                for o in row.get("objects", {}).get("L", [])
            ]
        elif sk == f"{DECISION_PREFIX}{request_id}":
            status.decisions.append(
                Decision(_s(row, "pk"), _s(row, "decision"), _s(row, "at"), _s(row, "comment"))
            )
        elif sk.startswith("state#") and _s(row, "pk") == pipeline_key(request_id):
            states.append((sk, _s(row, "state"), _s(row, "at")))
            if _s(row, "state") == "Released":
                status.released = {
                    "at": _s(row, "at"),
                    "requester": _s(row, "requester"),
                    "approvers": _json_list(_s(row, "approvers")),
                    "objects": _json_list(_s(row, "objects")),
                }
    status.states = [(state, at) for _, state, at in sorted(states)]
    status.decisions.sort(key=lambda d: (d.at, d.identity))
    return status


def export_record(room: str, status: RequestStatus) -> dict[str, Any]:
    """One released export as evidence (EXP-2): who asked, who approved, what left, when."""
    released = status.released or {}
    return {
        "room": room,
        "request_id": status.request_id,
        "requester": released.get("requester") or status.requester,
        "reason": status.reason,
        "requested_at": status.requested_at,
        "released_at": released.get("at"),
        "approvers": sorted(released.get("approvers", [])),
        "decisions": [
            {"identity": d.identity, "decision": d.decision, "at": d.at} for d in status.decisions
        ],
        "objects": [
            {
                "key": o.get("key"),
                "version_id": o.get("version_id"),
                "export_version_id": o.get("export_version_id"),
                "sha256": o.get("sha256"),
            }
            for o in released.get("objects", [])
        ],
    }
