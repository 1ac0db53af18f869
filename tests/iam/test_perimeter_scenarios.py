"""The data perimeter (PER-1..3, MON-6, room and trail keys) judged by iam-simulate.

Every request that must be denied has a twin, the nearest request that must be allowed, so no
deny passes vacuously. Policies are the example's synthesized ones (``example_app``), resolved
to stand-in names (tests/iam/resolve.py); two small stacks cover what the example has not: a room
sharing the production account (endpoint-id pinning) and a prior read through Secrets Manager.

Requests name every context key their conditions read, as AWS would send them:
``aws:ResourceAccount`` on every request, ``aws:ViaAWSService``/``aws:CalledVia`` for calls a
service makes for the caller, ``aws:SourceVpce``/``aws:VpceAccount`` for calls through an
endpoint, ``aws:SourceAccount``/``aws:SourceArn`` for calls a service makes as itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from dataroom.constructs.data_perimeter import grant_secret_read_through_endpoint
from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from tests.iam.evaluator import (
    assert_no_errors,
    assert_no_ignored_context_keys,
    assert_no_missing_operators,
    decisions,
    evaluate,
)
from tests.iam.resolve import Resolver, logical_id

PROD = "111111111111"
ROOM = "222222222222"
OTHER = "999999999999"
REGION = "us-east-1"
NOW = "2026-12-01T12:00:00Z"
READ_ROLE = f"arn:aws:iam::{PROD}:role/dataroom-abnormal-process-exec-read"
SCIENTIST = f"arn:aws:iam::{ROOM}:role/dataroom-abnormal-process-exec-scientist"
ANALYST = f"arn:aws:iam::{ROOM}:role/Analyst"
ADMIN_ROLE = f"arn:aws:iam::{ROOM}:role/Admin"
WORKGROUP = f"arn:aws:athena:{REGION}:{ROOM}:workgroup/dataroom-abnormal-process-exec"
DATASET_OBJECT = "arn:aws:s3:::prod-telemetry/events/process/2026/11/part-0001.parquet"
DATASET_KEY = f"arn:aws:kms:{REGION}:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


class _Resolver(Resolver):
    """tests/iam/resolve.py, plus the ARNs of the resources only these scenarios name."""

    def ref(self, logical_id: str) -> str:
        if self.resources.get(logical_id, {}).get("Type") == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{logical_id}-AbCdEf"
        return super().ref(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::Events::Rule" and attribute == "Arn":
            return f"arn:aws:events:{self.region}:{self.account}:rule/{logical_id}"
        return super().get_att(logical_id, attribute)


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def policies(example_app: App) -> dict[str, Any]:
    prod = Template.from_stack(example_app.node.find_child("ProductionAccessStack")).to_json()
    room_stack = example_app.node.find_child("DataRoomStack")
    room = Template.from_stack(room_stack).to_json()
    in_prod = _Resolver(prod, account=PROD, region=REGION)
    in_room = _Resolver(room, account=ROOM, region=REGION)

    def logical(construct: Any) -> str:
        return logical_id(room_stack, construct)

    (read_policy,) = _of_type(prod, "AWS::IAM::Policy").values()
    (trail_key,) = _of_type(prod, "AWS::KMS::Key").values()
    (room_key,) = _of_type(room, "AWS::KMS::Key").values()
    (topic_policy,) = _of_type(room, "AWS::SNS::TopicPolicy").values()
    boundary = room["Resources"][logical(room_stack.boundary.policy)]
    delivery = room_stack.alerts.delivery
    (dlq_policy,) = [
        r
        for r in _of_type(room, "AWS::SQS::QueuePolicy").values()
        if {"Ref": logical(delivery.dead_letters)} in r["Properties"]["Queues"]
    ]
    intermediate = room_stack.storage.intermediate_bucket
    scientist = logical(room_stack.scientist_role)
    return {
        "read": in_prod.resolve(read_policy["Properties"]["PolicyDocument"]),
        "trail_key": in_prod.resolve(trail_key["Properties"]["KeyPolicy"]),
        "room_key": in_room.resolve(room_key["Properties"]["KeyPolicy"]),
        "room_key_arn": in_room.get_att(logical(room_stack.room_key.key), "Arn"),
        "topic": in_room.ref(logical(room_stack.alerts.topic)),
        "topic_policy": in_room.resolve(topic_policy["Properties"]["PolicyDocument"]),
        "rule": in_room.get_att(logical(room_stack.alerts.rules["Tampering"]), "Arn"),
        "dlq": in_room.get_att(logical(delivery.dead_letters), "Arn"),
        "dlq_policy": in_room.resolve(dlq_policy["Properties"]["PolicyDocument"]),
        "boundary": in_room.resolve(boundary["Properties"]["PolicyDocument"]),
        "perimeter": in_room.resolve(
            room["Resources"][logical(room_stack.perimeter_policy)]["Properties"]["PolicyDocument"]
        ),
        "scientist": [
            in_room.resolve(r["Properties"]["PolicyDocument"])
            for r in _of_type(room, "AWS::IAM::Policy").values()
            if {"Ref": scientist} in r["Properties"].get("Roles", [])
        ],
        "intermediate": in_room.get_att(logical(intermediate), "Arn"),
        "intermediate_policy": in_room.resolve(
            room["Resources"][logical(intermediate.policy)]["Properties"]["PolicyDocument"]
        ),
    }


@pytest.fixture(scope="module")
def small_stacks(context: dict[str, object]) -> dict[str, Any]:
    """A read role of a room sharing production's account, and a prior behind its endpoint."""
    app = App(context=context)
    stack = Stack(app, "Shared", env={"account": PROD, "region": REGION})
    access = ReadOnlyDatasetAccess(
        stack,
        "Read",
        trusted_role_arns=[f"arn:aws:iam::{PROD}:role/dataroom-shared-scientist"],
        external_id="dataroom-shared-SEC-1",
        expires=dt.date(2027, 5, 31),
        role_name="shared-read",
        endpoint_ids=["vpce-0roomroomroomroom0"],
    )
    access.grant_read_prefix(bucket_name="prod-telemetry", prefix="events/process/")
    key = kms.Key(stack, "Key")
    secret = secretsmanager.Secret(stack, "Prior", encryption_key=key)
    role = iam.Role(stack, "Scientist", assumed_by=iam.AccountRootPrincipal())
    endpoint = ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
        stack, "SecretsEndpoint", vpc_endpoint_id="vpce-0secretssecrets00", port=443
    )
    grant_secret_read_through_endpoint(secret, role, endpoint=endpoint, key=key)
    template = Template.from_stack(stack).to_json()
    resolver = _Resolver(template, account=PROD, region=REGION)
    read_doc, scientist_doc = (
        resolver.resolve(r["Properties"]["PolicyDocument"])
        for r in sorted(
            _of_type(template, "AWS::IAM::Policy").values(),
            key=lambda r: "Read" not in str(r["Properties"]["Roles"]),
        )
    )
    (secret_policy,) = _of_type(template, "AWS::SecretsManager::ResourcePolicy").values()
    (secret_id,) = _of_type(template, "AWS::SecretsManager::Secret")
    return {
        "read": read_doc,
        "scientist": scientist_doc,
        "secret": resolver.ref(secret_id),
        "secret_policy": resolver.resolve(secret_policy["Properties"]["ResourcePolicy"]),
    }


