"""PER-1: every service principal a resource policy admits is bound to this account's resources."""

from __future__ import annotations

import json
from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.policy_documents import (
    RESOURCE_POLICY_PROPERTIES,
    condition_keys,
    documents,
    is_negated,
    label,
)
from dataroom.template_policy import as_list, statements

#: The global keys that name the resource or account a service acts for.
SOURCE_KEYS = frozenset(
    {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"}
)
#: Service-specific keys AWS documents as the binding for services that send no aws:Source*
#: key on that call; they count only when their value names this account.
BINDING_KEYS = frozenset(
    {"kms:encryptioncontext:aws:logs:arn", "kms:encryptioncontext:aws:cloudtrail:arn"}
)


def _services(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    return [str(s) for s in as_list(principal.get("Service"))]


def _names_account(value: Any, account: str) -> bool:
    text = json.dumps(value)
    return account in text or "AWS::AccountId" in text


def bound(statement: dict[str, Any], account: str) -> bool:
    """Whether ``statement`` ties its service principal to a source (positively, never IfExists)."""
    for operator, key, value in condition_keys(statement):
        if is_negated(operator) or operator.endswith("IfExists"):
            continue
        if key in SOURCE_KEYS:
            return True
        if key in BINDING_KEYS and _names_account(value, account):
            return True
    return False


def check(ctx: RuleContext) -> Verdict:
    findings = []
    if ctx.resource.get("Type") == "AWS::Lambda::Permission":
        props = ctx.properties
        principal = str(props.get("Principal", ""))
        if principal.endswith(".amazonaws.com") and not (
            props.get("SourceArn") or props.get("SourceAccount")
        ):
            findings.append(f"{principal} may invoke without SourceArn/SourceAccount")
        return findings
    for where, document in documents(ctx.resource):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            services = _services(statement)
            if services and not bound(statement, ctx.account):
                findings.append(
                    f"{where} {label(statement, index)}: {', '.join(services)} without "
                    "aws:SourceAccount/aws:SourceArn"
                )
    return findings


RULE = Rule(
    rule_id="PER1ServicePrincipalSource",
    control="PER-1",
    info="A resource policy admits an AWS service principal without aws:SourceAccount or "
    "aws:SourceArn.",
    explanation="A service principal without a source condition admits that service acting for "
    "any account (confused deputy): another account's rule, alarm or trail could publish to the "
    "topic or use the key. Bind it with aws:SourceAccount/aws:SourceArn (or, for CloudWatch Logs "
    "and CloudTrail keys, an encryption-context ARN of this account).",
    resource_types=frozenset({*RESOURCE_POLICY_PROPERTIES, "AWS::Lambda::Permission"}),
    check=check,
)
