"""QueryGuard: one Athena workgroup per room, with a hard cap per query (QRY-1)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dataroom.controls.query import GIB

#: Athena's smallest accepted BytesScannedCutoffPerQuery.
MIN_CUTOFF_BYTES = 10_000_000
#: The actions a room principal needs to run and read its own queries.
QUERY_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:ListQueryExecutions",
    "athena:BatchGetQueryExecution",
    "athena:GetWorkGroup",
)


class QueryGuard(Construct):
    """An Athena workgroup whose settings the room cannot override.

    Shared query infrastructure is where exploration can hurt production's availability: an
    unbounded scan costs money and capacity. The workgroup enforces its configuration (clients
    cannot pick another output location, key or limit), cuts every query off at
    ``query_limit_gb``, writes results encrypted with the room key to the intermediate bucket
    (which expires them) and publishes CloudWatch metrics. :meth:`grant_query` gives a principal
    this workgroup and no other.

    :param workgroup_name: the workgroup's name.
    :param results_bucket: where results go (``athena-results/`` prefix).
    :param encryption_key: the key results are encrypted with (SSE-KMS).
    :param query_limit_gb: bytes scanned per query before Athena cancels it, in GiB.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workgroup_name: str,
        results_bucket: s3.IBucket,
        encryption_key: kms.IKey,
        query_limit_gb: int,
    ) -> None:
        super().__init__(scope, construct_id)
        cutoff = query_limit_gb * GIB
        if cutoff < MIN_CUTOFF_BYTES:
            raise ValueError(
                f"{self.node.path}: query_limit_gb={query_limit_gb}: expected at least 1"
            )
        self.workgroup_name = workgroup_name
        self.bytes_scanned_cutoff = cutoff
        self.workgroup = athena.CfnWorkGroup(
            self,
            "Resource",
            name=workgroup_name,
            description="dataroom: the room's only query workgroup",
            state="ENABLED",
            recursive_delete_option=False,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                bytes_scanned_cutoff_per_query=cutoff,
                publish_cloud_watch_metrics_enabled=True,
                requester_pays_enabled=False,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=results_bucket.s3_url_for_object("athena-results/"),
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=encryption_key.key_arn
                    ),
                    expected_bucket_owner=Stack.of(self).account,
                ),
            ),
        )
        stack = Stack.of(self)
        self.workgroup_arn = stack.format_arn(
            service="athena", resource="workgroup", resource_name=workgroup_name
        )

    def grant_query(
        self, grantee: iam.IGrantable, *, vpc_endpoint: ec2.IVpcEndpoint | None = None
    ) -> iam.Grant:
        """Run, stop and read queries in this workgroup only (through ``vpc_endpoint`` if given).

        Results are written by Athena on the caller's behalf, past the bucket's endpoint
        perimeter; requiring the Athena endpoint here keeps the whole path inside the glovebox.
        """
        conditions = (
            {"StringEquals": {"aws:SourceVpce": vpc_endpoint.vpc_endpoint_id}}
            if vpc_endpoint is not None
            else None
        )
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(QUERY_ACTIONS),
            resource_arns=[self.workgroup_arn],
            conditions=conditions,
        )
