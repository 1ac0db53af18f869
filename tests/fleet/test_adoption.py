"""A team adopts the constructs in its own app: a bare ``App()`` (aws-cdk-lib's default feature
flags, no cdk.json), its own stack, ``ProductionBaseline.apply`` with cdk-nag's packs.

Each construct acknowledges its own by-design findings, so the team copies none of ours; a
finding on the team's own resource still fails, and an acknowledgement covers the construct's own
resource only. Server access logging is admitted by bucket policy without the aws-cdk-lib flag.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from dataroom import ProductionBaseline
from dataroom.constructs import AuditTrail, ReadOnlyDatasetAccess, RoomKey, RoomStorage
from dataroom.constructs.access_logs import log_server_access
from dataroom.constructs.acknowledge import nag_text

ENV = Environment(account="111111111111", region="us-east-1")
ACCESS_LOGS_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


@dataclass
class TeamApp:
    outdir: Path
    stack: Stack
    storage: RoomStorage
    trail: AuditTrail
    error: str | None


def _team_app(outdir: Path, *, own_buckets: bool) -> TeamApp:
    app = App(outdir=str(outdir))  # no context: aws-cdk-lib's default feature flags
    assert app.node.try_get_context(ACCESS_LOGS_FLAG) is None
    stack = Stack(app, "TeamProd", env=ENV)
    key = RoomKey(stack, "Key", alias="team/audit")
    trail = AuditTrail(stack, "Trail", encryption_key=key.key, trail_name="team-reads")
    endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(stack, "S3", "vpce-0123456789")
    storage = RoomStorage(stack, "Storage", encryption_key=key.key, vpc_endpoint=endpoint)
    access = ReadOnlyDatasetAccess(
        stack,
        "Read",
        trusted_role_arns=["arn:aws:iam::222222222222:role/team-scientist"],
        external_id="team-SEC-1",
        expires=dt.date(2027, 1, 31),
        role_name="team-read",
    )
    access.grant_read_prefix(bucket_name="prod-telemetry", prefix="events/process/")
    # The team's own role, granted the room's buckets: the wildcards of those grants are
    # RoomStorage's to acknowledge; the inline policy is the team's own choice and its own
    # acknowledgement.
    analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    Validations.of(analyst).acknowledge(
        Acknowledgment(
            id="NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
            reason="The team keeps this analyst role's grants inline, deleted with the role.",
        )
    )
    storage.grant_read_write_intermediate(analyst)
    storage.grant_read_results(analyst)
    if own_buckets:
        # The team's own bucket: nobody acknowledged its findings, so they still fail.
        s3.Bucket(stack, "Unreviewed", removal_policy=RemovalPolicy.RETAIN)
        # A bucket built like the room's, placed beside RoomStorage's own buckets: their
        # replication acknowledgement is on those buckets, not on the construct's scope.
        sibling = s3.Bucket(
            storage,
            "Sibling",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key.key,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        log_server_access(sibling, destination=storage.access_logs_bucket, prefix="sibling/")
    ProductionBaseline.apply(app)
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # jsii re-raises the validation failure
        error = str(exc)
    return TeamApp(outdir, stack, storage, trail, error)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> TeamApp:
    return _team_app(tmp_path_factory.mktemp("team-ok"), own_buckets=False)


@pytest.fixture(scope="module")
def with_own_buckets(tmp_path_factory: pytest.TempPathFactory) -> TeamApp:
    return _team_app(tmp_path_factory.mktemp("team-own"), own_buckets=True)


def _findings(team: TeamApp) -> set[tuple[str, str]]:
    """(rule, construct path) of every unacknowledged finding of the validation report."""
    report = json.loads((team.outdir / "validation-report.json").read_text())
    return {
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
        for construct in violation["violatingConstructs"]
    }


def test_team_app_with_our_constructs_passes_the_production_baseline(clean: TeamApp) -> None:
    assert clean.error is None, clean.error
    report = json.loads((clean.outdir / "validation-report.json").read_text())
    suppressed = {
        (v["ruleName"], c["constructPath"])
        for p in report["pluginReports"]
        for v in p.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }
    # The packs did run and found our by-design findings, each acknowledged on its construct.
    assert (
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "TeamProd/Storage/Intermediate/Resource",
    ) in suppressed
    assert any(path.startswith("TeamProd/Read/Resource") for _rule, path in suppressed)
    # The grants RoomStorage gave the team's role: acknowledged by RoomStorage, on that role.
    analyst = {rule for rule, path in suppressed if path.startswith("TeamProd/Analyst/")}
    assert "AwsSolutions-IAM5[Action::s3:GetObject*]" in analyst, analyst


def test_the_acknowledgements_are_per_construct_not_global(with_own_buckets: TeamApp) -> None:
    assert with_own_buckets.error is not None
    assert "TeamProd/Unreviewed/Resource" in with_own_buckets.error
    findings = _findings(with_own_buckets)
    paths = {path for _rule, path in findings}
    assert "TeamProd/Unreviewed/Resource" in paths
    # Every finding is on the team's own buckets: none on a resource of our constructs.
    ours = {
        p for p in paths if not p.startswith(("TeamProd/Unreviewed/", "TeamProd/Storage/Sibling/"))
    }
    assert not ours, ours
    assert "TeamProd/Trail" not in with_own_buckets.error


def test_an_acknowledgement_covers_the_constructs_own_resource_only(
    with_own_buckets: TeamApp,
) -> None:
    # RoomStorage's buckets are acknowledged for replication; a bucket beside them is not.
    assert (
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "TeamProd/Storage/Sibling/Resource",
    ) in _findings(with_own_buckets)


def _resources(team: TeamApp, kind: str) -> dict[str, Any]:
    template = json.loads((team.outdir / "TeamProd.template.json").read_text())
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_access_logs_are_admitted_by_bucket_policy_without_the_flag(clean: TeamApp) -> None:
    stack = clean.stack
    logs_id = stack.resolve(clean.trail.access_logs_bucket.bucket_name)["Ref"]
    trail_bucket = stack.resolve(clean.trail.bucket.bucket_name)["Ref"]
    buckets = _resources(clean, "AWS::S3::Bucket")
    # No ACL (the fallback aws-cdk-lib takes without the flag): ACLs stay disabled.
    assert all("AccessControl" not in b["Properties"] for b in buckets.values())
    assert buckets[trail_bucket]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_id},
        "LogFilePrefix": "team-reads/",
    }
    (policy,) = (
        p
        for p in _resources(clean, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_id}
    )
    admitted = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert admitted == [
        {
            "Action": "s3:PutObject",
            "Condition": {
                "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [trail_bucket, "Arn"]}},
                "StringEquals": {"aws:SourceAccount": "111111111111"},
            },
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [logs_id, "Arn"]}, "/team-reads/*"]]},
        }
    ]


def test_log_server_access_writes_what_aws_cdk_lib_writes_with_the_flag() -> None:
    def template(flag: bool) -> dict[str, Any]:
        app = App(context={ACCESS_LOGS_FLAG: True} if flag else {})
        stack = Stack(app, "S", env=ENV)
        destination = s3.Bucket(stack, "Logs")
        if flag:
            s3.Bucket(
                stack,
                "Source",
                server_access_logs_bucket=destination,
                server_access_logs_prefix="p/",
            )
        else:
            log_server_access(s3.Bucket(stack, "Source"), destination=destination, prefix="p/")
        return Template.from_stack(stack).to_json()["Resources"]  # type: ignore[no-any-return]

    assert template(flag=False) == template(flag=True)


def test_log_server_access_refuses_a_destination_it_cannot_admit_logs_to() -> None:
    app = App()
    stack = Stack(app, "S", env=ENV)
    source = s3.Bucket(stack, "Source")
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "team-logs")
    with pytest.raises(ValueError, match="access_logs_bucket is imported"):
        log_server_access(source, destination=imported, prefix="p/")
    encrypted = s3.Bucket(stack, "Kms", encryption_key=kms.Key(stack, "Key"))
    with pytest.raises(ValueError, match="cannot deliver to SSE-KMS"):
        log_server_access(source, destination=encrypted, prefix="p/")
    elsewhere = s3.Bucket(Stack(app, "Other", env=ENV), "Logs")
    with pytest.raises(ValueError, match="must be a bucket of the same stack"):
        log_server_access(source, destination=elsewhere, prefix="p/")
    # The refusals changed nothing: the source still has no logging configuration.
    cfn = source.node.default_child
    assert isinstance(cfn, s3.CfnBucket) and cfn.logging_configuration is None


def test_nag_text_writes_references_as_cdk_nag_does() -> None:
    stack = Stack(App(), "S")  # no environment, no partition literals: all pseudo parameters
    bucket = s3.Bucket(stack, "B")
    arn = stack.format_arn(service="logs", resource="log-group", resource_name="x:*")
    assert (
        nag_text(stack, arn)
        == "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group/x:*"
    )
    logical_id = stack.resolve(bucket.bucket_name)["Ref"]
    assert nag_text(stack, bucket.arn_for_objects("a/*")) == f"<{logical_id}.Arn>/a/*"
    assert (
        nag_text(stack, "tenant=${aws:PrincipalTag/tenant}/*")
        == "tenant=<aws:PrincipalTag/tenant>/*"
    )
