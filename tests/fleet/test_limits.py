"""StackLimits: a stack near CloudFormation's quotas fails synthesis, before any deploy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, CfnOutput, CfnWaitConditionHandle, Stack, Validations

from dataroom.limits import MAX_RESOURCES, StackLimits, measure


def _template(tmp_path: Path, resources: int, outputs: int = 0, pad: int = 0) -> Path:
    body = {
        "Resources": {
            f"R{i}": {"Type": "AWS::CloudFormation::WaitConditionHandle"} for i in range(resources)
        },
        "Outputs": {f"O{i}": {"Value": "x"} for i in range(outputs)},
        "Metadata": {"pad": "x" * pad},
    }
    path = tmp_path / "S.template.json"
    path.write_text(json.dumps(body))
    return path


def test_default_thresholds_sit_below_the_quotas(tmp_path: Path) -> None:
    limits = StackLimits()
    assert (
        limits.findings(measure(_template(tmp_path, 450, outputs=180, pad=900_000 - 60_000))) == []
    )
    found = limits.findings(measure(_template(tmp_path, 451, outputs=181, pad=900_000)))
    assert [rule for rule, _ in found] == ["StackResources", "StackOutputs", "TemplateSize"]
    assert f"CloudFormation refuses more than {MAX_RESOURCES}" in found[0][1]


def test_synthesis_fails_on_a_stack_over_the_threshold(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path / "out"))
    stack = Stack(app, "Big")
    for i in range(4):
        CfnWaitConditionHandle(stack, f"H{i}")
    CfnOutput(stack, "Out", value="x")
    small = App(outdir=str(tmp_path / "small"))
    CfnWaitConditionHandle(Stack(small, "Small"), "H")
    for each in (app, small):
        Validations.of(each).add_plugins(StackLimits(max_resources=3, max_outputs=5))
    small.synth()  # the twin: under the thresholds, nothing is refused
    with pytest.raises(RuntimeError) as failure:
        app.synth()
    assert "StackResources" in str(failure.value)
    assert "Big.template.json: 4 resources, above 3" in str(failure.value)
