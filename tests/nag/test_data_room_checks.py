"""DataRoomChecks: each rule passes the example and catches its weakening; parity; suppression.

Weakenings here use raw CloudFormation overrides (``add_property_override`` and friends) on
purpose: cdk-nag's own packs cannot see them, and this pack reads the synthesized template, so
each test also shows an escape hatch no longer hides a weakened room.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import Acknowledgment, App, CfnElement, RemovalPolicy, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from dataroom.application import build_app
from dataroom.baseline import Baseline, load_baseline
from dataroom.manifest import Manifest
from dataroom.policies.data_room_checks import DataRoomChecks
from dataroom.policies.rules.catalog import NEVER_SUPPRESSIBLE, RULES
from dataroom.stacks import DataRoomStack, ProductionAccessStack
from tests.conftest import ROOT

Finding = tuple[str, str]
BASELINE = ROOT / "examples" / "baseline.yaml"


def _run(
    context: dict[str, object],
    manifest: Manifest,
    outdir: Path,
    *,
    mutate: Callable[[DataRoomStack, ProductionAccessStack], None] | None = None,
    baseline: Baseline | None = None,
) -> set[Finding]:
    """Synthesize the example (without the gate), optionally weakened, and run the pack."""
    app = App(context=context, outdir=str(outdir))
    build_app(manifest, app=app, nag=False)
    room = app.node.find_child("DataRoomStack")
    prod = app.node.find_child("ProductionAccessStack")
    if mutate is not None:
        mutate(room, prod)  # type: ignore[arg-type]
    app.synth()
    found: set[Finding] = set()
    for stack in (room, prod):
        pack = DataRoomChecks(app, baseline=baseline or load_baseline(BASELINE))
        for violation in pack.validate_scope(stack).violations:
            for resource in violation.violating_resources:
                found.add((violation.rule_name, resource.construct_path or ""))
    return found


@pytest.fixture(scope="module")
def example_findings(context, example_manifest, tmp_path_factory) -> set[Finding]:
    return _run(context, example_manifest, tmp_path_factory.mktemp("dr"))


def _cfn(construct: Any) -> Any:
    return construct if isinstance(construct, CfnElement) else construct.node.default_child


def _internet_gateway(room: DataRoomStack, _: ProductionAccessStack) -> None:
    igw = ec2.CfnInternetGateway(room, "Igw")
    ec2.CfnVPCGatewayAttachment(
        room, "IgwAttachment", vpc_id=room.glovebox.vpc.vpc_id, internet_gateway_id=igw.ref
    )


def _widen_read_role(_: DataRoomStack, prod: ProductionAccessStack) -> None:
    access = next(iter(prod.read_access.values()))
    access.role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=["arn:aws:s3:::prod-telemetry/*"])
    )


#: rule id -> (weakening by escape hatch, construct path fragment the finding must name)
WEAKENINGS: dict[str, tuple[Callable[[DataRoomStack, ProductionAccessStack], None], str]] = {
    "NET1NoInternetPath": (_internet_gateway, "DataRoomStack/Default/Glovebox/Resource"),
    "NET3EndpointPerimeter": (
        lambda r, _: _cfn(r.glovebox.s3_endpoint).add_deletion_override(
            "Properties.PolicyDocument"
        ),
        "Glovebox/Resource/S3Endpoint",
    ),
    "NET5FlowLogs": (
        lambda r, _: r.glovebox.flow_log.add_property_override("TrafficType", "REJECT"),
        "DataRoomStack/Default/Glovebox/Resource",
    ),
    "NET6DnsFirewall": (
        lambda r, _: r.dns_firewall.association.add_property_override("VpcId", "vpc-00000000"),
        "DataRoomStack/Default/Glovebox/Resource",
    ),
    "S3CustomerKey": (
        lambda r, _: _cfn(r.storage.results_bucket).add_property_override(
            "BucketEncryption.ServerSideEncryptionConfiguration",
            [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}],
        ),
        "Storage/Results",
    ),
    "S3KeyRotation": (
        lambda r, _: _cfn(r.room_key.key).add_property_override("EnableKeyRotation", False),
        "RoomKey",
    ),
    "S3PublicAccessBlocked": (
        lambda r, _: _cfn(r.storage.results_bucket).add_property_override(
            "PublicAccessBlockConfiguration.BlockPublicPolicy", False
        ),
        "Storage/Results",
    ),
    "S3TlsOnly": (
        lambda r, _: r.storage.results_bucket.node.try_remove_child("Policy"),
        "Storage/Results",
    ),
    "S3Retained": (
        lambda r, _: _cfn(r.storage.results_bucket).apply_removal_policy(RemovalPolicy.DESTROY),
        "Storage/Results",
    ),
    "IAMReadRoleReadOnly": (_widen_read_role, "ProductionAccessStack/Room-"),
    "IAMBoundary": (
        lambda r, _: iam.PermissionsBoundary.of(r.scientist_role).clear(),
        "ScientistRole",
    ),
    "MON1Trail": (
        lambda r, _: r.trail.trail.add_property_override("EnableLogFileValidation", False),
        "DataRoomStack/Default/Trail/Resource",
    ),
    "MON3Detector": (
        lambda r, _: r.threat_detection.detector.add_property_override(  # type: ignore[union-attr]
            "Features", [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]
        ),
        "ThreatDetection/Resource",
    ),
    "MON4AlertSeverity": (
        lambda r, _: _cfn(r.alerts.rules["GuardDutyFindings"]).add_property_override(
            "EventPattern.detail.severity", [{"numeric": [">=", 8]}]
        ),
        "Alerts/GuardDutyFindings",
    ),
    "MON5ConfigRules": (
        lambda r, _: r.config_baseline.node.try_remove_child("Rule10"),
        "DataRoomStack/Default/Glovebox/Resource",
    ),
    "MONRoomMonitoring": (
        lambda r, _: r.alerts.node.try_remove_child("Tampering"),
        "DataRoomStack/Default/Glovebox/Resource",
    ),
    "QRY1QueryGuard": (
        lambda r, _: r.query_guard.workgroup.add_property_override(
            "WorkGroupConfiguration.EnforceWorkGroupConfiguration", False
        ),
        "DataRoomStack/Default/Glovebox/Resource",
    ),
    "DRF2LogRetention": (
        lambda r, _: _cfn(r.glovebox.flow_log_group).add_property_override("RetentionInDays", 30),
        "Glovebox/FlowLogs",
    ),
    "CHG4NoPlainPriors": (
        lambda r, _: r.remediation.function.add_environment("MODEL_PRIOR", "0.3"),
        "Remediation/Resource",
    ),
    "DRF2Region": (
        lambda r, _: None,  # made non-compliant by a baseline without us-east-1, below
        "DataRoomStack/Default/Glovebox/Resource",
    ),
}


def test_read_role_usable_outside_the_glovebox_is_caught(
    context, example_manifest, tmp_path, example_findings
) -> None:
    def drop_endpoint_condition(_: DataRoomStack, prod: ProductionAccessStack) -> None:
        access = next(iter(prod.read_access.values()))
        policy = access.role.node.find_child("DefaultPolicy").node.default_child
        for index in range(4):
            policy.add_deletion_override(
                f"Properties.PolicyDocument.Statement.{index}.Condition.Null"
            )

    found = _run(context, example_manifest, tmp_path, mutate=drop_endpoint_condition)
    names = [n for n, _ in found - example_findings if n.startswith("DataRoom-IAMReadRoleReadOnly")]
    assert names and "outside any VPC endpoint" in names[0], names


def test_every_rule_has_a_weakening_test() -> None:
    assert set(WEAKENINGS) == {rule.rule_id for rule in RULES}


@pytest.mark.parametrize("rule_id", sorted(WEAKENINGS))
def test_rule_passes_the_example(rule_id: str, example_findings) -> None:
    assert not [f for f in example_findings if f[0].startswith(f"DataRoom-{rule_id}")]


@pytest.mark.parametrize("rule_id", sorted(WEAKENINGS))
def test_rule_catches_its_weakening(
    rule_id: str, context, example_manifest, tmp_path, example_findings
) -> None:
    weaken, where = WEAKENINGS[rule_id]
    baseline = None
    if rule_id == "DRF2Region":
        baseline = load_baseline(BASELINE).model_copy(update={"allowed_regions": ("eu-west-1",)})
    found = _run(context, example_manifest, tmp_path, mutate=weaken, baseline=baseline)
    new = found - example_findings
    assert any(name.startswith(f"DataRoom-{rule_id}") and where in path for name, path in new), (
        sorted(new)
    )


# --- parity (DRF-2) ----------------------------------------------------------------------------


def _baseline(**changes: Any) -> Baseline:
    data = yaml.safe_load(BASELINE.read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[section] = value
    return Baseline.model_validate(data)


STRICTER = {
    "log retention": (
        {"log_retention_days": 731},
        "DRF2LogRetention[log retention: room=365d production=731d]",
    ),
    "trail lock": (
        {"trail__object_lock_days": 730},
        "MON1Trail[object lock: room=365d production=730d]",
    ),
    "alert severity": (
        {"max_finding_severity_alerted": 2.0},
        "MON4AlertSeverity[severity threshold: room=4 production=2]",
    ),
    "config rule": (
        {"config_rules": ["CLOUD_TRAIL_ENABLED", "EKS_CLUSTER_LOGGING_ENABLED"]},
        "MON5ConfigRules[Config rule EKS_CLUSTER_LOGGING_ENABLED: room=missing",
    ),
    "key rotation": (
        {"kms__max_rotation_period_days": 180},
        "S3KeyRotation[rotation period: room=365d production=180d]",
    ),
}


@pytest.mark.parametrize("name", list(STRICTER))
def test_parity_baseline_stricter_than_the_room_fails_naming_both_values(
    name: str, context, example_manifest, tmp_path
) -> None:
    changes, expected = STRICTER[name]
    found = _run(context, example_manifest, tmp_path, baseline=_baseline(**changes))
    names = sorted(n for n, _ in found if n.startswith("DataRoom-"))
    assert any(n.startswith(f"DataRoom-{expected}") for n in names), names


def test_parity_detector_features_name_what_is_missing(context, example_manifest, tmp_path) -> None:
    data = yaml.safe_load(EXAMPLE_MANIFEST.read_text())
    data["rooms"][0]["monitoring"] = {"guardduty_features": ["S3_DATA_EVENTS", "EKS_AUDIT_LOGS"]}
    from dataroom.manifest import parse_manifest
    from tests.conftest import TODAY

    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    found = _run(context, manifest, tmp_path)
    names = [n for n, _ in found if n.startswith("DataRoom-MON3Detector")]
    assert names and "EBS_MALWARE_PROTECTION" in names[0] and "production" in names[0], names


def test_parity_equal_or_looser_baseline_passes(context, example_manifest, tmp_path) -> None:
    looser = _baseline(
        log_retention_days=30,
        trail__object_lock_days=30,
        max_finding_severity_alerted=8.0,
        config_rules=["CLOUD_TRAIL_ENABLED"],
        guardduty__features=["S3_DATA_EVENTS"],
    )
    assert not [f for f in _run(context, example_manifest, tmp_path, baseline=looser)
                if f[0].startswith("DataRoom-")]  # fmt: skip


# --- the gate ------------------------------------------------------------------------------------


EXAMPLE_MANIFEST = ROOT / "examples" / "rooms.yaml"


def test_gate_fails_on_an_escape_hatch_cdk_nag_cannot_see(
    context, example_manifest, tmp_path
) -> None:
    app = App(context=context, outdir=str(tmp_path))
    build_app(example_manifest, app=app, baseline=load_baseline(BASELINE))
    room = app.node.find_child("DataRoomStack")
    assert isinstance(room, DataRoomStack)
    room.trail.trail.add_property_override("EnableLogFileValidation", False)
    with pytest.raises(RuntimeError, match=r"DataRoom-MON1Trail\[log-file-validation"):
        app.synth()


def test_never_suppressible_finding_cannot_be_acknowledged(
    context, example_manifest, tmp_path
) -> None:
    app = App(context=context, outdir=str(tmp_path))
    build_app(example_manifest, app=app, baseline=load_baseline(BASELINE))
    room = app.node.find_child("DataRoomStack")
    assert isinstance(room, DataRoomStack)
    Validations.of(room.trail).acknowledge(
        Acknowledgment(id="DataRoom::DataRoom-MON1Trail", reason="a reason long enough to pass")
    )
    with pytest.raises(RuntimeError, match="DataRoom-MON1Trail cannot be acknowledged"):
        app.synth()


def test_suppressible_finding_can_be_acknowledged_with_a_reason(
    context, example_manifest, tmp_path
) -> None:
    app = App(context=context, outdir=str(tmp_path))
    build_app(example_manifest, app=app, baseline=load_baseline(BASELINE))
    room = app.node.find_child("DataRoomStack")
    assert isinstance(room, DataRoomStack)
    room.storage.results_bucket.node.try_remove_child("Policy")
    # The TLS deny is gone; cdk-nag's own S10/SSL findings are acknowledged too, for the test.
    Validations.of(room.storage.results_bucket).acknowledge(
        Acknowledgment(id="DataRoom::DataRoom-S3TlsOnly", reason="test: suppressible rule"),
        Acknowledgment(id="AwsSolutions::AwsSolutions-S10", reason="test: suppressible rule"),
        Acknowledgment(
            id="NIST.800.53.R5::NIST.800.53.R5-S3BucketSSLRequestsOnly",
            reason="test: suppressible rule",
        ),
    )
    app.synth()


def test_never_suppressible_rules_are_the_documented_ones() -> None:
    assert {
        "DataRoom-NET1NoInternetPath",
        "DataRoom-NET3EndpointPerimeter",
        "DataRoom-S3PublicAccessBlocked",
        "DataRoom-S3KeyRotation",
        "DataRoom-IAMReadRoleReadOnly",
        "DataRoom-IAMBoundary",
        "DataRoom-MON1Trail",
        "DataRoom-MON3Detector",
        "DataRoom-MON4AlertSeverity",
        "DataRoom-MON5ConfigRules",
        "DataRoom-DRF2LogRetention",
        "DataRoom-DRF2Region",
        "DataRoom-CHG4NoPlainPriors",
    } == NEVER_SUPPRESSIBLE
