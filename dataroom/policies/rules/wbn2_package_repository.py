"""WBN-2: the package mirror admits only the room's roles, through the room's endpoints only."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, statements

_UPSTREAM_BLOCKING_PATTERNS = ("/*", "/pypi/*")


def _keys(statement: dict[str, Any]) -> set[str]:
    condition = statement.get("Condition") or {}
    return {key.lower() for block in condition.values() if isinstance(block, dict) for key in block}


def _open_to_anyone(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS"))
    return False


def _upstream_blocked(ctx: RuleContext) -> bool:
    for _, group in ctx.resources("AWS::CodeArtifact::PackageGroup"):
        props = group.get("Properties", {})
        restrictions = (props.get("OriginConfiguration") or {}).get("Restrictions") or {}
        mode = (restrictions.get("ExternalUpstream") or {}).get("RestrictionMode")
        if props.get("Pattern") in _UPSTREAM_BLOCKING_PATTERNS and mode == "BLOCK":
            return True
    return False


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    document = props.get("PermissionsPolicyDocument")
    findings = []
    if not statements(document):
        findings.append("no resource policy: every principal of the account may use it")
    denies = [s for s in statements(document) if s.get("Effect") == "Deny"]
    if not any("aws:principalarn" in _keys(s) for s in denies):
        findings.append("no Deny for principals other than the room's roles (aws:PrincipalArn)")
    if not any("aws:sourcevpce" in _keys(s) for s in denies):
        findings.append("no Deny for requests outside the room's endpoints (aws:SourceVpce)")
    for index, statement in enumerate(statements(document)):
        if (
            statement.get("Effect") == "Allow"
            and _open_to_anyone(statement)
            and not _keys(statement)
        ):
            findings.append(f"statement {index} allows any principal without a condition")
    repository = ctx.resource.get("Type") == "AWS::CodeArtifact::Repository"
    if repository and props.get("ExternalConnections") and not _upstream_blocked(ctx):
        findings.append(
            "an external connection without a package group blocking the upstream: every "
            "public package is installable, not only the allow-list"
        )
    return findings


RULE = Rule(
    rule_id="WBN2PackageRepository",
    control="WBN-2",
    info="The room's package domain or repository is reachable by principals other than the "
    "room's roles or from outside the room's endpoints, or its upstream is not blocked by default.",
    explanation="The mirror is the one place code enters the glovebox: a repository others can "
    "read or write, or an upstream open to every public package, is a supply-chain and "
    "exfiltration path around the allow-list.",
    resource_types=frozenset({"AWS::CodeArtifact::Repository", "AWS::CodeArtifact::Domain"}),
    check=check,
    never_suppressible=True,
)
