"""DRF-2: log groups keep logs at least as long as production."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    days = ctx.properties.get("RetentionInDays")
    if days is None:
        return True  # never expires: stronger than any baseline
    wanted = ctx.baseline.log_retention_days
    if int(days) < wanted:
        return [f"log retention: room={days}d production={wanted}d"]
    return True


RULE = Rule(
    rule_id="DRF2LogRetention",
    control="DRF-2",
    info="A log group keeps logs for less time than production.",
    explanation="Shorter retention in a room would erase evidence production keeps (both "
    "values are named).",
    resource_types=frozenset({"AWS::Logs::LogGroup"}),
    check=check,
    never_suppressible=True,
)
