"""Agreement: each weakening is reported by the gate and by the review under the same control id.

The table is written from the classes of issue 12 — escape hatches (a property overridden), an
added resource, a resource removed, a library default changed — several per control. Each row
edits the example's synthesized templates as JSON, so the whole table judges in a second; the
sibling- and nested-stack class is synthesized for real in tests/gate/test_beside_the_room.py
and below (``test_a_sibling_stack_is_reported_by_both``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.agreement.conftest import (
    AUDIT_TEMPLATE_VERDICT,
    Example,
    Template,
    Weakening,
    gate_controls,
    review_controls,
    weakened,
)
from tests.agreement.copies_and_readers import (
    export_granted_to_a_partner,
    logs_subscribed_out,
    perimeter_roles_emptied,
    results_replicated,
)


def of(template: Template, kind: str, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Resources of ``kind`` whose logical id starts with ``prefix`` (never a hashed id)."""
    for lid, resource in template["Resources"].items():
        if resource["Type"] == kind and lid.startswith(prefix):
            yield lid, resource


def one(template: Template, kind: str, prefix: str = "") -> dict[str, Any]:
    found = [r for _, r in of(template, kind, prefix)]
    assert len(found) == 1, (kind, prefix, len(found))
    return found[0]


def props(template: Template, kind: str, prefix: str = "") -> dict[str, Any]:
    return one(template, kind, prefix).setdefault("Properties", {})


def lid_of(template: Template, kind: str, prefix: str = "") -> str:
    return next(lid for lid, _ in of(template, kind, prefix))


def add(template: Template, logical_id: str, kind: str, **properties: Any) -> None:
    template["Resources"][logical_id] = {"Type": kind, "Properties": properties}


def _igw(room: Template, _: Template) -> None:
    add(room, "Igw", "AWS::EC2::InternetGateway")
    add(room, "IgwAttach", "AWS::EC2::VPCGatewayAttachment", InternetGatewayId={"Ref": "Igw"},
        VpcId={"Ref": lid_of(room, "AWS::EC2::VPC")})  # fmt: skip


def _default_route(room: Template, _: Template) -> None:
    table = lid_of(room, "AWS::EC2::RouteTable")
    add(room, "Out", "AWS::EC2::Route", RouteTableId={"Ref": table},
        DestinationCidrBlock="0.0.0.0/0", TransitGatewayId="tgw-0123456789abcdef0")  # fmt: skip


def _public_subnet(room: Template, _: Template) -> None:
    next(of(room, "AWS::EC2::Subnet"))[1]["Properties"]["MapPublicIpOnLaunch"] = True


def _foreign_endpoint(room: Template, _: Template) -> None:
    props(room, "AWS::EC2::VPCEndpoint", "GloveboxGlue")["ServiceName"] = (
        "com.vendor.vpce.us-east-1.vpce-svc-0123456789abcdef0"
    )


def _function_url(room: Template, _: Template) -> None:
    function = lid_of(room, "AWS::Lambda::Function", "Remediation")
    add(room, "Url", "AWS::Lambda::Url", AuthType="NONE", TargetFunctionArn={"Ref": function})


def _notebook(room: Template, _: Template) -> None:
    add(room, "Notebook", "AWS::SageMaker::NotebookInstance", InstanceType="ml.t3.medium",
        RoleArn="arn:aws:iam::222222222222:role/x", DirectInternetAccess="Enabled")  # fmt: skip


def _sg_ingress(room: Template, _: Template) -> None:
    props(room, "AWS::EC2::SecurityGroup", "GloveboxEndpoint")["SecurityGroupIngress"][0][
        "CidrIp"
    ] = "0.0.0.0/0"


def _sg_egress(room: Template, _: Template) -> None:
    props(room, "AWS::EC2::SecurityGroup", "GloveboxEndpoint")["SecurityGroupEgress"] = [
        {"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"}
    ]


def _s3_endpoint_any_bucket(room: Template, _: Template) -> None:
    props(room, "AWS::EC2::VPCEndpoint", "GloveboxS3")["PolicyDocument"]["Statement"][0][
        "Resource"
    ] = "*"


