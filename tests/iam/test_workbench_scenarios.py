"""The workbench's guardrails (WBN-1, WBN-4) evaluated by iam-simulate, each deny with its twin.

The boundary, the workbench role's guardrail policy and its access policy are taken from the
example room's synthesized template (resolved to stand-in names, tests/iam/resolve.py). ``ADMIN``
stands for whatever a room role may later be granted: the guardrails must hold anyway.
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
USER = "scientist@example.com"
SCIENTIST = f"arn:aws:iam::{ROOM}:role/dataroom-abnormal-process-exec-scientist"
OTHER_ROOM_ROLE = f"arn:aws:iam::{ROOM}:role/some-other-room-role"
NOTEBOOK = f"arn:aws:sagemaker:{REGION}:{ROOM}:notebook-instance/abnormal-process-exec-scientist"
NEW_NOTEBOOK = f"arn:aws:sagemaker:{REGION}:{ROOM}:notebook-instance/by-hand"
OFFICE_IP = "203.0.113.7"
DOMAIN = f"arn:aws:sagemaker:{REGION}:{ROOM}:domain/d-0123456789ab"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def room(room_stack: DataRoomStack) -> dict[str, Any]:
    json_template = Template.from_stack(room_stack).to_json()
    resolver = Resolver(json_template, account=ROOM, region=REGION)
    workbench = room_stack.workbench
    assert workbench is not None

    def logical(construct: Any) -> str:
        return logical_id(room_stack, construct)

    def document(construct: Any) -> dict[str, Any]:
        return policy_document(room_stack, resolver, construct)

    return {
        "boundary": document(room_stack.boundary.policy),
        "guardrails": document(workbench.guardrails),
        "access": document(workbench.access_policy),
        "key": resolver.get_att(logical(room_stack.room_key.key), "Arn"),
        "subnets": [resolver.ref(logical(s)) for s in room_stack.vpc.isolated_subnets],
        "api_endpoint": resolver.ref(logical(workbench.api_endpoint)),
        "lifecycle": resolver.resolve(room_stack.resolve(workbench.lifecycle_config_arn)),
    }


def _create(rid: str, room: dict[str, Any], *, principal: str = SCIENTIST, **overrides: Any):
    """CreateNotebookInstance as the room's own template makes it, with ``overrides``."""
    context: dict[str, Any] = {
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": ROOM,
        "sagemaker:DirectInternetAccess": "Disabled",
        "sagemaker:RootAccess": "Disabled",
        "sagemaker:VolumeKmsKeyArn": room["key"],
        "sagemaker:VpcSubnets": [room["subnets"][0]],
        "sagemaker:InstanceTypes": ["ml.t3.medium"],
        "sagemaker:MinimumInstanceMetadataServiceVersion": "2",
        "sagemaker:NotebookInstanceLifecycleConfigArns": [room["lifecycle"]],
    }
    for key, value in overrides.items():
        name = f"sagemaker:{key}"
        if value is None:
            context.pop(name)
        else:
            context[name] = value
    return _request(rid, "sagemaker:CreateNotebookInstance", NEW_NOTEBOOK, room, context, principal)


def _request(
    rid: str,
    action: str,
    resource: str,
    room: dict[str, Any],
    context: dict[str, Any],
    principal: str = SCIENTIST,
    *,
    admin: bool = True,
) -> dict[str, Any]:
    identity = [room["guardrails"], room["access"]] if principal == SCIENTIST else []
    return {
        "id": rid,
        "principal": principal,
        "action": action,
        "resource": resource,
        "resourceAccount": ROOM,
        "identityPolicies": [*([ADMIN] if admin else []), *identity],
        "permissionBoundaries": [room["boundary"]],
        "context": {"aws:PrincipalArn": principal, "aws:PrincipalAccount": ROOM, **context},
    }


def _url(rid: str, room: dict[str, Any], **context: str) -> dict[str, Any]:
    # No ADMIN: opening a notebook rests on the workbench's own grant to its user.
    return _request(
        rid,
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        NOTEBOOK,
        room,
        {"aws:SourceIdentity": USER, **context},
        admin=False,
    )


