"""ConfigBaseline: AWS Config records the room account and checks the baseline (MON-5)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.constructs.access_logs import log_server_access
from dataroom.constructs.acknowledge import (
    NIST,
    NO_REPLICATION,
    SOLUTIONS,
    acknowledge,
    nag_text,
    wildcard_resource,
)

#: The managed rules that mirror the production baseline, by the control they watch.
BASELINE_RULES: Mapping[str, str] = {
    "MON-1 trail enabled": config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENABLED,
    "MON-1 trail log-file validation": (
        config.ManagedRuleIdentifiers.CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED
    ),
    "MON-1 trail encrypted": config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENCRYPTION_ENABLED,
    "MON-3 GuardDuty enabled": config.ManagedRuleIdentifiers.GUARDDUTY_ENABLED_CENTRALIZED,
    "S3-3 bucket public access prohibited": (
        config.ManagedRuleIdentifiers.S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED
    ),
    "S3-3 TLS only": config.ManagedRuleIdentifiers.S3_BUCKET_SSL_REQUESTS_ONLY,
    "S3-2 default encryption": (
        config.ManagedRuleIdentifiers.S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED
    ),
    "S3-2 key rotation": config.ManagedRuleIdentifiers.CMK_BACKING_KEY_ROTATION_ENABLED,
    "NET-1 no internet gateway": (
        config.ManagedRuleIdentifiers.INTERNET_GATEWAY_AUTHORIZED_VPC_ONLY
    ),
    "NET-4 default security group closed": (
        config.ManagedRuleIdentifiers.VPC_DEFAULT_SECURITY_GROUP_CLOSED
    ),
    "NET-5 flow logs enabled": config.ManagedRuleIdentifiers.VPC_FLOW_LOGS_ENABLED,
}


def rule_construct_id(identifier: str) -> str:
    """A rule's construct id, named after the managed rule (``VPC_FLOW_LOGS_ENABLED`` ->
    ``VpcFlowLogsEnabled``): stable when rules are added or removed, unlike a position."""
    return "".join(word.capitalize() for word in identifier.split("_"))


class ConfigBaseline(Construct):
    """AWS Config's recorder (unless the account has one) and the baseline's managed rules.

    A region holds one configuration recorder; an organization usually deploys it, so
    ``create_recorder=False`` reuses that one and only adds the rules. A new recorder records
    every resource type (global ones too) and delivers to a bucket of its own (``Resource`` of
    ``DeliveryBucket``): encrypted with ``encryption_key``, versioned, private, TLS-only,
    access-logged and retained, without Object Lock, which AWS Config cannot deliver to. Config
    writes with the recorder's role, so that role holds the write and key permissions (besides
    Config's managed read policy), and the bucket and key policies admit Config too.

    ``NET-1 no internet gateway`` passes no authorized VPC, so an internet gateway attached to
    any VPC of the room account is non-compliant.

    :param encryption_key: the delivery bucket's key; its policy is extended for Config.
    :param access_logs_bucket: where the delivery bucket's server access logs go: an SSE-S3
        ``s3.Bucket`` of the same stack (its policy admits S3 log delivery for this bucket only;
        ``log_server_access``).
    :param create_recorder: create the recorder and delivery channel. Default: true.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        access_logs_bucket: s3.IBucket,
        create_recorder: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.recorder: config.CfnConfigurationRecorder | None = None
        self.delivery_channel: config.CfnDeliveryChannel | None = None
        self.delivery_bucket: s3.Bucket | None = None
        if create_recorder:
            self.delivery_bucket = s3.Bucket(
                self,
                "DeliveryBucket",
                encryption=s3.BucketEncryption.KMS,
                encryption_key=encryption_key,
                bucket_key_enabled=True,
                versioned=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                enforce_ssl=True,
                minimum_tls_version=1.2,
                removal_policy=RemovalPolicy.RETAIN,
            )
            log_server_access(
                self.delivery_bucket, destination=access_logs_bucket, prefix="config/"
            )
            self._create_recorder(stack, self.delivery_bucket, encryption_key)
            acknowledge(self.delivery_bucket, (f"{NIST}S3BucketReplicationEnabled", NO_REPLICATION))
        self.rules: dict[str, config.ManagedRule] = {}
        for control, identifier in BASELINE_RULES.items():
            rule = config.ManagedRule(
                self,
                rule_construct_id(identifier),
                identifier=identifier,
                description=f"dataroom baseline: {control}",
                maximum_execution_frequency=(
                    config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
                    if identifier in _PERIODIC
                    else None
                ),
            )
            if self.recorder is not None and self.delivery_channel is not None:
                # Rules cannot evaluate before the recorder exists.
                rule.node.add_dependency(self.recorder, self.delivery_channel)
            self.rules[control] = rule

    def _create_recorder(self, stack: Stack, bucket: s3.IBucket, key: kms.IKey) -> None:
        config_role = iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")
        role = iam.Role(
            self,
            "RecorderRole",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            managed_policies=[config_role],
            description="AWS Config records the room account",
        )
        self.recorder = config.CfnConfigurationRecorder(
            self,
            "Resource",
            role_arn=role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True
            ),
        )
        self.delivery_channel = config.CfnDeliveryChannel(
            self,
            "DeliveryChannel",
            s3_bucket_name=bucket.bucket_name,
            s3_key_prefix="config",
            s3_kms_key_arn=key.key_arn,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="Six_Hours"
            ),
        )
        config_service = iam.ServicePrincipal("config.amazonaws.com")
        this_account = {"StringEquals": {"aws:SourceAccount": stack.account}}
        for statement in (
            iam.PolicyStatement(
                sid="ConfigAclCheck",
                principals=[config_service],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions=this_account,
            ),
            iam.PolicyStatement(
                sid="ConfigWrite",
                principals=[config_service],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"config/AWSLogs/{stack.account}/Config/*")],
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": stack.account,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            ),
        ):
            if not bucket.add_to_resource_policy(statement).statement_added:
                raise ValueError(
                    f"{self.node.path}: delivery_bucket: expected a bucket of this app"
                )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigDeliversEncrypted",
                principals=[config_service],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions=this_account,
            )
        )
        # Config delivers with the recorder's role: it needs the write and the key itself.
        config_objects = bucket.arn_for_objects(f"config/AWSLogs/{stack.account}/Config/*")
        self.delivery_policy = iam.ManagedPolicy(
            self,
            "DeliveryPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetBucketAcl", "s3:ListBucket"], resources=[bucket.bucket_arn]
                ),
                iam.PolicyStatement(
                    actions=["s3:PutObject"],
                    resources=[config_objects],
                    conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                ),
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn]
                ),
            ],
        )
        self.delivery_channel.node.add_dependency(self.recorder, self.delivery_policy)
        self.recorder_role = role
        acknowledge(
            self.delivery_policy,
            (
                wildcard_resource(self, config_objects),
                "AWS Config names its snapshot and history objects; the wildcard covers "
                "Config's own prefix of the room's Config bucket and nothing else.",
            ),
        )
        acknowledge(
            role,
            (
                f"{SOLUTIONS}IAM4[Policy::{nag_text(self, config_role.managed_policy_arn)}]",
                "AWS_ConfigRole is the policy AWS maintains for the Config recorder; it tracks "
                "every resource type Config learns to record, which a hand-written copy would "
                "miss. The role is assumable by Config of this account only.",
            ),
        )


#: Rules AWS runs on a schedule rather than on configuration changes.
_PERIODIC = frozenset(
    {
        config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENABLED,
        config.ManagedRuleIdentifiers.GUARDDUTY_ENABLED_CENTRALIZED,
    }
)