def _interface_endpoint_unpinned(room: Template, _: Template) -> None:
    statement = props(room, "AWS::EC2::VPCEndpoint", "GloveboxSts")["PolicyDocument"]["Statement"][
        0
    ]
    statement["Condition"] = {"StringEquals": {"aws:PrincipalAccount": "999999999999"}}


def _flow_log_reject(room: Template, _: Template) -> None:
    props(room, "AWS::EC2::FlowLog")["TrafficType"] = "REJECT"


def _flow_log_unencrypted(room: Template, _: Template) -> None:
    props(room, "AWS::Logs::LogGroup", "GloveboxFlowLogs").pop("KmsKeyId")


def _dns_allow_everything_first(room: Template, _: Template) -> None:
    props(room, "AWS::Route53Resolver::FirewallDomainList", "DnsFirewallAllowed")["Domains"] = ["*"]


def _dns_unassociated(room: Template, _: Template) -> None:
    props(room, "AWS::Route53Resolver::FirewallRuleGroupAssociation")["VpcId"] = "vpc-0000000000"


def _boundary_removed(room: Template, _: Template) -> None:
    props(room, "AWS::IAM::Role", "ScientistRole").pop("PermissionsBoundary")


def _boundary_hollowed(room: Template, _: Template) -> None:
    document = props(room, "AWS::IAM::ManagedPolicy", "PermissionBoundary")["PolicyDocument"]
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "DenyIamChanges"]


def _iam_user(room: Template, _: Template) -> None:
    add(room, "Operator", "AWS::IAM::User")
    add(room, "OperatorKey", "AWS::IAM::AccessKey", UserName={"Ref": "Operator"})


def _read_role_wildcard_trust(_: Template, prod: Template) -> None:
    trust = props(prod, "AWS::IAM::Role", "Room")["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Principal"] = {"AWS": "*"}


def _read_role_no_deny(_: Template, prod: Template) -> None:
    for _, policy in of(prod, "AWS::IAM::Policy"):
        document = policy["Properties"]["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"] if s.get("Effect") != "Deny"]
    for _, role in of(prod, "AWS::IAM::Role", "Room"):
        for inline in role["Properties"].get("Policies", []):
            statements = inline["PolicyDocument"]["Statement"]
            inline["PolicyDocument"]["Statement"] = [s for s in statements if s["Effect"] != "Deny"]


def _unversioned(room: Template, _: Template) -> None:
    props(room, "AWS::S3::Bucket", "StorageResults")["VersioningConfiguration"] = {
        "Status": "Suspended"
    }


def _unlogged(room: Template, _: Template) -> None:
    props(room, "AWS::S3::Bucket", "StorageResults").pop("LoggingConfiguration")


def _key_granted_away(room: Template, _: Template) -> None:
    props(room, "AWS::KMS::Key", "RoomKey")["KeyPolicy"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "kms:Decrypt",
         "Resource": "*"}
    )  # fmt: skip


def _public_block_off(room: Template, _: Template) -> None:
    props(room, "AWS::S3::Bucket", "StorageResults")["PublicAccessBlockConfiguration"][
        "BlockPublicPolicy"
    ] = False


def _acls_on(room: Template, _: Template) -> None:
    props(room, "AWS::S3::Bucket", "StorageResults")["OwnershipControls"] = {
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]
    }


def _sse_s3(room: Template, _: Template) -> None:
    props(room, "AWS::S3::Bucket", "StorageResults")["BucketEncryption"] = {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }


def _rotation_off(room: Template, _: Template) -> None:
    props(room, "AWS::KMS::Key", "RoomKey")["EnableKeyRotation"] = False


def _trail_unvalidated(room: Template, _: Template) -> None:
    props(room, "AWS::CloudTrail::Trail")["EnableLogFileValidation"] = False


def _trail_no_global_events(room: Template, _: Template) -> None:
    props(room, "AWS::CloudTrail::Trail")["IncludeGlobalServiceEvents"] = False


def _trail_governance_lock(room: Template, _: Template) -> None:
    lock = props(room, "AWS::S3::Bucket", "TrailLogs")["ObjectLockConfiguration"]
    lock["Rule"]["DefaultRetention"]["Mode"] = "GOVERNANCE"


def _detector_disabled(room: Template, _: Template) -> None:
    props(room, "AWS::GuardDuty::Detector")["Enable"] = False


