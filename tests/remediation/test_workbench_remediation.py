"""Remediation of a notebook outside the glovebox (WBN-1): stopped and reported, in moto.

SageMaker tells EventBridge when a notebook instance is ``InService``; the room's rule sends that
event to the remediation function, which stops the notebook if it has direct internet access or
runs outside the room's subnets, and reports it on the alert topic.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from dataroom.remediation import handler as remediation
from tests.remediation import test_handler
from tests.remediation.conftest import ACCOUNT, REGION
from tests.remediation.test_handler import MotoRoom

# The handler tests' room in moto, shared (fixtures are found by name in this module).
client = test_handler.client
moto_room = test_handler.moto_room
room = test_handler.room

pytestmark = pytest.mark.moto


def _state_change(name: str, status: str = "InService") -> dict[str, Any]:
    """The event as EventBridge delivers SageMaker's notebook state changes to a target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": remediation.NOTEBOOK_STATE_CHANGE,
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-12-01T12:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}"],
        "detail": {
            "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}",
            "NotebookInstanceName": name,
            "NotebookInstanceStatus": status,
        },
    }


@pytest.fixture
def subnets(room: MotoRoom, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    ec2 = room.client("ec2")
    inside = ec2.create_subnet(VpcId=room.vpc, CidrBlock=f"10.42.{uuid.uuid4().int % 250}.0/24")
    other_vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    outside = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.43.1.0/24")
    monkeypatch.setenv("ROOM_SUBNETS", json.dumps([inside["Subnet"]["SubnetId"]]))
    return {"inside": inside["Subnet"]["SubnetId"], "outside": outside["Subnet"]["SubnetId"]}


def _notebook(room: MotoRoom, subnet: str, internet: str) -> str:
    name = f"nb-{uuid.uuid4().hex[:8]}"
    room.client("sagemaker").create_notebook_instance(
        NotebookInstanceName=name,
        InstanceType="ml.t3.medium",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/notebook",
        SubnetId=subnet,
        SecurityGroupIds=["sg-12345678"],
        DirectInternetAccess=internet,
        RootAccess="Disabled",
    )
    return name


def _status(room: MotoRoom, name: str) -> str:
    described = room.client("sagemaker").describe_notebook_instance(NotebookInstanceName=name)
    return str(described["NotebookInstanceStatus"])


@pytest.mark.parametrize(
    ("where", "internet", "problem"),
    [
        ("inside", "Enabled", "direct internet access Enabled"),
        ("outside", "Disabled", "is not the room's"),
    ],
)
def test_a_notebook_outside_the_glovebox_is_stopped_and_reported(
    room: MotoRoom, subnets: dict[str, str], where: str, internet: str, problem: str
) -> None:
    name = _notebook(room, subnets[where], internet)
    assert _status(room, name) == "InService"

    result = remediation.handler(_state_change(name), None)

    assert result["status"] == "remediated", result
    assert result["action"] == "StopNotebookInstance"
    assert problem in result["detail"]
    assert _status(room, name) in ("Stopping", "Stopped")
    (alert,) = room.alerts()
    subject, message = alert
    assert subject == f"dataroom {room.name}: stopped notebook {name} outside the glovebox"[:99]
    assert message["status"] == "remediated" and name in message["detail"]


def test_a_notebook_inside_the_glovebox_keeps_running(
    room: MotoRoom, subnets: dict[str, str]
) -> None:
    name = _notebook(room, subnets["inside"], "Disabled")

    result = remediation.handler(_state_change(name), None)

    assert result["status"] == "ignored"
    assert _status(room, name) == "InService"
    assert room.alerts() == []


def test_a_malformed_notebook_event_changes_nothing(room: MotoRoom) -> None:
    event = _state_change("x")
    del event["detail"]["NotebookInstanceName"]
    assert remediation.handler(event, None)["status"] == "error"
    assert room.alerts() == []
