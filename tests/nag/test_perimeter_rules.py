"""The PER DataRoomChecks rules on small template fragments: each compliant and non-compliant.

The gate (a weakened example failing synthesis) is in tests/nag/test_data_room_checks.py
(``WEAKENINGS``); these judge the shapes themselves, without jsii.
"""

from __future__ import annotations

from typing import Any

import pytest

from dataroom.baseline import Baseline
from dataroom.policies.rules import (
    per1_service_principal_source,
    per2_called_via_scoped,
    per2_sharing_without_boundary,
    per3_endpoint_pinned,
)
from dataroom.policies.rules.base import RuleContext, Verdict

ACCOUNT = "222222222222"


def _judge(
    rule: Any, resources: dict[str, dict[str, Any]], logical_id: str, *, kind: str = "room"
) -> Verdict:
    template = {"Metadata": {"dataroom": {"kind": kind}}, "Resources": resources}
    context = RuleContext(
        logical_id, resources[logical_id], template, Baseline(), ACCOUNT, "us-east-1"
    )
    return rule.RULE.check(context)


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _topic_policy(*statements: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "P": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {"PolicyDocument": _doc(*statements), "Topics": [{"Ref": "T"}]},
        }
    }


EVENTS_PUBLISH = {
    "Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"},
    "Action": "sns:Publish",
    "Resource": {"Ref": "T"},
}


# --- PER-1 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["Rule", "Arn"]}}},
        {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:*"}},
    ],
)
def test_per1_bound_service_principal_is_compliant(condition: dict[str, Any]) -> None:
    resources = _topic_policy({**EVENTS_PUBLISH, "Condition": condition})
    assert _judge(per1_service_principal_source, resources, "P") == []


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        (None, "no condition at all (aws-cdk-lib's SNS target)"),
        ({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}, "IfExists: absent passes"),
        ({"StringNotEquals": {"aws:SourceAccount": "999999999999"}}, "a negation binds nothing"),
        ({"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:*:*"}}, "any account"),
    ],
)
def test_per1_unbound_service_principal_is_caught(condition: Any, why: str) -> None:
    statement = dict(EVENTS_PUBLISH)
    if condition:
        statement["Condition"] = condition
    found = _judge(per1_service_principal_source, _topic_policy(statement), "P")
    assert found and "events.amazonaws.com without aws:SourceAccount" in found[0], why


def test_per1_key_policy_and_lambda_permission() -> None:
    key = {
        "K": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": _doc(
                    {
                        "Sid": "Publishers",
                        "Effect": "Allow",
                        "Principal": {"Service": ["events.amazonaws.com"]},
                        "Action": "kms:GenerateDataKey*",
                        "Resource": "*",
                    }
                )
            },
        }
    }
    assert _judge(per1_service_principal_source, key, "K") == [
        "KeyPolicy Publishers: events.amazonaws.com without aws:SourceAccount/aws:SourceArn"
    ]
    permission: dict[str, Any] = {
        "L": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {"Principal": "events.amazonaws.com", "Action": "lambda:InvokeFunction"},
        }
    }
    assert _judge(per1_service_principal_source, permission, "L")
    permission["L"]["Properties"]["SourceArn"] = {"Fn::GetAtt": ["Rule", "Arn"]}
    assert _judge(per1_service_principal_source, permission, "L") == []


def test_per1_deny_and_account_principals_are_not_its_business() -> None:
    resources = _topic_policy(
        {**EVENTS_PUBLISH, "Effect": "Deny"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "*"},
    )
    assert _judge(per1_service_principal_source, resources, "P") == []


# --- PER-3 -------------------------------------------------------------------------------------


def _read_policy(*statements: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "Read": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyDocument": _doc(*statements), "Roles": [{"Ref": "R"}]},
        }
    }