def _detector_features(room: Template, _: Template) -> None:
    props(room, "AWS::GuardDuty::Detector")["Features"] = [
        {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}
    ]


def _alert_rule_disabled(room: Template, _: Template) -> None:
    props(room, "AWS::Events::Rule", "AlertsTampering")["State"] = "DISABLED"


def _topic_unsubscribed(room: Template, _: Template) -> None:
    for lid, _ in list(of(room, "AWS::SNS::Subscription")):
        del room["Resources"][lid]


def _severity_window(room: Template, _: Template) -> None:
    pattern = props(room, "AWS::Events::Rule", "AlertsGuardDutyFindings")["EventPattern"]
    pattern["detail"]["severity"] = [{"numeric": [">=", 4, "<", 7]}]


def _recorder_scope(room: Template, _: Template) -> None:
    props(room, "AWS::Config::ConfigurationRecorder")["RecordingGroup"] = {
        "AllSupported": False,
        "ResourceTypes": ["AWS::S3::Bucket"],
    }


def _config_rule_removed(room: Template, _: Template) -> None:
    for lid, rule in list(of(room, "AWS::Config::ConfigRule")):
        if rule["Properties"]["Source"].get("SourceIdentifier") == "CLOUD_TRAIL_ENABLED":
            del room["Resources"][lid]


def _cutoff_raised(room: Template, _: Template) -> None:
    props(room, "AWS::Athena::WorkGroup")["WorkGroupConfiguration"][
        "BytesScannedCutoffPerQuery"
    ] = 1024 * 2**30


def _workgroup_unenforced(room: Template, _: Template) -> None:
    props(room, "AWS::Athena::WorkGroup")["WorkGroupConfiguration"][
        "EnforceWorkGroupConfiguration"
    ] = False


def _plain_prior(room: Template, _: Template) -> None:
    function = props(room, "AWS::Lambda::Function", "Remediation")
    function["Environment"]["Variables"]["MODEL_PRIOR"] = "0.3"


def _short_retention(room: Template, _: Template) -> None:
    props(room, "AWS::Logs::LogGroup", "GloveboxFlowLogs")["RetentionInDays"] = 30


def _permission_unbound(room: Template, _: Template) -> None:
    props(room, "AWS::Lambda::Permission", "RemediationTriggerAllow").pop("SourceArn")


def _perimeter_detached(room: Template, _: Template) -> None:
    scientist = lid_of(room, "AWS::IAM::Role", "ScientistRole")
    perimeter = props(room, "AWS::IAM::ManagedPolicy", "Perimeter")
    perimeter["Roles"] = [r for r in perimeter["Roles"] if r != {"Ref": scientist}]
    props(room, "AWS::IAM::Role", "ScientistRole").setdefault("Policies", []).append(
        {"PolicyName": "Snapshots", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]}}
    )  # fmt: skip


def _endpoint_presence_only(room: Template, _: Template) -> None:
    props(room, "AWS::IAM::Role", "ScientistRole").setdefault("Policies", []).append(
        {"PolicyName": "ThroughSomeEndpoint", "PolicyDocument": {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                        "Condition": {"Null": {"aws:SourceVpce": "false"}}}]}}
    )  # fmt: skip


def _notebook_root(room: Template, _: Template) -> None:
    props(room, "AWS::SageMaker::NotebookInstance", "WorkbenchNotebook")["RootAccess"] = "Enabled"


def _mirror_open_to_the_account(room: Template, _: Template) -> None:
    document = props(room, "AWS::CodeArtifact::Repository", "WorkbenchRepository")[
        "PermissionsPolicyDocument"
    ]
    document["Statement"] = [
        s for s in document["Statement"] if s.get("Sid") != "OnlyTheRoomsWorkbenchRole"
    ]


def _notebook_endpoint_removed(room: Template, _: Template) -> None:
    del room["Resources"][lid_of(room, "AWS::EC2::VPCEndpoint", "GloveboxNotebookEndpoint")]


def _export_writable_by_all(room: Template, _: Template) -> None:
    document = props(room, "AWS::S3::BucketPolicy", "AirlockExportPolicy")["PolicyDocument"]
    document["Statement"] = [
        s for s in document["Statement"] if "aws:PrincipalArn" not in json.dumps(s)
    ]


