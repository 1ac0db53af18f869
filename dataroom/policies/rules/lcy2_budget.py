"""LCY-2: the room has a monthly cost budget with notifications and a freeze action."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict

#: (notification type, threshold percent) every room budget notifies at.
REQUIRED_NOTIFICATIONS = frozenset({("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 90.0)})


def _notifications(props: dict[str, Any]) -> set[tuple[str, float]]:
    found = set()
    for entry in props.get("NotificationsWithSubscribers", []):
        notification = entry.get("Notification", {})
        if notification.get("ThresholdType", "PERCENTAGE") != "PERCENTAGE":
            continue
        if not entry.get("Subscribers"):
            continue
        found.add((str(notification.get("NotificationType")), float(notification["Threshold"])))
    return found


def _budget_problems(lid: str, props: dict[str, Any]) -> list[str]:
    data = props.get("Budget", {})
    problems = []
    if data.get("BudgetType") != "COST" or data.get("TimeUnit") != "MONTHLY":
        problems.append(f"{lid}: not a monthly cost budget")
    if not data.get("BudgetLimit", {}).get("Amount"):
        problems.append(f"{lid}: no limit")
    if not data.get("CostFilters") and not data.get("FilterExpression"):
        problems.append(f"{lid}: not filtered to the room (account or dataroom:room tag)")
    missing = REQUIRED_NOTIFICATIONS - _notifications(props)
    for kind, percent in sorted(missing):
        problems.append(f"{lid}: no {kind.lower()} notification at {percent:g} %")
    return problems


def _action_freezes(props: dict[str, Any], budget_names: set[str]) -> bool:
    threshold = props.get("ActionThreshold", {})
    definition = props.get("Definition", {}).get("IamActionDefinition", {})
    return (
        props.get("ActionType") == "APPLY_IAM_POLICY"
        and props.get("ApprovalModel") == "AUTOMATIC"
        and props.get("NotificationType") == "ACTUAL"
        and threshold.get("Type") == "PERCENTAGE"
        and float(threshold.get("Value", 101)) <= 100
        and bool(definition.get("Roles"))
        and str(props.get("BudgetName")) in budget_names
    )


def check(ctx: RuleContext) -> Verdict:
    budgets = list(ctx.resources("AWS::Budgets::Budget"))
    if not budgets:
        return ["no AWS::Budgets::Budget in the room"]
    problems = [p for lid, b in budgets for p in _budget_problems(lid, b.get("Properties", {}))]
    names = {str(b.get("Properties", {}).get("Budget", {}).get("BudgetName")) for _, b in budgets}
    actions = [a.get("Properties", {}) for _, a in ctx.resources("AWS::Budgets::BudgetsAction")]
    if not any(_action_freezes(a, names) for a in actions):
        problems.append(
            "no automatic APPLY_IAM_POLICY budget action on the room's budget at <= 100 % actual"
        )
    return problems


RULE = Rule(
    rule_id="LCY2Budget",
    control="LCY-2",
    info="The room has no monthly cost budget notifying at 80/100 % actual and 90 % forecast "
    "with an automatic freeze action.",
    explanation="A room's spend must be watched and capped: notifications warn the owner and "
    "approvers, and the budget action freezes the room's roles when the budget is spent.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    rooms_only=True,
)
