"""LCY-1 and LCY-2 DataRoomChecks rules, judged on small template fragments."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from dataroom.baseline import Baseline
from dataroom.policies.rules import lcy1_expiry_schedules, lcy2_budget
from dataroom.policies.rules.base import RuleContext
from dataroom.policies.rules.catalog import RULES

# Always within the baseline's max_room_days (180) of the day the tests run.
LAST_DAY = dt.date.today() + dt.timedelta(days=90)
EXPIRES = LAST_DAY.isoformat()


def at(day: dt.date) -> str:
    return f"at({day.isoformat()}T00:00:00)"


FREEZE = at(LAST_DAY + dt.timedelta(days=1))  # the first midnight after the last day

VPC = {
    "Type": "AWS::EC2::VPC",
    "Properties": {"Tags": [{"Key": "dataroom:expires", "Value": EXPIRES}]},
}


def freeze_schedule(expression: str, state: str = "ENABLED") -> dict[str, Any]:
    return {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": "Etc/UTC",
            "State": state,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": {"Fn::GetAtt": ["Freeze", "Arn"]}, "RoleArn": "x"},
        },
    }


def budget() -> dict[str, Any]:
    return {
        "Type": "AWS::Budgets::Budget",
        "Properties": {
            "Budget": {
                "BudgetName": "dataroom-room",
                "BudgetType": "COST",
                "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": 200, "Unit": "USD"},
                "CostFilters": {"LinkedAccount": ["222222222222"]},
            },
            "NotificationsWithSubscribers": [
                {
                    "Notification": {
                        "NotificationType": kind,
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": percent,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": [{"SubscriptionType": "SNS", "Address": {"Ref": "Topic"}}],
                }
                for kind, percent in (("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 90))
            ],
        },
    }


def action() -> dict[str, Any]:
    return {
        "Type": "AWS::Budgets::BudgetsAction",
        "Properties": {
            "BudgetName": "dataroom-room",
            "ActionType": "APPLY_IAM_POLICY",
            "ApprovalModel": "AUTOMATIC",
            "NotificationType": "ACTUAL",
            "ActionThreshold": {"Type": "PERCENTAGE", "Value": 100},
            "Definition": {"IamActionDefinition": {"PolicyArn": {"Ref": "F"}, "Roles": ["r"]}},
        },
    }


def room(**resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "Metadata": {"dataroom": {"kind": "room"}},
        "Resources": {
            "Vpc": VPC,
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Freeze": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "ROOM_ROLES": {"Fn::Join": ["", ['["', {"Ref": "Role"}, '"]']]}
                        }
                    }
                },
            },
            **resources,
        },
    }


def judge(rule: Any, template: dict[str, Any]) -> Any:
    return rule.check(
        RuleContext(
            logical_id="Vpc",
            resource=template["Resources"]["Vpc"],
            template=template,
            baseline=Baseline(),
            account="222222222222",
            region="us-east-1",
        )
    )


def test_rules_are_registered() -> None:
    assert lcy1_expiry_schedules.RULE in RULES and lcy2_budget.RULE in RULES


def test_lcy1_compliant_with_a_freeze_at_expiry() -> None:
    assert judge(lcy1_expiry_schedules.RULE, room(Sched=freeze_schedule(FREEZE))) is True


def test_lcy1_fails_without_a_freeze_schedule() -> None:
    verdict = judge(lcy1_expiry_schedules.RULE, room())
    assert verdict == [
        "no enabled one-shot at(...) schedule invoking a freeze function in the room"
    ]


def test_lcy1_fails_with_a_disabled_or_recurring_or_late_freeze() -> None:
    rule = lcy1_expiry_schedules.RULE
    assert judge(rule, room(Sched=freeze_schedule(FREEZE, state="DISABLED")))
    assert judge(rule, room(Sched=freeze_schedule("rate(1 day)")))
    late = judge(rule, room(Sched=freeze_schedule(at(LAST_DAY + dt.timedelta(days=30)))))
    assert isinstance(late, list) and "after expiry" in late[0]


def test_lcy1_warning_to_a_topic_is_not_a_freeze() -> None:
    warning = freeze_schedule(at(LAST_DAY - dt.timedelta(days=13)))
    warning["Properties"]["Target"]["Arn"] = {"Ref": "Topic"}
    assert judge(lcy1_expiry_schedules.RULE, room(Warn=warning))


def test_lcy1_fails_without_the_expiry_tag_or_beyond_the_baseline_lifetime() -> None:
    rule = lcy1_expiry_schedules.RULE
    untagged = room(Sched=freeze_schedule(FREEZE))
    untagged["Resources"]["Vpc"] = {"Type": "AWS::EC2::VPC", "Properties": {}}
    assert judge(rule, untagged) == [
        "the room VPC has no dataroom:expires tag (CHG-1): nothing says when to freeze"
    ]
    too_long = room(Sched=freeze_schedule(FREEZE))
    far = dt.date.today() + dt.timedelta(days=Baseline().max_room_days + 1)
    too_long["Resources"]["Vpc"] = {
        "Type": "AWS::EC2::VPC",
        "Properties": {"Tags": [{"Key": "dataroom:expires", "Value": far.isoformat()}]},
    }
    verdict = judge(rule, too_long)
    assert isinstance(verdict, list) and "max_room_days" in verdict[0]
    # The twin: the last day the baseline allows passes (with its freeze after it).
    edge = dt.date.today() + dt.timedelta(days=Baseline().max_room_days)
    at_edge = room(Sched=freeze_schedule(at(edge + dt.timedelta(days=1))))
    at_edge["Resources"]["Vpc"] = {
        "Type": "AWS::EC2::VPC",
        "Properties": {"Tags": [{"Key": "dataroom:expires", "Value": edge.isoformat()}]},
    }
    assert judge(rule, at_edge) is True


def test_lcy2_compliant_with_budget_and_action() -> None:
    assert judge(lcy2_budget.RULE, room(Budget=budget(), Action=action())) == []


def test_lcy2_fails_without_a_budget() -> None:
    assert judge(lcy2_budget.RULE, room()) == ["no AWS::Budgets::Budget in the room"]


def test_lcy2_fails_without_the_freeze_action() -> None:
    (problem,) = judge(lcy2_budget.RULE, room(Budget=budget()))
    assert "budget action" in problem
    manual = action()
    manual["Properties"]["ApprovalModel"] = "MANUAL"
    assert judge(lcy2_budget.RULE, room(Budget=budget(), Action=manual))


def test_lcy2_fails_on_a_missing_notification_or_filter() -> None:
    weak = budget()
    weak["Properties"]["NotificationsWithSubscribers"].pop(2)
    del weak["Properties"]["Budget"]["CostFilters"]
    problems = judge(lcy2_budget.RULE, room(Budget=weak, Action=action()))
    assert any("forecasted notification at 90" in p for p in problems)
    assert any("not filtered to the room" in p for p in problems)


def test_lcy2_is_judged_on_the_example_room(room_template_json) -> None:
    template = copy.deepcopy(room_template_json)
    (vpc_id,) = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::EC2::VPC"]
    context = RuleContext(
        logical_id=vpc_id,
        resource=template["Resources"][vpc_id],
        template=template,
        baseline=Baseline(),
        account="222222222222",
        region="us-east-1",
    )
    assert lcy2_budget.RULE.check(context) == []
    assert lcy1_expiry_schedules.RULE.check(context) is True
