"""The nag gate catches a weakened room, and only named findings are acknowledged.

Weakenings set L1 properties (not raw overrides): cdk-nag reads construct properties, so a raw
override would bypass it — which is exactly why the tests weaken the way a careless change would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from aws_cdk import App, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

from dataroom.application import build_app
from dataroom.manifest import Manifest
from dataroom.policies.nag import NAG_PACK_NAMES, nag_packs
from dataroom.stacks import DataRoomStack, ProductionAccessStack

Finding = tuple[str, str]


def findings(app: App, stack: DataRoomStack) -> set[Finding]:
    """(rule, construct path) of every violation the packs see, acknowledged or not."""
    out: set[Finding] = set()
    for pack in nag_packs(app):
        for violation in pack.validate_scope(stack).violations:
            for resource in violation.violating_resources:
                out.add((violation.rule_name, resource.construct_path or ""))
    return out


@pytest.fixture(scope="session")
def fresh_room(
    example_manifest: Manifest, context: dict[str, object]
) -> Callable[[], tuple[App, DataRoomStack]]:
    def make() -> tuple[App, DataRoomStack]:
        app = App(context=context)
        room = example_manifest.rooms[0]
        return app, DataRoomStack(app, "DataRoomStack", manifest=example_manifest, room=room)

    return make


@pytest.fixture(scope="session")
def baseline(fresh_room) -> set[Finding]:
    return findings(*fresh_room())


@pytest.fixture(scope="session")
def acknowledged(example_app: App) -> set[Finding]:
    report = json.loads((Path(example_app.outdir) / "validation-report.json").read_text())
    return {
        (v["ruleName"], c["constructPath"])
        for plugin in report["pluginReports"]
        for v in plugin.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }


def test_example_passes_the_gate_with_every_finding_acknowledged(
    baseline, acknowledged, example_app
) -> None:
    # example_app synthesized with the gate: it would have raised on any unacknowledged finding.
    room_acknowledged = {(r, p) for r, p in acknowledged if p.startswith("DataRoomStack/")}
    assert baseline == room_acknowledged
    assert {p.split("/")[0] for _, p in acknowledged} == {"DataRoomStack", "ProductionAccessStack"}


def test_every_acknowledgement_is_used_and_reasoned(example_app: App, acknowledged) -> None:
    registered = []
    for construct in example_app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule_id, reason in entry.data.items():
                    registered.append((construct.node.path, rule_id, reason))
    assert len(registered) >= 10
    for path, rule_id, reason in registered:
        rule = rule_id.split("::", 1)[1]
        used = any(r == rule and (p == path or p.startswith(path + "/")) for r, p in acknowledged)
        assert used, f"stale acknowledgement {rule_id} on {path}"
        assert len(reason) >= 60 and "spike" not in reason.lower()
    stacks = {c.node.path for c in example_app.node.children}
    assert not any(path in stacks for path, _, _ in registered), "no stack-wide acknowledgement"


def _set(construct, attribute: str, value: object) -> None:
    setattr(construct.node.default_child, attribute, value)


def _internet_route(stack: DataRoomStack) -> None:
    vpc = stack.glovebox.vpc
    igw = ec2.CfnInternetGateway(stack, "Igw")
    ec2.CfnVPCGatewayAttachment(
        stack, "IgwAttachment", vpc_id=vpc.vpc_id, internet_gateway_id=igw.ref
    )
    eip = ec2.CfnEIP(stack, "NatIp")
    ec2.CfnNatGateway(
        stack,
        "Nat",
        subnet_id=vpc.isolated_subnets[0].subnet_id,
        allocation_id=eip.attr_allocation_id,
    )
    ec2.CfnRoute(
        stack,
        "DefaultRoute",
        route_table_id=vpc.isolated_subnets[0].route_table.route_table_id,
        destination_cidr_block="0.0.0.0/0",
        gateway_id=igw.ref,
    )


WEAKENINGS: dict[str, tuple[Callable[[DataRoomStack], None], str, str]] = {
    "NET-1 internet gateway, NAT and default route": (
        _internet_route,
        "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
        "DefaultRoute",
    ),
    "NET-1 public IPs on launch": (
        lambda s: _set(s.glovebox.vpc.isolated_subnets[0], "map_public_ip_on_launch", True),
        "NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled",
        "isolatedSubnet1",
    ),
    "NET-2 SSH from anywhere": (
        lambda s: s.glovebox.endpoint_security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(22)
        ),
        "AwsSolutions-EC23",
        "EndpointSecurityGroup",
    ),
    "NET-5 no flow log": (
        lambda s: s.glovebox.node.try_remove_child("FlowLog"),
        "AwsSolutions-VPC7",
        "Glovebox/Resource",
    ),
    "NET-5 flow-log group unencrypted": (
        lambda s: _set(s.glovebox.flow_log_group, "kms_key_id", None),
        "NIST.800.53.R5-CloudWatchLogGroupEncrypted",
        "FlowLogs",
    ),
    "NET-5 flow-log group kept forever unmanaged": (
        lambda s: _set(s.glovebox.flow_log_group, "retention_in_days", None),
        "NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod",
        "FlowLogs",
    ),
    "S3-1 results not versioned": (
        lambda s: _set(s.storage.results_bucket, "versioning_configuration", None),
        "NIST.800.53.R5-S3BucketVersioningEnabled",
        "Storage/Results",
    ),
    "S3-2 bucket unencrypted": (
        lambda s: _set(s.storage.intermediate_bucket, "bucket_encryption", None),
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "Storage/Intermediate",
    ),
    "S3-2 key rotation off": (
        lambda s: _set(s.room_key.key, "enable_key_rotation", False),
        "AwsSolutions-KMS5",
        "RoomKey",
    ),
    "S3-3 public access block removed": (
        lambda s: _set(s.storage.results_bucket, "public_access_block_configuration", None),
        "NIST.800.53.R5-S3BucketPublicReadProhibited",
        "Storage/Results",
    ),
    "S3-3 TLS-only policy removed": (
        lambda s: s.storage.results_bucket.node.try_remove_child("Policy"),
        "AwsSolutions-S10",
        "Storage/Results",
    ),
    "S3-4 access logging off": (
        lambda s: _set(s.storage.results_bucket, "logging_configuration", None),
        "AwsSolutions-S1",
        "Storage/Results",
    ),
    "MON-1 trail without log-file validation": (
        lambda s: _set(s.trail, "enable_log_file_validation", False),
        "NIST.800.53.R5-CloudTrailLogFileValidationEnabled",
        "DataRoomStack/Default/Trail/Resource",
    ),
    "MON-1 trail unencrypted": (
        lambda s: _set(s.trail, "kms_key_id", None),
        "NIST.800.53.R5-CloudTrailEncryptionEnabled",
        "DataRoomStack/Default/Trail/Resource",
    ),
    "MON-1 trail not sent to CloudWatch Logs": (
        lambda s: _set(s.trail, "cloud_watch_logs_log_group_arn", None),
        "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled",
        "DataRoomStack/Default/Trail/Resource",
    ),
    "MON-1 trail log group without retention": (
        lambda s: _set(s.trail.log_group, "retention_in_days", None),
        "NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod",
        "Trail/LogGroup",
    ),
    "MON-4 alert topic unencrypted": (
        lambda s: _set(s.alerts.topic, "kms_master_key_id", None),
        "NIST.800.53.R5-SNSEncryptedKMS",
        "Alerts/Resource",
    ),
    "remediation without a dead-letter queue": (
        lambda s: _set(s.remediation.function, "dead_letter_config", None),
        "NIST.800.53.R5-LambdaDLQ",
        "Remediation/Resource",
    ),
}


@pytest.mark.parametrize("name", list(WEAKENINGS))
def test_gate_catches_weakening(name: str, fresh_room, baseline) -> None:
    weaken, rule, where = WEAKENINGS[name]
    app, stack = fresh_room()
    weaken(stack)
    new = findings(app, stack) - baseline
    assert any(r == rule and where in path for r, path in new), sorted(new)


def test_app_gate_fails_synthesis_and_reports_the_finding(
    example_manifest, context, tmp_path
) -> None:
    app = App(context=context, outdir=str(tmp_path))
    build_app(example_manifest, app=app)
    stack = app.node.find_child("DataRoomStack")
    _set(stack.storage.intermediate_bucket, "bucket_encryption", None)
    with pytest.raises(Exception, match="ValidationFailed: ERROR The S3 Bucket is not encrypted"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    failed = {
        (v["ruleName"], c["constructPath"])
        for p in report["pluginReports"]
        for v in p["violations"]
        for c in v["violatingConstructs"]
    }
    assert (
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "DataRoomStack/Default/Storage/Intermediate/Resource",
    ) in failed


def test_acknowledgement_does_not_cover_a_new_resource(fresh_room, baseline) -> None:
    app, stack = fresh_room()
    # The access-log bucket's SSE-S3 acknowledgement must not excuse another SSE-S3 bucket.
    s3.Bucket(
        stack,
        "Extra",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        versioned=True,
        server_access_logs_bucket=stack.storage.access_logs_bucket,
    )
    new = findings(app, stack) - baseline
    assert ("NIST.800.53.R5-S3DefaultEncryptionKMS", "DataRoomStack/Extra/Resource") in new


def test_pack_names_match_the_registered_packs(context) -> None:
    # The summary reads NAG_PACK_NAMES without jsii; it must name exactly the packs the gate runs.
    from dataroom.baseline import load_baseline
    from dataroom.policies.data_room_checks import DataRoomChecks

    app = App(context=context)
    registered = [pack.name for pack in nag_packs(app)]
    registered.append(DataRoomChecks(app, baseline=load_baseline()).name)
    assert tuple(registered) == NAG_PACK_NAMES


@pytest.fixture(scope="session")
def fresh_prod(
    example_manifest: Manifest, context: dict[str, object]
) -> Callable[[], tuple[App, ProductionAccessStack]]:
    def make() -> tuple[App, ProductionAccessStack]:
        app = App(context=context)
        return app, ProductionAccessStack(app, "ProductionAccessStack", manifest=example_manifest)

    return make


@pytest.fixture(scope="session")
def prod_baseline(fresh_prod) -> set[Finding]:
    return findings(*fresh_prod())


def test_production_stack_has_no_unacknowledged_findings(prod_baseline, acknowledged) -> None:
    prod_acknowledged = {(r, p) for r, p in acknowledged if p.startswith("ProductionAccessStack/")}
    assert prod_baseline == prod_acknowledged


#: MON-2 weakenings of the production read trail: (change, rule that must fire, path fragment).
PROD_WEAKENINGS: dict[str, tuple[Callable[[ProductionAccessStack], None], str, str]] = {
    "trail without log-file validation": (
        lambda s: _set(s.read_trail, "enable_log_file_validation", False),
        "NIST.800.53.R5-CloudTrailLogFileValidationEnabled",
        "ReadTrail/Resource",
    ),
    "trail without encryption": (
        lambda s: _set(s.read_trail, "kms_key_id", None),
        "NIST.800.53.R5-CloudTrailEncryptionEnabled",
        "ReadTrail/Resource",
    ),
    "trail without CloudWatch Logs": (
        lambda s: _set(s.read_trail, "cloud_watch_logs_log_group_arn", None),
        "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled",
        "ReadTrail/Resource",
    ),
    "trail bucket without access logs": (
        lambda s: _set(s.read_trail.bucket, "logging_configuration", None),
        "AwsSolutions-S1",
        "ReadTrail/Logs/Resource",
    ),
}


@pytest.mark.parametrize("name", list(PROD_WEAKENINGS))
def test_gate_catches_trail_weakening(name: str, fresh_prod, prod_baseline) -> None:
    weaken, rule, where = PROD_WEAKENINGS[name]
    app, stack = fresh_prod()
    weaken(stack)
    new = findings(app, stack) - prod_baseline
    assert any(r == rule and where in path for r, path in new), sorted(new)
