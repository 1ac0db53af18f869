"""The airlock rules (EXP-1) on small template fragments: each compliant shape, each weakening.

The compliant fragments are the statements the example room synthesizes (taken from the session's
template, not restated); the weakenings edit a copy of them.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dataroom.baseline import load_baseline
from dataroom.policies.rules import exp1_export_writers, exp1_review_scan_gate
from dataroom.policies.rules.base import RuleContext
from dataroom.policies.rules.exp_airlock_policy import BUCKET_TAG, ROLE_TAG
from tests.conftest import ROOT


def _fragment(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    """The airlock bucket of ``kind``, its policy, and every role, as a small template."""
    resources = template["Resources"]
    (bucket_id,) = [
        lid
        for lid, r in resources.items()
        if r["Type"] == "AWS::S3::Bucket"
        and {"Key": BUCKET_TAG, "Value": kind} in r["Properties"].get("Tags", [])
    ]
    (policy_id,) = [
        lid
        for lid, r in resources.items()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    roles = {lid: r for lid, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    fragment = {
        "Metadata": template["Metadata"],
        "Resources": {bucket_id: resources[bucket_id], policy_id: resources[policy_id], **roles},
    }
    return bucket_id, copy.deepcopy(fragment)


def _judge(rule: Any, bucket_id: str, template: dict[str, Any]) -> Any:
    ctx = RuleContext(
        logical_id=bucket_id,
        resource=template["Resources"][bucket_id],
        template=template,
        baseline=load_baseline(ROOT / "examples" / "baseline.yaml"),
        account="222222222222",
        region="us-east-1",
    )
    return rule.check(ctx)


def _statement(template: dict[str, Any], sid: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == sid:
                    return statement  # type: ignore[no-any-return]
    raise KeyError(sid)


def _role(template: dict[str, Any], kind: str) -> str:
    for lid, resource in template["Resources"].items():
        if {"Key": ROLE_TAG, "Value": kind} in resource.get("Properties", {}).get("Tags", []):
            return str(lid)
    raise KeyError(kind)


@pytest.fixture(scope="module")
def export(room_template_json: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return _fragment(room_template_json, "export")


@pytest.fixture(scope="module")
def review(room_template_json: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return _fragment(room_template_json, "review")


def test_the_example_export_bucket_complies(export) -> None:
    assert _judge(exp1_export_writers.RULE, *export) is True


def test_a_bucket_without_the_airlock_tag_is_not_judged(export) -> None:
    bucket_id, template = copy.deepcopy(export)
    template["Resources"][bucket_id]["Properties"]["Tags"] = []
    assert _judge(exp1_export_writers.RULE, bucket_id, template) is None
    assert _judge(exp1_review_scan_gate.RULE, bucket_id, template) is None


def test_export_writable_by_a_second_role_fails(export) -> None:
    bucket_id, template = copy.deepcopy(export)
    deny = _statement(template, "DenyWritesByAnyoneButTheReleaseRole")
    deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [
        {"Fn::GetAtt": [_role(template, "release"), "Arn"]},
        {"Fn::GetAtt": [_role(template, "pipeline"), "Arn"]},
    ]
    findings = _judge(exp1_export_writers.RULE, bucket_id, template)
    assert any("expected the release role only" in f for f in findings)


def test_export_writable_by_another_role_instead_fails(export) -> None:
    bucket_id, template = copy.deepcopy(export)
    deny = _statement(template, "DenyWritesByAnyoneButTheReleaseRole")
    deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [
        {"Fn::GetAtt": [_role(template, "approver"), "Arn"]}
    ]
    assert _judge(exp1_export_writers.RULE, bucket_id, template)


def test_export_write_deny_narrowed_by_a_condition_fails(export) -> None:
    bucket_id, template = copy.deepcopy(export)
    deny = _statement(template, "DenyWritesByAnyoneButTheReleaseRole")
    deny["Condition"]["StringEquals"] = {"aws:SourceVpce": "vpce-1234"}
    findings = _judge(exp1_export_writers.RULE, bucket_id, template)
    assert any("narrowed" in f for f in findings)


def test_export_without_the_write_deny_fails(export) -> None:
    bucket_id, template = copy.deepcopy(export)
    deny = _statement(template, "DenyWritesByAnyoneButTheReleaseRole")
    deny["Action"] = ["s3:DeleteObjectTagging"]
    assert _judge(exp1_export_writers.RULE, bucket_id, template)


def test_the_example_review_bucket_complies(review) -> None:
    assert _judge(exp1_review_scan_gate.RULE, *review) == []


def test_review_readable_before_the_scan_fails(review) -> None:
    bucket_id, template = copy.deepcopy(review)
    deny = _statement(template, "DenyReadBeforeCleanScan")
    deny["Effect"] = "Allow"
    findings = _judge(exp1_review_scan_gate.RULE, bucket_id, template)
    assert findings == [
        "no statement denies reads of versions not tagged "
        "GuardDutyMalwareScanStatus=NO_THREATS_FOUND"
    ]


def test_review_read_gate_sparing_the_release_role_fails(review) -> None:
    bucket_id, template = copy.deepcopy(review)
    deny = _statement(template, "DenyReadBeforeCleanScan")
    deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].append(
        {"Fn::GetAtt": [_role(template, "release"), "Arn"]}
    )
    findings = _judge(exp1_review_scan_gate.RULE, bucket_id, template)
    assert any("expected the scanner only" in f for f in findings)


def test_review_read_gate_on_another_tag_value_fails(review) -> None:
    bucket_id, template = copy.deepcopy(review)
    deny = _statement(template, "DenyReadBeforeCleanScan")
    deny["Condition"]["StringNotEquals"] = {
        "s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "UNSUPPORTED"
    }
    assert _judge(exp1_review_scan_gate.RULE, bucket_id, template)


def test_review_taggable_by_the_pipeline_fails(review) -> None:
    bucket_id, template = copy.deepcopy(review)
    deny = _statement(template, "DenyTaggingByAnyoneButTheScanner")
    deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].append(
        {"Fn::GetAtt": [_role(template, "pipeline"), "Arn"]}
    )
    findings = _judge(exp1_review_scan_gate.RULE, bucket_id, template)
    assert any("tagging deny" in f for f in findings)
