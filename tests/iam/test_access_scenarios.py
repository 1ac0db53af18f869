"""Behaviour of the synthesized access policies, judged by an evaluator we did not write.

The trust, identity and boundary policies are taken from the synthesized templates of the example
(not restated here) and evaluated offline by @cloud-copilot/iam-simulate (tests/iam/evaluator.py).
Every request sets its context keys explicitly; no condition operator may go unrecognized.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from tests.iam.evaluator import (
    assert_no_errors,
    assert_no_ignored_context_keys,
    assert_no_missing_operators,
    decisions,
    evaluate,
)
from tests.iam.resolve import Resolver

PROD = "111111111111"
ROOM = "222222222222"
READ_ROLE = f"arn:aws:iam::{PROD}:role/dataroom-abnormal-process-exec-read"
SCIENTIST = f"arn:aws:iam::{ROOM}:role/dataroom-abnormal-process-exec-scientist"
OTHER_ROLE = f"arn:aws:iam::{ROOM}:role/DataScientist"
EXTERNAL_ID = "dataroom-abnormal-process-exec-SEC-1234"
KEY = f"arn:aws:kms:us-east-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BEFORE = "2026-12-01T12:00:00Z"
AFTER = "2027-05-16T00:00:01Z"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def _doc(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


@pytest.fixture(scope="module")
def policies(example_app: App) -> dict[str, dict[str, Any]]:
    prod = Template.from_stack(example_app.node.find_child("ProductionAccessStack")).to_json()
    room = Template.from_stack(example_app.node.find_child("DataRoomStack")).to_json()
    (read_role,) = [
        r
        for r in prod["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("RoleName", "").endswith("-read")
    ]
    (read_policy,) = [r for r in prod["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    (boundary,) = [
        r
        for r in room["Resources"].values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        and "boundary" in r["Properties"].get("Description", "")
        and "remediation" not in r["Properties"].get("Description", "")
        and "scanner" not in r["Properties"].get("Description", "")  # the airlock's (EXP-1)
        and "restrict-default-security-group" not in r["Properties"].get("Description", "")
    ]
    scientist_statements = [
        s
        for r in room["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "AssumeTheProductionReadRole"
    ]
    return {
        "trust": read_role["Properties"]["AssumeRolePolicyDocument"],
        "read": read_policy["Properties"]["PolicyDocument"],
        # The boundary names the room's workgroup by ARN (PER-2), with the partition as a Ref,
        # and the workbench's statements name the room's endpoint: resolve both.
        "boundary": Resolver(room, account=ROOM, region="us-east-1").resolve(
            boundary["Properties"]["PolicyDocument"]
        ),
        "scientist_assume": _doc(scientist_statements),
    }


def _read(
    rid: str,
    action: str,
    resource: str,
    policies,
    *,
    now: str = BEFORE,
    endpoint: str | None = "vpce-0a1b2c3d4e5f67890",
    **context: str,
) -> dict[str, Any]:
    if action.startswith("s3:") and endpoint is not None:
        # From inside the glovebox, S3 requests arrive through its gateway endpoint, which the
        # room account owns (PER-3; tests/iam/test_perimeter_scenarios.py for other owners).
        context = {"aws:SourceVpce": endpoint, "aws:VpceAccount": ROOM, **context}
    # kms:Decrypt is S3's call on the session's behalf; everything else is the session's own.
    context = {"aws:ViaAWSService": str(action == "kms:Decrypt").lower(), **context}
    return {
        "id": rid,
        "principal": READ_ROLE,
        "action": action,
        "resource": resource,
        "resourceAccount": PROD,
        "identityPolicies": [policies["read"]],
        "context": {
            "aws:CurrentTime": now,
            "aws:SecureTransport": "true",
            "aws:PrincipalArn": READ_ROLE,
            "aws:PrincipalAccount": PROD,
            **context,
        },
    }


def _assume(
    rid: str,
    policies,
    *,
    principal: str = SCIENTIST,
    identity: dict[str, Any] | None = None,
    now: str = BEFORE,
    omit: tuple[str, ...] = (),
    **overrides: str,
) -> dict[str, Any]:
    context = {
        "aws:CurrentTime": now,
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": ROOM,
        "aws:PrincipalOrgID": "o-exampleorg1",
        "sts:ExternalId": EXTERNAL_ID,
        "sts:SourceIdentity": "alice@example.com",
        **overrides,
    }
    for key in omit:
        context.pop(key)
    return {
        "id": rid,
        "principal": principal,
        "action": "sts:AssumeRole",
        "resource": READ_ROLE,
        "resourceAccount": PROD,
        "identityPolicies": [identity or policies["scientist_assume"]],
        "resourcePolicy": policies["trust"],
        "context": context,
    }


def _as_room_role(rid: str, action: str, resource: str, policies) -> dict[str, Any]:
    # A broad policy attached later by mistake: the boundary must still hold.
    return {
        "id": rid,
        "principal": SCIENTIST,
        "action": action,
        "resource": resource,
        "resourceAccount": ROOM,
        "identityPolicies": [ADMIN],
        "permissionBoundaries": [policies["boundary"]],
        "context": {
            "aws:CurrentTime": BEFORE,
            "aws:PrincipalArn": SCIENTIST,
            "aws:PrincipalAccount": ROOM,
            "aws:SecureTransport": "true",
        },
    }


EXPECTED = {
    "read approved object": "Allowed",
    "read approved object version": "Allowed",
    "read approved object from outside any VPC endpoint": "ExplicitlyDenied",
    "list approved prefix from outside any VPC endpoint": "ExplicitlyDenied",
    "read outside the prefix": "ImplicitlyDenied",
    "read another bucket": "ImplicitlyDenied",
    "list approved prefix": "Allowed",
    "list whole bucket": "ImplicitlyDenied",
    "decrypt via S3": "Allowed",
    "decrypt directly": "ImplicitlyDenied",
    "put object": "ExplicitlyDenied",
    "delete object": "ExplicitlyDenied",
    "put object acl": "ExplicitlyDenied",
    "put bucket policy": "ExplicitlyDenied",
    "read after expiry": "ExplicitlyDenied",
    "assume as the room's scientist role": "Allowed",
    "assume by another principal": "ImplicitlyDenied",
    "assume without ExternalId": "ImplicitlyDenied",
    "assume with a wrong ExternalId": "ImplicitlyDenied",
    "assume without SourceIdentity": "ImplicitlyDenied",
    "assume from another organization": "ImplicitlyDenied",
    "assume after expiry": "ImplicitlyDenied",
    "boundary: create IAM user": "ExplicitlyDenied",
    "boundary: attach a policy to itself": "ExplicitlyDenied",
    "boundary: create internet gateway": "ExplicitlyDenied",
    "boundary: create NAT gateway": "ExplicitlyDenied",
    "boundary: stop the trail": "ExplicitlyDenied",
    "boundary: replace a bucket policy": "ExplicitlyDenied",
    "boundary: change a key policy": "ExplicitlyDenied",
    "boundary: ordinary work still allowed": "Allowed",
}


@pytest.fixture(scope="module")
def results(policies) -> list[dict[str, Any]]:
    obj = "arn:aws:s3:::prod-telemetry/events/process/2026/11/part-0001.parquet"
    requests = [
        _read("read approved object", "s3:GetObject", obj, policies),
        _read("read approved object version", "s3:GetObjectVersion", obj, policies),
        _read(
            "read approved object from outside any VPC endpoint",
            "s3:GetObject",
            obj,
            policies,
            endpoint=None,
        ),
        _read(
            "list approved prefix from outside any VPC endpoint",
            "s3:ListBucket",
            "arn:aws:s3:::prod-telemetry",
            policies,
            endpoint=None,
            **{"s3:prefix": "events/process/2026/"},
        ),
        _read(
            "read outside the prefix",
            "s3:GetObject",
            "arn:aws:s3:::prod-telemetry/events/auth/x.json",
            policies,
        ),
        _read(
            "read another bucket",
            "s3:GetObject",
            "arn:aws:s3:::prod-billing/events/process/x",
            policies,
        ),
        _read(
            "list approved prefix",
            "s3:ListBucket",
            "arn:aws:s3:::prod-telemetry",
            policies,
            **{"s3:prefix": "events/process/2026/"},
        ),
        _read(
            "list whole bucket",
            "s3:ListBucket",
            "arn:aws:s3:::prod-telemetry",
            policies,
            **{"s3:prefix": ""},
        ),
        _read(
            "decrypt via S3",
            "kms:Decrypt",
            KEY,
            policies,
            **{"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        ),
        _read(
            "decrypt directly",
            "kms:Decrypt",
            KEY,
            policies,
            **{"kms:ViaService": "ec2.us-east-1.amazonaws.com"},
        ),
        _read("put object", "s3:PutObject", obj, policies),
        _read("delete object", "s3:DeleteObject", obj, policies),
        _read("put object acl", "s3:PutObjectAcl", obj, policies),
        _read("put bucket policy", "s3:PutBucketPolicy", "arn:aws:s3:::prod-telemetry", policies),
        _read("read after expiry", "s3:GetObject", obj, policies, now=AFTER),
        _assume("assume as the room's scientist role", policies),
        _assume("assume by another principal", policies, principal=OTHER_ROLE, identity=ADMIN),
        _assume("assume without ExternalId", policies, omit=("sts:ExternalId",)),
        _assume("assume with a wrong ExternalId", policies, **{"sts:ExternalId": "guess"}),
        _assume("assume without SourceIdentity", policies, omit=("sts:SourceIdentity",)),
        _assume(
            "assume from another organization", policies, **{"aws:PrincipalOrgID": "o-someoneelse1"}
        ),
        _assume("assume after expiry", policies, now=AFTER),
        _as_room_role(
            "boundary: create IAM user",
            "iam:CreateUser",
            f"arn:aws:iam::{ROOM}:user/backdoor",
            policies,
        ),
        _as_room_role(
            "boundary: attach a policy to itself", "iam:AttachRolePolicy", SCIENTIST, policies
        ),
        _as_room_role(
            "boundary: create internet gateway",
            "ec2:CreateInternetGateway",
            f"arn:aws:ec2:us-east-1:{ROOM}:internet-gateway/*",
            policies,
        ),
        _as_room_role(
            "boundary: create NAT gateway",
            "ec2:CreateNatGateway",
            f"arn:aws:ec2:us-east-1:{ROOM}:natgateway/*",
            policies,
        ),
        _as_room_role(
            "boundary: stop the trail",
            "cloudtrail:StopLogging",
            f"arn:aws:cloudtrail:us-east-1:{ROOM}:trail/dataroom",
            policies,
        ),
        _as_room_role(
            "boundary: replace a bucket policy",
            "s3:PutBucketPolicy",
            "arn:aws:s3:::room-results",
            policies,
        ),
        _as_room_role(
            "boundary: change a key policy",
            "kms:PutKeyPolicy",
            f"arn:aws:kms:us-east-1:{ROOM}:key/abcd",
            policies,
        ),
        _as_room_role(
            "boundary: ordinary work still allowed",
            "athena:StartQueryExecution",
            f"arn:aws:athena:us-east-1:{ROOM}:workgroup/dataroom-abnormal-process-exec",
            policies,
        ),
    ]
    for r in requests:
        if r["action"] == "kms:Decrypt":
            # The production key is not ours: assume its default key policy, which delegates to
            # the account's IAM policies (without any key policy KMS refuses everyone).
            r["resourcePolicy"] = _doc(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ]
            )
    return evaluate(requests)


def test_every_request_was_evaluated_cleanly(results) -> None:
    assert_no_errors(results)
    assert_no_missing_operators(results)
    assert_no_ignored_context_keys(results)


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario(scenario: str, results) -> None:
    assert decisions(results)[scenario] == EXPECTED[scenario]
