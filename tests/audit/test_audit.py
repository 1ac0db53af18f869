"""``dataroom audit`` against moto (DRF-3): no drift after deployment, each tampering caught.

GIVEN copies of the example's two stacks deployed into moto accounts of their own
(``conftest.py``: 333333333333 for the room, 444444444444 for production, a spare room in
555555555555, and the production stack in moto's default account for the CLI), WHEN the audit
reads them, THEN it reports no drift; and after each tampering it reports exactly that drift.

moto 5.2.5's CloudFormation skips the trail, the GuardDuty detector, the Config rules and the
bucket policies, and drops bucket versioning, public access blocks, ownership controls, object
lock and roles' ``ManagedPolicyArns``. The fixture creates all of them with boto3 from the same
template (see ``conftest.py``), and the audit finds the skipped ones the way it would have to on
any engine that does not list them: the trail by its ``TrailName``, the detector as the region's
only one, each Config rule by CloudFormation's name pattern and then by its source identifier,
each bucket policy through its bucket. moto's AWS managed policies are absent, so the copies name
customer-managed stand-ins.

What moto cannot answer, the audit reports ``unverifiable``, never ``ok``: ``DescribeKey`` fails
with HTTP 500 on keys moto's CloudFormation created (it stores their policy as a dict), so "key
state" is unverifiable, and ``GetKeyRotationStatus`` returns no ``RotationPeriodInDays``, so
"rotation period" is too. :func:`test_what_the_endpoint_cannot_answer_is_unverifiable` forces the
other two such cases (an operation answered ``NotImplemented``, a detector without features).

Tampering tests restore what they changed (``finally``). A deleted flow log or detector cannot be
restored with its id (and the remediation policies name the detector's), so those two tamper
with the spare room, each compared with an audit taken just before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dataroom.audit import AuditReport, Finding, Status, audit_assembly, parse_policy
from dataroom.baseline import load_baseline
from dataroom.cli import main
from tests.audit.conftest import MOTO_DEFAULT_ACCOUNT, DeployedCopy, config_rule_name

pytestmark = pytest.mark.moto

ROOT = Path(__file__).resolve().parents[2]
BASELINE = load_baseline(ROOT / "examples" / "baseline.yaml")
ROOM = "DataRoomStack"
PROD = "ProductionAccessStack"
#: What moto cannot answer (see the module docstring): (resource type, check).
MOTO_UNVERIFIABLE = {
    ("AWS::KMS::Key", "key state"),
    ("AWS::KMS::Key", "rotation period"),
    # moto 5.2 has no Route 53 Resolver firewall and no GuardDuty ListFilters (see
    # test_audit_recorded.py for both, on recorded answers).
    ("AWS::Route53Resolver::FirewallRuleGroupAssociation", "associated with the room VPC"),
}
#: Every resource type the audit judges; each must have ok findings after deployment.
AUDITED_TYPES = {
    "AWS::CloudFormation::Stack",
    "AWS::CloudTrail::Trail",
    "AWS::GuardDuty::Detector",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::FlowLog",
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::Config::ConfigRule",
    "AWS::Config::ConfigurationRecorder",
    "AWS::EC2::SecurityGroup",
    "AWS::Logs::LogGroup",
    "AWS::Lambda::Function",
    "AWS::Events::Rule",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::Athena::WorkGroup",
}
Key = tuple[str, str, str]
TRAIL, DETECTOR, VPC = "AWS::CloudTrail::Trail", "AWS::GuardDuty::Detector", "AWS::EC2::VPC"
ROLE, BUCKET, KEY = "AWS::IAM::Role", "AWS::S3::Bucket", "AWS::KMS::Key"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"


def audit(copy: DeployedCopy, *stacks: str) -> AuditReport:
    """What the templates declare only: account-wide discovery has test_audit_classes.py."""
    return audit_assembly(
        copy.assembly, BASELINE, client_factory=copy.clients, stacks=stacks, discover=False
    )


def by_key(report: AuditReport) -> dict[Key, Finding]:
    return {(f.stack, f.logical_id, f.check): f for f in report.findings}


def problems(report: AuditReport) -> list[str]:
    return [
        f"{f.status}: {f.resource} {f.check}: expected {f.expected}; actual {f.actual}"
        for f in report.findings
        if f.status in ("drift", "missing")
    ]


@pytest.fixture(scope="module")
def reference(room_copy: DeployedCopy) -> dict[str, AuditReport]:
    """Each stack of the room copy, audited right after deployment."""
    return {artifact: audit(room_copy, artifact) for artifact in (ROOM, PROD)}


# --- zero drift -------------------------------------------------------------------------------


def test_no_drift_right_after_deployment(reference: dict[str, AuditReport]) -> None:
    findings = [f for report in reference.values() for f in report.findings]
    for report in reference.values():
        assert not problems(report), "\n".join(problems(report))
        assert report.exit_code == 0
        assert len(by_key(report)) == len(report.findings), "finding keys must be unique"
    ok = [f for f in findings if f.status == "ok"]
    # A do-nothing audit must fail: many real comparisons, over every type it judges.
    assert len(ok) > 150, len(ok)
    assert {f.resource_type for f in ok} == AUDITED_TYPES, {
        f.resource_type for f in ok
    } ^ AUDITED_TYPES
    unverifiable = {(f.resource_type, f.check) for f in findings if f.status == "unverifiable"}
    assert unverifiable == MOTO_UNVERIFIABLE, sorted(unverifiable - MOTO_UNVERIFIABLE)
    for finding in findings:
        if finding.status == "unverifiable":
            assert finding.actual, "an unverifiable finding says why"


def test_skipped_resources_are_found_by_name(
    room_copy: DeployedCopy, reference: dict[str, AuditReport]
) -> None:
    """moto does not list the trail, detector, rules and bucket policies: found all the same."""
    room = room_copy.stacks[ROOM]
    findings = reference[ROOM].findings
    exists = {f.resource_type: f for f in findings if f.check == "exists"}
    trail = _template_props(room_copy, ROOM, "Trail", TRAIL)["TrailName"]
    assert exists[TRAIL].physical_id == trail
    (detector,) = room_copy.client(ROOM, "guardduty").list_detectors()["DetectorIds"]
    assert exists[DETECTOR].physical_id == detector
    assert exists[TRAIL].status == exists[DETECTOR].status == "ok"
    resources = room.template["Resources"].values()
    rules = [f for f in findings if f.check == "rule present"]
    assert len(rules) == sum(r["Type"] == "AWS::Config::ConfigRule" for r in resources) > 0
    assert {f.physical_id for f in rules} == {config_rule_name(room, f.logical_id) for f in rules}
    assert all(f.status == "ok" for f in rules)
    policies = [f for f in findings if f.check == "bucket policy"]
    assert len(policies) == sum(r["Type"] == "AWS::S3::BucketPolicy" for r in resources) > 0
    assert all(f.status == "ok" and f.actual == "the same" for f in policies)


# --- tampering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A finding a tampering must change: by type, logical id prefix and check, and how."""

    resource_type: str
    logical_prefix: str
    check: str
    status: Status
    expected_contains: str = ""

    def matches(self, finding: Finding) -> bool:
        return (
            finding.resource_type == self.resource_type
            and finding.logical_id.startswith(self.logical_prefix)
            and finding.check.startswith(self.check)
            and self.expected_contains in finding.expected
        )


