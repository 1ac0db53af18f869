"""DataRoom: a whole room (glovebox, key, buckets, monitoring, roles) from typed props."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Fn, RemovalPolicy, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dataroom.constructs.acknowledge import INLINE_ON_PURPOSE, NIST, SOLUTIONS, acknowledge
from dataroom.constructs.alerts import RoomAlerts
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.constructs.config_rules import ConfigBaseline
from dataroom.constructs.dns_firewall import DnsFirewall
from dataroom.constructs.glovebox import Glovebox
from dataroom.constructs.permission_boundary import RoomPermissionBoundary
from dataroom.constructs.query_guard import QueryGuard
from dataroom.constructs.remediation import Remediation
from dataroom.constructs.room_key import RoomKey
from dataroom.constructs.room_storage import RoomStorage
from dataroom.constructs.threat_detection import ThreatDetection
from dataroom.manifest import DATA_PHASES, Monitoring, Phase, Prior

#: The manifest's ``log_retention_days`` as CloudWatch Logs' retention values.
RETENTION: dict[int, logs.RetentionDays] = {
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
#: Template metadata key the room-level rules and the review read (``kind: room``).
METADATA_KEY = "dataroom"
_TAG_UNSAFE = re.compile(r"[^\w\s+\-=.:/@]")
_ROOM_NAME = re.compile(r"[a-z][a-z0-9-]{1,30}[a-z0-9]")

#: The wildcard actions aws-cdk-lib's Bucket and Key grants emit for the room's own buckets.
ROOM_GRANT_WILDCARD_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
PRIOR_NOT_A_CREDENTIAL = (
    "A model prior is a parameter the room's owner sets, not a credential: there is nothing to "
    "rotate, and a rotation function would overwrite the value. The secret is encrypted with the "
    "room key and readable by the room's roles only (CHG-4)."
)


def tag_value(value: str) -> str:
    """A value CloudFormation accepts as a tag: its character set, at most 256 characters."""
    return _TAG_UNSAFE.sub("", value).strip()[:256]


@dataclass(frozen=True)
class DatasetBucket:
    """A production bucket the room may read through its endpoint, and the approved prefixes.

    :param bucket_name: the production bucket.
    :param prefixes: the approved key prefixes (at least one).
    :param account: the production account that owns the bucket.
    :param region: the bucket's region.
    """

    bucket_name: str
    prefixes: tuple[str, ...]
    account: str
    region: str


@dataclass(frozen=True)
class ProductionReadRole:
    """The production side's read role the room's scientists assume (IAM-1), and its ExternalId."""

    role_arn: str
    external_id: str


class DataRoom(Construct):
    """A whole data room in any stack: everything ``DataRoomStack`` deploys, from typed props.

    Glovebox (NET-1..5), DNS firewall (NET-6), room key (S3-2), intermediate / results / access
    log buckets (S3-1..4), trail with data events (MON-1), detector (MON-3), alerts (MON-4),
    Config rules (MON-5), self-healing, query guard (QRY-1), encrypted priors (CHG-4), the
    permissions boundary on every role of the room (IAM-5) and the scientists' entry role.
    CHG-1 tags go on every taggable resource; the expiry tag only on the key and the roles, so
    extending a room's expiry changes what it governs and nothing else.

    The construct writes the template metadata (``kind: room``) that DataRoomChecks' room-level
    rules read, so a room placed in a team's own stack is judged like ``DataRoomStack``; a stack
    holds at most one room. Its findings that are by design are acknowledged by the constructs
    themselves, with reasons.

    :param name: the room's name (lower case, digits, ``-``); part of its resources' names.
    :param phase: the lifecycle phase; only exploration, production-a and production-b read
        production data (IAM-6).
    :param hypothesis: CHG-1: what the room explores.
    :param ticket: CHG-1: the approval ticket.
    :param owner: CHG-1: the owner's e-mail; alerts go there when no ``alert_emails`` are given.
    :param approvers: CHG-1: who approved the room.
    :param expires: CHG-1, IAM-4: the last day of the room.
    :param principals: role ARNs that may assume the scientist role.
    :param availability_zones: two or more zones. Default: the region's first two, resolved
        by CloudFormation at deploy time (no look-up at synth).
    :param cidr: the glovebox VPC's block. Default ``10.80.0.0/22``.
    :param datasets: production buckets and prefixes the endpoint lets through (NET-3); only in
        a phase that reads production.
    :param production_read_role: the production read role the scientist role may assume; only in
        a phase that reads production.
    :param query_limit_gb: QRY-1 bytes-scanned cut-off per query. Default: 10.
    :param monitoring: MON-1..5 settings (trail lock, retention, detector, Config recorder...).
    :param priors: CHG-4 model priors, one encrypted secret each.
    :param alert_emails: who receives the room's alerts. Default: ``owner``.
    :param scientist_role_name: the entry role's name (part of the contract with production).
        Default: ``dataroom-<name>-scientist``.
    :param restrict_default_security_group: NET-4; only local mode turns it off. Default: true.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        phase: Phase,
        hypothesis: str,
        ticket: str,
        owner: str,
        approvers: Sequence[str],
        expires: dt.date,
        principals: Sequence[str],
        availability_zones: Sequence[str] | None = None,
        cidr: str = "10.80.0.0/22",
        datasets: Sequence[DatasetBucket] = (),
        production_read_role: ProductionReadRole | None = None,
        query_limit_gb: int = 10,
        monitoring: Monitoring | None = None,
        priors: Sequence[Prior] = (),
        alert_emails: Sequence[str] = (),
        scientist_role_name: str | None = None,
        restrict_default_security_group: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        monitoring = monitoring or Monitoring()
        _check_props(
            self, name, phase, approvers, principals, datasets, production_read_role, query_limit_gb
        )
        stack = Stack.of(self)
        self.name = name
        self.phase = phase
        self.expires = expires
        self.reads_production = phase in DATA_PHASES
        self.query_limit_gb = query_limit_gb

        self.room_key = RoomKey(self, "RoomKey", alias=f"dataroom/{name}")
        self.room_key.allow_cloudwatch_logs()

        zones = availability_zones or _deploy_time_zones()
        self.glovebox = Glovebox(
            self,
            "Glovebox",
            availability_zones=zones,
            flow_log_key=self.room_key.key,
            cidr=cidr,
            restrict_default_security_group=restrict_default_security_group,
        )
        self.storage = RoomStorage(
            self,
            "Storage",
            encryption_key=self.room_key.key,
            vpc_endpoint=self.glovebox.s3_endpoint,
            called_via_services=("athena.amazonaws.com",),
        )
        for bucket in (self.storage.intermediate_bucket, self.storage.results_bucket):
            self.glovebox.permit_room_bucket(bucket)
        for dataset in datasets:
            dataset_bucket = s3.Bucket.from_bucket_attributes(
                self,
                f"Dataset-{dataset.bucket_name}",
                bucket_name=dataset.bucket_name,
                account=dataset.account,
                region=dataset.region,
            )
            self.glovebox.permit_dataset_bucket(dataset_bucket, prefixes=list(dataset.prefixes))

        self.athena_endpoint = self.glovebox.add_interface_endpoint(
            ec2.InterfaceVpcEndpointAwsService.ATHENA
        )
        self.glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.GLUE)
        self.dns_firewall = DnsFirewall(self, "DnsFirewall", vpc=self.glovebox.vpc)
        self._monitoring(name, owner, monitoring, alert_emails)

        self.priors = self._priors(name, priors)

        self.boundary = RoomPermissionBoundary(self, "PermissionBoundary")
        # Every role of the room, present and future (IAM-5): an aspect on the whole room.
        iam.PermissionsBoundary.of(self).apply(self.boundary.policy)
        self.scientist_role = self._scientist_role(
            scientist_role_name or f"dataroom-{name}-scientist",
            principals,
            production_read_role,
        )

        tags = {
            "dataroom:room": name,
            "dataroom:ticket": ticket,
            "dataroom:phase": phase.value,
            "dataroom:owner": owner,
            "dataroom:approvers": " ".join(approvers),
            "dataroom:hypothesis": hypothesis,
        }
        for key, value in tags.items():
            Tags.of(self).add(key, tag_value(value))
        # The expiry is what the key and the roles are governed by; on every resource it would
        # make an expiry extension look like a change to each of them in `cdk diff`.
        for governed in (self.room_key, self.scientist_role):
            Tags.of(governed).add("dataroom:expires", expires.isoformat())

        adopted = {}
        if monitoring.existing_guardduty_detector_id:
            adopted["guardduty_detector"] = monitoring.existing_guardduty_detector_id
        if monitoring.existing_config_recorder:
            adopted["config_recorder"] = "existing"
        metadata = dict(stack.template_options.metadata or {})
        if METADATA_KEY in metadata:
            raise ValueError(
                f"{self.node.path}: {stack.node.path} already holds a room or another dataroom "
                "stack: expected at most one DataRoom per stack (rules judge a template as one "
                "room)"
            )
        # Read by DataRoomChecks (room-level rules) and the review: what this template is.
        metadata[METADATA_KEY] = {
            "kind": "room",
            "room": name,
            "expires": expires.isoformat(),
            "adopted": adopted,
        }
        stack.template_options.metadata = metadata

    def _priors(self, name: str, priors: Sequence[Prior]) -> dict[str, secretsmanager.Secret]:
        """CHG-4: one KMS-encrypted secret per declared prior; the value is never in the app.

        The secret starts with a random placeholder (so no value appears in the template); the
        owner sets the prior with ``aws secretsmanager put-secret-value``. The glovebox reaches
        Secrets Manager through its own endpoint.
        """
        if not priors:
            return {}
        self.glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER)
        secrets = {}
        for prior in priors:
            secret = secretsmanager.Secret(
                self,
                f"Prior-{prior.name}",
                secret_name=f"dataroom/{name}/priors/{prior.name}",
                description=f"dataroom {name} model prior: {tag_value(prior.description)}",
                encryption_key=self.room_key.key,
                removal_policy=RemovalPolicy.RETAIN,
            )
            acknowledge(
                secret,
                (f"{SOLUTIONS}SMG4", PRIOR_NOT_A_CREDENTIAL),
                (f"{NIST}SecretsManagerRotationEnabled", PRIOR_NOT_A_CREDENTIAL),
            )
            secrets[prior.name] = secret
        return secrets

    def _monitoring(
        self, name: str, owner: str, monitoring: Monitoring, alert_emails: Sequence[str]
    ) -> None:
        """Trail, detector, alerts, Config, remediation and the query guard (MON-1..5, QRY-1)."""
        key = self.room_key.key
        self.trail = AuditTrail(
            self,
            "Trail",
            encryption_key=key,
            trail_name=f"dataroom-{name}",
            access_logs_bucket=self.storage.access_logs_bucket,
            log_retention=RETENTION[monitoring.log_retention_days],
            object_lock_retention=Duration.days(monitoring.trail_lock_days),
        )
        for bucket in (self.storage.intermediate_bucket, self.storage.results_bucket):
            self.trail.add_s3_data_events(bucket)
        self.threat_detection = ThreatDetection(
            self,
            "ThreatDetection",
            features=monitoring.guardduty_features,
            existing_detector_id=monitoring.existing_guardduty_detector_id,
        )
        self.alerts = RoomAlerts(
            self,
            "Alerts",
            encryption_key=key,
            emails=list(dict.fromkeys(alert_emails)) or [owner],
            trail_log_group=self.trail.log_group,
            metric_namespace=f"dataroom/{name}",
            min_severity=monitoring.min_finding_severity,
        )
        self.config_baseline = ConfigBaseline(
            self,
            "Config",
            encryption_key=key,
            access_logs_bucket=self.storage.access_logs_bucket,
            create_recorder=not monitoring.existing_config_recorder,
        )
        self.remediation = Remediation(
            self,
            "Remediation",
            trail_name=self.trail.trail_name,
            detector_id=self.threat_detection.detector_id,
            buckets=list(self.storage.buckets),
            vpc=self.glovebox.vpc,
            flow_log_group=self.glovebox.flow_log_group,
            flow_log_role=self.glovebox.flow_log_role,
            alert_topic=self.alerts.topic,
            encryption_key=key,
            room_name=name,
        )
        self.query_guard = QueryGuard(
            self,
            "QueryGuard",
            workgroup_name=f"dataroom-{name}",
            results_bucket=self.storage.intermediate_bucket,
            encryption_key=key,
            query_limit_gb=self.query_limit_gb,
        )

    def _scientist_role(
        self,
        role_name: str,
        principal_arns: Sequence[str],
        production_read_role: ProductionReadRole | None,
    ) -> iam.Role:
        """The room's entry point: trusted by the room's principals, capped by the boundary."""
        # SourceIdentity is required on entry and persists through role chaining, so the
        # production read role sees (and CloudTrail records) the person behind every read.
        entry_conditions = {"Null": {"sts:SourceIdentity": "false"}}
        principals = [iam.ArnPrincipal(arn) for arn in principal_arns]
        role = iam.Role(
            self,
            "ScientistRole",
            role_name=role_name,
            assumed_by=iam.CompositePrincipal(*principals).with_conditions(entry_conditions),
            max_session_duration=Duration.hours(1),
            description=f"dataroom {self.name}: the scientists' way into the glovebox",
        )
        assert role.assume_role_policy is not None
        role.assume_role_policy.add_statements(
            iam.PolicyStatement(actions=["sts:SetSourceIdentity"], principals=principals)
        )
        self.storage.grant_read_write_intermediate(role)
        self.storage.grant_write_results(role)
        self.storage.grant_read_results(role)
        self.query_guard.grant_query(role, vpc_endpoint=self.athena_endpoint)
        for secret in self.priors.values():
            secret.grant_read(role)
        if production_read_role is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="AssumeTheProductionReadRole",
                    actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
                    resources=[production_read_role.role_arn],
                    conditions={
                        "StringEquals": {"sts:ExternalId": production_read_role.external_id}
                    },
                )
            )
        self._acknowledge_grants(role)
        return role

    def _acknowledge_grants(self, role: iam.Role) -> None:
        stack = Stack.of(self)
        findings = [(f"{NIST}IAMNoInlinePolicy", INLINE_ON_PURPOSE)]
        for action in ROOM_GRANT_WILDCARD_ACTIONS:
            findings.append(
                (
                    f"{SOLUTIONS}IAM5[Action::{action}]",
                    "Emitted by aws-cdk-lib's grant on the room's own bucket or key; the "
                    "resource is that bucket or key only, and the bucket and endpoint policies "
                    "confine it to the glovebox.",
                )
            )
        for bucket in (self.storage.intermediate_bucket, self.storage.results_bucket):
            logical_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
            findings.append(
                (
                    f"{SOLUTIONS}IAM5[Resource::<{logical_id}.Arn>/*]",
                    "Objects of the room's own bucket; the bucket policy admits only requests "
                    "through the glovebox's endpoint.",
                )
            )
        acknowledge(role, *findings)

    @property
    def vpc(self) -> ec2.IVpc:
        """The glovebox VPC."""
        return self.glovebox.vpc

    @property
    def key(self) -> kms.IKey:
        """The room key."""
        return self.room_key.key

    @property
    def intermediate_bucket(self) -> s3.IBucket:
        """Scratch space that expires."""
        return self.storage.intermediate_bucket

    @property
    def results_bucket(self) -> s3.IBucket:
        """End results, versioned and retained."""
        return self.storage.results_bucket


