"""Smoke test: the example room's DataRoomStack, created in moto's CloudFormation.

The session fixture ``deployed`` (``conftest.py``) creates the stack in the room's account
(222222222222, us-east-1, both taken from the synthesized stack) with ``deploy.deploy_stack``,
which says what ``cdk bootstrap``/``cdk deploy`` steps it reproduces and which two changes moto
needs in the template. The tests read the resources back with boto3 and find them through the
stack's resources by logical-id prefix.

What moto does not model, as observed here, so these tests cannot show it:

- NET-4 (default security group without rules): the custom resource that strips it never runs.
- ``AWS::S3::BucketPolicy`` is not supported by moto's CloudFormation: the bucket policies (TLS,
  account and glovebox perimeter, room-key uploads) are not created, let alone enforced.
- ``AWS::S3::Bucket`` keeps only its name, ``BucketEncryption`` (without ``BucketKeyEnabled``)
  and ``Tags``: public access block, versioning, object lock, ownership controls, access logging
  and lifecycle rules are dropped. The public-access and versioning tests are therefore strict
  xfails; they start failing (XPASS) when moto learns those properties.
- ``AWS::EC2::VPC`` ignores ``EnableDnsHostnames``/``EnableDnsSupport``; ``AWS::EC2::Subnet``
  ignores ``MapPublicIpOnLaunch`` (always false in moto, so that one check cannot fail here);
  ``AWS::EC2::SecurityGroup`` ignores ``SecurityGroupEgress`` (moto keeps the allow-all egress
  rule); ``AWS::Logs::LogGroup`` ignores ``KmsKeyId``.
- moto stores a ``KeyPolicy`` given as a JSON object unserialized, after which ``DescribeKey`` on
  the room key fails with HTTP 500 and ``GetKeyPolicy`` answers NotFound; the tests avoid both.
- Policies are stored, never evaluated for requests: VPC endpoint policies, IAM policies, the key
  policy. The template's ``Rules`` (CDK's bootstrap-version check) are not evaluated either.
- There is no traffic: flow logs deliver nothing, private DNS resolves nothing, and "no route to
  the internet" rests on the absence of gateways and default routes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import Stack
from botocore.exceptions import ClientError

from dataroom.stacks import DataRoomStack
from tests.moto.deploy import SKIPPED_BY_MOTO, DeployedStack, policy_document
from tests.moto.test_workbench_moto import workbench_service_names

pytestmark = pytest.mark.moto

#: ``aws_client(service, account=..., region=...)`` from ``conftest.py``.
ClientFactory = Callable[..., Any]

INTERFACE_SERVICES = ("sts", "kms", "logs", "athena", "glue", "states")
#: Gateway endpoints: S3 (room data) and DynamoDB (the export airlock's table, EXP-1).
GATEWAY_SERVICES = ("s3", "dynamodb")
ROOM_BUCKETS = ("StorageIntermediate", "StorageResults")
ACCESS_LOG_BUCKET = "StorageAccessLogs"


@pytest.fixture(scope="module")
def deployed_room(
    room_stack: DataRoomStack, deployed: Callable[[Stack], DeployedStack]
) -> DeployedStack:
    return deployed(room_stack)


@pytest.fixture(scope="module")
def client(deployed_room: DeployedStack, aws_client: ClientFactory) -> Callable[[str], Any]:
    """Clients in the room's account and region."""

    def make(service: str) -> Any:
        return aws_client(service, account=deployed_room.account, region=deployed_room.region)

    return make


@pytest.fixture(scope="module")
def vpc_id(deployed_room: DeployedStack) -> str:
    return deployed_room.physical_id("Glovebox", "AWS::EC2::VPC")


def test_stack_is_created_in_the_room_account(deployed_room: DeployedStack) -> None:
    assert deployed_room.stack_status == "CREATE_COMPLETE"
    assert deployed_room.stack_id.startswith(
        f"arn:aws:cloudformation:{deployed_room.region}:{deployed_room.account}:stack/"
        f"{deployed_room.stack.stack_name}/"
    )
    assert deployed_room.account == "222222222222"
    expected_outputs = {
        "VpcId": deployed_room.physical_id("Glovebox", "AWS::EC2::VPC"),
        "IntermediateBucketName": deployed_room.physical_id(
            "StorageIntermediate", "AWS::S3::Bucket"
        ),
        "ResultsBucketName": deployed_room.physical_id("StorageResults", "AWS::S3::Bucket"),
    }
    assert {key: deployed_room.outputs.get(key) for key in expected_outputs} == expected_outputs


def test_moto_creates_every_resource_but_the_documented_ones(deployed_room: DeployedStack) -> None:
    """Keeps the module docstring honest: moto skips exactly the types it lists, nothing more."""
    template_resources = deployed_room.template["Resources"]
    assert [template_resources[r]["Type"] for r in deployed_room.removed] == [
        "Custom::VpcRestrictDefaultSG"
    ]
    skipped = {
        logical_id
        for logical_id, resource in template_resources.items()
        if resource["Type"] in SKIPPED_BY_MOTO
    }
    expected = set(template_resources) - set(deployed_room.removed) - skipped
    assert set(deployed_room.resources) == expected
    assert deployed_room.unnamed_resources == len(skipped)
    not_complete = {
        logical_id: summary["ResourceStatus"]
        for logical_id, summary in deployed_room.resources.items()
        if summary["ResourceStatus"] != "CREATE_COMPLETE"
    }
    assert not_complete == {}