Restore = Callable[[], None]


@dataclass(frozen=True)
class Tampering:
    name: str
    stack: str
    tamper: Callable[[DeployedCopy], Restore]
    rows: tuple[Row, ...]
    copy: str = "room_copy"


def _physical(copy: DeployedCopy, stack: str, prefix: str, kind: str) -> str:
    return copy.stacks[stack].physical_id(prefix, kind)


def _template_props(copy: DeployedCopy, stack: str, prefix: str, kind: str) -> dict[str, Any]:
    resources = copy.stacks[stack].template["Resources"]
    (props,) = [
        r.get("Properties", {})
        for k, r in resources.items()
        if k.startswith(prefix) and r["Type"] == kind
    ]
    return dict(props)


def stop_logging(copy: DeployedCopy) -> Restore:
    cloudtrail = copy.client(ROOM, "cloudtrail")
    name = _template_props(copy, ROOM, "Trail", "AWS::CloudTrail::Trail")["TrailName"]
    cloudtrail.stop_logging(Name=name)
    return lambda: cloudtrail.start_logging(Name=name)


def disable_log_file_validation(copy: DeployedCopy) -> Restore:
    cloudtrail = copy.client(ROOM, "cloudtrail")
    name = _template_props(copy, ROOM, "Trail", "AWS::CloudTrail::Trail")["TrailName"]
    cloudtrail.update_trail(Name=name, EnableLogFileValidation=False)
    return lambda: cloudtrail.update_trail(Name=name, EnableLogFileValidation=True)


