"""PER-3: a policy that requires a VPC endpoint names whose endpoint, not merely "some endpoint"."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.policy_documents import (
    IDENTITY_POLICY_TYPES,
    NETWORK_KEYS,
    RESOURCE_POLICY_PROPERTIES,
    condition_keys,
    documents,
    is_negated,
    label,
)
from dataroom.template_policy import statements


def _tests_presence(statement: dict[str, Any]) -> bool:
    return any(
        operator.startswith("Null") and key in NETWORK_KEYS
        for operator, key, _ in condition_keys(statement)
    )


def _pins(statement: dict[str, Any]) -> bool:
    """Whether ``statement`` compares a network key with a value (an account, an id, a VPC)."""
    effect = statement.get("Effect")
    for operator, key, _ in condition_keys(statement):
        if key not in NETWORK_KEYS or operator.startswith("Null"):
            continue
        # An Allow pins with a positive test; a Deny pins by refusing every other value.
        if (effect == "Allow") != is_negated(operator):
            return True
    return False


def check(ctx: RuleContext) -> Verdict:
    findings = []
    for where, document in documents(ctx.resource):
        stmts = statements(document)
        if any(_pins(s) for s in stmts):
            continue
        for index, statement in enumerate(stmts):
            if _tests_presence(statement):
                findings.append(
                    f"{where} {label(statement, index)}: tests only that a VPC endpoint is "
                    "present; any endpoint of any account passes"
                )
    return findings


RULE = Rule(
    rule_id="PER3EndpointPinned",
    control="PER-3",
    info="A policy requires that a request come through a VPC endpoint without saying whose.",
    explanation="A Null test on aws:SourceVpce (or another network key) is met by every VPC "
    "endpoint in every account: a session taken to a personal account's VPC passes. Pin the "
    "endpoint with aws:VpceAccount (the room's account) or aws:SourceVpce/aws:SourceVpc (the "
    "room's endpoint or VPC).",
    resource_types=frozenset(
        {*RESOURCE_POLICY_PROPERTIES, *IDENTITY_POLICY_TYPES, "AWS::IAM::Role"}
    ),
    check=check,
    never_suppressible=True,
)
