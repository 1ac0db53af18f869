"""MON-5/DRF-2: the room runs every AWS Config rule production runs."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    present = {
        rule.get("Properties", {}).get("Source", {}).get("SourceIdentifier")
        for _, rule in ctx.resources("AWS::Config::ConfigRule")
    }
    return [f"Config rule {name}: room=missing production=present"
            for name in ctx.baseline.config_rules if name not in present]  # fmt: skip


RULE = Rule(
    rule_id="MON5ConfigRules",
    control="MON-5",
    info="A Config rule production runs is missing from the room.",
    explanation="Config rules watch the room account between deployments; the room runs at "
    "least production's set (each missing rule is named).",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