def delete_detector(copy: DeployedCopy) -> Restore:
    guardduty = copy.client(ROOM, "guardduty")
    (detector,) = guardduty.list_detectors()["DetectorIds"]
    guardduty.delete_detector(DetectorId=detector)

    # Created again, it gets another id: the spare room stays tampered.
    return lambda: None


def disable_malware_protection(copy: DeployedCopy) -> Restore:
    guardduty = copy.client(ROOM, "guardduty")
    (detector,) = guardduty.list_detectors()["DetectorIds"]
    features = _template_props(copy, ROOM, "ThreatDetection", "AWS::GuardDuty::Detector")[
        "Features"
    ]
    # moto (like GuardDuty's API) takes the features given as the whole list.
    weakened = [
        {**f, "Status": "DISABLED"} if f["Name"] == "EBS_MALWARE_PROTECTION" else f
        for f in features
    ]
    guardduty.update_detector(DetectorId=detector, Features=weakened)
    return lambda: guardduty.update_detector(DetectorId=detector, Features=features)


def attach_internet_gateway(copy: DeployedCopy) -> Restore:
    ec2 = copy.client(ROOM, "ec2")
    vpc = _physical(copy, ROOM, "Glovebox", "AWS::EC2::VPC")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)

    def restore() -> None:
        ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=gateway)

    return restore


def open_s3_endpoint_policy(copy: DeployedCopy) -> Restore:
    ec2 = copy.client(ROOM, "ec2")
    endpoint = _physical(copy, ROOM, "GloveboxS3Endpoint", "AWS::EC2::VPCEndpoint")
    described = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]
    original = json.dumps(parse_policy(described["PolicyDocument"]))
    everything = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    }
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, PolicyDocument=json.dumps(everything))
    return lambda: ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, PolicyDocument=original)


def delete_flow_logs(copy: DeployedCopy) -> Restore:
    ec2 = copy.client(ROOM, "ec2")
    vpc = _physical(copy, ROOM, "Glovebox", "AWS::EC2::VPC")
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in flow_logs["FlowLogs"]])
    # A new flow log would get another id than the stack's: the spare room stays tampered.
    return lambda: None


def widen_read_policy(copy: DeployedCopy) -> Restore:
    iam = copy.client(PROD, "iam")
    role = _physical(copy, PROD, "Room", "AWS::IAM::Role")
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    widened = json.loads(json.dumps(original))
    allow = next(s for s in widened["Statement"] if s["Effect"] == "Allow")
    allow["Action"] = "s3:*"
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(widened))
    return lambda: iam.put_role_policy(
        RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original)
    )


def trust_another_principal(copy: DeployedCopy) -> Restore:
    iam = copy.client(PROD, "iam")
    role = _physical(copy, PROD, "Room", "AWS::IAM::Role")
    original = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    widened = json.loads(json.dumps(original))
    principal = widened["Statement"][0]["Principal"]
    principal["AWS"] = [principal["AWS"], "arn:aws:iam::999999999999:root"]
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(widened))
    return lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(original))


