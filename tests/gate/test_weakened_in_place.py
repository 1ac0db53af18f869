"""`cdk synth` fails on room resources weakened in place, and on acknowledgements a reviewer
cannot check: one app carries every weakening (escape hatches, as a user's app would write
them) and the refusal names each rule, on the resource at fault."""

from __future__ import annotations

import pytest
from aws_cdk import Acknowledgment, App, CfnElement, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53resolver as resolver
from aws_cdk import aws_sns as sns

from dataroom.application import build_app
from dataroom.manifest import Manifest
from dataroom.stacks import DataRoomStack


def _cfn(construct: object) -> CfnElement:
    return construct if isinstance(construct, CfnElement) else construct.node.default_child  # type: ignore[attr-defined, return-value]


@pytest.fixture(scope="module")
def refusal(context, example_manifest: Manifest, tmp_path_factory) -> str:
    app = App(context=context, outdir=str(tmp_path_factory.mktemp("in-place")))
    build_app(example_manifest, app=app)
    room = app.node.find_child("DataRoomStack")
    assert isinstance(room, DataRoomStack)
    _cfn(room.storage.results_bucket).add_property_override(
        "VersioningConfiguration.Status", "Suspended"
    )
    _cfn(room.storage.intermediate_bucket).add_deletion_override("Properties.LoggingConfiguration")
    _cfn(room.alerts.rules["Tampering"]).add_property_override("State", "DISABLED")
    for child in room.alerts.node.find_all():
        if isinstance(child, sns.CfnSubscription):
            child.node.scope.node.try_remove_child(child.node.id)  # type: ignore[union-attr]
    _cfn(room.alerts.rules["GuardDutyFindings"]).add_property_override(
        "EventPattern.detail.severity", [{"numeric": [">=", 4, "<", 7]}]
    )
    room.trail.trail.add_property_override("IncludeGlobalServiceEvents", False)
    _cfn(room.trail.bucket).add_property_override(
        "ObjectLockConfiguration.Rule.DefaultRetention.Mode", "GOVERNANCE"
    )
    assert room.config_baseline.recorder is not None
    room.config_baseline.recorder.add_property_override(
        "RecordingGroup.IncludeGlobalResourceTypes", False
    )
    for child in room.dns_firewall.node.find_all():
        if isinstance(child, resolver.CfnFirewallDomainList) and "Allowed" in child.node.id:
            child.add_property_override("Domains", ["*"])
    room.query_guard.workgroup.add_property_override(
        "WorkGroupConfiguration.BytesScannedCutoffPerQuery", 1024 * 2**30
    )
    _cfn(room.glovebox.endpoint_security_group).add_property_override(
        "SecurityGroupEgress", [{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"}]
    )
    for child in room.glovebox.node.find_all():
        if isinstance(child, ec2.CfnVPCEndpoint) and "Sts" in child.node.path:
            child.add_property_override(
                "PolicyDocument.Statement.0.Condition",
                {"StringEquals": {"aws:PrincipalAccount": "999999999999"}},
            )
    room.glovebox.flow_log.add_property_override(
        "LogDestination", "arn:aws:logs:us-east-1:999999999999:log-group:elsewhere"
    )
    # Acknowledgements a reviewer cannot check: on the whole stack, and with a one-word reason.
    Validations.of(room).acknowledge(
        Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason="Every bucket logs access "
                       "to the room's access-log bucket, which is the destination itself.")
    )  # fmt: skip
    Validations.of(room.storage.access_logs_bucket).acknowledge(
        Acknowledgment(id="AwsSolutions::AwsSolutions-S10", reason="ok")
    )
    Validations.of(room.storage.results_bucket).acknowledge(
        Acknowledgment(id="AwsSolutions::AwsSolutions-S10", reason="TLS handled elsewhere")
    )
    with pytest.raises(RuntimeError) as error:
        app.synth()
    return str(error.value)


@pytest.mark.parametrize(
    ("rule", "where"),
    [
        ("DataRoom-S31BucketVersioning", "Storage/Results"),
        ("DataRoom-S34AccessLogging", "Storage/Intermediate"),
        ("DataRoom-MON4AlertsDelivered", "Alerts/Tampering"),
        ("DataRoom-MON4AlertsDelivered", "alert topic without any subscription"),
        ("DataRoom-MON4AlertSeverity", "severity window stops at 7"),
        ("DataRoom-MON1Trail", "global service events"),
        ("DataRoom-MON1Trail", "object lock mode: room=GOVERNANCE"),
        ("DataRoom-MON5ConfigRecorder", "IncludeGlobalResourceTypes"),
        ("DataRoom-NET6DnsFirewall", "earlier rule ALLOWs"),
        ("DataRoom-QRY1QueryGuard", "the manifest asks for"),
        ("DataRoom-NET2EndpointSecurityGroup", "EndpointSecurityGroup"),
        ("DataRoom-NET3EndpointPerimeter", "not pinned to the room account"),
        ("DataRoom-NET5FlowLogs", "not a log group of the room's template"),
        ("DataRoomGate-Acknowledgement", "acknowledged for the whole stack"),
        ("DataRoomGate-Acknowledgement", "the reason 'ok' is generic"),
        ("DataRoomGate-Acknowledgement", "is too short"),
    ],
)
def test_a_weakening_in_place_fails_synth(refusal: str, rule: str, where: str) -> None:
    assert rule in refusal
    assert where in refusal, f"{where!r} not named in the refusal"