def _check_props(
    room: DataRoom,
    name: str,
    phase: Phase,
    approvers: Sequence[str],
    principals: Sequence[str],
    datasets: Sequence[DatasetBucket],
    production_read_role: ProductionReadRole | None,
    query_limit_gb: int,
) -> None:
    problems = []
    if not _ROOM_NAME.fullmatch(name):
        problems.append(
            f"name={name!r}: expected 3-32 characters of a-z, 0-9 and '-', starting with a letter"
        )
    if not approvers:
        problems.append("approvers=[]: expected at least one approver (CHG-1)")
    if not principals:
        problems.append("principals=[]: expected at least one role ARN")
    for arn in principals:
        if ":role/" not in arn or "*" in arn:
            problems.append(f"principals: {arn!r} is not an exact IAM role ARN")
    if phase not in DATA_PHASES and (datasets or production_read_role is not None):
        problems.append(
            f"phase={phase.value!r} reads no production data (IAM-6): expected no datasets and "
            "no production_read_role"
        )
    for dataset in datasets:
        if not dataset.prefixes:
            problems.append(f"datasets: {dataset.bucket_name!r} has no approved prefix")
    if not 1 <= query_limit_gb <= 1024:
        problems.append(f"query_limit_gb={query_limit_gb}: expected 1-1024")
    if problems:
        raise ValueError(f"{room.node.path}: " + "; ".join(problems))


def _deploy_time_zones() -> list[str]:
    """The region's first two zones, resolved by CloudFormation (``Fn::GetAZs``) at deploy time."""
    azs = Fn.get_azs()
    return [Fn.select(0, azs), Fn.select(1, azs)]
