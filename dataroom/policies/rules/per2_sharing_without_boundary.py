"""PER-2: a room role allowed a sharing or export call has a boundary that denies it."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from dataroom.policies.data_perimeter import WAYS_OUT
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.policy_documents import documents
from dataroom.template_policy import as_list, refers_to, statements

#: action (lower-case) -> the boundary statement meant to deny it.
SHARING: dict[str, str] = {a.lower(): way.sid for way in WAYS_OUT for a in way.actions}


def _matches(pattern: str, action: str) -> bool:
    """Whether two action patterns (either may hold wildcards) can name the same action."""
    pattern = pattern.lower()
    return fnmatchcase(action, pattern) or fnmatchcase(pattern, action)


def _role_statements(ctx: RuleContext) -> list[dict[str, Any]]:
    found = [s for _, doc in documents(ctx.resource) for s in statements(doc)]
    attached = as_list(ctx.properties.get("ManagedPolicyArns"))
    for logical_id, resource in ctx.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        roles = as_list(resource.get("Properties", {}).get("Roles"))
        if any(refers_to(r, ctx.logical_id) for r in roles) or any(
            refers_to(a, logical_id) for a in attached
        ):
            found.extend(s for _, doc in documents(resource) for s in statements(doc))
    return found


def _guardrail(resource: dict[str, Any], role_id: str) -> bool:
    """A deny-only managed policy attached to ``role_id`` from its side (its ``Roles``)."""
    props = resource.get("Properties", {})
    if not any(refers_to(r, role_id) for r in as_list(props.get("Roles"))):
        return False
    return all(s.get("Effect") == "Deny" for _, doc in documents(resource) for s in statements(doc))


def _boundary_denies(ctx: RuleContext) -> list[str]:
    """The action patterns the role's boundary, or a deny-only policy attached to it, denies
    unconditionally on every resource (an explicit deny holds from either)."""
    boundary = ctx.properties.get("PermissionsBoundary")
    denied: list[str] = []
    for logical_id, resource in ctx.resources("AWS::IAM::ManagedPolicy"):
        if not (
            (boundary is not None and refers_to(boundary, logical_id))
            or _guardrail(resource, ctx.logical_id)
        ):
            continue
        for _, doc in documents(resource):
            for statement in statements(doc):
                if (
                    statement.get("Effect") == "Deny"
                    and as_list(statement.get("Resource")) == ["*"]
                    and not statement.get("Condition")
                ):
                    denied.extend(str(a).lower() for a in as_list(statement.get("Action")))
    return denied


def check(ctx: RuleContext) -> Verdict:
    allowed = [
        str(a).lower()
        for s in _role_statements(ctx)
        if s.get("Effect") == "Allow"
        for a in as_list(s.get("Action"))
    ]
    if not allowed:
        return None
    denied = _boundary_denies(ctx)
    findings = []
    for action, sid in SHARING.items():
        if not any(_matches(pattern, action) for pattern in allowed):
            continue
        if not any(_matches(pattern, action) for pattern in denied):
            findings.append(f"allows {action} and its boundary does not deny it ({sid})")
    return findings


RULE = Rule(
    rule_id="PER2SharingWithoutBoundary",
    control="PER-2",
    info="A room role may share, export or subscribe data out of the account, and its "
    "permission boundary does not deny it.",
    explanation="Snapshot and AMI sharing, log subscriptions and exports, resource shares and "
    "cross-account targets move data out without any network path, so the glovebox's network "
    "controls never see them. The room boundary denies each (dataroom/policies/"
    "data_perimeter.py); a role granted one of them must carry that boundary.",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
