"""Glovebox: the room's isolated network (NET-1 .. NET-5)."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Annotations, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IValidation

#: Interface endpoints every glovebox gets (NET-2): credentials, keys and logs stay private.
DEFAULT_INTERFACE_ENDPOINTS: tuple[ec2.InterfaceVpcEndpointAwsService, ...] = (
    ec2.InterfaceVpcEndpointAwsService.STS,
    ec2.InterfaceVpcEndpointAwsService.KMS,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
)

#: What a room may do to its *own* buckets through the S3 endpoint.
ROOM_BUCKET_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:GetBucketLocation",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucketMultipartUploads",
)
#: What a room may do to an approved *production* dataset bucket through the S3 endpoint.
DATASET_BUCKET_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:GetBucketLocation",
)


class Glovebox(Construct):
    """An isolated VPC with no path to the internet, private endpoints and a data perimeter.

    - NET-1: isolated subnets only, in exactly the given availability zones; no internet gateway,
      NAT gateway, egress-only gateway or public IP.
    - NET-2: interface endpoints with private DNS behind a security group that admits HTTPS from
      the VPC's CIDR only, and an endpoint policy that admits principals of this account only.
    - NET-3: the S3 gateway endpoint's policy names each permitted bucket; nothing else is
      reachable. Add buckets with :meth:`permit_room_bucket` and :meth:`permit_dataset_bucket`.
    - NET-4: the default security group is stripped of all rules.
    - NET-5: flow logs of ALL traffic to a KMS-encrypted log group with retention.

    :param availability_zones: the zones for the isolated subnets, two or more. Explicit zones
        keep synthesis free of AWS look-ups (offline, no credentials).
    :param flow_log_key: the key that encrypts the flow-log group. Its key policy must admit
        CloudWatch Logs (see ``RoomKey.allow_cloudwatch_logs``).
    :param cidr: the VPC's IPv4 block. Default: ``10.80.0.0/22``.
    :param restrict_default_security_group: strip the default security group's rules (NET-4)
        with aws-cdk-lib's custom resource. Default: true; only local mode turns it off.
    :param flow_log_retention: how long flow logs are kept. Default: one year.
    :param interface_endpoints: the AWS services reached through interface endpoints.
        Default: STS, KMS and CloudWatch Logs; more with :meth:`add_interface_endpoint`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        availability_zones: Sequence[str],
        flow_log_key: kms.IKey,
        cidr: str = "10.80.0.0/22",
        restrict_default_security_group: bool = True,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        interface_endpoints: Sequence[
            ec2.InterfaceVpcEndpointAwsService
        ] = DEFAULT_INTERFACE_ENDPOINTS,
    ) -> None:
        super().__init__(scope, construct_id)
        if len(availability_zones) < 2 or len(set(availability_zones)) != len(availability_zones):
            raise ValueError(
                f"{self.node.path}: availability_zones={list(availability_zones)!r}: expected two "
                "or more distinct zones"
            )
        _warn_of_zone_lookup(self)
        self.vpc = ec2.Vpc(
            self,
            "Resource",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones),
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=26
                )
            ],
            nat_gateways=0,
            create_internet_gateway=False,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            restrict_default_security_group=restrict_default_security_group,
        )

        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            encryption_key=flow_log_key,
            retention=flow_log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # A managed (not inline) policy scoped to this one log group: the delivery role can write
        # flow logs and nothing else.
        self.flow_log_role = flow_log_role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="dataroom: delivers the glovebox's flow logs to its log group",
        )
        iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            roles=[flow_log_role],
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[self.flow_log_group.log_group_arn],
                )
            ],
        )
        # The L1 resource: the L2 FlowLog would also give the role an inline iam:PassRole on itself,
        # which the delivery service does not need.
        self.flow_log = ec2.CfnFlowLog(
            self,
            "FlowLog",
            resource_id=self.vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.log_group_arn,
            deliver_logs_permission_arn=flow_log_role.role_arn,
            max_aggregation_interval=60,
        )

        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="dataroom: HTTPS from inside the glovebox to its interface endpoints only",
            allow_all_outbound=False,
        )
        self.endpoint_security_group.add_ingress_rule(
            # The literal block, not the VPC's CidrBlock attribute: reviewers and nag rules see it.
            ec2.Peer.ipv4(cidr),
            ec2.Port.tcp(443),
            "HTTPS from the room VPC",
        )

        self._room_buckets: list[s3.IBucket] = []
        self._dataset_buckets: list[s3.IBucket] = []
        self.s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3Endpoint",
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
        )
        self.node.add_validation(_PerimeterNotEmpty(self))

        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for service in interface_endpoints:
            self.add_interface_endpoint(service)

    @property
    def vpc_id(self) -> str:
        """The VPC's id."""
        return self.vpc.vpc_id

    def add_interface_endpoint(
        self, service: ec2.InterfaceVpcEndpointAwsService
    ) -> ec2.InterfaceVpcEndpoint:
        """Reach ``service`` privately: private DNS, HTTPS from the VPC only, this account only."""
        name = service.short_name
        if name in self.interface_endpoints:
            return self.interface_endpoints[name]
        endpoint = self.vpc.add_interface_endpoint(
            _endpoint_id(name),
            service=service,
            private_dns_enabled=True,
            open=False,
            security_groups=[self.endpoint_security_group],
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        )
        # Identity perimeter: credentials of another account cannot use the room's endpoints.
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="OnlyPrincipalsOfThisAccount",
                principals=[iam.AnyPrincipal()],
                actions=["*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:PrincipalAccount": Stack.of(self).account}},
            )
        )
        self.interface_endpoints[name] = endpoint
        return endpoint

    def permit_room_bucket(self, bucket: s3.IBucket) -> None:
        """Let the room read and write one of its own buckets through the S3 endpoint (NET-3)."""
        self._room_buckets.append(bucket)
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid=f"RoomBucket{len(self._room_buckets)}",
                principals=[iam.AnyPrincipal()],
                actions=list(ROOM_BUCKET_ACTIONS),
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            )
        )

    def permit_dataset_bucket(self, bucket: s3.IBucket, *, prefixes: Sequence[str]) -> None:
        """Let the room read approved prefixes of a production bucket through the endpoint (NET-3).

        Only reads pass the endpoint; whatever an IAM policy says, a write to production data
        from inside the glovebox is refused here too.
        """
        if not prefixes:
            raise ValueError(
                f"{self.node.path}: prefixes=[] for bucket {bucket.bucket_name}: expected at least "
                "one approved prefix"
            )
        self._dataset_buckets.append(bucket)
        n = len(self._dataset_buckets)
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid=f"DatasetObjects{n}",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            )
        )
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid=f"DatasetListing{n}",
                principals=[iam.AnyPrincipal()],
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[bucket.bucket_arn],
            )
        )

    @property
    def permitted_bucket_count(self) -> int:
        """How many buckets the S3 endpoint policy names."""
        return len(self._room_buckets) + len(self._dataset_buckets)


