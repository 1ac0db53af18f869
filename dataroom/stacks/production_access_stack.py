"""ProductionAccessStack: per-room read-only roles, deployed to the production account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, Stack, Tags
from constructs import Construct

from dataroom.constructs.read_only_access import ReadOnlyDatasetAccess
from dataroom.manifest import Manifest, Room
from dataroom.naming import external_id, read_role_name, scientist_role_arn
from dataroom.policies.acknowledgements import acknowledge_production_stack


class ProductionAccessStack(Stack):
    """The production side of every room that may read production data (IAM-1..4, IAM-6).

    One :class:`ReadOnlyDatasetAccess` role per room in a data phase (exploration,
    production-a, production-b), trusted only by that room's scientist role, reading only the
    room's approved prefixes, until the room's expiry. Rooms in other phases get nothing.

    :param manifest: the validated manifest.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, manifest: Manifest, **kwargs: Any
    ) -> None:
        production = manifest.production
        kwargs.setdefault("env", Environment(account=production.account, region=production.region))
        kwargs.setdefault("stack_name", "dataroom-production-access")
        kwargs.setdefault("description", "dataroom: read-only production access for data rooms")
        super().__init__(scope, construct_id, **kwargs)
        self.manifest = manifest
        self.read_access: dict[str, ReadOnlyDatasetAccess] = {}
        for room in manifest.rooms:
            if room.reads_production:
                self.read_access[room.name] = self._room_access(room)
        Tags.of(self).add("dataroom:component", "production-access")
        acknowledge_production_stack(self)

    def _room_access(self, room: Room) -> ReadOnlyDatasetAccess:
        access = ReadOnlyDatasetAccess(
            self,
            f"Room-{room.name}",
            trusted_role_arns=[scientist_role_arn(self.manifest, room)],
            external_id=external_id(room),
            expires=room.expires,
            organization_id=self.manifest.production.organization_id,
            role_name=read_role_name(room),
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
        return access
