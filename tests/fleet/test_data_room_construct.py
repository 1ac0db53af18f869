"""DataRoom: a whole room from typed props, placed in a team's own stack (no manifest).

The room-level rules judge it as they judge DataRoomStack (the construct writes the stack's
``kind: room`` metadata); a weakening in the team's stack fails synthesis; a stack holds one room;
wrong props are named before anything is built; and an expiry extension changes only what
expiry governs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from dataroom.constructs import DataRoom, DatasetRead
from dataroom.gated import is_gated, waive_gate
from dataroom.manifest import Phase
from dataroom.policies.nag import apply_nag_gate
from dataroom.stacks import DeployTimeZonesStack

ROOM_ENV = Environment(account="222222222222", region="us-east-1")
PRODUCTION = "111111111111"


def _room(stack: DeployTimeZonesStack, name: str, **overrides: Any) -> DataRoom:
    props: dict[str, Any] = {
        "name": name,
        "phase": Phase.EXPLORATION,
        "hypothesis": "Team hypothesis about process executions",
        "ticket": "TEAM-1",
        "owner": "owner@example.com",
        "approvers": ["security@example.com"],
        "expires": dt.date(2027, 1, 31),
        "production_external_id": "team-room-TEAM-1",
        **overrides,
    }
    if "principals" not in props:
        props["principals"] = [
            iam.Role.from_role_arn(stack, "Scientists", f"arn:aws:iam::{stack.account}:role/Sci")
        ]
    if "datasets" not in props:
        bucket = s3.Bucket.from_bucket_attributes(
            stack, "Telemetry", bucket_name="prod-telemetry", account=PRODUCTION, region="us-east-1"
        )
        props["datasets"] = [DatasetRead(bucket=bucket, prefixes=("events/process/",))]
    if "production_read_role" not in props:
        props["production_read_role"] = iam.Role.from_role_arn(
            stack, "ReadRole", f"arn:aws:iam::{PRODUCTION}:role/team-read", mutable=False
        )
    return DataRoom(stack, "Room", **props)


@pytest.fixture(scope="module")
def team_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A team's app: one clean room stack, one weakened; the gate's verdict on the pair."""
    outdir = tmp_path_factory.mktemp("team")
    app = App(outdir=str(outdir))
    _room(DeployTimeZonesStack(app, "TeamRoom", env=ROOM_ENV), "team-room")
    weak = DeployTimeZonesStack(
        app, "WeakRoom", env=Environment(account="333333333333", region="us-east-1")
    )
    room = _room(weak, "weak-room")
    # The team's own addition to the room's stack: an internet path out of the glovebox.
    gateway = ec2.CfnInternetGateway(weak, "Gateway")
    ec2.CfnVPCGatewayAttachment(
        weak, "Attach", vpc_id=room.vpc.vpc_id, internet_gateway_id=gateway.ref
    )
    apply_nag_gate(app)
    with pytest.raises(RuntimeError) as failure:
        app.synth()
    return outdir, str(failure.value)


def test_a_weakened_room_in_a_team_stack_fails_synth(team_app: tuple[Path, str]) -> None:
    _, message = team_app
    assert "NET1NoInternetPath" in message
    assert "WeakRoom/" in message


def test_the_clean_room_in_a_team_stack_raises_nothing(team_app: tuple[Path, str]) -> None:
    _, message = team_app
    assert "TeamRoom/" not in message


def test_the_room_marks_its_stack_for_the_room_rules(team_app: tuple[Path, str]) -> None:
    outdir, _ = team_app
    template = json.loads((outdir / "TeamRoom.template.json").read_text())
    metadata = template["Metadata"]["dataroom"]
    assert metadata["kind"] == "room" and metadata["room"] == "team-room"
    assert metadata["phase"] == "exploration"
    # Every role of the stack carries the room boundary (IAM-5), the team's too.
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert roles and all("PermissionsBoundary" in r["Properties"] for r in roles)


