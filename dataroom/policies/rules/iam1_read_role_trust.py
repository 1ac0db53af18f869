"""IAM-1: a role another account can assume trusts named principals only, with ExternalId,
SourceIdentity, an expiry and sessions of at most one hour.

The other account is recognised in every form a template can spell it (ARN, bare account id,
``*``, lists under ``{"AWS": ...}``, ``Fn::Join`` / ``Fn::Sub``), in every stack of the app.
"""

from __future__ import annotations

from dataroom.controls.identity import MAX_SESSION_SECONDS
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.iam3_read_role_read_only import foreign_trustees, is_cross_account
from dataroom.template_policy import statements


def check(ctx: RuleContext) -> Verdict:
    if not is_cross_account(ctx):
        return None
    findings = []
    if int(ctx.properties.get("MaxSessionDuration", 3600)) > MAX_SESSION_SECONDS:
        findings.append("sessions longer than one hour")
    for statement in statements(ctx.properties.get("AssumeRolePolicyDocument")):
        trustees = foreign_trustees(ctx, statement)
        if statement.get("Effect") != "Allow" or not trustees:
            continue
        condition = statement.get("Condition", {})
        if "sts:ExternalId" not in condition.get("StringEquals", {}):
            findings.append("trust without sts:ExternalId")
        if condition.get("Null", {}).get("sts:SourceIdentity") != "false":
            findings.append("trust does not require sts:SourceIdentity")
        if "aws:CurrentTime" not in condition.get("DateLessThan", {}):
            findings.append("trust without an aws:CurrentTime expiry")
        for principal in trustees:
            if principal == "*" or principal.endswith(":root") or principal.isdigit():
                findings.append(f"trust admits a whole account or wildcard: {principal}")
    return findings


RULE = Rule(
    rule_id="IAM1ReadRoleTrust",
    control="IAM-1",
    info="A role another account can assume trusts a whole account or anyone, or lacks "
    "ExternalId, SourceIdentity, an expiry or one-hour sessions.",
    explanation="Only the room's own roles may assume a read role into production, each "
    "session naming the person (SourceIdentity) and ending with the room (aws:CurrentTime).",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
)
