"""PER-2: a resource policy's aws:CalledVia exemption is for the room's own principals only."""

from __future__ import annotations

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

CALLED_VIA_KEYS = frozenset({"aws:calledvia", "aws:calledviafirst", "aws:calledvialast"})
#: Keys that single out principals (a role ARN, a tag, a session); an account is not enough.
PRINCIPAL_SCOPE_KEYS = frozenset({"aws:principalarn", "aws:userid"})


def _exempted(statement: dict[str, Any]) -> set[str]:
    """The services a Deny statement exempts through a negated aws:CalledVia test."""
    if statement.get("Effect") != "Deny":
        return set()
    return {
        str(v)
        for operator, key, value in condition_keys(statement)
        if key in CALLED_VIA_KEYS and is_negated(operator)
        for v in as_list(value)
    }


def _scopes(statement: dict[str, Any], service: str, actions: set[str]) -> bool:
    """Whether a Deny refuses ``service``'s requests for principals outside a named set."""
    if statement.get("Effect") != "Deny":
        return False
    covered = {str(a) for a in as_list(statement.get("Action"))}
    if not (actions <= covered or "*" in covered):
        return False
    via = principal = False
    for operator, key, value in condition_keys(statement):
        if key in CALLED_VIA_KEYS and not is_negated(operator):
            via = via or service in {str(v) for v in as_list(value)}
        if is_negated(operator) and (
            key in PRINCIPAL_SCOPE_KEYS or key.startswith("aws:principaltag/")
        ):
            principal = True
    return via and principal


def check(ctx: RuleContext) -> Verdict:
    findings = []
    for where, document in documents(ctx.resource):
        stmts = statements(document)
        for index, statement in enumerate(stmts):
            actions = {str(a) for a in as_list(statement.get("Action"))}
            for service in sorted(_exempted(statement)):
                if not any(_scopes(other, service, actions) for other in stmts):
                    findings.append(
                        f"{where} {label(statement, index)}: exempts every request via "
                        f"{service}, whoever makes it"
                    )
    return findings


RULE = Rule(
    rule_id="PER2CalledViaScoped",
    control="PER-2",
    info="A resource policy lifts a deny for any request an AWS service makes (aws:CalledVia), "
    "for any principal.",
    explanation="An aws:CalledVia exemption alone lets every principal of the account (and any "
    "service workflow they start) reach the data past the glovebox's endpoint. Pair it with a "
    "Deny of that service's requests from principals other than the room's roles "
    "(aws:PrincipalArn).",
    resource_types=frozenset(RESOURCE_POLICY_PROPERTIES),
    check=check,
    never_suppressible=True,
)
