"""What makes each control effective on a deployed account: the audit's one table, by control id.

Every check the audit runs is listed here with the control it serves and the properties it
compares; the checkers (``dataroom/audit/checkers/``), the account discovery and the alert-path
checks take their control ids and constants from this module only. When the control catalogue
(``dataroom/controls/``) lands, this module is the one place to re-point: each
:class:`Expectation` becomes a read of the catalogue entry with the same id.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataroom.controls.storage import PUBLIC_ACCESS_FLAGS as PUBLIC_ACCESS_FLAGS


@dataclass(frozen=True)
class Expectation:
    """One control's effective properties for one kind of deployed resource."""

    control: str
    resource_type: str
    #: The template (or API) properties compared; "absent" kinds for discovery rows.
    properties: tuple[str, ...]
    why: str


# --- constants the checks share ---------------------------------------------------------------

#: Routes that reach beyond the VPC: what NET-1 forbids in every route table of a room.
INTERNET_DESTINATIONS = frozenset({"0.0.0.0/0", "::/0"})
#: Peering states in which traffic flows or soon may.
LIVE_PEERING_STATES = frozenset(
    {"initiating-request", "pending-acceptance", "provisioning", "active"}
)
#: Transit gateway attachment states in which traffic flows or soon may.
LIVE_ATTACHMENT_STATES = frozenset(
    {"initiating", "initiatingRequest", "pendingAcceptance", "pending", "available", "modifying"}
)
#: Service names of interface endpoints that reach AWS itself (anything else is PrivateLink
#: to someone's service: a path out of the room).
AWS_SERVICE_PREFIXES = ("com.amazonaws.", "aws.api.", "aws.sagemaker.", "cn.com.amazonaws.")
#: An SNS subscription that has not been confirmed is listed with this ARN.
PENDING_SUBSCRIPTION = "PendingConfirmation"
#: The event source of the audit's probe (``--probe``); the probe rule matches only it.
PROBE_SOURCE = "dataroom.audit.probe"

# --- the table ----------------------------------------------------------------------------------

