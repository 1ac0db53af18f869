"""MON-6: every CloudWatch alarm of a room acts when it fires.

An alarm with ``ActionsEnabled: false`` or without an ``AlarmActions`` entry changes state and
tells no one: the failed-delivery alarms (MON-6) and the tampering alarms (MON-4) go silent.
"""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    findings = []
    enabled = props.get("ActionsEnabled", True)
    if enabled is False or (isinstance(enabled, str) and enabled.lower() == "false"):
        findings.append("ActionsEnabled is false: the alarm notifies no one")
    actions = props.get("AlarmActions")
    if not isinstance(actions, list) or not actions:
        findings.append("no AlarmActions: the alarm notifies no one")
    return findings


RULE = Rule(
    rule_id="MON6AlarmsAct",
    control="MON-6",
    info="A CloudWatch alarm of the room has its actions disabled or no alarm action.",
    explanation="An alarm that changes state without notifying anyone is no alarm: alerts that "
    "could not be delivered, and tampering, would go unnoticed.",
    resource_types=frozenset({"AWS::CloudWatch::Alarm"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
