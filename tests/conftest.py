"""Shared fixtures. Synthesized apps are session-scoped: every jsii call costs, so build once."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The pinned Node.js 22 from package.json runs jsii, as under `make`; set before aws_cdk loads.
_NODE_BIN = ROOT / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and str(_NODE_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import pytest  # noqa: E402
from aws_cdk import App  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from dataroom.application import build_app, cdk_context  # noqa: E402
from dataroom.manifest import Manifest, load_manifest  # noqa: E402
from dataroom.stacks import DataRoomStack  # noqa: E402

EXAMPLE = ROOT / "examples" / "rooms.yaml"
#: Tests judge expiry against a fixed day, so the example never "expires" under the suite.
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def example_manifest() -> Manifest:
    return load_manifest(EXAMPLE, today=TODAY)


@pytest.fixture(scope="session")
def context() -> dict[str, object]:
    return cdk_context(ROOT / "cdk.json")


@pytest.fixture(scope="session")
def example_app(
    example_manifest: Manifest, context: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> App:
    """The example manifest's app exactly as ``cdk synth`` builds it, gate included, synthesized."""
    app = App(context=context, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    build_app(example_manifest, app=app)
    app.synth()
    return app


@pytest.fixture(scope="session")
def room_stack(example_app: App) -> DataRoomStack:
    stack = example_app.node.find_child("DataRoomStack")
    assert isinstance(stack, DataRoomStack)
    return stack


@pytest.fixture(scope="session")
def room_template(room_stack: DataRoomStack) -> Template:
    return Template.from_stack(room_stack)


@pytest.fixture(scope="session")
def room_template_json(room_template: Template) -> dict[str, object]:
    return room_template.to_json()  # type: ignore[no-any-return]