@pytest.mark.parametrize(
    ("prefix", "expected_file"),
    [
        ("CustomVpcRestrictDefaultSG", "__entrypoint__.js"),
        ("Remediation", "handler.py"),
        ("Lifecycle", "handler.py"),
    ],
)
def test_function_code_is_the_published_asset(
    deployed_room: DeployedStack, client: Callable[[str], Any], prefix: str, expected_file: str
) -> None:
    """Each function's code came from the bootstrap bucket, where the assets went."""
    name = deployed_room.physical_id(prefix, "AWS::Lambda::Function")
    configuration = client("lambda").get_function(FunctionName=name)["Configuration"]
    zips = {
        base64.b64encode(hashlib.sha256(body).digest()).decode(): body
        for key, body in deployed_room.published.items()
        if key.endswith(".zip")
    }
    assert len(zips) == 3, sorted(deployed_room.published)
    body = zips[configuration["CodeSha256"]]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert expected_file in archive.namelist()


def test_glovebox_has_no_route_to_the_internet(
    deployed_room: DeployedStack, client: Callable[[str], Any], vpc_id: str
) -> None:
    ec2 = client("ec2")
    attached = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    assert attached == []
    every_attachment = [
        attachment["VpcId"]
        for gateway in ec2.describe_internet_gateways()["InternetGateways"]
        for attachment in gateway.get("Attachments", [])
    ]
    assert vpc_id not in every_attachment
    nat = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    assert nat["NatGateways"] == []
    egress_only = [
        gateway
        for gateway in ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]
        if any(a.get("VpcId") == vpc_id for a in gateway.get("Attachments", []))
    ]
    assert egress_only == []

    gateway_endpoints = {
        deployed_room.physical_id("GloveboxS3Endpoint", "AWS::EC2::VPCEndpoint"),
        deployed_room.physical_id("GloveboxDynamoDbEndpoint", "AWS::EC2::VPCEndpoint"),
    }
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    routes = [route for table in tables["RouteTables"] for route in table["Routes"]]
    assert routes, "the VPC has no route table"
    for route in routes:
        if route.get("GatewayId") == "local":
            continue
        # The only other routes are the gateway endpoints' prefix lists: no default route.
        assert route.get("GatewayId") in gateway_endpoints, route
        assert "DestinationPrefixListId" in route, route
        assert route.get("DestinationCidrBlock") != "0.0.0.0/0", route
        assert route.get("DestinationIpv6CidrBlock") != "::/0", route


def test_glovebox_has_two_isolated_subnets(
    deployed_room: DeployedStack, client: Callable[[str], Any], vpc_id: str
) -> None:
    subnets = client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "Subnets"
    ]
    assert len(subnets) == 2
    # moto ignores MapPublicIpOnLaunch from CloudFormation: this check cannot fail under moto.
    assert [s["MapPublicIpOnLaunch"] for s in subnets] == [False, False]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    vpc_block = ipaddress.IPv4Network(deployed_room.stack.room.vpc_cidr)
    for subnet in subnets:
        assert ipaddress.IPv4Network(subnet["CidrBlock"]).subnet_of(vpc_block), subnet
        tags = {tag["Key"]: tag["Value"] for tag in subnet.get("Tags", [])}
        assert tags.get("aws-cdk:subnet-type") == "Isolated", tags
    assert sorted(s["SubnetId"] for s in subnets) == sorted(
        deployed_room.physical_ids("AWS::EC2::Subnet")
    )


