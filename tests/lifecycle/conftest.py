"""A small session-scoped app holding RoomLifecycle in minimal stacks (no glovebox, no gate)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from dataroom.constructs.lifecycle import RoomLifecycle

#: The day the small app is synthesized "on".
SYNTH_DAY = dt.date(2026, 12, 1)
ACCOUNT = "222222222222"


@dataclass
class Built:
    stack: Stack
    lifecycle: RoomLifecycle
    template: dict


def _room_stack(app: App, construct_id: str, *, expires: dt.date, **props: object) -> Built:
    stack = Stack(app, construct_id, env=Environment(account=ACCOUNT, region="us-east-1"))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    topic = sns.Topic(stack, "Alerts", master_key=key)
    role = iam.Role(
        stack,
        "Scientist",
        role_name="dataroom-small-scientist",
        assumed_by=iam.AccountPrincipal(ACCOUNT),
    )
    boundary = iam.ManagedPolicy(
        stack,
        "Boundary",
        statements=[iam.PolicyStatement(actions=["*"], resources=["*"])],
    )
    logs_bucket = s3.Bucket(stack, "AccessLogs")
    lifecycle = RoomLifecycle(
        stack,
        "Lifecycle",
        room_name="small",
        expires=expires,
        alert_topic=topic,
        encryption_key=key,
        roles=[role],
        boundary=boundary,
        access_logs_bucket=logs_bucket,
        today=SYNTH_DAY,
        **props,  # type: ignore[arg-type]
    )
    return Built(stack, lifecycle, {})


@pytest.fixture(scope="session")
def small_app(context: dict[str, object]) -> dict[str, Built]:
    """Stacks of one app: a room, the same room with ``expires`` extended, shared-account room,
    a room whose warnings are partly past, and one already expired at synth."""
    app = App(context=context)
    built = {
        "room": _room_stack(app, "Room", expires=dt.date(2027, 3, 31), linked_account=ACCOUNT),
        "extended": _room_stack(
            app, "Extended", expires=dt.date(2027, 6, 30), linked_account=ACCOUNT
        ),
        "shared": _room_stack(app, "Shared", expires=dt.date(2027, 3, 31), budget_usd_month=750),
        "soon": _room_stack(app, "Soon", expires=dt.date(2026, 12, 5)),
        "expired": _room_stack(app, "Expired", expires=dt.date(2026, 11, 1)),
    }
    for item in built.values():
        item.template = Template.from_stack(item.stack).to_json()
    return built


# The session's moto server and its clients (tests/moto), for the moto tests of this folder.
from tests.moto.conftest import aws_client, moto_endpoint  # noqa: E402, F401