def attach_administrator_access(copy: DeployedCopy) -> Restore:
    iam = copy.client(ROOM, "iam")
    role = _physical(copy, ROOM, "ScientistRole", "AWS::IAM::Role")
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    arn = iam.create_policy(
        PolicyName="AdministratorAccess", PolicyDocument=json.dumps(everything)
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    def restore() -> None:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        iam.delete_policy(PolicyArn=arn)

    return restore


def add_inline_policy(copy: DeployedCopy) -> Restore:
    iam = copy.client(ROOM, "iam")
    role = _physical(copy, ROOM, "ScientistRole", "AWS::IAM::Role")
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=role, PolicyName="Backdoor", PolicyDocument=json.dumps(everything))
    return lambda: iam.delete_role_policy(RoleName=role, PolicyName="Backdoor")


def remove_permissions_boundary(copy: DeployedCopy) -> Restore:
    iam = copy.client(ROOM, "iam")
    role = _physical(copy, ROOM, "ScientistRole", "AWS::IAM::Role")
    boundary = iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
    iam.delete_role_permissions_boundary(RoleName=role)
    return lambda: iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)


def delete_public_access_block(copy: DeployedCopy) -> Restore:
    s3 = copy.client(ROOM, "s3")
    bucket = _physical(copy, ROOM, "StorageResults", "AWS::S3::Bucket")
    original = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    return lambda: s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=original
    )


def replace_bucket_policy(copy: DeployedCopy) -> Restore:
    s3 = copy.client(ROOM, "s3")
    bucket = _physical(copy, ROOM, "StorageResults", "AWS::S3::Bucket")
    original = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    outsider = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(outsider))
    return lambda: s3.put_bucket_policy(Bucket=bucket, Policy=original)


def suspend_versioning(copy: DeployedCopy) -> Restore:
    s3 = copy.client(ROOM, "s3")
    bucket = _physical(copy, ROOM, "StorageResults", "AWS::S3::Bucket")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    return lambda: s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )


def disable_key_rotation(copy: DeployedCopy) -> Restore:
    kms = copy.client(ROOM, "kms")
    key = _physical(copy, ROOM, "RoomKey", "AWS::KMS::Key")
    kms.disable_key_rotation(KeyId=key)
    return lambda: kms.enable_key_rotation(KeyId=key)


def delete_config_rule(copy: DeployedCopy) -> Restore:
    config = copy.client(ROOM, "config")
    room = copy.stacks[ROOM]
    (logical_id, props) = next(
        (k, r["Properties"])
        for k, r in room.template["Resources"].items()
        if r["Type"] == "AWS::Config::ConfigRule"
        and r["Properties"]["Source"]["SourceIdentifier"] == "VPC_FLOW_LOGS_ENABLED"
    )
    name = config_rule_name(room, logical_id)
    config.delete_config_rule(ConfigRuleName=name)
    return lambda: config.put_config_rule(ConfigRule={"ConfigRuleName": name, **props})