def test_glovebox_reaches_aws_through_its_endpoints_only(
    deployed_room: DeployedStack, client: Callable[[str], Any], vpc_id: str
) -> None:
    ec2 = client("ec2")
    region, account = deployed_room.region, deployed_room.account
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "VpcEndpoints"
    ]
    by_service = {e["ServiceName"]: e for e in endpoints}
    expected = {
        f"com.amazonaws.{region}.{name}" for name in (*GATEWAY_SERVICES, *INTERFACE_SERVICES)
    }
    expected |= workbench_service_names(region)  # the example room has a workbench
    assert set(by_service) == expected
    assert len(endpoints) == len(expected)

    subnet_ids = sorted(deployed_room.physical_ids("AWS::EC2::Subnet"))
    security_group = deployed_room.physical_id(
        "GloveboxEndpointSecurityGroup", "AWS::EC2::SecurityGroup"
    )
    for name in INTERFACE_SERVICES:
        endpoint = by_service[f"com.amazonaws.{region}.{name}"]
        assert endpoint["VpcEndpointType"] == "Interface", name
        assert endpoint["PrivateDnsEnabled"] is True, name
        assert sorted(endpoint["SubnetIds"]) == subnet_ids, name
        assert [g["GroupId"] for g in endpoint["Groups"]] == [security_group], name
        statements = policy_document(endpoint["PolicyDocument"])["Statement"]
        assert [s["Condition"] for s in statements] == [
            {"StringEquals": {"aws:PrincipalAccount": account}}
        ], name

    (group,) = ec2.describe_security_groups(GroupIds=[security_group])["SecurityGroups"]
    ingress = [
        (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), r["CidrIp"])
        for rule in group["IpPermissions"]
        for r in rule["IpRanges"]
    ]
    assert ingress == [("tcp", 443, 443, deployed_room.stack.room.vpc_cidr)]

    s3_endpoint = by_service[f"com.amazonaws.{region}.s3"]
    assert s3_endpoint["VpcEndpointType"] == "Gateway"
    assert sorted(s3_endpoint["RouteTableIds"]) == sorted(
        deployed_room.physical_ids("AWS::EC2::RouteTable")
    )
    # NET-3 with the deployed names: the endpoint admits the room's own two buckets by name.
    resources = {
        resource
        for statement in policy_document(s3_endpoint["PolicyDocument"])["Statement"]
        if statement["Sid"].startswith("RoomBucket")
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
    }
    room_buckets = [deployed_room.physical_id(p, "AWS::S3::Bucket") for p in ROOM_BUCKETS]
    assert resources == {
        arn for name in room_buckets for arn in (f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*")
    }


def test_flow_logs_capture_all_traffic(
    deployed_room: DeployedStack, client: Callable[[str], Any], vpc_id: str
) -> None:
    flow_logs = client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [vpc_id]}]
    )["FlowLogs"]
    assert len(flow_logs) == 1
    (flow_log,) = flow_logs
    group_name = deployed_room.physical_id("GloveboxFlowLogs", "AWS::Logs::LogGroup")
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert flow_log["LogDestination"].endswith(f":log-group:{group_name}")
    groups = client("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [365]


def test_room_key_rotates_and_is_named_after_the_room(
    deployed_room: DeployedStack, client: Callable[[str], Any]
) -> None:
    kms = client("kms")
    key_id = deployed_room.physical_id("RoomKey", "AWS::KMS::Key")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = [a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]]
    assert aliases == [f"alias/dataroom/{deployed_room.stack.room.name}"]
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags["dataroom:room"] == deployed_room.stack.room.name


def _room_key_arn(deployed_room: DeployedStack) -> str:
    key_id = deployed_room.physical_id("RoomKey", "AWS::KMS::Key")
    return f"arn:aws:kms:{deployed_room.region}:{deployed_room.account}:key/{key_id}"


@pytest.mark.parametrize(
    ("prefix", "algorithm"),
    [
        ("StorageIntermediate", "aws:kms"),
        ("StorageResults", "aws:kms"),
        (ACCESS_LOG_BUCKET, "AES256"),
    ],
)
def test_bucket_is_encrypted_by_default(
    deployed_room: DeployedStack, client: Callable[[str], Any], prefix: str, algorithm: str
) -> None:
    s3 = client("s3")
    bucket = deployed_room.physical_id(prefix, "AWS::S3::Bucket")
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert len(rules) == 1
    default = rules[0]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == algorithm
    if algorithm == "aws:kms":
        assert default["KMSMasterKeyID"] == _room_key_arn(deployed_room)
    else:
        assert "KMSMasterKeyID" not in default
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["dataroom:room"] == deployed_room.stack.room.name


ALL_BUCKETS = (*ROOM_BUCKETS, ACCESS_LOG_BUCKET)
_NOT_MODELLED = (
    "moto 5.2's AWS::S3::Bucket keeps only BucketEncryption and Tags; remove this mark when "
    "this test passes"
)


@pytest.mark.xfail(raises=AssertionError, strict=True, reason=_NOT_MODELLED)
def test_buckets_block_all_public_access(
    deployed_room: DeployedStack, client: Callable[[str], Any]
) -> None:
    s3 = client("s3")
    configurations = {}
    for prefix in ALL_BUCKETS:
        bucket = deployed_room.physical_id(prefix, "AWS::S3::Bucket")
        try:
            response = s3.get_public_access_block(Bucket=bucket)
            configurations[prefix] = response["PublicAccessBlockConfiguration"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
                raise
            configurations[prefix] = {}
    all_blocked = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert configurations == dict.fromkeys(ALL_BUCKETS, all_blocked)


@pytest.mark.xfail(raises=AssertionError, strict=True, reason=_NOT_MODELLED)
def test_buckets_are_versioned(deployed_room: DeployedStack, client: Callable[[str], Any]) -> None:
    s3 = client("s3")
    status = {
        prefix: s3.get_bucket_versioning(
            Bucket=deployed_room.physical_id(prefix, "AWS::S3::Bucket")
        ).get("Status")
        for prefix in ALL_BUCKETS
    }
    assert status == dict.fromkeys(ALL_BUCKETS, "Enabled")
