"""The airlock construct and its manifest section: what the template holds, what is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from dataroom.airlock.definition import BY_REQUEST_INDEX, SUBSTITUTIONS, definition
from dataroom.airlock.records import BY_KIND_INDEX
from dataroom.constructs.airlock import Airlock
from dataroom.manifest import ManifestError, parse_manifest
from dataroom.stacks import DataRoomStack
from tests.conftest import EXAMPLE, TODAY

APPROVERS = ("security-lead@example.com", "data-protection@example.com")


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_deployed_definition_is_the_tested_one(
    room_stack: DataRoomStack, room_template_json
) -> None:
    (machine,) = _resources(room_template_json, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    expected = definition(approvers=APPROVERS, poll_seconds=4 * 3600, ttl_seconds=14 * 86400)
    assert json.loads(props["DefinitionString"]) == expected
    assert set(props["DefinitionSubstitutions"]) == set(SUBSTITUTIONS)


def test_the_table_has_the_keys_and_indexes_the_machine_and_cli_use(room_template_json) -> None:
    (table,) = _resources(room_template_json, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {i["IndexName"]: i["KeySchema"] for i in props["GlobalSecondaryIndexes"]}
    assert [k["AttributeName"] for k in indexes[BY_REQUEST_INDEX]] == ["request_id", "sk"]
    assert [k["AttributeName"] for k in indexes[BY_KIND_INDEX]] == ["kind", "at"]
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    denied = props["ResourcePolicy"]["PolicyDocument"]["Statement"][0]
    assert denied["Effect"] == "Deny" and "dynamodb:UpdateItem" in denied["Action"]


def test_the_review_bucket_is_scanned_with_tagging(room_template: Template) -> None:
    room_template.has_resource_properties(
        "AWS::GuardDuty::MalwareProtectionPlan",
        {
            "Actions": {"Tagging": {"Status": "ENABLED"}},
            "ProtectedResource": {"S3Bucket": {"BucketName": Match.any_value()}},
        },
    )


def test_airlock_buckets_are_like_the_rooms_buckets(room_template_json) -> None:
    buckets = [
        b
        for b in _resources(room_template_json, "AWS::S3::Bucket").values()
        if any(t["Key"] == "dataroom:airlock" for t in b["Properties"].get("Tags", []))
    ]
    assert len(buckets) == 2
    for bucket in buckets:
        props = bucket["Properties"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert props["LoggingConfiguration"]["LogFilePrefix"].startswith("airlock-")
        assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True


def test_the_scientist_may_request_and_the_glovebox_reaches_the_airlock(
    room_template: Template,
) -> None:
    room_template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "dynamodb:PutItem",
                                "Condition": {
                                    "ForAllValues:StringEquals": {
                                        "dynamodb:LeadingKeys": ["${aws:SourceIdentity}"]
                                    },
                                    "Null": {"aws:SourceIdentity": "false"},
                                },
                            }
                        ),
                        Match.object_like({"Action": "states:StartExecution"}),
                    ]
                )
            },
            "Roles": [{"Ref": Match.string_like_regexp("ScientistRole")}],
        },
    )
    endpoints = room_template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}}
    )
    (dynamodb,) = [e for e in endpoints.values() if "dynamodb" in json.dumps(e)]
    (only,) = dynamodb["Properties"]["PolicyDocument"]["Statement"]
    assert set(only["Action"]) == {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"}
    assert "Airlock" in json.dumps(only["Resource"])


def test_the_boundary_denies_taking_the_airlock_apart(room_template: Template) -> None:
    room_template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "DenyAirlockTampering",
                                "Effect": "Deny",
                                "Action": Match.array_with(["dynamodb:PutResourcePolicy"]),
                            }
                        )
                    ]
                )
            }
        },
    )


def _bare_airlock(**overrides: Any) -> Airlock:
    app = App()
    stack = Stack(app, "S")
    key = kms.Key(stack, "K")
    results = s3.Bucket(stack, "R", versioned=True)
    logs = s3.Bucket(stack, "L")
    props: dict[str, Any] = {
        "encryption_key": key,
        "results_bucket": results,
        "access_logs_bucket": logs,
        "approvers": APPROVERS,
        "consumers": [iam.Role.from_role_arn(stack, "C", "arn:aws:iam::333333333333:role/C")],
        "approver_principals": [
            iam.Role.from_role_arn(stack, "A", "arn:aws:iam::123456789012:role/Reviewer")
        ],
    }
    props.update(overrides)
    return Airlock(stack, "Airlock", **props)


def test_one_approver_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"approvers=\['a@example.com', 'a@example.com'\]: expected"
    ):
        _bare_airlock(approvers=["a@example.com", "a@example.com"])


def test_no_consumer_and_a_long_ttl_are_refused_together() -> None:
    with pytest.raises(ValueError, match=r"consumers=\[\].*request_ttl=45 days") as info:
        _bare_airlock(consumers=[], request_ttl=Duration.days(45))
    assert "Airlock" in str(info.value)


def test_without_the_plan_in_local_mode_only() -> None:
    lock = _bare_airlock(malware_protection=False)
    Template.from_stack(Stack.of(lock)).resource_count_is(
        "AWS::GuardDuty::MalwareProtectionPlan", 0
    )


def _manifest_with(airlock_yaml: str, approvers: str = "[a@example.com, b@example.com]") -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        "    approvers: [security-lead@example.com, data-protection@example.com]",
        f"    approvers: {approvers}",
    )
    start = text.index("    airlock:")
    return text[:start] + airlock_yaml


def test_the_manifest_section_is_validated_with_its_path() -> None:
    text = _manifest_with(
        "    airlock:\n      consumers: ['arn:aws:iam::333333333333:user/bob']\n"
        "      request_ttl_days: 60\n"
    )
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, source="rooms.yaml", today=TODAY)
    messages = "\n".join(info.value.messages)
    assert (
        "rooms[0].airlock.consumers[0]: 'arn:aws:iam::333333333333:user/bob' is not an IAM role"
        in messages
    )
    assert "rooms[0].airlock.request_ttl_days" in messages


def test_the_ttl_defaults_to_fourteen_days() -> None:
    text = _manifest_with("    airlock:\n      consumers: ['arn:aws:iam::333333333333:role/C']\n")
    room = parse_manifest(text, today=TODAY).rooms[0]
    assert room.airlock is not None and room.airlock.request_ttl_days == 14


def test_an_airlock_needs_two_approvers_in_the_manifest() -> None:
    text = _manifest_with(
        "    airlock:\n      consumers: ['arn:aws:iam::333333333333:role/C']\n",
        approvers="[a@example.com]",
    )
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, source="rooms.yaml", today=TODAY)
    (message,) = [m for m in info.value.messages if "airlock" in m]
    assert "rooms[0].airlock: the room has 1 approver(s)" in message
    assert message.startswith("rooms.yaml:")


def test_the_room_trail_records_data_events_of_the_airlock_buckets(
    room_stack: DataRoomStack,
) -> None:
    assert room_stack.airlock is not None
    recorded = json.dumps(room_stack.resolve(list(room_stack.trail.data_resources)))
    for bucket in (room_stack.airlock.review_bucket, room_stack.airlock.export_bucket):
        assert room_stack.get_logical_id(bucket.node.default_child) in recorded  # type: ignore[arg-type]