TAMPERINGS = [
    Tampering("stop logging", ROOM, stop_logging, (Row(TRAIL, "Trail", "logging", "drift"),)),
    Tampering(
        "disable log file validation",
        ROOM,
        disable_log_file_validation,
        (Row(TRAIL, "Trail", "log file validation", "drift"),),
    ),
    Tampering(
        "delete the detector",
        ROOM,
        delete_detector,
        (
            Row(DETECTOR, "ThreatDetection", "exists", "missing"),
            # moto does not list the detector: once it is gone, nothing says which id the
            # remediation policies should name (CloudFormation would list the old one).
            Row(MANAGED_POLICY, "Remediation", "policy document", "unverifiable"),
        ),
        copy="spare_room_copy",
    ),
    Tampering(
        "disable a GuardDuty feature",
        ROOM,
        disable_malware_protection,
        (Row(DETECTOR, "ThreatDetection", "feature EBS_MALWARE_PROTECTION", "drift"),),
    ),
    Tampering(
        "attach an internet gateway to the room VPC",
        ROOM,
        attach_internet_gateway,
        (Row(VPC, "Glovebox", "no internet gateway attached", "drift"),),
    ),
    Tampering(
        "open the S3 endpoint policy",
        ROOM,
        open_s3_endpoint_policy,
        (Row("AWS::EC2::VPCEndpoint", "GloveboxS3Endpoint", "endpoint policy", "drift"),),
    ),
    Tampering(
        "delete the VPC flow logs",
        ROOM,
        delete_flow_logs,
        (
            Row(VPC, "Glovebox", "flow log of ALL traffic active", "drift"),
            Row("AWS::EC2::FlowLog", "GloveboxFlowLog", "exists", "missing"),
        ),
        copy="spare_room_copy",
    ),
    Tampering(
        "widen the read role's inline policy to s3:*",
        PROD,
        widen_read_policy,
        (Row(ROLE, "Room", "inline policy", "drift"),),
    ),
    Tampering(
        "add a principal to the read role's trust policy",
        PROD,
        trust_another_principal,
        (Row(ROLE, "Room", "trust policy", "drift"),),
    ),
    Tampering(
        "attach AdministratorAccess to the scientist role",
        ROOM,
        attach_administrator_access,
        (Row(ROLE, "ScientistRole", "attached managed policies", "drift"),),
    ),
    Tampering(
        "add an inline policy to the scientist role",
        ROOM,
        add_inline_policy,
        (Row(ROLE, "ScientistRole", "no other inline policy", "drift"),),
    ),
    Tampering(
        "remove the scientist role's permissions boundary",
        ROOM,
        remove_permissions_boundary,
        (Row(ROLE, "ScientistRole", "permissions boundary", "drift"),),
    ),
    Tampering(
        "remove a bucket's public access block",
        ROOM,
        delete_public_access_block,
        (Row(BUCKET, "StorageResults", "public access block", "drift"),),
    ),
    Tampering(
        "replace a bucket policy",
        ROOM,
        replace_bucket_policy,
        (Row(BUCKET, "StorageResults", "bucket policy", "drift"),),
    ),
    Tampering(
        "suspend a bucket's versioning",
        ROOM,
        suspend_versioning,
        (Row(BUCKET, "StorageResults", "versioning", "drift"),),
    ),
    Tampering(
        "disable key rotation",
        ROOM,
        disable_key_rotation,
        (Row(KEY, "RoomKey", "key rotation", "drift"),),
    ),
    Tampering(
        "delete a Config rule",
        ROOM,
        delete_config_rule,
        (
            Row(
                "AWS::Config::ConfigRule",
                "ConfigVpcFlowLogsEnabled",  # rules are named after the managed rule (issue 12)
                "rule present",
                "missing",
                expected_contains="VPC_FLOW_LOGS_ENABLED",
            ),
        ),
    ),
]


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=[t.name for t in TAMPERINGS])
def test_tampering_is_reported_as_exactly_that_drift(
    tampering: Tampering, request: pytest.FixtureRequest
) -> None:
    copy: DeployedCopy = request.getfixturevalue(tampering.copy)
    if tampering.copy == "room_copy":
        before = request.getfixturevalue("reference")[tampering.stack]
    else:
        before = audit(copy, tampering.stack)
    old = by_key(before)
    targets: dict[Key, Status] = {}
    for row in tampering.rows:
        matching = [k for k, f in old.items() if row.matches(f)]
        assert matching, row
        assert all(old[k].status == "ok" for k in matching), [old[k] for k in matching]
        targets.update(dict.fromkeys(matching, row.status))

    restore = tampering.tamper(copy)
    try:
        after = audit(copy, tampering.stack)
    finally:
        restore()

    new = by_key(after)
    assert {k: new[k].status for k in targets if k in new} == targets, [
        new[k] for k in targets if k in new
    ]
    assert not set(new) - set(old), "no finding may appear"
    # A missing resource's other checks cannot run; every other finding keeps its status.
    gone = {k[1] for k, status in targets.items() if status == "missing"}
    changed = [
        f"{k}: {old[k].status} -> {new[k].status if k in new else 'gone'}"
        for k in old
        if k not in targets and (new[k].status != old[k].status if k in new else k[1] not in gone)
    ]
    assert not changed, changed
    assert after.exit_code == 1


