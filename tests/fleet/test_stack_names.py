"""Stable names and order: `-c room=` selects one room as DataRoomStack; production goes last."""

from __future__ import annotations

import pytest
import yaml
from aws_cdk import App, Stack

from dataroom.application import (
    PRODUCTION_STACK_ID,
    SINGLE_ROOM_STACK_ID,
    RoomSelectionError,
    build_app,
    room_stack_id,
    select_room,
)
from dataroom.manifest import Manifest, parse_manifest
from dataroom.stacks import DataRoomStack
from tests.conftest import EXAMPLE, TODAY


@pytest.fixture(scope="module")
def three_rooms() -> Manifest:
    data = yaml.safe_load(EXAMPLE.read_text())
    first = data["rooms"][0]
    data["rooms"] = [
        first,
        dict(
            first,
            name="lateral-movement",
            vpc_cidr="10.81.0.0/22",
            account="333333333333",
            principals=["arn:aws:iam::333333333333:role/DataScientist"],
        ),
        # A room in definition reads nothing: the production stack need not wait for it.
        dict(
            first,
            name="churn-ideas",
            phase="definition",
            datasets=[],
            vpc_cidr="10.82.0.0/22",
            account="444444444444",
            principals=["arn:aws:iam::444444444444:role/DataScientist"],
        ),
    ]
    return parse_manifest(yaml.safe_dump(data), today=TODAY)


def test_names_without_a_selection(three_rooms: Manifest) -> None:
    assert [room_stack_id(three_rooms, r) for r in three_rooms.rooms] == [
        "DataRoomStack-abnormal-process-exec",
        "DataRoomStack-lateral-movement",
        "DataRoomStack-churn-ideas",
    ]
    # Selected, any room is DataRoomStack: `cdk deploy DataRoomStack -c room=<name>`.
    assert room_stack_id(three_rooms, three_rooms.rooms[1], selected=True) == SINGLE_ROOM_STACK_ID


def test_an_unknown_room_is_refused_with_the_known_ones(three_rooms: Manifest) -> None:
    with pytest.raises(RoomSelectionError) as failure:
        select_room(three_rooms, "lateral")
    assert "-c room=lateral" in str(failure.value)
    assert "abnormal-process-exec, lateral-movement, churn-ideas" in str(failure.value)
    assert select_room(three_rooms, None) is None


def test_selection_builds_one_room_and_orders_production_after_it(
    three_rooms: Manifest, context: dict[str, object]
) -> None:
    app = App(context={**context, "room": "lateral-movement"})
    build_app(three_rooms, app=app, nag=False)
    stacks = {c.node.id: c for c in app.node.children if isinstance(c, Stack)}
    assert sorted(stacks) == [SINGLE_ROOM_STACK_ID, PRODUCTION_STACK_ID]
    room = stacks[SINGLE_ROOM_STACK_ID]
    assert isinstance(room, DataRoomStack)
    # The same CloudFormation stack as the all-rooms form deploys.
    assert room.stack_name == "dataroom-lateral-movement" and room.account == "333333333333"
    # No other room's constructs were built (the production stack holds every room's role).
    assert not [
        c.node.path
        for c in app.node.find_all()
        if "abnormal-process-exec" in c.node.path
        and not c.node.path.startswith(f"{PRODUCTION_STACK_ID}/")
    ]
    production = stacks[PRODUCTION_STACK_ID]
    assert [d.node.id for d in production.dependencies] == [SINGLE_ROOM_STACK_ID]
    # The production stack stays whole: deploying it never drops another room's read role.
    assert sorted(production.read_access) == ["abnormal-process-exec", "lateral-movement"]  # type: ignore[attr-defined]


def test_all_rooms_production_waits_for_every_room_that_reads(
    three_rooms: Manifest, context: dict[str, object]
) -> None:
    app = build_app(three_rooms, app=App(context=context), nag=False)
    production = app.node.find_child(PRODUCTION_STACK_ID)
    assert isinstance(production, Stack)
    assert sorted(d.node.id for d in production.dependencies) == [
        "DataRoomStack-abnormal-process-exec",
        "DataRoomStack-lateral-movement",
    ]


def test_selection_is_refused_when_production_pins_another_rooms_endpoint(
    context: dict[str, object],
) -> None:
    # A room in the production account is pinned to its own stack's S3 endpoint id (PER-3): a
    # one-room synth of another room cannot build that pin, so it refuses instead of dropping it.
    data = yaml.safe_load(EXAMPLE.read_text())
    first = data["rooms"][0]
    production = str(data["production"]["account"])
    shared = dict(
        first,
        name="in-production",
        vpc_cidr="10.83.0.0/22",
        account=production,
        principals=[f"arn:aws:iam::{production}:role/DataScientist"],
        monitoring={
            **first.get("monitoring", {}),
            "existing_guardduty_detector_id": "12abc34d567e8fa901bc2d34e56789f0",
            "existing_config_recorder": True,
        },
    )
    data["rooms"] = [first, shared]
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = App(context={**context, "room": first["name"]})
    with pytest.raises(RoomSelectionError, match=r"pins the reads of in-production .*PER-3"):
        build_app(manifest, app=app, nag=False)
    # The nearest allowed request: selecting the shared-account room itself builds its pin.
    app = App(context={**context, "room": "in-production"})
    build_app(manifest, app=app, nag=False)
