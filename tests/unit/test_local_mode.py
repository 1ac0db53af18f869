"""Local mode makes moto-deployable templates, and only ever for a loopback endpoint."""

from __future__ import annotations

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from dataroom.application import build_app
from dataroom.local import CONTEXT_KEY, LocalModeError, require_local_endpoint


@pytest.mark.parametrize(
    "endpoint", ["http://localhost:5000", "http://127.0.0.1:4566", "http://[::1]:5000"]
)
def test_loopback_endpoints_are_accepted(endpoint: str) -> None:
    assert require_local_endpoint({"AWS_ENDPOINT_URL": endpoint}) == endpoint


@pytest.mark.parametrize(
    "environ",
    [{}, {"AWS_ENDPOINT_URL": "https://s3.amazonaws.com"}, {"AWS_ENDPOINT_URL": "http://10.0.0.5"}],
)
def test_other_endpoints_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(LocalModeError, match="not a loopback URL"):
        require_local_endpoint(environ)


def test_local_templates_drop_what_moto_cannot_deploy(
    context, example_manifest, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:5000")
    app = build_app(example_manifest, app=App(context={**context, CONTEXT_KEY: "true"}), nag=False)
    local = Template.from_stack(app.node.find_child("DataRoomStack")).to_json()
    types = {r["Type"] for r in local["Resources"].values()}
    assert "Custom::VpcRestrictDefaultSG" not in types
    for resource in local["Resources"].values():
        if resource["Type"] in ("AWS::KMS::Key", "AWS::SSM::Parameter"):
            assert "Tags" not in resource["Properties"]


def test_real_templates_keep_them(room_template_json) -> None:
    types = {r["Type"] for r in room_template_json["Resources"].values()}
    assert "Custom::VpcRestrictDefaultSG" in types
    keys = [r for r in room_template_json["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert all("Tags" in k["Properties"] for k in keys)


def test_local_mode_without_a_local_endpoint_fails_before_synthesis(
    context, example_manifest, monkeypatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(LocalModeError):
        build_app(example_manifest, app=App(context={**context, CONTEXT_KEY: True}), nag=False)
