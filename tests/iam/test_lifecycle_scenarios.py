"""A frozen room can do nothing but be unfrozen, judged by iam-simulate (LCY-1, LCY-2).

Policies come from the example's ``DataRoomStack`` template (room boundary, freeze policy, the
unfreeze policy for operators, the budget action's and the freeze function's permissions and
boundaries). Every deny has its allowed twin:

- a frozen scientist role (an admin policy attached by mistake, under the room boundary) is
  refused ordinary work, which the same role does when not frozen;
- it cannot take the freeze off itself, which an operator holding the unfreeze policy can;
- room roles cannot delete the expiry schedules or the budget action, nor detach the freeze;
- the budget action's role and the freeze function may attach the freeze, and nothing else.
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
NAME = "abnormal-process-exec"
OPERATOR = f"arn:aws:iam::{ROOM}:role/platform-operator"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class _Resolver(Resolver):
    """Also resolves a managed policy's Ref to its ARN (the shared resolver has no need of it)."""

    def ref(self, logical_id: str) -> str:
        if logical_id == "AWS::StackId":
            return f"arn:aws:cloudformation:{self.region}:{self.account}:stack/dataroom/0000"
        resource = self.resources.get(logical_id, {})
        if resource.get("Type") == "AWS::IAM::ManagedPolicy":
            name = resource.get("Properties", {}).get("ManagedPolicyName", logical_id)
            return f"arn:aws:iam::{self.account}:policy/{name}"
        return super().ref(logical_id)


@pytest.fixture(scope="module")
def room(room_stack: DataRoomStack) -> dict[str, Any]:
    template = Template.from_stack(room_stack).to_json()
    resolver = _Resolver(template, account=ROOM, region=REGION)

    def logical(construct: Any) -> str:
        return logical_id(room_stack, construct)

    def document(construct: Any) -> dict[str, Any]:
        return policy_document(room_stack, resolver, construct)

    lifecycle = room_stack.lifecycle
    return {
        "boundary": document(room_stack.boundary.policy),
        "freeze": document(lifecycle.freeze_policy),
        "freeze_arn": resolver.ref(logical(lifecycle.freeze_policy)),
        "unfreeze": document(lifecycle.unfreeze_policy),
        "action": document(lifecycle.budget_action_permissions),
        "action_boundary": document(lifecycle.budget_action_boundary),
        "action_role": resolver.get_att(logical(lifecycle.budget_action_role), "Arn"),
        "function": document(lifecycle.freeze_permissions),
        "function_boundary": document(lifecycle.freeze_boundary),
        "function_role": resolver.get_att(logical(lifecycle.freeze_role), "Arn"),
        "scientist": resolver.get_att(logical(room_stack.scientist_role), "Arn"),
        "scientist_name": resolver.ref(logical(room_stack.scientist_role)),
        "results": resolver.get_att(logical(room_stack.storage.results_bucket), "Arn"),
    }


def _request(
    rid: str,
    principal: str,
    action: str,
    resource: str,
    identity: list[dict[str, Any]],
    boundaries: list[dict[str, Any]] | None = None,
    **extra: str,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "id": rid,
        "principal": principal,
        "action": action,
        "resource": resource,
        "resourceAccount": ROOM,
        "identityPolicies": identity,
        "context": {
            "aws:CurrentTime": NOW,
            "aws:PrincipalArn": principal,
            "aws:PrincipalAccount": ROOM,
            "aws:SecureTransport": "true",
            **extra,
        },
    }
    if boundaries:
        request["permissionBoundaries"] = boundaries
    return request


EXPECTED = {
    "frozen scientist: run a query": "ExplicitlyDenied",
    "scientist not frozen: run a query": "Allowed",
    "frozen scientist: read a result": "ExplicitlyDenied",
    "scientist not frozen: read a result": "Allowed",
    "frozen scientist: detach the freeze from itself": "ExplicitlyDenied",
    "operator with the unfreeze policy: detach the freeze": "Allowed",
    "operator with the unfreeze policy: detach another policy": "ImplicitlyDenied",
    "operator with the unfreeze policy: find the frozen roles": "Allowed",
    "room role: detach the freeze": "ExplicitlyDenied",
    "room role: delete the freeze schedule": "ExplicitlyDenied",
    "room role: change the budget": "ExplicitlyDenied",
    "room role: delete the budget action": "ExplicitlyDenied",
    "room role: rewrite the freeze policy": "ExplicitlyDenied",
    "budget action role: attach the freeze": "Allowed",
    "budget action role: lift the freeze (reverse the action)": "Allowed",
    "budget action role with admin: attach another policy": "ImplicitlyDenied",
    "freeze function: attach the freeze": "Allowed",
    "freeze function with admin: detach the freeze": "ImplicitlyDenied",
    "freeze function: stop a notebook of the room": "Allowed",
    "freeze function: stop another room's notebook": "ImplicitlyDenied",
}


