"""Every new or changed gate rule on small template fragments: one compliant, one not.

Plain dicts through RuleContext: no synthesis, milliseconds per case.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dataroom.baseline import load_baseline
from dataroom.controls.query import GIB
from dataroom.policies.rules import (
    chg1_room_tags,
    exp1_review_malware_scan,
    iam1_read_role_trust,
    iam5_boundary,
    iam5_no_standing_identity,
    mon1_trail,
    mon4_alert_severity,
    mon4_alerts_delivered,
    mon4_room_monitoring,
    mon5_config_recorder,
    net1_no_internet_path,
    net2_endpoint_security_group,
    net3_endpoint_perimeter,
    net4_default_security_group,
    net5_flow_logs,
    net6_dns_firewall,
    qry1_query_guard,
    s31_bucket_versioning,
    s33_tls_only,
    s34_access_logging,
    s34_key_policy_account,
)
from dataroom.policies.rules.base import Rule, RuleContext
from tests.conftest import ROOT

BASELINE = load_baseline(ROOT / "examples" / "baseline.yaml")
ACCOUNT = "222222222222"
Template = dict[str, Any]


def context_of(template: Template, logical_id: str, **extra: Any) -> RuleContext:
    """``logical_id`` of ``template`` as the gate would judge it (``extra``: RuleContext fields)."""
    return RuleContext(
        logical_id=logical_id,
        resource=template["Resources"][logical_id],
        template=template,
        baseline=BASELINE,
        account=ACCOUNT,
        region="us-east-1",
        **extra,
    )


def judge(rule: Rule, template: Template, logical_id: str, **extra: Any) -> bool:
    """True when ``rule`` finds nothing wrong with ``logical_id`` in ``template``."""
    verdict = rule.check(context_of(template, logical_id, **extra))
    return verdict is None or verdict is True or verdict == []


def res(kind: str, **props: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": props}


VPC = res("AWS::EC2::VPC", CidrBlock="10.80.0.0/22")
BOUNDARY_OK = res(
    "AWS::IAM::ManagedPolicy",
    PolicyDocument={
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["iam:*", "ec2:*", "cloudtrail:*", "guardduty:*",
                                         "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "kms:*"],
             "Resource": "*"},
        ]
    },
)  # fmt: skip
TRAIL_BUCKET = res(
    "AWS::S3::Bucket",
    ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Days": 365, "Mode": "COMPLIANCE"}},
    },
)
TRAIL = res(
    "AWS::CloudTrail::Trail",
    IsLogging=True,
    EnableLogFileValidation=True,
    KMSKeyId="k",
    CloudWatchLogsLogGroupArn="g",
    IsMultiRegionTrail=True,
    IncludeGlobalServiceEvents=True,
    S3BucketName={"Ref": "B"},
)
DNS = {
    "V": VPC,
    "Allow": res("AWS::Route53Resolver::FirewallDomainList", Domains=["amazonaws.com."]),
    "All": res("AWS::Route53Resolver::FirewallDomainList", Domains=["*"]),
    "G": res(
        "AWS::Route53Resolver::FirewallRuleGroup",
        FirewallRules=[
            {
                "Priority": 1,
                "Action": "ALLOW",
                "FirewallDomainListId": {"Fn::GetAtt": ["Allow", "Id"]},
            },
            {
                "Priority": 2,
                "Action": "BLOCK",
                "FirewallDomainListId": {"Fn::GetAtt": ["All", "Id"]},
            },
        ],
    ),
    "A": res(
        "AWS::Route53Resolver::FirewallRuleGroupAssociation",
        FirewallRuleGroupId={"Fn::GetAtt": ["G", "Id"]},
        VpcId={"Ref": "V"},
        Priority=101,
    ),
}
SG = res(
    "AWS::EC2::SecurityGroup",
    SecurityGroupIngress=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                           "CidrIp": "10.80.0.0/22"}],
    SecurityGroupEgress=[{"CidrIp": "255.255.255.255/32", "IpProtocol": "icmp", "FromPort": 252,
                          "ToPort": 86}],
)  # fmt: skip
ENDPOINT = res(
    "AWS::EC2::VPCEndpoint",
    ServiceName="com.amazonaws.us-east-1.sts",
    VpcEndpointType="Interface",
    SecurityGroupIds=[{"Fn::GetAtt": ["SG", "GroupId"]}],
    PolicyDocument={
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": {"AWS": "*"},
             "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}}
        ]
    },
)  # fmt: skip
READ_ROLE = res(
    "AWS::IAM::Role",
    AssumeRolePolicyDocument={
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": "arn:aws:iam::333333333333:role/Scientist"},
                "Condition": {
                    "StringEquals": {"sts:ExternalId": "x"},
                    "Null": {"sts:SourceIdentity": "false"},
                    "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
                },
            }
        ]
    },
    Policies=[
        {
            "PolicyName": "p",
            "PolicyDocument": {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "NotAction": ["s3:GetObject", "kms:Decrypt"],
                        "Resource": "*",
                    }
                ]
            },
        }
    ],
)
WORKGROUP = res(
    "AWS::Athena::WorkGroup",
    WorkGroupConfiguration={
        "EnforceWorkGroupConfiguration": True,
        "BytesScannedCutoffPerQuery": 50 * GIB,
        "ResultConfiguration": {"EncryptionConfiguration": {"EncryptionOption": "SSE_KMS"}},
        "PublishCloudWatchMetricsEnabled": True,
    },
)
ALERTS = {
    "T": res("AWS::SNS::Topic", KmsMasterKeyId="k"),
    "S": res("AWS::SNS::Subscription", TopicArn={"Ref": "T"}, Protocol="email", Endpoint="a@b.c"),
    "R": res(
        "AWS::Events::Rule",
        State="ENABLED",
        EventPattern={
            "source": ["aws.guardduty"],
            "detail": {"severity": [{"numeric": [">=", 4]}]},
        },
        Targets=[{"Arn": {"Ref": "T"}, "Id": "t"}],
    ),
}
#: A room whose manifest asks for alerts from severity 3 (below production's 4).
ALERTS_3 = copy.deepcopy(ALERTS)
ALERTS_3["R"]["Properties"]["EventPattern"]["detail"]["severity"] = [{"numeric": [">=", 3]}]
FLOW = {
    "V": VPC,
    "LG": res("AWS::Logs::LogGroup", KmsKeyId="k", RetentionInDays=365),
    "FL": res("AWS::EC2::FlowLog", ResourceId={"Ref": "V"}, TrafficType="ALL",
              LogDestinationType="cloud-watch-logs", LogDestination={"Fn::GetAtt": ["LG", "Arn"]}),
}  # fmt: skip


TAGGED_VPC = res(
    "AWS::EC2::VPC",
    Tags=[
        {"Key": "dataroom:room", "Value": "r1"},
        {"Key": "dataroom:phase", "Value": "exploration"},
        {"Key": "dataroom:ticket", "Value": "SEC-1"},
        {"Key": "dataroom:owner", "Value": "o@x.com"},
        {"Key": "dataroom:approvers", "Value": "a@x.com"},
        {"Key": "dataroom:hypothesis", "Value": "h"},
    ],
)
TLS = {
    "B": res("AWS::S3::Bucket"),
    "P": res(
        "AWS::S3::BucketPolicy",
        Bucket={"Ref": "B"},
        PolicyDocument={
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    "Resource": [
                        {"Fn::GetAtt": ["B", "Arn"]},
                        {"Fn::Join": ["", [{"Fn::GetAtt": ["B", "Arn"]}, "/*"]]},
                    ],
                }
            ]
        },
    ),
}
S3_ENDPOINT = res(
    "AWS::EC2::VPCEndpoint",
    VpcEndpointType="Gateway",
    PolicyDocument={
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::prod-telemetry/events/*"],
            }
        ]
    },
)
REVIEW = {
    "RB": {"Type": "AWS::S3::Bucket",
           "Properties": {"Tags": [{"Key": "dataroom:airlock", "Value": "review"}]}},
    "P": res("AWS::GuardDuty::MalwareProtectionPlan",
             ProtectedResource={"S3Bucket": {"BucketName": {"Ref": "RB"}}},
             Actions={"Tagging": {"Status": "ENABLED"}}),
}  # fmt: skip


def _set(path: str, value: Any) -> Any:
    """An edit: set ``Resources.<id>.Properties.<a>.<b>...`` to ``value`` (None deletes)."""

    def apply(template: Template) -> None:
        keys = path.split(".")
        node = template["Resources"][keys[0]]
        for key in keys[1:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if value is None:
            node.pop(keys[-1], None)
        elif isinstance(node, list):
            node[int(keys[-1])] = value
        else:
            node[keys[-1]] = value

    return apply


def _add(logical_id: str, resource: dict[str, Any]) -> Any:
    def apply(template: Template) -> None:
        template["Resources"][logical_id] = resource

    return apply


#: (case, rule, compliant template, judged logical id, weakening, expected extra RuleContext)
CASES: list[tuple[str, Rule, dict[str, Any], str, Any, dict[str, Any]]] = [
    ("igw", net1_no_internet_path.RULE, {"V": VPC}, "X",
     _add("X", res("AWS::EC2::InternetGateway")), {}),
    ("client-vpn", net1_no_internet_path.RULE, {"V": VPC}, "X",
     _add("X", res("AWS::EC2::ClientVpnEndpoint")), {}),
    ("foreign-endpoint", net1_no_internet_path.RULE, {"E": ENDPOINT}, "E",
     _set("E.Properties.ServiceName", "com.vendor.vpce-svc-1"), {}),
    ("function-url", net1_no_internet_path.RULE,
     {"U": res("AWS::Lambda::Url", AuthType="AWS_IAM")}, "U", _set("U.Properties.AuthType", "NONE"), {}),
    ("notebook", net1_no_internet_path.RULE,
     {"N": res("AWS::SageMaker::NotebookInstance", DirectInternetAccess="Disabled", SubnetId="s")},
     "N", _set("N.Properties.DirectInternetAccess", "Enabled"), {}),
    ("default-route", net1_no_internet_path.RULE,
     {"R": res("AWS::EC2::Route", DestinationCidrBlock="10.1.0.0/16")}, "R",
     _set("R.Properties.DestinationCidrBlock", "0.0.0.0/0"), {}),
    ("iam-user", iam5_no_standing_identity.RULE, {"V": VPC}, "U",
     _add("U", res("AWS::IAM::User")), {}),
    ("boundary-missing", iam5_boundary.RULE,
     {"B": BOUNDARY_OK, "R": res("AWS::IAM::Role", PermissionsBoundary={"Ref": "B"})}, "R",
     _set("R.Properties.PermissionsBoundary", None), {}),
    ("boundary-weak", iam5_boundary.RULE,
     {"B": BOUNDARY_OK, "R": res("AWS::IAM::Role", PermissionsBoundary={"Ref": "B"})}, "R",
     _set("B.Properties.PolicyDocument.Statement.1.Action", ["iam:*"]), {}),
    ("boundary-external", iam5_boundary.RULE,
     {"B": BOUNDARY_OK, "R": res("AWS::IAM::Role", PermissionsBoundary={"Ref": "B"})}, "R",
     _set("R.Properties.PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess"), {}),
    ("trust-bare-account", iam1_read_role_trust.RULE, {"R": READ_ROLE}, "R",
     _set("R.Properties.AssumeRolePolicyDocument.Statement.0.Principal", {"AWS": "999999999999"}), {}),
    ("trust-wildcard", iam1_read_role_trust.RULE, {"R": READ_ROLE}, "R",
     _set("R.Properties.AssumeRolePolicyDocument.Statement.0.Principal", {"AWS": "*"}), {}),
    ("trust-join", iam1_read_role_trust.RULE, {"R": READ_ROLE}, "R",
     _set("R.Properties.AssumeRolePolicyDocument.Statement.0.Principal",
          {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::999999999999:root"]]}}),
     {}),
    ("trail-global-events", mon1_trail.RULE, {"B": TRAIL_BUCKET, "T": TRAIL}, "T",
     _set("T.Properties.IncludeGlobalServiceEvents", False), {}),
    ("trail-governance-lock", mon1_trail.RULE, {"B": TRAIL_BUCKET, "T": TRAIL}, "T",
     _set("B.Properties.ObjectLockConfiguration.Rule.DefaultRetention.Mode", "GOVERNANCE"), {}),
    ("severity-window", mon4_alert_severity.RULE, ALERTS, "R",
     _set("R.Properties.EventPattern.detail.severity", [{"numeric": [">=", 4, "<", 7]}]), {}),
    ("severity-above-manifest", mon4_alert_severity.RULE, ALERTS_3, "R",
     _set("R.Properties.EventPattern.detail.severity", [{"numeric": [">=", 4]}]),
     {"manifest_expect": {"min_finding_severity": 3.0}}),
    ("rule-disabled", mon4_alerts_delivered.RULE, ALERTS, "R", _set("R.Properties.State", "DISABLED"), {}),
    ("topic-unsubscribed", mon4_alerts_delivered.RULE, ALERTS, "T",
     lambda t: t["Resources"].pop("S"), {}),
    ("recorder-scope", mon5_config_recorder.RULE,
     {"C": res("AWS::Config::ConfigurationRecorder",
               RecordingGroup={"AllSupported": True, "IncludeGlobalResourceTypes": True})}, "C",
     _set("C.Properties.RecordingGroup.IncludeGlobalResourceTypes", False), {}),
    ("endpoint-sg-ingress", net2_endpoint_security_group.RULE, {"V": VPC, "SG": SG, "E": ENDPOINT},
     "SG", _set("SG.Properties.SecurityGroupIngress.0.CidrIp", "0.0.0.0/0"), {}),
    ("endpoint-sg-egress", net2_endpoint_security_group.RULE, {"V": VPC, "SG": SG, "E": ENDPOINT},
     "SG", _set("SG.Properties.SecurityGroupEgress.0", {"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"}),
     {}),
    ("endpoint-not-pinned", net3_endpoint_perimeter.RULE, {"E": ENDPOINT}, "E",
     _set("E.Properties.PolicyDocument.Statement.0.Condition",
          {"StringEquals": {"aws:PrincipalAccount": "999999999999"}}), {}),
    ("endpoint-other-key", net3_endpoint_perimeter.RULE, {"E": ENDPOINT}, "E",
     _set("E.Properties.PolicyDocument.Statement.0.Condition",
          {"Bool": {"aws:SecureTransport": "true"}}), {}),
    ("default-sg-kept", net4_default_security_group.RULE,
     {"V": VPC, "C": res("Custom::VpcRestrictDefaultSG",
                         DefaultSecurityGroupId={"Fn::GetAtt": ["V", "DefaultSecurityGroup"]})},
     "V", lambda t: t["Resources"].pop("C"), {}),
    ("default-sg-of-another-vpc", net4_default_security_group.RULE,
     {"V": VPC, "C": res("Custom::VpcRestrictDefaultSG",
                         DefaultSecurityGroupId={"Fn::GetAtt": ["V", "DefaultSecurityGroup"]})},
     "V", _set("C.Properties.DefaultSecurityGroupId", "sg-0123456789abcdef0"), {}),
    ("review-unscanned", exp1_review_malware_scan.RULE, REVIEW, "RB",
     lambda t: t["Resources"].pop("P"), {}),
    ("review-scan-untagged", exp1_review_malware_scan.RULE, REVIEW, "RB",
     _set("P.Properties.Actions.Tagging.Status", "DISABLED"), {}),
    ("change-tags-removed", chg1_room_tags.RULE, {"V": TAGGED_VPC}, "V",
     _set("V.Properties.Tags", TAGGED_VPC["Properties"]["Tags"][:3]), {}),
    ("change-tag-other-room", chg1_room_tags.RULE, {"V": TAGGED_VPC}, "V",
     lambda t: t.update(Metadata={"dataroom": {"kind": "room", "room": "another-room"}}), {}),
    ("tls-deny-narrowed", s33_tls_only.RULE, TLS, "B",
     _set("P.Properties.PolicyDocument.Statement.0.Principal", {"AWS": "arn:aws:iam::1:role/x"}),
     {}),
    ("tls-deny-one-action", s33_tls_only.RULE, TLS, "B",
     _set("P.Properties.PolicyDocument.Statement.0.Action", "s3:PutObject"), {}),
    ("tls-deny-bucket-only", s33_tls_only.RULE, TLS, "B",
     _set("P.Properties.PolicyDocument.Statement.0.Resource", {"Fn::GetAtt": ["B", "Arn"]}), {}),
    ("endpoint-bucket-pattern", net3_endpoint_perimeter.RULE, {"E": S3_ENDPOINT}, "E",
     _set("E.Properties.PolicyDocument.Statement.0.Resource", ["arn:aws:s3:::prod-*/*"]), {}),
    ("endpoint-bucket-pattern-joined", net3_endpoint_perimeter.RULE, {"E": S3_ENDPOINT}, "E",
     _set("E.Properties.PolicyDocument.Statement.0.Resource",
          {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::*-public/*"]]}), {}),
    ("flow-log-unencrypted", net5_flow_logs.RULE, FLOW, "V", _set("LG.Properties.KmsKeyId", None), {}),
    ("flow-log-elsewhere", net5_flow_logs.RULE, FLOW, "V",
     _set("FL.Properties.LogDestination", "arn:aws:logs:us-east-1:999999999999:log-group:x"), {}),
    ("dns-allow-first", net6_dns_firewall.RULE, DNS, "V",
     _set("Allow.Properties.Domains", ["*"]), {}),
    ("cutoff-not-manifest", qry1_query_guard.RULE, {"W": WORKGROUP}, "W",
     _set("W.Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery", 1024 * GIB),
     {"manifest_expect": {"athena_cutoff_bytes": 50 * GIB}}),
    ("bucket-unversioned", s31_bucket_versioning.RULE,
     {"B": res("AWS::S3::Bucket", VersioningConfiguration={"Status": "Enabled"})}, "B",
     _set("B.Properties.VersioningConfiguration.Status", "Suspended"), {}),
    ("bucket-unlogged", s34_access_logging.RULE,
     {"B": res("AWS::S3::Bucket", LoggingConfiguration={"DestinationBucketName": {"Ref": "L"}}),
      "L": res("AWS::S3::Bucket")}, "B", _set("B.Properties.LoggingConfiguration", None), {}),
    ("key-foreign-grant", s34_key_policy_account.RULE,
     {"K": res("AWS::KMS::Key", KeyPolicy={"Statement": [
         {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
          "Action": "kms:*", "Resource": "*"}]})}, "K",
     _set("K.Properties.KeyPolicy.Statement.0.Principal", {"AWS": "999999999999"}), {}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "rule", "resources", "judged", "weaken", "extra"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_rule_passes_the_fragment_and_catches_its_weakening(
    case: str,
    rule: Rule,
    resources: dict[str, Any],
    judged: str,
    weaken: Any,
    extra: dict[str, Any],
) -> None:
    template: Template = {"Resources": copy.deepcopy(resources)}
    if judged in template["Resources"]:
        assert judge(rule, template, judged, **extra), f"{case}: the compliant fragment fails"
    weaken(template)
    assert not judge(rule, template, judged, **extra), f"{case}: the weakening passes"


def test_an_adopted_detector_is_believed_only_when_the_manifest_names_it() -> None:
    template: Template = {
        "Metadata": {"dataroom": {"kind": "room", "adopted": {"guardduty_detector": "a" * 32}}},
        "Resources": {"V": VPC},
    }
    context = {"logical_id": "V", "resource": VPC, "template": template, "baseline": BASELINE,
               "account": ACCOUNT, "region": "us-east-1"}  # fmt: skip
    believed = mon4_room_monitoring.check(
        RuleContext(**context, manifest_expect={"guardduty_detector": "a" * 32})  # type: ignore[arg-type]
    )
    alone = mon4_room_monitoring.check(RuleContext(**context))  # type: ignore[arg-type]
    assert isinstance(believed, list) and not any("MON-3" in f for f in believed)
    assert isinstance(alone, list) and any("MON-3" in f for f in alone)


def test_guarded_only_rules_skip_unguarded_stacks() -> None:
    template: Template = {"Resources": {"U": res("AWS::IAM::User")}}
    context = RuleContext(
        logical_id="U", resource=template["Resources"]["U"], template=template, baseline=BASELINE,
        account="333333333333", region="us-east-1", guarded=False, room_account=False,
    )  # fmt: skip
    assert not iam5_no_standing_identity.RULE.applies(context)
    assert iam5_no_standing_identity.RULE.applies(
        RuleContext(**{**context.__dict__, "guarded": True})
    )


# S3-4's one exception: a reader the manifest names decrypts through S3 only (EXP-1, PHS-1).
READER = "arn:aws:iam::999999999999:role/Consumer"


def _reader_key(statement: dict[str, Any]) -> Template:
    return {
        "Metadata": {"dataroom": {"kind": "room", "readers": [READER]}},
        "Resources": {"K": res("AWS::KMS::Key", KeyPolicy={"Statement": [statement]})},
    }


DECRYPT_VIA_S3 = {
    "Effect": "Allow",
    "Principal": {"AWS": READER},
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
}


def test_s34_admits_a_declared_readers_decrypt_via_s3() -> None:
    assert judge(s34_key_policy_account.RULE, _reader_key(DECRYPT_VIA_S3), "K")


@pytest.mark.parametrize(
    "weaken",
    [
        {"Principal": {"AWS": "arn:aws:iam::999999999999:role/Undeclared"}},
        {"Action": ["kms:Decrypt", "kms:Encrypt"]},
        {"Condition": {}},
        {
            "Condition": {
                "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
            }
        },
    ],
    ids=["undeclared-reader", "more-than-decrypt", "not-via-s3", "via-another-service"],
)
def test_s34_refuses_anything_wider_than_that(weaken: dict[str, Any]) -> None:
    assert not judge(s34_key_policy_account.RULE, _reader_key({**DECRYPT_VIA_S3, **weaken}), "K")


@pytest.mark.parametrize(
    "rule",
    [net4_default_security_group.RULE, exp1_review_malware_scan.RULE],
    ids=lambda r: r.rule_id,
)
def test_only_local_mode_waives_what_moto_cannot_deploy(rule: Rule) -> None:
    # The weakened fragment: no restricting resource, no scan plan.
    resources = {"V": VPC, "RB": REVIEW["RB"]}
    judged = "V" if "AWS::EC2::VPC" in rule.resource_types else "RB"
    template: Template = {
        "Resources": copy.deepcopy(resources),
        "Metadata": {"dataroom": {"kind": "room"}},
    }

    assert rule.applies(context_of(template, judged)) and not judge(rule, template, judged)
    assert not rule.applies(context_of(template, judged, local=True))
