"""A team puts a Glovebox in its own stack: no context look-up of the zones at synth."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_s3 as s3

from dataroom.constructs import Glovebox, RoomKey
from dataroom.stacks import DeployTimeZonesStack

ENV = Environment(account="111111111111", region="us-east-1")


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


def test_glovebox_says_when_a_plain_stack_would_look_zones_up(tmp_path: Path) -> None:
    from aws_cdk.assertions import Annotations, Match

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Plain", env=ENV)
    key = RoomKey(stack, "Key", alias="team/plain")
    box = Glovebox(
        stack, "Box", availability_zones=["us-east-1a", "us-east-1b"], flow_log_key=key.key
    )
    box.permit_dataset_bucket(s3.Bucket.from_bucket_name(stack, "D", "prod-data"), prefixes=["a/"])
    Annotations.from_stack(stack).has_warning(
        "/Plain/Box", Match.string_like_regexp("derive the stack from .*DeployTimeZonesStack")
    )
