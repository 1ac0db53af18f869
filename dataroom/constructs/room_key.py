"""RoomKey: the room's customer-managed KMS key (S3-2)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class RoomKey(Construct):
    """A customer-managed KMS key for one room, with rotation and a key policy naming its users.

    The key encrypts the room's buckets and its flow-log group. It is *retained* when the stack
    is deleted: the results and audit buckets outlive the room and must stay readable. Its policy
    refuses ``kms:CreateGrant`` unless an integrated AWS service asks for a resource
    (``DenyGrantsNotForAwsResources``), so no admin of the account can hand out its use.

    :param alias: key alias without the ``alias/`` prefix. Default: no alias.
    :param description: key description shown in the console. Default: a generic description.
    :param rotation_period: automatic rotation period. Default: 365 days (the KMS default);
        rotation is always on.
    :param pending_window: waiting period before a scheduled deletion. Default: 30 days, the
        maximum, so an accidental deletion can be cancelled.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str | None = None,
        description: str = "dataroom: encrypts the room's buckets and logs",
        rotation_period: Duration | None = None,
        pending_window: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Resource",
            description=description,
            enable_key_rotation=True,
            rotation_period=rotation_period or Duration.days(365),
            pending_window=pending_window or Duration.days(30),
            removal_policy=RemovalPolicy.RETAIN,
        )
        if alias:
            self.key.add_alias(f"alias/{alias}")
        # A grant is a second, invisible key policy: any admin of the account (the default
        # statement delegates kms:* to IAM) could hand use of the key to anyone. Only grants an
        # integrated AWS service creates for a resource (an encrypted volume, a function's
        # environment) are allowed.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyGrantsNotForAwsResources",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
            )
        )

    @property
    def key_arn(self) -> str:
        """The key's ARN."""
        return self.key.key_arn

    def grant_encrypt_decrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` encrypt and decrypt with the key; the key policy names it."""
        return self.key.grant_encrypt_decrypt(grantee)

    def grant_decrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` decrypt with the key; the key policy names it."""
        return self.key.grant_decrypt(grantee)

    def allow_cloudwatch_logs(self) -> None:
        """Let CloudWatch Logs use the key, for log groups of this account and region only."""
        allow_cloudwatch_logs(self.key)


def allow_cloudwatch_logs(key: kms.IKey) -> None:
    """Let CloudWatch Logs use ``key``, but only for log groups of its account and region.

    The encryption-context condition stops another account's log group from borrowing the key.
    Raises ``ValueError`` when the key's policy cannot be changed here (an imported key).
    """
    stack = Stack.of(key)
    added = key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    if not added.statement_added:
        raise ValueError(
            f"{key.node.path}: expected a key defined in this app, whose policy can admit "
            "CloudWatch Logs"
        )
