"""Fixtures of the review tests: the example's review, and two fresh synths weakened on purpose.

The example's review reuses the session's synthesized example app (``example_app``). Only two
apps are synthesized here: one with controls removed by escape hatches, one with a widened
production grant. Both are built with ``nag=False`` because the gate would (rightly) refuse them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from dataroom.application import build_app
from dataroom.manifest import Manifest
from dataroom.review import Review, build_review, write_review
from dataroom.stacks import DataRoomStack, ProductionAccessStack
from tests.conftest import EXAMPLE, TODAY

ROOM = "abnormal-process-exec"
NOW = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fake_git(_directory: Path) -> dict[str, Any]:
    """A fixed repository state: the tests do not depend on the checkout they run in."""
    return {"commit": COMMIT, "dirty": False, "error": None}


def review_of(outdir: str | Path, manifest: Path = EXAMPLE, **kwargs: Any) -> Review:
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("git", fake_git)
    return build_review(outdir, manifest, **kwargs)


@pytest.fixture(scope="session")
def example_outdir(example_app: App) -> Path:
    return Path(example_app.outdir)


@pytest.fixture(scope="session")
def example_review(example_outdir: Path) -> Review:
    return review_of(example_outdir)


@pytest.fixture(scope="session")
def example_written(example_review: Review, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review")
    write_review(example_review, out)
    return out


def _synth(
    manifest: Manifest,
    context: dict[str, object],
    outdir: Path,
    change: Callable[[App], None],
) -> Path:
    app = App(context=context, outdir=str(outdir))
    build_app(manifest, app=app, nag=False)
    change(app)
    app.synth()
    return outdir


def _weaken(app: App) -> None:
    room = app.node.find_child("DataRoomStack")
    assert isinstance(room, DataRoomStack)
    # MON-1: log file validation off, the way a careless escape hatch would do it.
    room.trail.trail.add_property_override("EnableLogFileValidation", False)
    # NET-5: a flow log of rejected traffic only.
    room.glovebox.flow_log.add_property_override("TrafficType", "REJECT")
    # NET-1: an internet gateway attached to the glovebox.
    gateway = ec2.CfnInternetGateway(room, "Leak")
    ec2.CfnVPCGatewayAttachment(
        room, "LeakAttachment", vpc_id=room.glovebox.vpc.vpc_id, internet_gateway_id=gateway.ref
    )
    # IAM-5: the scientist role loses its permissions boundary (the stack-wide aspect included).
    iam.PermissionsBoundary.of(room.scientist_role).clear()


def _widen(app: App) -> None:
    prod = app.node.find_child("ProductionAccessStack")
    assert isinstance(prod, ProductionAccessStack)
    prod.read_access[ROOM].role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=["arn:aws:s3:::prod-telemetry/events/process/*"],
        )
    )


@pytest.fixture(scope="session")
def weakened_outdir(
    example_manifest: Manifest,
    context: dict[str, object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    return _synth(example_manifest, context, tmp_path_factory.mktemp("weakened"), _weaken)


@pytest.fixture(scope="session")
def widened_outdir(
    example_manifest: Manifest,
    context: dict[str, object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    return _synth(example_manifest, context, tmp_path_factory.mktemp("widened"), _widen)
