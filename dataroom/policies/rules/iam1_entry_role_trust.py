"""IAM-1: a room role people enter trusts exact roles, names the person, for an hour at most.

Every role of a room stack whose trust policy admits an AWS principal (not only service
principals) must name each trusted principal as an exact role ARN (no account root, no bare
account id, no ``*``), require ``sts:SourceIdentity`` on every Allow of ``sts:AssumeRole`` and
keep ``MaxSessionDuration`` at one hour at most. A role of the same template (``Fn::GetAtt`` of
an ``AWS::IAM::Role``, e.g. the airlock pipeline's) is exact and, being no person, need not
carry a source identity. :mod:`iam1_read_role_trust` judges trust from another account.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from dataroom.controls.identity import MAX_SESSION_SECONDS
from dataroom.controls.judge import principal_text
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, statements

#: An exact role ARN once intrinsic functions are rendered (``<ref>``: a reference).
_ROLE_ARN = re.compile(r"^arn:[^:*?]+:iam::(\d{12}|\$\{AWS::AccountId\}|<ref>):role/[^*?]+$")
#: Operators that hold only when the request carries ``sts:SourceIdentity``.
_REQUIRING = ("StringEquals", "StringLike", "StringEqualsIgnoreCase")


def _template_role(ctx: RuleContext, value: Any) -> bool:
    """Whether ``value`` is the ARN of a role of this template (``Fn::GetAtt`` of it)."""
    get_att = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    if isinstance(get_att, str):
        get_att = get_att.split(".", 1)
    if not isinstance(get_att, list) or len(get_att) != 2 or get_att[1] != "Arn":
        return False
    target = ctx.template.get("Resources", {}).get(str(get_att[0]), {})
    return bool(target.get("Type") == "AWS::IAM::Role")


def _requires_source_identity(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    null = condition.get("Null", {})
    if isinstance(null, dict) and str(null.get("sts:SourceIdentity")).lower() == "false":
        return True
    return any(
        isinstance(condition.get(op), dict) and "sts:SourceIdentity" in condition[op]
        for op in _REQUIRING
    )


def _assumes(statement: dict[str, Any]) -> bool:
    if "NotAction" in statement:
        return True
    return any(
        fnmatchcase("sts:assumerole", str(a).lower()) for a in as_list(statement.get("Action"))
    )


def _statement_findings(ctx: RuleContext, statement: dict[str, Any]) -> list[str] | None:
    """What is wrong with one Allow statement (None: it admits no AWS principal)."""
    if "NotPrincipal" in statement:
        return ["trust with NotPrincipal admits every principal but some"]
    principal = statement.get("Principal")
    values = ["*"] if principal == "*" else []
    if isinstance(principal, dict):
        values = as_list(principal.get("AWS"))
    if not values:
        return None  # service or federated principals only
    findings = []
    outside = [v for v in values if not _template_role(ctx, v)]
    for value in outside:
        text = principal_text(value)
        if not _ROLE_ARN.match(text):
            findings.append(f"trust admits {text}: expected an exact role ARN")
    if (
        outside
        and _assumes(statement)
        and not _requires_source_identity(statement.get("Condition"))
    ):
        findings.append(
            "sts:AssumeRole without a condition requiring sts:SourceIdentity "
            '(e.g. Null {"sts:SourceIdentity": "false"})'
        )
    return findings


def _session_findings(session: Any) -> list[str]:
    if not (isinstance(session, int | str) and str(session).isdigit()):
        return [f"MaxSessionDuration {session!r} is not a literal number of seconds"]
    if int(session) > MAX_SESSION_SECONDS:
        return [f"MaxSessionDuration {session} s: expected at most {MAX_SESSION_SECONDS}"]
    return []


def check(ctx: RuleContext) -> Verdict:
    judged = [
        _statement_findings(ctx, s)
        for s in statements(ctx.properties.get("AssumeRolePolicyDocument"))
        if s.get("Effect", "Allow") == "Allow"
    ]
    if all(j is None for j in judged):
        return None
    findings = [f for j in judged if j for f in j]
    return findings + _session_findings(ctx.properties.get("MaxSessionDuration", 3600))


RULE = Rule(
    rule_id="IAM1EntryRoleTrust",
    control="IAM-1",
    info="A room role people can assume trusts more than exact roles, does not require "
    "SourceIdentity, or allows sessions longer than one hour.",
    explanation="The room's entry roles are assumed by named roles only, each session naming "
    "the person who asked (SourceIdentity) and lasting at most an hour.",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
