"""Template tests for read-only production access (IAM-1..6) and the room's permission boundary."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import yaml
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from dataroom.application import build_app
from dataroom.constructs import ReadOnlyDatasetAccess
from dataroom.manifest import parse_manifest
from dataroom.stacks import DataRoomStack, ProductionAccessStack
from tests.conftest import EXAMPLE, TODAY

READ_ROLE_ARN = "arn:aws:iam::111111111111:role/dataroom-abnormal-process-exec-read"
SCIENTIST_ARN = "arn:aws:iam::222222222222:role/dataroom-abnormal-process-exec-scientist"


@pytest.fixture(scope="session")
def prod_stack(example_app: App) -> ProductionAccessStack:
    stack = example_app.node.find_child("ProductionAccessStack")
    assert isinstance(stack, ProductionAccessStack)
    return stack


@pytest.fixture(scope="session")
def prod_template(prod_stack: ProductionAccessStack) -> dict[str, Any]:
    return Template.from_stack(prod_stack).to_json()  # type: ignore[no-any-return]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def _read_role(template: dict[str, Any]) -> dict[str, Any]:
    roles = [
        role
        for role in _resources(template, "AWS::IAM::Role")
        if role["Properties"].get("RoleName") == READ_ROLE_ARN.rsplit("/", 1)[1]
    ]
    assert len(roles) == 1
    return roles[0]


def _read_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = _resources(template, "AWS::IAM::Policy")
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_prod_stack_is_in_the_production_account(prod_stack: ProductionAccessStack) -> None:
    assert (prod_stack.account, prod_stack.region) == ("111111111111", "us-east-1")


def test_iam1_trust_only_the_room_role_with_external_id_org_source_identity(prod_template) -> None:
    role = _read_role(prod_template)["Properties"]
    assert role["RoleName"] == "dataroom-abnormal-process-exec-read"
    assert role["MaxSessionDuration"] == 3600
    statements = role["AssumeRolePolicyDocument"]["Statement"]
    assert sorted(a for s in statements for a in _list(s["Action"])) == [
        "sts:AssumeRole",
        "sts:SetSourceIdentity",
    ]
    for s in statements:
        assert s["Effect"] == "Allow"
        assert s["Principal"] == {"AWS": SCIENTIST_ARN}, "exact role ARN, never an account root"
        assert s["Condition"] == {
            "StringEquals": {
                "sts:ExternalId": "dataroom-abnormal-process-exec-SEC-1234",
                "aws:PrincipalOrgID": "o-exampleorg1",
            },
            "Null": {"sts:SourceIdentity": "false"},
            "DateLessThan": {"aws:CurrentTime": "2027-05-16T00:00:00Z"},
        }


def test_iam2_reads_approved_prefixes_only(prod_template) -> None:
    allows = [s for s in _read_policy(prod_template) if s["Effect"] == "Allow"]
    objects = [s for s in allows if "s3:GetObject" in s["Action"]]
    assert sorted(r for s in objects for r in _list(s["Resource"])) == [
        "arn:aws:s3:::prod-telemetry/events/network/*",
        "arn:aws:s3:::prod-telemetry/events/process/*",
    ]
    assert all(sorted(s["Action"]) == ["s3:GetObject", "s3:GetObjectVersion"] for s in objects)
    listing = [s for s in allows if s["Action"] == "s3:ListBucket"]
    assert sorted(p for s in listing for p in _list(s["Condition"]["StringLike"]["s3:prefix"])) == [
        "events/network/*",
        "events/process/*",
    ]
    assert all(s["Resource"] == "arn:aws:s3:::prod-telemetry" for s in listing)
    decrypt = [s for s in allows if s["Action"] == "kms:Decrypt"]
    assert decrypt and all(
        s["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
        for s in decrypt
    )
    assert {
        a for s in allows for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    } == {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt"}


def test_iam3_explicit_deny_of_everything_but_reads(prod_template) -> None:
    (deny,) = [s for s in _read_policy(prod_template) if s.get("Sid") == "DenyEverythingButReads"]
    assert deny["Effect"] == "Deny" and deny["Resource"] == "*"
    assert sorted(deny["NotAction"]) == [
        "kms:Decrypt",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:ListBucket",
    ]


def test_iam4_every_allow_and_the_trust_stop_at_expiry(prod_template) -> None:
    statements = _read_policy(prod_template)
    for s in statements:
        if s["Effect"] == "Allow":
            assert s["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2027-05-16T00:00:00Z"}
    (after,) = [s for s in statements if s.get("Sid") == "DenyReadsAfterExpiry"]
    assert after["Condition"] == {
        "DateGreaterThanEquals": {"aws:CurrentTime": "2027-05-16T00:00:00Z"}
    }


@pytest.mark.parametrize("phase", ["definition", "implementation", "preprod"])
def test_iam6_non_data_phases_get_no_production_role(phase: str, context) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0]["phase"] = phase
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    assert app.node.try_find_child("ProductionAccessStack") is None
    room = app.node.find_child("DataRoomStack")
    policies = Template.from_stack(room).find_resources("AWS::IAM::Policy")
    # Only roles of the room's own template may be assumed (the airlock's state machine assumes
    # its release role); never a role named by ARN, such as production's read role.
    own_roles = set(Template.from_stack(room).find_resources("AWS::IAM::Role"))
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "sts:AssumeRole" in json.dumps(statement.get("Action")):
                resource = statement["Resource"]
                assert resource["Fn::GetAtt"][0] in own_roles, resource


@pytest.mark.parametrize("phase", ["production-a", "production-b"])
def test_iam6_production_phases_get_the_read_role(phase: str, context) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0]["phase"] = phase
    # Production phases publish results (PHS-1/PHS-2): a consumer, and in B the DAL.
    data["rooms"][0]["results"] = {
        "internal_consumers": [
            {
                "name": "triage",
                "role_arn": "arn:aws:iam::111111111111:role/SocTriageConsole",
                "vpce_id": "vpce-0a1b2c3d4e5f60718",
            }
        ],
        **(
            {
                "dal": {
                    "role_arn": "arn:aws:iam::111111111111:role/CustomerDal",
                    "vpce_id": "vpce-0fedcba9876543210",
                },
                "phase_b_justification": "Phase A ran under SEC-1233 with the same model.",
            }
            if phase == "production-b"
            else {}
        ),
    }
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    assert isinstance(app.node.try_find_child("ProductionAccessStack"), ProductionAccessStack)


def test_scientist_role_entry_boundary_and_assume(room_stack: DataRoomStack, room_template) -> None:
    template = room_template.to_json()
    roles = {
        k: r
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
        and r["Properties"].get("RoleName") == "dataroom-abnormal-process-exec-scientist"
    }
    (role,) = roles.values()
    props = role["Properties"]
    assert props["MaxSessionDuration"] == 3600
    boundary_id = room_stack.get_logical_id(room_stack.boundary.policy.node.default_child)  # type: ignore[arg-type]
    assert props["PermissionsBoundary"] == {"Ref": boundary_id}
    trust = props["AssumeRolePolicyDocument"]["Statement"]
    assume = [s for s in trust if s["Action"] == "sts:AssumeRole"]
    assert assume[0]["Principal"] == {"AWS": "arn:aws:iam::222222222222:role/DataScientist"}
    assert assume[0]["Condition"] == {"Null": {"sts:SourceIdentity": "false"}}
    policy = json.dumps(room_template.find_resources("AWS::IAM::Policy"))
    assert (
        READ_ROLE_ARN.replace("arn:aws:", "") in policy
        and "dataroom-abnormal-process-exec-SEC-1234" in policy
    )


def test_iam5_every_room_role_has_the_boundary(room_stack: DataRoomStack, room_template) -> None:
    boundary_id = room_stack.get_logical_id(room_stack.boundary.policy.node.default_child)  # type: ignore[arg-type]
    for logical_id, role in room_template.find_resources("AWS::IAM::Role").items():
        if "CustomResourceProvider" in logical_id:
            continue  # CDK's restrict-default-SG handler: a Lambda service role, not a room role
        if logical_id == room_stack.get_logical_id(room_stack.remediation.role.node.default_child):  # type: ignore[arg-type]
            continue  # has its own, narrower boundary (tests/unit/test_monitoring.py)
        lifecycle = (room_stack.lifecycle.freeze_role, room_stack.lifecycle.budget_action_role)
        if logical_id in {room_stack.get_logical_id(r.node.default_child) for r in lifecycle}:  # type: ignore[arg-type]
            continue  # their own, narrower boundaries (tests/lifecycle/test_construct.py)
        if room_stack.airlock and logical_id == room_stack.get_logical_id(
            room_stack.airlock.scanner_role.node.default_child  # type: ignore[arg-type]
        ):
            continue  # GuardDuty's scanner: its boundary is its own policy (tests/unit/test_airlock.py)
        assert role["Properties"].get("PermissionsBoundary") == {"Ref": boundary_id}, logical_id


def test_iam5_boundary_denies_iam_egress_and_tampering(room_template) -> None:
    (boundary,) = [
        p
        for p in room_template.find_resources("AWS::IAM::ManagedPolicy").values()
        if "dataroom permissions boundary" in p["Properties"].get("Description", "")
    ]
    by_sid = {s["Sid"]: s for s in boundary["Properties"]["PolicyDocument"]["Statement"]}
    assert {"iam:Create*", "iam:Put*", "iam:Attach*", "iam:PassRole"} <= set(
        by_sid["DenyIamChanges"]["Action"]
    )
    assert {
        "ec2:CreateInternetGateway",
        "ec2:CreateNatGateway",
        "ec2:CreateVpcPeeringConnection",
        "ec2:CreateRoute",
        "ec2:ModifyVpcEndpoint",
    } <= set(by_sid["DenyNetworkEgressChanges"]["Action"])
    assert {
        "cloudtrail:StopLogging",
        "guardduty:DeleteDetector",
        "ec2:DeleteFlowLogs",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "kms:PutKeyPolicy",
    } <= set(by_sid["DenyGuardrailTampering"]["Action"])
    assert all(by_sid[s]["Effect"] == "Deny" for s in by_sid if s != "BoundaryCeiling")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trusted_role_arns": []}, "trusted_role_arns=\\[\\]: expected at least one role ARN"),
        ({"trusted_role_arns": ["arn:aws:iam::222222222222:root"]}, "is not an exact IAM role ARN"),
        (
            {"trusted_role_arns": ["arn:aws:iam::222222222222:role/*"]},
            "is not an exact IAM role ARN",
        ),
        ({"external_id": "x"}, "external_id='x': expected 2-1224 characters"),
    ],
)
def test_read_access_rejects_misuse(kwargs: dict[str, Any], message: str, context) -> None:
    from aws_cdk import Duration

    args: dict[str, Any] = {
        "trusted_role_arns": ["arn:aws:iam::222222222222:role/R"],
        "external_id": "dataroom-x",
        "expires": dt.date(2027, 1, 1),
    }
    args.update(kwargs)
    stack = Stack(App(context=context), "S")
    with pytest.raises(ValueError, match=message):
        ReadOnlyDatasetAccess(stack, "A", **args)
    with pytest.raises(ValueError, match="max_session_duration=7200"):
        ReadOnlyDatasetAccess(
            stack,
            "B",
            trusted_role_arns=["arn:aws:iam::222222222222:role/R"],
            external_id="dataroom-x",
            expires=dt.date(2027, 1, 1),
            max_session_duration=Duration.hours(2),
        )


def test_read_access_rejects_wildcard_prefix(context) -> None:
    stack = Stack(App(context=context), "S")
    access = ReadOnlyDatasetAccess(
        stack,
        "A",
        trusted_role_arns=["arn:aws:iam::222222222222:role/R"],
        external_id="dataroom-x",
        expires=dt.date(2027, 1, 1),
    )
    with pytest.raises(ValueError, match="prefix='events/\\*': expected a literal key prefix"):
        access.grant_read_prefix(bucket_name="b", prefix="events/*")
