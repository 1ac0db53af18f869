"""ProductionAccessStack: per-room read-only roles, deployed to the production account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnOutput, Environment, Stack, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from dataroom import alert_events
from dataroom.constructs.alert_delivery import AlertDelivery, admit_alarms
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.constructs.lifecycle import read_role_freeze_policy
from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from dataroom.constructs.room_key import RoomKey
from dataroom.manifest import Manifest, Room
from dataroom.naming import external_id, read_role_name, scientist_role_arn

#: The production trail that records every read of an approved prefix (MON-2).
READ_TRAIL_NAME = "dataroom-production-reads"


class ProductionAccessStack(Stack):
    """The production side of every room that may read production data (IAM-1..4, IAM-6, MON-2).

    One :class:`ReadOnlyDatasetAccess` role per room in a data phase (exploration,
    production-a, production-b), trusted only by that room's scientist role, reading only the
    room's approved prefixes, until the room's expiry. Rooms in other phases get nothing.

    One :class:`AuditTrail` (``dataroom-production-reads``) records the S3 data events of every
    approved prefix, so each read by a room is logged in production, with the reader's
    ``sourceIdentity``, in a trail the room cannot touch.

    :param manifest: the validated manifest.
    :param room_endpoints: room name -> the ids of that room's S3 endpoint, for rooms that share
        the production account (PER-3: their reads are pinned to the endpoint id, since "an
        endpoint of this account" would admit production's own). Rooms with an account of their
        own are pinned to endpoints of that account (``aws:VpceAccount``). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        manifest: Manifest,
        room_endpoints: Mapping[str, Sequence[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        production = manifest.production
        kwargs.setdefault("env", Environment(account=production.account, region=production.region))
        kwargs.setdefault("stack_name", "dataroom-production-access")
        kwargs.setdefault("description", "dataroom: read-only production access for data rooms")
        super().__init__(scope, construct_id, **kwargs)
        self.manifest = manifest
        self._room_endpoints = dict(room_endpoints or {})
        self.read_access: dict[str, ReadOnlyDatasetAccess] = {}
        self.trail_key = RoomKey(
            self,
            "TrailKey",
            alias="dataroom/production-reads",
            description="dataroom: encrypts the trail of production reads by data rooms",
        )
        self.read_trail = AuditTrail(
            self,
            "ReadTrail",
            encryption_key=self.trail_key.key,
            trail_name=READ_TRAIL_NAME,
        )
        dataset_buckets: dict[str, s3.IBucket] = {}
        for room in manifest.rooms:
            if not room.reads_production:
                continue
            self.read_access[room.name] = self._room_access(room)
            for dataset in manifest.room_datasets(room):
                if dataset.bucket not in dataset_buckets:
                    dataset_buckets[dataset.bucket] = s3.Bucket.from_bucket_name(
                        self, f"Dataset-{dataset.bucket}", dataset.bucket
                    )
                self.read_trail.add_s3_data_events(
                    dataset_buckets[dataset.bucket], prefix=dataset.prefix
                )
        self.alert_topic = self._denied_writes_alert(manifest)
        CfnOutput(self, "ReadTrailArn", value=self.read_trail.trail_arn)
        CfnOutput(self, "ReadTrailBucketName", value=self.read_trail.bucket.bucket_name)
        Tags.of(self).add("dataroom:component", "production-access")
        self.template_options.metadata = {"dataroom": {"kind": "production-access"}}
        # Its constructs (AuditTrail, AlertDelivery, ReadOnlyDatasetAccess) acknowledge their
        # own by-design findings.

    def _denied_writes_alert(self, manifest: Manifest) -> sns.Topic:
        """MON-4, production side: a room's read session refused a write is an alert.

        The read role may only read, so any refused non-read call by its sessions is either a
        mistake or an attempt; the MON-2 trail records the S3 calls on approved prefixes and the
        management events that make them visible to EventBridge here.
        """
        topic = sns.Topic(
            self,
            "Alerts",
            display_name="dataroom production-access alerts",
            master_key=self.trail_key.key,
            enforce_ssl=True,
        )
        emails = manifest.security_approvers or tuple(
            dict.fromkeys(room.owner for room in manifest.rooms if room.reads_production)
        )
        # MON-6: retries, a dead-letter queue and failed-delivery alarms on this topic too.
        admit_alarms(topic, self.trail_key.key)
        self.alert_delivery = AlertDelivery(
            self, "AlertDelivery", topic=topic, encryption_key=self.trail_key.key
        )
        for email in emails:
            topic.add_subscription(
                subscriptions.EmailSubscription(
                    email, dead_letter_queue=self.alert_delivery.dead_letters
                )
            )
        self.trail_key.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeOfThisAccount",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        pattern = alert_events.denied_writes_pattern(
            [access.role_arn for access in self.read_access.values()]
        )
        self.denied_writes_rule = events.Rule(
            self,
            "DeniedWrites",
            description="dataroom alert: a room's read session was refused a write",
            event_pattern=events.EventPattern(
                detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
        )
        self.denied_writes_rule.add_target(self.alert_delivery.target())
        self.alert_delivery.watch_rule("DeniedWrites", self.denied_writes_rule)
        return topic

    def _room_access(self, room: Room) -> ReadOnlyDatasetAccess:
        access = ReadOnlyDatasetAccess(
            self,
            f"Room-{room.name}",
            trusted_role_arns=[scientist_role_arn(self.manifest, room, self.partition)],
            external_id=external_id(room),
            expires=room.expires,
            organization_id=self.manifest.production.organization_id,
            role_name=read_role_name(room),
            endpoint_account=room.account,
            endpoint_ids=self._room_endpoints.get(room.name, ()),
        )
        for dataset in self.manifest.room_datasets(room):
            access.grant_read_prefix(
                bucket_name=dataset.bucket, prefix=dataset.prefix, kms_key_arn=dataset.kms_key_arn
            )
        for key, value in (
            ("dataroom:room", room.name),
            ("dataroom:ticket", room.ticket),
            ("dataroom:expires", room.expires.isoformat()),
        ):
            Tags.of(access).add(key, value)
        CfnOutput(self, f"ReadRoleArn-{room.name}", value=access.role_arn)
        read_role_freeze_policy(self, room_name=room.name)  # LCY-1: ready to attach
        return access
