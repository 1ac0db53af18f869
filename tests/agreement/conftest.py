"""The agreement harness: weaken the example's synthesized templates, ask the gate and the review.

Both read the same JSON: the gate through its rules (``judge_template``, exactly what
``DataRoomChecks`` and ``DataRoomGate`` run at ``cdk synth``), the review through its detectors
(``detect_controls``, exactly what ``dataroom review`` reports as gaps).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from dataroom.baseline import load_baseline
from dataroom.manifest import Manifest
from dataroom.policies.judge import judge_template
from dataroom.review.assembly import StackTemplate
from dataroom.review.facts import monitoring_facts, network_facts
from dataroom.review.graph import build_room_graph
from dataroom.review.threats import MISSING, RoomContext, detect_controls
from dataroom.stacks.data_room_stack import room_expectations
from tests.conftest import ROOT

Template = dict[str, Any]
#: A weakening edits the room's and the production template in place.
Weakening = Callable[[Template, Template], None]

BASELINE = load_baseline(ROOT / "examples" / "baseline.yaml")

# --- HOOK FOR ISSUE 18 (dataroom audit) ------------------------------------------------------
#: The audit's template-form verdict: ``(room_template, production_template) -> set of control
#: ids the audit reports drifted``. The issue-18 engineer sets this to the audit package's
#: template-form check; while it is None, the agreement test judges the gate and the review only.
AUDIT_TEMPLATE_VERDICT: Callable[[Template, Template], set[str]] | None = None
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    manifest: Manifest
    room: Template
    production: Template
    room_account: str
    production_account: str
    region: str


@pytest.fixture(scope="session")
def example(example_app: App, example_manifest: Manifest) -> Example:
    out = Path(example_app.outdir)
    room = example_manifest.rooms[0]
    return Example(
        manifest=example_manifest,
        room=json.loads((out / "DataRoomStack.template.json").read_text()),
        production=json.loads((out / "ProductionAccessStack.template.json").read_text()),
        room_account=room.account,
        production_account=example_manifest.production.account,
        region=example_manifest.room_region(room),
    )


def gate_controls(example: Example, room: Template, production: Template) -> set[str]:
    """Controls the gate fails on, over both stacks, as ``cdk synth`` judges them."""
    manifest_room = example.manifest.rooms[0]
    found: set[str] = set()
    for template, account, room_account in (
        (room, example.room_account, True),
        (
            production,
            example.production_account,
            example.production_account == example.room_account,
        ),
    ):
        failures = judge_template(
            template,
            baseline=BASELINE,
            account=account,
            region=example.region,
            room_account=room_account,
            manifest_expect=room_expectations(manifest_room) if template is room else {},
        )
        found.update(f.rule.control for fs in failures.values() for f in fs)
    return found


def _stack(name: str, account: str, region: str, template: Template) -> StackTemplate:
    return StackTemplate(
        artifact_id=name,
        display_name=name,
        stack_name=name,
        account=account,
        region=region,
        path=Path(f"{name}.template.json"),
        template=template,
        sha256="0" * 64,
    )


def review_controls(example: Example, room: Template, production: Template) -> set[str]:
    """Controls the review reports missing for the room (its gaps), as ``dataroom review`` does."""
    stack = _stack("DataRoomStack", example.room_account, example.region, room)
    prod = (
        _stack("ProductionAccessStack", example.production_account, example.region, production),
    )
    ctx = RoomContext(
        example.manifest,
        example.manifest.rooms[0],
        stack,
        prod,
        build_room_graph(stack, prod),
        network_facts(stack),
        monitoring_facts(stack),
        BASELINE,
    )
    return {c for c, result in detect_controls(ctx).items() if result.status == MISSING}


def weakened(example: Example, weaken: Weakening) -> tuple[Template, Template]:
    room, production = copy.deepcopy(example.room), copy.deepcopy(example.production)
    weaken(room, production)
    return room, production