def _scenarios(room: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    denied, allowed, implicit = "ExplicitlyDenied", "Allowed", "ImplicitlyDenied"
    other_key = f"arn:aws:kms:{REGION}:{ROOM}:key/someone-elses"
    other_lifecycle = f"arn:aws:sagemaker:{REGION}:{ROOM}:notebook-instance-lifecycle-config/mine"
    update = "sagemaker:UpdateNotebookInstance"
    return {
        # WBN-1: the compliant notebook is allowed; each open setting is refused
        "create compliant": (_create("c-ok", room), allowed),
        "create in the other room subnet": (
            _create("c-subnet2", room, VpcSubnets=[room["subnets"][1]]),
            allowed,
        ),
        "create with internet": (_create("c-net", room, DirectInternetAccess="Enabled"), denied),
        "create with internet by default": (
            _create("c-net-default", room, DirectInternetAccess=None),
            denied,
        ),
        "create with root": (_create("c-root", room, RootAccess="Enabled"), denied),
        "create with root by default": (_create("c-root-default", room, RootAccess=None), denied),
        "create with another key": (_create("c-key", room, VolumeKmsKeyArn=other_key), denied),
        "create unencrypted": (_create("c-nokey", room, VolumeKmsKeyArn=None), denied),
        "create in a foreign subnet": (
            _create("c-foreign", room, VpcSubnets=[room["subnets"][0], "subnet-foreign"]),
            denied,
        ),
        "create outside any VPC": (_create("c-novpc", room, VpcSubnets=None), denied),
        "create an allow-listed bigger type": (
            _create("c-m5", room, InstanceTypes=["ml.m5.xlarge"]),
            allowed,
        ),
        "create a type off the list": (
            _create("c-p3", room, InstanceTypes=["ml.p3.2xlarge"]),
            denied,
        ),
        "create with IMDSv1": (
            _create("c-imds", room, MinimumInstanceMetadataServiceVersion="1"),
            denied,
        ),
        "create with another lifecycle": (
            _create("c-lc", room, NotebookInstanceLifecycleConfigArns=[other_lifecycle]),
            denied,
        ),
        "create without lifecycle": (
            _create("c-nolc", room, NotebookInstanceLifecycleConfigArns=None),
            denied,
        ),
        "another room role creates a compliant notebook": (
            _create("c-other-role", room, principal=OTHER_ROOM_ROLE),
            denied,
        ),
        "update to root": (
            _request("u-root", update, NOTEBOOK, room, {"sagemaker:RootAccess": "Enabled"}),
            denied,
        ),
        "update to an allow-listed type": (
            _request(
                "u-type", update, NOTEBOOK, room, {"sagemaker:InstanceTypes": ["ml.m5.xlarge"]}
            ),
            allowed,
        ),
        "update to a type off the list": (
            _request(
                "u-p3", update, NOTEBOOK, room, {"sagemaker:InstanceTypes": ["ml.p3.2xlarge"]}
            ),
            denied,
        ),
        "Studio domain": (_request("studio", "sagemaker:CreateDomain", DOMAIN, room, {}), denied),
        "list Studio domains": (
            _request("studio-list", "sagemaker:ListDomains", "*", room, {}),
            allowed,
        ),
        "own lifecycle script": (
            _request(
                "lc-create",
                "sagemaker:CreateNotebookInstanceLifecycleConfig",
                other_lifecycle,
                room,
                {},
            ),
            denied,
        ),
        "read the room's lifecycle script": (
            _request(
                "lc-read",
                "sagemaker:DescribeNotebookInstanceLifecycleConfig",
                room["lifecycle"],
                room,
                {},
            ),
            allowed,
        ),
        # WBN-4: a URL only for its user, only through the room's path
        "URL from the office": (_url("url-office", room, **{"aws:SourceIp": OFFICE_IP}), allowed),
        "URL from elsewhere": (_url("url-else", room, **{"aws:SourceIp": "198.51.100.7"}), denied),
        "URL through the room's API endpoint": (
            _url("url-vpce", room, **{"aws:SourceVpce": room["api_endpoint"]}),
            allowed,
        ),
        "URL through another endpoint": (
            _url("url-other-vpce", room, **{"aws:SourceVpce": "vpce-0someoneelse"}),
            denied,
        ),
        "URL for another user's notebook": (
            _url("url-user", room, **{"aws:SourceIp": OFFICE_IP, "aws:SourceIdentity": "x@y.com"}),
            implicit,
        ),
        "URL from elsewhere even with admin rights": (
            _request(
                "url-admin",
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                NOTEBOOK,
                room,
                {"aws:SourceIp": "198.51.100.7"},
                OTHER_ROOM_ROLE,
            ),
            denied,
        ),
        "URL from the office with admin rights": (
            _request(
                "url-admin-office",
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                NOTEBOOK,
                room,
                {"aws:SourceIp": OFFICE_IP},
                OTHER_ROOM_ROLE,
            ),
            allowed,
        ),
    }


@pytest.fixture(scope="module")
def results(room: dict[str, Any]) -> dict[str, str]:
    scenarios = _scenarios(room)
    outcome = evaluate([request for request, _ in scenarios.values()])
    assert_no_errors(outcome)
    assert_no_missing_operators(outcome)
    assert_no_ignored_context_keys(outcome)
    by_id = decisions(outcome)
    return {name: by_id[request["id"]] for name, (request, _) in scenarios.items()}


def test_every_scenario_gets_its_expected_decision(room: dict[str, Any], results) -> None:
    expected = {name: want for name, (_, want) in _scenarios(room).items()}
    assert results == expected


def test_every_deny_has_an_allowed_twin(room: dict[str, Any]) -> None:
    """Each refused action is also asked for the compliant way, and that is allowed."""
    scenarios = _scenarios(room).values()
    denied = {r["action"] for r, want in scenarios if want != "Allowed"}
    allowed = {r["action"] for r, want in scenarios if want == "Allowed"}
    studio = {"sagemaker:CreateDomain", "sagemaker:CreateNotebookInstanceLifecycleConfig"}
    assert denied - studio <= allowed
