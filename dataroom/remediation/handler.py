"""Puts a data room's guardrails back after tampering, and reports what it did (AWS Lambda).

EventBridge invokes ``handler`` with "AWS API Call via CloudTrail" events. This directory is the
function's code asset as-is, so only the standard library and the runtime's boto3 are used. The
room is described by environment variables and boto3 clients are made per invocation: both are
read when an event arrives, never at import (clients honour ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError

LOGGER = logging.getLogger(__name__)
# The Lambda runtime's root logger passes WARNING and up; an ignored event deserves a line too.
LOGGER.setLevel(logging.INFO)

#: The function ships without the dataroom package: the control catalogue's restore list
#: (``dataroom.controls.monitoring.REMEDIABLE_EVENTS``) and public-access-block flags
#: (``dataroom.controls.storage.PUBLIC_ACCESS_FLAGS``) reach it in these environment variables,
#: which the Remediation construct sets from the catalogue.
REMEDIATED_EVENTS_VARIABLE = "REMEDIATED_EVENTS"
PUBLIC_ACCESS_FLAGS_VARIABLE = "PUBLIC_ACCESS_FLAGS"
_TRAIL_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/(?P<name>.+)$")
#: SNS refuses subjects of 100 characters or more, and any but printable ASCII.
_SUBJECT_MAX = 99

_T = TypeVar("_T")


class MalformedEventError(ValueError):
    """The event lacks a field the function needs, or has one of the wrong type."""


class RemediationError(Exception):
    """A restoring step failed other than by an error response (e.g. no intended policy)."""


@dataclass(frozen=True)
class Room:
    """The room's guardrails, as the Remediation construct puts them in the environment."""

    name: str
    topic_arn: str
    trail_name: str
    detector_id: str
    buckets: frozenset[str]
    policy_prefix: str
    vpc_id: str
    flow_log_group: str
    flow_log_role_arn: str
    remediated_events: dict[str, tuple[str, ...]]
    public_access_flags: tuple[str, ...]

    @classmethod
    def from_environment(cls) -> Room:
        """Raises KeyError (a variable is missing) or ValueError (``ROOM_BUCKETS`` is no list)."""
        env = os.environ
        buckets = json.loads(env["ROOM_BUCKETS"])
        if not isinstance(buckets, list) or not all(isinstance(b, str) for b in buckets):
            raise ValueError(f"ROOM_BUCKETS={env['ROOM_BUCKETS']!r}: expected a JSON list of names")
        return cls(
            name=env["ROOM_NAME"],
            topic_arn=env["ALERT_TOPIC_ARN"],
            trail_name=env["TRAIL_NAME"],
            detector_id=env["DETECTOR_ID"],
            buckets=frozenset(buckets),
            policy_prefix=env["BUCKET_POLICY_PARAMETER_PREFIX"],
            vpc_id=env["VPC_ID"],
            flow_log_group=env["FLOW_LOG_GROUP_NAME"],
            flow_log_role_arn=env["FLOW_LOG_ROLE_ARN"],
            remediated_events=_json_map(env[REMEDIATED_EVENTS_VARIABLE]),
            public_access_flags=tuple(_json_names(env[PUBLIC_ACCESS_FLAGS_VARIABLE])),
        )


def _json_names(raw: str) -> list[str]:
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{raw!r}: expected a JSON list of names")
    return value


def _json_map(raw: str) -> dict[str, tuple[str, ...]]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{raw!r}: expected a JSON object of eventSource -> eventNames")
    return {str(k): tuple(_json_names(json.dumps(v))) for k, v in value.items()}


@dataclass(frozen=True)
class Outcome:
    """What a remedy did: ``done`` False means there was nothing of the room's to put back."""

    done: bool
    detail: str


#: ``remedy(room, eventName, requestParameters)``.
Remedy = Callable[[Room, str, dict[str, Any]], Outcome]
#: eventName -> (the restoring call, what the alert's subject says was done, the remedy).
_REMEDIES: dict[str, tuple[str, str, Remedy]] = {}


