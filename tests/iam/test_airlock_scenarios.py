"""The airlock's invariants (EXP-1), judged by iam-simulate on the example's synthesized policies.

The two-person rule is not one IAM decision; IAM holds the parts the state machine relies on:

- only the release role writes the export bucket, and only the consumers read it;
- nothing in the review bucket is readable before GuardDuty tagged it clean (the scanner aside),
  and only the scanner sets tags;
- a row of the airlock table always carries its writer's own SourceIdentity as partition key, so
  a person cannot write a decision in someone else's name (nor the requester as an approver);
- only the state machine writes the ``airlock#`` rows that say a request is Approved or Released;
- nobody updates or deletes a row;
- only sessions whose SourceIdentity is a manifest approver can become the approver role.

Every deny has an allowed twin: the nearest request that must pass. Roles that are denied are
often given an admin policy, to show the resource policy holds whatever they are later granted.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from dataroom.stacks import DataRoomStack
from tests.iam.evaluator import (
    assert_no_errors,
    assert_no_ignored_context_keys,
    assert_no_missing_operators,
    decisions,
    evaluate,
)
from tests.iam.resolve import Resolver, logical_id

ROOM = "222222222222"
REGION = "us-east-1"
NOW = "2026-12-01T12:00:00Z"
CONSUMER = "arn:aws:iam::333333333333:role/ThreatResearchConsumer"
ALICE, BOB, CAROL = (
    "scientist@example.com",
    "security-lead@example.com",
    "data-protection@example.com",
)
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
CONSUMER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def airlock(room_stack: DataRoomStack) -> dict[str, Any]:
    assert room_stack.airlock is not None
    lock = room_stack.airlock
    template = Template.from_stack(room_stack).to_json()
    resolver = Resolver(template, account=ROOM, region=REGION)
    resources = template["Resources"]

    def logical(construct: Any) -> str:
        return logical_id(room_stack, construct)

    def identity(role: Any) -> list[dict[str, Any]]:
        ref = {"Ref": logical(role)}
        docs = [
            r["Properties"]["PolicyDocument"]
            for r in resources.values()
            if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            and ref in r["Properties"].get("Roles", [])
        ]
        assert docs, f"{role.node.path} has no identity policy"
        return [resolver.resolve(d) for d in docs]

    def bucket_policy(bucket: Any) -> dict[str, Any]:
        return resolver.resolve(  # type: ignore[no-any-return]
            resources[logical(bucket.policy)]["Properties"]["PolicyDocument"]
        )

    def arn(role: Any) -> str:
        return resolver.get_att(logical(role), "Arn")

    table = resources[logical(lock.table)]["Properties"]
    boundary = resolver.resolve(
        resources[logical(room_stack.boundary.policy)]["Properties"]["PolicyDocument"]
    )
    scanner_boundary = resolver.resolve(
        resources[logical(lock.scanner_boundary)]["Properties"]["PolicyDocument"]
    )
    approver_role = resources[logical(lock.approver_role)]["Properties"]
    roles = {
        "scientist": room_stack.scientist_role,
        "pipeline": lock.pipeline_role,
        "release": lock.release_role,
        "approver": lock.approver_role,
        "scanner": lock.scanner_role,
    }
    return {
        "arn": {name: arn(role) for name, role in roles.items()},
        "identity": {name: identity(role) for name, role in roles.items()},
        "boundary": {
            **{name: boundary for name in roles},
            "scanner": scanner_boundary,
        },
        "review": resolver.get_att(logical(lock.review_bucket), "Arn"),
        "export": resolver.get_att(logical(lock.export_bucket), "Arn"),
        "review_policy": bucket_policy(lock.review_bucket),
        "export_policy": bucket_policy(lock.export_bucket),
        "table": resolver.get_att(logical(lock.table), "Arn"),
        "table_policy": resolver.resolve(table["ResourcePolicy"]["PolicyDocument"]),
        "approver_trust": resolver.resolve(approver_role["AssumeRolePolicyDocument"]),
        "key": resolver.get_att(logical(room_stack.room_key.key), "Arn"),
    }


def _s3(
    rid: str,
    who: str,
    action: str,
    bucket: str,
    lock: dict[str, Any],
    *,
    admin: bool = False,
    tag: str | None = None,
    request_tags: list[str] | None = None,
) -> dict[str, Any]:
    """``who`` acts on an object of the review or export bucket."""
    principal = CONSUMER if who == "consumer" else lock["arn"][who]
    context: dict[str, Any] = {
        "aws:CurrentTime": NOW,
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": principal.split(":")[4],
        "aws:PrincipalIsAWSService": "false",
        "aws:SecureTransport": "true",
        "s3:TlsVersion": "1.3",
        # Both buckets are the room's: the perimeter's writes-outside-the-account deny (PER-2),
        # attached to every room role, reads this key, which AWS always sets.
        "aws:ResourceAccount": ROOM,
    }
    if action in ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObjectTagging") and tag:
        context["s3:ExistingObjectTag/GuardDutyMalwareScanStatus"] = tag
    if action in ("s3:PutObject", "s3:PutObjectTagging"):
        context["s3:RequestObjectTagKeys"] = request_tags or []
        if not context["s3:RequestObjectTagKeys"]:
            del context["s3:RequestObjectTagKeys"]
    if action == "s3:PutObject":
        context["s3:x-amz-server-side-encryption"] = "aws:kms"
        context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = lock["key"]
    if who == "consumer":
        identity, boundaries = [CONSUMER_POLICY], []
    else:
        identity = [*lock["identity"][who], *([ADMIN] if admin else [])]
        boundaries = [lock["boundary"][who]]
    return {
        "id": rid,
        "principal": principal,
        "action": action,
        "resource": f"{lock[bucket]}/20261201T120000Z-1a2b3c4d/out/clusters.csv",
        "resourceAccount": ROOM,
        "identityPolicies": identity,
        "permissionBoundaries": boundaries,
        "resourcePolicy": lock[f"{bucket}_policy"],
        "context": context,
    }


def _row(
    rid: str,
    who: str,
    leading_key: str,
    lock: dict[str, Any],
    *,
    identity: str | None,
    action: str = "dynamodb:PutItem",
    admin: bool = False,
) -> dict[str, Any]:
    """``who`` (a session with SourceIdentity ``identity``) writes a row keyed ``leading_key``."""
    context: dict[str, Any] = {
        "aws:CurrentTime": NOW,
        "aws:PrincipalArn": lock["arn"][who],
        "aws:PrincipalAccount": ROOM,
        "aws:SecureTransport": "true",
        "dynamodb:LeadingKeys": [leading_key],
    }
    if identity is not None:
        context["aws:SourceIdentity"] = identity
    return {
        "id": rid,
        "principal": lock["arn"][who],
        "action": action,
        "resource": lock["table"],
        "identityPolicies": [*lock["identity"][who], *([ADMIN] if admin else [])],
        "permissionBoundaries": [lock["boundary"][who]],
        "resourcePolicy": lock["table_policy"],
        "context": context,
    }


def _become_approver(rid: str, identity: str, lock: dict[str, Any]) -> dict[str, Any]:
    principal = f"arn:aws:iam::{ROOM}:role/DataScientist"
    return {
        "id": rid,
        "principal": principal,
        "action": "sts:AssumeRole",
        "resource": lock["arn"]["approver"],
        "identityPolicies": [ADMIN],
        "resourcePolicy": lock["approver_trust"],
        "context": {
            "aws:CurrentTime": NOW,
            "aws:PrincipalArn": principal,
            "aws:PrincipalAccount": ROOM,
            "sts:SourceIdentity": identity,
        },
    }


EXPECTED = {
    # Only the release role writes the export bucket; only the consumers read it.
    "export: the release role writes": "Allowed",
    "export: the state machine's role writes": "ExplicitlyDenied",
    "export: the scientist with admin writes": "ExplicitlyDenied",
    "export: an approver with admin tags an export": "ExplicitlyDenied",
    "export: the consumer writes": "ExplicitlyDenied",
    "export: the consumer reads": "Allowed",
    "export: the scientist with admin reads": "ExplicitlyDenied",
    "export: the release role reads back": "ExplicitlyDenied",
    # Nothing unscanned is readable; only the scanner tags.
    "review: an approver reads a clean version": "Allowed",
    "review: an approver reads an unscanned version": "ExplicitlyDenied",
    "review: the release role reads a clean version": "Allowed",
    "review: the release role reads an infected version": "ExplicitlyDenied",
    "review: the scanner reads an unscanned version": "Allowed",
    "review: the scientist with admin reads a clean version": "ExplicitlyDenied",
    "review: the scanner tags a version": "Allowed",
    "review: the state machine's role tags a version": "ExplicitlyDenied",
    "review: an approver with admin tags a version": "ExplicitlyDenied",
    "review: the state machine's role copies a version in": "Allowed",
    "review: the state machine's role uploads with a scan verdict": "ExplicitlyDenied",
    "review: the scientist with admin uploads": "ExplicitlyDenied",
    # An approval row carries its writer's identity; the requester cannot approve for another.
    "table: an approver writes under their own identity": "Allowed",
    "table: an approver writes under another approver's identity": "ExplicitlyDenied",
    "table: an approver writes without a SourceIdentity": "ExplicitlyDenied",
    "table: the requester writes under their own identity": "Allowed",
    "table: the requester writes an approval as an approver": "ExplicitlyDenied",
    # Only the state machine sets a request's state.
    "table: the state machine records a state": "Allowed",
    "table: the requester forges a state row": "ExplicitlyDenied",
    "table: the state machine forges an approval": "ExplicitlyDenied",
    # Append-only.
    "table: an approver with admin updates a row": "ExplicitlyDenied",
    "table: the state machine deletes a row": "ExplicitlyDenied",
    "table: the scientist with admin writes a batch": "ExplicitlyDenied",
    # Who may become an approver.
    "approver role: assumed by a manifest approver": "Allowed",
    "approver role: assumed by the requester who is no approver": "ImplicitlyDenied",
}


@pytest.fixture(scope="module")
def results(airlock: dict[str, Any]) -> list[dict[str, Any]]:
    lock = airlock
    clean, infected = "NO_THREATS_FOUND", "THREATS_FOUND"
    requests = [
        _s3("export: the release role writes", "release", "s3:PutObject", "export", lock),
        _s3(
            "export: the state machine's role writes",
            "pipeline",
            "s3:PutObject",
            "export",
            lock,
            admin=True,
        ),
        _s3(
            "export: the scientist with admin writes",
            "scientist",
            "s3:PutObject",
            "export",
            lock,
            admin=True,
        ),
        _s3(
            "export: an approver with admin tags an export",
            "approver",
            "s3:PutObjectTagging",
            "export",
            lock,
            admin=True,
        ),
        _s3("export: the consumer writes", "consumer", "s3:PutObject", "export", lock),
        _s3("export: the consumer reads", "consumer", "s3:GetObject", "export", lock),
        _s3(
            "export: the scientist with admin reads",
            "scientist",
            "s3:GetObject",
            "export",
            lock,
            admin=True,
        ),
        _s3("export: the release role reads back", "release", "s3:GetObject", "export", lock),
        _s3(
            "review: an approver reads a clean version",
            "approver",
            "s3:GetObjectVersion",
            "review",
            lock,
            tag=clean,
        ),
        _s3(
            "review: an approver reads an unscanned version",
            "approver",
            "s3:GetObjectVersion",
            "review",
            lock,
        ),
        _s3(
            "review: the release role reads a clean version",
            "release",
            "s3:GetObjectVersion",
            "review",
            lock,
            tag=clean,
        ),
        _s3(
            "review: the release role reads an infected version",
            "release",
            "s3:GetObjectVersion",
            "review",
            lock,
            tag=infected,
        ),
        _s3(
            "review: the scanner reads an unscanned version",
            "scanner",
            "s3:GetObject",
            "review",
            lock,
        ),
        _s3(
            "review: the scientist with admin reads a clean version",
            "scientist",
            "s3:GetObject",
            "review",
            lock,
            admin=True,
            tag=clean,
        ),
        _s3(
            "review: the scanner tags a version",
            "scanner",
            "s3:PutObjectTagging",
            "review",
            lock,
            request_tags=["GuardDutyMalwareScanStatus"],
        ),
        _s3(
            "review: the state machine's role tags a version",
            "pipeline",
            "s3:PutObjectTagging",
            "review",
            lock,
            admin=True,
            request_tags=["GuardDutyMalwareScanStatus"],
        ),
        _s3(
            "review: an approver with admin tags a version",
            "approver",
            "s3:PutObjectTagging",
            "review",
            lock,
            admin=True,
            request_tags=["GuardDutyMalwareScanStatus"],
        ),
        _s3(
            "review: the state machine's role copies a version in",
            "pipeline",
            "s3:PutObject",
            "review",
            lock,
        ),
        _s3(
            "review: the state machine's role uploads with a scan verdict",
            "pipeline",
            "s3:PutObject",
            "review",
            lock,
            request_tags=["GuardDutyMalwareScanStatus"],
        ),
        _s3(
            "review: the scientist with admin uploads",
            "scientist",
            "s3:PutObject",
            "review",
            lock,
            admin=True,
        ),
        _row(
            "table: an approver writes under their own identity",
            "approver",
            BOB,
            lock,
            identity=BOB,
        ),
        _row(
            "table: an approver writes under another approver's identity",
            "approver",
            CAROL,
            lock,
            identity=BOB,
        ),
        _row(
            "table: an approver writes without a SourceIdentity",
            "approver",
            BOB,
            lock,
            identity=None,
        ),
        _row(
            "table: the requester writes under their own identity",
            "scientist",
            ALICE,
            lock,
            identity=ALICE,
        ),
        _row(
            "table: the requester writes an approval as an approver",
            "scientist",
            BOB,
            lock,
            identity=ALICE,
        ),
        _row(
            "table: the state machine records a state",
            "pipeline",
            "airlock#20261201T120000Z-1a2b3c4d",
            lock,
            identity=None,
        ),
        _row(
            "table: the requester forges a state row",
            "scientist",
            "airlock#20261201T120000Z-1a2b3c4d",
            lock,
            identity=ALICE,
            admin=True,
        ),
        _row(
            "table: the state machine forges an approval",
            "pipeline",
            BOB,
            lock,
            identity=None,
            admin=True,
        ),
        _row(
            "table: an approver with admin updates a row",
            "approver",
            BOB,
            lock,
            identity=BOB,
            action="dynamodb:UpdateItem",
            admin=True,
        ),
        _row(
            "table: the state machine deletes a row",
            "pipeline",
            "airlock#20261201T120000Z-1a2b3c4d",
            lock,
            identity=None,
            action="dynamodb:DeleteItem",
            admin=True,
        ),
        _row(
            "table: the scientist with admin writes a batch",
            "scientist",
            ALICE,
            lock,
            identity=ALICE,
            action="dynamodb:BatchWriteItem",
            admin=True,
        ),
        _become_approver("approver role: assumed by a manifest approver", BOB, lock),
        _become_approver("approver role: assumed by the requester who is no approver", ALICE, lock),
    ]
    return evaluate(requests)


def test_every_request_was_evaluated_cleanly(results) -> None:
    assert_no_errors(results)
    assert_no_missing_operators(results)
    assert_no_ignored_context_keys(results)


def test_every_deny_has_an_allowed_twin() -> None:
    groups = {name.split(":", 1)[0] for name in EXPECTED}
    for group in groups:
        outcomes = {v for k, v in EXPECTED.items() if k.startswith(f"{group}:")}
        assert "Allowed" in outcomes and outcomes - {"Allowed"}, group


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario(scenario: str, results) -> None:
    assert decisions(results)[scenario] == EXPECTED[scenario]
