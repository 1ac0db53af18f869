"""NET-5: the room VPC's flow logs capture ALL traffic."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import refers_to


def check(ctx: RuleContext) -> Verdict:
    for _, flow_log in ctx.resources("AWS::EC2::FlowLog"):
        props = flow_log.get("Properties", {})
        if refers_to(props.get("ResourceId"), ctx.logical_id) and props.get("TrafficType") == "ALL":
            return True
    return False


RULE = Rule(
    rule_id="NET5FlowLogs",
    control="NET-5",
    info="The VPC has no flow log of ALL traffic.",
    explanation="Flow logs are the only record of what left or tried to leave the glovebox.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    rooms_only=True,
)
