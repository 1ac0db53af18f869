"""PHS-1 / PHS-2 decisions, judged by the evaluator on the synthesized phase A and B rooms.

Every cell of principals x object keys x path x phase has an expected decision. A read through
an access point is allowed only when both the access point's policy and the bucket's policy
allow it (S3 evaluates both; iam-simulate takes one resource policy per request, so each read
through an access point is two requests, combined here). iam-simulate's data attaches
``s3:DataAccessPointArn`` only to access point resources, so the bucket-side request names the
object by its access point ARN and the bucket policy's resource names are mapped onto it (names
only: every statement, action and condition is evaluated as synthesized). Every deny in the matrix has a twin
that is allowed: the same principal on another key or path, or another principal on this one.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from tests.iam.evaluator import (
    assert_no_errors,
    assert_no_missing_operators,
    decisions,
    evaluate,
)
from tests.iam.resolve import Resolver
from tests.phases.conftest import ROOM_A, ROOM_B, access_points, resources

ACCOUNTS = {ROOM_A: "333333333333", ROOM_B: "444444444444"}
PROD = "111111111111"
TRIAGE = f"arn:aws:iam::{PROD}:role/SocTriageConsole"
TRIAGE_VPCE = "vpce-0a1b2c3d4e5f60718"
DAL_VPCE = "vpce-0fedcba9876543210"
NOW = "2026-12-01T12:00:00Z"
OUTSIDER = "arn:aws:iam::999999999999:role/Anyone"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
KEYS = ("tenant=a/scores.json", "tenant=b/scores.json", "summary.json")
ALLOW, DENY = "Allowed", "Denied"


def _room(app: App, room: str) -> dict[str, Any]:
    template = Template.from_stack(app.node.find_child(f"DataRoomStack-{room}")).to_json()
    resolver = Resolver(template, account=ACCOUNTS[room], region="us-east-1")
    (bucket_id,) = [k for k, v in resources(template, "AWS::S3::Bucket").items() if "Results" in k]
    (policy,) = [
        v["Properties"]["PolicyDocument"]
        for v in resources(template, "AWS::S3::BucketPolicy").values()
        if v["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    (endpoint_id,) = [
        k
        for k, v in resources(template, "AWS::EC2::VPCEndpoint").items()
        if v["Properties"].get("VpcEndpointType") == "Gateway"
    ]
    readers = [
        r
        for r in resources(template, "AWS::IAM::Role").items()
        if str(r[1]["Properties"].get("RoleName", "")).endswith("-dal-reader")
    ]
    reader_policy = None
    if readers:
        reader_id = readers[0][0]
        reader_policy = resolver.resolve(
            {
                "Version": "2012-10-17",
                "Statement": [
                    s
                    for v in resources(template, "AWS::IAM::Policy").values()
                    if {"Ref": reader_id} in v["Properties"].get("Roles", [])
                    for s in v["Properties"]["PolicyDocument"]["Statement"]
                ],
            }
        )
    return {
        "account": ACCOUNTS[room],
        "bucket": resolver.ref(bucket_id),
        "bucket_policy": resolver.resolve(policy),
        "room_vpce": resolver.ref(endpoint_id),
        "points": {
            name: {
                "arn": f"arn:aws:s3:us-east-1:{ACCOUNTS[room]}:accesspoint/{name}",
                "policy": resolver.resolve(point["Properties"]["Policy"]),
            }
            for name, point in access_points(template).items()
        },
        "reader_policy": reader_policy,
    }


@pytest.fixture(scope="module")
def rooms(phases_app: App) -> dict[str, dict[str, Any]]:
    return {"A": _room(phases_app, ROOM_A), "B": _room(phases_app, ROOM_B)}


def _principals(room: dict[str, Any]) -> dict[str, dict[str, Any]]:
    account = room["account"]
    name = ROOM_A if account == ACCOUNTS[ROOM_A] else ROOM_B
    reader = f"arn:aws:iam::{account}:role/dataroom-{name}-dal-reader"
    reader_policy = room["reader_policy"] or ADMIN
    scientist_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{room['bucket']}", f"arn:aws:s3:::{room['bucket']}/*"],
            }
        ],
    }
    return {
        "scientist": {
            "arn": f"arn:aws:iam::{account}:role/dataroom-{name}-scientist",
            "policy": scientist_policy,
            "context": {"aws:SourceVpce": room["room_vpce"]},
        },
        "consumer": {"arn": TRIAGE, "policy": ADMIN, "context": {"aws:SourceVpce": TRIAGE_VPCE}},
        "dal-tenant-a": {
            "arn": reader,
            "policy": reader_policy,
            "context": {"aws:PrincipalTag/tenant": "a", "aws:SourceVpce": DAL_VPCE},
        },
        # The same tenant session, taken to an endpoint the DAL does not own (PER-3).
        "dal-tenant-a-elsewhere": {
            "arn": reader,
            "policy": reader_policy,
            "context": {"aws:PrincipalTag/tenant": "a", "aws:SourceVpce": "vpce-0badbadbadbadbad0"},
        },
        "dal-untagged": {
            "arn": reader,
            "policy": reader_policy,
            "context": {"aws:SourceVpce": DAL_VPCE},
        },
        "outsider": {"arn": OUTSIDER, "policy": ADMIN, "context": {"aws:SourceVpce": TRIAGE_VPCE}},
    }


def _context(principal: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    account = principal["arn"].split(":")[4]
    return {
        "aws:PrincipalArn": principal["arn"],
        "aws:PrincipalAccount": account,
        "aws:PrincipalIsAWSService": "false",
        "aws:SecureTransport": "true",
        "aws:CurrentTime": NOW,
        **principal["context"],
        **extra,
    }


def _requests(
    room: dict[str, Any], phase: str
) -> tuple[list[dict[str, Any]], dict[tuple[str, str, str], list[str]]]:
    """All requests for a phase, and which request ids decide each (principal, key, path) cell."""
    out: list[dict[str, Any]] = []
    cells: dict[tuple[str, str, str], list[str]] = {}
    for who, principal in _principals(room).items():
        for key in KEYS:
            obj = f"arn:aws:s3:::{room['bucket']}/{key}"
            rid = f"{phase}|{who}|{key}|direct"
            out.append(
                {
                    "id": rid,
                    "principal": principal["arn"],
                    "action": "s3:GetObject",
                    "resource": obj,
                    "resourceAccount": room["account"],
                    "identityPolicies": [principal["policy"]],
                    "resourcePolicy": room["bucket_policy"],
                    "context": _context(principal, {}),
                }
            )
            cells[(who, key, "direct")] = [rid]
            for name, point in room["points"].items():
                path = "dal-point" if name.endswith("-dal") else "consumer-point"
                ap_id, bucket_id = (
                    f"{phase}|{who}|{key}|{path}|ap",
                    f"{phase}|{who}|{key}|{path}|bucket",
                )
                out.append(
                    {
                        "id": ap_id,
                        "principal": principal["arn"],
                        "action": "s3:GetObject",
                        "resource": f"{point['arn']}/object/{key}",
                        "resourceAccount": room["account"],
                        "identityPolicies": [principal["policy"]],
                        "resourcePolicy": point["policy"],
                        "context": _context(principal, {}),
                    }
                )
                out.append(
                    {
                        "id": bucket_id,
                        "principal": principal["arn"],
                        "action": "s3:GetObject",
                        "resource": f"{point['arn']}/object/{key}",
                        "resourceAccount": room["account"],
                        "identityPolicies": [principal["policy"]],
                        "resourcePolicy": _through(
                            room["bucket_policy"], room["bucket"], point["arn"]
                        ),
                        "context": _context(
                            principal,
                            {
                                "s3:DataAccessPointArn": point["arn"],
                                "s3:DataAccessPointAccount": room["account"],
                            },
                        ),
                    }
                )
                cells[(who, key, path)] = [ap_id, bucket_id]
    return out, cells


def _through(policy: Any, bucket: str, access_point: str) -> Any:
    """``policy`` with the bucket's resource names mapped onto ``access_point``'s."""
    if isinstance(policy, list):
        return [_through(p, bucket, access_point) for p in policy]
    if isinstance(policy, dict):
        return {
            k: _through(v, bucket, access_point)
            if k in ("Statement", "Resource") or (isinstance(v, (dict, list)) and k != "Condition")
            else v
            for k, v in policy.items()
        }
    if isinstance(policy, str):
        if policy == f"arn:aws:s3:::{bucket}":
            return access_point
        if policy.startswith(f"arn:aws:s3:::{bucket}/"):
            return f"{access_point}/object/{policy.split('/', 1)[1]}"
    return policy


def _why(results: list[dict[str, Any]], rid: str) -> Any:
    (result,) = [r for r in results if r["id"] == rid]
    return {k: result.get(k) for k in ("result", "blockedBy", "ignoredContextKeys")}


def _expected(phase: str, who: str, key: str, path: str) -> str:
    if path == "direct":
        return ALLOW if who == "scientist" else DENY
    if path == "consumer-point":
        return ALLOW if who == "consumer" else DENY
    # dal-point: phase B only, the caller's own tenant only.
    assert phase == "B"
    return ALLOW if who == "dal-tenant-a" and key.startswith("tenant=a/") else DENY


@pytest.mark.parametrize("phase", ["A", "B"])
def test_every_cell_of_the_matrix_has_its_expected_decision(
    rooms: dict[str, dict[str, Any]], phase: str
) -> None:
    room = rooms[phase]
    requests, cells = _requests(room, phase)
    results = evaluate(requests)
    assert_no_errors(results)
    assert_no_missing_operators(results)
    decided = decisions(results)
    got = {
        cell: ALLOW if all(decided[i] == "Allowed" for i in ids) else DENY
        for cell, ids in cells.items()
    }
    expected = {cell: _expected(phase, *cell) for cell in cells}
    unexpected = {
        f"{c}": (got[c], expected[c], {i: _why(results, i) for i in cells[c]})
        for c in cells
        if got[c] != expected[c]
    }
    assert not unexpected, unexpected
    # The matrix is not vacuous: every path has an allowed cell, every denied cell a twin.
    paths = {path for (_, _, path) in cells}
    assert paths == ({"direct", "consumer-point"} | ({"dal-point"} if phase == "B" else set()))
    for path in paths:
        assert any(got[c] == ALLOW for c in cells if c[2] == path), path
    for (who, key, path), decision in got.items():
        if decision == DENY:
            twins = [
                c
                for c in cells
                if got[c] == ALLOW and (c[0] == who or c[2] == path) and c != (who, key, path)
            ]
            assert twins, (who, key, path)


def test_phase_a_has_no_dal_point(rooms: dict[str, dict[str, Any]]) -> None:
    assert not [n for n in rooms["A"]["points"] if n.endswith("-dal")]
    assert rooms["A"]["reader_policy"] is None


def _assume(
    rid: str,
    principal_tags: dict[str, str],
    request_tags: dict[str, str],
    trust: dict[str, Any],
    *,
    action: str = "sts:AssumeRole",
) -> dict[str, Any]:
    caller = f"arn:aws:iam::{PROD}:role/CustomerDal"
    context: dict[str, Any] = {
        "aws:PrincipalArn": caller,
        "aws:PrincipalAccount": PROD,
        "aws:CurrentTime": NOW,
        "sts:ExternalId": f"dataroom-{ROOM_B}-dal-SEC-2002",
        "sts:SourceIdentity": "end-user-42",
    }
    context.update({f"aws:PrincipalTag/{k}": v for k, v in principal_tags.items()})
    context.update({f"aws:RequestTag/{k}": v for k, v in request_tags.items()})
    if request_tags:
        context["aws:TagKeys"] = list(request_tags)
    return {
        "id": rid,
        "principal": caller,
        "action": action,
        "resource": f"arn:aws:iam::{ACCOUNTS[ROOM_B]}:role/dataroom-{ROOM_B}-dal-reader",
        "identityPolicies": [ADMIN],
        "resourcePolicy": trust,
        "context": context,
    }


def test_dal_cannot_open_a_session_for_another_tenant(phases_app: App) -> None:
    template = Template.from_stack(phases_app.node.find_child(f"DataRoomStack-{ROOM_B}")).to_json()
    (trust,) = [
        v["Properties"]["AssumeRolePolicyDocument"]
        for v in resources(template, "AWS::IAM::Role").values()
        if str(v["Properties"].get("RoleName", "")).endswith("-dal-reader")
    ]
    requests = [
        _assume("own-tenant", {"tenant": "a"}, {"tenant": "a"}, trust),
        _assume("own-tenant-tag", {"tenant": "a"}, {"tenant": "a"}, trust, action="sts:TagSession"),
        _assume("other-tenant", {"tenant": "a"}, {"tenant": "b"}, trust),
        _assume(
            "other-tenant-tag", {"tenant": "a"}, {"tenant": "b"}, trust, action="sts:TagSession"
        ),
        _assume("no-session-tag", {"tenant": "a"}, {}, trust),
        _assume("untagged-caller", {}, {"tenant": "a"}, trust),
        _assume(
            "extra-tag-key",
            {"tenant": "a", "role": "x"},
            {"tenant": "a", "role": "admin"},
            trust,
            action="sts:TagSession",
        ),
    ]
    results = evaluate(requests)
    assert_no_errors(results)
    assert_no_missing_operators(results)
    assert decisions(results) == {
        "own-tenant": "Allowed",
        "own-tenant-tag": "Allowed",
        "other-tenant": "ImplicitlyDenied",
        "other-tenant-tag": "ImplicitlyDenied",
        "no-session-tag": "ImplicitlyDenied",
        "untagged-caller": "ImplicitlyDenied",
        "extra-tag-key": "ImplicitlyDenied",
    }
