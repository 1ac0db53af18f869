"""DataRoom: a whole data room in any stack, built from typed props (no manifest needed)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IValidation
from pydantic import TypeAdapter, ValidationError

from dataroom.constructs.acknowledge import INLINE_ON_PURPOSE, NIST, SOLUTIONS, acknowledge
from dataroom.constructs.airlock import Airlock
from dataroom.constructs.alerts import RoomAlerts
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.constructs.cdk_roles import DefaultSecurityGroupProviderBoundary
from dataroom.constructs.config_rules import ConfigBaseline
from dataroom.constructs.data_perimeter import (
    BoundaryFits,
    add_room_perimeter,
    attach_to_every_role,
    grant_secret_read_through_endpoint,
)
from dataroom.constructs.dns_firewall import DnsFirewall
from dataroom.constructs.glovebox import Glovebox
from dataroom.constructs.lifecycle import RoomLifecycle
from dataroom.constructs.permission_boundary import RoomPermissionBoundary
from dataroom.constructs.query_guard import QueryGuard
from dataroom.constructs.remediation import Remediation
from dataroom.constructs.results_publication import (
    DataAccessLayerReader,
    ResultsConsumer,
    ResultsPublication,
)
from dataroom.constructs.room_key import RoomKey
from dataroom.constructs.room_storage import RoomStorage
from dataroom.constructs.threat_detection import ThreatDetection
from dataroom.constructs.workbench import Workbench, no_workbench_statement
from dataroom.controls.monitoring import EXPECT_KEY
from dataroom.controls.query import EXPECTED_CUTOFF_KEY, GIB
from dataroom.gated import is_gated
from dataroom.manifest import (
    DATA_PHASES,
    Cidr,
    Email,
    Monitoring,
    Phase,
    Prior,
    QueryLimitGb,
    RoleArn,
    RoomName,
)
from dataroom.naming import dal_external_id, default_scientist_role_name
from dataroom.spec.airlock import Airlock as AirlockSpec
from dataroom.spec.lifecycle import DEFAULT_BUDGET_USD_MONTH, BudgetUsdMonth
from dataroom.spec.results import PUBLISHING_PHASES, Results
from dataroom.spec.workbench import Workbench as WorkbenchSpec

__all__ = [
    "METADATA_KEY",
    "RETENTION",
    "DataRoom",
    "DatasetRead",
    "approver_role_name",
    "export_bucket_name",
    "room_expectations",
    "state_machine_name",
    "table_name",
    "tag_value",
]

#: Template metadata the room-level rules, the gate and the review read (``kind: room``).
METADATA_KEY = "dataroom"
#: ``Monitoring.log_retention_days`` as CloudWatch Logs' retention values.
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
PRIOR_NOT_A_CREDENTIAL = (
    "A model prior is a parameter the room's owner sets, not a credential: there is nothing to "
    "rotate, and a rotation function would overwrite the value. The secret is encrypted with the "
    "room key and readable by the room's roles only (CHG-4)."
)
_TAG_UNSAFE = re.compile(r"[^\w\s+\-=.:/@]")
_ROOM_NAME = TypeAdapter(RoomName)
_ROLE_ARN = TypeAdapter(RoleArn)
_EMAIL = TypeAdapter(Email)
_CIDR = TypeAdapter(Cidr)
_BUDGET = TypeAdapter(BudgetUsdMonth)
_QUERY_LIMIT = TypeAdapter(QueryLimitGb)


def tag_value(value: str) -> str:
    """A value CloudFormation accepts as a tag: its character set, at most 256 characters."""
    return _TAG_UNSAFE.sub("", value).strip()[:256]


def room_expectations(query_limit_gb: int, monitoring: Monitoring) -> dict[str, Any]:
    """What a room asks that the gate checks its template against (e.g. the Athena cut-off)."""
    expect: dict[str, Any] = {
        EXPECTED_CUTOFF_KEY: query_limit_gb * GIB,
        "min_finding_severity": monitoring.min_finding_severity,
    }
    if monitoring.existing_guardduty_detector_id:
        expect["guardduty_detector"] = monitoring.existing_guardduty_detector_id
    return expect


def approver_role_name(room_name: str) -> str:
    """The role a room's approvers assume to decide on export requests."""
    return f"dataroom-{room_name}-airlock-approver"


def table_name(room_name: str) -> str:
    """The airlock table of a room (``dataroom export`` derives it from the room's name)."""
    return f"dataroom-{room_name}-airlock"


