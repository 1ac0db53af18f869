"""MON-1, MON-4, MON-6, IAM-1 and LCY-1 weakenings a red-team review found: each rule on a small
compliant fragment, then on its weakening. Plain dicts, no synthesis.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from dataroom.policies.rules import (
    iam1_entry_role_trust,
    lcy1_expiry_schedules,
    mon1_trail,
    mon4_alert_severity,
    mon4_no_suppression_filter,
    mon4_room_monitoring,
    mon6_alarms_act,
)
from dataroom.policies.rules.base import Rule
from dataroom.policies.rules.catalog import NEVER_SUPPRESSIBLE, RULES
from tests.gate.test_rule_fragments import TRAIL, TRAIL_BUCKET, context_of, judge, res

Template = dict[str, Any]
ROOM = {"dataroom": {"kind": "room"}}
SCIENTIST = "arn:aws:iam::222222222222:role/DataScientist"


def template(**resources: dict[str, Any]) -> Template:
    return {"Metadata": copy.deepcopy(ROOM), "Resources": copy.deepcopy(resources)}


def set_path(document: Template, path: str, value: Any) -> Template:
    """``document`` with ``value`` at a dotted ``path`` (digits index lists), as an override."""
    out = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    node[int(last) if last.isdigit() else last] = value
    return out


# --- MON-4: the GuardDuty alert matches findings -------------------------------------------

GD_ALERT = res(
    "AWS::Events::Rule",
    EventPattern={
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 4]}]},
    },
    Targets=[{"Arn": {"Ref": "Topic"}, "Id": "t"}],
)
TAMPERING = res(
    "AWS::Events::Rule",
    EventPattern={
        "source": ["aws.cloudtrail", "aws.guardduty"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["DeleteDetector", "StopLogging"]},
    },
    Targets=[{"Arn": {"Ref": "Topic"}, "Id": "t"}],
)


def test_mon4_alert_matches_guardduty_findings() -> None:
    rule = mon4_alert_severity.RULE
    assert judge(rule, template(R=GD_ALERT), "R")
    assert judge(rule, template(R=TAMPERING), "R")  # an API-call alert is not judged here
    archived = set_path(
        GD_ALERT, "Properties.EventPattern.detail-type", ["GuardDuty Finding (archived)"]
    )
    assert not judge(rule, template(R=archived), "R")
    unfiltered = copy.deepcopy(GD_ALERT)
    del unfiltered["Properties"]["EventPattern"]["detail"]
    assert judge(rule, template(R=unfiltered), "R")
    unfiltered["Properties"]["EventPattern"]["detail-type"] = ["Nothing"]
    assert not judge(rule, template(R=unfiltered), "R")


def test_mon4_an_api_call_alert_does_not_stand_for_the_finding_alert() -> None:
    # The GuardDuty rule turned into an API-call rule: MON4RoomMonitoring misses its findings.
    topic = res("AWS::SNS::Topic", KmsMasterKeyId="k")
    as_api = set_path(
        GD_ALERT, "Properties.EventPattern.detail-type", ["AWS API Call via CloudTrail"]
    )
    rooms = [
        template(V=res("AWS::EC2::VPC"), Topic=topic, R=r, T=TAMPERING) for r in (GD_ALERT, as_api)
    ]
    verdicts = [mon4_room_monitoring.RULE.check(context_of(t, "V")) for t in rooms]
    assert not any("aws.guardduty" in f for f in verdicts[0] or [])
    assert any("aws.guardduty" in f for f in verdicts[1] or [])


# --- MON-4: no suppression filter ----------------------------------------------------------

FILTER = res(
    "AWS::GuardDuty::Filter",
    Name="view",
    DetectorId="d",
    Action="NOOP",
    FindingCriteria={"Criterion": {"severity": {"Gte": 0}}},
)


def test_mon4_no_suppression_filter() -> None:
    rule = mon4_no_suppression_filter.RULE
    assert judge(rule, template(F=FILTER), "F")
    assert not judge(rule, template(F=set_path(FILTER, "Properties.Action", "ARCHIVE")), "F")
    assert rule.room_accounts_only and not rule.applies(
        context_of(template(F=FILTER), "F", room_account=False)
    )


# --- MON-1: the trail keeps every management event ------------------------------------------

SELECTED = set_path(
    TRAIL,
    "Properties.EventSelectors",
    [{"IncludeManagementEvents": True, "ReadWriteType": "All", "DataResources": []}],
)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Properties.EventSelectors.0.ReadWriteType", "WriteOnly"),
        ("Properties.EventSelectors.0.IncludeManagementEvents", False),
        ("Properties.EventSelectors.0.ExcludeManagementEventSources", ["kms.amazonaws.com"]),
        (
            "Properties.AdvancedEventSelectors",
            [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}],
        ),
        (
            "Properties.AdvancedEventSelectors",
            [
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "eventCategory", "NotEquals": ["Management"]},
                    ]
                }
            ],
        ),
        (
            "Properties.AdvancedEventSelectors",
            [
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "readOnly", "Equals": ["false"]},
                    ]
                }
            ],
        ),
    ],
)
def test_mon1_trail_selectors_keep_management_events(path: str, value: Any) -> None:
    rule = mon1_trail.RULE
    assert judge(rule, template(B=TRAIL_BUCKET, T=SELECTED), "T")
    assert not judge(rule, template(B=TRAIL_BUCKET, T=set_path(SELECTED, path, value)), "T")


def test_mon1_advanced_selectors_with_all_management_events_pass() -> None:
    advanced = set_path(
        TRAIL,
        "Properties.AdvancedEventSelectors",
        [
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]},
        ],
    )
    assert judge(mon1_trail.RULE, template(B=TRAIL_BUCKET, T=advanced), "T")


# --- MON-6: alarms act ----------------------------------------------------------------------

ALARM = res("AWS::CloudWatch::Alarm", AlarmActions=[{"Ref": "Topic"}], Threshold=0)


def test_mon6_alarms_act() -> None:
    rule = mon6_alarms_act.RULE
    assert judge(rule, template(A=ALARM), "A")
    assert judge(rule, template(A=set_path(ALARM, "Properties.ActionsEnabled", True)), "A")
    assert not judge(rule, template(A=set_path(ALARM, "Properties.ActionsEnabled", False)), "A")
    assert not judge(rule, template(A=set_path(ALARM, "Properties.AlarmActions", [])), "A")
    assert rule.rooms_only


# --- IAM-1: the room's entry roles ----------------------------------------------------------


def role(*statements: dict[str, Any], session: int = 3600) -> dict[str, Any]:
    return res(
        "AWS::IAM::Role",
        AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": list(statements)},
        MaxSessionDuration=session,
    )


ENTRY = {
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Principal": {"AWS": SCIENTIST},
    "Condition": {"Null": {"sts:SourceIdentity": "false"}},
}
SET_SOURCE = {"Effect": "Allow", "Action": "sts:SetSourceIdentity", "Principal": {"AWS": SCIENTIST}}
ROOT = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"],
    ]
}


def test_iam1_entry_roles_of_the_examples_pass() -> None:
    rule = iam1_entry_role_trust.RULE
    approver = {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Principal": {"AWS": SCIENTIST},
        "Condition": {"StringEquals": {"sts:SourceIdentity": ["lead@example.com"]}},
    }
    pipeline = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": {"Fn::GetAtt": ["Pipeline", "Arn"]}},
    }
    service = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com"},
    }
    roles = template(
        S=role(ENTRY, SET_SOURCE), A=role(approver), R=role(pipeline), Pipeline=role(service)
    )
    for lid in ("S", "A", "R", "Pipeline"):
        assert judge(rule, roles, lid), lid


@pytest.mark.parametrize(
    "weak",
    [
        role(
            ENTRY,
            SET_SOURCE,
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"},
        ),
        role(ENTRY, session=43200),
        role({**ENTRY, "Principal": {"AWS": "222222222222"}}),
        role({**ENTRY, "Principal": {"AWS": "*"}}),
        role({**ENTRY, "Principal": "*"}),
        role({**ENTRY, "Principal": {"AWS": "arn:aws:iam::222222222222:role/*"}}),
        role({key: v for key, v in ENTRY.items() if key != "Condition"}),
        role(
            {
                **ENTRY,
                "Action": "sts:*",
                "Condition": {"StringNotEquals": {"sts:SourceIdentity": "x"}},
            }
        ),
    ],
)
def test_iam1_entry_role_weakenings_fail(weak: dict[str, Any]) -> None:
    assert not judge(iam1_entry_role_trust.RULE, template(S=weak), "S")


def test_iam1_entry_role_trust_judges_rooms_only() -> None:
    rule = iam1_entry_role_trust.RULE
    production = {"Metadata": {"dataroom": {"kind": "production"}}, "Resources": {"S": role(ENTRY)}}
    assert rule.rooms_only and not rule.applies(context_of(production, "S"))


# --- LCY-1: the freeze names the room's roles -------------------------------------------------

LAST_DAY = dt.date.today() + dt.timedelta(days=30)


def freeze_room(room_roles: Any) -> Template:
    return template(
        V=res("AWS::EC2::VPC", Tags=[{"Key": "dataroom:expires", "Value": LAST_DAY.isoformat()}]),
        Scientist=role(ENTRY),
        Freeze=res("AWS::Lambda::Function", Environment={"Variables": {"ROOM_ROLES": room_roles}}),
        Schedule=res(
            "AWS::Scheduler::Schedule",
            ScheduleExpression=f"at({LAST_DAY + dt.timedelta(days=1)}T00:00:00)",
            ScheduleExpressionTimezone="Etc/UTC",
            State="ENABLED",
            Target={"Arn": {"Fn::GetAtt": ["Freeze", "Arn"]}, "RoleArn": "x"},
        ),
    )


def test_lcy1_freeze_names_a_role_of_the_room() -> None:
    rule = lcy1_expiry_schedules.RULE
    assert judge(rule, freeze_room({"Fn::Join": ["", ['["', {"Ref": "Scientist"}, '"]']]}), "V")
    assert not judge(rule, freeze_room("[]"), "V")
    assert not judge(rule, freeze_room('["someone-else"]'), "V")
    assert not judge(rule, freeze_room("not json"), "V")
    named = freeze_room('["room-scientist"]')
    named["Resources"]["Scientist"]["Properties"]["RoleName"] = "room-scientist"
    assert judge(rule, named, "V")


# --- the catalogue --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule", [mon4_no_suppression_filter.RULE, mon6_alarms_act.RULE, iam1_entry_role_trust.RULE]
)
def test_new_rules_are_registered_and_never_suppressible(rule: Rule) -> None:
    assert rule in RULES and f"DataRoom-{rule.rule_id}" in NEVER_SUPPRESSIBLE
