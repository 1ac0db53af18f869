"""DataRoomStack: one room's glovebox, key and buckets, deployed to the room account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.constructs.data_room import (
    RETENTION,
    DataRoom,
    DatasetBucket,
    ProductionReadRole,
    tag_value,
)
from dataroom.local import is_local
from dataroom.manifest import Manifest, Room
from dataroom.naming import external_id, read_role_arn, scientist_role_name
from dataroom.policies.acknowledgements import acknowledge_room_stack
from dataroom.stacks.deploy_time_zones import DeployTimeZonesStack

__all__ = ["CDK_SG_PROVIDER", "RETENTION", "DataRoomStack", "tag_value"]

#: The construct id aws-cdk-lib gives its restrict-default-security-group provider.
CDK_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"
#: The id of the room inside its stack: ``Default`` keeps the logical ids (and so the deployed
#: resources) of rooms synthesized before the body moved into the :class:`DataRoom` construct.
ROOM_ID = "Default"


class DataRoomStack(DeployTimeZonesStack):
    """Everything one room needs in its own account: a :class:`DataRoom` built from the manifest.

    The stack is a thin wrapper: it maps the manifest's room to the construct's typed props,
    sets the room account and region, the CloudFormation name ``dataroom-<room>`` and the
    outputs. Rooms in phases that read production (exploration, production-a, production-b) get
    the approved dataset buckets in their endpoint's data perimeter and may assume their
    production read role; other phases get neither (IAM-6).

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

        datasets: list[DatasetBucket] = []
        read_role: ProductionReadRole | None = None
        if room.reads_production:
            prefixes: dict[str, list[str]] = {}
            for dataset in manifest.room_datasets(room):
                prefixes.setdefault(dataset.bucket, []).append(dataset.prefix)
            datasets = [
                DatasetBucket(
                    bucket_name=bucket,
                    prefixes=tuple(bucket_prefixes),
                    account=manifest.production.account,
                    region=manifest.production.region,
                )
                for bucket, bucket_prefixes in prefixes.items()
            ]
            read_role = ProductionReadRole(
                role_arn=read_role_arn(manifest, room, self.partition),
                external_id=external_id(room),
            )
        emails = list(dict.fromkeys((*manifest.security_approvers, *room.monitoring.alert_emails)))
        self.data_room = DataRoom(
            self,
            ROOM_ID,
            name=room.name,
            phase=room.phase,
            hypothesis=room.hypothesis,
            ticket=room.ticket,
            owner=room.owner,
            approvers=room.approvers,
            expires=room.expires,
            principals=room.principals,
            availability_zones=self.availability_zones,
            cidr=room.vpc_cidr,
            datasets=datasets,
            production_read_role=read_role,
            query_limit_gb=room.query_limit_gb,
            monitoring=room.monitoring,
            priors=room.priors,
            alert_emails=emails,
            scientist_role_name=scientist_role_name(room),
            # Local mode (dataroom/local.py) only: moto cannot run the custom resource.
            restrict_default_security_group=not is_local(self),
        )
        # The construct's parts, under the names the stack always had.
        room_parts = self.data_room
        self.room_key = room_parts.room_key
        self.glovebox = room_parts.glovebox
        self.storage = room_parts.storage
        self.athena_endpoint = room_parts.athena_endpoint
        self.dns_firewall = room_parts.dns_firewall
        self.trail = room_parts.trail
        self.threat_detection = room_parts.threat_detection
        self.alerts = room_parts.alerts
        self.config_baseline = room_parts.config_baseline
        self.remediation = room_parts.remediation
        self.query_guard = room_parts.query_guard
        self.priors = room_parts.priors
        self.boundary = room_parts.boundary
        self.scientist_role = room_parts.scientist_role

        # Every role of the stack, present and future, including blocks added next to the room
        # (IAM-5); except aws-cdk-lib's own restrict-default-SG provider: on delete and on VPC
        # replacement it re-authorizes the default group's rules, which the room boundary
        # denies, and the stack would be stuck in DELETE_FAILED. Its role is CDK's, scoped to
        # that one group.
        iam.PermissionsBoundary.of(self).apply(self.boundary.policy)
        provider = self.node.try_find_child(CDK_SG_PROVIDER)
        if provider is not None:
            iam.PermissionsBoundary.of(provider).clear()

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

        acknowledge_room_stack(self)

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
