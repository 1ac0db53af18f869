"""Freezes a data room at expiry and reports it (AWS Lambda; also used by ``dataroom unfreeze``).

EventBridge Scheduler invokes ``handler`` once, at the room's expiry, with the input the
RoomLifecycle construct gave the schedule::

    {"action": "freeze", "reason": "expired", "room": "<room>", "expires": "YYYY-MM-DD",
     "scheduleArn": "arn:aws:scheduler:...", "scheduledTime": "2027-06-01T00:00:00Z"}

The freeze attaches the room's deny-all freeze policy to every room role, stops every SageMaker
notebook instance tagged ``dataroom:room=<room>`` (whatever created it) and publishes what it
did to the alert topic. Doing it twice changes nothing. This directory is the function's code
asset as-is, so only the standard library and the runtime's boto3 are used; clients are made
per call (they honour ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)

#: The tag that says which room a resource belongs to (set on every resource of a room stack).
ROOM_TAG = "dataroom:room"
#: Notebook states a stop applies to; the others are stopped, stopping, failed or deleting.
RUNNING_NOTEBOOK_STATES = frozenset({"InService", "Pending", "Updating"})
_SUBJECT_MAX = 99


@dataclass(frozen=True)
class RoomConfig:
    """The room as the construct describes it in the function's environment."""

    name: str
    topic_arn: str
    freeze_policy_arn: str
    roles: tuple[str, ...]

    @classmethod
    def from_environment(cls) -> RoomConfig:
        """Raises KeyError (a variable is missing) or ValueError (``ROOM_ROLES`` is no list)."""
        env = os.environ
        roles = json.loads(env["ROOM_ROLES"])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValueError(f"ROOM_ROLES={env['ROOM_ROLES']!r}: expected a JSON list of names")
        return cls(
            name=env["ROOM_NAME"],
            topic_arn=env["ALERT_TOPIC_ARN"],
            freeze_policy_arn=env["FREEZE_POLICY_ARN"],
            roles=tuple(roles),
        )


@dataclass
class FreezeReport:
    """What a freeze did, role by role and notebook by notebook."""

    room: str
    reason: str
    roles_frozen: list[str] = field(default_factory=list)
    roles_already_frozen: list[str] = field(default_factory=list)
    notebooks_stopped: list[str] = field(default_factory=list)
    notebooks_not_running: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "failed" if self.errors else "frozen"

    def to_dict(self) -> dict[str, Any]:
        return {
            "room": self.room,
            "status": self.status,
            "reason": self.reason,
            "rolesFrozen": self.roles_frozen,
            "rolesAlreadyFrozen": self.roles_already_frozen,
            "notebooksStopped": self.notebooks_stopped,
            "notebooksNotRunning": self.notebooks_not_running,
            "errors": self.errors,
        }


def handler(event: object, context: object) -> dict[str, Any]:
    """Freeze the room the event names; report to the topic. Never raises."""
    try:
        config = RoomConfig.from_environment()
    except (KeyError, ValueError) as error:
        LOGGER.error("configuration: %s: %s", type(error).__name__, error)
        return {"status": "error", "detail": f"configuration: {type(error).__name__}: {error}"}
    if not isinstance(event, dict) or event.get("action") != "freeze":
        LOGGER.error("not a freeze request, nothing done: %r", event)
        return {"status": "error", "detail": "expected an event with action 'freeze'"}
    if event.get("room") != config.name:
        detail = f"event names room {event.get('room')!r}, this function freezes {config.name!r}"
        LOGGER.error("%s; nothing done", detail)
        return {"status": "error", "detail": detail}
    reason = str(event.get("reason") or "requested")
    report = freeze(config, reason=reason)
    message = {**report.to_dict(), "event": _event_summary(event)}
    verb = "FREEZE FAILED" if report.errors else "frozen"
    publish(config.topic_arn, f"dataroom {config.name}: {verb} ({reason})", message)
    return report.to_dict()