def test_restored_room_has_no_drift(room_copy: DeployedCopy) -> None:
    """After every restore (the tampering tests run first), the room is as deployed again."""
    report = audit(room_copy)
    assert not problems(report), "\n".join(problems(report))


def test_what_the_endpoint_cannot_answer_is_unverifiable(
    room_copy: DeployedCopy, reference: dict[str, AuditReport]
) -> None:
    """An operation answered NotImplemented, a detector without features: never ``ok``."""

    class Http:
        def __init__(self, status_code: int) -> None:
            self.status_code = status_code
            self.headers: dict[str, str] = {}

    def not_implemented(**_: Any) -> tuple[Http, dict[str, Any]]:
        error = {"Code": "NotImplemented", "Message": "GetTrailStatus is not implemented"}
        return Http(501), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 501}}

    def clients(service: str, account: str, region: str) -> Any:
        client = room_copy.clients(service, account, region)
        if service == "cloudtrail":
            client.meta.events.register("before-call.cloudtrail.GetTrailStatus", not_implemented)
        if service == "guardduty":
            real = client.get_detector

            def get_detector(**kwargs: Any) -> Any:
                return {k: v for k, v in real(**kwargs).items() if k != "Features"}

            client.get_detector = get_detector
        return client

    report = audit_assembly(
        room_copy.assembly, BASELINE, client_factory=clients, stacks=[ROOM], discover=False
    )
    old, new = by_key(reference[ROOM]), by_key(report)
    changed = {k: new[k] for k in old if new[k].status != old[k].status}
    assert {(f.resource_type, f.check) for f in changed.values()} == {
        (TRAIL, "logging"),
        *((DETECTOR, c) for _, _, c in changed if c.startswith("feature ")),
    }
    features = [f for f in reference[ROOM].findings if f.check.startswith("feature ")]
    assert sum(1 for _, _, c in changed if c.startswith("feature ")) == len(features) > 0
    assert all(f.status == "unverifiable" for f in changed.values())
    logging = next(f for f in changed.values() if f.check == "logging")
    assert "cannot answer GetTrailStatus" in logging.actual
    assert report.exit_code == 0


def test_a_stack_not_deployed_is_missing(spare_room_copy: DeployedCopy) -> None:
    """The spare copy deployed only the room: its production stack is reported missing."""
    report = audit(spare_room_copy, PROD)
    (finding,) = report.findings
    assert (finding.check, finding.status, finding.actual) == (
        "stack deployed",
        "missing",
        "does not exist",
    )
    assert [s.status for s in report.stacks] == ["missing"]
    assert report.exit_code == 1


# --- the command line -----------------------------------------------------------------------


def cli_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This environment without any AWS setting, and empty AWS config files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        **extra,
    )
    return env


