"""Reading an assembly without jsii: intrinsics rendered readably, bad assemblies refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dataroom.review.assembly import AssemblyError, StackTemplate, read_assembly, refers_to
from tests.conftest import ROOT


def stack(resources: dict[str, object] | None = None) -> StackTemplate:
    return StackTemplate(
        artifact_id="S",
        display_name="S",
        stack_name="s",
        account="111111111111",
        region="us-gov-west-1",
        path=Path("S.template.json"),
        template={"Resources": resources or {}},
        sha256="0" * 64,
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"Ref": "Bucket1234"}, "<Bucket1234>"),
        ({"Ref": "AWS::Region"}, "us-gov-west-1"),
        ({"Fn::GetAtt": ["Bucket1234", "Arn"]}, "<Bucket1234.Arn>"),
        ({"Fn::GetAtt": "Bucket1234.Arn"}, "<Bucket1234.Arn>"),
        (
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "B"}, "/*"]]},
            "arn:aws-us-gov:s3:::<B>/*",
        ),
        (
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Name}"},
            "arn:aws-us-gov:iam::111111111111:role/<Name>",
        ),
        ({"Fn::Sub": ["${X}-${Y.Arn}", {"X": {"Ref": "AWS::Region"}}]}, "us-gov-west-1-<Y.Arn>"),
        ({"Fn::Select": [1, ["a", "b"]]}, "b"),
        ({"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "<<availability zones>[0]>"),
        ({"Fn::ImportValue": "Shared"}, "<import Shared>"),
        ({"Fn::If": ["C", "a", "b"]}, '<Fn::If ["C","a","b"]>'),
    ],
)
def test_intrinsics_render_readably(value: object, text: str) -> None:
    assert stack().text(value) == text


def test_refers_to_follows_joins() -> None:
    joined = {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]}
    assert refers_to(joined, "Bucket1")
    assert not refers_to(joined, "Bucket")


def test_role_arn_needs_a_role_name() -> None:
    template = stack(
        {
            "Named": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r", "Path": "/team/"}},
            "Unnamed": {"Type": "AWS::IAM::Role", "Properties": {}},
        }
    )
    assert template.role_arn("Named") == "arn:aws-us-gov:iam::111111111111:role/team/r"
    assert template.role_arn("Unnamed") == "<Unnamed.Arn>"


def test_an_assembly_without_stacks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {}}))
    with pytest.raises(AssemblyError, match="holds no CloudFormation stack"):
        read_assembly(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(AssemblyError, match="cannot read it as JSON"):
        read_assembly(tmp_path)


def test_the_review_package_does_not_load_jsii() -> None:
    code = (
        "import sys, dataroom.review, dataroom.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsii', 'aws_cdk', 'cdk_nag')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
