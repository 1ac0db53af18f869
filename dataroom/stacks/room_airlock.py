"""The airlock block of a DataRoomStack (EXP-1, EXP-2), kept out of the stack module."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from dataroom.constructs import Glovebox, RoomStorage
from dataroom.constructs.airlock import Airlock
from dataroom.constructs.audit_trail import AuditTrail
from dataroom.local import is_local
from dataroom.manifest import Room


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


def add_airlock(
    stack: Stack,
    *,
    room: Room,
    encryption_key: kms.IKey,
    storage: RoomStorage,
    glovebox: Glovebox,
    boundary: iam.ManagedPolicy,
    scientist_role: iam.IRole,
    trail: AuditTrail,
) -> Airlock | None:
    """Give ``stack`` (the room's DataRoomStack) its room's airlock when the manifest asks for one
    (``rooms[].airlock``).

    The scientist role may request; the approver role (manifest approvers only) may decide; the
    glovebox reaches the table and Step Functions through its own endpoints. The stack's parts
    are passed one by one so that this module never imports the stack module (no import cycle).
    """
    spec = room.airlock
    if spec is None:
        return None
    consumers = [
        iam.Role.from_role_arn(stack, f"AirlockConsumer{i}", arn, mutable=False)
        for i, arn in enumerate(spec.consumers)
    ]
    approver_principals = [
        iam.Role.from_role_arn(stack, f"AirlockApproverPrincipal{i}", arn, mutable=False)
        for i, arn in enumerate(spec.approver_principals or room.principals)
    ]
    airlock = Airlock(
        stack,
        "Airlock",
        encryption_key=encryption_key,
        results_bucket=storage.results_bucket,
        access_logs_bucket=storage.access_logs_bucket,
        approvers=room.approvers,
        consumers=consumers,
        approver_principals=approver_principals,
        approver_role_name=approver_role_name(room.name),
        export_bucket_name=export_bucket_name(room.name, room.account, stack.region),
        table_name=table_name(room.name),
        state_machine_name=state_machine_name(room.name),
        request_ttl=Duration.days(spec.request_ttl_days),
        # Local mode only: moto cannot deploy a GuardDuty Malware Protection plan.
        malware_protection=not is_local(stack),
        vpc=glovebox.vpc,
        boundary=boundary,
    )
    # The state machine copies pinned versions out of the results bucket from the service side.
    storage.trust_role(airlock.pipeline_role)
    glovebox.add_interface_endpoint(ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS)
    airlock.grant_request(scientist_role)
    # Every read of a review copy and every write and read of an export is attributable (EXP-2).
    for bucket in (airlock.review_bucket, airlock.export_bucket):
        trail.add_s3_data_events(bucket)
    return airlock