def _remedy(action: str, summary: str, *event_names: str) -> Callable[[Remedy], Remedy]:
    """Register the decorated function as the remedy of ``event_names``."""

    def register(remedy: Remedy) -> Remedy:
        for name in event_names:
            _REMEDIES[name] = (action, summary, remedy)
        return remedy

    return register


def handler(event: object, context: object) -> dict[str, Any]:
    """Undo the tampering ``event`` records if it touched the room, and report it. Never raises."""
    if isinstance(event, dict) and event.get("detail-type") == NOTEBOOK_STATE_CHANGE:
        return check_notebook(event)
    try:
        detail = _detail(event)
    except MalformedEventError as error:
        LOGGER.error("malformed event, nothing done: %s", error)
        return _result("error", "none", str(error))
    source, name = detail["eventSource"], detail["eventName"]
    try:
        room = Room.from_environment()
    except (KeyError, ValueError) as error:
        LOGGER.error("configuration: %s: %s", type(error).__name__, error)
        return _result("error", "none", f"configuration: {type(error).__name__}: {error}")
    if name not in room.remediated_events.get(source, ()) or name not in _REMEDIES:
        return _ignored(f"{source} {name} is not remediated")
    if "errorCode" in detail:
        # The rule also matches refused calls; those changed nothing.
        return _ignored(f"{name} failed with {detail['errorCode']}: nothing changed")
    identity = detail.get("userIdentity")
    if isinstance(identity, dict) and identity.get("invokedBy") == "cloudformation.amazonaws.com":
        # A deployment changing the intended state: putting back the previous one would race it.
        return _ignored(f"{name} made by CloudFormation: the deployment is the intended state")
    action, summary, remedy = _REMEDIES[name]
    try:
        outcome = remedy(room, name, detail.get("requestParameters") or {})
    except MalformedEventError as error:
        LOGGER.error("malformed %s event, nothing done: %s", name, error)
        return _result("error", action, str(error))
    except (ClientError, BotoCoreError, RemediationError) as error:
        return _failed(room, detail, action, f"{type(error).__name__}: {error}")
    except Exception as error:  # A bug must still reach the topic, not only the logs.
        LOGGER.exception("unexpected error in %s after %s", action, name)
        return _failed(room, detail, action, f"unexpected {type(error).__name__}: {error}")
    if not outcome.done:
        return _ignored(outcome.detail)
    result = _result("remediated", action, outcome.detail)
    _report(room, detail, result, summary)
    return result


@_remedy("StartLogging", "restored trail logging", "StopLogging")
def _restart_trail(room: Room, name: str, params: dict[str, Any]) -> Outcome:
    trail = _field(params, "name", str)
    match = _TRAIL_ARN.match(trail)
    if (match["name"] if match else trail) != room.trail_name:
        return Outcome(False, f"trail {trail} is not the room's")
    _client("cloudtrail").start_logging(Name=room.trail_name)
    return Outcome(True, f"started logging of trail {room.trail_name}")


@_remedy("UpdateDetector", "re-enabled the GuardDuty detector", "UpdateDetector")
def _reenable_detector(room: Room, name: str, params: dict[str, Any]) -> Outcome:
    detector = _field(params, "detectorId", str)
    if detector != room.detector_id:
        return Outcome(False, f"detector {detector} is not the room's")
    enable = params.get("enable", True)
    if not isinstance(enable, bool):
        raise MalformedEventError(f"enable: expected a boolean, got {type(enable).__name__}")
    if enable:
        return Outcome(False, f"detector {detector} was changed, not disabled")
    _client("guardduty").update_detector(DetectorId=detector, Enable=True)
    return Outcome(True, f"enabled detector {detector}")


@_remedy(
    "PutPublicAccessBlock",
    "restored a bucket's public access block",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
)
def _block_public_access(room: Room, name: str, params: dict[str, Any]) -> Outcome:
    bucket = _field(params, "bucketName", str)
    if bucket not in room.buckets:
        return Outcome(False, f"bucket {bucket} is not the room's")
    if name == "PutBucketPublicAccessBlock":
        config = _field(params, "PublicAccessBlockConfiguration", dict)
        if all(config.get(flag) is True for flag in room.public_access_flags):
            return Outcome(False, f"bucket {bucket} still blocks all public access")
    _client("s3").put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=dict.fromkeys(room.public_access_flags, True)
    )
    return Outcome(True, f"blocked all public access to bucket {bucket}")


