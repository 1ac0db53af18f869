"""IAM-5: every role of a room carries a permissions boundary."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict

#: aws-cdk-lib's restrict-default-SG provider role: CDK scopes it to the default security group,
#: and the room boundary would stop it from restoring that group when the stack is deleted.
CDK_PROVIDER_ROLE_PREFIX = "CustomVpcRestrictDefaultSGCustomResourceProvider"


def check(ctx: RuleContext) -> Verdict:
    if ctx.logical_id.startswith(CDK_PROVIDER_ROLE_PREFIX):
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
