"""The workbench's DataRoomChecks rules (WBN-1, WBN-2, WBN-4), judged on template fragments.

Each rule passes the example room's template and catches each weakening of a copy of it; no
extra synthesis. The gate test (tests/nag/test_gate.py) covers the example app as a whole.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from dataroom.baseline import load_baseline
from dataroom.policies.rules import (
    wbn1_notebook_isolated,
    wbn2_package_repository,
    wbn4_workbench_endpoints,
)
from dataroom.policies.rules.base import Rule, RuleContext
from dataroom.policies.rules.catalog import NEVER_SUPPRESSIBLE
from tests.conftest import ROOT

Template = dict[str, Any]
#: Rules proven here rather than by a weakened synthesis in test_data_room_checks.py.
FRAGMENT_TESTED_RULES = frozenset(
    {
        wbn1_notebook_isolated.RULE.rule_id,
        wbn2_package_repository.RULE.rule_id,
        wbn4_workbench_endpoints.RULE.rule_id,
    }
)


def _findings(rule: Rule, template: Template) -> list[str]:
    baseline = load_baseline(ROOT / "examples" / "baseline.yaml")
    out: list[str] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] not in rule.resource_types:
            continue
        context = RuleContext(
            logical_id=logical_id,
            resource=resource,
            template=template,
            baseline=baseline,
            account="222222222222",
            region="us-east-1",
        )
        verdict = rule.check(context)
        if verdict is False:
            out.append(f"{logical_id}: non-compliant")
        elif isinstance(verdict, list):
            out.extend(f"{logical_id}: {finding}" for finding in verdict)
    return out


def _of_type(template: Template, kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _notebook(t: Template) -> dict[str, Any]:
    (notebook,) = _of_type(t, "AWS::SageMaker::NotebookInstance")
    return notebook["Properties"]  # type: ignore[no-any-return]


def _repository(t: Template) -> dict[str, Any]:
    (repository,) = _of_type(t, "AWS::CodeArtifact::Repository")
    return repository["Properties"]  # type: ignore[no-any-return]


def _drop_endpoint(suffix: str) -> Callable[[Template], None]:
    def weaken(t: Template) -> None:
        for logical_id, resource in list(t["Resources"].items()):
            name = resource.get("Properties", {}).get("ServiceName")
            if resource["Type"] == "AWS::EC2::VPCEndpoint" and str(name).endswith(suffix):
                del t["Resources"][logical_id]

    return weaken


def _deny_sids(statements: list[dict[str, Any]], sid: str) -> list[dict[str, Any]]:
    return [s for s in statements if s.get("Sid") != sid]


#: (rule, weakening of a copy of the example room template, text the finding must contain)
WEAKENINGS: dict[str, tuple[Rule, Callable[[Template], None], str]] = {
    "internet": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).update(DirectInternetAccess="Enabled"),
        "direct internet access: Enabled",
    ),
    "internet by default": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).pop("DirectInternetAccess"),
        "direct internet access: Enabled (default)",
    ),
    "root": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).pop("RootAccess"),
        "root access: Enabled (default)",
    ),
    "unencrypted": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).pop("KmsKeyId"),
        "volume not encrypted",
    ),
    "someone else's key": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).update(KmsKeyId="arn:aws:kms:us-east-1:999999999999:key/x"),
        "volume not encrypted with a key of the room",
    ),
    "outside the room's subnets": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).update(SubnetId="subnet-0123456789abcdef0"),
        "not in a subnet of the room's VPC",
    ),
    "no VPC": (
        wbn1_notebook_isolated.RULE,
        lambda t: (_notebook(t).pop("SubnetId"), _notebook(t).pop("SecurityGroupIds")),
        "not in a subnet of the room's VPC",
    ),
    "IMDSv1": (
        wbn1_notebook_isolated.RULE,
        lambda t: _notebook(t).pop("InstanceMetadataServiceConfiguration"),
        "IMDSv2 not required",
    ),
    "repository without policy": (
        wbn2_package_repository.RULE,
        lambda t: _repository(t).pop("PermissionsPolicyDocument"),
        "no resource policy",
    ),
    "repository open to other roles": (
        wbn2_package_repository.RULE,
        lambda t: _repository(t)["PermissionsPolicyDocument"].update(
            Statement=_deny_sids(
                _repository(t)["PermissionsPolicyDocument"]["Statement"],
                "OnlyTheRoomsWorkbenchRole",
            )
        ),
        "no Deny for principals other than the room's roles",
    ),
    "repository outside the endpoints": (
        wbn2_package_repository.RULE,
        lambda t: _repository(t)["PermissionsPolicyDocument"].update(
            Statement=_deny_sids(
                _repository(t)["PermissionsPolicyDocument"]["Statement"],
                "OnlyThroughTheRoomsEndpoints",
            )
        ),
        "no Deny for requests outside the room's endpoints",
    ),
    "repository open to anyone": (
        wbn2_package_repository.RULE,
        lambda t: _repository(t)["PermissionsPolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Principal": "*", "Action": "codeartifact:*", "Resource": "*"}
        ),
        "allows any principal without a condition",
    ),
    "upstream open": (
        wbn2_package_repository.RULE,
        lambda t: [
            g["Properties"]["OriginConfiguration"]["Restrictions"].update(
                ExternalUpstream={"RestrictionMode": "ALLOW"}
            )
            for g in _of_type(t, "AWS::CodeArtifact::PackageGroup")
        ],
        "without a package group blocking the upstream",
    ),
    "no sagemaker.api endpoint": (
        wbn4_workbench_endpoints.RULE,
        _drop_endpoint("sagemaker.api"),
        "no interface endpoint with private DNS for sagemaker.api",
    ),
    "no notebook endpoint": (
        wbn4_workbench_endpoints.RULE,
        _drop_endpoint(".notebook"),
        "for notebook",
    ),
    "no codeartifact.repositories endpoint": (
        wbn4_workbench_endpoints.RULE,
        _drop_endpoint("codeartifact.repositories"),
        "for codeartifact.repositories",
    ),
}


@pytest.mark.parametrize(
    "rule",
    [wbn1_notebook_isolated.RULE, wbn2_package_repository.RULE, wbn4_workbench_endpoints.RULE],
)
def test_rule_passes_the_example(rule: Rule, room_template_json: Template) -> None:
    assert _findings(rule, room_template_json) == []
    assert f"DataRoom-{rule.rule_id}" in NEVER_SUPPRESSIBLE


@pytest.mark.parametrize("name", list(WEAKENINGS))
def test_rule_catches_its_weakening(name: str, room_template_json: Template) -> None:
    rule, weaken, expected = WEAKENINGS[name]
    template = copy.deepcopy(room_template_json)
    weaken(template)
    findings = _findings(rule, template)
    assert any(expected in f for f in findings), findings


def test_rooms_without_notebooks_are_not_judged(room_template_json: Template) -> None:
    template = copy.deepcopy(room_template_json)
    for logical_id, resource in list(template["Resources"].items()):
        if resource["Type"] == "AWS::SageMaker::NotebookInstance":
            del template["Resources"][logical_id]
    _drop_endpoint("sagemaker.api")(template)
    assert _findings(wbn4_workbench_endpoints.RULE, template) == []