@pytest.fixture(scope="module")
def results(room: dict[str, Any]) -> list[dict[str, Any]]:
    workgroup = f"arn:aws:athena:{REGION}:{ROOM}:workgroup/dataroom-{NAME}"
    result_object = f"{room['results']}/findings/summary.csv"
    scientist, frozen = room["scientist"], [ADMIN, room["freeze"]]
    boundary = [room["boundary"]]
    freeze = {"iam:PolicyARN": room["freeze_arn"]}
    other = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    schedule = f"arn:aws:scheduler:{REGION}:{ROOM}:schedule/dataroom-{NAME}/dataroom-{NAME}-freeze"
    budget = f"arn:aws:budgets::{ROOM}:budget/dataroom-{NAME}"
    notebook = f"arn:aws:sagemaker:{REGION}:{ROOM}:notebook-instance/explore-1"
    action_role = room["action_role"]
    function_role = room["function_role"]
    requests = [
        _request(
            "frozen scientist: run a query",
            scientist,
            "athena:StartQueryExecution",
            workgroup,
            frozen,
            boundary,
        ),
        _request(
            "scientist not frozen: run a query",
            scientist,
            "athena:StartQueryExecution",
            workgroup,
            [ADMIN],
            boundary,
        ),
        _request(
            "frozen scientist: read a result",
            scientist,
            "s3:GetObject",
            result_object,
            frozen,
            boundary,
        ),
        _request(
            "scientist not frozen: read a result",
            scientist,
            "s3:GetObject",
            result_object,
            [ADMIN],
            boundary,
        ),
        _request(
            "frozen scientist: detach the freeze from itself",
            scientist,
            "iam:DetachRolePolicy",
            scientist,
            frozen,
            boundary,
            **freeze,
        ),
        _request(
            "operator with the unfreeze policy: detach the freeze",
            OPERATOR,
            "iam:DetachRolePolicy",
            scientist,
            [room["unfreeze"]],
            **freeze,
        ),
        _request(
            "operator with the unfreeze policy: detach another policy",
            OPERATOR,
            "iam:DetachRolePolicy",
            scientist,
            [room["unfreeze"]],
            **other,
        ),
        _request(
            "operator with the unfreeze policy: find the frozen roles",
            OPERATOR,
            "iam:ListEntitiesForPolicy",
            room["freeze_arn"],
            [room["unfreeze"]],
        ),
        _request(
            "room role: detach the freeze",
            scientist,
            "iam:DetachRolePolicy",
            scientist,
            [ADMIN],
            boundary,
            **freeze,
        ),
        _request(
            "room role: delete the freeze schedule",
            scientist,
            "scheduler:DeleteSchedule",
            schedule,
            [ADMIN],
            boundary,
        ),
        _request(
            "room role: change the budget",
            scientist,
            "budgets:ModifyBudget",
            budget,
            [ADMIN],
            boundary,
        ),
        _request(
            "room role: delete the budget action",
            scientist,
            "budgets:DeleteBudgetAction",
            f"{budget}/action/0d4f6a1e-0000-4000-8000-000000000000",
            [ADMIN],
            boundary,
        ),
        _request(
            "room role: rewrite the freeze policy",
            scientist,
            "iam:CreatePolicyVersion",
            room["freeze_arn"],
            [ADMIN],
            boundary,
        ),
        _request(
            "budget action role: attach the freeze",
            action_role,
            "iam:AttachRolePolicy",
            scientist,
            [room["action"]],
            [room["action_boundary"]],
            **freeze,
        ),
        _request(
            "budget action role: lift the freeze (reverse the action)",
            action_role,
            "iam:DetachRolePolicy",
            scientist,
            [room["action"]],
            [room["action_boundary"]],
            **freeze,
        ),
        _request(
            "budget action role with admin: attach another policy",
            action_role,
            "iam:AttachRolePolicy",
            scientist,
            [room["action"], ADMIN],
            [room["action_boundary"]],
            **other,
        ),
        _request(
            "freeze function: attach the freeze",
            function_role,
            "iam:AttachRolePolicy",
            scientist,
            [room["function"]],
            [room["function_boundary"]],
            **freeze,
        ),
        _request(
            "freeze function with admin: detach the freeze",
            function_role,
            "iam:DetachRolePolicy",
            scientist,
            [room["function"], ADMIN],
            [room["function_boundary"]],
            **freeze,
        ),
        _request(
            "freeze function: stop a notebook of the room",
            function_role,
            "sagemaker:StopNotebookInstance",
            notebook,
            [room["function"]],
            [room["function_boundary"]],
            **{"aws:ResourceTag/dataroom:room": NAME},
        ),
        _request(
            "freeze function: stop another room's notebook",
            function_role,
            "sagemaker:StopNotebookInstance",
            notebook,
            [room["function"]],
            [room["function_boundary"]],
            **{"aws:ResourceTag/dataroom:room": "other-room"},
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
