"""RoomStorage: separate intermediate, results and access-log buckets (S3-1 .. S3-4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.constructs.access_logs import log_server_access
from dataroom.constructs.acknowledge import (
    ACCESS_LOGS_SSE_S3,
    NIST,
    NO_REPLICATION,
    SOLUTIONS,
    acknowledge,
    acknowledge_grantee,
    wildcard_resource,
)

#: The wildcard actions aws-cdk-lib's Bucket and Key grants emit for the room's own buckets.
GRANT_WILDCARD_ACTIONS = (
    "s3:Abort*",
    "s3:DeleteObject*",
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
_GRANT_WILDCARD = (
    "Emitted by aws-cdk-lib's grant on the room's own bucket or key; the resource is that bucket "
    "or key only, and the bucket and endpoint policies confine it to the glovebox."
)

#: Data-plane actions that must come from inside the glovebox (or from a trusted room role).
DATA_PLANE_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:RestoreObject",
    "s3:ReplicateObject",
)


class RoomStorage(Construct):
    """The room's three buckets, each private, encrypted and confined to the room.

    - **intermediate**: scratch space; objects expire (default 30 days) and so do noncurrent
      versions, so exploration leaves no long-lived copies of production-derived data.
    - **results**: end results; versioned and retained when the stack is destroyed.
    - **access logs**: server access logs of the other two; versioned and retained. S3 cannot
      deliver access logs to an SSE-KMS bucket nor to one with Object Lock, so this one bucket
      uses SSE-S3 (acknowledged on that bucket, with the reason) and no lock.

    Every bucket blocks public access, disables ACLs, refuses non-TLS (and TLS < 1.2) requests and
    refuses principals of other accounts. The intermediate and results buckets use the room key
    with an S3 bucket key, refuse uploads that name another key or algorithm, and refuse data-plane
    requests that arrive neither through the room's VPC endpoint nor from a trusted room role.

    :param encryption_key: the room key (S3-2).
    :param vpc_endpoint: the glovebox's S3 gateway endpoint; data-plane access must come through it.
    :param trusted_roles: room automation roles that may reach the data from outside the endpoint
        (e.g. a role that a managed service assumes). Default: none.
    :param intermediate_expiration: lifetime of intermediate objects. Default: 30 days.
    :param noncurrent_expiration: lifetime of noncurrent versions in the intermediate bucket.
        Default: 1 day.
    :param called_via_services: AWS services that may reach the intermediate and results buckets
        on a room principal's behalf (``aws:CalledVia``), e.g. ``athena.amazonaws.com``, whose
        requests come from the service, not through the endpoint. Default: none.
    :param called_via_principals: the only principals (role ARNs, ``aws:PrincipalArn``) whose
        requests through ``called_via_services`` are admitted; required with them, so the
        exemption is never open to every principal of the account (PER-2). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        vpc_endpoint: ec2.IVpcEndpoint,
        trusted_roles: Sequence[iam.IRole] = (),
        intermediate_expiration: Duration | None = None,
        noncurrent_expiration: Duration | None = None,
        called_via_services: Sequence[str] = (),
        called_via_principals: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if called_via_services and not called_via_principals:
            raise ValueError(
                f"{self.node.path}: called_via_services={list(called_via_services)} with "
                "called_via_principals=[]: expected the room roles the exemption is for; an "
                "exemption for every principal of the account is a way out (PER-2)"
            )
        self._called_via_principals = tuple(called_via_principals)
        intermediate_expiration = intermediate_expiration or Duration.days(30)
        noncurrent_expiration = noncurrent_expiration or Duration.days(1)
        if not intermediate_expiration.is_unresolved() and intermediate_expiration.to_days() > 365:
            raise ValueError(
                f"{self.node.path}: intermediate_expiration={intermediate_expiration.to_days()} "
                "days: expected at most 365; intermediate data is scratch space"
            )
        self._key = encryption_key
        self._called_via = tuple(called_via_services)
        self._trusted_roles: list[iam.IRole] = list(trusted_roles)
        self._glovebox_perimeters: list[iam.PolicyStatement] = []
        self._account = Stack.of(self).account
        #: bucket id -> its perimeter denies, which access points may later be exempted from.
        self._perimeter_denies: dict[str, list[iam.PolicyStatement]] = {}

        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            # S3 cannot deliver server access logs to a bucket with Object Lock enabled.
            object_lock_enabled=False,
            **self._common(),
        )
        self._perimeter(self.access_logs_bucket, vpc_endpoint=None, trusted_roles=())

        self.intermediate_bucket = s3.Bucket(
            self,
            "Intermediate",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireScratchData",
                    expiration=intermediate_expiration,
                    noncurrent_version_expiration=noncurrent_expiration,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **self._common(),
        )
        log_server_access(
            self.intermediate_bucket, destination=self.access_logs_bucket, prefix="intermediate/"
        )
        self.results_bucket = s3.Bucket(
            self,
            "Results",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            **self._common(),
        )
        log_server_access(
            self.results_bucket, destination=self.access_logs_bucket, prefix="results/"
        )
        for bucket in (self.intermediate_bucket, self.results_bucket):
            self._perimeter(bucket, vpc_endpoint=vpc_endpoint, trusted_roles=trusted_roles)
            self._require_room_key(bucket)
        for bucket in self.buckets:
            acknowledge(bucket, (f"{NIST}S3BucketReplicationEnabled", NO_REPLICATION))
        acknowledge(self.access_logs_bucket, (f"{NIST}S3DefaultEncryptionKMS", ACCESS_LOGS_SSE_S3))

    @staticmethod
    def _common() -> dict[str, Any]:
        return {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "enforce_ssl": True,
            "minimum_tls_version": 1.2,
            "removal_policy": RemovalPolicy.RETAIN,
        }

    @property
    def buckets(self) -> tuple[s3.Bucket, s3.Bucket, s3.Bucket]:
        """Intermediate, results and access-log buckets, in that order."""
        return (self.intermediate_bucket, self.results_bucket, self.access_logs_bucket)

    def grant_read_write_intermediate(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read, write and delete scratch data (with the room key)."""
        return self._acknowledged(self.intermediate_bucket.grant_read_write(grantee), grantee)

    def grant_write_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Write end results (with the room key); no delete, results are kept."""
        return self._acknowledged(self.results_bucket.grant_put(grantee), grantee)

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read end results (with the room key)."""
        return self._acknowledged(self.results_bucket.grant_read(grantee), grantee)

    def _acknowledged(self, grant: iam.Grant, grantee: iam.IGrantable) -> iam.Grant:
        """The grant, its by-design IAM5 findings acknowledged on the grantee (aws-cdk-lib's
        grants name action families and the bucket's objects by wildcard)."""
        acknowledge_grantee(
            grantee,
            *((f"{SOLUTIONS}IAM5[Action::{a}]", _GRANT_WILDCARD) for a in GRANT_WILDCARD_ACTIONS),
            *(
                (
                    wildcard_resource(self, bucket.arn_for_objects("*")),
                    "Objects of the room's own bucket; the bucket policy admits only requests "
                    "through the glovebox's endpoint.",
                )
                for bucket in (self.intermediate_bucket, self.results_bucket)
            ),
        )
        return grant

    def admit_reads_through_access_points(self, access_point_arns: Sequence[str]) -> None:
        """Let requests through these access points of the results bucket pass its perimeter.

        The perimeter denies (other accounts, outside the glovebox) stop applying to requests
        that name one of ``access_point_arns`` (``s3:DataAccessPointArn``); each access point's
        own policy and the bucket's per-reader allow then decide, and writes through any access
        point stay denied (PHS-1). Direct requests to the bucket are judged exactly as before.
        """
        if not access_point_arns:
            return
        for statement in self._perimeter_denies[self.results_bucket.node.id]:
            statement.add_condition(
                "StringNotEquals", {"s3:DataAccessPointArn": list(access_point_arns)}
            )
        self.results_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyWritesThroughAccessPoints",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=[
                    "s3:PutObject",
                    "s3:PutObjectAcl",
                    "s3:PutObjectTagging",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                    "s3:RestoreObject",
                ],
                resources=[self.results_bucket.arn_for_objects("*")],
                conditions={"Null": {"s3:DataAccessPointArn": "false"}},
            )
        )

    def _perimeter(
        self,
        bucket: s3.Bucket,
        *,
        vpc_endpoint: ec2.IVpcEndpoint | None,
        trusted_roles: Sequence[iam.IRole],
    ) -> None:
        not_a_service = {"aws:PrincipalIsAWSService": "false"}
        denies = self._perimeter_denies.setdefault(bucket.node.id, [])
        outside_account = iam.PolicyStatement(
            sid="DenyPrincipalsOutsideTheRoomAccount",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:*"],
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            conditions={
                "StringNotEquals": {"aws:PrincipalAccount": self._account},
                "BoolIfExists": not_a_service,
            },
        )
        bucket.add_to_resource_policy(outside_account)
        denies.append(outside_account)
        if vpc_endpoint is None:
            return
        conditions: dict[str, Any] = {
            "StringNotEquals": {"aws:SourceVpce": vpc_endpoint.vpc_endpoint_id},
            "BoolIfExists": not_a_service,
        }
        if self._called_via:
            # The service's own request carries its name in aws:CalledVia and no endpoint id.
            conditions["ForAllValues:StringNotEquals"] = {"aws:CalledVia": list(self._called_via)}
        if trusted_roles:
            conditions["ArnNotEquals"] = {"aws:PrincipalArn": [r.role_arn for r in trusted_roles]}
        outside_glovebox = iam.PolicyStatement(
            sid="DenyDataAccessFromOutsideTheGlovebox",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=list(DATA_PLANE_ACTIONS),
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            conditions=conditions,
        )
        bucket.add_to_resource_policy(outside_glovebox)
        denies.append(outside_glovebox)
        self._glovebox_perimeters.append(outside_glovebox)
        if self._called_via:
            # The exemption above is for the room's own roles only: anyone else of the account
            # (and any role the room does not own) asking the service to reach the data is refused.
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="DenyServiceAccessForPrincipalsOutsideTheRoom",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(DATA_PLANE_ACTIONS),
                    resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                    conditions={
                        "ForAnyValue:StringEquals": {"aws:CalledVia": list(self._called_via)},
                        "ArnNotEquals": {"aws:PrincipalArn": list(self._called_via_principals)},
                    },
                )
            )

    def trust_role(self, role: iam.IRole) -> None:
        """Let ``role``, a room automation role whose requests come from an AWS service (e.g. a
        state machine's), reach the intermediate and results buckets from outside the endpoint.

        Its own identity policy still decides what it may do there.
        """
        self._trusted_roles.append(role)
        arns = [r.role_arn for r in self._trusted_roles]
        for statement in self._glovebox_perimeters:
            statement.add_condition("ArnNotEquals", {"aws:PrincipalArn": arns})

    def _require_room_key(self, bucket: s3.Bucket) -> None:
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyUploadsWithAnotherAlgorithm",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
                },
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyUploadsWithAnotherKey",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEqualsIfExists": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": self._key.key_arn
                    }
                },
            )
        )
