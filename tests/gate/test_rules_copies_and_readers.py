"""Copies out of the room (PER-2), bucket policies granting other accounts (S3-4), and the
perimeter policy on every room role (PER-2): one compliant fragment and its weakening per rule
(plain dicts, no synthesis), then the red-team weakenings on a real room through the gate."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from dataroom.policies.data_perimeter import PERIMETER_SIDS
from dataroom.policies.nag import apply_nag_gate
from dataroom.policies.rules import (
    per2_no_copies_out,
    per2_perimeter_attached,
    s34_bucket_policy_account,
)
from dataroom.stacks import DeployTimeZonesStack
from tests.fleet.test_data_room_construct import ROOM_ENV, _room
from tests.gate.test_rule_fragments import ACCOUNT, judge, res

OTHER = "999999999999"
READER = "arn:aws:iam::333333333333:role/Consumer"


def template(resources: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"Metadata": {"dataroom": {"kind": "room", **metadata}}, "Resources": resources}


# -- PER2NoCopiesOut --------------------------------------------------------------------------

REPLICATION = {
    "Role": f"arn:aws:iam::{ACCOUNT}:role/Replicator",
    "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::sink",
                                                     "Account": OTHER}}],
}  # fmt: skip


def test_a_bucket_without_replication_passes_and_a_replicating_one_fails() -> None:
    clean = template({"Bucket": res("AWS::S3::Bucket", VersioningConfiguration={})})
    assert judge(per2_no_copies_out.RULE, clean, "Bucket")
    weak = copy.deepcopy(clean)
    weak["Resources"]["Bucket"]["Properties"]["ReplicationConfiguration"] = REPLICATION
    assert not judge(per2_no_copies_out.RULE, weak, "Bucket")


@pytest.mark.parametrize(
    "destination",
    [
        {"Fn::GetAtt": ["Stream", "Arn"]},
        f"arn:aws:logs:us-east-1:{ACCOUNT}:destination:room",
        {"Fn::Sub": "arn:${AWS::Partition}:lambda:us-east-1:${AWS::AccountId}:function:f"},
        {"Fn::Join": ["", ["arn:aws:kinesis:us-east-1:", {"Ref": "AWS::AccountId"}, ":stream/s"]]},
    ],
)
def test_a_subscription_to_the_room_passes(destination: Any) -> None:
    fragment = template({
        "Stream": res("AWS::Kinesis::Stream", ShardCount=1),
        "Sub": res("AWS::Logs::SubscriptionFilter", LogGroupName="g", FilterPattern="",
                   DestinationArn=destination),
    })  # fmt: skip
    assert judge(per2_no_copies_out.RULE, fragment, "Sub")


@pytest.mark.parametrize(
    "destination",
    [
        f"arn:aws:logs:us-east-1:{OTHER}:destination:sink",
        {"Fn::Join": ["", ["arn:aws:logs:us-east-1:", OTHER, ":destination:sink"]]},
        {"Ref": "SinkParameter"},
    ],
)
def test_a_subscription_out_of_the_room_fails(destination: Any) -> None:
    fragment = template({
        "Sub": res("AWS::Logs::SubscriptionFilter", LogGroupName="g", FilterPattern="",
                   DestinationArn=destination),
    })  # fmt: skip
    assert not judge(per2_no_copies_out.RULE, fragment, "Sub")


# -- S34BucketPolicyAccount -------------------------------------------------------------------


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return template(
        {"Policy": res("AWS::S3::BucketPolicy", Bucket={"Ref": "B"},
                       PolicyDocument={"Version": "2012-10-17", "Statement": list(statements)})},
        readers=[READER],
    )  # fmt: skip


def allow(principal: Any, **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::b/*"}  # fmt: skip
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize(
    "statement",
    [
        allow({"AWS": READER}),  # a declared reader (the airlock export's consumer)
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/Scientist"}),
        allow({"AWS": {"Fn::GetAtt": ["Reader", "Arn"]}}),
        allow({"Service": "logging.s3.amazonaws.com"}, StringEquals={"aws:SourceAccount": ACCOUNT}),
        allow({"AWS": "*"}, StringEquals={"aws:PrincipalAccount": ACCOUNT}),
        allow("*", ArnEquals={"aws:PrincipalArn": READER}),
        {**allow({"AWS": f"arn:aws:iam::{OTHER}:root"}), "Effect": "Deny"},
    ],
)
def test_a_bucket_policy_for_the_room_and_its_readers_passes(statement: dict[str, Any]) -> None:
    assert judge(s34_bucket_policy_account.RULE, policy(statement), "Policy")


@pytest.mark.parametrize(
    "statement",
    [
        allow({"AWS": f"arn:aws:iam::{OTHER}:role/Partner"}),  # the red team's probe
        allow({"AWS": OTHER}),
        allow("*"),
        allow({"AWS": "*"}, StringNotEquals={"aws:PrincipalAccount": ACCOUNT}),
        allow({"AWS": "*"}, StringEquals={"aws:PrincipalAccount": OTHER}),
        allow({"AWS": "*"}, StringEquals={"s3:x-amz-acl": "bucket-owner-full-control"}),
    ],
)
def test_a_bucket_policy_granting_another_account_fails(statement: dict[str, Any]) -> None:
    assert not judge(s34_bucket_policy_account.RULE, policy(statement), "Policy")


# -- PER2PerimeterAttached --------------------------------------------------------------------

PERIMETER = res(
    "AWS::IAM::ManagedPolicy",
    PolicyDocument={"Statement": [{"Sid": sid, "Effect": "Deny", "Action": "x:*",
                                   "Resource": "*"} for sid in PERIMETER_SIDS]},
    Roles=[{"Ref": "Role"}],
)  # fmt: skip
ROLE = res("AWS::IAM::Role", AssumeRolePolicyDocument={})


def test_a_role_in_the_perimeters_roles_passes_and_a_detached_one_fails() -> None:
    clean = template({"Perimeter": PERIMETER, "Role": ROLE})
    assert judge(per2_perimeter_attached.RULE, clean, "Role")
    weak = copy.deepcopy(clean)
    weak["Resources"]["Perimeter"]["Properties"]["Roles"] = []
    assert not judge(per2_perimeter_attached.RULE, weak, "Role")


def test_a_role_that_attaches_the_perimeter_itself_passes() -> None:
    perimeter = copy.deepcopy(PERIMETER)
    del perimeter["Properties"]["Roles"]
    role = res("AWS::IAM::Role", ManagedPolicyArns=[{"Ref": "Perimeter"}])
    assert judge(per2_perimeter_attached.RULE, template({"Perimeter": perimeter, "Role": role}),
                 "Role")  # fmt: skip


def test_a_policy_missing_a_perimeter_statement_is_not_the_perimeter() -> None:
    hollow = copy.deepcopy(PERIMETER)
    hollow["Properties"]["PolicyDocument"]["Statement"][0]["Effect"] = "Allow"
    assert not judge(per2_perimeter_attached.RULE, template({"Perimeter": hollow, "Role": ROLE}),
                     "Role")  # fmt: skip


# -- the red team's weakenings on a real room -------------------------------------------------


@pytest.fixture(scope="module")
def weakened_room_failure(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One room stack carrying all three weakenings; the gate's message."""
    app = App(outdir=str(tmp_path_factory.mktemp("copies")))
    stack = DeployTimeZonesStack(app, "LeakyRoom", env=ROOM_ENV)
    room = _room(stack, "leaky-room")
    room.results_bucket.node.default_child.add_property_override(  # type: ignore[union-attr]
        "ReplicationConfiguration", REPLICATION
    )
    group = logs.LogGroup(stack, "Group")
    logs.CfnSubscriptionFilter(
        stack, "Sink", log_group_name=group.log_group_name, filter_pattern="",
        destination_arn=f"arn:aws:logs:us-east-1:{OTHER}:destination:sink",
    )  # fmt: skip
    shared = s3.Bucket(stack, "Shared")
    shared.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ArnPrincipal(f"arn:aws:iam::{OTHER}:role/Partner")],
            actions=["s3:GetObject"],
            resources=[shared.arn_for_objects("*")],
        )
    )
    room.perimeter_policy.node.default_child.add_property_override(  # type: ignore[union-attr]
        "Roles", []
    )
    apply_nag_gate(app)
    with pytest.raises(RuntimeError) as failure:
        app.synth()
    return str(failure.value)


@pytest.mark.parametrize(
    "rule_id", ["PER2NoCopiesOut", "S34BucketPolicyAccount", "PER2PerimeterAttached"]
)
def test_the_red_team_weakenings_fail_synth(weakened_room_failure: str, rule_id: str) -> None:
    assert f"DataRoom-{rule_id}" in weakened_room_failure


def test_each_weakening_is_named_where_it_is(weakened_room_failure: str) -> None:
    for path in ("LeakyRoom/Sink", "LeakyRoom/Shared/Policy", "LeakyRoom/Room/Storage/Results"):
        assert path in weakened_room_failure, path