def _warn_of_zone_lookup(glovebox: Glovebox) -> None:
    """Say so when aws-cdk-lib's Vpc will look the region's zones up in the account at synth.

    The Vpc asks its stack for the zones even when given explicit ones (to check them); a plain
    stack with an explicit account and region answers with a context look-up, which needs AWS
    credentials at ``cdk synth``. ``DeployTimeZonesStack`` answers with ``Fn::GetAZs`` instead.
    """
    stack = Stack.of(glovebox)
    agnostic = Token.is_unresolved(stack.account) or Token.is_unresolved(stack.region)
    overridden = type(stack).availability_zones is not Stack.availability_zones
    key = f"availability-zones:account={stack.account}:region={stack.region}"
    if agnostic or overridden or stack.node.try_get_context(key) is not None:
        return
    Annotations.of(glovebox).add_warning_v2(
        "dataroom:glovebox-zone-lookup",
        f"{stack.node.path} has an explicit environment, so aws-cdk-lib's Vpc looks its zones up "
        "in the account at synth (AWS credentials needed); derive the stack from "
        "dataroom.stacks.DeployTimeZonesStack to keep synthesis offline",
    )


def _endpoint_id(short_name: str) -> str:
    return (
        "".join(part.capitalize() for part in short_name.replace(".", "-").split("-")) + "Endpoint"
    )


@jsii.implements(IValidation)
class _PerimeterNotEmpty:
    """A gateway endpoint without a policy allows everything: refuse to synthesize one."""

    def __init__(self, glovebox: Glovebox) -> None:
        self._glovebox = glovebox

    def validate(self) -> list[str]:
        if self._glovebox.permitted_bucket_count == 0:
            return [
                "NET-3: the S3 endpoint permits no bucket, and an endpoint without a policy allows "
                "every bucket; call permit_room_bucket() or permit_dataset_bucket()"
            ]
        return []
