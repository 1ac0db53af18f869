"""IAM-2..4: a role other accounts can assume reads only, until expiry (its trust: IAM-1)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from dataroom.controls.identity import READ_ACTIONS
from dataroom.controls.judge import foreign_principals
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, refers_to, statements

#: The only actions a cross-account role in a dataroom template may be left with.
READS = frozenset(READ_ACTIONS)


def foreign_trustees(ctx: RuleContext, statement: dict[str, Any]) -> list[str]:
    """The other-account principals a statement lets assume the role (any spelling of them)."""
    if not any(
        fnmatchcase("sts:assumerole", str(a).lower()) for a in as_list(statement.get("Action"))
    ):
        return []
    return foreign_principals(statement.get("Principal"), ctx.account)


def is_cross_account(ctx: RuleContext) -> bool:
    trust = ctx.properties.get("AssumeRolePolicyDocument")
    return any(
        foreign_trustees(ctx, s) for s in statements(trust) if s.get("Effect", "Allow") == "Allow"
    )


def _identity_statements(ctx: RuleContext) -> list[dict[str, Any]]:
    found = [
        s for p in ctx.properties.get("Policies", []) for s in statements(p.get("PolicyDocument"))
    ]
    for _, policy in ctx.resources("AWS::IAM::Policy"):
        props = policy.get("Properties", {})
        if any(refers_to(r, ctx.logical_id) for r in as_list(props.get("Roles"))):
            found.extend(statements(props.get("PolicyDocument")))
    return found


def check(ctx: RuleContext) -> Verdict:
    if not is_cross_account(ctx):
        return None
    findings = []
    if ctx.properties.get("ManagedPolicyArns"):
        findings.append("managed policies attached (grants must be inline and reviewed here)")
    identity = _identity_statements(ctx)
    denies_writes = any(
        s.get("Effect") == "Deny"
        and set(as_list(s.get("NotAction"))) <= READS
        and as_list(s.get("Resource")) == ["*"]
        and not s.get("Condition")
        for s in identity
    )
    if not denies_writes:
        findings.append("no unconditional Deny of every action but the reads")
    for statement in identity:
        if statement.get("Effect") != "Allow":
            continue
        extra = sorted(set(as_list(statement.get("Action"))) - READS)
        if extra:
            findings.append(f"allows {', '.join(str(a) for a in extra)}")
        condition = statement.get("Condition", {})
        if "aws:CurrentTime" not in condition.get("DateLessThan", {}):
            findings.append(f"an allow without expiry: {sorted(as_list(statement.get('Action')))}")
        s3_reads = any(str(a).startswith("s3:") for a in as_list(statement.get("Action")))
        via_endpoint = condition.get("Null", {}).get("aws:SourceVpce") == "false" or bool(
            {"aws:SourceVpce", "aws:VpceAccount"} & set(condition.get("StringEquals", {}))
        )
        if s3_reads and not via_endpoint:
            findings.append("an S3 read usable outside any VPC endpoint (no aws:SourceVpce)")
    return findings


RULE = Rule(
    rule_id="IAM3ReadRoleReadOnly",
    control="IAM-3",
    info="A role that another account can assume is not read-only and time-boxed.",
    explanation="Cross-account roles into production allow get/list/decrypt only, through the "
    "room's endpoint, deny every other action explicitly and stop at the room's expiry through "
    "aws:CurrentTime (IAM-2..4).",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
)
