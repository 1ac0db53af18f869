"""A team adopts the constructs in its own app: bare App() (no cdk.json flags), its own stacks.

Each construct acknowledges its own by-design findings, so the team's app passes
``ProductionBaseline.apply`` (cdk-nag packs included) without copying our acknowledgements; a
finding on the team's own resource still fails; a DataRoom in the team's stack is judged by the
room-level rules like DataRoomStack.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from aws_cdk import App, Environment, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

from dataroom import ProductionBaseline
from dataroom.constructs import (
    AuditTrail,
    Glovebox,
    ReadOnlyDatasetAccess,
    RoomKey,
    RoomStorage,
)
from dataroom.manifest import Phase
from dataroom.policies.nag import apply_nag_gate
from dataroom.stacks import DeployTimeZonesStack

ENV = Environment(account="111111111111", region="us-east-1")


def _team_production_app(outdir: Path, *, extra_bucket: bool) -> App:
    app = App(outdir=str(outdir))  # no context: aws-cdk-lib's default feature flags
    stack = Stack(app, "TeamProd", env=ENV)
    key = RoomKey(stack, "Key", alias="team/audit")
    AuditTrail(stack, "Trail", encryption_key=key.key, trail_name="team-reads")
    endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(stack, "S3", "vpce-0123456789")
    RoomStorage(stack, "Storage", encryption_key=key.key, vpc_endpoint=endpoint)
    access = ReadOnlyDatasetAccess(
        stack,
        "Read",
        trusted_role_arns=["arn:aws:iam::222222222222:role/team-scientist"],
        external_id="team-SEC-1",
        expires=dt.date(2027, 1, 31),
        role_name="team-read",
    )
    access.grant_read_prefix(bucket_name="prod-telemetry", prefix="events/process/")
    if extra_bucket:
        # The team's own bucket: nobody acknowledged its findings, so they still fail.
        s3.Bucket(stack, "Unreviewed", removal_policy=RemovalPolicy.RETAIN)
    ProductionBaseline.apply(app)
    return app


def test_team_app_with_our_constructs_passes_the_production_baseline(tmp_path: Path) -> None:
    _team_production_app(tmp_path / "ok", extra_bucket=False).synth()


def test_the_acknowledgements_are_per_construct_not_global(tmp_path: Path) -> None:
    app = _team_production_app(tmp_path / "bad", extra_bucket=True)
    with pytest.raises(RuntimeError) as failure:
        app.synth()
    message = str(failure.value)
    assert "TeamProd/Unreviewed/Resource" in message
    assert "TeamProd/Storage" not in message and "TeamProd/Trail" not in message


def test_glovebox_with_explicit_zones_looks_nothing_up(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = DeployTimeZonesStack(app, "Net", env=ENV)
    key = RoomKey(stack, "Key", alias="team/net")
    box = Glovebox(
        stack, "Box", availability_zones=["us-east-1a", "us-east-1b"], flow_log_key=key.key
    )
    box.permit_dataset_bucket(s3.Bucket.from_bucket_name(stack, "D", "prod-data"), prefixes=["a/"])
    app.synth()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert not manifest.get("missing"), "a context look-up would need AWS credentials at synth"
    subnets = json.loads((tmp_path / "Net.template.json").read_text())["Resources"]
    zones = {
        r["Properties"]["AvailabilityZone"]
        for r in subnets.values()
        if r["Type"] == "AWS::EC2::Subnet"
    }
    assert zones == {"us-east-1a", "us-east-1b"}


