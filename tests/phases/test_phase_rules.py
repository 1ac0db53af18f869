"""PHS-1 / PHS-2 rules on small template fragments: each catches its violation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dataroom.baseline import Baseline
from dataroom.policies.rules import phs1_results_readers, phs2_dal_tenant_prefix
from dataroom.policies.rules.base import RuleContext

ACCOUNT = "333333333333"
TRIAGE = "arn:aws:iam::111111111111:role/SocTriageConsole"
READER = {"Fn::GetAtt": ["TenantReader", "Arn"]}
AP = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint"


def _metadata(phase: str, *, dal: bool) -> dict[str, Any]:
    points: dict[str, Any] = {"room-triage": {"kind": "consumer", "principals": [TRIAGE]}}
    if dal:
        points["room-dal"] = {"kind": "dal", "principals": [READER]}
    return {
        "kind": "room",
        "phase": phase,
        "results_bucket": "Results",
        "results": {
            "phase": phase,
            "access_points": points,
            "dal": {"tenant_tag": "tenant", "tenants": []} if dal else None,
        },
    }


def _point(name: str, principal: Any, prefix: str = "") -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadResults",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": ["s3:GetObject"],
            "Resource": f"{AP}/{name}/object/{prefix}*",
        },
        {
            "Sid": "ListResults",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": ["s3:ListBucket"],
            "Resource": f"{AP}/{name}",
            **({"Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}} if prefix else {}),
        },
    ]
    if prefix:
        statements.append(
            {
                "Sid": "DenyCallersWithoutATenant",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": f"{AP}/{name}",
                "Condition": {"Null": {"aws:PrincipalTag/tenant": "true"}},
            }
        )
    return {
        "Type": "AWS::S3::AccessPoint",
        "Properties": {"Name": name, "Policy": {"Statement": statements}},
    }


def _ctx(resource: dict[str, Any], metadata: dict[str, Any]) -> RuleContext:
    template = {"Metadata": {"dataroom": metadata}, "Resources": {"It": resource}}
    return RuleContext(
        logical_id="It",
        resource=resource,
        template=template,
        baseline=Baseline(),
        account=ACCOUNT,
        region="us-east-1",
    )


TENANT = "tenant=${aws:PrincipalTag/tenant}/"


def test_phs1_compliant_named_consumer_point() -> None:
    assert (
        phs1_results_readers.check(
            _ctx(_point("room-triage", TRIAGE), _metadata("production-a", dal=False))
        )
        == []
    )


@pytest.mark.parametrize(
    ("resource", "metadata", "expected"),
    [
        # an access point the manifest never asked for
        (
            _point("room-extra", TRIAGE),
            _metadata("production-a", dal=False),
            "is not one the manifest",
        ),
        # a named point that admits someone else as well
        (
            _point("room-triage", "arn:aws:iam::999999999999:role/Other"),
            _metadata("production-a", dal=False),
            "does not name as its reader",
        ),
        # a DAL point in phase A
        (
            _point("room-dal", READER, TENANT),
            {
                **_metadata("production-a", dal=True),
                "results": {
                    **_metadata("production-a", dal=True)["results"],
                    "phase": "production-a",
                },
            },
            "serves the data access layer in phase A",
        ),
        # any access point in a room that publishes nothing (exploration)
        (
            _point("room-triage", TRIAGE),
            {"kind": "room", "phase": "exploration", "results": None},
            "is not one the manifest",
        ),
    ],
)
def test_phs1_non_compliant(
    resource: dict[str, Any], metadata: dict[str, Any], expected: str
) -> None:
    findings = phs1_results_readers.check(_ctx(resource, metadata))
    assert isinstance(findings, list) and findings
    assert any(expected in f for f in findings), findings


def _bucket_policy(statement: dict[str, Any], bucket: str = "Results") -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": bucket}, "PolicyDocument": {"Statement": [statement]}},
    }


def test_phs1_bucket_policy_reader_bound_to_its_point_is_compliant() -> None:
    statement = {
        "Sid": "ReadThroughAccessPointtriage",
        "Effect": "Allow",
        "Principal": {"AWS": TRIAGE},
        "Action": ["s3:GetObject"],
        "Resource": "*",
        "Condition": {"StringEquals": {"s3:DataAccessPointArn": f"{AP}/room-triage"}},
    }
    assert (
        phs1_results_readers.check(
            _ctx(_bucket_policy(statement), _metadata("production-a", dal=False))
        )
        == []
    )


@pytest.mark.parametrize(
    ("principal", "condition", "expected"),
    [
        (TRIAGE, None, "directly"),
        (
            "arn:aws:iam::999999999999:role/Other",
            {"StringEquals": {"s3:DataAccessPointArn": "x"}},
            "not a reader",
        ),
        ("*", None, "not a reader"),
    ],
)
def test_phs1_bucket_policy_non_compliant(principal: str, condition: Any, expected: str) -> None:
    statement: dict[str, Any] = {
        "Sid": "X",
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    if condition:
        statement["Condition"] = condition
    findings = phs1_results_readers.check(
        _ctx(_bucket_policy(statement), _metadata("production-a", dal=False))
    )
    assert isinstance(findings, list) and any(expected in f for f in findings), findings


def test_phs2_compliant_tenant_point() -> None:
    assert (
        phs2_dal_tenant_prefix.check(
            _ctx(_point("room-dal", READER, TENANT), _metadata("production-b", dal=True))
        )
        == []
    )


def test_phs2_not_applicable_to_consumer_points() -> None:
    assert (
        phs2_dal_tenant_prefix.check(
            _ctx(_point("room-triage", TRIAGE), _metadata("production-b", dal=True))
        )
        is None
    )


def test_phs2_non_compliant_whole_bucket() -> None:
    point = _point("room-dal", READER, "")
    findings = phs2_dal_tenant_prefix.check(_ctx(point, _metadata("production-b", dal=True)))
    assert isinstance(findings, list)
    assert any("outside the caller's tenant prefix" in f for f in findings), findings
    assert any("list outside" in f for f in findings), findings
    assert any("without the 'tenant' tag are not refused" in f for f in findings), findings


def test_phs2_non_compliant_fixed_other_prefix() -> None:
    point = copy.deepcopy(_point("room-dal", READER, TENANT))
    point["Properties"]["Policy"]["Statement"][0]["Resource"] = (
        f"{AP}/room-dal/object/tenant=acme/*"
    )
    findings = phs2_dal_tenant_prefix.check(_ctx(point, _metadata("production-b", dal=True)))
    assert isinstance(findings, list) and any("tenant=acme/" in f for f in findings), findings


def test_phs1_judges_the_results_bucket_only() -> None:
    # The airlock's export bucket admits its consumers (EXP-1 judges that), not PHS-1.
    statement = {
        "Sid": "ConsumersRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999999999999:role/Consumer"},
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    metadata = _metadata("production-a", dal=False)
    assert phs1_results_readers.check(_ctx(_bucket_policy(statement, "Export"), metadata)) is None
    found = phs1_results_readers.check(_ctx(_bucket_policy(statement), metadata))
    assert isinstance(found, list) and found
