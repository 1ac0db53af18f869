"""MON-2: the production trail records every read of an approved prefix; AuditTrail's guards."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from dataroom.application import build_app
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.manifest import Manifest, parse_manifest
from dataroom.stacks import ProductionAccessStack
from dataroom.stacks.production_access_stack import READ_TRAIL_NAME
from tests.conftest import EXAMPLE, TODAY

TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:111111111111:trail/{READ_TRAIL_NAME}"


@pytest.fixture(scope="session")
def prod_json(example_app: App) -> dict[str, Any]:
    stack = example_app.node.find_child("ProductionAccessStack")
    return Template.from_stack(stack).to_json()  # type: ignore[arg-type,no-any-return]


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = [(k, r) for k, r in template["Resources"].items() if r["Type"] == kind]
    assert len(found) == 1, [k for k, _ in found]
    return found[0]


def _ref_of(template: dict[str, Any], value: Any) -> str:
    """The logical id a Ref or Fn::GetAtt points at."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def _statements(template: dict[str, Any], kind: str, owner: str, field: str) -> list[dict]:
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == kind and _ref_of(template, resource["Properties"][field]) == owner
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _approved_prefixes(manifest: Manifest) -> set[str]:
    return {
        f"arn:aws:s3:::{dataset.bucket}/{dataset.prefix}"
        for room in manifest.rooms
        if room.reads_production
        for dataset in manifest.room_datasets(room)
    }


def test_mon2_trail_records_data_events_of_every_approved_prefix(
    prod_json, example_manifest
) -> None:
    _, trail = _one(prod_json, "AWS::CloudTrail::Trail")
    props = trail["Properties"]
    assert props["TrailName"] == READ_TRAIL_NAME
    assert props["IsLogging"] is True
    (selector,) = props["EventSelectors"]
    assert selector["ReadWriteType"] == "All"
    (resource,) = selector["DataResources"]
    assert resource["Type"] == "AWS::S3::Object"
    assert sorted(resource["Values"]) == sorted(_approved_prefixes(example_manifest))
    assert len(resource["Values"]) == 2


def test_mon2_trail_is_validated_encrypted_and_sent_to_logs(prod_json) -> None:
    _, trail = _one(prod_json, "AWS::CloudTrail::Trail")
    props = trail["Properties"]
    assert props["EnableLogFileValidation"] is True
    assert props["IsMultiRegionTrail"] is True
    key_id, _ = _one(prod_json, "AWS::KMS::Key")
    assert _ref_of(prod_json, props["KMSKeyId"]) == key_id
    group_id, group = _one(prod_json, "AWS::Logs::LogGroup")
    assert _ref_of(prod_json, props["CloudWatchLogsLogGroupArn"]) == group_id
    assert group["Properties"]["RetentionInDays"] == 365
    assert _ref_of(prod_json, group["Properties"]["KmsKeyId"]) == key_id
    assert group["DeletionPolicy"] == "Retain"


def test_mon2_log_bucket_is_locked_encrypted_logged_and_retained(prod_json) -> None:
    _, trail = _one(prod_json, "AWS::CloudTrail::Trail")
    bucket_id = _ref_of(prod_json, trail["Properties"]["S3BucketName"])
    bucket = prod_json["Resources"][bucket_id]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}},
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    key_id, _ = _one(prod_json, "AWS::KMS::Key")
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert _ref_of(prod_json, rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == key_id
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
        True,
    )
    access_logs = _ref_of(prod_json, props["LoggingConfiguration"]["DestinationBucketName"])
    assert access_logs != bucket_id
    assert prod_json["Resources"][access_logs]["DeletionPolicy"] == "Retain"


