"""Template tests, one per control of the foundation (NET-1..5, S3-1..4, RoomKey, CHG-1 tags).

Resources are found by type or through the construct that made them (``stack.get_logical_id``),
never by a hashed logical id written into a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnElement
from aws_cdk.assertions import Match, Template
from constructs import IConstruct

from dataroom.stacks import DataRoomStack


def lid(stack: DataRoomStack, construct: IConstruct) -> str:
    child = construct.node.default_child
    assert isinstance(child, CfnElement)
    return stack.get_logical_id(child)


def resource(template: Template, stack: DataRoomStack, construct: IConstruct) -> dict[str, Any]:
    resources = template.to_json()["Resources"]
    return resources[lid(stack, construct)]  # type: ignore[no-any-return]


def statements(policy_resource: dict[str, Any]) -> list[dict[str, Any]]:
    doc = policy_resource["Properties"].get("PolicyDocument", {})
    return list(doc.get("Statement", []))


# --- NET-1: no internet path -------------------------------------------------------------------


def test_net1_no_internet_path(room_template: Template) -> None:
    for kind in (
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::VPCPeeringConnection",
        "AWS::EC2::TransitGatewayAttachment",
        "AWS::EC2::TransitGatewayVpcAttachment",
        "AWS::EC2::EIP",
        "AWS::EC2::VPNGateway",
    ):
        room_template.resource_count_is(kind, 0)
    room_template.resource_count_is("AWS::EC2::Subnet", 2)
    room_template.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})
    for route in room_template.find_resources("AWS::EC2::Route").values():
        assert "GatewayId" not in route["Properties"] and "NatGatewayId" not in route["Properties"]


def test_net1_subnets_span_two_zones_without_lookups(room_template: Template, example_app) -> None:
    zones = [
        s["Properties"]["AvailabilityZone"]
        for s in room_template.find_resources("AWS::EC2::Subnet").values()
    ]
    assert zones == [
        {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
    ]


def test_synth_needs_no_context_lookup(example_app) -> None:
    # A look-up would make `cdk synth` call AWS (credentials, network); none may be pending.
    assembly = example_app.synth()
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    assert "missing" not in manifest


# --- NET-2: private endpoints, HTTPS from the VPC only -----------------------------------------


WORKBENCH_SERVICES = (
    "aws.sagemaker.us-east-1.notebook",
    "com.amazonaws.us-east-1.codeartifact.api",
    "com.amazonaws.us-east-1.codeartifact.repositories",
    "com.amazonaws.us-east-1.sagemaker.api",
    "com.amazonaws.us-east-1.sagemaker.runtime",
)


def test_net2_interface_endpoints_private_dns_and_account_policy(room_template: Template) -> None:
    endpoints = room_template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface"}}
    )
    services = sorted(e["Properties"]["ServiceName"] for e in endpoints.values())
    assert sorted(services) == sorted(
        [
            "com.amazonaws.us-east-1.athena",
            "com.amazonaws.us-east-1.glue",
            "com.amazonaws.us-east-1.kms",
            "com.amazonaws.us-east-1.logs",
            "com.amazonaws.us-east-1.states",  # the export airlock's CLI (EXP-1)
            "com.amazonaws.us-east-1.sts",
            # the example room's workbench (docs/workbench.md)
            *WORKBENCH_SERVICES,
        ]
    )
    for endpoint in endpoints.values():
        assert endpoint["Properties"]["PrivateDnsEnabled"] is True
        # the workbench's endpoints also deny principals other than its role
        (only,) = [s for s in statements(endpoint) if s["Effect"] == "Allow"]
        assert only["Effect"] == "Allow"
        assert only["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "222222222222"}}


def test_net2_endpoint_security_group_admits_https_from_vpc_only(room_template: Template) -> None:
    groups = room_template.find_resources("AWS::EC2::SecurityGroup")
    # the endpoints' group (the workbench has its own, tests/unit/test_workbench.py)
    (props,) = [
        g["Properties"]
        for g in groups.values()
        if "interface endpoints" in g["Properties"]["GroupDescription"]
    ]
    assert props["SecurityGroupIngress"] == [
        {
            "CidrIp": "10.80.0.0/22",
            "Description": "HTTPS from the room VPC",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    # CDK's marker for "no egress at all"
    assert props["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"
    room_template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)
    room_template.resource_count_is("AWS::EC2::SecurityGroupEgress", 0)


# --- NET-3: data perimeter on the S3 endpoint --------------------------------------------------


def test_net3_s3_endpoint_names_room_buckets_and_approved_prefixes_only(
    room_template: Template, room_stack: DataRoomStack
) -> None:
    gateway = room_template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}}
    )
    gateway = {
        k: v for k, v in gateway.items() if ".s3" in json.dumps(v["Properties"]["ServiceName"])
    }
    assert len(gateway) == 1
    stmts = statements(next(iter(gateway.values())))
    resources = json.dumps([s["Resource"] for s in stmts])
    intermediate = lid(room_stack, room_stack.storage.intermediate_bucket)
    results = lid(room_stack, room_stack.storage.results_bucket)
    logs = lid(room_stack, room_stack.storage.access_logs_bucket)
    assert intermediate in resources and results in resources
    assert logs not in resources, "the access-log bucket is not reachable from the room"
    assert all(s["Effect"] == "Allow" for s in stmts)
    assert '"*"' not in resources
    dataset_objects = [s for s in stmts if s["Sid"].startswith("DatasetObjects")]
    (objects,) = dataset_objects
    assert sorted(objects["Action"]) == ["s3:GetObject", "s3:GetObjectVersion"]
    assert sorted(objects["Resource"]) == [
        "arn:aws:s3:::prod-telemetry/events/network/*",
        "arn:aws:s3:::prod-telemetry/events/process/*",
    ]
    (listing,) = [s for s in stmts if s["Sid"].startswith("DatasetListing")]
    assert sorted(listing["Action"]) == ["s3:GetBucketLocation", "s3:ListBucket"]
    assert listing["Resource"] == "arn:aws:s3:::prod-telemetry"
    writes = {"s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy", "s3:PutObjectAcl"}
    assert not writes & set(objects["Action"]) and not writes & set(listing["Action"])


def test_net3_empty_perimeter_refuses_to_synthesize(context) -> None:
    import pytest
    from aws_cdk import App, Stack
    from aws_cdk import aws_kms as kms

    from dataroom.constructs import Glovebox

    app = App(context=context)
    stack = Stack(app, "S")
    Glovebox(stack, "G", availability_zones=["a", "b"], flow_log_key=kms.Key(stack, "K"))
    with pytest.raises(Exception, match="NET-3: the S3 endpoint permits no bucket"):
        app.synth()


# --- NET-4 / NET-5 -----------------------------------------------------------------------------


def test_net4_default_security_group_is_stripped(room_template: Template) -> None:
    room_template.has_resource_properties(
        "Custom::VpcRestrictDefaultSG",
        {"DefaultSecurityGroupId": {"Fn::GetAtt": [Match.any_value(), "DefaultSecurityGroup"]}},
    )


def test_net5_flow_logs_all_traffic_to_encrypted_group_with_retention(
    room_template: Template, room_stack: DataRoomStack
) -> None:
    room_template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "ResourceId": {"Ref": lid(room_stack, room_stack.glovebox.vpc)},
        },
    )
    room_template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "RetentionInDays": 365,
            "KmsKeyId": {"Fn::GetAtt": [lid(room_stack, room_stack.room_key.key), "Arn"]},
        },
    )
    room_template.has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Retain"})


# --- S3-1 .. S3-4 ------------------------------------------------------------------------------


def test_s3_1_intermediate_expires_results_retained(
    room_template: Template, room_stack: DataRoomStack
) -> None:
    # intermediate, results, access logs (S3-1), the trail's log bucket (MON-1), Config's (MON-5),
    # the object-locked evidence bucket (LCY-3) and the airlock's review and export buckets (EXP-1)
    room_template.resource_count_is("AWS::S3::Bucket", 8)
    inter = resource(room_template, room_stack, room_stack.storage.intermediate_bucket)
    rule = inter["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert (
        rule["ExpirationInDays"] == 30
        and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    )
    results = resource(room_template, room_stack, room_stack.storage.results_bucket)
    assert results["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "ExpirationInDays" not in json.dumps(results["Properties"])
    for bucket in room_stack.storage.buckets:
        res = resource(room_template, room_stack, bucket)
        assert res["DeletionPolicy"] == "Retain" and res["UpdateReplacePolicy"] == "Retain"
    logs = resource(room_template, room_stack, room_stack.storage.access_logs_bucket)
    # S3 cannot deliver server access logs to a bucket with Object Lock: it must stay off.
    assert not logs["Properties"].get("ObjectLockEnabled")


def test_s3_2_room_key_encrypts_and_other_keys_are_refused(
    room_template: Template, room_stack: DataRoomStack
) -> None:
    key = lid(room_stack, room_stack.room_key.key)
    for bucket in (room_stack.storage.intermediate_bucket, room_stack.storage.results_bucket):
        enc = resource(room_template, room_stack, bucket)["Properties"]["BucketEncryption"]
        assert enc["ServerSideEncryptionConfiguration"] == [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]},
                    "SSEAlgorithm": "aws:kms",
                },
            }
        ]
        policy = _bucket_policy(room_template, room_stack, bucket)
        by_sid = {s.get("Sid"): s for s in policy}
        assert by_sid["DenyUploadsWithAnotherKey"]["Condition"] == {
            "StringNotEqualsIfExists": {
                "s3:x-amz-server-side-encryption-aws-kms-key-id": {"Fn::GetAtt": [key, "Arn"]}
            }
        }
        assert by_sid["DenyUploadsWithAnotherAlgorithm"]["Effect"] == "Deny"


def _bucket_policy(template: Template, stack: DataRoomStack, bucket) -> list[dict[str, Any]]:
    policies = template.find_resources(
        "AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": lid(stack, bucket)}}}
    )
    assert len(policies) == 1
    return statements(next(iter(policies.values())))


def test_s3_3_private_tls_only_and_confined_to_the_glovebox(
    room_template: Template, room_stack: DataRoomStack
) -> None:
    room_template.all_resources_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
    )
    endpoint = lid(room_stack, room_stack.glovebox.s3_endpoint)
    for bucket in room_stack.storage.buckets:
        stmts = _bucket_policy(room_template, room_stack, bucket)
        conditions = [s.get("Condition", {}) for s in stmts if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
        confined = [s for s in stmts if s.get("Sid") == "DenyDataAccessFromOutsideTheGlovebox"]
        if bucket is room_stack.storage.access_logs_bucket:
            assert confined == []
        else:
            assert confined[0]["Condition"]["StringNotEquals"] == {
                "aws:SourceVpce": {"Ref": endpoint}
            }
            assert (
                "s3:GetObject" in confined[0]["Action"] and "s3:PutObject" in confined[0]["Action"]
            )


def test_s3_4_access_logging_and_no_principal_outside_the_room(
    room_template: Template, room_stack: DataRoomStack
) -> None:
    logs = lid(room_stack, room_stack.storage.access_logs_bucket)
    for bucket in (room_stack.storage.intermediate_bucket, room_stack.storage.results_bucket):
        cfg = resource(room_template, room_stack, bucket)["Properties"]["LoggingConfiguration"]
        assert cfg["DestinationBucketName"] == {"Ref": logs}
    for bucket in room_stack.storage.buckets:
        outside = [
            s
            for s in _bucket_policy(room_template, room_stack, bucket)
            if s.get("Sid") == "DenyPrincipalsOutsideTheRoomAccount"
        ]
        assert outside and outside[0]["Condition"]["StringNotEquals"] == {
            "aws:PrincipalAccount": "222222222222"
        }
        assert outside[0]["Action"] == "s3:*"
    for policy in room_template.find_resources("AWS::S3::BucketPolicy").values():
        for stmt in statements(policy):
            if stmt["Effect"] == "Allow":
                assert stmt["Principal"] != {"AWS": "*"} and stmt["Principal"] != "*"


# --- RoomKey and tags --------------------------------------------------------------------------


def test_room_key_rotates_is_retained_and_names_its_users(room_template: Template) -> None:
    keys = room_template.find_resources("AWS::KMS::Key")
    assert len(keys) == 1
    key = next(iter(keys.values()))
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    assert key["DeletionPolicy"] == "Retain"
    stmts = key["Properties"]["KeyPolicy"]["Statement"]
    logs = [s for s in stmts if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"]
    assert logs[0]["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:EncryptionContext:aws:logs:arn" in json.dumps(logs[0]["Condition"])
    room_template.has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": "alias/dataroom/abnormal-process-exec"}
    )


def test_chg1_every_taggable_resource_carries_the_room(room_template: Template) -> None:
    expected = {
        "dataroom:room": "abnormal-process-exec",
        "dataroom:ticket": "SEC-1234",
        "dataroom:phase": "exploration",
        "dataroom:owner": "scientist@example.com",
    }
    tagged = 0
    expiry_on = set()
    for logical_id, res in room_template.to_json()["Resources"].items():
        tags = res.get("Properties", {}).get("Tags")
        if not isinstance(tags, list):
            continue
        tagged += 1
        values = {t["Key"]: t["Value"] for t in tags}
        for key, value in expected.items():
            assert values.get(key) == value, f"{logical_id} lacks {key}"
        if "dataroom:expires" in values:
            assert values["dataroom:expires"] == "2027-05-15"
            expiry_on.add(res["Type"])
    assert tagged >= 12
    # The expiry only on what it governs, so an extension does not touch every resource.
    assert expiry_on == {"AWS::EC2::VPC", "AWS::KMS::Key", "AWS::IAM::Role"}


def test_stack_environment_and_name(room_stack: DataRoomStack) -> None:
    assert room_stack.account == "222222222222" and room_stack.region == "us-east-1"
    assert room_stack.stack_name == "dataroom-abnormal-process-exec"
