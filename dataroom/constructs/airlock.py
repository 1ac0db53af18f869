"""Airlock: the only way results leave a room (EXP-1), and the record of every release (EXP-2).

Request -> copy of the pinned versions to a review bucket -> GuardDuty malware scan -> two
approvals by two manifest approvers who are not the requester -> the release role copies the
scanned versions to the export bucket, which only the manifest's consumers can read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from dataroom.airlock.definition import (
    BY_REQUEST_INDEX,
    CLEAN,
    PIPELINE_PREFIX,
    SCAN_TAG,
    definition,
)
from dataroom.airlock.records import BY_KIND_INDEX
from dataroom.constructs.access_logs import log_server_access
from dataroom.constructs.acknowledge import (
    INLINE_ON_PURPOSE,
    NIST,
    NO_REPLICATION,
    SOLUTIONS,
    acknowledge,
    acknowledge_grantee,
    wildcard_resource,
)
from dataroom.constructs.bounded_grant import grant_within_own_boundary
from dataroom.policies.rules.exp_airlock_policy import BUCKET_TAG, ROLE_TAG
from dataroom.spec.airlock import MIN_APPROVERS

__all__ = ["EXPORT_WRITE_ACTIONS", "OBJECT_READ_ACTIONS", "TAGGING_ACTIONS", "Airlock"]

#: Reading an object's bytes (what "readable" means for the review and export buckets).
OBJECT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
#: Writing objects or their tags (what "writable" means for the export bucket).
EXPORT_WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:RestoreObject",
    "s3:ReplicateObject",
)
#: Deleting what was released or is under review: nobody may (EXP-2 keeps the evidence).
DELETE_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")
#: Setting or removing an object's tags, the scan verdict among them.
TAGGING_ACTIONS = (
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
)
#: Table writes that change or remove a row, or write many at once: nobody may (append-only).
TABLE_MUTATIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
#: Taking the airlock apart from inside the room (added to the room's boundary).
AIRLOCK_TAMPERING = (
    "dynamodb:PutResourcePolicy",
    "dynamodb:DeleteResourcePolicy",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:RestoreTableFromBackup",
    "states:UpdateStateMachine",
    "states:DeleteStateMachine",
    "states:StopExecution",
    "guardduty:UpdateMalwareProtectionPlan",
    "guardduty:DeleteMalwareProtectionPlan",
)
#: The service that assumes the scanner role (GuardDuty Malware Protection for S3).
SCANNER_SERVICE = "malware-protection-plan.guardduty.amazonaws.com"


class Airlock(Construct):
    """A room's export airlock with a two-person rule (EXP-1) and release evidence (EXP-2).

    - **table** (``Resource``): requests, decisions and the state machine's record, append-only.
      People write only rows whose partition key is their own ``aws:SourceIdentity``; only the
      state machine writes the ``airlock#`` partitions that say what state a request is in;
      nobody updates or deletes a row (table resource policy).
    - **review bucket**: the pipeline's copies of the requested versions. Before GuardDuty tags a
      version ``NO_THREATS_FOUND`` only the scanner can read it; only the scanner sets tags.
    - **export bucket**: written by the release role only, read by the consumers only.
    - **state machine**: polls the scan tags and the decisions, counts distinct approvers who are
      manifest approvers and not the requester, releases with the release role's credentials.

    :param encryption_key: the room key; buckets, table and logs use it.
    :param results_bucket: where requested objects come from (versioned).
    :param access_logs_bucket: the room's access-log bucket (S3-4): an SSE-S3 ``s3.Bucket`` of
        the same stack (its policy admits S3 log delivery for this bucket only;
        ``log_server_access``).
    :param approvers: the room's manifest approvers (e-mails, matched against SourceIdentity).
    :param consumers: the roles that may read released exports.
    :param approver_principals: the roles approvers sign in with; the approver role trusts them
        only for sessions whose SourceIdentity is one of ``approvers``.
    :param approver_role_name: name of the role approvers assume (part of the contract).
        Default: a generated name.
    :param export_bucket_name: name of the export bucket, which consumers in other accounts
        must know (part of the contract). Default: a generated name, and then the room key lets
        consumers decrypt through S3 from any bucket of the room (the key policy cannot name a
        generated bucket without a circular reference).
    :param request_ttl: how long a request may wait for its scan and approvals. Default: 14 days.
    :param poll_interval: how often the state machine looks at scan tags and decisions.
        Default: 4 hours (a 30-day request stays far below Step Functions' 25,000 events).
    :param malware_protection: create the GuardDuty Malware Protection plan on the review bucket.
        Default: true; only local mode (moto cannot deploy the plan) turns it off.
    :param vpc: the glovebox; it gets a DynamoDB gateway endpoint limited to the airlock table.
        Default: none.
    :param boundary: the room's permissions boundary; it gets a statement denying changes to the
        airlock itself. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        results_bucket: s3.IBucket,
        access_logs_bucket: s3.IBucket,
        approvers: Sequence[str],
        consumers: Sequence[iam.IRole],
        approver_principals: Sequence[iam.IRole],
        approver_role_name: str | None = None,
        export_bucket_name: str | None = None,
        table_name: str | None = None,
        state_machine_name: str | None = None,
        request_ttl: Duration | None = None,
        poll_interval: Duration | None = None,
        malware_protection: bool = True,
        vpc: ec2.IVpc | None = None,
        boundary: iam.ManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        request_ttl = request_ttl or Duration.days(14)
        poll_interval = poll_interval or Duration.hours(4)
        problems = []
        if len(set(approvers)) < MIN_APPROVERS:
            problems.append(
                f"approvers={list(approvers)!r}: expected at least {MIN_APPROVERS} distinct "
                "approvers (a release needs two approvals, neither by the requester)"
            )
        if not consumers:
            problems.append("consumers=[]: expected at least one consumer role")
        if not approver_principals:
            problems.append("approver_principals=[]: expected the roles approvers sign in with")
        ttl_days = request_ttl.to_days() if not request_ttl.is_unresolved() else None
        if ttl_days is not None and not 1 <= ttl_days <= 30:
            problems.append(f"request_ttl={ttl_days} days: expected 1 to 30 days")
        if problems:
            raise ValueError(f"{self.node.path}: " + "; ".join(problems))
        stack = Stack.of(self)
        self._key = encryption_key
        self._account = stack.account
        self.approvers = tuple(dict.fromkeys(approvers))
        self._export_bucket_name = export_bucket_name
        self.state_machine_name = state_machine_name
        self.results_bucket = results_bucket
        self.consumers = tuple(consumers)
        self.approver_principals = tuple(approver_principals)

        self.table = dynamodb.Table(
            self,
            "Resource",
            table_name=table_name,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=encryption_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table.add_global_secondary_index(
            index_name=BY_REQUEST_INDEX,
            partition_key=dynamodb.Attribute(name="request_id", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
        )
        self.table.add_global_secondary_index(
            index_name=BY_KIND_INDEX,
            partition_key=dynamodb.Attribute(name="kind", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="at", type=dynamodb.AttributeType.STRING),
        )

        self.review_bucket = self._bucket("Review", access_logs_bucket, "airlock-review/")
        self.export_bucket = self._bucket(
            "Export", access_logs_bucket, "airlock-export/", bucket_name=export_bucket_name
        )

        self.scanner_role = self._scanner_role()
        self.pipeline_role = iam.Role(
            self,
            "PipelineRole",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self._account}},
            ),
            description="dataroom airlock: the state machine (copies for review, records states)",
        )
        # Only the state machine's role may assume the release role (Step Functions task
        # credentials), so only a run that reached quorum writes the export bucket.
        self.release_role = iam.Role(
            self,
            "ReleaseRole",
            assumed_by=iam.ArnPrincipal(self.pipeline_role.role_arn),
            max_session_duration=Duration.hours(1),
            description="dataroom airlock: the one principal that writes the export bucket",
        )
        log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            encryption_key=encryption_key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.RETAIN,
        )
        document = definition(
            approvers=self.approvers,
            poll_seconds=int(poll_interval.to_seconds()),
            ttl_seconds=int(request_ttl.to_seconds()),
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(document)),
            definition_substitutions={
                "Table": self.table.table_name,
                "ResultsBucket": results_bucket.bucket_name,
                "ReviewBucket": self.review_bucket.bucket_name,
                "ExportBucket": self.export_bucket.bucket_name,
                "ReleaseRoleArn": self.release_role.role_arn,
            },
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
            tracing_enabled=True,
            comment="dataroom airlock (EXP-1)",
            role=self.pipeline_role,
        )
        self._pipeline_permissions(results_bucket)
        self._release_permissions()

        self.approver_role = self._approver_role(approver_role_name)
        self._review_bucket_policy()
        self._export_bucket_policy()
        self._table_policy()
        self._consumer_key_access()

        self.malware_protection_plan: guardduty.CfnMalwareProtectionPlan | None = None
        if malware_protection:
            self.malware_protection_plan = guardduty.CfnMalwareProtectionPlan(
                self,
                "MalwareProtectionPlan",
                role=self.scanner_role.role_arn,
                protected_resource=guardduty.CfnMalwareProtectionPlan.CFNProtectedResourceProperty(
                    s3_bucket=guardduty.CfnMalwareProtectionPlan.S3BucketProperty(
                        bucket_name=self.review_bucket.bucket_name
                    )
                ),
                actions=guardduty.CfnMalwareProtectionPlan.CFNActionsProperty(
                    tagging=guardduty.CfnMalwareProtectionPlan.CFNTaggingProperty(status="ENABLED")
                ),
            )
            # GuardDuty validates the role's permissions when the plan is created.
            self.malware_protection_plan.node.add_dependency(self.scanner_policy)

        if vpc is not None:
            self._dynamodb_endpoint(vpc)
        if boundary is not None:
            boundary.add_statements(
                iam.PolicyStatement(
                    sid="DenyAirlockTampering",
                    effect=iam.Effect.DENY,
                    actions=list(AIRLOCK_TAMPERING),
                    resources=["*"],
                )
            )

        # DataRoomChecks (EXP-1) and the review find the airlock's parts by these tags.
        Tags.of(self.review_bucket).add(BUCKET_TAG, "review")
        Tags.of(self.export_bucket).add(BUCKET_TAG, "export")
        for kind, role in (
            ("scanner", self.scanner_role),
            ("release", self.release_role),
            ("pipeline", self.pipeline_role),
            ("approver", self.approver_role),
        ):
            Tags.of(role).add(ROLE_TAG, kind)

        self._acknowledge()
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "ReviewBucketName", value=self.review_bucket.bucket_name)
        CfnOutput(self, "ExportBucketName", value=self.export_bucket.bucket_name)
        CfnOutput(self, "ApproverRoleArn", value=self.approver_role.role_arn)

    # --- grants --------------------------------------------------------------------------------

    def grant_request(self, grantee: iam.IGrantable) -> iam.Grant:
        """Request exports: write request rows under one's own identity, start the state machine,
        read the table (status, list)."""
        grant = self._grant_own_rows(grantee)
        self.state_machine.grant_start_execution(grantee)
        executions = self._executions_arn()
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["states:DescribeExecution"],
            resource_arns=[executions],
        )
        acknowledge_grantee(
            grantee,
            (
                wildcard_resource(self, executions),
                "Executions of the airlock's own state machine (one per request, named after "
                "it): a requester reads the status of the requests it started.",
            ),
        )
        return grant

    def _executions_arn(self) -> str:
        name = self.state_machine_name or self.state_machine.state_machine_name
        return Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def grant_decide(self, grantee: iam.IGrantable) -> iam.Grant:
        """Approve or reject: write decision rows under one's own identity, read the table and the
        review copies (the bucket policy admits only versions scanned clean)."""
        grant = self._grant_own_rows(grantee)
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(OBJECT_READ_ACTIONS),
            resource_arns=[self.review_bucket.arn_for_objects("*")],
        )
        acknowledge_grantee(grantee, self._review_objects())
        return grant

    def _grant_own_rows(self, grantee: iam.IGrantable) -> iam.Grant:
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:PutItem"],
            resource_arns=[self.table.table_arn],
            conditions={
                # Every row a person writes is keyed by their own SourceIdentity.
                "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:SourceIdentity}"]},
                "Null": {"aws:SourceIdentity": "false"},
            },
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable"],
            resource_arns=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
        )
        self._key.grant_encrypt_decrypt(grantee)
        acknowledge_grantee(grantee, self._indexes(), *KEY_GRANT_ACTIONS)
        return grant

    # --- acknowledgements ----------------------------------------------------------------------

    def _indexes(self) -> tuple[str, str]:
        return (
            wildcard_resource(self, f"{self.table.table_arn}/index/*"),
            "The airlock table's own indexes, for reading a request's rows.",
        )

    def _review_objects(self) -> tuple[str, str]:
        return (
            wildcard_resource(self, self.review_bucket.arn_for_objects("*")),
            "Objects of the airlock's review bucket, whose policy admits reads only of "
            "versions GuardDuty tagged clean (the scanner aside) and writes only by the pipeline.",
        )

    def _acknowledge(self) -> None:
        """The findings the airlock raises by design, each on the child that raises it (the
        grants acknowledge theirs on their grantee)."""
        inline = (f"{NIST}IAMNoInlinePolicy", INLINE_ON_PURPOSE)
        for bucket in (self.review_bucket, self.export_bucket):
            acknowledge(bucket, (f"{NIST}S3BucketReplicationEnabled", NO_REPLICATION))
        acknowledge(
            self.table,
            (
                f"{NIST}DynamoDBInBackupPlan",
                "The airlock table is append-only (its resource policy denies every update "
                "and delete), keeps point-in-time recovery for 35 days and is retained with "
                "deletion protection; released exports are also recorded in evidence.json.",
            ),
        )
        acknowledge(
            self.pipeline_role,
            inline,
            self._indexes(),
            self._review_objects(),
            *KEY_GRANT_ACTIONS,
            (
                f"{SOLUTIONS}IAM5[Resource::*]",
                "Emitted by aws-cdk-lib for the state machine's X-Ray tracing and its "
                "CloudWatch Logs delivery, which support no resource-level permission.",
            ),
            (
                wildcard_resource(self, self.results_bucket.arn_for_objects("*")),
                "Reads of the results bucket's objects: a request names its objects at run "
                "time; the state machine reads only the pinned versions a request lists.",
            ),
        )
        acknowledge(
            self.release_role,
            inline,
            self._review_objects(),
            *KEY_GRANT_ACTIONS,
            (
                wildcard_resource(self, self.export_bucket.arn_for_objects("*")),
                "Writes into the export bucket under each request's own prefix, named at run "
                "time; the release role is the only principal the bucket policy lets write.",
            ),
        )
        # Its indexes, review objects and key actions are acknowledged by grant_decide.
        acknowledge(self.approver_role, inline)
        events = (
            wildcard_resource(self, self._scanner_rule_arn),
            "The EventBridge rule GuardDuty Malware Protection for S3 manages for the "
            "review bucket; GuardDuty chooses its suffix (AWS's documented policy for the role).",
        )
        for policy in (self.scanner_policy, self.scanner_boundary):
            acknowledge(policy, events, self._review_objects())

    # --- pieces --------------------------------------------------------------------------------

    def _bucket(
        self,
        construct_id: str,
        logs_bucket: s3.IBucket,
        prefix: str,
        *,
        bucket_name: str | None = None,
    ) -> s3.Bucket:
        # The settings of RoomStorage's results bucket (S3-1..S3-4).
        bucket = s3.Bucket(
            self,
            construct_id,
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )
        log_server_access(bucket, destination=logs_bucket, prefix=prefix)
        for sid, condition in (
            ("DenyUploadsWithAnotherAlgorithm", {"s3:x-amz-server-side-encryption": "aws:kms"}),
            (
                "DenyUploadsWithAnotherKey",
                {"s3:x-amz-server-side-encryption-aws-kms-key-id": self._key.key_arn},
            ),
        ):
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects("*")],
                    conditions={"StringNotEqualsIfExists": condition},
                )
            )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyDeletingReviewedOrReleasedData",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(DELETE_ACTIONS),
                resources=[bucket.arn_for_objects("*")],
            )
        )
        return bucket

    def _scanner_role(self) -> iam.Role:
        """GuardDuty Malware Protection for S3's role, with its own boundary equal to its grant.

        The room boundary denies EventBridge rule changes (MON-4), which GuardDuty needs for its
        managed rule; so, like the remediation function, this role's boundary is its own policy.
        """
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "ScannerRole",
            assumed_by=iam.ServicePrincipal(
                SCANNER_SERVICE,
                conditions={"StringEquals": {"aws:SourceAccount": self._account}},
            ),
            description="dataroom airlock: GuardDuty Malware Protection scans and tags reviews",
        )
        bucket = self.review_bucket
        self._scanner_rule_arn = rule_arn = stack.format_arn(
            service="events",
            resource="rule",
            resource_name="DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*",
        )
        statements = [
            iam.PolicyStatement(
                sid="ManagedRule",
                actions=[
                    "events:PutRule",
                    "events:DeleteRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                ],
                resources=[rule_arn],
                conditions={"StringLike": {"events:ManagedBy": SCANNER_SERVICE}},
            ),
            iam.PolicyStatement(
                sid="WatchManagedRule",
                actions=["events:DescribeRule", "events:ListTargetsByRule"],
                resources=[rule_arn],
            ),
            iam.PolicyStatement(
                sid="BucketEvents",
                actions=[
                    "s3:PutBucketNotification",
                    "s3:GetBucketNotification",
                    "s3:ListBucket",
                ],
                resources=[bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ScanAndTag",
                actions=[
                    *OBJECT_READ_ACTIONS,
                    "s3:GetObjectTagging",
                    "s3:GetObjectVersionTagging",
                    "s3:PutObjectTagging",
                    "s3:PutObjectVersionTagging",
                ],
                resources=[bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="ValidationObject",
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("malware-protection-resource-validation-object")],
            ),
            iam.PolicyStatement(
                sid="DecryptForScan",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self._key.key_arn],
                conditions={"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
            ),
        ]
        self.scanner_policy, self.scanner_boundary = grant_within_own_boundary(
            self,
            role,
            statements,
            permissions_id="ScannerPolicy",
            boundary_id="ScannerBoundary",
            boundary_description="dataroom: permissions boundary of the airlock's malware scanner",
            attach_from_policy=True,
        )
        return role

    def _pipeline_permissions(self, results_bucket: s3.IBucket) -> None:
        role = self.pipeline_role
        for statement in (
            iam.PolicyStatement(
                sid="RecordStatesInPipelinePartitionsOnly",
                actions=["dynamodb:PutItem"],
                resources=[self.table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PIPELINE_PREFIX}*"]}
                },
            ),
            iam.PolicyStatement(
                sid="ReadRequestsAndDecisions",
                actions=["dynamodb:GetItem", "dynamodb:Query"],
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
            ),
            iam.PolicyStatement(
                sid="ReadPinnedVersions",
                actions=list(OBJECT_READ_ACTIONS),
                resources=[results_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="CopyForReview",
                actions=["s3:PutObject", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
                resources=[self.review_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="ReleaseWithTheReleaseRole",
                actions=["sts:AssumeRole"],
                resources=[self.release_role.role_arn],
            ),
        ):
            role.add_to_principal_policy(statement)
        self._key.grant_encrypt_decrypt(role)

    def _release_permissions(self) -> None:
        role = self.release_role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadScannedVersions",
                actions=list(OBJECT_READ_ACTIONS),
                resources=[self.review_bucket.arn_for_objects("*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteExports",
                actions=["s3:PutObject"],
                resources=[self.export_bucket.arn_for_objects("*")],
            )
        )
        self._key.grant_encrypt_decrypt(role)

    def _approver_role(self, role_name: str | None) -> iam.Role:
        """The role approvers assume: from their sign-in roles, as a manifest approver."""
        conditions = {"StringEquals": {"sts:SourceIdentity": list(self.approvers)}}
        principals = [iam.ArnPrincipal(r.role_arn) for r in self.approver_principals]
        role = iam.Role(
            self,
            "ApproverRole",
            role_name=role_name,
            assumed_by=iam.CompositePrincipal(*principals).with_conditions(conditions),
            max_session_duration=Duration.hours(1),
            description="dataroom airlock: approvers decide on export requests",
        )
        assert role.assume_role_policy is not None
        # The SourceIdentity set at sign-in carries over; the trust must allow it explicitly.
        role.assume_role_policy.add_statements(
            iam.PolicyStatement(
                actions=["sts:SetSourceIdentity"], principals=principals, conditions=conditions
            )
        )
        self.grant_decide(role)
        return role

    def _not_these(self, *roles: iam.IRole) -> dict[str, Any]:
        return {"ArnNotEquals": {"aws:PrincipalArn": [r.role_arn for r in roles]}}

    def _review_bucket_policy(self) -> None:
        bucket = self.review_bucket
        objects = bucket.arn_for_objects("*")
        statements = [
            iam.PolicyStatement(
                sid="DenyPrincipalsOutsideTheRoomAccount",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[bucket.bucket_arn, objects],
                conditions={
                    "StringNotEquals": {"aws:PrincipalAccount": self._account},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            ),
            # EXP-1: nothing is readable before GuardDuty has scanned it clean, except by the
            # scanner that must read it to scan it.
            iam.PolicyStatement(
                sid="DenyReadBeforeCleanScan",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(OBJECT_READ_ACTIONS),
                resources=[objects],
                conditions={
                    "StringNotEquals": {f"s3:ExistingObjectTag/{SCAN_TAG}": CLEAN},
                    **self._not_these(self.scanner_role),
                },
            ),
            iam.PolicyStatement(
                sid="DenyReadByAnyoneButTheAirlock",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(OBJECT_READ_ACTIONS),
                resources=[objects],
                conditions=self._not_these(
                    self.scanner_role, self.release_role, self.approver_role
                ),
            ),
            iam.PolicyStatement(
                sid="DenyTaggingByAnyoneButTheScanner",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(TAGGING_ACTIONS),
                resources=[objects],
                conditions=self._not_these(self.scanner_role),
            ),
            iam.PolicyStatement(
                sid="DenyWritesByAnyoneButThePipeline",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[objects],
                conditions=self._not_these(self.pipeline_role, self.scanner_role),
            ),
            iam.PolicyStatement(
                sid="DenyUploadsCarryingAScanVerdict",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[objects],
                conditions={
                    "ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": [SCAN_TAG]},
                    **self._not_these(self.scanner_role),
                },
            ),
        ]
        for statement in statements:
            bucket.add_to_resource_policy(statement)

    def _export_bucket_policy(self) -> None:
        bucket = self.export_bucket
        objects = bucket.arn_for_objects("*")
        consumer_arns = [c.role_arn for c in self.consumers]
        statements = [
            iam.PolicyStatement(
                sid="DenyPrincipalsOutsideTheRoomAndConsumers",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[bucket.bucket_arn, objects],
                conditions={
                    "StringNotEquals": {"aws:PrincipalAccount": self._account},
                    "ArnNotEquals": {"aws:PrincipalArn": consumer_arns},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            ),
            # EXP-1: the release role is the only writer of the export bucket.
            iam.PolicyStatement(
                sid="DenyWritesByAnyoneButTheReleaseRole",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(EXPORT_WRITE_ACTIONS),
                resources=[objects],
                conditions=self._not_these(self.release_role),
            ),
            iam.PolicyStatement(
                sid="DenyReadByAnyoneButTheConsumers",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=[*OBJECT_READ_ACTIONS, "s3:ListBucket", "s3:ListBucketVersions"],
                resources=[bucket.bucket_arn, objects],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": consumer_arns}},
            ),
            iam.PolicyStatement(
                sid="ConsumersRead",
                principals=[iam.ArnPrincipal(arn) for arn in consumer_arns],
                actions=[*OBJECT_READ_ACTIONS, "s3:ListBucket"],
                resources=[bucket.bucket_arn, objects],
            ),
        ]
        for statement in statements:
            bucket.add_to_resource_policy(statement)

    def _table_policy(self) -> None:
        pipeline = self.pipeline_role.role_arn
        table_resources = ["*"]
        statements = [
            iam.PolicyStatement(
                sid="AppendOnly",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(TABLE_MUTATIONS),
                resources=table_resources,
            ),
            # People write only under their own SourceIdentity; a session without one writes
            # nothing. The state machine writes only its own partitions (its identity policy).
            iam.PolicyStatement(
                sid="DenyRowsOfAnotherIdentity",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["dynamodb:PutItem"],
                resources=table_resources,
                conditions={
                    "ForAnyValue:StringNotEquals": {
                        "dynamodb:LeadingKeys": ["${aws:SourceIdentity}"]
                    },
                    "ArnNotEquals": {"aws:PrincipalArn": [pipeline]},
                },
            ),
            iam.PolicyStatement(
                sid="DenyRowsWithoutSourceIdentity",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["dynamodb:PutItem"],
                resources=table_resources,
                conditions={
                    "Null": {"aws:SourceIdentity": "true"},
                    "ArnNotEquals": {"aws:PrincipalArn": [pipeline]},
                },
            ),
            iam.PolicyStatement(
                sid="DenyPipelineOutsideItsPartitions",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["dynamodb:PutItem"],
                resources=table_resources,
                conditions={
                    "ForAnyValue:StringNotLike": {"dynamodb:LeadingKeys": [f"{PIPELINE_PREFIX}*"]},
                    "ArnEquals": {"aws:PrincipalArn": [pipeline]},
                },
            ),
        ]
        cfn = self.table.node.default_child
        assert isinstance(cfn, dynamodb.CfnTable)
        cfn.resource_policy = dynamodb.CfnTable.ResourcePolicyProperty(
            policy_document=iam.PolicyDocument(statements=statements)
        )

    def _consumer_key_access(self) -> None:
        """Consumers decrypt the room key only through S3, only for the export bucket."""
        stack = Stack.of(self)
        if Token.is_unresolved(stack.region):
            via = "s3.*.amazonaws.com"
        else:
            via = f"s3.{stack.region}.amazonaws.com"
        name = self._export_bucket_name or "*"
        export_arn = f"arn:{stack.partition}:s3:::{name}"
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AirlockConsumersReadExports",
                principals=[iam.ArnPrincipal(c.role_arn) for c in self.consumers],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringLike": {
                        "kms:ViaService": via,
                        "kms:EncryptionContext:aws:s3:arn": export_arn,
                    },
                },
            )
        )

    def _dynamodb_endpoint(self, vpc: ec2.IVpc) -> None:
        """The glovebox reaches the airlock table, and no other table, through its own endpoint."""
        endpoint = vpc.add_gateway_endpoint(
            "DynamoDbEndpoint",
            service=ec2.GatewayVpcEndpointAwsService.DYNAMODB,
            subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
        )
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="AirlockTableOnly",
                principals=[iam.AnyPrincipal()],
                actions=["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"],
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
            )
        )
        self.dynamodb_endpoint = endpoint


KEY_GRANT = (
    "Emitted by aws-cdk-lib's grant on the room key (GenerateDataKey*, ReEncrypt*); the resource "
    "is the room key only, which the airlock's buckets and table use."
)
#: The wildcard actions of aws-cdk-lib's ``grant_encrypt_decrypt`` on the room key.
KEY_GRANT_ACTIONS = (
    (f"{SOLUTIONS}IAM5[Action::kms:GenerateDataKey*]", KEY_GRANT),
    (f"{SOLUTIONS}IAM5[Action::kms:ReEncrypt*]", KEY_GRANT),
)
