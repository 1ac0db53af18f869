"""The guardrails around monitoring hold, judged by iam-simulate on the synthesized policies.

- The room boundary stops a room role holding an admin policy from blinding the watchers:
  disabling alert rules, rewriting the intended bucket policies, lifting the query limit,
  replacing the remediation code, disabling the detector.
- The remediation role may restore (start logging, put back a bucket policy, re-enable the
  detector, re-create flow logs passing only the flow-log role) and nothing else, even with an
  admin policy attached: its own boundary caps it.
- The intermediate bucket admits a room principal's request outside the glovebox endpoint only
  when Athena makes it on their behalf (``aws:CalledVia``), for the query guard's results.

Policies come from the example's ``DataRoomStack`` template; CloudFormation references are
replaced by stand-in names (tests/iam/resolve.py) used consistently by policies and requests.
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
from tests.iam.resolve import Resolver, logical_id, policy_document

ROOM = "222222222222"
REGION = "us-east-1"
NOW = "2026-12-01T12:00:00Z"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ROOM}:trail/dataroom-abnormal-process-exec"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def room(room_stack: DataRoomStack) -> dict[str, Any]:
    template = Template.from_stack(room_stack).to_json()
    resolver = Resolver(template, account=ROOM, region=REGION)
    resources = template["Resources"]

    def logical(construct: Any) -> str:
        return logical_id(room_stack, construct)

    def document(construct: Any) -> dict[str, Any]:
        return policy_document(room_stack, resolver, construct)

    remediation = room_stack.remediation
    scientist_policies = [
        resolver.resolve(r["Properties"]["PolicyDocument"])
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy"
        and {"Ref": logical(room_stack.scientist_role)} in r["Properties"].get("Roles", [])
    ]
    assert scientist_policies, "the scientist role has no identity policy"
    intermediate = room_stack.storage.intermediate_bucket
    return {
        "boundary": document(room_stack.boundary.policy),
        "remediation": document(remediation.permissions),
        "remediation_boundary": document(remediation.boundary),
        "remediation_role": resolver.get_att(logical(remediation.role), "Arn"),
        "scientist": resolver.get_att(logical(room_stack.scientist_role), "Arn"),
        "scientist_policies": scientist_policies,
        "intermediate": resolver.get_att(logical(intermediate), "Arn"),
        "intermediate_policy": document(intermediate.policy),
        "results": resolver.get_att(logical(room_stack.storage.results_bucket), "Arn"),
        "detector": f"arn:aws:guardduty:{REGION}:{ROOM}:detector/"
        + resolver.ref(logical(room_stack.threat_detection.detector)),
        "flow_log_role": resolver.get_att(logical(room_stack.glovebox.flow_log_role), "Arn"),
        "vpc": f"arn:aws:ec2:{REGION}:{ROOM}:vpc/" + resolver.ref(logical(room_stack.vpc)),
        "endpoint": resolver.ref(
            room_stack.get_logical_id(room_stack.glovebox.s3_endpoint.node.default_child)  # type: ignore[arg-type]
        ),
        "key": resolver.get_att(logical(room_stack.room_key.key), "Arn"),
    }


def _context(principal: str, **extra: Any) -> dict[str, Any]:
    return {
        "aws:CurrentTime": NOW,
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": ROOM,
        "aws:SecureTransport": "true",
        **extra,
    }


def _room_role(rid: str, action: str, resource: str, room: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rid,
        "principal": room["scientist"],
        "action": action,
        "resource": resource,
        "resourceAccount": ROOM,
        "identityPolicies": [ADMIN],
        "permissionBoundaries": [room["boundary"]],
        "context": _context(room["scientist"]),
    }


def _remediation(
    rid: str, action: str, resource: str, room: dict[str, Any], *, admin: bool = False, **extra: Any
) -> dict[str, Any]:
    identity = [room["remediation"], *([ADMIN] if admin else [])]
    return {
        "id": rid,
        "principal": room["remediation_role"],
        "action": action,
        "resource": resource,
        "resourceAccount": ROOM,
        "identityPolicies": identity,
        "permissionBoundaries": [room["remediation_boundary"]],
        "context": _context(room["remediation_role"], **extra),
    }


def _put_intermediate(rid: str, room: dict[str, Any], **network: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "principal": room["scientist"],
        "action": "s3:PutObject",
        "resource": f"{room['intermediate']}/athena-results/q1.csv",
        "resourceAccount": ROOM,
        "identityPolicies": room["scientist_policies"],
        "permissionBoundaries": [room["boundary"]],
        "resourcePolicy": room["intermediate_policy"],
        "context": _context(
            room["scientist"],
            **{
                "aws:PrincipalIsAWSService": "false",
                # The bucket is the room account's (PER-2 denies writes anywhere else).
                "aws:ResourceAccount": ROOM,
                "s3:TlsVersion": "1.3",
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": room["key"],
                **network,
            },
        ),
    }


EXPECTED = {
    "room boundary: disable an alert rule": "ExplicitlyDenied",
    "room boundary: rewrite an intended bucket policy": "ExplicitlyDenied",
    "room boundary: lift the query limit": "ExplicitlyDenied",
    "room boundary: replace the remediation code": "ExplicitlyDenied",
    "room boundary: disable the detector": "ExplicitlyDenied",
    "room boundary: unsubscribe the security team": "ExplicitlyDenied",
    "remediation: restart trail logging": "Allowed",
    "remediation: put back a room bucket policy": "Allowed",
    "remediation: re-enable the detector": "Allowed",
    "remediation: re-create flow logs": "Allowed",
    "remediation: pass the flow-log role to flow logs": "Allowed",
    "remediation: stop the trail": "ImplicitlyDenied",
    "remediation: read room data": "ImplicitlyDenied",
    "remediation: policy on a bucket not the room's": "ImplicitlyDenied",
    "remediation: pass the scientist role": "ImplicitlyDenied",
    "remediation with admin attached: create an IAM user": "ImplicitlyDenied",
    "remediation with admin attached: stop the trail": "ImplicitlyDenied",
    "intermediate: write through the glovebox endpoint": "Allowed",
    "intermediate: Athena writes results for the room": "Allowed",
    "intermediate: write from outside the glovebox": "ExplicitlyDenied",
    "intermediate: another service writes for the room": "ExplicitlyDenied",
}


@pytest.fixture(scope="module")
def results(room: dict[str, Any]) -> list[dict[str, Any]]:
    requests = [
        _room_role(
            "room boundary: disable an alert rule",
            "events:DisableRule",
            f"arn:aws:events:{REGION}:{ROOM}:rule/tampering",
            room,
        ),
        _room_role(
            "room boundary: rewrite an intended bucket policy",
            "ssm:PutParameter",
            f"arn:aws:ssm:{REGION}:{ROOM}:parameter/dataroom/x/bucket-policy/y",
            room,
        ),
        _room_role(
            "room boundary: lift the query limit",
            "athena:UpdateWorkGroup",
            f"arn:aws:athena:{REGION}:{ROOM}:workgroup/dataroom-abnormal-process-exec",
            room,
        ),
        _room_role(
            "room boundary: replace the remediation code",
            "lambda:UpdateFunctionCode",
            f"arn:aws:lambda:{REGION}:{ROOM}:function:remediation",
            room,
        ),
        _room_role(
            "room boundary: disable the detector",
            "guardduty:UpdateDetector",
            room["detector"],
            room,
        ),
        _room_role(
            "room boundary: unsubscribe the security team",
            "sns:Unsubscribe",
            f"arn:aws:sns:{REGION}:{ROOM}:alerts",
            room,
        ),
        _remediation("remediation: restart trail logging", "cloudtrail:StartLogging", TRAIL, room),
        _remediation(
            "remediation: put back a room bucket policy",
            "s3:PutBucketPolicy",
            room["results"],
            room,
        ),
        _remediation(
            "remediation: re-enable the detector",
            "guardduty:UpdateDetector",
            room["detector"],
            room,
        ),
        _remediation("remediation: re-create flow logs", "ec2:CreateFlowLogs", room["vpc"], room),
        _remediation(
            "remediation: pass the flow-log role to flow logs",
            "iam:PassRole",
            room["flow_log_role"],
            room,
            **{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
        ),
        _remediation("remediation: stop the trail", "cloudtrail:StopLogging", TRAIL, room),
        _remediation(
            "remediation: read room data", "s3:GetObject", f"{room['intermediate']}/x.csv", room
        ),
        _remediation(
            "remediation: policy on a bucket not the room's",
            "s3:PutBucketPolicy",
            "arn:aws:s3:::prod-telemetry",
            room,
        ),
        _remediation(
            "remediation: pass the scientist role",
            "iam:PassRole",
            room["scientist"],
            room,
            **{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
        ),
        _remediation(
            "remediation with admin attached: create an IAM user",
            "iam:CreateUser",
            f"arn:aws:iam::{ROOM}:user/backdoor",
            room,
            admin=True,
        ),
        _remediation(
            "remediation with admin attached: stop the trail",
            "cloudtrail:StopLogging",
            TRAIL,
            room,
            admin=True,
        ),
        _put_intermediate(
            "intermediate: write through the glovebox endpoint",
            room,
            **{"aws:SourceVpce": room["endpoint"]},
        ),
        _put_intermediate(
            "intermediate: Athena writes results for the room",
            room,
            **{"aws:CalledVia": ["athena.amazonaws.com"]},
        ),
        _put_intermediate("intermediate: write from outside the glovebox", room),
        _put_intermediate(
            "intermediate: another service writes for the room",
            room,
            **{"aws:CalledVia": ["glue.amazonaws.com"]},
        ),
    ]
    return evaluate(requests)


def test_every_request_was_evaluated_cleanly(results) -> None:
    assert_no_errors(results)
    assert_no_missing_operators(results)
    assert_no_ignored_context_keys(results)


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario(scenario: str, results) -> None:
    assert decisions(results)[scenario] == EXPECTED[scenario]