def moto_environment(tmp_path: Path, endpoint: str) -> dict[str, str]:
    return cli_environment(
        tmp_path,
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataroom.cli", "audit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def moto_env(
    tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The CLI's environment for moto; also applied to this process, for in-process runs."""
    env = moto_environment(tmp_path, moto_endpoint)
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("AWS_") or name == "NO_PROXY":
            monkeypatch.setenv(name, value)
    yield env


def test_cli_json_against_moto(cli_copy: DeployedCopy, moto_env: dict[str, str]) -> None:
    """Credentials of the default account: the production stack is audited, the room skipped."""
    result = run_cli(["--assembly", str(cli_copy.assembly), "--json"], moto_env)
    assert result.returncode == 0, result.stderr + result.stdout
    document = json.loads(result.stdout)
    assert set(document) == {"assembly", "baseline", "stacks", "findings", "summary"}
    assert document["assembly"] == str(cli_copy.assembly)
    assert document["baseline"] == "examples/baseline.yaml"
    stacks = {s["artifact_id"]: s for s in document["stacks"]}
    assert stacks[PROD]["status"] == "audited"
    assert stacks[PROD]["account"] == MOTO_DEFAULT_ACCOUNT
    assert stacks[ROOM]["status"] == "skipped"
    assert stacks[ROOM]["reason"] == f"credentials are for account {MOTO_DEFAULT_ACCOUNT}"
    findings = document["findings"]
    # The stack's rows, and its account's (discovery and the baseline's fields).
    assert {f["stack"] for f in findings} == {
        "dataroom-audit-cli-production",
        f"account {MOTO_DEFAULT_ACCOUNT}",
    }
    assert all(
        set(f) >= {"stack", "control", "resource", "check", "expected", "actual", "status"}
        for f in findings
    )
    summary = document["summary"]
    assert summary["checks"] == len(findings) > 30
    assert summary["ok"] == sum(f["status"] == "ok" for f in findings) > 30
    assert summary["drift"] == summary["missing"] == 0
    assert summary["stacks_skipped"] == 1 and summary["exit_code"] == 0


def test_cli_reports_drift_with_exit_1(cli_copy: DeployedCopy, moto_env: dict[str, str]) -> None:
    cloudtrail = cli_copy.client(PROD, "cloudtrail")
    cloudtrail.stop_logging(Name="dataroom-audit-cli-reads")
    try:
        result = run_cli(["--assembly", str(cli_copy.assembly)], moto_env)
    finally:
        cloudtrail.start_logging(Name="dataroom-audit-cli-reads")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("stack"))
    first_row = lines[header + 2]
    assert "logging" in first_row and first_row.rstrip().endswith("drift"), "drift comes first"
    assert lines[-1].endswith("1 drift, 0 missing, 2 unverifiable; 1 stack(s) skipped")
    assert "Traceback" not in result.stderr


def test_cli_reports_a_stack_not_deployed(
    cli_copy: DeployedCopy,
    moto_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest_path = cli_copy.assembly / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["artifacts"][PROD]["properties"]["stackName"] = "dataroom-audit-cli-never-deployed"
    assembly = tmp_path / "cdk.out"
    assembly.mkdir()
    for path in cli_copy.assembly.glob("*.json"):
        (assembly / path.name).write_text(path.read_text())
    (assembly / "manifest.json").write_text(json.dumps(manifest))
    code = main(["audit", "--assembly", str(assembly), "--stack", PROD, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    (finding,) = document["findings"]
    assert finding["status"] == "missing" and finding["actual"] == "does not exist"
    assert document["stacks"][0]["status"] == "missing"


def test_cli_without_credentials_says_so(cli_copy: DeployedCopy, tmp_path: Path) -> None:
    result = run_cli(["--assembly", str(cli_copy.assembly)], cli_environment(tmp_path))
    assert result.returncode == 2
    assert "dataroom audit: no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_with_an_unreachable_endpoint_says_so(cli_copy: DeployedCopy, tmp_path: Path) -> None:
    env = moto_environment(tmp_path, "http://127.0.0.1:9")
    result = run_cli(
        ["--assembly", str(cli_copy.assembly), "--endpoint-url", "http://127.0.0.1:9"], env
    )
    assert result.returncode == 2
    assert "dataroom audit: cannot reach the AWS endpoint" in result.stderr
    assert "127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "absent", "no such directory"),
        (lambda p: p, "not a cloud assembly (no manifest.json)"),
    ],
    ids=["missing directory", "not an assembly"],
)
def test_cli_without_an_assembly_is_a_usage_error(
    make: Callable[[Path], Path],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assembly = make(tmp_path)
    code = main(["audit", "--assembly", str(assembly)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"dataroom audit: {assembly}: {message}" in err


def test_cli_with_an_unknown_stack_is_a_usage_error(
    cli_copy: DeployedCopy, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["audit", "--assembly", str(cli_copy.assembly), "--stack", "NoSuchStack"])
    assert code == 2
    assert "no stack named NoSuchStack" in capsys.readouterr().err
