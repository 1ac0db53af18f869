"""Template tests of a room's monitoring, self-healing, DNS and query guards (MON-1..5, NET-6, QRY-1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from aws_cdk import App
from aws_cdk.assertions import Template

from dataroom import alert_events
from dataroom.application import build_app
from dataroom.constructs.config_rules import BASELINE_RULES
from dataroom.constructs.query_guard import GIB
from dataroom.constructs.threat_detection import ALL_FEATURES
from dataroom.manifest import parse_manifest
from dataroom.stacks import DataRoomStack
from tests.conftest import EXAMPLE, TODAY
from tests.iam.resolve import logical_id as _logical_id

ROOM = "abnormal-process-exec"


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = _of_type(template, kind)
    assert len(found) == 1, sorted(found)
    return next(iter(found.items()))


def _targets(value: Any) -> str:
    """The logical id a Ref / Fn::GetAtt points at."""
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


@pytest.fixture(scope="module")
def template(room_template_json) -> dict[str, Any]:
    return room_template_json


def _variant(context, **monitoring: Any) -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0]["monitoring"] = monitoring
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    return Template.from_stack(app.node.find_child("DataRoomStack")).to_json()


# --- MON-1 -------------------------------------------------------------------------------------


def test_mon1_room_trail_is_multi_region_validated_encrypted_and_logs_room_buckets(
    template, room_stack: DataRoomStack
) -> None:
    _, trail = _one(template, "AWS::CloudTrail::Trail")
    props = trail["Properties"]
    assert props["TrailName"] == f"dataroom-{ROOM}"
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["IsLogging"] is True
    assert _targets(props["KMSKeyId"]) == _logical_id(room_stack, room_stack.room_key.key)
    (selector,) = props["EventSelectors"]
    assert selector["IncludeManagementEvents"] is True
    values = json.dumps(selector["DataResources"])
    for bucket in (room_stack.storage.intermediate_bucket, room_stack.storage.results_bucket):
        assert _logical_id(room_stack, bucket) in values
    group = template["Resources"][_targets(props["CloudWatchLogsLogGroupArn"])]
    assert group["Properties"]["RetentionInDays"] == 365
    bucket = template["Resources"][_targets(props["S3BucketName"])]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["Properties"]["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}
    }


def test_mon1_lock_and_retention_come_from_the_manifest(context) -> None:
    template = _variant(context, trail_lock_days=730, log_retention_days=731)
    _, trail = _one(template, "AWS::CloudTrail::Trail")
    bucket = template["Resources"][_targets(trail["Properties"]["S3BucketName"])]
    assert (
        bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Days"] == 730
    )
    group = template["Resources"][_targets(trail["Properties"]["CloudWatchLogsLogGroupArn"])]
    assert group["Properties"]["RetentionInDays"] == 731


# --- MON-3 -------------------------------------------------------------------------------------


def test_mon3_detector_with_s3_protection_and_every_feature(template) -> None:
    _, detector = _one(template, "AWS::GuardDuty::Detector")
    props = detector["Properties"]
    assert props["Enable"] is True
    assert props["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    features = {f["Name"]: f["Status"] for f in props["Features"]}
    assert features == dict.fromkeys(ALL_FEATURES, "ENABLED")


def test_mon3_existing_detector_is_reused_not_created(context) -> None:
    existing = "0123456789abcdef0123456789abcdef"
    template = _variant(context, existing_guardduty_detector_id=existing)
    assert _of_type(template, "AWS::GuardDuty::Detector") == {}
    (function,) = [
        f
        for f in _of_type(template, "AWS::Lambda::Function").values()
        if "DETECTOR_ID" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert function["Properties"]["Environment"]["Variables"]["DETECTOR_ID"] == existing
    assert template["Outputs"]["DetectorId"]["Value"] == existing


def test_mon3_detector_without_s3_protection_is_refused(context) -> None:
    # The manifest refuses it before the construct would (validate and synth agree).
    with pytest.raises(ValueError, match="lacks S3_DATA_EVENTS"):
        _variant(context, guardduty_features=["EKS_AUDIT_LOGS"])


# --- MON-4 -------------------------------------------------------------------------------------


def _rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"].get("Description", ""): r["Properties"]
        for r in _of_type(template, "AWS::Events::Rule").values()
    }


def test_mon4_topic_is_encrypted_tls_only_and_subscribes_security(
    template, room_stack: DataRoomStack, example_manifest
) -> None:
    _, topic = _one(template, "AWS::SNS::Topic")
    assert _targets(topic["Properties"]["KmsMasterKeyId"]) == _logical_id(
        room_stack, room_stack.room_key.key
    )
    subscriptions = _of_type(template, "AWS::SNS::Subscription").values()
    # Security gets every alert; the owner and approvers are added for the expiry warnings
    # (LCY-1).
    assert {s["Properties"]["Endpoint"] for s in subscriptions} == {
        *example_manifest.security_approvers,
        example_manifest.rooms[0].owner,
        *example_manifest.rooms[0].approvers,
    }
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}
    (policy,) = _of_type(template, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    (alarms,) = [s for s in statements if s.get("Sid") == "AlarmsOfThisAccountPublish"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"]["StringEquals"] == {"aws:SourceAccount": "222222222222"}
    _, key = _one(template, "AWS::KMS::Key")
    (publishers,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowAlertPublishersOfThisAccount"
    ]
    assert sorted(publishers["Principal"]["Service"]) == [
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]


@pytest.mark.parametrize(
    ("rule", "pattern"),
    [
        ("dataroom alert: GuardDutyFindings", alert_events.guardduty_pattern(4.0)),
        ("dataroom alert: Tampering", alert_events.api_call_pattern(alert_events.TAMPERING)),
        ("dataroom alert: NetworkChanges", alert_events.api_call_pattern(alert_events.NETWORK)),
        ("dataroom alert: IamChanges", alert_events.api_call_pattern(alert_events.IAM)),
    ],
)
def test_mon4_rule_sends_its_pattern_to_the_topic(template, rule: str, pattern) -> None:
    props = _rules(template)[rule]
    assert props["EventPattern"] == pattern
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    topic_id, _ = _one(template, "AWS::SNS::Topic")
    assert _targets(target["Arn"]) == topic_id


def test_mon4_tampering_and_network_rules_cover_the_issue_list(template) -> None:
    names = set()
    for rule in ("dataroom alert: Tampering", "dataroom alert: NetworkChanges"):
        names |= set(_rules(template)[rule]["EventPattern"]["detail"]["eventName"])
    required = {
        "StopLogging", "DeleteTrail", "UpdateDetector", "DeleteDetector", "PutBucketPolicy",
        "DeleteBucketPolicy", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
        "ModifyVpcEndpoint", "DeleteVpcEndpoints", "CreateRoute", "ReplaceRoute",
        "CreateInternetGateway", "AttachInternetGateway", "CreateNatGateway",
        "CreateVpcPeeringConnection", "DeleteFlowLogs", "PutKeyPolicy",
    }  # fmt: skip
    assert required <= names


def test_mon4_severity_threshold_comes_from_the_manifest(context) -> None:
    template = _variant(context, min_finding_severity=7.0)
    pattern = _rules(template)["dataroom alert: GuardDutyFindings"]["EventPattern"]
    assert pattern["detail"]["severity"] == [{"numeric": [">=", 7]}]


def test_mon4_metric_filters_and_alarms_on_the_trail_log_group(template) -> None:
    _, trail = _one(template, "AWS::CloudTrail::Trail")
    group = _targets(trail["Properties"]["CloudWatchLogsLogGroupArn"])
    filters = _of_type(template, "AWS::Logs::MetricFilter").values()
    by_metric = {f["Properties"]["MetricTransformations"][0]["MetricName"]: f for f in filters}
    assert set(by_metric) == {"UnauthorizedApiCalls", "RootAccountUsage"}
    for metric_filter in by_metric.values():
        assert metric_filter["Properties"]["LogGroupName"] == {"Ref": group}
    assert "AccessDenied*" in by_metric["UnauthorizedApiCalls"]["Properties"]["FilterPattern"]
    assert '"Root"' in by_metric["RootAccountUsage"]["Properties"]["FilterPattern"]
    topic_id, _ = _one(template, "AWS::SNS::Topic")
    # The MON-6 delivery alarms are in other namespaces (tests/unit/test_alert_delivery.py).
    alarms = [
        a
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "dataroom/abnormal-process-exec"
    ]
    assert {a["Properties"]["MetricName"] for a in alarms} == set(by_metric)
    for alarm in alarms:
        assert alarm["Properties"]["Threshold"] == 1
        assert [_targets(a) for a in alarm["Properties"]["AlarmActions"]] == [topic_id]


def test_mon4_production_alerts_on_denied_writes_by_read_roles(example_app: App) -> None:
    template = Template.from_stack(example_app.node.find_child("ProductionAccessStack")).to_json()
    (rule,) = _of_type(template, "AWS::Events::Rule").values()
    detail = rule["Properties"]["EventPattern"]["detail"]
    assert detail["readOnly"] == [False]
    assert "AccessDenied" in detail["errorCode"]
    (role_arn,) = detail["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
    role = template["Resources"][_targets(role_arn)]
    assert role["Properties"]["RoleName"] == f"dataroom-{ROOM}-read"


def test_mon4_no_alert_address_is_refused(context, tmp_path) -> None:
    from aws_cdk import Stack
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_logs as logs

    from dataroom.constructs.alerts import RoomAlerts

    stack = Stack(App(context=context), "T")
    with pytest.raises(ValueError, match=r"emails=\[\]: expected at least one address"):
        RoomAlerts(
            stack,
            "Alerts",
            encryption_key=kms.Key(stack, "K"),
            emails=[],
            trail_log_group=logs.LogGroup(stack, "G"),
            metric_namespace="x",
        )


# --- MON-5 -------------------------------------------------------------------------------------


def test_mon5_recorder_records_everything_and_rules_mirror_the_baseline(template) -> None:
    _, recorder = _one(template, "AWS::Config::ConfigurationRecorder")
    assert recorder["Properties"]["RecordingGroup"] == {
        "AllSupported": True,
        "IncludeGlobalResourceTypes": True,
    }
    _, channel = _one(template, "AWS::Config::DeliveryChannel")
    bucket = template["Resources"][_targets(channel["Properties"]["S3BucketName"])]
    # AWS Config cannot deliver to an Object Lock bucket: it gets its own, encrypted and kept.
    assert not bucket["Properties"].get("ObjectLockEnabled")
    assert bucket["DeletionPolicy"] == "Retain"
    (sse,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    recorder_role = _targets(recorder["Properties"]["RoleARN"])
    delivery = [
        s
        for p in _of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": recorder_role} in p["Properties"].get("Roles", [])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        a
        for s in delivery
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"s3:PutObject", "s3:GetBucketAcl", "kms:GenerateDataKey"} <= actions
    rules = _of_type(template, "AWS::Config::ConfigRule").values()
    identifiers = {r["Properties"]["Source"]["SourceIdentifier"] for r in rules}
    assert identifiers == set(BASELINE_RULES.values())
    assert {
        "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
        "GUARDDUTY_ENABLED_CENTRALIZED",
        "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
        "INTERNET_GATEWAY_AUTHORIZED_VPC_ONLY",
        "VPC_FLOW_LOGS_ENABLED",
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    } <= identifiers


def test_mon5_existing_recorder_keeps_the_rules(context) -> None:
    template = _variant(context, existing_config_recorder=True)
    assert _of_type(template, "AWS::Config::ConfigurationRecorder") == {}
    assert _of_type(template, "AWS::Config::DeliveryChannel") == {}
    assert len(_of_type(template, "AWS::Config::ConfigRule")) == len(BASELINE_RULES)


# --- self-healing ------------------------------------------------------------------------------


def test_remediation_function_trigger_and_own_boundary(template, room_stack: DataRoomStack) -> None:
    remediation = room_stack.remediation
    function = template["Resources"][_logical_id(room_stack, remediation.function)]["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Handler"] == "handler.handler"
    # No reservation: Lambda keeps 10 unreserved executions per account, so any reservation
    # fails to deploy in a new account whose quota is 10 (acknowledged for NIST).
    assert "ReservedConcurrentExecutions" not in function
    assert "TargetArn" in function["DeadLetterConfig"]
    variables = function["Environment"]["Variables"]
    assert set(variables) >= {
        "ALERT_TOPIC_ARN", "TRAIL_NAME", "DETECTOR_ID", "ROOM_BUCKETS",
        "BUCKET_POLICY_PARAMETER_PREFIX", "VPC_ID", "FLOW_LOG_GROUP_NAME", "FLOW_LOG_ROLE_ARN",
    }  # fmt: skip
    trigger = template["Resources"][_logical_id(room_stack, remediation.rule)]["Properties"]
    assert trigger["EventPattern"] == alert_events.api_call_pattern(alert_events.REMEDIABLE)
    role = template["Resources"][_logical_id(room_stack, remediation.role)]["Properties"]
    assert _targets(role["PermissionsBoundary"]) == _logical_id(room_stack, remediation.boundary)
    assert _targets(role["PermissionsBoundary"]) != _logical_id(
        room_stack, room_stack.boundary.policy
    )
    parameters = _of_type(template, "AWS::SSM::Parameter").values()
    assert len(parameters) == len(room_stack.storage.buckets)
    for parameter in parameters:
        assert (
            parameter["Properties"]["Name"]["Fn::Join"][1][0] == f"/dataroom/{ROOM}/bucket-policy/"
        )


def test_remediation_may_only_restore(template, room_stack: DataRoomStack) -> None:
    boundary = template["Resources"][_logical_id(room_stack, room_stack.remediation.boundary)]
    actions = {
        action
        for s in boundary["Properties"]["PolicyDocument"]["Statement"]
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "cloudtrail:StartLogging" in actions
    assert not any(
        a.startswith(("cloudtrail:Stop", "cloudtrail:Delete", "iam:Create")) for a in actions
    )
    assert not any("*" in a for a in actions)


def test_every_other_room_role_keeps_the_room_boundary(template, room_stack: DataRoomStack) -> None:
    room_boundary = _logical_id(room_stack, room_stack.boundary.policy)
    remediation_role = _logical_id(room_stack, room_stack.remediation.role)
    # The lifecycle's freeze function and budget action attach the freeze (tests/lifecycle).
    lifecycle = room_stack.lifecycle
    own_boundaries = {
        remediation_role,
        _logical_id(room_stack, lifecycle.freeze_role),
        _logical_id(room_stack, lifecycle.budget_action_role),
    }
    assert room_stack.airlock is not None
    own_boundaries.add(_logical_id(room_stack, room_stack.airlock.scanner_role))
    for logical_id, role in _of_type(template, "AWS::IAM::Role").items():
        if logical_id.startswith("CustomVpcRestrictDefaultSGCustomResourceProvider"):
            # CDK's provider must restore the default group on delete, which the room boundary
            # denies: it has its own narrow boundary (dataroom/constructs/cdk_roles.py).
            sg_boundary = _logical_id(room_stack, room_stack.default_sg_boundary.policy)
            assert _targets(role["Properties"]["PermissionsBoundary"]) == sg_boundary
        elif logical_id not in own_boundaries:
            assert _targets(role["Properties"]["PermissionsBoundary"]) == room_boundary, logical_id


# --- NET-6 -------------------------------------------------------------------------------------


def test_net6_dns_firewall_allows_aws_and_blocks_everything_else(template, room_stack) -> None:
    _, group = _one(template, "AWS::Route53Resolver::FirewallRuleGroup")
    rules = sorted(group["Properties"]["FirewallRules"], key=lambda r: r["Priority"])
    assert [r["Action"] for r in rules] == ["ALLOW", "BLOCK"]
    assert rules[1]["BlockResponse"] == "NXDOMAIN"
    lists = _of_type(template, "AWS::Route53Resolver::FirewallDomainList")
    allowed = lists[_targets(rules[0]["FirewallDomainListId"])]["Properties"]["Domains"]
    blocked = lists[_targets(rules[1]["FirewallDomainListId"])]["Properties"]["Domains"]
    assert "*.amazonaws.com" in allowed and "*" not in allowed
    assert blocked == ["*"]
    _, association = _one(template, "AWS::Route53Resolver::FirewallRuleGroupAssociation")
    # Mutation protection would block CloudFormation's own updates and deletes of it.
    assert association["Properties"]["MutationProtection"] == "DISABLED"
    assert _targets(association["Properties"]["VpcId"]) == _logical_id(room_stack, room_stack.vpc)


def test_net6_allowing_every_domain_is_refused(context) -> None:
    from aws_cdk import Stack
    from aws_cdk import aws_ec2 as ec2

    from dataroom.constructs.dns_firewall import DnsFirewall

    stack = Stack(App(context=context), "T")
    vpc = ec2.Vpc(stack, "V", max_azs=1, nat_gateways=0, subnet_configuration=[])
    with pytest.raises(ValueError, match=r"allowed_domains=\['\*'\]"):
        DnsFirewall(stack, "Dns", vpc=vpc, allowed_domains=["*"])


# --- QRY-1 -------------------------------------------------------------------------------------


def test_qry1_workgroup_is_enforced_capped_encrypted_and_measured(
    template, room_stack: DataRoomStack
) -> None:
    _, workgroup = _one(template, "AWS::Athena::WorkGroup")
    config = workgroup["Properties"]["WorkGroupConfiguration"]
    assert workgroup["Properties"]["Name"] == f"dataroom-{ROOM}"
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == room_stack.room.query_limit_gb * GIB == 50 * GIB
    assert config["PublishCloudWatchMetricsEnabled"] is True
    result = config["ResultConfiguration"]
    assert result["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert _targets(result["EncryptionConfiguration"]["KmsKey"]) == _logical_id(
        room_stack, room_stack.room_key.key
    )
    assert _logical_id(room_stack, room_stack.storage.intermediate_bucket) in json.dumps(
        result["OutputLocation"]
    )


def test_qry1_default_limit_applies_when_the_manifest_is_silent(context) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["rooms"][0]["query_limit_gb"]
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    template = Template.from_stack(app.node.find_child("DataRoomStack")).to_json()
    _, workgroup = _one(template, "AWS::Athena::WorkGroup")
    assert (
        workgroup["Properties"]["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == 10 * GIB
    )


def test_qry1_scientist_uses_only_its_workgroup_through_the_endpoint(
    template, room_stack: DataRoomStack
) -> None:
    statements = [
        s
        for p in _of_type(template, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if any(
            a.startswith("athena:")
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        )
    ]
    assert len(statements) == 1
    (statement,) = statements
    assert (
        statement["Resource"] == f"arn:aws:athena:us-east-1:222222222222:workgroup/dataroom-{ROOM}"
    )
    endpoint = _logical_id(room_stack, room_stack.athena_endpoint)
    assert statement["Condition"] == {"StringEquals": {"aws:SourceVpce": {"Ref": endpoint}}}
    services = {
        json.dumps(e["Properties"]["ServiceName"])
        for e in _of_type(template, "AWS::EC2::VPCEndpoint").values()
    }
    assert any("athena" in s for s in services) and any("glue" in s for s in services)


def test_construct_guards_refuse_bad_props(context) -> None:
    from aws_cdk import Stack
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3

    from dataroom.constructs.query_guard import QueryGuard
    from dataroom.constructs.threat_detection import ThreatDetection

    stack = Stack(App(context=context), "T")
    with pytest.raises(ValueError, match=r"features=\['NOPE'\]: expected some of"):
        ThreatDetection(stack, "Detector", features=["S3_DATA_EVENTS", "NOPE"])
    with pytest.raises(ValueError, match=r"query_limit_gb=0: expected at least 1"):
        QueryGuard(
            stack,
            "Guard",
            workgroup_name="w",
            results_bucket=s3.Bucket(stack, "B"),
            encryption_key=kms.Key(stack, "K"),
            query_limit_gb=0,
        )
