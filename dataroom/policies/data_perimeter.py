"""PER-2: the AWS ways data or alerts leave an account without a network path. jsii-free.

Each entry of :data:`WAYS_OUT` is one statement of the room permission boundary (its ``Sid``),
the reason it exists, and the actions it denies. The boundary construct
(``dataroom/constructs/data_perimeter.py``) builds its statements from this table, the
``PER2SharingWithoutBoundary`` rule checks templates against it, and ``docs/perimeter.md`` lists
it. Ways out that the boundary already closed before PER-2 (``iam:PassRole``, bucket and key
policies, replication, ``kms:CreateGrant``, ``events:PutTargets``, ``lambda:AddPermission``) are
in :data:`CLOSED_ELSEWHERE`, with the statement that closes them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WayOut:
    """A class of calls that moves data or alerts out of the room account."""

    sid: str
    reason: str
    actions: tuple[str, ...]


WAYS_OUT: tuple[WayOut, ...] = (
    WayOut(
        sid="PER2DenySnapshotAndImageSharing",
        reason="An EBS snapshot or AMI shared (createVolumePermission / launchPermission) or "
        "exported to S3 is a full copy of a volume in another account's hands",
        actions=(
            "ec2:ModifySnapshotAttribute",
            "ec2:ModifyImageAttribute",
            "ec2:ModifyFpgaImageAttribute",
            "ec2:DisableSnapshotBlockPublicAccess",
            "ec2:DisableImageBlockPublicAccess",
            "ec2:CreateStoreImageTask",
            "ec2:ExportImage",
            "ec2:CreateInstanceExportTask",
            "ec2:CreateTrafficMirrorSession",
            "ec2:CreateTrafficMirrorTarget",
        ),
    ),
    WayOut(
        sid="PER2DenyDatabaseSnapshotSharingAndExport",
        reason="RDS, Redshift and DynamoDB snapshots, exports and data shares copy whole data "
        "stores to other accounts or to buckets the caller names",
        actions=(
            "rds:ModifyDBSnapshotAttribute",
            "rds:ModifyDBClusterSnapshotAttribute",
            "rds:StartExportTask",
            "rds:CreateIntegration",
            "redshift:AuthorizeSnapshotAccess",
            "redshift:AuthorizeDataShare",
            "redshift:AssociateDataShareConsumer",
            "dynamodb:ExportTableToPointInTime",
            "dynamodb:PutResourcePolicy",
        ),
    ),
    WayOut(
        sid="PER2DenyLogExportAndSubscription",
        reason="Subscription filters, destinations, export tasks, deliveries and account "
        "policies stream or copy log groups (trail, flow logs) to another account",
        actions=(
            "logs:PutSubscriptionFilter",
            "logs:PutDestination",
            "logs:PutDestinationPolicy",
            "logs:CreateExportTask",
            "logs:PutDeliveryDestination",
            "logs:PutDeliveryDestinationPolicy",
            "logs:PutDeliverySource",
            "logs:CreateDelivery",
            "logs:PutAccountPolicy",
            "logs:PutResourcePolicy",
            "logs:PutDataProtectionPolicy",
            "logs:DeleteDataProtectionPolicy",
            "oam:CreateLink",
            "oam:CreateSink",
            "oam:PutSinkPolicy",
        ),
    ),
    WayOut(
        sid="PER2DenyAlertSilencing",
        reason="A subscription filter policy, redrive change or topic data-protection policy "
        "silences the security team's alerts without unsubscribing anyone; a new subscription "
        "sends every alert (and anything published) to an address outside the room",
        actions=(
            "sns:SetSubscriptionAttributes",
            "sns:PutDataProtectionPolicy",
            "sns:Subscribe",
            "sns:AddPermission",
        ),
    ),
    WayOut(
        sid="PER2DenyResourceSharing",
        reason="RAM shares, resource policies and catalogue grants open a room resource to "
        "principals of other accounts",
        actions=(
            "ram:CreateResourceShare",
            "ram:AssociateResourceShare",
            "ram:UpdateResourceShare",
            "ram:AcceptResourceShareInvitation",
            "ram:EnableSharingWithAwsOrganization",
            "glue:PutResourcePolicy",
            "lakeformation:GrantPermissions",
            "lakeformation:BatchGrantPermissions",
            "lakeformation:PutDataLakeSettings",
            "secretsmanager:PutResourcePolicy",
            "ecr:SetRepositoryPolicy",
            "ecr:PutRegistryPolicy",
            "ecr:PutReplicationConfiguration",
            "ssm:ModifyDocumentPermission",
            "ssm:PutResourcePolicy",
            "sqs:AddPermission",
            "kinesis:PutResourcePolicy",
            "s3:PutAccessPointPolicy",
            "s3:PutAccessPointPolicyForObjectLambda",
            "s3:PutMultiRegionAccessPointPolicy",
            "s3:CreateMultiRegionAccessPoint",
            "s3:CreateAccessGrant",
            "s3:PutAccessGrantsInstanceResourcePolicy",
            "s3:PutBucketNotification",
            "s3:PutInventoryConfiguration",
            "s3:PutAnalyticsConfiguration",
            "s3:PutStorageLensConfiguration",
        ),
    ),
    WayOut(
        sid="PER2DenyBackupCopiesOut",
        reason="Backup vault policies and copy jobs put recovery points (full copies) into "
        "vaults of other accounts",
        actions=(
            "backup:PutBackupVaultAccessPolicy",
            "backup:StartCopyJob",
            "backup:CreateBackupPlan",
            "backup:UpdateBackupPlan",
        ),
    ),
    WayOut(
        sid="PER2DenyCrossAccountTargetsAndPermissions",
        reason="Event bus permissions, API destinations, function URLs, layer permissions, "
        "async destinations and e-mail send data to other accounts or the internet from the "
        "service side, where no VPC route applies",
        actions=(
            "events:PutPermission",
            "events:CreateApiDestination",
            "events:UpdateApiDestination",
            "events:CreateConnection",
            "events:UpdateConnection",
            "events:CreateEndpoint",
            "pipes:CreatePipe",
            "pipes:UpdatePipe",
            "lambda:CreateFunctionUrlConfig",
            "lambda:UpdateFunctionUrlConfig",
            "lambda:AddLayerVersionPermission",
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:UpdateFunctionEventInvokeConfig",
            "ses:SendEmail",
            "ses:SendRawEmail",
            "ses:SendBulkEmail",
            "ses:SendTemplatedEmail",
            "ses:SendBulkTemplatedEmail",
        ),
    ),
)

#: Writes whose target is named by the request: refused when the target is not the room
#: account's (``aws:ResourceAccount``), whichever service (Athena included) makes the call.
WRITES_OUTSIDE_THE_ACCOUNT_SID = "PER2DenyWritesOutsideTheRoomAccount"
WRITES_OUTSIDE_THE_ACCOUNT = (
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:ReplicateObject",
    "s3:ReplicateTags",
    "s3:ReplicateDelete",
    "s3:RestoreObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "sqs:SendMessage",
    "sns:Publish",
    "events:PutEvents",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "firehose:PutRecord",
    "firehose:PutRecordBatch",
    # Encrypting under a key the room does not own (e.g. ec2:CopySnapshot with another
    # account's KmsKeyId) puts the copy under a key policy someone else controls.
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:ReEncryptTo",
)
WRITES_OUTSIDE_THE_ACCOUNT_REASON = (
    "Athena UNLOAD, CTAS external_location, a client-chosen output location, a copy or a "
    "message can name a bucket, queue, topic, stream or key of another account"
)

#: The Athena calls that run or prepare queries: only in the room's own workgroup.
QUERY_RUNNING_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:StartCalculationExecution",
    "athena:StartSession",
    "athena:CreatePreparedStatement",
    "athena:UpdatePreparedStatement",
    "athena:CreateNotebook",
)
QUERIES_OUTSIDE_THE_WORKGROUP_SID = "PER2DenyQueriesOutsideTheRoomWorkgroup"

#: Ways out closed before PER-2, by an existing boundary statement.
CLOSED_ELSEWHERE: tuple[tuple[str, str, str], ...] = (
    (
        "iam:PassRole",
        "DenyIamChanges",
        "every service-role-based export (Firehose, DMS, "
        "DataSync, Glue, S3 Batch Operations, Backup jobs, metric streams) needs a passed role",
    ),
    ("s3:PutBucketPolicy", "DenyGuardrailTampering", "a bucket policy can name another account"),
    (
        "s3:PutReplicationConfiguration",
        "DenyGuardrailTampering",
        "replication to another account's bucket",
    ),
    ("kms:PutKeyPolicy", "DenyGuardrailTampering", "a key policy can name another account"),
    (
        "kms:CreateGrant",
        "DenyGuardrailTampering",
        "a grant can name a principal of another account",
    ),
    ("events:PutTargets", "DenyGuardrailTampering", "a rule target can be another account's bus"),
    (
        "lambda:AddPermission",
        "DenyGuardrailTampering",
        "a function policy can admit another account",
    ),
    (
        "sns:SetTopicAttributes",
        "DenyGuardrailTampering",
        "the topic policy can admit another account",
    ),
    ("ec2:CreateVpcPeeringConnection", "DenyNetworkEgressChanges", "a network path out"),
    (
        "route53resolver:*",
        "DenyNetworkEgressChanges",
        "query logs to another account; DNS firewall changes",
    ),
)


def denied_actions() -> frozenset[str]:
    """Every action a PER-2 statement of the boundary denies (lower-case)."""
    return frozenset(a.lower() for way in WAYS_OUT for a in way.actions)
