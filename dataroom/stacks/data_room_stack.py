"""DataRoomStack: one room's glovebox, key and buckets, deployed to the room account."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from dataroom.constructs import Glovebox, RoomKey, RoomStorage
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
from dataroom.constructs.lifecycle import RoomLifecycle
from dataroom.constructs.permission_boundary import RoomPermissionBoundary
from dataroom.constructs.query_guard import QueryGuard
from dataroom.constructs.remediation import Remediation
from dataroom.constructs.results_publication import (
    DataAccessLayerReader,
    ResultsConsumer,
    ResultsPublication,
)
from dataroom.constructs.threat_detection import ThreatDetection
from dataroom.constructs.workbench import Workbench, no_workbench_statement
from dataroom.controls.monitoring import EXPECT_KEY
from dataroom.controls.query import EXPECTED_CUTOFF_KEY, GIB
from dataroom.local import is_local
from dataroom.manifest import Manifest, Room
from dataroom.naming import (
    dal_external_id,
    external_id,
    read_role_arn,
    scientist_role_arn,
    scientist_role_name,
)
from dataroom.policies.acknowledgements import acknowledge_room_stack
from dataroom.spec.lifecycle import has_own_account
from dataroom.spec.results import PUBLISHING_PHASES
from dataroom.stacks.deploy_time_zones import DeployTimeZonesStack
from dataroom.stacks.room_airlock import add_airlock

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
_TAG_UNSAFE = re.compile(r"[^\w\s+\-=.:/@]")


def room_expectations(room: Room) -> dict[str, Any]:
    """What the manifest asks of ``room`` that the gate checks the template against."""
    expect: dict[str, Any] = {
        EXPECTED_CUTOFF_KEY: room.query_limit_gb * GIB,
        "min_finding_severity": room.monitoring.min_finding_severity,
    }
    if room.monitoring.existing_guardduty_detector_id:
        expect["guardduty_detector"] = room.monitoring.existing_guardduty_detector_id
    return expect


def tag_value(value: str) -> str:
    """A value CloudFormation accepts as a tag: its character set, at most 256 characters."""
    return _TAG_UNSAFE.sub("", value).strip()[:256]


class DataRoomStack(DeployTimeZonesStack):
    """Everything one room needs in its own account: glovebox, room key, buckets, tags (CHG-1).

    Rooms in phases that read production (exploration, production-a, production-b) get the
    approved dataset buckets in their endpoint's data perimeter; other phases get none (IAM-6).

    :param manifest: the validated manifest the room comes from.
    :param room: the room to build; it must be one of ``manifest.rooms``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        manifest: Manifest,
        room: Room,
        **kwargs: Any,
    ) -> None:
        if room not in manifest.rooms:
            raise ValueError(f"room={room.name!r}: expected one of the manifest's rooms")
        region = manifest.room_region(room)
        kwargs.setdefault("env", Environment(account=room.account, region=region))
        kwargs.setdefault("stack_name", f"dataroom-{room.name}")
        kwargs.setdefault(
            "description", f"dataroom {room.name} ({room.phase.value}, {room.ticket}): glovebox"
        )
        super().__init__(scope, construct_id, **kwargs)
        self.room = room
        self.manifest = manifest

        self.room_key = RoomKey(self, "RoomKey", alias=f"dataroom/{room.name}")
        self.room_key.allow_cloudwatch_logs()

        self.glovebox = Glovebox(
            self,
            "Glovebox",
            availability_zones=self.availability_zones,
            flow_log_key=self.room_key.key,
            cidr=room.vpc_cidr,
            # Local mode (dataroom/local.py) only: moto cannot run the custom resource.
            restrict_default_security_group=not is_local(self),
        )
        self.storage = RoomStorage(
            self,
            "Storage",
            encryption_key=self.room_key.key,
            vpc_endpoint=self.glovebox.s3_endpoint,
            called_via_services=("athena.amazonaws.com",),
            called_via_principals=(scientist_role_arn(manifest, room, self.partition),),
        )
        for bucket in (self.storage.intermediate_bucket, self.storage.results_bucket):
            self.glovebox.permit_room_bucket(bucket)

        if room.reads_production:
            prefixes: dict[str, list[str]] = {}
            for dataset in manifest.room_datasets(room):
                prefixes.setdefault(dataset.bucket, []).append(dataset.prefix)
            for bucket_name, bucket_prefixes in prefixes.items():
                dataset_bucket = s3.Bucket.from_bucket_attributes(
                    self,
                    f"Dataset-{bucket_name}",
                    bucket_name=bucket_name,
                    account=manifest.production.account,
                    region=manifest.production.region,
                )
                self.glovebox.permit_dataset_bucket(dataset_bucket, prefixes=bucket_prefixes)

        self.athena_endpoint = self.glovebox.add_interface_endpoint(
            ec2.InterfaceVpcEndpointAwsService.ATHENA
        )
        self.glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.GLUE)
        self.dns_firewall = DnsFirewall(self, "DnsFirewall", vpc=self.glovebox.vpc)
        self._monitoring(manifest, room)

        self.priors = self._priors(room)

        self.boundary = RoomPermissionBoundary(self, "PermissionBoundary")
        # PER-2 is a deny-only policy of its own on every room role, not part of the boundary:
        # IAM caps a managed policy at 6,144 characters, and the boundary's IAM-5, workbench and
        # publication statements already spend most of that. An explicit deny in an attached
        # policy holds as firmly, and the boundary forbids detaching it (DenyIamChanges).
        self.perimeter_policy = attach_to_every_role(
            iam.ManagedPolicy(
                self,
                "Perimeter",
                description="dataroom: resource perimeter (PER-2) of every room role; deny-only",
            )
        )
        add_room_perimeter(self.perimeter_policy, workgroup_arn=self.query_guard.workgroup_arn)
        self.boundary.policy.node.add_validation(BoundaryFits(self.boundary.policy))
        # Every role of the room, present and future (IAM-5): applied as an aspect to the stack.
        iam.PermissionsBoundary.of(self).apply(self.boundary.policy)
        # aws-cdk-lib's restrict-default-SG provider re-authorizes the default group's rules on
        # delete, which the room boundary denies: its role gets a narrow boundary of its own.
        self.default_sg_boundary = DefaultSecurityGroupProviderBoundary(
            self, "DefaultSgProviderBoundary", vpc=self.glovebox.vpc
        )
        self.scientist_role = self._scientist_role(manifest, room)
        self.results_publication = self._results_publication(room)
        # WBN-1..4: notebooks inside the glovebox; without one, the boundary refuses notebooks.
        self.workbench: Workbench | None = None
        if room.workbench is not None:
            self.workbench = Workbench(
                self,
                "Workbench",
                room_name=room.name,
                glovebox=self.glovebox,
                encryption_key=self.room_key.key,
                execution_role=self.scientist_role,
                boundary=self.boundary.policy,
                alerts=self.alerts,
                remediation=self.remediation,
                **room.workbench.to_props(),
            )
        else:
            self.boundary.policy.add_statements(no_workbench_statement())
        # LCY-1..3: expiry warnings and freeze, the budget and its freeze action, evidence.
        self.lifecycle = RoomLifecycle(
            self,
            "Lifecycle",
            room_name=room.name,
            expires=room.expires,
            budget_usd_month=room.budget_usd_month,
            linked_account=room.account if has_own_account(manifest, room) else None,
            alert_topic=self.alerts.topic,
            encryption_key=self.room_key.key,
            roles=[self.scientist_role],
            boundary=self.boundary.policy,
            access_logs_bucket=self.storage.access_logs_bucket,
            evidence_retention=Duration.days(room.monitoring.trail_lock_days),
            notify_emails=[e for e in (room.owner, *room.approvers) if e not in self.alert_emails],
            alert_delivery=self.alerts.delivery,
        )
        # EXP-1, EXP-2: the export airlock, when the manifest gives the room one.
        self.airlock = add_airlock(
            self,
            room=room,
            encryption_key=self.room_key.key,
            storage=self.storage,
            glovebox=self.glovebox,
            boundary=self.boundary.policy,
            scientist_role=self.scientist_role,
            trail=self.trail,
        )

        tags = {
            "dataroom:room": room.name,
            "dataroom:ticket": room.ticket,
            "dataroom:phase": room.phase.value,
            "dataroom:owner": room.owner,
            "dataroom:approvers": " ".join(room.approvers),
            "dataroom:expires": room.expires.isoformat(),
            "dataroom:hypothesis": room.hypothesis,
        }
        for key, value in tags.items():
            Tags.of(self).add(key, tag_value(value))

        CfnOutput(
            self, "IntermediateBucketName", value=self.storage.intermediate_bucket.bucket_name
        )
        CfnOutput(self, "ResultsBucketName", value=self.storage.results_bucket.bucket_name)
        CfnOutput(self, "VpcId", value=self.glovebox.vpc_id)
        CfnOutput(self, "ScientistRoleArn", value=self.scientist_role.role_arn)
        CfnOutput(self, "TrailName", value=self.trail.trail_name)
        CfnOutput(self, "AlertTopicArn", value=self.alerts.topic_arn)
        CfnOutput(self, "DetectorId", value=self.threat_detection.detector_id)
        CfnOutput(self, "WorkGroupName", value=self.query_guard.workgroup_name)

        adopted = {}
        if room.monitoring.existing_guardduty_detector_id:
            adopted["guardduty_detector"] = room.monitoring.existing_guardduty_detector_id
        if room.monitoring.existing_config_recorder:
            adopted["config_recorder"] = "existing"
        # Read by DataRoomChecks and the review: what this template is, what it adopted, and
        # what the manifest expects of it (the gate compares, e.g., the Athena cut-off with it).
        expect = {k: v for k, v in room_expectations(room).items() if k != "guardduty_detector"}
        self.template_options.metadata = {
            "dataroom": {
                "kind": "room",
                "room": room.name,
                "phase": room.phase.value,
                "adopted": adopted,
                # PHS-1 judges who may read this bucket (the airlock's buckets are EXP-1's).
                "results_bucket": self.get_logical_id(
                    self.storage.results_bucket.node.default_child  # type: ignore[arg-type]
                ),
                "results": (
                    self.results_publication.metadata() if self.results_publication else None
                ),
                # Readers of another account the manifest names (S3-4 admits their decrypt).
                "readers": sorted(
                    {
                        *(room.airlock.consumers if room.airlock else ()),
                        *(
                            c.role_arn
                            for c in (room.results.internal_consumers if room.results else ())
                        ),
                    }
                ),
                EXPECT_KEY: expect,
            }
        }

        acknowledge_room_stack(self)

    def _results_publication(self, room: Room) -> ResultsPublication | None:
        """PHS-1/PHS-2: who reads end results in production-a / production-b, and how."""
        results = room.results
        if results is None or room.phase.value not in PUBLISHING_PHASES:
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
                external_id=dal_external_id(room),
                expires=room.expires,
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
            room_name=room.name,
            phase=room.phase.value,
            consumers=consumers,
            dal=dal,
        )
        self.storage.admit_reads_through_access_points(list(publication.access_point_arns.values()))
        self.boundary.policy.add_statements(publication.boundary_statement())
        return publication

    def _priors(self, room: Room) -> dict[str, secretsmanager.Secret]:
        """CHG-4: one KMS-encrypted secret per declared prior; the value is never in the app.

        The secret starts with a random placeholder (so no value appears in the template); the
        owner sets the prior with ``aws secretsmanager put-secret-value``. The glovebox reaches
        Secrets Manager through its own endpoint.
        """
        if not room.priors:
            return {}
        self.glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER)
        secrets = {}
        for prior in room.priors:
            secrets[prior.name] = secretsmanager.Secret(
                self,
                f"Prior-{prior.name}",
                secret_name=f"dataroom/{room.name}/priors/{prior.name}",
                description=f"dataroom {room.name} model prior: {tag_value(prior.description)}",
                encryption_key=self.room_key.key,
                removal_policy=RemovalPolicy.RETAIN,
            )
        return secrets

    def _monitoring(self, manifest: Manifest, room: Room) -> None:
        """Trail, detector, alerts, Config, remediation and the query guard (MON-1..5, QRY-1)."""
        monitoring = room.monitoring
        key = self.room_key.key
        self.trail = AuditTrail(
            self,
            "Trail",
            encryption_key=key,
            trail_name=f"dataroom-{room.name}",
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
        emails = list(dict.fromkeys((*manifest.security_approvers, *monitoring.alert_emails)))
        if not emails:
            emails = [room.owner]
        self.alert_emails = tuple(emails)
        self.alerts = RoomAlerts(
            self,
            "Alerts",
            encryption_key=key,
            emails=emails,
            trail_log_group=self.trail.log_group,
            metric_namespace=f"dataroom/{room.name}",
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
            room_name=room.name,
        )
        # MON-6: a remediation that fails to run, or that dead-letters, is an alert too.
        self.alerts.delivery.watch_rule("Remediation", self.remediation.rule)
        self.alerts.delivery.watch_queue("RemediationDeadLetters", self.remediation.dead_letters)
        self.query_guard = QueryGuard(
            self,
            "QueryGuard",
            workgroup_name=f"dataroom-{room.name}",
            results_bucket=self.storage.intermediate_bucket,
            encryption_key=key,
            query_limit_gb=room.query_limit_gb,
        )

    def _scientist_role(self, manifest: Manifest, room: Room) -> iam.Role:
        """The room's entry point: trusted by the manifest's principals, capped by the boundary."""
        # SourceIdentity is required on entry and persists through role chaining, so the
        # production read role sees (and CloudTrail records) the person behind every read.
        entry_conditions = {"Null": {"sts:SourceIdentity": "false"}}
        principals = [iam.ArnPrincipal(arn) for arn in room.principals]
        role = iam.Role(
            self,
            "ScientistRole",
            role_name=scientist_role_name(room),
            assumed_by=iam.CompositePrincipal(*principals).with_conditions(entry_conditions),
            max_session_duration=Duration.hours(1),
            description=f"dataroom {room.name}: the scientists' way into the glovebox",
        )
        trust = role.assume_role_policy
        if trust is None:  # aws-cdk-lib gives every Role built with assumed_by a trust policy
            raise RuntimeError(f"{role.node.path}: the role has no trust policy to extend")
        trust.add_statements(
            iam.PolicyStatement(actions=["sts:SetSourceIdentity"], principals=principals)
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
        if room.reads_production:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="AssumeTheProductionReadRole",
                    actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
                    resources=[read_role_arn(manifest, room, self.partition)],
                    conditions={"StringEquals": {"sts:ExternalId": external_id(room)}},
                )
            )
        return role

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
