"""MON-4: alert rules are enabled, and a topic they publish to has someone subscribed."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, refers_to


def _targeted(ctx: RuleContext) -> bool:
    for _, rule in ctx.resources("AWS::Events::Rule"):
        for target in as_list(rule.get("Properties", {}).get("Targets")):
            if isinstance(target, dict) and refers_to(target.get("Arn"), ctx.logical_id):
                return True
    return False


def check(ctx: RuleContext) -> Verdict:
    if ctx.resource.get("Type") == "AWS::Events::Rule":
        state = ctx.properties.get("State", "ENABLED")
        return True if state == "ENABLED" else [f"rule state {state}"]
    if not _targeted(ctx):
        return None  # not an alert topic
    if ctx.properties.get("Subscription"):
        return True
    for _, subscription in ctx.resources("AWS::SNS::Subscription"):
        if refers_to(subscription.get("Properties", {}).get("TopicArn"), ctx.logical_id):
            return True
    return ["alert topic without any subscription: alerts reach no one"]


RULE = Rule(
    rule_id="MON4AlertsDelivered",
    control="MON-4",
    info="An alert rule is disabled, or an alert topic has no subscriber.",
    explanation="An alert that is never evaluated, or published to nobody, is no alert.",
    resource_types=frozenset({"AWS::Events::Rule", "AWS::SNS::Topic"}),
    check=check,
    never_suppressible=True,
    guarded_only=True,
)
