"""IAM-5: every role of a room carries a permissions boundary."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import CDK_SG_PROVIDER_LOGICAL_PREFIX


def check(ctx: RuleContext) -> Verdict:
    if ctx.logical_id.startswith(CDK_SG_PROVIDER_LOGICAL_PREFIX):
        return None
    return bool(ctx.properties.get("PermissionsBoundary"))


RULE = Rule(
    rule_id="IAMBoundary",
    control="IAM-5",
    info="A role of the room has no permissions boundary.",
    explanation="The boundary is what stops a room role, whatever it is later granted, from "
    "changing IAM, opening an egress path or blinding the trail, detector and alarms.",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
