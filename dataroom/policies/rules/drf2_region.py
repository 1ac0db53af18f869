"""DRF-2: rooms live only in regions production allows."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    allowed = ctx.baseline.allowed_regions
    if not allowed or ctx.region in allowed:
        return True
    return [f"region: room={ctx.region} production allows {','.join(allowed)}"]


RULE = Rule(
    rule_id="DRF2Region",
    control="DRF-2",
    info="The room is deployed to a region production does not allow.",
    explanation="Data residency: production-derived data stays in production's regions.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