GET = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod/x/*"}


@pytest.mark.parametrize(
    "statements",
    [
        [{**GET, "Condition": {"StringEquals": {"aws:VpceAccount": ACCOUNT}}}],
        [{**GET, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}}],
        # Presence on the Allow, the account pinned by a Deny of the same policy.
        [
            {**GET, "Condition": {"Null": {"aws:SourceVpce": "false"}}},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:VpceAccount": ACCOUNT}},
            },
        ],
        [GET],  # no network condition at all: IAMReadRoleReadOnly's business, not this rule's
    ],
)
def test_per3_pinned_endpoint_is_compliant(statements: list[dict[str, Any]]) -> None:
    assert _judge(per3_endpoint_pinned, _read_policy(*statements), "Read") == []


@pytest.mark.parametrize(
    "statement",
    [
        {**GET, "Condition": {"Null": {"aws:SourceVpce": "false"}}},
        {**GET, "Condition": {"Null": {"aws:VpceAccount": "false"}}},
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Null": {"aws:SourceVpc": "true"}},
        },
    ],
)
def test_per3_presence_only_is_caught(statement: dict[str, Any]) -> None:
    found = _judge(per3_endpoint_pinned, _read_policy(statement), "Read")
    assert found and "tests only that a VPC endpoint is present" in found[0]


def test_per3_inline_role_policy_is_read_too() -> None:
    role = {
        "R": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Policies": [
                    {
                        "PolicyName": "p",
                        "PolicyDocument": _doc(
                            {**GET, "Condition": {"Null": {"aws:SourceVpce": "false"}}}
                        ),
                    }
                ]
            },
        }
    }
    assert _judge(per3_endpoint_pinned, role, "R")


# --- PER-2: aws:CalledVia ---------------------------------------------------------------------

DATA = ["s3:GetObject", "s3:PutObject"]
EXEMPTION = {
    "Sid": "DenyDataAccessFromOutsideTheGlovebox",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": DATA,
    "Resource": "*",
    "Condition": {
        "StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"},
        "ForAllValues:StringNotEquals": {"aws:CalledVia": ["athena.amazonaws.com"]},
    },
}
SCOPE = {
    "Sid": "DenyServiceAccessForPrincipalsOutsideTheRoom",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": DATA,
    "Resource": "*",
    "Condition": {
        "ForAnyValue:StringEquals": {"aws:CalledVia": ["athena.amazonaws.com"]},
        "ArnNotEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/scientist"]},
    },
}


def _bucket_policy(*statements: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "BP": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "B"}, "PolicyDocument": _doc(*statements)},
        }
    }


def test_per2_scoped_called_via_is_compliant() -> None:
    assert _judge(per2_called_via_scoped, _bucket_policy(EXEMPTION, SCOPE), "BP") == []
    assert _judge(per2_called_via_scoped, _bucket_policy(SCOPE), "BP") == []


@pytest.mark.parametrize(
    ("statements", "why"),
    [
        ([EXEMPTION], "no scoping statement at all (the finding of the review)"),
        (
            [EXEMPTION, {**SCOPE, "Condition": {**SCOPE["Condition"], "ArnNotEquals": {}}}],
            "scoping statement names no principal",
        ),
        (
            [
                EXEMPTION,
                {
                    **SCOPE,
                    "Condition": {
                        "ForAnyValue:StringEquals": {"aws:CalledVia": ["athena.amazonaws.com"]},
                        "StringNotEquals": {"aws:PrincipalAccount": ACCOUNT},
                    },
                },
            ],
            "an account is not the room's roles",
        ),
        ([EXEMPTION, {**SCOPE, "Action": ["s3:GetObject"]}], "scope misses s3:PutObject"),
        (
            [
                EXEMPTION,
                {
                    **SCOPE,
                    "Condition": {
                        **SCOPE["Condition"],
                        "ForAnyValue:StringEquals": {"aws:CalledVia": ["glue.amazonaws.com"]},
                    },
                },
            ],
            "scope is for another service",
        ),
    ],
)
def test_per2_unscoped_called_via_is_caught(statements: list[dict[str, Any]], why: str) -> None:
    found = _judge(per2_called_via_scoped, _bucket_policy(*statements), "BP")
    assert found and "exempts every request via athena.amazonaws.com" in found[0], why


# --- PER-2: sharing without the boundary deny --------------------------------------------------


def _room(actions: list[str], boundary_denies: list[str] | None) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Grant": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyDocument": _doc({"Effect": "Allow", "Action": actions, "Resource": "*"}),
                "Roles": [{"Ref": "Role"}],
            },
        },
    }
    if boundary_denies is not None:
        resources["Boundary"] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "PolicyDocument": _doc(
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": boundary_denies, "Resource": "*"},
                )
            },
        }
        resources["Role"]["Properties"]["PermissionsBoundary"] = {"Ref": "Boundary"}
    return resources


@pytest.mark.parametrize(
    ("allowed", "denied"),
    [
        (["ec2:ModifySnapshotAttribute"], ["ec2:ModifySnapshotAttribute"]),
        (["logs:*"], ["logs:*"]),
        (["*"], ["*"]),
        (["s3:GetObject", "athena:StartQueryExecution"], None),  # nothing to share: no boundary
    ],
)
def test_per2_sharing_denied_by_the_boundary_is_compliant(
    allowed: list[str], denied: list[str] | None
) -> None:
    assert _judge(per2_sharing_without_boundary, _room(allowed, denied), "Role") == []


@pytest.mark.parametrize(
    ("allowed", "denied", "expected"),
    [
        (["ec2:ModifySnapshotAttribute"], None, "ec2:modifysnapshotattribute"),
        (["logs:Put*"], ["logs:PutLogEvents"], "logs:putsubscriptionfilter"),
        (["ec2:*"], ["ec2:ModifySnapshotAttribute"], "ec2:modifyimageattribute"),
        (["*"], ["iam:*"], "logs:createexporttask"),
    ],
)
def test_per2_sharing_without_the_boundary_deny_is_caught(
    allowed: list[str], denied: list[str] | None, expected: str
) -> None:
    found = _judge(per2_sharing_without_boundary, _room(allowed, denied), "Role") or []
    assert any(f.startswith(f"allows {expected} ") for f in found), found


def test_per2_boundary_deny_with_a_condition_does_not_count() -> None:
    resources = _room(["logs:PutSubscriptionFilter"], ["logs:PutSubscriptionFilter"])
    deny = resources["Boundary"]["Properties"]["PolicyDocument"]["Statement"][1]
    deny["Condition"] = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert _judge(per2_sharing_without_boundary, resources, "Role")


# --- the documentation lists them ---------------------------------------------------------------


def test_docs_list_every_way_out_and_rule() -> None:
    from dataroom.policies.data_perimeter import CLOSED_ELSEWHERE, WAYS_OUT
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "perimeter.md").read_text()
    for way in WAYS_OUT:
        assert f"`{way.sid}`" in text
        for action in way.actions:
            assert f"`{action}`" in text, action
    for action, sid, _ in CLOSED_ELSEWHERE:
        assert f"`{action}` | `{sid}`" in text
    for rule in (
        per1_service_principal_source,
        per2_called_via_scoped,
        per2_sharing_without_boundary,
        per3_endpoint_pinned,
    ):
        assert f"`DataRoom-{rule.RULE.rule_id}`" in text
