"""DataRoomStack: one room of a manifest, in the room's account: a DataRoom and its outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.constructs.data_room import RETENTION, DataRoom, DatasetRead, tag_value
from dataroom.constructs.data_room import room_expectations as _expectations
from dataroom.local import is_local
from dataroom.manifest import Manifest, Room
from dataroom.naming import external_id, read_role_arn, scientist_role_name
from dataroom.spec.lifecycle import has_own_account
from dataroom.stacks.deploy_time_zones import DeployTimeZonesStack

__all__ = ["RETENTION", "DataRoomStack", "room_expectations", "tag_value"]


def room_expectations(room: Room) -> dict[str, Any]:
    """What the manifest asks of ``room`` that the gate checks the template against."""
    return _expectations(room.query_limit_gb, room.monitoring)


class DataRoomStack(DeployTimeZonesStack):
    """One room of a manifest in its own account: a :class:`~dataroom.constructs.DataRoom`.

    The stack turns the manifest's room into the construct's typed props (datasets as the
    production buckets and approved prefixes, production's read role and ExternalId, the
    manifest's security approvers as alert recipients) and adds the outputs the CLI, the review
    and the try-out read. Rooms in phases that read production (exploration, production-a,
    production-b) get the approved dataset buckets in their endpoint's data perimeter; other
    phases get none (IAM-6).

    The room is the stack's child ``Default``, which aws-cdk-lib leaves out of logical IDs: a
    room's resources keep the logical IDs they had when the stack built them itself.

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
        local = is_local(self)

        datasets: list[DatasetRead] = []
        read_role: iam.IRole | None = None
        if room.reads_production:
            prefixes: dict[str, list[str]] = {}
            for dataset in manifest.room_datasets(room):
                prefixes.setdefault(dataset.bucket, []).append(dataset.prefix)
            for bucket_name, bucket_prefixes in prefixes.items():
                bucket = s3.Bucket.from_bucket_attributes(
                    self,
                    f"Dataset-{bucket_name}",
                    bucket_name=bucket_name,
                    account=manifest.production.account,
                    region=manifest.production.region,
                )
                datasets.append(DatasetRead(bucket=bucket, prefixes=tuple(bucket_prefixes)))
            read_role = iam.Role.from_role_arn(
                self,
                "ProductionReadRole",
                read_role_arn(manifest, room, self.partition),
                mutable=False,
            )
        principals = [
            iam.Role.from_role_arn(self, f"Principal{i}", arn, mutable=False)
            for i, arn in enumerate(room.principals)
        ]
        self.data_room = DataRoom(
            self,
            "Default",
            name=room.name,
            phase=room.phase,
            hypothesis=room.hypothesis,
            ticket=room.ticket,
            owner=room.owner,
            approvers=room.approvers,
            expires=room.expires,
            principals=principals,
            datasets=datasets,
            production_read_role=read_role,
            production_external_id=external_id(room) if read_role is not None else None,
            security_emails=manifest.security_approvers,
            vpc_cidr=room.vpc_cidr,
            availability_zones=self.availability_zones,
            query_limit_gb=room.query_limit_gb,
            monitoring=room.monitoring,
            priors=room.priors,
            results=room.results,
            workbench=room.workbench,
            airlock=room.airlock,
            budget_usd_month=room.budget_usd_month,
            budget_linked_account=room.account if has_own_account(manifest, room) else None,
            scientist_role_name=scientist_role_name(room),
            # Local mode (dataroom/local.py) only: moto can run neither the default-SG custom
            # resource nor a GuardDuty Malware Protection plan.
            restrict_default_security_group=not local,
            malware_protection=not local,
        )
        built = self.data_room
        self.room_key = built.room_key
        self.glovebox = built.glovebox
        self.storage = built.storage
        self.athena_endpoint = built.athena_endpoint
        self.dns_firewall = built.dns_firewall
        self.trail = built.trail
        self.threat_detection = built.threat_detection
        self.alert_emails = built.alert_emails
        self.alerts = built.alerts
        self.config_baseline = built.config_baseline
        self.remediation = built.remediation
        self.query_guard = built.query_guard
        self.priors = built.priors
        self.boundary = built.boundary
        self.perimeter_policy = built.perimeter_policy
        self.default_sg_boundary = built.default_sg_boundary
        self.scientist_role = built.scientist_role
        self.results_publication = built.results_publication
        self.workbench = built.workbench
        self.lifecycle = built.lifecycle
        self.airlock = built.airlock
        #: The glovebox VPC, the room key, scratch space that expires, end results (retained).
        self.vpc: ec2.IVpc = built.vpc
        self.key: kms.IKey = built.key
        self.intermediate_bucket: s3.IBucket = built.intermediate_bucket
        self.results_bucket: s3.IBucket = built.results_bucket

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
