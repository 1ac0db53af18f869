"""MON-4/DRF-2: GuardDuty alerts fire at production's severity or lower."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    pattern = ctx.properties.get("EventPattern", {})
    if "aws.guardduty" not in pattern.get("source", []):
        return None
    wanted = ctx.baseline.max_finding_severity_alerted
    for matcher in pattern.get("detail", {}).get("severity", []):
        numeric = matcher.get("numeric", []) if isinstance(matcher, dict) else []
        if len(numeric) == 2 and numeric[0] in (">=", ">"):
            threshold = float(numeric[1])
            if threshold > wanted:
                return [f"severity threshold: room={threshold:g} production={wanted:g}"]
            return True
    return True  # no severity filter: every finding alerts


RULE = Rule(
    rule_id="MON4AlertSeverity",
    control="MON-4",
    info="GuardDuty findings alert only above the severity production alerts at.",
    explanation="A room must not stay silent about findings production would page on (both "
    "values are named).",
    resource_types=frozenset({"AWS::Events::Rule"}),
    check=check,
    never_suppressible=True,
)
