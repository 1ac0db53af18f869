"""ProductionBaseline: a production app gets the same gate, against the same baseline file."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from dataroom import ProductionBaseline
from tests.conftest import ROOT

BASELINE = ROOT / "examples" / "baseline.yaml"


def _production_app(context, outdir, *, retention: logs.RetentionDays, rotation: bool) -> App:
    app = App(context=context, outdir=str(outdir))
    stack = Stack(app, "Prod", env={"account": "111111111111", "region": "us-east-1"})
    key = kms.Key(
        stack,
        "Key",
        enable_key_rotation=rotation,
        pending_window=Duration.days(30),
        removal_policy=RemovalPolicy.RETAIN,
    )
    logs.LogGroup(
        stack, "Logs", retention=retention, encryption_key=key, removal_policy=RemovalPolicy.RETAIN
    )
    return app


def test_weaker_production_app_fails_with_the_baseline_values(context, tmp_path) -> None:
    app = _production_app(context, tmp_path, retention=logs.RetentionDays.ONE_MONTH, rotation=False)
    gate = ProductionBaseline.apply(app, baseline=BASELINE, cdk_nag_packs=False)
    assert gate.baseline.log_retention_days == 365
    with pytest.raises(RuntimeError) as failure:
        app.synth()
    message = str(failure.value)
    assert "DataRoom-DRF2LogRetention[log-retention:-room=30d-production=365d]" in message
    assert "DataRoom-S32KeyRotation[rotation:-room=off-production=on]" in message


def test_production_app_meeting_the_baseline_passes(context, tmp_path) -> None:
    app = _production_app(context, tmp_path, retention=logs.RetentionDays.ONE_YEAR, rotation=True)
    ProductionBaseline.apply(app, baseline=BASELINE, cdk_nag_packs=False)
    app.synth()


def test_room_only_rules_do_not_apply_to_production(context, tmp_path) -> None:
    # A production VPC with an internet gateway is production's business, not a room's.
    from aws_cdk import aws_ec2 as ec2

    app = _production_app(context, tmp_path, retention=logs.RetentionDays.ONE_YEAR, rotation=True)
    stack = app.node.find_child("Prod")
    ec2.CfnVPC(stack, "Vpc", cidr_block="10.0.0.0/16")
    ProductionBaseline.apply(app, baseline=BASELINE, cdk_nag_packs=False)
    app.synth()


def test_public_bucket_fails_in_production_too(context, tmp_path) -> None:
    app = _production_app(context, tmp_path, retention=logs.RetentionDays.ONE_YEAR, rotation=True)
    stack = app.node.find_child("Prod")
    s3.CfnBucket(stack, "Open")
    ProductionBaseline.apply(app, baseline=BASELINE, cdk_nag_packs=False)
    with pytest.raises(RuntimeError, match=r"DataRoom-S33PublicAccessBlocked"):
        app.synth()
