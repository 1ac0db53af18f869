"""MON-4: no GuardDuty filter archives findings in a room's account.

A filter with ``Action: ARCHIVE`` (a suppression rule) archives matching findings as they arrive:
they never reach EventBridge as ``GuardDuty Finding`` events, so the room's alerts stay silent.
A filter that only saves a view (``Action: NOOP``, GuardDuty's default) is allowed.
"""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    action = ctx.properties.get("Action", "NOOP")
    if isinstance(action, str) and action.upper() == "NOOP":
        return True
    name = ctx.properties.get("Name", ctx.logical_id)
    return [f"filter {name!r} has Action {action!r}: matching findings are archived, never alerted"]


RULE = Rule(
    rule_id="MON4NoSuppressionFilter",
    control="MON-4",
    info="A GuardDuty filter in a room's account archives findings (a suppression rule).",
    explanation="Archived findings never reach the room's alerts; a room must not hide findings "
    "production would page on. Use a NOOP filter to save a view.",
    resource_types=frozenset({"AWS::GuardDuty::Filter"}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
