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
        sid="PER2DenySnapshotImageAndDatabaseSharing",
        reason="An EBS snapshot or AMI shared (createVolumePermission / launchPermission) or "
        "exported, an RDS, Redshift or DynamoDB snapshot, export or data share, a backup vault "
        "opened to another account: each is a full copy in another account's hands",
        actions=(
            "ec2:ModifySnapshotAttribute",
            "ec2:ModifyImageAttribute",
            "ec2:ModifyFpgaImageAttribute",
            "ec2:Disable*BlockPublicAccess",
            "ec2:CreateStoreImageTask",
            "ec2:Export*",
            "ec2:CreateInstanceExportTask",
            "ec2:CreateTrafficMirror*",
            "rds:ModifyDB*SnapshotAttribute",
            "rds:CreateIntegration",
            "redshift:Authorize*",
            "redshift:AssociateDataShareConsumer",
            "dynamodb:ExportTableToPointInTime",
            "backup:PutBackupVaultAccessPolicy",
        ),
    ),
    WayOut(
        sid="PER2DenyLogExportAndAlertSilencing",
        reason="Subscription filters, destinations, export tasks, deliveries, account policies "
        "and observability links stream or copy log groups (trail, flow logs) to another "
        "account; a subscription filter policy, redrive change or topic data-protection policy "
        "silences the security team's alerts without unsubscribing anyone, and a new "
        "subscription sends every alert and anything published outside the room",
        actions=(
            "logs:PutSubscriptionFilter",
            "logs:PutDestination*",
            "logs:CreateExportTask",
            "logs:PutDelivery*",
            "logs:CreateDelivery",
            "logs:PutAccountPolicy",
            "logs:PutResourcePolicy",
            "logs:*DataProtectionPolicy",
            "oam:Create*",
            "oam:PutSinkPolicy",
            "sns:SetSubscriptionAttributes",
            "sns:PutDataProtectionPolicy",
            "sns:Subscribe",
            "sns:AddPermission",
        ),
    ),
    WayOut(
        sid="PER2DenyResourceSharing",
        reason="RAM shares, resource policies, catalogue grants, access points, access grants "
        "and bucket notification, inventory and analytics destinations open a room resource "
        "(or its object names) to principals of other accounts",
        actions=(
            "ram:Create*",
            "ram:Associate*",
            "ram:Update*",
            "ram:Accept*",
            "ram:Enable*",
            "glue:PutResourcePolicy",
            "lakeformation:*GrantPermissions",
            "secretsmanager:PutResourcePolicy",
            "dynamodb:PutResourcePolicy",
            "kinesis:PutResourcePolicy",
            "ssm:PutResourcePolicy",
            "ssm:ModifyDocumentPermission",
            "sqs:AddPermission",
            "ecr:SetRepositoryPolicy",
            "ecr:PutRegistryPolicy",
            "ecr:PutReplicationConfiguration",
            "s3:Put*AccessPointPolicy*",
            "s3:CreateMultiRegionAccessPoint",
            "s3:CreateAccessGrant",
            "s3:PutAccessGrantsInstanceResourcePolicy",
            "s3:PutBucketNotification",
            "s3:PutInventoryConfiguration",
            "s3:PutAnalyticsConfiguration",
        ),
    ),
    WayOut(
        sid="PER2DenyServiceSideEgress",
        reason="Event bus permissions, function URLs, layer permissions, asynchronous "
        "destinations and e-mail send data to other accounts or the internet from the service "
        "side, where no VPC route applies",
        actions=(
            "events:PutPermission",
            "lambda:*FunctionUrlConfig",
            "lambda:AddLayerVersionPermission",
            "lambda:*FunctionEventInvokeConfig",
            "ses:Send*",
        ),
    ),
)

#: Writes whose target is named by the request: refused when the target is not the room
#: account's (``aws:ResourceAccount``), whichever service (Athena included) makes the call.
WRITES_OUTSIDE_THE_ACCOUNT_SID = "PER2DenyWritesOutsideTheRoomAccount"
WRITES_OUTSIDE_THE_ACCOUNT = (
    "s3:PutObject*",
    "s3:Replicate*",
    "s3:RestoreObject",
    "s3:DeleteObject*",
    "sqs:SendMessage",
    "sns:Publish",
    "events:PutEvents",
    "kinesis:PutRecord*",
    "firehose:PutRecord*",
    # Encrypting under a key the room does not own (e.g. ec2:CopySnapshot with another
    # account's KmsKeyId) puts the copy under a key policy someone else controls.
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncryptTo",
)
WRITES_OUTSIDE_THE_ACCOUNT_REASON = (
    "Athena UNLOAD, CTAS external_location, a client-chosen output location, a copy or a "
    "message can name a bucket, queue, topic, stream or key of another account"
)

#: The Athena calls that run or prepare queries: only in the room's own workgroup.
QUERY_RUNNING_ACTIONS = (
    # StartQueryExecution, StartCalculationExecution, StartSession, ...
    "athena:Start*",
    "athena:*PreparedStatement",
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
    (
        "events:PutTargets",
        "DenyGuardrailTampering",
        "a rule target can be another account's "
        "bus, an API destination (HTTP out) or a connection: none is reachable without a target",
    ),
    ("rds:StartExportTask", "DenyIamChanges", "an RDS snapshot export passes an IAM role"),
    (
        "backup:StartCopyJob",
        "DenyIamChanges",
        "a copy job (and every job a backup plan runs) passes an IAM role",
    ),
    ("pipes:CreatePipe", "DenyIamChanges", "a pipe passes an IAM role"),
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


#: AWS's limit on a managed policy (a permissions boundary is one), whitespace not counted.
MANAGED_POLICY_MAX_CHARS = 6144


def denied_actions() -> frozenset[str]:
    """Every action pattern a PER-2 statement of the boundary denies (lower-case)."""
    return frozenset(a.lower() for way in WAYS_OUT for a in way.actions)


#: The Sids of every PER-2 statement of the room's perimeter policy: the construct writes them
#: (``dataroom/constructs/data_perimeter.py``) and ``PER2PerimeterAttached`` recognises the
#: policy by them.
PERIMETER_SIDS: tuple[str, ...] = (
    *(way.sid for way in WAYS_OUT),
    WRITES_OUTSIDE_THE_ACCOUNT_SID,
    QUERIES_OUTSIDE_THE_WORKGROUP_SID,
)
