"""Agreement for the sibling- and nested-stack class: one real synthesis, gate and review.

The app is synthesized without the gate (so there is an assembly to review), then judged as
``DataRoomGate`` judges it (:class:`AssemblyJudge`) and reviewed as ``dataroom review`` does.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from aws_cdk import App, Environment, NestedStack, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from dataroom.application import build_app
from dataroom.manifest import Manifest
from dataroom.policies.judge import AssemblyJudge
from dataroom.review import build_review
from tests.agreement.conftest import BASELINE
from tests.conftest import EXAMPLE, ROOT, TODAY

#: construct id -> the control its weakening breaks
WEAKENED = {"SiblingIgw": "NET-1", "NestedPeering": "NET-1", "NestedUser": "IAM-5"}


@pytest.fixture(scope="module")
def assembly(context, example_manifest: Manifest, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("beside-review")
    app = App(context=context, outdir=str(out))
    build_app(example_manifest, app=app, nag=False)
    env = Environment(account=example_manifest.rooms[0].account, region="us-east-1")
    sibling = Stack(app, "Sibling", env=env)
    ec2.CfnInternetGateway(sibling, "SiblingIgw")
    nested = NestedStack(Stack(app, "Parent", env=env), "Inner")
    ec2.CfnVPCPeeringConnection(nested, "NestedPeering", vpc_id="vpc-1", peer_vpc_id="vpc-2")
    iam.CfnUser(nested, "NestedUser")
    app.synth()
    return out


def _control_of(construct_id: str, lines: list[str]) -> set[str]:
    return {m.group(1) for line in lines if construct_id in line
            for m in [re.search(r"\b([A-Z0-9]{2,3}-\d)\b", line)] if m}  # fmt: skip


def test_gate_and_review_agree_on_stacks_beside_the_room(assembly: Path) -> None:
    judge = AssemblyJudge(baseline=BASELINE, room_accounts={"222222222222"},
                          production_accounts={"111111111111"})  # fmt: skip
    gate_lines = [
        f"{info.display_name}: {f.rule.control} {lid}"
        for info in judge.stacks(assembly)
        for lid, failures in judge.failures(info.template_path).items()
        for f in failures
    ]
    review = build_review(assembly, EXAMPLE, today=TODAY, now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
                          baseline=ROOT / "examples" / "baseline.yaml")  # fmt: skip
    for construct_id, control in WEAKENED.items():
        assert control in _control_of(construct_id, gate_lines), (construct_id, gate_lines)
        assert control in _control_of(construct_id, list(review.gaps)), (construct_id, review.gaps)