def _ctx(principal: str, account: str, resource_account: str, **extra: Any) -> dict[str, Any]:
    return {
        "aws:CurrentTime": NOW,
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": account,
        "aws:SecureTransport": "true",
        "aws:ResourceAccount": resource_account,
        **extra,
    }


def _read(rid: str, action: str, resource: str, policy: dict[str, Any], **extra: Any) -> dict:
    request: dict[str, Any] = {
        "id": rid,
        "principal": READ_ROLE,
        "action": action,
        "resource": resource,
        "resourceAccount": PROD,
        "identityPolicies": [policy],
        "context": _ctx(READ_ROLE, PROD, PROD, **extra),
    }
    if action == "kms:Decrypt":
        request["resourcePolicy"] = DEFAULT_KEY_POLICY
    return request


def _room_role(
    rid: str,
    action: str,
    resource: str,
    p: dict[str, Any],
    *,
    resource_account: str = ROOM,
    identity: list[dict[str, Any]] | None = None,
    resource_policy: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    # A broad policy attached later by mistake: the boundary is what must hold.
    request: dict[str, Any] = {
        "id": rid,
        "principal": SCIENTIST,
        "action": action,
        "resource": resource,
        "resourceAccount": resource_account,
        # The PER-2 deny-only policy is attached to every room role, whatever else it holds.
        "identityPolicies": [*(identity or [ADMIN]), p["perimeter"]],
        "permissionBoundaries": [p["boundary"]],
        "context": _ctx(SCIENTIST, ROOM, resource_account, **extra),
    }
    if resource_policy is not None:
        request["resourcePolicy"] = resource_policy
    return request


def _service(
    rid: str, service: str, action: str, resource: str, policy: dict[str, Any], source: str
) -> dict[str, Any]:
    account = source.split(":")[4]
    return {
        "id": rid,
        "principal": service,
        "action": action,
        "resource": resource,
        "resourceAccount": ROOM,
        "resourcePolicy": policy,
        "context": {
            "aws:SourceAccount": account,
            "aws:SourceArn": source,
            "aws:SecureTransport": "true",
        },
    }


def _key_admin(rid: str, key_arn: str, policy: dict[str, Any], for_resource: bool) -> dict:
    account = key_arn.split(":")[4]
    principal = f"arn:aws:iam::{account}:role/Admin"
    return {
        "id": rid,
        "principal": principal,
        "action": "kms:CreateGrant",
        "resource": key_arn,
        "identityPolicies": [ADMIN],
        "resourcePolicy": policy,
        "context": {
            "aws:PrincipalArn": principal,
            "aws:PrincipalAccount": account,
            "kms:GrantIsForAWSResource": str(for_resource).lower(),
        },
    }


THROUGH_ROOM_ENDPOINT = {"aws:SourceVpce": "vpce-0roomroomroomroom0", "aws:VpceAccount": ROOM}
THROUGH_OTHER_ENDPOINT = {"aws:SourceVpce": "vpce-0personalpersona0", "aws:VpceAccount": OTHER}
NOT_VIA_SERVICE = {"aws:ViaAWSService": "false"}
ATHENA = {"aws:CalledVia": ["athena.amazonaws.com"], "aws:ViaAWSService": "true"}
S3_READ = {"aws:PrincipalIsAWSService": "false", "s3:TlsVersion": "1.3"}
S3_OBJECT = {**S3_READ, "s3:x-amz-server-side-encryption": "aws:kms"}

#: deny -> (expected, its twin that must be allowed)
PAIRS: dict[str, tuple[str, str]] = {
    # PER-3: production reads through endpoints the room owns
    "read through another account's endpoint": ("ExplicitlyDenied", "read through the room's"),
    "list through another account's endpoint": ("ExplicitlyDenied", "list through the room's"),
    "decrypt directly through another account's endpoint": (
        "ExplicitlyDenied",
        "decrypt as S3's call for a read",
    ),
    "shared account: read through production's own endpoint": (
        "ExplicitlyDenied",
        "shared account: read through the room's endpoint",
    ),
    "prior: read from outside the Secrets Manager endpoint": (
        "ExplicitlyDenied",
        "prior: read through the Secrets Manager endpoint",
    ),
    # PER-2: Athena
    "Athena writes a result to a foreign bucket": (
        "ExplicitlyDenied",
        "Athena writes a result to the room's intermediate bucket",
    ),
    "another role of the room account reads room data via Athena": (
        "ExplicitlyDenied",
        "the scientist reads room data via Athena",
    ),
    "query in the primary workgroup": ("ExplicitlyDenied", "query in the room's workgroup"),
    # PER-2: ways out without a network path
    "share a snapshot": ("ExplicitlyDenied", "copy a snapshot in the room account"),
    "share an AMI": ("ExplicitlyDenied", "copy an AMI in the room account"),
    "copy a snapshot under another account's key": (
        "ExplicitlyDenied",
        "copy a snapshot under the room key",
    ),
    "subscribe a log group to a destination": ("ExplicitlyDenied", "query the room's logs"),
    "export a log group": ("ExplicitlyDenied", "read the room's log events"),
    "filter policy on the security team's subscription": (
        "ExplicitlyDenied",
        "publish to the room's alert topic",
    ),
    "data-protection policy on the alert topic": (
        "ExplicitlyDenied",
        "read the alert topic's data-protection policy",
    ),
    "publish to another account's topic": ("ExplicitlyDenied", "publish to the room's alert topic"),
    "share an RDS snapshot": ("ExplicitlyDenied", "copy an RDS snapshot in the room account"),
    "share a resource through RAM": ("ExplicitlyDenied", "list the room's resource shares"),
    "open the event bus to another account": ("ExplicitlyDenied", "put events on the room's bus"),
    "put events on another account's bus": ("ExplicitlyDenied", "put events on the room's bus"),
    "open a backup vault to another account": (
        "ExplicitlyDenied",
        "list the room's recovery points",
    ),
    # Key policies: grants only for AWS resources
    "room key: grant not for an AWS resource": (
        "ExplicitlyDenied",
        "room key: grant for an AWS resource",
    ),
    "trail key: grant not for an AWS resource": (
        "ExplicitlyDenied",
        "trail key: grant for an AWS resource",
    ),
    # PER-1 and MON-6: service principals only for this account's rule
    "another account's rule publishes to the alert topic": (
        "ImplicitlyDenied",
        "the room's rule publishes to the alert topic",
    ),
    "another account's rule dead-letters into the room's queue": (
        "ImplicitlyDenied",
        "the room's rule dead-letters into its queue",
    ),
}
EXPECTED = {
    **{deny: expected for deny, (expected, _) in PAIRS.items()},
    **{twin: "Allowed" for _, (_, twin) in PAIRS.items()},
}


@pytest.fixture(scope="module")
def results(policies: dict[str, Any], small_stacks: dict[str, Any]) -> list[dict[str, Any]]:
    p, s = policies, small_stacks
    # EC2 snapshot and image ARNs carry no account; the request says whose they are.
    snapshot = f"arn:aws:ec2:{REGION}::snapshot/snap-0123456789abcdef0"
    image = f"arn:aws:ec2:{REGION}::image/ami-0123456789abcdef0"
    log_group = f"arn:aws:logs:{REGION}:{ROOM}:log-group:dataroom-trail"
    rds_snapshot = f"arn:aws:rds:{REGION}:{ROOM}:snapshot:results-1"
    bus = f"arn:aws:events:{REGION}:{ROOM}:event-bus/default"
    vault = f"arn:aws:backup:{REGION}:{ROOM}:backup-vault:room"
    foreign_key = f"arn:aws:kms:{REGION}:{OTHER}:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
    ec2_kms = {"kms:ViaService": f"ec2.{REGION}.amazonaws.com", "aws:ViaAWSService": "true"}
    read, prefix = p["read"], {"s3:prefix": "events/process/2026/"}
    requests = [
        _read(
            "read through another account's endpoint",
            "s3:GetObject",
            DATASET_OBJECT,
            read,
            **THROUGH_OTHER_ENDPOINT,
            **NOT_VIA_SERVICE,
        ),
        _read(
            "read through the room's",
            "s3:GetObject",
            DATASET_OBJECT,
            read,
            **THROUGH_ROOM_ENDPOINT,
            **NOT_VIA_SERVICE,
        ),
        _read(
            "list through another account's endpoint",
            "s3:ListBucket",
            "arn:aws:s3:::prod-telemetry",
            read,
            **THROUGH_OTHER_ENDPOINT,
            **NOT_VIA_SERVICE,
            **prefix,
        ),
        _read(
            "list through the room's",
            "s3:ListBucket",
            "arn:aws:s3:::prod-telemetry",
            read,
            **THROUGH_ROOM_ENDPOINT,
            **NOT_VIA_SERVICE,
            **prefix,
        ),
        _read(
            "decrypt directly through another account's endpoint",
            "kms:Decrypt",
            DATASET_KEY,
            read,
            **THROUGH_OTHER_ENDPOINT,
            **NOT_VIA_SERVICE,
            **{"kms:ViaService": f"s3.{REGION}.amazonaws.com"},
        ),
        _read(
            "decrypt as S3's call for a read",
            "kms:Decrypt",
            DATASET_KEY,
            read,
            **{"aws:ViaAWSService": "true", "kms:ViaService": f"s3.{REGION}.amazonaws.com"},
        ),
        _read(
            "shared account: read through production's own endpoint",
            "s3:GetObject",
            DATASET_OBJECT,
            s["read"],
            **NOT_VIA_SERVICE,
            **{"aws:SourceVpce": "vpce-0prodprodprodprod0", "aws:VpceAccount": PROD},
        ),
        _read(
            "shared account: read through the room's endpoint",
            "s3:GetObject",
            DATASET_OBJECT,
            s["read"],
            **NOT_VIA_SERVICE,
            **{"aws:SourceVpce": "vpce-0roomroomroomroom0", "aws:VpceAccount": PROD},
        ),
    ]
    for rid, network in (
        ("prior: read from outside the Secrets Manager endpoint", {}),
        (
            "prior: read through the Secrets Manager endpoint",
            {"aws:SourceVpce": "vpce-0secretssecrets00", "aws:VpceAccount": PROD},
        ),
    ):
        principal = f"arn:aws:iam::{PROD}:role/scientist"
        requests.append(
            {
                "id": rid,
                "principal": principal,
                "action": "secretsmanager:GetSecretValue",
                "resource": s["secret"],
                "resourceAccount": PROD,
                "identityPolicies": [s["scientist"]],
                "resourcePolicy": s["secret_policy"],
                "context": _ctx(
                    principal, PROD, PROD, **network, **{"aws:PrincipalIsAWSService": "false"}
                ),
            }
        )
    obj = {**S3_OBJECT, "s3:x-amz-server-side-encryption-aws-kms-key-id": p["room_key_arn"]}
    requests += [
        _room_role("Athena writes a result to a foreign bucket", "s3:PutObject",
                   "arn:aws:s3:::someone-elses-bucket/unload/part-0", p, resource_account=OTHER,
                   **ATHENA, **obj),
        _room_role("Athena writes a result to the room's intermediate bucket", "s3:PutObject",
                   f"{p['intermediate']}/athena-results/q1.csv", p,
                   identity=p["scientist"], resource_policy=p["intermediate_policy"],
                   **ATHENA, **obj),
        {
            **_room_role("another role of the room account reads room data via Athena",
                         "s3:GetObject", f"{p['intermediate']}/x.csv", p,
                         resource_policy=p["intermediate_policy"], **ATHENA, **S3_READ),
            "principal": ANALYST,
            "permissionBoundaries": [],
            "context": _ctx(ANALYST, ROOM, ROOM, **ATHENA, **S3_READ),
        },
        _room_role("the scientist reads room data via Athena", "s3:GetObject",
                   f"{p['intermediate']}/x.csv", p, identity=p["scientist"],
                   resource_policy=p["intermediate_policy"], **ATHENA, **S3_READ),
        _room_role("query in the primary workgroup", "athena:StartQueryExecution",
                   f"arn:aws:athena:{REGION}:{ROOM}:workgroup/primary", p),
        _room_role("query in the room's workgroup", "athena:StartQueryExecution", WORKGROUP, p),
        _room_role("share a snapshot", "ec2:ModifySnapshotAttribute", snapshot, p),
        _room_role("copy a snapshot in the room account", "ec2:CopySnapshot", snapshot, p),
        _room_role("share an AMI", "ec2:ModifyImageAttribute", image, p),
        _room_role("copy an AMI in the room account", "ec2:CopyImage", image, p),
        _room_role("copy a snapshot under another account's key",
                   "kms:GenerateDataKeyWithoutPlaintext", foreign_key, p,
                   resource_account=OTHER, **ec2_kms),
        _room_role("copy a snapshot under the room key", "kms:GenerateDataKeyWithoutPlaintext",
                   p["room_key_arn"], p, resource_policy=p["room_key"], **ec2_kms),
        _room_role("subscribe a log group to a destination", "logs:PutSubscriptionFilter",
                   log_group, p),
        _room_role("query the room's logs", "logs:StartQuery", log_group, p),
        _room_role("export a log group", "logs:CreateExportTask", log_group, p),
        _room_role("read the room's log events", "logs:FilterLogEvents", log_group, p),
        _room_role("filter policy on the security team's subscription",
                   "sns:SetSubscriptionAttributes", "*", p),
        _room_role("publish to the room's alert topic", "sns:Publish", p["topic"], p),
        _room_role("data-protection policy on the alert topic", "sns:PutDataProtectionPolicy",
                   p["topic"], p),
        _room_role("read the alert topic's data-protection policy",
                   "sns:GetDataProtectionPolicy", p["topic"], p),
        _room_role("publish to another account's topic", "sns:Publish",
                   f"arn:aws:sns:{REGION}:{OTHER}:inbox", p, resource_account=OTHER),
        _room_role("share an RDS snapshot", "rds:ModifyDBSnapshotAttribute", rds_snapshot, p),
        _room_role("copy an RDS snapshot in the room account", "rds:CopyDBSnapshot",
                   rds_snapshot, p),
        _room_role("share a resource through RAM", "ram:CreateResourceShare", "*", p),
        _room_role("list the room's resource shares", "ram:GetResourceShares", "*", p),
        _room_role("open the event bus to another account", "events:PutPermission", "*", p),
        _room_role("put events on the room's bus", "events:PutEvents", bus, p),
        _room_role("put events on another account's bus", "events:PutEvents",
                   f"arn:aws:events:{REGION}:{OTHER}:event-bus/default", p,
                   resource_account=OTHER),
        _room_role("open a backup vault to another account", "backup:PutBackupVaultAccessPolicy",
                   vault, p),
        _room_role("list the room's recovery points", "backup:ListRecoveryPointsByBackupVault",
                   vault, p),
        _key_admin("room key: grant not for an AWS resource", p["room_key_arn"], p["room_key"],
                   for_resource=False),
        _key_admin("room key: grant for an AWS resource", p["room_key_arn"], p["room_key"],
                   for_resource=True),
        _key_admin("trail key: grant not for an AWS resource",
                   f"arn:aws:kms:{REGION}:{PROD}:key/trail", p["trail_key"], for_resource=False),
        _key_admin("trail key: grant for an AWS resource",
                   f"arn:aws:kms:{REGION}:{PROD}:key/trail", p["trail_key"], for_resource=True),
        _service("another account's rule publishes to the alert topic", "events.amazonaws.com",
                 "sns:Publish", p["topic"], p["topic_policy"],
                 f"arn:aws:events:{REGION}:{OTHER}:rule/anything"),
        _service("the room's rule publishes to the alert topic", "events.amazonaws.com",
                 "sns:Publish", p["topic"], p["topic_policy"], p["rule"]),
        _service("another account's rule dead-letters into the room's queue",
                 "events.amazonaws.com", "sqs:SendMessage", p["dlq"], p["dlq_policy"],
                 f"arn:aws:events:{REGION}:{OTHER}:rule/anything"),
        _service("the room's rule dead-letters into its queue", "events.amazonaws.com",
                 "sqs:SendMessage", p["dlq"], p["dlq_policy"], p["rule"]),
    ]  # fmt: skip
    assert {r["id"] for r in requests} == set(EXPECTED)
    return evaluate(requests)


def test_every_request_was_evaluated_cleanly(results) -> None:
    assert_no_errors(results)
    assert_no_missing_operators(results)
    assert_no_ignored_context_keys(results)


@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_scenario(scenario: str, results) -> None:
    assert decisions(results)[scenario] == EXPECTED[scenario]


def test_every_deny_has_an_allowed_twin() -> None:
    for deny, (expected, twin) in PAIRS.items():
        assert expected != "Allowed" and EXPECTED[twin] == "Allowed", deny
