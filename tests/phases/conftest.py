"""The phase A/B example (examples/phases.yaml), synthesized once with the gate."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from dataroom.application import build_app
from dataroom.manifest import Manifest, load_manifest
from tests.conftest import ROOT, TODAY

PHASES = ROOT / "examples" / "phases.yaml"
ROOM_A = "exec-anomaly-a"
ROOM_B = "exec-anomaly-b"


@pytest.fixture(scope="session")
def phases_manifest() -> Manifest:
    return load_manifest(PHASES, today=TODAY)


@pytest.fixture(scope="session")
def phases_app(
    phases_manifest: Manifest, context: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> App:
    app = App(context=context, outdir=str(tmp_path_factory.mktemp("cdk.out.phases")))
    build_app(phases_manifest, app=app)
    app.synth()
    return app


def _template(app: App, room: str) -> dict[str, Any]:
    stack = app.node.find_child(f"DataRoomStack-{room}")
    return Template.from_stack(stack).to_json()  # type: ignore[arg-type, no-any-return]


@pytest.fixture(scope="session")
def template_a(phases_app: App) -> dict[str, Any]:
    return _template(phases_app, ROOM_A)


@pytest.fixture(scope="session")
def template_b(phases_app: App) -> dict[str, Any]:
    return _template(phases_app, ROOM_B)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def access_points(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Access points by their physical name."""
    return {
        v["Properties"]["Name"]: v for v in resources(template, "AWS::S3::AccessPoint").values()
    }


def results_bucket_policy(template: dict[str, Any]) -> dict[str, Any]:
    """The results bucket's policy document (the bucket whose logical id says Results)."""
    for policy in resources(template, "AWS::S3::BucketPolicy").values():
        ref = policy["Properties"]["Bucket"].get("Ref", "")
        if "Results" in ref:
            return policy["Properties"]["PolicyDocument"]  # type: ignore[no-any-return]
    raise AssertionError("no results bucket policy")
