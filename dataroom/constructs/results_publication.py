"""ResultsPublication: a production room's end results, readable only as its phase allows.

Phase ``production-a`` (PHS-1): the results bucket still refuses every direct read from outside
the glovebox; each named internal consumer reads through an S3 access point of its own, reachable
from its own network only. An AWS AppConfig feature flag states the phase and is off for end
users. Phase ``production-b`` (PHS-2) adds the data access layer (DAL): a tenant reader role that
the DAL assumes with a tenant session tag, reading only under ``tenant=<its tag>/`` through the
DAL's access point.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Validations
from aws_cdk import aws_appconfig as appconfig
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.constructs.acknowledge import wildcard_resource
from dataroom.constructs.read_only_access import expiry_timestamp
from dataroom.spec.results import PUBLISHING_PHASES, tenant_prefix

__all__ = [
    "END_USER_FLAG",
    "PUBLICATION_ADMIN_ACTIONS",
    "READ_ACTIONS",
    "DataAccessLayerReader",
    "ResultsConsumer",
    "ResultsPublication",
]

#: What a reader may do through its access point; nothing else is ever granted.
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
LIST_ACTIONS = ("s3:ListBucket",)
#: Writes are refused through every access point, whatever a policy says.
WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:RestoreObject",
)
#: Changing who reads results is a deploy: room roles may not do it by hand (IAM-5).
PUBLICATION_ADMIN_ACTIONS = (
    "s3:CreateAccessPoint",
    "s3:DeleteAccessPoint",
    "s3:PutAccessPointPolicy",
    "s3:DeleteAccessPointPolicy",
    "s3:CreateAccessPointForObjectLambda",
    "s3:PutAccessPointPolicyForObjectLambda",
    "s3:PutAccessPointConfigurationForObjectLambda",
    "s3:CreateMultiRegionAccessPoint",
    "s3:PutMultiRegionAccessPointPolicy",
    "appconfig:CreateDeployment",
    "appconfig:StopDeployment",
    "appconfig:CreateHostedConfigurationVersion",
    "appconfig:DeleteHostedConfigurationVersion",
    "appconfig:UpdateConfigurationProfile",
    "appconfig:UpdateEnvironment",
    "appconfig:UpdateApplication",
)
#: The feature flag a consuming service reads before it shows results to end users.
END_USER_FLAG = "end_user_results"


@dataclass(frozen=True)
class ResultsConsumer:
    """An internal operational tool that reads results through its own access point.

    :param name: short name, part of the access point's name (``<room>-<name>``).
    :param role: the tool's role (usually imported with ``iam.Role.from_role_arn``).
    :param vpc_id: the access point accepts requests from this VPC only, or
    :param vpce_id: the access point accepts requests through this VPC endpoint only.
    """

    name: str
    role: iam.IRole
    vpc_id: str | None = None
    vpce_id: str | None = None


@dataclass(frozen=True)
class DataAccessLayerReader:
    """The end-user-facing data access layer (phase B).

    :param role: the DAL's service role; it assumes the room's tenant reader role with a session
        tag ``tenant_tag`` equal to its own principal tag, the ``external_id`` and a
        SourceIdentity (the end user), until ``expires``.
    :param external_id: the ``sts:ExternalId`` the DAL presents.
    :param expires: the room's last day; the reader's trust and grants end with it (IAM-4).
    :param vpce_id: the DAL's VPC endpoint; its reads are pinned to it (PER-3).
    :param vpc_id: makes the DAL's access point VPC-origin. Default: internet-origin, with the
        endpoint pinned by policy.
    :param tenant_tag: the tag key naming the tenant. Default: ``tenant``.
    :param tenants: tenants that may be read; empty means any tenant the caller is tagged with.
    """

    role: iam.IRole
    external_id: str
    expires: dt.date
    vpce_id: str
    vpc_id: str | None = None
    tenant_tag: str = "tenant"
    tenants: Sequence[str] = field(default_factory=tuple)


class ResultsPublication(Construct):
    """Access points, their policies, the bucket's exemptions and the phase's feature flag.

    :param results_bucket: the room's results bucket (its policy gains the statements).
    :param encryption_key: the key the results are encrypted with; readers may decrypt via S3.
    :param room_name: the room, part of every name (``dataroom-<room>`` flag profile).
    :param phase: ``production-a`` or ``production-b``.
    :param consumers: the internal consumers (at least one).
    :param dal: the data access layer; required in ``production-b``, refused in ``production-a``.
    :param exempt_reads: called with the access point ARNs so the bucket's perimeter denies let
        reads through them pass (``RoomStorage.admit_reads_through_access_points``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        results_bucket: s3.IBucket,
        encryption_key: kms.IKey,
        room_name: str,
        phase: str,
        consumers: Sequence[ResultsConsumer],
        dal: DataAccessLayerReader | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = []
        if phase not in PUBLISHING_PHASES:
            problems.append(f"phase={phase!r}: expected one of {list(PUBLISHING_PHASES)}")
        if not consumers:
            problems.append("consumers=[]: expected at least one internal consumer")
        if phase == "production-b" and dal is None:
            problems.append("dal=None: production-b publishes through the data access layer")
        if phase == "production-a" and dal is not None:
            problems.append("dal: production-a results are never read by end-user services")
        for reader in consumers:
            if (reader.vpc_id is None) == (reader.vpce_id is None):
                problems.append("expected exactly one of vpc_id or vpce_id for every reader")
        if problems:
            raise ValueError(f"{self.node.path}: " + "; ".join(problems))

        stack = Stack.of(self)
        self._stack = stack
        self._bucket = results_bucket
        self._key = encryption_key
        self.room_name = room_name
        self.phase = phase
        #: access point name -> ARN, for the bucket's exemptions and the review.
        self.access_point_arns: dict[str, str] = {}
        #: access point name -> ``{"kind": "consumer" | "dal", "principals": [ARN]}``.
        self.readers: dict[str, dict[str, Any]] = {}

        for consumer in consumers:
            name = f"{room_name}-{consumer.name}"[:50]
            self._access_point(
                consumer.name,
                name=name,
                principal_arn=consumer.role.role_arn,
                object_prefix="",
                vpc_id=consumer.vpc_id,
                vpce_id=consumer.vpce_id,
                kind="consumer",
            )
            self._grant_decrypt(consumer.role.role_arn, f"ConsumerDecrypt{consumer.name}")

        self.tenant_reader: iam.Role | None = None
        self._dal = dal
        if dal is not None:
            self.tenant_reader = self._tenant_reader(dal)

        self.flag = self._feature_flag()

    # --- access points ---------------------------------------------------------------------

    def access_point_arn(self, name: str) -> str:
        """The ARN of access point ``name`` of this stack (built, so policies can name it)."""
        return self._stack.format_arn(
            service="s3",
            resource="accesspoint",
            resource_name=name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def _access_point(
        self,
        construct_id: str,
        *,
        name: str,
        principal_arn: str,
        object_prefix: str,
        vpc_id: str | None,
        vpce_id: str | None,
        kind: str,
        tenant_tag: str | None = None,
        tenant: str | None = None,
    ) -> s3.CfnAccessPoint:
        arn = self.access_point_arn(name)
        principal = {"AWS": principal_arn}
        objects = f"{arn}/object/{object_prefix}*"
        list_condition: dict[str, Any] = {}
        if object_prefix:
            list_condition = {"StringLike": {"s3:prefix": [f"{object_prefix}*"]}}
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadResults",
                "Effect": "Allow",
                "Principal": principal,
                "Action": list(READ_ACTIONS),
                "Resource": objects,
            },
            {
                "Sid": "ListResults",
                "Effect": "Allow",
                "Principal": principal,
                "Action": list(LIST_ACTIONS),
                "Resource": arn,
                **({"Condition": list_condition} if list_condition else {}),
            },
            {
                # Not even an administrator of the room account reads through another's point.
                "Sid": "DenyEveryoneButTheReader",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/object/*"],
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": principal_arn}},
            },
            {
                "Sid": "DenyWrites",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": list(WRITE_ACTIONS),
                "Resource": [arn, f"{arn}/object/*"],
            },
        ]
        if tenant_tag is not None:
            tag = f"aws:PrincipalTag/{tenant_tag}"
            statements.append(
                {
                    "Sid": "DenyCallersWithoutATenant",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/object/*"],
                    "Condition": {"Null": {tag: "true"}},
                }
            )
            if tenant is not None:
                statements.append(
                    {
                        "Sid": "DenyOtherTenants",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": [arn, f"{arn}/object/*"],
                        "Condition": {"StringNotEquals": {tag: tenant}},
                    }
                )
        if vpce_id is not None:
            statements.append(
                {
                    "Sid": "DenyOutsideTheReadersEndpoint",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/object/*"],
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce_id}},
                }
            )
        access_point = s3.CfnAccessPoint(
            self,
            construct_id,
            bucket=self._bucket.bucket_name,
            name=name,
            bucket_account_id=self._stack.account,
            policy={"Version": "2012-10-17", "Statement": statements},
            public_access_block_configuration=s3.CfnAccessPoint.PublicAccessBlockConfigurationProperty(
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            vpc_configuration=(
                s3.CfnAccessPoint.VpcConfigurationProperty(vpc_id=vpc_id) if vpc_id else None
            ),
        )
        self.access_point_arns[name] = arn
        self.readers[name] = {"kind": kind, "principals": [principal_arn]}
        # The bucket delegates to the access point, for this principal and these reads only.
        bucket_prefix = f"{object_prefix}*"
        self._bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"ReadThroughAccessPoint{construct_id}",
                principals=[iam.ArnPrincipal(principal_arn)],
                actions=[*READ_ACTIONS, *LIST_ACTIONS],
                resources=[self._bucket.bucket_arn, self._bucket.arn_for_objects(bucket_prefix)],
                conditions={"StringEquals": {"s3:DataAccessPointArn": arn}},
            )
        )
        return access_point

    def _grant_decrypt(self, principal_arn: str, sid: str) -> None:
        # Only S3 decrypts for the reader, and S3 serves it only what the bucket and access point
        # policies allow. (An encryption-context condition naming the bucket would make the key
        # and the bucket depend on each other.)
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ArnPrincipal(principal_arn)],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{self._stack.region}.amazonaws.com"}
                },
            )
        )

    # --- phase B ---------------------------------------------------------------------------

    def _tenant_reader(self, dal: DataAccessLayerReader) -> iam.Role:
        """The role the DAL assumes per tenant, with the tenant as a session tag.

        Its trust requires the tag and that it equals the DAL caller's own tag, so a caller
        serving tenant ``a`` cannot open a session for tenant ``b``; with ``tenants`` set, the
        value must also be one of them.
        """
        tag = dal.tenant_tag
        request_tag = f"aws:RequestTag/{tag}"
        until = {"DateLessThan": {"aws:CurrentTime": expiry_timestamp(dal.expires)}}
        tagging: dict[str, Any] = {
            "Null": {request_tag: "false"},
            "StringEquals": {request_tag: f"${{aws:PrincipalTag/{tag}}}"},
            "ForAllValues:StringEquals": {"aws:TagKeys": [tag]},
            **until,
        }
        if dal.tenants:
            tagging["ForAnyValue:StringEquals"] = {request_tag: list(dal.tenants)}
        # IAM-1 as for the production read role: ExternalId, a SourceIdentity (the end user the
        # DAL serves), one-hour sessions, until the room expires.
        assume = {
            **tagging,
            "StringEquals": {**tagging["StringEquals"], "sts:ExternalId": dal.external_id},
            "Null": {**tagging["Null"], "sts:SourceIdentity": "false"},
        }
        role = iam.Role(
            self,
            "TenantReader",
            role_name=f"dataroom-{self.room_name}-dal-reader"[:64],
            assumed_by=iam.ArnPrincipal(dal.role.role_arn).with_conditions(assume),
            max_session_duration=Duration.hours(1),
            description=f"dataroom {self.room_name}: the data access layer's per-tenant reader",
        )
        trust = role.assume_role_policy
        if trust is not None:
            # Session tags and the SourceIdentity are set in the same call, pinned as above.
            trust.add_statements(
                iam.PolicyStatement(
                    actions=["sts:TagSession"],
                    principals=[iam.ArnPrincipal(dal.role.role_arn)],
                    conditions=tagging,
                ),
                iam.PolicyStatement(
                    actions=["sts:SetSourceIdentity"],
                    principals=[iam.ArnPrincipal(dal.role.role_arn)],
                    conditions={"Null": {"sts:SourceIdentity": "false"}, **until},
                ),
            )
        network = {"StringEquals": {"aws:SourceVpce": dal.vpce_id}}
        single = dal.tenants[0] if len(dal.tenants) == 1 else None
        variable = f"${{aws:PrincipalTag/{tag}}}"
        prefix = tenant_prefix(single or variable)
        name = f"{self.room_name}-dal"[:50]
        self._access_point(
            "Dal",
            name=name,
            principal_arn=role.role_arn,
            object_prefix=prefix,
            vpc_id=dal.vpc_id,
            vpce_id=dal.vpce_id,
            kind="dal",
            tenant_tag=tag,
            tenant=single,
        )
        arn = self.access_point_arn(name)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadOwnTenantThroughTheDalAccessPoint",
                actions=list(READ_ACTIONS),
                resources=[f"{arn}/object/{prefix}*"],
                conditions={**network, **until},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListOwnTenantThroughTheDalAccessPoint",
                actions=list(LIST_ACTIONS),
                resources=[arn],
                conditions={
                    "StringLike": {"s3:prefix": [f"{prefix}*"]},
                    **network,
                    **until,
                },
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DenyEverythingButTenantReads",
                effect=iam.Effect.DENY,
                not_actions=[*READ_ACTIONS, *LIST_ACTIONS, "kms:Decrypt"],
                resources=["*"],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DecryptResultsViaS3",
                actions=["kms:Decrypt"],
                resources=[self._key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{self._stack.region}.amazonaws.com"},
                    **until,
                },
            )
        )
        self._acknowledge_reader(role, f"{arn}/object/{prefix}*")
        return role

    def _acknowledge_reader(self, role: iam.Role, objects: str) -> None:
        """By-design findings of the tenant reader's policy, acknowledged here with reasons."""
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is None:
            return
        acknowledgments = [
            Acknowledgment(
                id="NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
                reason="The tenant reader's grants belong to this one role and are deleted with "
                "it; an inline policy cannot be attached to another principal by mistake.",
            )
        ]
        # As cdk-nag writes it (literal or pseudo-parameter partition, as the app's flags say).
        acknowledgments.append(
            Acknowledgment(
                id=wildcard_resource(self, objects),
                reason="The wildcard is the objects under the caller's own tenant prefix "
                "(tenant=${aws:PrincipalTag/<tag>}/) of the DAL access point, which is the "
                "PHS-2 control itself; it cannot name objects that do not exist yet.",
            )
        )
        Validations.of(policy).acknowledge(*acknowledgments)

    # --- the flag --------------------------------------------------------------------------

    def _feature_flag(self) -> appconfig.CfnHostedConfigurationVersion:
        """AppConfig feature flag ``dataroom-<room>``: the phase, and off for end users in A."""
        name = f"dataroom-{self.room_name}"
        application = appconfig.CfnApplication(
            self, "FlagApplication", name=name, description="dataroom results publication"
        )
        environment = appconfig.CfnEnvironment(
            self, "FlagEnvironment", application_id=application.ref, name="production"
        )
        profile = appconfig.CfnConfigurationProfile(
            self,
            "FlagProfile",
            application_id=application.ref,
            name=name,
            location_uri="hosted",
            type="AWS.AppConfig.FeatureFlags",
        )
        self.flag_enabled = self.phase == "production-b"
        version = appconfig.CfnHostedConfigurationVersion(
            self,
            "FlagVersion",
            application_id=application.ref,
            configuration_profile_id=profile.ref,
            content_type="application/json",
            content=json.dumps(self.flag_document(), sort_keys=True),
        )
        appconfig.CfnDeployment(
            self,
            "FlagDeployment",
            application_id=application.ref,
            environment_id=environment.ref,
            configuration_profile_id=profile.ref,
            configuration_version=version.ref,
            # AWS's predefined strategy: the flag flips in one deploy, which the evidence records.
            deployment_strategy_id="AppConfig.AllAtOnce",
        )
        return version

    def flag_document(self) -> dict[str, Any]:
        """The AppConfig feature-flag document: end-user results on only in phase B."""
        return {
            "version": "1",
            "flags": {
                END_USER_FLAG: {
                    "name": END_USER_FLAG,
                    "description": "Results of this room may be shown to end users (phase B).",
                    "attributes": {"phase": {"constraints": {"type": "string"}}},
                }
            },
            "values": {
                END_USER_FLAG: {"enabled": self.phase == "production-b", "phase": self.phase}
            },
        }

    def metadata(self) -> dict[str, Any]:
        """What the template metadata says about publication; DataRoomChecks judges with it."""
        return {
            "phase": self.phase,
            "access_points": {
                name: {
                    "kind": reader["kind"],
                    "principals": [self._stack.resolve(p) for p in reader["principals"]],
                }
                for name, reader in self.readers.items()
            },
            "end_user_flag": self.flag_enabled,
            "dal": (
                {"tenant_tag": self._dal.tenant_tag, "tenants": list(self._dal.tenants)}
                if self._dal
                else None
            ),
        }

    def boundary_statement(self) -> iam.PolicyStatement:
        """The room boundary's deny of changing who reads results by hand (a deploy only)."""
        return iam.PolicyStatement(
            sid="DenyResultsPublicationChanges",
            effect=iam.Effect.DENY,
            actions=list(PUBLICATION_ADMIN_ACTIONS),
            resources=["*"],
        )