@_remedy("PutBucketPolicy", "restored a bucket policy", "PutBucketPolicy", "DeleteBucketPolicy")
def _restore_bucket_policy(room: Room, name: str, params: dict[str, Any]) -> Outcome:
    bucket = _field(params, "bucketName", str)
    if bucket not in room.buckets:
        return Outcome(False, f"bucket {bucket} is not the room's")
    parameter = room.policy_prefix + bucket
    try:
        intended = _client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as error:
        if _code(error) == "ParameterNotFound":
            raise RemediationError(f"no intended policy: no parameter {parameter}") from error
        raise
    try:
        intended_document = json.loads(intended)
    except ValueError as error:
        raise RemediationError(f"parameter {parameter} is not JSON: {error}") from error
    s3 = _client("s3")
    try:
        current = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if _code(error) != "NoSuchBucketPolicy":
            raise
        current = None
    if current == intended_document:
        return Outcome(False, f"bucket {bucket} already has its intended policy")
    s3.put_bucket_policy(Bucket=bucket, Policy=intended)
    return Outcome(True, f"restored the policy of bucket {bucket} from {parameter}")


@_remedy("CreateFlowLogs", "restored the VPC flow log", "DeleteFlowLogs")
def _recreate_flow_log(room: Room, name: str, params: dict[str, Any]) -> Outcome:
    ec2 = _client("ec2")
    existing = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [room.vpc_id]}])
    # Any other flow log on the VPC (another destination or traffic type) is not the room's.
    rooms = (room.flow_log_group, "ALL")
    for flow_log in existing.get("FlowLogs", []):
        if (flow_log.get("LogGroupName"), flow_log.get("TrafficType")) == rooms:
            return Outcome(False, f"VPC {room.vpc_id} still has flow log {flow_log['FlowLogId']}")
    response = ec2.create_flow_logs(
        ResourceIds=[room.vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=room.flow_log_group,
        DeliverLogsPermissionArn=room.flow_log_role_arn,
        MaxAggregationInterval=60,  # as deployed (dataroom/constructs/glovebox.py)
    )
    if response.get("Unsuccessful"):
        raise RemediationError(f"CreateFlowLogs refused: {response['Unsuccessful']}")
    created = ", ".join(response.get("FlowLogIds", []))
    return Outcome(True, f"created flow log {created} of VPC {room.vpc_id}, ALL traffic")


def _detail(event: object) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise MalformedEventError(f"event: expected an object, got {type(event).__name__}")
    detail = _field(event, "detail", dict)
    _field(detail, "eventSource", str)
    _field(detail, "eventName", str)
    for key in ("requestParameters", "userIdentity"):
        if detail.get(key) is not None:
            _field(detail, key, dict)
    return detail


def _field(mapping: dict[str, Any], key: str, kind: type[_T]) -> _T:
    value = mapping.get(key)
    if not isinstance(value, kind):
        raise MalformedEventError(f"{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _client(service: str) -> Any:
    # boto3-stubs types client() per literal service name; ``service`` is any name here.
    return boto3.client(service)  # type: ignore[call-overload]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _result(status: str, action: str, detail: Any) -> dict[str, Any]:
    return {"status": status, "action": action, "detail": detail}


def _ignored(reason: str) -> dict[str, Any]:
    LOGGER.info("ignored: %s", reason)
    return _result("ignored", "none", reason)


def _failed(room: Room, detail: dict[str, Any], action: str, reason: str) -> dict[str, Any]:
    LOGGER.error("%s after %s failed: %s", action, detail["eventName"], reason)
    result = _result("failed", action, reason)
    _report(room, detail, result, f"remediation FAILED after {detail['eventName']}")
    return result


def _report(room: Room, detail: dict[str, Any], result: dict[str, Any], summary: str) -> None:
    """Publish ``result`` and the event it answers; a failure to publish is only logged."""
    identity = detail.get("userIdentity") or {}
    session = identity.get("sessionContext")
    event = {
        "eventSource": detail["eventSource"],
        "eventName": detail["eventName"],
        "eventID": detail.get("eventID"),
        "eventTime": detail.get("eventTime"),
        "awsRegion": detail.get("awsRegion"),
        "who": identity.get("arn") or identity.get("invokedBy") or identity.get("type"),
    }
    if isinstance(session, dict) and session.get("sourceIdentity"):
        event["sourceIdentity"] = session["sourceIdentity"]
    message = json.dumps({"room": room.name, **result, "event": event}, default=str)
    subject = "".join(c if " " <= c <= "~" else "?" for c in f"dataroom {room.name}: {summary}")
    LOGGER.warning("report: %s", message)
    try:
        _client("sns").publish(
            TopicArn=room.topic_arn, Subject=subject[:_SUBJECT_MAX], Message=message
        )
    except (ClientError, BotoCoreError) as error:
        LOGGER.error("could not publish the report to %s: %s", room.topic_arn, error)


# --- workbench (WBN-1) -------------------------------------------------------------------------

#: The state-change event SageMaker sends when a notebook instance starts.
NOTEBOOK_STATE_CHANGE = "SageMaker Notebook Instance State Change"


def _notebook_problems(notebook: dict[str, Any], subnets: frozenset[str]) -> list[str]:
    """What puts a notebook outside the glovebox: direct internet access or a foreign subnet."""
    problems = []
    if notebook.get("DirectInternetAccess") != "Disabled":
        problems.append(f"direct internet access {notebook.get('DirectInternetAccess', 'Enabled')}")
    if notebook.get("SubnetId") not in subnets:
        problems.append(f"subnet {notebook.get('SubnetId') or 'none'} is not the room's")
    return problems


def check_notebook(event: dict[str, Any]) -> dict[str, Any]:
    """Stop a notebook that is outside the glovebox (WBN-1) and report it; never raises."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        detail = {}
    name = detail.get("NotebookInstanceName")
    if not isinstance(name, str):
        LOGGER.error("malformed notebook event, nothing done: no NotebookInstanceName")
        return _result("error", "none", "NotebookInstanceName: expected str")
    pseudo = {
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": f"NotebookInstance{detail.get('NotebookInstanceStatus', '')}",
        "eventID": event.get("id"),
        "eventTime": event.get("time"),
        "awsRegion": event.get("region"),
        "userIdentity": {"invokedBy": "sagemaker.amazonaws.com"},
    }
    try:
        room = Room.from_environment()
        subnets = json.loads(os.environ.get("ROOM_SUBNETS", "[]"))
        if not isinstance(subnets, list):
            raise ValueError(f"ROOM_SUBNETS={subnets!r}: expected a JSON list of subnet ids")
    except (KeyError, ValueError) as error:
        LOGGER.error("configuration: %s: %s", type(error).__name__, error)
        return _result("error", "StopNotebookInstance", f"configuration: {error}")
    try:
        sagemaker = _client("sagemaker")
        notebook = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        problems = _notebook_problems(notebook, frozenset(subnets))
        if not problems:
            return _ignored(f"notebook {name} is inside the glovebox")
        if notebook.get("NotebookInstanceStatus") == "InService":
            sagemaker.stop_notebook_instance(NotebookInstanceName=name)
            done = "stopped"
        else:
            done = f"found {notebook.get('NotebookInstanceStatus')} (not stopped)"
    except (ClientError, BotoCoreError) as error:
        return _failed(room, pseudo, "StopNotebookInstance", f"{type(error).__name__}: {error}")
    result = _result(
        "remediated", "StopNotebookInstance", f"{done} notebook {name}: {'; '.join(problems)}"
    )
    _report(room, pseudo, result, f"stopped notebook {name} outside the glovebox")
    return result