def _unnamed_access_point(room: Template, _: Template) -> None:
    add(room, "Share", "AWS::S3::AccessPoint", Name="share",
        Bucket={"Ref": lid_of(room, "AWS::S3::Bucket", "StorageResults")})  # fmt: skip


def _dal_every_tenant(room: Template, _: Template) -> None:
    # The example room publishes no DAL: the metadata says what a phase-B manifest would ask for.
    results = room.setdefault("Metadata", {}).setdefault("dataroom", {}).setdefault("results", {})
    results["phase"] = "production-b"
    results["dal"] = {"tenant_tag": "tenant", "tenants": ["acme", "globex"]}
    results.setdefault("access_points", {})["dal"] = {"kind": "dal", "principals": []}
    bucket = lid_of(room, "AWS::S3::Bucket", "StorageResults")
    add(room, "Dal", "AWS::S3::AccessPoint", Name="dal", Bucket={"Ref": bucket}, Policy={
        "Statement": [{"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "*"},
                       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/object/*"}]})  # fmt: skip


def _freeze_schedule_disabled(room: Template, _: Template) -> None:
    props(room, "AWS::Scheduler::Schedule", "LifecycleFreezeAtExpiry")["State"] = "DISABLED"


def _budget_action_removed(room: Template, _: Template) -> None:
    del room["Resources"][lid_of(room, "AWS::Budgets::BudgetsAction")]


def _default_sg_kept(room: Template, _: Template) -> None:
    del room["Resources"][lid_of(room, "Custom::VpcRestrictDefaultSG")]


def _review_unscanned(room: Template, _: Template) -> None:
    del room["Resources"][lid_of(room, "AWS::GuardDuty::MalwareProtectionPlan")]


def _review_scan_untagged(room: Template, _: Template) -> None:
    plan = props(room, "AWS::GuardDuty::MalwareProtectionPlan")
    plan["Actions"] = {"Tagging": {"Status": "DISABLED"}}


def _change_tags_removed(room: Template, _: Template) -> None:
    vpc = props(room, "AWS::EC2::VPC")
    vpc["Tags"] = [t for t in vpc["Tags"] if t["Key"] not in ("dataroom:ticket", "dataroom:owner")]


#: (control, weakening, class of the weakening)
def _archive_filter(room: Template, _: Template) -> None:
    add(room, "Hush", "AWS::GuardDuty::Filter", Name="hush", Action="ARCHIVE", Rank=1,
        DetectorId={"Ref": lid_of(room, "AWS::GuardDuty::Detector")},
        FindingCriteria={"Criterion": {"severity": {"Gte": 0}}})  # fmt: skip


def _alarms_silenced(room: Template, _: Template) -> None:
    for _, alarm in of(room, "AWS::CloudWatch::Alarm"):
        alarm["Properties"]["ActionsEnabled"] = False


def _entry_role_account_trust(room: Template, _: Template) -> None:
    scientist = props(room, "AWS::IAM::Role", "ScientistRole")
    scientist["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                                                 {"Ref": "AWS::AccountId"}, ":root"]]}}}
    )  # fmt: skip
    scientist["MaxSessionDuration"] = 43200


TABLE: list[tuple[str, Weakening, str]] = [
    ("MON-4", _archive_filter, "added resource"),
    ("MON-6", _alarms_silenced, "escape hatch"),
    ("IAM-1", _entry_role_account_trust, "escape hatch"),
    ("NET-1", _igw, "added resource"),
    ("NET-1", _default_route, "added resource"),
    ("NET-1", _public_subnet, "escape hatch"),
    ("NET-1", _foreign_endpoint, "escape hatch"),
    ("NET-1", _function_url, "added resource"),
    ("NET-1", _notebook, "added resource"),
    ("NET-2", _sg_ingress, "escape hatch"),
    ("NET-2", _sg_egress, "escape hatch"),
    ("NET-3", _s3_endpoint_any_bucket, "escape hatch"),
    ("NET-3", _interface_endpoint_unpinned, "escape hatch"),
    ("NET-4", _default_sg_kept, "resource removed"),
    ("CHG-1", _change_tags_removed, "library source"),
    ("NET-5", _flow_log_reject, "escape hatch"),
    ("NET-5", _flow_log_unencrypted, "escape hatch"),
    ("NET-6", _dns_allow_everything_first, "escape hatch"),
    ("NET-6", _dns_unassociated, "escape hatch"),
    ("IAM-5", _boundary_removed, "escape hatch"),
    ("IAM-5", _boundary_hollowed, "library source"),
    ("IAM-5", _iam_user, "added resource"),
    ("IAM-1", _read_role_wildcard_trust, "escape hatch"),
    ("IAM-3", _read_role_no_deny, "library source"),
    ("S3-1", _unversioned, "escape hatch"),
    ("S3-4", _unlogged, "escape hatch"),
    ("S3-4", _key_granted_away, "escape hatch"),
    ("S3-3", _public_block_off, "escape hatch"),
    ("S3-3", _acls_on, "escape hatch"),
    ("S3-2", _sse_s3, "escape hatch"),
    ("S3-2", _rotation_off, "escape hatch"),
    ("MON-1", _trail_unvalidated, "escape hatch"),
    ("MON-1", _trail_no_global_events, "escape hatch"),
    ("MON-1", _trail_governance_lock, "escape hatch"),
    ("MON-3", _detector_disabled, "escape hatch"),
    ("MON-3", _detector_features, "escape hatch"),
    ("MON-4", _alert_rule_disabled, "escape hatch"),
    ("MON-4", _topic_unsubscribed, "resource removed"),
    ("MON-4", _severity_window, "escape hatch"),
    ("MON-5", _recorder_scope, "escape hatch"),
    ("MON-5", _config_rule_removed, "resource removed"),
    ("QRY-1", _cutoff_raised, "escape hatch"),
    ("QRY-1", _workgroup_unenforced, "escape hatch"),
    ("CHG-4", _plain_prior, "escape hatch"),
    ("DRF-2", _short_retention, "escape hatch"),
    ("PER-1", _permission_unbound, "escape hatch"),
    ("PER-2", _perimeter_detached, "library source"),
    ("PER-3", _endpoint_presence_only, "escape hatch"),
    ("WBN-1", _notebook_root, "escape hatch"),
    ("WBN-2", _mirror_open_to_the_account, "escape hatch"),
    ("WBN-4", _notebook_endpoint_removed, "resource removed"),
    ("EXP-1", _export_writable_by_all, "escape hatch"),
    ("EXP-1", _review_unscanned, "resource removed"),
    ("EXP-1", _review_scan_untagged, "escape hatch"),
    ("PHS-1", _unnamed_access_point, "added resource"),
    ("PHS-2", _dal_every_tenant, "added resource"),
    ("LCY-1", _freeze_schedule_disabled, "escape hatch"),
    ("LCY-2", _budget_action_removed, "resource removed"),
    ("PER-2", results_replicated, "escape hatch"),
    ("PER-2", logs_subscribed_out, "added resource"),
    ("S3-4", export_granted_to_a_partner, "escape hatch"),
    ("PER-2", perimeter_roles_emptied, "escape hatch"),
]


def test_the_example_is_clean_for_both(example: Example) -> None:
    assert gate_controls(example, example.room, example.production) == set()
    assert review_controls(example, example.room, example.production) == set()


@pytest.mark.parametrize(
    ("control", "weaken", "kind"), TABLE, ids=[f"{c}-{w.__name__.strip('_')}" for c, w, _ in TABLE]
)
def test_gate_and_review_report_the_same_control(
    example: Example, control: str, weaken: Weakening, kind: str
) -> None:
    room, production = weakened(example, weaken)
    gate = gate_controls(example, room, production)
    review = review_controls(example, room, production)
    assert control in gate, f"{kind}: the gate misses {control} (found {sorted(gate)})"
    assert control in review, f"{kind}: the review misses {control} (found {sorted(review)})"
    if AUDIT_TEMPLATE_VERDICT is not None:  # issue 18 fills the hook in conftest.py
        assert control in AUDIT_TEMPLATE_VERDICT(room, production), f"the audit misses {control}"


def test_every_gate_control_has_a_row() -> None:
    from dataroom.policies.rules.catalog import RULES

    covered = {control for control, _, _ in TABLE}
    assert {r.control for r in RULES} <= covered
