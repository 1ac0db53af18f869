"""AuditTrail: a CloudTrail trail whose logs cannot be quietly lost or rewritten (MON-1, MON-2)."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import ArnFormat, Duration, IResolvable, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.constructs.access_logs import log_server_access
from dataroom.constructs.acknowledge import (
    ACCESS_LOGS_SSE_S3,
    NIST,
    acknowledge,
    wildcard_resource,
)
from dataroom.constructs.room_key import allow_cloudwatch_logs

#: CloudTrail's limit on data resources across a trail's basic event selectors.
MAX_DATA_RESOURCES = 250
#: The shortest object-lock retention we accept for audit logs.
MIN_LOCK_DAYS = 365
#: Why the trail's buckets are not replicated (NIST S3BucketReplicationEnabled).
LOGS_NOT_REPLICATED = (
    "Audit logs are object-locked (compliance mode) and retained on stack deletion; the "
    "account's copy for a separate log archive comes from the organization trail, not from "
    "replicating this bucket, which would spread the room's access records to a second place "
    "outside this review."
)
_TRAIL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]")


class AuditTrail(Construct):
    """A CloudTrail trail with log-file validation, KMS encryption and tamper-resistant storage.

    - The trail (``Resource``) validates its log files, encrypts them with ``encryption_key`` and
      also delivers them to a KMS-encrypted CloudWatch Logs group with retention, so alarms can
      read them.
    - The log bucket is versioned, has S3 Object Lock with a default retention (compliance mode
      by default: nobody, root included, can delete a log early), is retained when the stack is
      deleted, blocks public access, refuses non-TLS requests and admits CloudTrail only for this
      trail (``aws:SourceArn``), so another account's trail cannot write into it.
    - The bucket's server access logs go to ``access_logs_bucket`` (a new SSE-S3 bucket by
      default: S3 cannot deliver access logs to an SSE-KMS bucket).
    - S3 data events are added with :meth:`add_s3_data_events`; each records who read or wrote
      which object, with the caller's ``sourceIdentity``.

    :param encryption_key: encrypts the logs and the log group; its key policy is extended for
        CloudTrail (this trail only) and CloudWatch Logs, so it must be a key defined in this app.
    :param trail_name: the trail's name, part of the ARN the bucket and key policies admit.
    :param access_logs_bucket: where the log bucket's access logs go: an SSE-S3 ``s3.Bucket`` of
        the same stack (its policy admits S3 log delivery for this bucket only;
        ``log_server_access``). Default: a new bucket.
    :param log_retention: retention of the CloudWatch Logs copy. Default: one year.
    :param object_lock_retention: default Object Lock retention of each log file; at least 365
        days. Default: 365 days.
    :param object_lock_mode: compliance (default) or governance.
    :param multi_region: record management events of every region. Default: true.
    :param management_events: record management events (reads and writes). Default: true.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        trail_name: str,
        access_logs_bucket: s3.IBucket | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        object_lock_retention: Duration | None = None,
        object_lock_mode: s3.ObjectLockMode = s3.ObjectLockMode.COMPLIANCE,
        multi_region: bool = True,
        management_events: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        object_lock_retention = object_lock_retention or Duration.days(MIN_LOCK_DAYS)
        if object_lock_retention.to_days() < MIN_LOCK_DAYS:
            raise ValueError(
                f"{self.node.path}: object_lock_retention={object_lock_retention.to_days()} days: "
                f"expected at least {MIN_LOCK_DAYS}; audit logs outlive the room"
            )
        if not _TRAIL_NAME.fullmatch(trail_name):
            raise ValueError(
                f"{self.node.path}: trail_name={trail_name!r}: expected 3-128 letters, digits, "
                "'.', '_' or '-', starting and ending with a letter or digit"
            )
        stack = Stack.of(self)
        self.trail_name = trail_name
        self.trail_arn = stack.format_arn(
            service="cloudtrail", resource="trail", resource_name=trail_name
        )
        self._data_resources: list[str] = []
        self._management_events = management_events
        # First, so that a key this construct cannot extend fails before anything is created.
        self._allow_key_use(encryption_key, stack)
        common: dict[str, Any] = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "enforce_ssl": True,
            "minimum_tls_version": 1.2,
            "versioned": True,
            "removal_policy": RemovalPolicy.RETAIN,
        }

        self.owns_access_logs_bucket = access_logs_bucket is None
        if access_logs_bucket is None:
            access_logs_bucket = s3.Bucket(
                self,
                "AccessLogs",
                encryption=s3.BucketEncryption.S3_MANAGED,
                # S3 cannot deliver server access logs to a bucket with Object Lock enabled.
                object_lock_enabled=False,
                **common,
            )
            _deny_other_accounts(access_logs_bucket, stack)
        self.access_logs_bucket = access_logs_bucket
        self.bucket = s3.Bucket(
            self,
            "Logs",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            object_lock_enabled=True,
            object_lock_default_retention=(
                s3.ObjectLockRetention.compliance(object_lock_retention)
                if object_lock_mode == s3.ObjectLockMode.COMPLIANCE
                else s3.ObjectLockRetention.governance(object_lock_retention)
            ),
            **common,
        )
        log_server_access(self.bucket, destination=access_logs_bucket, prefix=f"{trail_name}/")
        self._admit_cloudtrail(self.bucket, stack)

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention,
            encryption_key=encryption_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        allow_cloudwatch_logs(encryption_key)
        self._log_streams = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{self.log_group.log_group_name}:log-stream:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.logs_role = iam.Role(
            self,
            "LogsRole",
            assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceArn": self.trail_arn}}
            ),
            description=f"CloudTrail {trail_name} delivers to its CloudWatch Logs group",
        )
        # A managed policy, not an inline one: nag (NIST IAMNoInlinePolicy) and reviewers see it.
        self.logs_delivery_policy = delivery = iam.ManagedPolicy(
            self,
            "LogsDelivery",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self._log_streams],
                )
            ],
        )
        self.logs_role.add_managed_policy(delivery)

        self.trail = cloudtrail.CfnTrail(
            self,
            "Resource",
            trail_name=trail_name,
            is_logging=True,
            enable_log_file_validation=True,
            include_global_service_events=multi_region,
            is_multi_region_trail=multi_region,
            kms_key_id=encryption_key.key_arn,
            s3_bucket_name=self.bucket.bucket_name,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.logs_role.role_arn,
            event_selectors=self._event_selectors(),
        )
        # CloudTrail checks its bucket, key and role when the trail is created.
        if self.bucket.policy is None:  # enforce_ssl above always creates it
            raise RuntimeError(f"{self.bucket.node.path}: the trail bucket has no policy")
        # (The role needs no entry: the trail names it, which orders it already.)
        self.trail.node.add_dependency(self.bucket.policy, delivery)
        self._acknowledge()

    def _acknowledge(self) -> None:
        """The findings every AuditTrail raises by design, each on the child that raises it."""
        buckets: list[s3.IBucket] = [self.bucket]
        if self.owns_access_logs_bucket:
            buckets.append(self.access_logs_bucket)
            acknowledge(
                self.access_logs_bucket, (f"{NIST}S3DefaultEncryptionKMS", ACCESS_LOGS_SSE_S3)
            )
        for bucket in buckets:
            acknowledge(bucket, (f"{NIST}S3BucketReplicationEnabled", LOGS_NOT_REPLICATED))
        acknowledge(
            self.logs_delivery_policy,
            (
                wildcard_resource(self, self._log_streams),
                "CloudTrail names the log streams it creates; the wildcard covers the streams "
                "of this trail's own log group and nothing else.",
            ),
        )

    def add_s3_data_events(self, bucket: s3.IBucket, *, prefix: str = "") -> None:
        """Record every read and write of objects in ``bucket`` (under ``prefix``)."""
        if "*" in prefix or "?" in prefix or prefix.startswith("/"):
            raise ValueError(f"{self.node.path}: prefix={prefix!r}: expected a literal key prefix")
        value = f"{bucket.bucket_arn}/{prefix}"
        if value in self._data_resources:
            return
        if len(self._data_resources) >= MAX_DATA_RESOURCES:
            raise ValueError(
                f"{self.node.path}: more than {MAX_DATA_RESOURCES} S3 data resources: CloudTrail "
                "accepts no more per trail; split the rooms across trails"
            )
        self._data_resources.append(value)
        self.trail.event_selectors = self._event_selectors()

    @property
    def data_resources(self) -> tuple[str, ...]:
        """The ``AWS::S3::Object`` values whose data events the trail records."""
        return tuple(self._data_resources)

    def _event_selectors(
        self,
    ) -> list[IResolvable | cloudtrail.CfnTrail.EventSelectorProperty] | None:
        if not self._management_events and not self._data_resources:
            return None
        data_resources = (
            [
                cloudtrail.CfnTrail.DataResourceProperty(
                    type="AWS::S3::Object", values=list(self._data_resources)
                )
            ]
            if self._data_resources
            else None
        )
        return [
            cloudtrail.CfnTrail.EventSelectorProperty(
                include_management_events=self._management_events,
                read_write_type="All",
                data_resources=data_resources,
            )
        ]

    def _admit_cloudtrail(self, bucket: s3.Bucket, stack: Stack) -> None:
        cloudtrail_service = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        this_trail = {"StringEquals": {"aws:SourceArn": self.trail_arn}}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailAclCheck",
                principals=[cloudtrail_service],
                actions=["s3:GetBucketAcl"],
                resources=[bucket.bucket_arn],
                conditions=this_trail,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailWrite",
                principals=[cloudtrail_service],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"AWSLogs/{stack.account}/*")],
                conditions={
                    "StringEquals": {
                        "aws:SourceArn": self.trail_arn,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            )
        )
        _deny_other_accounts(bucket, stack)

    def _allow_key_use(self, key: kms.IKey, stack: Stack) -> None:
        cloudtrail_service = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        trails_of_this_account = stack.format_arn(
            service="cloudtrail", region="*", resource="trail", resource_name="*"
        )
        for statement in (
            iam.PolicyStatement(
                sid="CloudTrailEncryptsThisTrailsLogs",
                principals=[cloudtrail_service],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceArn": self.trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": trails_of_this_account
                    },
                },
            ),
            iam.PolicyStatement(
                sid="CloudTrailDescribesTheKey",
                principals=[cloudtrail_service],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceArn": self.trail_arn}},
            ),
            iam.PolicyStatement(
                # Log readers (and digest validation) of this account decrypt trail logs only.
                sid="AccountReadsTrailLogs",
                principals=[iam.AccountRootPrincipal()],
                actions=["kms:Decrypt", "kms:ReEncryptFrom"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:CallerAccount": stack.account},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": trails_of_this_account
                    },
                },
            ),
        ):
            if not key.add_to_resource_policy(statement).statement_added:
                raise ValueError(
                    f"{self.node.path}: encryption_key: expected a key defined in this app, whose "
                    "policy can admit CloudTrail"
                )


def _deny_other_accounts(bucket: s3.Bucket, stack: Stack) -> None:
    # AWS services (CloudTrail, S3 logging) are admitted by their own statements.
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyPrincipalsOutsideTheAccount",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:*"],
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            conditions={
                "StringNotEquals": {"aws:PrincipalAccount": stack.account},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
        )
    )
