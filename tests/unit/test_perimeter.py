"""The perimeter in the synthesized templates: PER-1..3, MON-6, grants only for AWS resources.

What the statements *do* is judged by iam-simulate (tests/iam/test_perimeter_scenarios.py);
these tests pin where they are and that the misuse of the constructs is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import yaml
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from dataroom.application import build_app
from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from dataroom.constructs.room_storage import RoomStorage
from dataroom.manifest import parse_manifest
from dataroom.policies.data_perimeter import (
    QUERIES_OUTSIDE_THE_WORKGROUP_SID,
    WAYS_OUT,
    WRITES_OUTSIDE_THE_ACCOUNT,
    WRITES_OUTSIDE_THE_ACCOUNT_SID,
)
from dataroom.stacks import DataRoomStack
from tests.conftest import EXAMPLE, TODAY

ROOM = "222222222222"
PROD = "111111111111"


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["Statement"])


@pytest.fixture(scope="module")
def prod(example_app: App) -> dict[str, Any]:
    return Template.from_stack(example_app.node.find_child("ProductionAccessStack")).to_json()


# --- PER-3 -------------------------------------------------------------------------------------


def test_per3_reads_and_decrypt_are_pinned_to_the_room_accounts_endpoints(prod) -> None:
    (policy,) = _of_type(prod, "AWS::IAM::Policy").values()
    statements = _statements(policy["Properties"]["PolicyDocument"])
    reads = [s for s in statements if s["Effect"] == "Allow" and str(s["Action"]).count("s3:")]
    assert reads
    for statement in reads:
        assert statement["Condition"]["StringEquals"]["aws:VpceAccount"] == ROOM
        assert "Null" not in statement["Condition"]
    (deny,) = [s for s in statements if s.get("Sid") == "DenyReadsOutsideTheRoomsEndpoints"]
    assert deny["Effect"] == "Deny" and "kms:Decrypt" in deny["Action"]
    assert deny["Condition"] == {
        "StringNotEqualsIfExists": {"aws:VpceAccount": ROOM},
        "BoolIfExists": {"aws:ViaAWSService": "false"},
    }


def test_per3_a_room_in_the_production_account_is_pinned_to_its_endpoint_id(context) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0]["account"] = PROD
    data["rooms"][0]["principals"] = [f"arn:aws:iam::{PROD}:role/DataScientist"]
    # A room in production's account and region adopts production's detector and recorder.
    data["rooms"][0]["monitoring"] = {
        "existing_guardduty_detector_id": "12abc34d567e8fa901bc2d34e56789f0",
        "existing_config_recorder": True,
    }
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    room = app.node.find_child("DataRoomStack")
    assert isinstance(room, DataRoomStack)
    template = Template.from_stack(app.node.find_child("ProductionAccessStack")).to_json()
    (policy,) = _of_type(template, "AWS::IAM::Policy").values()
    statements = _statements(policy["Properties"]["PolicyDocument"])
    endpoint = room.get_logical_id(room.glovebox.s3_endpoint.node.default_child)  # type: ignore[arg-type]
    reads = [s for s in statements if s["Effect"] == "Allow" and "s3:" in json.dumps(s["Action"])]
    assert reads
    for statement in reads:
        # A cross-stack reference to the room's S3 endpoint: "an endpoint of this account"
        # would admit production's own endpoints too.
        (pinned,) = statement["Condition"]["StringEquals"]["aws:SourceVpce"]
        assert endpoint in json.dumps(pinned)
    assert "aws:VpceAccount" not in json.dumps(statements)


def test_per3_read_access_refuses_an_unpinnable_endpoint(context) -> None:
    stack = Stack(App(context=context), "S", env={"account": PROD, "region": "us-east-1"})
    with pytest.raises(ValueError, match=r"endpoint_account='111111111111', endpoint_ids=\[\]"):
        ReadOnlyDatasetAccess(
            stack,
            "A",
            trusted_role_arns=[f"arn:aws:iam::{PROD}:role/R"],
            external_id="dataroom-x",
            expires=dt.date(2027, 1, 1),
        )


# --- PER-2 -------------------------------------------------------------------------------------


def test_per2_perimeter_closes_every_way_out_on_every_role(
    room_stack: DataRoomStack, room_template_json
) -> None:
    logical = room_stack.get_logical_id(room_stack.perimeter_policy.node.default_child)  # type: ignore[arg-type]
    resource = room_template_json["Resources"][logical]["Properties"]
    boundary = resource["PolicyDocument"]
    # Deny-only, and attached to every role of the room (the boundary forbids detaching it).
    assert {s["Effect"] for s in _statements(boundary)} == {"Deny"}
    roles = {k for k, r in room_template_json["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles and {r["Ref"] for r in resource["Roles"]} == roles
    by_sid = {s.get("Sid"): s for s in _statements(boundary)}
    for way in WAYS_OUT:
        statement = by_sid[way.sid]
        assert statement["Effect"] == "Deny" and statement["Resource"] == "*"
        assert sorted(statement["Action"]) == sorted(way.actions)
        assert "Condition" not in statement
    writes = by_sid[WRITES_OUTSIDE_THE_ACCOUNT_SID]
    assert sorted(writes["Action"]) == sorted(WRITES_OUTSIDE_THE_ACCOUNT)
    assert writes["Condition"] == {"StringNotEquals": {"aws:ResourceAccount": ROOM}}
    queries = by_sid[QUERIES_OUTSIDE_THE_WORKGROUP_SID]
    assert "workgroup/dataroom-abnormal-process-exec" in json.dumps(queries["NotResource"])


def test_per2_athena_exemption_is_for_the_scientist_role_only(
    room_stack: DataRoomStack, room_template_json
) -> None:
    for bucket in (room_stack.storage.intermediate_bucket, room_stack.storage.results_bucket):
        logical = room_stack.get_logical_id(bucket.policy.node.default_child)  # type: ignore[union-attr, arg-type]
        document = room_template_json["Resources"][logical]["Properties"]["PolicyDocument"]
        (scope,) = [
            s
            for s in _statements(document)
            if s.get("Sid") == "DenyServiceAccessForPrincipalsOutsideTheRoom"
        ]
        assert scope["Condition"] == {
            "ForAnyValue:StringEquals": {"aws:CalledVia": ["athena.amazonaws.com"]},
            "ArnNotEquals": {
                "aws:PrincipalArn": [
                    f"arn:aws:iam::{ROOM}:role/dataroom-abnormal-process-exec-scientist"
                ]
            },
        }


def test_per2_storage_refuses_an_exemption_for_everyone(context) -> None:
    stack = Stack(App(context=context), "S", env={"account": ROOM, "region": "us-east-1"})
    endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(stack, "E", "vpce-0abc")
    with pytest.raises(ValueError, match=r"called_via_principals=\[\]: expected the room roles"):
        RoomStorage(
            stack,
            "Storage",
            encryption_key=kms.Key(stack, "K"),
            vpc_endpoint=endpoint,
            called_via_services=("athena.amazonaws.com",),
        )


# --- key policies ------------------------------------------------------------------------------


def test_room_and_trail_keys_grant_only_for_aws_resources(room_template_json, prod) -> None:
    for template in (room_template_json, prod):
        (key,) = _of_type(template, "AWS::KMS::Key").values()
        (deny,) = [
            s
            for s in _statements(key["Properties"]["KeyPolicy"])
            if s.get("Sid") == "DenyGrantsNotForAwsResources"
        ]
        assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
        assert deny["Action"] == "kms:CreateGrant"
        assert deny["Condition"] == {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}}


# --- MON-6 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["DataRoomStack", "ProductionAccessStack"])
def test_mon6_undelivered_alerts_raise_an_alarm(stack: str, example_app: App) -> None:
    template = Template.from_stack(example_app.node.find_child(stack)).to_json()
    (topic_id,) = _of_type(template, "AWS::SNS::Topic")
    queues = _of_type(template, "AWS::SQS::Queue")
    (dlq_id,) = [
        q
        for q in queues
        if any(
            s["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
            == {"Fn::GetAtt": [q, "Arn"]}
            for s in _of_type(template, "AWS::SNS::Subscription").values()
        )
    ]
    assert "KmsMasterKeyId" in queues[dlq_id]["Properties"]
    rules = _of_type(template, "AWS::Events::Rule")
    to_topic = {
        k: r for k, r in rules.items() if r["Properties"]["Targets"][0]["Arn"] == {"Ref": topic_id}
    }
    assert to_topic
    for rule in to_topic.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
        assert target["RetryPolicy"] == {
            "MaximumEventAgeInSeconds": 86400,
            "MaximumRetryAttempts": 185,
        }
    for subscription in _of_type(template, "AWS::SNS::Subscription").values():
        assert "RedrivePolicy" in subscription["Properties"]
    alarms = list(_of_type(template, "AWS::CloudWatch::Alarm").values())
    failed = {
        json.dumps(a["Properties"]["Dimensions"])
        for a in alarms
        if a["Properties"].get("MetricName") == "FailedInvocations"
    }
    assert len(failed) == len(rules)  # every rule, the remediation trigger included
    metrics = [a["Properties"].get("MetricName") for a in alarms]
    assert metrics.count("NumberOfNotificationsFailed") == 1
    visible = metrics.count("ApproximateNumberOfMessagesVisible")
    assert visible == len(queues)  # every dead-letter queue, the remediation one included
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        if alarm["Properties"].get("MetricName") in {
            "FailedInvocations",
            "NumberOfNotificationsFailed",
            "ApproximateNumberOfMessagesVisible",
        }:
            assert alarm["Properties"]["Threshold"] == 0
            assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"


def test_a_boundary_larger_than_iam_accepts_fails_synthesis(context) -> None:
    from aws_cdk import aws_iam as iam

    from dataroom.constructs.data_perimeter import add_room_perimeter

    app = App(context=context)
    stack = Stack(app, "S", env={"account": ROOM, "region": "us-east-1"})
    boundary = iam.ManagedPolicy(stack, "Boundary", statements=[])
    add_room_perimeter(boundary, workgroup_arn=f"arn:aws:athena:us-east-1:{ROOM}:workgroup/w")
    app.synth()  # the perimeter alone fits
    boundary.add_statements(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=[f"ec2:Action{i:04d}" for i in range(300)],
            resources=["*"],
        )
    )
    with pytest.raises(RuntimeError, match="IAM accepts at most 6144"):
        App.of(stack).synth(force=True)  # type: ignore[union-attr]


def test_per3_a_room_in_the_production_account_must_be_in_its_region(context) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0].update(
        account=PROD,
        region="eu-west-1",
        principals=[f"arn:aws:iam::{PROD}:role/DataScientist"],
    )
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    with pytest.raises(ValueError, match=r"region='eu-west-1': a room in the production account"):
        build_app(manifest, app=App(context=context), nag=False)
