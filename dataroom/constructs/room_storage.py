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

from dataroom.constructs.acknowledge import (
    ACCESS_LOGS_SSE_S3,
    NIST,
    NO_REPLICATION,
    acknowledge,
    use_bucket_policy_for_access_logs,
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
    ) -> None:
        super().__init__(scope, construct_id)
        use_bucket_policy_for_access_logs(self)
        intermediate_expiration = intermediate_expiration or Duration.days(30)
        noncurrent_expiration = noncurrent_expiration or Duration.days(1)
        if not intermediate_expiration.is_unresolved() and intermediate_expiration.to_days() > 365:
            raise ValueError(
                f"{self.node.path}: intermediate_expiration={intermediate_expiration.to_days()} "
                "days: expected at most 365; intermediate data is scratch space"
            )
        self._key = encryption_key
        self._called_via = tuple(called_via_services)
        self._account = Stack.of(self).account

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
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="intermediate/",
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
        self.results_bucket = s3.Bucket(
            self,
            "Results",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="results/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            **self._common(),
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
        return self.intermediate_bucket.grant_read_write(grantee)

    def grant_write_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Write end results (with the room key); no delete, results are kept."""
        return self.results_bucket.grant_put(grantee)

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read end results (with the room key)."""
        return self.results_bucket.grant_read(grantee)

    def _perimeter(
        self,
        bucket: s3.Bucket,
        *,
        vpc_endpoint: ec2.IVpcEndpoint | None,
        trusted_roles: Sequence[iam.IRole],
    ) -> None:
        not_a_service = {"aws:PrincipalIsAWSService": "false"}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
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
        )
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
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyDataAccessFromOutsideTheGlovebox",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(DATA_PLANE_ACTIONS),
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                conditions=conditions,
            )
        )

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
