"""NET-4: the room VPC's default security group is stripped of its rules.

A VPC's default security group admits all traffic between its members and all egress; anything
launched without a group of its own (a notebook, a function, an interface endpoint) gets it.
aws-cdk-lib's ``Custom::VpcRestrictDefaultSG`` removes its rules at deploy time. Judged on the
VPC: a restricting resource of the room's template must name that VPC's default group. Local
mode only (moto cannot run the custom resource's function) waives it.
"""

from __future__ import annotations

from dataroom.controls.network import RESTRICT_DEFAULT_SG_TYPE
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import refers_to


def check(ctx: RuleContext) -> Verdict:
    for _, restrict in ctx.resources(RESTRICT_DEFAULT_SG_TYPE):
        group = restrict.get("Properties", {}).get("DefaultSecurityGroupId")
        if refers_to(group, ctx.logical_id):
            return True
    return [f"no {RESTRICT_DEFAULT_SG_TYPE} strips the default security group of the VPC"]


RULE = Rule(
    rule_id="NET4DefaultSecurityGroup",
    control="NET-4",
    info="The room VPC's default security group keeps its allow rules.",
    explanation="Whatever is launched in the glovebox without a group of its own gets the "
    "default group, which lets members talk to each other and send anything out; stripping its "
    "rules leaves only the room's own groups.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
    waived_locally=True,
)