def test_one_room_per_stack(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Two", env=ROOM_ENV)
    _room(stack, "first-room")
    with pytest.raises(ValueError, match="expected at most one DataRoom per stack"):
        DataRoom(
            stack,
            "Second",
            name="second-room",
            phase=Phase.DEFINITION,
            hypothesis="Another hypothesis",
            ticket="T-1",
            owner="o@example.com",
            approvers=["a@example.com"],
            expires=dt.date(2027, 1, 31),
            principals=[iam.Role.from_role_arn(stack, "X", "arn:aws:iam::222222222222:role/X")],
        )


def test_bad_props_are_named_before_anything_is_built(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Bad", env=ROOM_ENV)
    with pytest.raises(ValueError) as failure:
        _room(
            stack,
            "Bad_Name",
            phase=Phase.DEFINITION,
            datasets=[],
            approvers=[],
            owner="not-an-email",
            expires=dt.date(2020, 1, 1),
            query_limit_gb=0,
            budget_usd_month=0,
            vpc_cidr="8.8.8.0/22",
            principals=[iam.Role.from_role_arn(stack, "Any", "arn:aws:iam::222222222222:role/*")],
        )
    message = str(failure.value)
    assert message.startswith("Bad/Room: ")
    assert "name='Bad_Name'" in message
    assert "owner='not-an-email'" in message
    assert "approvers=[]" in message
    assert "principals:" in message and "arn:aws:iam::222222222222:role/*" in message
    assert "phase='definition' reads no production data (IAM-6)" in message
    assert "expires=2020-01-01: in the past" in message
    for prop in ("query_limit_gb=0", "budget_usd_month=0", "vpc_cidr='8.8.8.0/22'"):
        assert prop in message, prop
    # Nothing of the room was added to the stack before the refusal.
    assert [c.node.id for c in stack.node.children if c.node.id.startswith("Room")] == ["Room"]
    assert stack.node.find_child("Room").node.children == []


def test_principals_of_another_account_are_refused(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Foreign", env=ROOM_ENV)
    outsider = iam.Role.from_role_arn(stack, "Outsider", "arn:aws:iam::999999999999:role/Outsider")
    with pytest.raises(ValueError, match="is not a role of the room's account 222222222222"):
        _room(stack, "foreign-room", principals=[outsider])
    # The twin: a role of the room's own account is accepted.
    _room(DeployTimeZonesStack(app, "Own", env=ROOM_ENV), "own-room")


def test_a_room_needs_a_stack_with_an_account_and_region(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Agnostic")
    with pytest.raises(ValueError, match="has no explicit account and region"):
        _room(stack, "agnostic-room")


def test_datasets_without_the_read_role_are_refused(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "NoRole", env=ROOM_ENV)
    with pytest.raises(ValueError, match="production_read_role, production_external_id"):
        _room(stack, "no-role", production_read_role=None)


def _synth_room(outdir: Path, expires: dt.date) -> dict[str, Any]:
    app = App(outdir=str(outdir))
    _room(DeployTimeZonesStack(app, "Room", env=ROOM_ENV), "extend-room", expires=expires)
    apply_nag_gate(app)
    assembly = app.synth()
    return dict(assembly.get_stack_by_name("Room").template["Resources"])


def test_an_expiry_extension_changes_only_what_expiry_governs(tmp_path: Path) -> None:
    before = _synth_room(tmp_path / "v1", dt.date(2027, 1, 31))
    after = _synth_room(tmp_path / "v2", dt.date(2027, 3, 31))
    assert before.keys() == after.keys()
    changed = {after[k]["Type"] for k in before if before[k] != after[k]}
    # The expiry tag (VPC, key, entry role) and the lifecycle's own schedules and budget.
    assert changed <= {
        "AWS::EC2::VPC",
        "AWS::KMS::Key",
        "AWS::IAM::Role",
        "AWS::Scheduler::Schedule",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
    }, changed
    assert {"AWS::EC2::VPC", "AWS::KMS::Key", "AWS::Scheduler::Schedule"} <= changed
    tagged = [
        k
        for k, r in after.items()
        if "dataroom:expires" in json.dumps(r.get("Properties", {}).get("Tags", []))
    ]
    assert len(tagged) == 3
    assert sum(1 for k in before if before[k] != after[k]) < len(after) // 10


@pytest.mark.parametrize("metadata", [{}, {"dataroom": {"kind": "production"}}])
def test_a_room_whose_stack_lost_its_mark_fails_synth(
    tmp_path: Path, metadata: dict[str, Any]
) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Unmarked", env=ROOM_ENV)
    _room(stack, "unmarked-room")
    apply_nag_gate(app)
    # A user's app hiding the room from the room-level rules.
    stack.template_options.metadata = metadata
    with pytest.raises(RuntimeError, match="is not what the room wrote") as refused:
        app.synth()
    assert "no dataroom gate judges this app" not in str(refused.value)


def test_a_room_in_an_app_without_the_gate_fails_synth(tmp_path: Path) -> None:
    # The twin that passes is the clean team room above (same room, the gate applied).
    app = App(outdir=str(tmp_path))
    _room(DeployTimeZonesStack(app, "Ungated", env=ROOM_ENV), "ungated-room")
    with pytest.raises(RuntimeError, match="no dataroom gate judges this app") as refused:
        app.synth()
    assert "apply_nag_gate(app)" in str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("readers", ["arn:aws:iam::999999999999:role/Partner"]),
        ("expect", {"athena_cutoff_bytes": 2**50, "min_finding_severity": 4.0}),
        ("phase", "production-a"),
    ],
)
def test_a_room_whose_declared_facts_were_edited_fails_synth(
    tmp_path: Path, key: str, value: Any
) -> None:
    # The gate believes the metadata's readers and expectations: editing them would admit a
    # reader of another account, or a cut-off of a petabyte, that nobody approved.
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Edited", env=ROOM_ENV)
    _room(stack, "edited-room")
    apply_nag_gate(app)
    metadata = dict(stack.template_options.metadata)
    metadata["dataroom"] = dict(metadata["dataroom"])
    metadata["dataroom"][key] = value
    stack.template_options.metadata = metadata
    with pytest.raises(RuntimeError, match=f"is not what the room wrote \\(changed: {key}\\)"):
        app.synth()


def test_waiving_the_gate_names_who_and_why() -> None:
    app = App()
    with pytest.raises(ValueError, match="expected who waives the gate"):
        waive_gate(app, why=" ")
    # The twin: a named waiver is recorded, and the room below it counts as judged.
    waive_gate(app, why="a test inspecting a refused template")
    stack = DeployTimeZonesStack(app, "Waived", env=ROOM_ENV)
    assert is_gated(_room(stack, "waived-room"))