def freeze(config: RoomConfig, *, reason: str) -> FreezeReport:
    """Attach the freeze policy to every room role and stop the room's notebooks."""
    report = FreezeReport(room=config.name, reason=reason)
    iam = _client("iam")
    for role in config.roles:
        try:
            attached = _attached_policy_arns(iam, role)
            if config.freeze_policy_arn in attached:
                report.roles_already_frozen.append(role)
                continue
            iam.attach_role_policy(RoleName=role, PolicyArn=config.freeze_policy_arn)
            report.roles_frozen.append(role)
        except (ClientError, BotoCoreError) as error:
            report.errors.append(f"role {role}: {type(error).__name__}: {error}")
    try:
        stopped, idle = stop_notebooks(config.name)
        report.notebooks_stopped.extend(stopped)
        report.notebooks_not_running.extend(idle)
    except (ClientError, BotoCoreError) as error:
        report.errors.append(f"notebooks: {type(error).__name__}: {error}")
    return report


def unfreeze(freeze_policy_arn: str, *, iam: Any | None = None) -> list[str]:
    """Detach the freeze policy from every role it is attached to; returns those roles."""
    iam = iam or _client("iam")
    roles: list[str] = []
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"PolicyArn": freeze_policy_arn, "EntityFilter": "Role"}
        if marker:
            kwargs["Marker"] = marker
        page = iam.list_entities_for_policy(**kwargs)
        roles.extend(role["RoleName"] for role in page.get("PolicyRoles", []))
        marker = page.get("Marker") if page.get("IsTruncated") else None
        if not marker:
            break
    for role in roles:
        iam.detach_role_policy(RoleName=role, PolicyArn=freeze_policy_arn)
    return roles


def frozen_roles(freeze_policy_arn: str, *, iam: Any | None = None) -> list[str]:
    """The roles the freeze policy is attached to now."""
    iam = iam or _client("iam")
    page = iam.list_entities_for_policy(PolicyArn=freeze_policy_arn, EntityFilter="Role")
    return [role["RoleName"] for role in page.get("PolicyRoles", [])]


def stop_notebooks(room: str, *, sagemaker: Any | None = None) -> tuple[list[str], list[str]]:
    """Stop every notebook instance tagged with ``room``: (stopped, already not running)."""
    sagemaker = sagemaker or _client("sagemaker")
    stopped: list[str] = []
    idle: list[str] = []
    token: str | None = None
    while True:
        page = sagemaker.list_notebook_instances(**({"NextToken": token} if token else {}))
        for notebook in page.get("NotebookInstances", []):
            tags = sagemaker.list_tags(ResourceArn=notebook["NotebookInstanceArn"]).get("Tags", [])
            if {t.get("Key"): t.get("Value") for t in tags}.get(ROOM_TAG) != room:
                continue
            name = notebook["NotebookInstanceName"]
            if notebook.get("NotebookInstanceStatus") in RUNNING_NOTEBOOK_STATES:
                sagemaker.stop_notebook_instance(NotebookInstanceName=name)
                stopped.append(name)
            else:
                idle.append(name)
        token = page.get("NextToken")
        if not token:
            break
    return stopped, idle


def publish(topic_arn: str, subject: str, message: dict[str, Any]) -> None:
    """Publish ``message`` to the alert topic; a failure to publish is only logged."""
    body = json.dumps(message, default=str)
    LOGGER.warning("report: %s", body)
    clean = "".join(c if " " <= c <= "~" else "?" for c in subject)[:_SUBJECT_MAX]
    try:
        _client("sns").publish(TopicArn=topic_arn, Subject=clean, Message=body)
    except (ClientError, BotoCoreError) as error:
        LOGGER.error("could not publish the report to %s: %s", topic_arn, error)


def _attached_policy_arns(iam: Any, role: str) -> set[str]:
    arns: set[str] = set()
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        arns.update(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
    return arns


def _event_summary(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event.get(k) for k in ("scheduleArn", "scheduledTime", "expires") if k in event}


def _client(service: str) -> Any:
    # boto3-stubs types client() per literal service name; ``service`` is any name here.
    return boto3.client(service)  # type: ignore[call-overload]
