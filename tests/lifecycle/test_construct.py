"""RoomLifecycle's template (LCY-1..3), on the small session app of ``conftest.py``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dataroom.constructs.lifecycle import RoomLifecycle
from tests.lifecycle.conftest import Built


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def schedules(built: Built) -> dict[str, dict[str, Any]]:
    """Schedule name -> properties."""
    return {
        s["Properties"]["Name"]: s["Properties"]
        for s in of_type(built.template, "AWS::Scheduler::Schedule").values()
    }


def lid(built: Built, construct: Any) -> str:
    return built.stack.get_logical_id(construct.node.default_child)


def test_expiry_warnings_and_freeze_are_one_shot_utc_schedules(small_app) -> None:
    room = small_app["room"]
    found = schedules(room)
    assert {name: p["ScheduleExpression"] for name, p in found.items()} == {
        "dataroom-small-expires-in-14d": "at(2027-03-18T00:00:00)",
        "dataroom-small-expires-in-7d": "at(2027-03-25T00:00:00)",
        "dataroom-small-expires-in-1d": "at(2027-03-31T00:00:00)",
        # The start of the day after `expires`, as the read role's aws:CurrentTime condition.
        "dataroom-small-freeze": "at(2027-04-01T00:00:00)",
    }
    group = of_type(room.template, "AWS::Scheduler::ScheduleGroup")
    ((group_id, group_resource),) = group.items()
    assert group_resource["Properties"]["Name"] == "dataroom-small"
    for resource in of_type(room.template, "AWS::Scheduler::Schedule").values():
        assert group_id in resource.get("DependsOn", []), "the group exists first"
    for props in found.values():
        assert props["ScheduleExpressionTimezone"] == "Etc/UTC"
        assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert props["State"] == "ENABLED"
        assert props["GroupName"] == "dataroom-small"
        assert props["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] == lid(
            room, room.lifecycle.dead_letters
        )
        assert props["Target"]["RoleArn"]["Fn::GetAtt"][0] == lid(
            room, room.lifecycle.scheduler_role
        )


def test_warnings_go_to_the_alert_topic_and_the_freeze_to_the_function(small_app) -> None:
    room = small_app["room"]
    found = schedules(room)
    topic = room.stack.get_logical_id(room.lifecycle._topic.node.default_child)
    for days in (14, 7, 1):
        target = found[f"dataroom-small-expires-in-{days}d"]["Target"]
        assert target["Arn"] == {"Ref": topic}
        message = json.loads(target["Input"])
        assert message["daysLeft"] == days and message["expires"] == "2027-03-31"
    freeze = found["dataroom-small-freeze"]["Target"]
    assert freeze["Arn"]["Fn::GetAtt"] == [lid(room, room.lifecycle.function), "Arn"]
    payload = json.loads(freeze["Input"])
    assert payload["action"] == "freeze" and payload["room"] == "small"
    assert payload["scheduledTime"] == "<aws.scheduler.scheduled-time>"


def test_extending_expires_moves_every_schedule(small_app) -> None:
    before = {n: p["ScheduleExpression"] for n, p in schedules(small_app["room"]).items()}
    after = {n: p["ScheduleExpression"] for n, p in schedules(small_app["extended"]).items()}
    assert before.keys() == after.keys()
    assert after["dataroom-small-freeze"] == "at(2027-07-01T00:00:00)"
    assert after["dataroom-small-expires-in-14d"] == "at(2027-06-17T00:00:00)"
    assert all(before[name] != after[name] for name in before)


def test_past_warnings_are_left_out_the_freeze_never_is(small_app) -> None:
    # Synthesized on 2026-12-01: expiry 2026-12-05 leaves the 1-day warning only.
    assert sorted(schedules(small_app["soon"])) == [
        "dataroom-small-expires-in-1d",
        "dataroom-small-freeze",
    ]
    # Already expired: no warning; the freeze runs at the first midnight after the synthesis.
    expired = schedules(small_app["expired"])
    assert list(expired) == ["dataroom-small-freeze"]
    assert expired["dataroom-small-freeze"]["ScheduleExpression"] == "at(2026-12-02T00:00:00)"


def test_scheduler_role_is_trusted_by_this_accounts_schedules_only(small_app) -> None:
    room = small_app["room"]
    role = room.template["Resources"][lid(room, room.lifecycle.scheduler_role)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "222222222222"}
    assert "dataroom-small/*" in json.dumps(statement["Condition"]["ArnLike"])


def budget_of(built: Built) -> dict[str, Any]:
    ((_, budget),) = of_type(built.template, "AWS::Budgets::Budget").items()
    return budget["Properties"]  # type: ignore[no-any-return]


def test_budget_is_monthly_filtered_to_the_room_and_notifies_the_topic(small_app) -> None:
    room = small_app["room"]
    props = budget_of(room)
    topic = room.stack.get_logical_id(room.lifecycle._topic.node.default_child)
    assert props["Budget"]["BudgetName"] == "dataroom-small"
    assert props["Budget"]["BudgetLimit"] == {"Amount": 200, "Unit": "USD"}
    assert props["Budget"]["TimeUnit"] == "MONTHLY" and props["Budget"]["BudgetType"] == "COST"
    assert props["Budget"]["CostFilters"] == {"LinkedAccount": ["222222222222"]}
    notified = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in props["NotificationsWithSubscribers"]
    }
    assert notified == {("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 90)}
    for entry in props["NotificationsWithSubscribers"]:
        assert entry["Subscribers"] == [{"Address": {"Ref": topic}, "SubscriptionType": "SNS"}]


def test_rooms_sharing_an_account_filter_on_the_room_tag(small_app) -> None:
    props = budget_of(small_app["shared"])
    assert props["Budget"]["CostFilters"] == {"TagKeyValue": ["user:dataroom:room$small"]}
    assert props["Budget"]["BudgetLimit"]["Amount"] == 750


def test_topic_and_key_admit_budgets_of_this_account_only(small_app) -> None:
    room = small_app["room"]
    (policy,) = of_type(room.template, "AWS::SNS::TopicPolicy").values()
    (statement,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "budgets.amazonaws.com"}
    ]
    assert statement["Action"] == "sns:Publish"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "222222222222"}
    (key,) = of_type(room.template, "AWS::KMS::Key").values()
    (key_statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "budgets.amazonaws.com"}
    ]
    assert key_statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "222222222222"}}


def test_budget_action_freezes_the_room_roles_automatically_at_100_percent(small_app) -> None:
    room = small_app["room"]
    ((_, action),) = of_type(room.template, "AWS::Budgets::BudgetsAction").items()
    props = action["Properties"]
    freeze = lid(room, room.lifecycle.freeze_policy)
    assert props["BudgetName"] == "dataroom-small"
    assert props["ActionType"] == "APPLY_IAM_POLICY"
    assert props["ApprovalModel"] == "AUTOMATIC"
    assert props["NotificationType"] == "ACTUAL"
    assert props["ActionThreshold"] == {"Type": "PERCENTAGE", "Value": 100}
    assert props["Definition"]["IamActionDefinition"]["PolicyArn"] == {"Ref": freeze}
    scientist = [
        k
        for k, v in of_type(room.template, "AWS::IAM::Role").items()
        if v["Properties"].get("RoleName") == "dataroom-small-scientist"
    ]
    assert props["Definition"]["IamActionDefinition"]["Roles"] == ["dataroom-small-scientist"] or (
        props["Definition"]["IamActionDefinition"]["Roles"] == [{"Ref": scientist[0]}]
    )
    role = room.template["Resources"][props["ExecutionRoleArn"]["Fn::GetAtt"][0]]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "222222222222"}}
    # Bounded: its boundary allows only attaching and detaching the freeze policy.
    boundary = room.template["Resources"][role["Properties"]["PermissionsBoundary"]["Ref"]]
    (only,) = boundary["Properties"]["PolicyDocument"]["Statement"]
    assert only["Action"] == ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    assert only["Condition"] == {"ArnEquals": {"iam:PolicyARN": {"Ref": freeze}}}


def test_freeze_policy_denies_everything(small_app) -> None:
    room = small_app["room"]
    policy = room.template["Resources"][lid(room, room.lifecycle.freeze_policy)]
    assert policy["Properties"]["ManagedPolicyName"] == "dataroom-small-freeze"
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "*", "Effect": "Deny", "Resource": "*", "Sid": "DataRoomFrozen"}
    ]
    assert "Roles" not in policy["Properties"], "attached only when the room freezes"


def test_freeze_function_may_only_freeze(small_app) -> None:
    room = small_app["room"]
    function = room.template["Resources"][lid(room, room.lifecycle.function)]
    env = function["Properties"]["Environment"]["Variables"]
    assert env["ROOM_NAME"] == "small"
    scientist = lid(room, room.lifecycle.roles[0])
    assert env["ROOM_ROLES"] == {"Fn::Join": ["", ['["', {"Ref": scientist}, '"]']]}
    role = room.template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    boundary = room.template["Resources"][role["Properties"]["PermissionsBoundary"]["Ref"]]
    by_sid = {s["Sid"]: s for s in boundary["Properties"]["PolicyDocument"]["Statement"]}
    assert by_sid["AttachTheFreeze"]["Condition"] == {
        "ArnEquals": {"iam:PolicyARN": {"Ref": lid(room, room.lifecycle.freeze_policy)}}
    }
    assert by_sid["StopTheRoomsNotebooks"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/dataroom:room": "small"}
    }
    assert not any(s["Effect"] == "Deny" for s in by_sid.values())
    assert "iam:DetachRolePolicy" not in json.dumps(boundary)


def test_boundary_protects_the_lifecycle(small_app) -> None:
    room = small_app["room"]
    (boundary,) = [
        v
        for k, v in of_type(room.template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("Boundary")
    ]
    by_sid = {s.get("Sid"): s for s in boundary["Properties"]["PolicyDocument"]["Statement"]}
    assert sorted(by_sid["DenyLifecycleTampering"]["Action"]) == ["budgets:*", "scheduler:*"]
    assert by_sid["DenyRemovingTheFreeze"]["Effect"] == "Deny"
    # The freeze policy by its (contractual) name: the boundary refers to nothing of the room.
    freeze = "arn:aws:iam::222222222222:policy/dataroom-small-freeze"
    assert by_sid["DenyRemovingTheFreeze"]["Condition"] == {"ArnEquals": {"iam:PolicyARN": freeze}}
    assert by_sid["DenyChangingTheFreeze"]["Resource"] == freeze
    policy = room.template["Resources"][lid(room, room.lifecycle.freeze_policy)]
    assert policy["Properties"]["ManagedPolicyName"] == freeze.rsplit("/", 1)[1]


def test_lifecycle_changes_are_alerted(small_app) -> None:
    room = small_app["room"]
    rules = {k: v["Properties"] for k, v in of_type(room.template, "AWS::Events::Rule").items()}
    patterns = [r["EventPattern"] for r in rules.values()]
    sources = {s for p in patterns for s in p.get("source", [])}
    assert {"aws.scheduler", "aws.budgets", "aws.iam"} <= sources
    names = {n for p in patterns for n in p["detail"]["eventName"]}
    assert {"DeleteSchedule", "UpdateSchedule", "DeleteBudgetAction", "DetachRolePolicy"} <= names
    (iam_rule,) = [p for p in patterns if "DetachRolePolicy" in p["detail"]["eventName"]]
    assert iam_rule["detail"]["requestParameters"] == {
        "policyArn": [{"Ref": lid(room, room.lifecycle.freeze_policy)}]
    }


def test_evidence_bucket_is_object_locked_in_compliance_mode_and_retained(small_app) -> None:
    room = small_app["room"]
    bucket = room.template["Resources"][lid(room, room.lifecycle.evidence_bucket)]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE",
        "Days": 365,
    }
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True


def test_outputs_have_the_keys_the_cli_reads(small_app) -> None:
    outputs = small_app["room"].template["Outputs"]
    for key in ("FreezePolicyArn", "EvidenceBucketName", "BudgetName", "FreezeFunctionName"):
        assert key in outputs


def test_add_role_freezes_a_role_added_later(context) -> None:
    import datetime as dt

    from aws_cdk import App
    from aws_cdk import aws_iam as iam
    from aws_cdk.assertions import Template

    from tests.lifecycle.conftest import _room_stack

    app = App(context=context)
    built = _room_stack(app, "Later", expires=dt.date(2027, 3, 31))
    notebook = iam.Role(
        built.stack,
        "Notebook",
        role_name="dataroom-small-notebook",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
    )
    built.lifecycle.add_role(notebook)
    template = Template.from_stack(built.stack).to_json()
    (action,) = of_type(template, "AWS::Budgets::BudgetsAction").values()
    assert len(action["Properties"]["Definition"]["IamActionDefinition"]["Roles"]) == 2


@pytest.mark.parametrize(
    ("props", "message"),
    [({"budget_usd_month": 0}, "budget_usd_month=0"), ({"roles": []}, "roles=")],
)
def test_bad_props_are_refused(context, props, message) -> None:
    import datetime as dt

    from aws_cdk import App

    from tests.lifecycle.conftest import _room_stack

    app = App(context=context)
    with pytest.raises(ValueError, match=message):
        if "roles" in props:
            from aws_cdk import Stack
            from aws_cdk import aws_iam as iam
            from aws_cdk import aws_kms as kms
            from aws_cdk import aws_s3 as s3
            from aws_cdk import aws_sns as sns

            stack = Stack(app, "S")
            RoomLifecycle(
                stack,
                "L",
                room_name="x-room",
                expires=dt.date(2027, 1, 1),
                alert_topic=sns.Topic(stack, "T"),
                encryption_key=kms.Key(stack, "K"),
                roles=[],
                boundary=iam.ManagedPolicy(stack, "B", statements=[]),
                access_logs_bucket=s3.Bucket(stack, "L2"),
            )
        else:
            _room_stack(app, "Bad", expires=dt.date(2027, 3, 31), **props)


def test_the_budget_actions_freeze_runs_the_freeze_function(small_app) -> None:
    room = small_app["room"]
    rule = room.template["Resources"][lid(room, room.lifecycle.budget_freeze_rule)]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"]["eventName"] == ["AttachRolePolicy"]
    assert pattern["detail"]["requestParameters"] == {
        "policyArn": [{"Ref": lid(room, room.lifecycle.freeze_policy)}]
    }
    issuer = pattern["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
    assert issuer == [{"Fn::GetAtt": [lid(room, room.lifecycle.budget_action_role), "Arn"]}]
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [lid(room, room.lifecycle.function), "Arn"]}
    assert json.loads(target["Input"])["reason"] == "over budget"


def test_owner_and_approvers_get_the_warnings(room_template_json) -> None:
    subscribed = {
        r["Properties"]["Endpoint"]
        for r in room_template_json["Resources"].values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["Protocol"] == "email"
    }
    # The example's security approver gets every alert already; its owner and its other
    # approver are added.
    assert subscribed == {
        "security-lead@example.com",
        "scientist@example.com",
        "data-protection@example.com",
    }


def test_production_read_role_freeze_is_ready_to_attach(example_app) -> None:
    from aws_cdk.assertions import Template

    prod = Template.from_stack(example_app.node.find_child("ProductionAccessStack")).to_json()
    (policy,) = [
        r
        for r in prod["Resources"].values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        and r["Properties"].get("ManagedPolicyName", "").endswith("-read-freeze")
    ]
    assert policy["Properties"]["ManagedPolicyName"] == "dataroom-abnormal-process-exec-read-freeze"
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "*", "Effect": "Deny", "Resource": "*", "Sid": "DataRoomFrozen"}
    ]
    assert not {"Roles", "Users", "Groups"} & set(policy["Properties"]), "attached to nothing"
    assert any(k.startswith("ReadFreezePolicyArnabnormalprocessexec") for k in prod["Outputs"])
