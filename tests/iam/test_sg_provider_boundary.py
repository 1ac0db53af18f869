"""CDK's restrict-default-security-group provider role is capped by its own narrow boundary.

Every role of a room has a boundary, without exception (IAM-5): the provider's lets it change the
rules of the VPC's default security group (what it exists for, on create and on delete) and
nothing else, even if an admin policy were attached to it. Each deny has its allowed twin.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from dataroom.stacks import DataRoomStack
from tests.iam.evaluator import assert_no_errors, decisions, evaluate
from tests.iam.resolve import Resolver

ROOM = "222222222222"
REGION = "us-east-1"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
EXPECTED = {
    "revoke ingress on the default group": "Allowed",
    "authorize egress on the default group (delete restores it)": "Allowed",
    "authorize egress on another group": "ImplicitlyDenied",
    "create an internet gateway": "ImplicitlyDenied",
    "stop the trail": "ImplicitlyDenied",
    "create an IAM user": "ImplicitlyDenied",
}


@pytest.fixture(scope="module")
def results(room_stack: DataRoomStack) -> list[dict[str, Any]]:
    template = Template.from_stack(room_stack).to_json()
    resolver = Resolver(template, account=ROOM, region=REGION)
    policy = room_stack.default_sg_boundary.policy.node.default_child
    boundary = resolver.resolve(
        template["Resources"][room_stack.get_logical_id(policy)]["Properties"]["PolicyDocument"]  # type: ignore[arg-type]
    )
    vpc = room_stack.get_logical_id(room_stack.vpc.node.default_child)  # type: ignore[arg-type]
    group = f"arn:aws:ec2:{REGION}:{ROOM}:security-group/{resolver.get_att(vpc, 'DefaultSecurityGroup')}"
    role = f"arn:aws:iam::{ROOM}:role/restrict-default-sg-provider"

    def request(rid: str, action: str, resource: str) -> dict[str, Any]:
        return {
            "id": rid,
            "principal": role,
            "action": action,
            "resource": resource,
            "resourceAccount": ROOM,
            "identityPolicies": [ADMIN],
            "permissionBoundaries": [boundary],
            "context": {"aws:PrincipalArn": role, "aws:PrincipalAccount": ROOM},
        }

    return evaluate(
        [
            request("revoke ingress on the default group", "ec2:RevokeSecurityGroupIngress", group),
            request(
                "authorize egress on the default group (delete restores it)",
                "ec2:AuthorizeSecurityGroupEgress",
                group,
            ),
            request(
                "authorize egress on another group",
                "ec2:AuthorizeSecurityGroupEgress",
                f"arn:aws:ec2:{REGION}:{ROOM}:security-group/sg-0123456789abcdef0",
            ),
            request(
                "create an internet gateway",
                "ec2:CreateInternetGateway",
                f"arn:aws:ec2:{REGION}:{ROOM}:internet-gateway/*",
            ),
            request(
                "stop the trail",
                "cloudtrail:StopLogging",
                f"arn:aws:cloudtrail:{REGION}:{ROOM}:trail/dataroom",
            ),
            request("create an IAM user", "iam:CreateUser", f"arn:aws:iam::{ROOM}:user/backdoor"),
        ]
    )


def test_every_request_was_evaluated_cleanly(results) -> None:
    assert_no_errors(results)


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario(scenario: str, results) -> None:
    assert decisions(results)[scenario] == EXPECTED[scenario]
