"""`cdk synth` itself refuses a weakened publication, written as a user's app would write it."""

from __future__ import annotations

import pytest
from aws_cdk import App
from aws_cdk import aws_s3 as s3

from dataroom.application import build_app
from dataroom.manifest import Manifest
from tests.phases.conftest import ROOM_A, ROOM_B

OUTSIDER = "arn:aws:iam::999999999999:role/Anyone"


def _access_point(app: App, room: str, construct_id: str) -> s3.CfnAccessPoint:
    stack = app.node.find_child(f"DataRoomStack-{room}")
    node = stack.results_publication.node.find_child(construct_id)
    assert isinstance(node, s3.CfnAccessPoint)
    return node


def test_escape_hatches_on_access_points_fail_synthesis(
    phases_manifest: Manifest, context: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # GIVEN the example's phase rooms with the gate, weakened through escape hatches
    app = App(context=context, outdir=str(tmp_path_factory.mktemp("cdk.out.weak-phases")))
    build_app(phases_manifest, app=app)
    # an outsider added to the phase-A consumer's access point
    _access_point(app, ROOM_A, "triage").add_property_override(
        "Policy.Statement.0.Principal.AWS",
        [
            "arn:aws:iam::111111111111:role/SocTriageConsole",
            OUTSIDER,
        ],
    )
    # the phase-B DAL's point opened to every object, not the caller's tenant
    _access_point(app, ROOM_B, "Dal").add_property_override(
        "Policy.Statement.0.Resource",
        f"arn:aws:s3:us-east-1:444444444444:accesspoint/{ROOM_B}-dal/object/*",
    )
    # WHEN it is synthesized THEN synthesis fails, naming both controls' rules
    with pytest.raises(RuntimeError) as refused:
        app.synth()
    report = str(refused.value)
    assert "DataRoom-PHS1ResultsReaders" in report
    assert "DataRoom-PHS2DalTenantPrefix" in report
    assert f"DataRoomStack-{ROOM_A}/Default/ResultsPublication/triage" in report
    assert f"DataRoomStack-{ROOM_B}/Default/ResultsPublication/Dal" in report