E = Expectation
EXPECTATIONS: tuple[Expectation, ...] = (
    # NET-1: no internet path.
    E(
        "NET-1",
        "AWS::EC2::VPC",
        (
            "InternetGateway",
            "NatGateway",
            "EgressOnlyInternetGateway",
            "VpcPeeringConnection",
            "Routes",
        ),
        "nothing attached or routed that leaves the VPC",
    ),
    E(
        "NET-1",
        "account",
        (
            "VPCs with a gateway or peering",
            "transit gateway attachments and non-default routes",
            "interface endpoints to non-AWS services",
            "Lambda function URLs without auth",
            "SageMaker notebooks with direct internet",
        ),
        "nothing added beside the room",
    ),
    # NET-2: interface endpoints, private DNS, 443 from the VPC only.
    E(
        "NET-2",
        "AWS::EC2::VPCEndpoint",
        ("State", "PrivateDnsEnabled", "SecurityGroupIds"),
        "the endpoint is there, resolves privately and carries the template's groups",
    ),
    E(
        "NET-2",
        "AWS::EC2::SecurityGroup",
        ("SecurityGroupIngress", "SecurityGroupEgress"),
        "exactly the template's rules: HTTPS from the VPC CIDR, no egress",
    ),
    # NET-3: the S3 endpoint policy.
    E("NET-3", "AWS::EC2::VPCEndpoint", ("PolicyDocument",), "only the room's buckets"),
    # NET-5: flow logs.
    E(
        "NET-5",
        "AWS::EC2::FlowLog",
        ("FlowLogStatus", "TrafficType", "LogDestination"),
        "ALL traffic delivered to the template's log group, which still exists",
    ),
    E(
        "NET-5",
        "AWS::Logs::LogGroup",
        ("RetentionInDays", "KmsKeyId"),
        "retention at least the template's and the baseline's; still KMS-encrypted",
    ),
    # NET-6: DNS firewall.
    E(
        "NET-6",
        "AWS::Route53Resolver::FirewallRuleGroupAssociation",
        ("VpcId", "Priority", "MutationProtection", "FirewallRules", "Domains"),
        "the VPC's only rule group allows AWS domains first and blocks everything else",
    ),
    # IAM.
    E(
        "IAM-1",
        "AWS::IAM::Role",
        ("AssumeRolePolicyDocument", "MaxSessionDuration"),
        "trust exactly as declared",
    ),
    E(
        "IAM-1",
        "account",
        ("roles trusting other accounts", "IAM users with access keys"),
        "no identity added that an outsider can use",
    ),
    E("IAM-2", "AWS::IAM::Role", ("Policies",), "inline grants as declared"),
    E(
        "IAM-3",
        "AWS::IAM::Role",
        ("ManagedPolicyArns", "other inline policies"),
        "nothing attached beside the template's",
    ),
    E("IAM-5", "AWS::IAM::Role", ("PermissionsBoundary",), "the boundary stays"),
    E("IAM-5", "AWS::IAM::ManagedPolicy", ("PolicyDocument",), "the boundary says what it did"),
    # S3.
    E(
        "S3-1",
        "AWS::S3::Bucket",
        ("VersioningConfiguration", "ObjectLockConfiguration", "LifecycleConfiguration"),
        "results versioned, intermediate data expiring, logs locked",
    ),
    E("S3-2", "AWS::S3::Bucket", ("BucketEncryption",), "the room key by default"),
    E(
        "S3-2",
        "AWS::KMS::Key",
        ("EnableKeyRotation", "KeyPolicy", "Enabled"),
        "rotated, enabled, policy as declared",
    ),
    E("S3-2", "account", ("KMS grants to other accounts",), "no key usable by an outsider"),
    E(
        "S3-3",
        "AWS::S3::Bucket",
        ("PublicAccessBlockConfiguration", "OwnershipControls", "BucketPolicy"),
        "no public access, no ACLs, policy as declared",
    ),
    E(
        "S3-4",
        "AWS::S3::Bucket",
        ("LoggingConfiguration",),
        "server access logs to the template's log bucket and prefix",
    ),
    # MON.
    E(
        "MON-1",
        "AWS::CloudTrail::Trail",
        (
            "IsLogging",
            "EnableLogFileValidation",
            "IsMultiRegionTrail",
            "KMSKeyId",
            "CloudWatchLogsLogGroupArn",
            "S3BucketName",
            "IncludeGlobalServiceEvents",
            "EventSelectors",
        ),
        "the trail records everywhere, signed, encrypted, into the template's bucket",
    ),
    E("MON-1", "account", ("trails that are not logging",), "no stopped trail left behind"),
    E("MON-2", "AWS::CloudTrail::Trail", ("EventSelectors",), "production data events"),
    E(
        "MON-3",
        "AWS::GuardDuty::Detector",
        ("Enable", "FindingPublishingFrequency", "Features"),
        "enabled with every feature",
    ),
    E("MON-3", "account", ("GuardDuty filters that auto-archive",), "no finding silenced"),
    E(
        "MON-4",
        "AWS::Events::Rule",
        ("State", "Targets", "EventPattern"),
        "every alert rule ENABLED, with its targets",
    ),
    E(
        "MON-4",
        "AWS::SNS::Subscription",
        ("Protocol", "Endpoint", "confirmed"),
        "the security team subscribed and confirmed",
    ),
    E(
        "MON-4",
        "AWS::SNS::Topic",
        ("KmsMasterKeyId", "TopicPolicy"),
        "the alert topic encrypted with the room key, its policy admitting the alert sources",
    ),
    E(
        "MON-4",
        "AWS::Lambda::Function",
        ("ReservedConcurrentExecutions",),
        "the remediation function can run (not throttled to 0)",
    ),
    E(
        "MON-5",
        "AWS::Config::ConfigRule",
        ("Source", "ConfigRuleState", "Scope", "InputParameters", "MaximumExecutionFrequency"),
        "each baseline rule evaluates everything",
    ),
    E(
        "MON-5",
        "AWS::Config::ConfigurationRecorder",
        ("recording", "RecordingGroup"),
        "the recorder records every supported type",
    ),
    # QRY-1.
    E(
        "QRY-1",
        "AWS::Athena::WorkGroup",
        (
            "State",
            "EnforceWorkGroupConfiguration",
            "BytesScannedCutoffPerQuery",
            "ResultConfiguration",
        ),
        "enforced, with the template's cut-off and encrypted results in the room",
    ),
    # DRF-3: the baseline's own fields, on the deployed accounts.
    E(
        "DRF-3",
        "baseline",
        ("log_retention_days", "allowed_regions", "trail", "guardduty", "kms", "config_rules"),
        "every baseline field holds in every audited account",
    ),
)
del E

#: Every control id the audit reports (tests check each finding's control is one of them).
CONTROLS: frozenset[str] = frozenset(e.control for e in EXPECTATIONS) | {"DRF-3"}


def expectation(control: str, resource_type: str) -> Expectation:
    """The table's row for a control and a resource type; ``KeyError`` if there is none."""
    for row in EXPECTATIONS:
        if row.control == control and row.resource_type == resource_type:
            return row
    raise KeyError(f"no expectation for {control} on {resource_type}")