def test_mon2_only_this_trail_writes_to_the_bucket_and_uses_the_key(prod_json) -> None:
    _, trail = _one(prod_json, "AWS::CloudTrail::Trail")
    bucket_id = _ref_of(prod_json, trail["Properties"]["S3BucketName"])
    statements = _statements(prod_json, "AWS::S3::BucketPolicy", bucket_id, "Bucket")
    for_cloudtrail = [
        s for s in statements if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert {s["Action"] for s in for_cloudtrail} == {"s3:GetBucketAcl", "s3:PutObject"}
    for statement in for_cloudtrail:
        assert statement["Effect"] == "Allow"
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN
    (outsiders,) = [s for s in statements if s.get("Sid") == "DenyPrincipalsOutsideTheAccount"]
    assert outsiders["Effect"] == "Deny"
    assert outsiders["Condition"]["StringNotEquals"] == {"aws:PrincipalAccount": "111111111111"}

    _, key = _one(prod_json, "AWS::KMS::Key")
    key_statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudtrail_key_use = [
        s for s in key_statements if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert {s["Sid"] for s in cloudtrail_key_use} == {
        "CloudTrailEncryptsThisTrailsLogs",
        "CloudTrailDescribesTheKey",
    }
    for statement in cloudtrail_key_use:
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN


def test_mon2_logs_role_is_for_this_trail_with_a_managed_policy(prod_json) -> None:
    _, trail = _one(prod_json, "AWS::CloudTrail::Trail")
    role_id = _ref_of(prod_json, trail["Properties"]["CloudWatchLogsRoleArn"])
    role = prod_json["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    assert "Policies" not in role
    inline = [
        r
        for r in prod_json["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        and any(_ref_of(prod_json, x) == role_id for x in r["Properties"].get("Roles", []))
    ]
    assert inline == []
    (managed,) = role["ManagedPolicyArns"]
    policy = prod_json["Resources"][_ref_of(prod_json, managed)]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert ":log-stream:*" in json.dumps(statement["Resource"])


def test_mon2_rooms_outside_data_phases_add_no_data_events(context) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    second = {
        **data["rooms"][0],
        "name": "sizing",
        "phase": "definition",
        "datasets": [],
        "principals": ["arn:aws:iam::222222222222:role/DataScientist"],
        # One detector and one recorder per account and region: the second room adopts them.
        "monitoring": {
            "existing_guardduty_detector_id": "a" * 32,
            "existing_config_recorder": True,
        },
    }
    data["datasets"].append({**data["datasets"][1], "name": "dns", "prefix": "events/dns/"})
    data["rooms"].append(second)
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    stack = app.node.find_child("ProductionAccessStack")
    assert isinstance(stack, ProductionAccessStack)
    assert set(stack.read_trail.data_resources) == _approved_prefixes(manifest)
    assert not any("events/dns/" in value for value in stack.read_trail.data_resources)


@pytest.fixture()
def bare_stack(context) -> Stack:
    return Stack(App(context=context), "T", env={"account": "111111111111", "region": "us-east-1"})


def test_audit_trail_refuses_short_lock_bad_name_and_imported_key(bare_stack: Stack) -> None:
    key = kms.Key(bare_stack, "K")
    with pytest.raises(ValueError, match=r"trail_name='-x': expected 3-128 letters"):
        AuditTrail(bare_stack, "BadName", encryption_key=key, trail_name="-x")
    with pytest.raises(ValueError, match=r"object_lock_retention=30 days: expected at least 365"):
        AuditTrail(
            bare_stack,
            "Short",
            encryption_key=key,
            trail_name="trail-t",
            object_lock_retention=Duration.days(30),
        )
    imported = kms.Key.from_key_arn(
        bare_stack,
        "Imported",
        "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    with pytest.raises(ValueError, match=r"expected a key defined in this app"):
        AuditTrail(bare_stack, "WithImportedKey", encryption_key=imported, trail_name="trail-2")


def test_audit_trail_refuses_wildcard_prefix_and_too_many_resources(bare_stack: Stack) -> None:
    trail = AuditTrail(
        bare_stack, "Trail", encryption_key=kms.Key(bare_stack, "K"), trail_name="trail-t"
    )
    bucket = s3.Bucket.from_bucket_name(bare_stack, "B", "data")
    with pytest.raises(ValueError, match=r"prefix='events/\*': expected a literal key prefix"):
        trail.add_s3_data_events(bucket, prefix="events/*")
    for index in range(250):
        trail.add_s3_data_events(bucket, prefix=f"p{index}/")
    trail.add_s3_data_events(bucket, prefix="p0/")  # a duplicate takes no new slot
    with pytest.raises(ValueError, match=r"more than 250 S3 data resources"):
        trail.add_s3_data_events(bucket, prefix="p250/")
    assert len(trail.data_resources) == 250


def test_audit_trail_governance_mode_is_an_explicit_choice(bare_stack: Stack) -> None:
    AuditTrail(
        bare_stack,
        "Trail",
        encryption_key=kms.Key(bare_stack, "K"),
        trail_name="trail-t",
        object_lock_mode=s3.ObjectLockMode.GOVERNANCE,
        object_lock_retention=Duration.days(400),
    )
    buckets = Template.from_stack(bare_stack).find_resources(
        "AWS::S3::Bucket",
        {"Properties": {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}},
    )
    rules = [b["Properties"]["ObjectLockConfiguration"].get("Rule") for b in buckets.values()]
    assert {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 400}} in rules