def state_machine_name(room_name: str) -> str:
    """The airlock state machine of a room."""
    return f"dataroom-{room_name}-airlock"


def export_bucket_name(room_name: str, account: str, region: str) -> str:
    """The export bucket consumers read from (at most 63 characters: room names are short)."""
    return f"dataroom-{room_name}-exports-{account}-{region}"[:63].rstrip("-")


@dataclass(frozen=True)
class DatasetRead:
    """A production bucket a room may read through its endpoint (NET-3), and what of it.

    :param bucket: the production bucket, e.g. ``s3.Bucket.from_bucket_attributes(...)`` with
        the production account and region.
    :param prefixes: the approved key prefixes (at least one; literal, no wildcard).
    """

    bucket: s3.IBucket
    prefixes: tuple[str, ...]


class DataRoom(Construct):
    """A whole data room in any stack: everything ``DataRoomStack`` deploys, from typed props.

    Glovebox (NET-1..5), DNS firewall (NET-6), room key (S3-2), intermediate / results /
    access-log buckets (S3-1..4), trail with data events (MON-1), detector (MON-3), alerts and
    their delivery (MON-4, MON-6), Config rules (MON-5), self-healing, the query guard (QRY-1),
    encrypted priors (CHG-4), the permissions boundary and the deny-only perimeter policy on
    every role of the stack (IAM-5, PER-2), the scientists' entry role, and when asked for: the
    results publication of phases A and B (PHS-1, PHS-2), a workbench (WBN-1..4), an export
    airlock (EXP-1, EXP-2); always the expiry freeze and the budget (LCY-1..3).

    **A stack that holds a DataRoom is the room's stack.** The construct writes the template
    metadata (``kind: room``) that the room-level rules and the gate read, so a room placed in a
    team's own stack is judged exactly like ``DataRoomStack``; the boundary and the perimeter
    policy go on every role of that stack, and the CHG-1 tags on every resource. A stack holds
    at most one room, and it must name its account and region (the perimeter pins requests to
    that account). The expiry tag goes only on what expiry governs (the VPC the freeze rule
    reads, the room key, the entry role), so extending a room changes those and nothing else.
    By-design nag findings are acknowledged by the constructs that raise them, with reasons.

    **No room without its gate.** Synthesis fails when no scope above the room registered the
    dataroom gate (``apply_nag_gate(app)`` or ``ProductionBaseline.apply(app)``), and when the
    stack's room metadata was removed or replaced. Wrong props raise one ``ValueError`` naming
    each prop, its value and what is expected, before any resource is added.

    :param name: the room's name: 3-32 characters of a-z, 0-9 and ``-``; part of resource names.
    :param phase: the lifecycle phase; only exploration, production-a and production-b read
        production data (IAM-6).
    :param hypothesis: CHG-1: what the room explores.
    :param ticket: CHG-1: the approval ticket.
    :param owner: CHG-1: the owner's e-mail; alerts go there when nobody else is named.
    :param approvers: CHG-1: who approved the room (the airlock's approvers).
    :param expires: CHG-1, LCY-1: the room's last day.
    :param principals: the roles that may assume the scientist role (with a SourceIdentity).
    :param datasets: production buckets and prefixes the endpoint lets through (NET-3); only in
        a phase that reads production.
    :param production_read_role: production's read role the scientist role may assume (IAM-1);
        required, with ``production_external_id``, when ``datasets`` are given.
    :param production_external_id: the ExternalId production's read role expects.
    :param security_emails: who receives the room's alerts besides ``monitoring.alert_emails``.
        Default: nobody else (then the owner).
    :param vpc_cidr: the glovebox VPC's block. Default ``10.80.0.0/22``.
    :param availability_zones: two or more zones. Default: the stack's (``DeployTimeZonesStack``
        resolves them at deploy time, with no look-up at synth).
    :param query_limit_gb: QRY-1 bytes-scanned cut-off per query, in GiB. Default: 10.
    :param monitoring: MON-1..5 settings. Default: every strict default.
    :param priors: CHG-4 model priors, one KMS-encrypted secret each (values set by the owner).
    :param results: who reads end results in production-a / production-b (PHS-1, PHS-2).
    :param workbench: per-user notebooks in the glovebox (WBN-1..4). Default: none, and the
        boundary refuses notebooks.
    :param airlock: the export airlock (EXP-1, EXP-2). Default: none.
    :param budget_usd_month: LCY-2 monthly budget in US dollars; overspend freezes the room.
    :param budget_linked_account: the account the budget filters on, when the room has an
        account of its own. Default: the budget covers the payer's view of this account.
    :param scientist_role_name: the entry role's name, part of the contract with production's
        read role. Default ``dataroom-<name>-scientist``.
    :param restrict_default_security_group: NET-4; only local mode (moto) turns it off: the
        gate refuses a room without it anywhere else (``NET4DefaultSecurityGroup``).
    :param malware_protection: EXP-1's malware scan; only local mode (moto) turns it off: the
        gate refuses an airlock without it anywhere else (``EXP1ReviewMalwareScan``).
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
        principals: Sequence[iam.IRole],
        datasets: Sequence[DatasetRead] = (),
        production_read_role: iam.IRole | None = None,
        production_external_id: str | None = None,
        security_emails: Sequence[str] = (),
        vpc_cidr: str = "10.80.0.0/22",
        availability_zones: Sequence[str] | None = None,
        query_limit_gb: int = 10,
        monitoring: Monitoring | None = None,
        priors: Sequence[Prior] = (),
        results: Results | None = None,
        workbench: WorkbenchSpec | None = None,
        airlock: AirlockSpec | None = None,
        budget_usd_month: int = DEFAULT_BUDGET_USD_MONTH,
        budget_linked_account: str | None = None,
        scientist_role_name: str | None = None,
        restrict_default_security_group: bool = True,
        malware_protection: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        monitoring = monitoring or Monitoring()
        problems = _problems(
            stack,
            expires=expires,
            query_limit_gb=query_limit_gb,
            budget_usd_month=budget_usd_month,
            vpc_cidr=vpc_cidr,
            name=name,
            phase=phase,
            owner=owner,
            approvers=approvers,
            principals=principals,
            datasets=datasets,
            production_read_role=production_read_role,
            production_external_id=production_external_id,
            security_emails=security_emails,
        )
        if problems:
            raise ValueError(f"{self.node.path}: " + "; ".join(problems))
        self.name = name
        self.phase = phase
        self.ticket = ticket
        self.expires = expires
        role_name = scientist_role_name or default_scientist_role_name(name)

        self.room_key = RoomKey(self, "RoomKey", alias=f"dataroom/{name}")
        self.room_key.allow_cloudwatch_logs()
        self.glovebox = Glovebox(
            self,
            "Glovebox",
            availability_zones=availability_zones or stack.availability_zones,
            flow_log_key=self.room_key.key,
            cidr=vpc_cidr,
            restrict_default_security_group=restrict_default_security_group,
        )
        self.storage = RoomStorage(
            self,
            "Storage",
            encryption_key=self.room_key.key,
            vpc_endpoint=self.glovebox.s3_endpoint,
            called_via_services=("athena.amazonaws.com",),
            called_via_principals=(f"arn:{stack.partition}:iam::{stack.account}:role/{role_name}",),
        )
        for bucket in (self.storage.intermediate_bucket, self.storage.results_bucket):
            self.glovebox.permit_room_bucket(bucket)
        for dataset in datasets:
            self.glovebox.permit_dataset_bucket(dataset.bucket, prefixes=list(dataset.prefixes))

        self.athena_endpoint = self.glovebox.add_interface_endpoint(
            ec2.InterfaceVpcEndpointAwsService.ATHENA
        )
        self.glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.GLUE)
        self.dns_firewall = DnsFirewall(self, "DnsFirewall", vpc=self.glovebox.vpc)
        self._monitoring(name, owner, monitoring, security_emails, query_limit_gb)
        self.priors = self._priors(name, priors)

        self.boundary = RoomPermissionBoundary(self, "PermissionBoundary")
        # PER-2 is a deny-only policy of its own on every role of the stack, not part of the
        # boundary: IAM caps a managed policy at 6,144 characters, and the boundary's IAM-5,
        # workbench and publication statements already spend most of that. An explicit deny in
        # an attached policy holds as firmly, and the boundary forbids detaching it.
        self.perimeter_policy = attach_to_every_role(
            iam.ManagedPolicy(
                self,
                "Perimeter",
                description="dataroom: resource perimeter (PER-2) of every room role; deny-only",
            )
        )
        add_room_perimeter(self.perimeter_policy, workgroup_arn=self.query_guard.workgroup_arn)
        self.boundary.policy.node.add_validation(BoundaryFits(self.boundary.policy))
        # Every role of the room's stack, present and future (IAM-5), as an aspect.
        iam.PermissionsBoundary.of(stack).apply(self.boundary.policy)
        # aws-cdk-lib's restrict-default-SG provider re-authorizes the default group's rules on
        # delete, which the room boundary denies: its role gets a narrow boundary of its own.
        self.default_sg_boundary = DefaultSecurityGroupProviderBoundary(
            self, "DefaultSgProviderBoundary", vpc=self.glovebox.vpc
        )
        self.scientist_role = self._scientist_role(
            role_name, name, principals, production_read_role, production_external_id
        )
        self.results_publication = self._results_publication(name, phase, expires, results)
        # WBN-1..4: notebooks inside the glovebox; without one, the boundary refuses notebooks.
        self.workbench: Workbench | None = None
        if workbench is not None:
            self.workbench = Workbench(
                self,
                "Workbench",
                room_name=name,
                glovebox=self.glovebox,
                encryption_key=self.room_key.key,
                execution_role=self.scientist_role,
                boundary=self.boundary.policy,
                alerts=self.alerts,
                remediation=self.remediation,
                **workbench.to_props(),
            )
        else:
            self.boundary.policy.add_statements(no_workbench_statement())
        # LCY-1..3: expiry warnings and freeze, the budget and its freeze action, evidence.
        self.lifecycle = RoomLifecycle(
            self,
            "Lifecycle",
            room_name=name,
            expires=expires,
            budget_usd_month=budget_usd_month,
            linked_account=budget_linked_account,
            alert_topic=self.alerts.topic,
            encryption_key=self.room_key.key,
            roles=[self.scientist_role],
            boundary=self.boundary.policy,
            access_logs_bucket=self.storage.access_logs_bucket,
            evidence_retention=Duration.days(monitoring.trail_lock_days),
            notify_emails=[e for e in (owner, *approvers) if e not in self.alert_emails],
            alert_delivery=self.alerts.delivery,
        )
        self.airlock = self._airlock(
            name, approvers, principals, airlock, malware_protection=malware_protection
        )

        for key, value in {
            "dataroom:room": name,
            "dataroom:ticket": ticket,
            "dataroom:phase": phase.value,
            "dataroom:owner": owner,
            "dataroom:approvers": " ".join(approvers),
            "dataroom:hypothesis": hypothesis,
        }.items():
            Tags.of(stack).add(key, tag_value(value))
        # The expiry only where it governs: LCY-1 reads it on the VPC; the key and the entry
        # role are what a reviewer looks at. An extension then changes three resources' tags.
        for governed in (self.glovebox.vpc, self.room_key.key, self.scientist_role):
            Tags.of(governed.node.default_child or governed).add(  # the resource, not children
                "dataroom:expires", expires.isoformat()
            )

        self._describe(stack, phase, monitoring, query_limit_gb, airlock, results)
        self.node.add_validation(_Judged(self))

    def _describe(
        self,
        stack: Stack,
        phase: Phase,
        monitoring: Monitoring,
        query_limit_gb: int,
        airlock: AirlockSpec | None,
        results: Results | None,
    ) -> None:
        """The template metadata the gate, the room-level rules and the review read."""
        adopted = {}
        if monitoring.existing_guardduty_detector_id:
            adopted["guardduty_detector"] = monitoring.existing_guardduty_detector_id
        if monitoring.existing_config_recorder:
            adopted["config_recorder"] = "existing"
        expect = {
            k: v
            for k, v in room_expectations(query_limit_gb, monitoring).items()
            if k != "guardduty_detector"
        }
        readers = {
            *(airlock.consumers if airlock else ()),
            *(c.role_arn for c in (results.internal_consumers if results else ())),
        }
        metadata = dict(stack.template_options.metadata or {})
        metadata[METADATA_KEY] = {
            "kind": "room",
            "room": self.name,
            "phase": phase.value,
            "adopted": adopted,
            # PHS-1 judges who may read this bucket (the airlock's buckets are EXP-1's).
            "results_bucket": stack.get_logical_id(
                self.storage.results_bucket.node.default_child  # type: ignore[arg-type]
            ),
            "results": self.results_publication.metadata() if self.results_publication else None,
            # Readers of another account the room names (S3-4 admits their decrypt).
            "readers": sorted(readers),
            EXPECT_KEY: expect,
        }
        stack.template_options.metadata = metadata
        # What the gate will believe (readers, results, expectations): _Judged holds it to this.
        self.described: dict[str, Any] = _plain(metadata[METADATA_KEY])

    def _monitoring(
        self,
        name: str,
        owner: str,
        monitoring: Monitoring,
        security_emails: Sequence[str],
        query_limit_gb: int,
    ) -> None:
        """Trail, detector, alerts, Config, remediation and the query guard (MON-1..6, QRY-1)."""
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
        emails = list(dict.fromkeys((*security_emails, *monitoring.alert_emails))) or [owner]
        self.alert_emails = tuple(emails)
        self.alerts = RoomAlerts(
            self,
            "Alerts",
            encryption_key=key,
            emails=emails,
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
        # MON-6: a remediation that fails to run, or that dead-letters, is an alert too.
        self.alerts.delivery.watch_rule("Remediation", self.remediation.rule)
        self.alerts.delivery.watch_queue("RemediationDeadLetters", self.remediation.dead_letters)
        self.query_guard = QueryGuard(
            self,
            "QueryGuard",
            workgroup_name=f"dataroom-{name}",
            results_bucket=self.storage.intermediate_bucket,
            encryption_key=key,
            query_limit_gb=query_limit_gb,
        )

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

    def _scientist_role(
        self,
        role_name: str,
        name: str,
        principals: Sequence[iam.IRole],
        production_read_role: iam.IRole | None,
        production_external_id: str | None,
    ) -> iam.Role:
        """The room's entry point: trusted by the room's principals, capped by the boundary."""
        # SourceIdentity is required on entry and persists through role chaining, so the
        # production read role sees (and CloudTrail records) the person behind every read.
        entry_conditions = {"Null": {"sts:SourceIdentity": "false"}}
        role = iam.Role(
            self,
            "ScientistRole",
            role_name=role_name,
            assumed_by=iam.CompositePrincipal(*principals).with_conditions(entry_conditions),
            max_session_duration=Duration.hours(1),
            description=f"dataroom {name}: the scientists' way into the glovebox",
        )
        acknowledge(role, (f"{NIST}IAMNoInlinePolicy", INLINE_ON_PURPOSE))
        trust = role.assume_role_policy
        if trust is None:  # aws-cdk-lib gives every Role built with assumed_by a trust policy
            raise RuntimeError(f"{role.node.path}: the role has no trust policy to extend")
        trust.add_statements(
            iam.PolicyStatement(actions=["sts:SetSourceIdentity"], principals=list(principals))
        )
        self.storage.grant_read_write_intermediate(role)
        self.storage.grant_write_results(role)
        self.storage.grant_read_results(role)
        self.query_guard.grant_query(role, vpc_endpoint=self.athena_endpoint)
        for secret in self.priors.values():
            grant_secret_read_through_endpoint(
                secret,
                role,
                endpoint=self.glovebox.add_interface_endpoint(
                    ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER
                ),
                key=self.room_key.key,
            )
        if production_read_role is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="AssumeTheProductionReadRole",
                    actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
                    resources=[production_read_role.role_arn],
                    conditions={"StringEquals": {"sts:ExternalId": production_external_id}},
                )
            )
        return role

    def _results_publication(
        self, name: str, phase: Phase, expires: dt.date, results: Results | None
    ) -> ResultsPublication | None:
        """PHS-1/PHS-2: who reads end results in production-a / production-b, and how."""
        if results is None or phase.value not in PUBLISHING_PHASES:
            return None
        consumers = [
            ResultsConsumer(
                name=c.name,
                role=iam.Role.from_role_arn(self, f"Consumer-{c.name}", c.role_arn, mutable=False),
                vpc_id=c.vpc_id,
                vpce_id=c.vpce_id,
            )
            for c in results.internal_consumers
        ]
        dal = None
        if results.dal is not None:
            dal = DataAccessLayerReader(
                role=iam.Role.from_role_arn(self, "Dal", results.dal.role_arn, mutable=False),
                external_id=dal_external_id(name, self.ticket),
                expires=expires,
                vpce_id=results.dal.vpce_id,
                vpc_id=results.dal.vpc_id,
                tenant_tag=results.dal.tenant_tag,
                tenants=results.dal.tenants,
            )
        publication = ResultsPublication(
            self,
            "ResultsPublication",
            results_bucket=self.storage.results_bucket,
            encryption_key=self.room_key.key,
            room_name=name,
            phase=phase.value,
            consumers=consumers,
            dal=dal,
        )
        self.storage.admit_reads_through_access_points(list(publication.access_point_arns.values()))
        self.boundary.policy.add_statements(publication.boundary_statement())
        return publication

    def _airlock(
        self,
        name: str,
        approvers: Sequence[str],
        principals: Sequence[iam.IRole],
        spec: AirlockSpec | None,
        *,
        malware_protection: bool,
    ) -> Airlock | None:
        """EXP-1, EXP-2: the export airlock, when the room has one.

        The scientist role may request; the approver role (the room's approvers only) decides;
        the glovebox reaches the table and Step Functions through its own endpoints.
        """
        if spec is None:
            return None
        stack = Stack.of(self)
        consumers = [
            iam.Role.from_role_arn(self, f"AirlockConsumer{i}", arn, mutable=False)
            for i, arn in enumerate(spec.consumers)
        ]
        approver_principals: Sequence[iam.IRole] = principals
        if spec.approver_principals:
            approver_principals = [
                iam.Role.from_role_arn(self, f"AirlockApproverPrincipal{i}", arn, mutable=False)
                for i, arn in enumerate(spec.approver_principals)
            ]
        airlock = Airlock(
            self,
            "Airlock",
            encryption_key=self.room_key.key,
            results_bucket=self.storage.results_bucket,
            access_logs_bucket=self.storage.access_logs_bucket,
            approvers=approvers,
            consumers=consumers,
            approver_principals=approver_principals,
            approver_role_name=approver_role_name(name),
            export_bucket_name=export_bucket_name(name, stack.account, stack.region),
            table_name=table_name(name),
            state_machine_name=state_machine_name(name),
            request_ttl=Duration.days(spec.request_ttl_days),
            malware_protection=malware_protection,
            vpc=self.glovebox.vpc,
            boundary=self.boundary.policy,
        )
        # The state machine copies pinned versions out of the results bucket from the service side.
        self.storage.trust_role(airlock.pipeline_role)
        self.glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS)
        airlock.grant_request(self.scientist_role)
        # Every read of a review copy and every write and read of an export is attributable.
        for bucket in (airlock.review_bucket, airlock.export_bucket):
            self.trail.add_s3_data_events(bucket)
        return airlock

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


@jsii.implements(IValidation)
class _Judged:
    """A room is judged at synthesis or it is not a room: its app must have the dataroom gate,
    and the room-level rules find a room by its stack's metadata and believe what it declares
    (readers of another account, the results publication, the Athena cut-off), so the metadata
    must be exactly what the room wrote: removed, it hides the room; edited, it would admit a
    reader or a cut-off nobody approved."""

    def __init__(self, room: DataRoom) -> None:
        self._room = room

    def validate(self) -> list[str]:
        problems = []
        if not is_gated(self._room):
            problems.append(
                f"DataRoom {self._room.name!r}: no dataroom gate judges this app: call "
                "dataroom.policies.nag.apply_nag_gate(app) (or ProductionBaseline.apply(app)) "
                "before synthesis, so that a weakened room fails it"
            )
        stack = Stack.of(self._room)
        marked = _plain((stack.template_options.metadata or {}).get(METADATA_KEY) or {})
        if marked == self._room.described:
            return problems
        changed = sorted(
            key
            for key in {*marked, *self._room.described}
            if marked.get(key) != self._room.described.get(key)
        )
        return [
            *problems,
            f"DataRoom {self._room.name!r}: the template metadata {METADATA_KEY!r} of stack "
            f"{stack.node.path!r} is not what the room wrote (changed: {', '.join(changed)}): "
            "the gate and the room-level rules believe it (kind, readers, results, "
            "expectations), so it may not be removed, replaced or edited",
        ]


def _plain(value: Any) -> Any:
    """``value`` as the template will hold it: JSON values, no ``None`` (jsii drops them)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _problems(
    stack: Stack,
    *,
    expires: dt.date,
    query_limit_gb: int,
    budget_usd_month: int,
    vpc_cidr: str,
    name: str,
    phase: Phase,
    owner: str,
    approvers: Sequence[str],
    principals: Sequence[iam.IRole],
    datasets: Sequence[DatasetRead],
    production_read_role: iam.IRole | None,
    production_external_id: str | None,
    security_emails: Sequence[str],
) -> list[str]:
    """Every prop that is wrong, each named with its value and what is expected."""
    problems = _stack_problems(stack)
    problems += _limit_problems(
        expires=expires,
        query_limit_gb=query_limit_gb,
        budget_usd_month=budget_usd_month,
        vpc_cidr=vpc_cidr,
    )
    problems += _identity_problems(
        account=stack.account,
        name=name,
        owner=owner,
        approvers=approvers,
        principals=principals,
        security_emails=security_emails,
    )
    reads = phase in DATA_PHASES
    if not reads and (datasets or production_read_role is not None):
        problems.append(
            f"phase={phase.value!r} reads no production data (IAM-6): expected no datasets and "
            "no production_read_role"
        )
    if reads and datasets and (production_read_role is None or not production_external_id):
        problems.append(
            "production_read_role, production_external_id: expected both when datasets are "
            "given (the scientist role reads production through that role only)"
        )
    for dataset in datasets:
        if not dataset.prefixes:
            problems.append(
                f"datasets: {dataset.bucket.node.path}: prefixes=(): expected at least one "
                "approved key prefix"
            )
    return problems


def _limit_problems(
    *, expires: dt.date, query_limit_gb: int, budget_usd_month: int, vpc_cidr: str
) -> list[str]:
    """The bounds the manifest holds a room to, for a room built from props (the baseline's
    max_room_days is the gate's to judge: LCY1ExpirySchedules)."""
    problems = []
    if expires < dt.datetime.now(dt.UTC).date():
        problems.append(
            f"expires={expires.isoformat()}: in the past: an expired room grants nothing; "
            "expected a future last day"
        )
    for prop, adapter, value in (
        ("query_limit_gb", _QUERY_LIMIT, query_limit_gb),
        ("budget_usd_month", _BUDGET, budget_usd_month),
        ("vpc_cidr", _CIDR, vpc_cidr),
    ):
        try:
            adapter.validate_python(value)
        except ValidationError as error:
            problems.append(f"{prop}={value!r}: {_reason(error)}")
    return problems


def _stack_problems(stack: Stack) -> list[str]:
    problems = []
    if Token.is_unresolved(stack.account) or Token.is_unresolved(stack.region):
        problems.append(
            f"stack {stack.node.path!r} has no explicit account and region: expected "
            "env=Environment(account=..., region=...) (the perimeter pins requests to the room's "
            "account, and the gate judges a room by its account)"
        )
    held = (stack.template_options.metadata or {}).get(METADATA_KEY)
    if held is not None:
        problems.append(
            f"stack {stack.node.path!r} already holds {held.get('kind')!r} "
            f"{held.get('room', '')!r}: expected at "
            "most one DataRoom per stack, in a stack of its own"
        )
    return problems


def _identity_problems(
    *,
    account: str,
    name: str,
    owner: str,
    approvers: Sequence[str],
    principals: Sequence[iam.IRole],
    security_emails: Sequence[str],
) -> list[str]:
    problems = []
    for prop, adapter, value in (
        ("name", _ROOM_NAME, name),
        ("owner", _EMAIL, owner),
        *(("approvers", _EMAIL, a) for a in approvers),
        *(("security_emails", _EMAIL, e) for e in security_emails),
    ):
        try:
            adapter.validate_python(value)
        except ValidationError as error:
            problems.append(f"{prop}={value!r}: {_reason(error)}")
    if not approvers:
        problems.append("approvers=[]: expected at least one approver (CHG-1)")
    if not principals:
        problems.append("principals=[]: expected at least one role that may enter the room")
    for role in principals:
        arn = role.role_arn
        if Token.is_unresolved(arn):
            problems.append(
                f"principals: {role.node.path} has no literal ARN: expected roles imported with "
                "iam.Role.from_role_arn (the trust names them exactly)"
            )
            continue
        try:
            _ROLE_ARN.validate_python(arn)
        except ValidationError as error:
            problems.append(f"principals: {_reason(error)}")
            continue
        if arn.split(":")[4] != account and not Token.is_unresolved(account):
            # The entry role is not read-only: only the room account's own people enter it.
            problems.append(
                f"principals: {arn!r} is not a role of the room's account {account}: expected "
                "the room account's roles (IAM-1)"
            )
    return problems


def _reason(error: ValidationError) -> str:
    return "; ".join(str(e.get("msg", "")) for e in error.errors()) or "a valid value"
