"""Workbench: notebooks inside the glovebox, packages from an allow-listed mirror (WBN-1..4)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import jsii
from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    AspectPriority,
    Aspects,
    CfnResource,
    CfnTag,
    Fn,
    IAspect,
    Stack,
    Validations,
)
from aws_cdk import aws_codeartifact as codeartifact
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct

from dataroom.constructs.acknowledge import SOLUTIONS, wildcard_resource
from dataroom.constructs.alerts import RoomAlerts
from dataroom.constructs.glovebox import Glovebox
from dataroom.constructs.remediation import Remediation
from dataroom.spec.workbench import (
    DEFAULT_INSTANCE_TYPE,
    IDLE_STOP_MINUTES,
    MIN_ACCESS_PREFIX,
    VOLUME_SIZE_GB,
    notebook_slug,
)

#: The lifecycle script's parts, shipped in the package and assembled at synth.
SCRIPTS_DIR = Path(__file__).resolve().parent / "workbench_scripts"
#: The interface endpoints a workbench needs (WBN-2, WBN-4): the SageMaker API (the notebook
#: stops itself, scientists open it), the notebook front end, SageMaker runtime, CodeArtifact's
#: API (token, repository endpoint) and repositories (pip), STS and CloudWatch Logs.
WORKBENCH_ENDPOINTS: tuple[ec2.InterfaceVpcEndpointAwsService, ...] = (
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_NOTEBOOK,
    ec2.InterfaceVpcEndpointAwsService.CODEARTIFACT_API,
    ec2.InterfaceVpcEndpointAwsService.CODEARTIFACT_REPOSITORIES,
    ec2.InterfaceVpcEndpointAwsService.STS,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
)
#: Endpoints only the room's own roles may call through (a Deny for anyone else).
ROOM_ROLES_ONLY = (
    "sagemaker.api",
    "sagemaker.runtime",
    "codeartifact.api",
    "codeartifact.repositories",
)
#: The Amazon Linux 2 / JupyterLab 4 notebook platform; it supports IMDSv2-only.
PLATFORM = "notebook-al2-v3"
#: The repository's only upstream: public PyPI, reached by CodeArtifact, never by the room.
PYPI = "public:pypi"
REPOSITORY = "pypi"
#: What the room's roles may never do with SageMaker: Studio brings its own network and an EFS
#: volume (a teardown leftover); lifecycle scripts run as root.
STUDIO_AND_LIFECYCLE = (
    "sagemaker:CreateDomain",
    "sagemaker:UpdateDomain",
    "sagemaker:CreateUserProfile",
    "sagemaker:UpdateUserProfile",
    "sagemaker:CreatePresignedDomainUrl",
    "sagemaker:CreateNotebookInstanceLifecycleConfig",
    "sagemaker:UpdateNotebookInstanceLifecycleConfig",
    "sagemaker:DeleteNotebookInstanceLifecycleConfig",
)
PRESIGNED_URL = "sagemaker:CreatePresignedNotebookInstanceUrl"
NOTEBOOK_STATE_CHANGE = "SageMaker Notebook Instance State Change"
CREATE = "sagemaker:CreateNotebookInstance"
UPDATE = "sagemaker:UpdateNotebookInstance"
#: Reads of the mirror, which only the room's roles may make, only through the room's endpoints.
REPOSITORY_READS = (
    "codeartifact:ReadFromRepository",
    "codeartifact:GetRepositoryEndpoint",
    "codeartifact:ListPackages",
    "codeartifact:ListPackageVersions",
    "codeartifact:DescribePackageVersion",
    "codeartifact:GetPackageVersionAsset",
)


class Workbench(Construct):
    """One SageMaker notebook instance per user, inside the glovebox (WBN-1..4).

    - WBN-1: each notebook runs in the room's isolated subnets behind a security group whose only
      egress is HTTPS to the room's endpoint security group; no direct internet access, no root,
      an IMDSv2-only platform, its volume encrypted with the room key, an instance type from the
      allow-list. The room's permission boundary lets no room role but the workbench role create
      or update a notebook, and none at all create a Studio domain or a lifecycle configuration;
      the workbench role's guardrail policy denies any notebook that breaks the settings above
      (so nobody in the room creates a second, open notebook by hand). The settings live in that
      policy, not in the boundary, because the boundary is one managed policy (6,144 characters)
      shared by every control of the room.
    - WBN-2: a CodeArtifact domain (room key) and repository whose only upstream is public PyPI;
      package groups block the upstream for every PyPI package except those of ``packages``. The
      lifecycle script points pip at the repository through the room's endpoints. The domain and
      repository policies refuse anyone but the room's roles, and any request that does not come
      through the room's CodeArtifact endpoints.
    - WBN-3: the lifecycle script stops a notebook idle for ``idle_stop_minutes``; the room's
      alert topic hears once of every stop.
    - WBN-4: a notebook URL can be created only through the room's SageMaker API endpoint, or from
      ``access_cidrs``; each user's URL only by a scientist session whose source identity is that
      user.

    :param room_name: names the notebooks (``<room>-<user>``), domain and lifecycle configuration.
    :param glovebox: the room's network; the workbench's endpoints join it.
    :param encryption_key: the room key: notebook volumes and the package domain.
    :param execution_role: the notebooks' role, and the role scientists open them with.
    :param boundary: the room's permission boundary; the workbench's guardrails join it.
    :param alerts: the room's alerts; the idle-stop rule joins them.
    :param remediation: the room's remediation function; when given, it checks every notebook
        that starts and stops one outside the glovebox. Default: none.
    :param users: one notebook each: e-mail addresses or names.
    :param instance_types: the allow-list. Default: ``ml.t3.medium`` only.
    :param instance_type: what the notebooks run on. Default: the first of ``instance_types``.
    :param volume_size_gb: each notebook's volume, 5 to 100 GiB. Default: 20.
    :param packages: normalized PyPI names the mirror may fetch. Default: none (pip finds
        nothing).
    :param constraints: pip constraints (``name<spec>``) written next to pip's configuration.
        Default: none.
    :param idle_stop_minutes: idle time before a notebook stops itself. Default: 60.
    :param access_cidrs: network ranges a notebook URL may be created from, besides the room's
        SageMaker API endpoint. Default: none.
    :param s3_prefix_list_id: the region's S3 managed prefix list; when given, notebooks may also
        reach the room's buckets through the S3 gateway endpoint. Default: none (data through
        Athena only).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        room_name: str,
        glovebox: Glovebox,
        encryption_key: kms.IKey,
        execution_role: iam.Role,
        boundary: iam.ManagedPolicy,
        alerts: RoomAlerts,
        users: Sequence[str],
        remediation: Remediation | None = None,
        instance_types: Sequence[str] = (DEFAULT_INSTANCE_TYPE,),
        instance_type: str | None = None,
        volume_size_gb: int = 20,
        packages: Sequence[str] = (),
        constraints: Sequence[str] = (),
        idle_stop_minutes: int = 60,
        access_cidrs: Sequence[str] = (),
        s3_prefix_list_id: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        instance_type = instance_type or (instance_types[0] if instance_types else "")
        self._validate(
            users, instance_types, instance_type, volume_size_gb, idle_stop_minutes, access_cidrs
        )
        stack = Stack.of(self)
        self.room_name = room_name
        self.users = tuple(users)
        self.packages = tuple(packages)
        self.instance_types = tuple(instance_types)
        self.access_cidrs = tuple(access_cidrs)
        self.idle_stop_minutes = idle_stop_minutes
        self.execution_role = execution_role
        # The role's ARN as a literal (it has a physical name), not a reference: the boundary
        # names the endpoints, the role wears the boundary, and the endpoints' and repository's
        # policies name the role; a reference would close that circle.
        role_name = cast(iam.CfnRole, execution_role.node.default_child).role_name
        if not role_name:
            raise ValueError(
                f"{self.node.path}: execution_role={execution_role.node.path}: expected a role "
                "with a physical name (the policies of the endpoints and the mirror name it)"
            )
        self.execution_role_arn = stack.format_arn(
            service="iam", region="", resource="role", resource_name=role_name
        )

        # WBN-4: every endpoint the workbench uses joins the glovebox (private DNS, 443 from the
        # VPC, this account only); the API and package endpoints admit the room's role only.
        self.endpoints = {
            s.short_name: glovebox.add_interface_endpoint(s) for s in WORKBENCH_ENDPOINTS
        }
        for name in ROOM_ROLES_ONLY:
            self.endpoints[name].add_to_policy(
                iam.PolicyStatement(
                    sid="OnlyTheRoomsWorkbenchRole",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["*"],
                    resources=["*"],
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": self.execution_role_arn}},
                )
            )
        self.api_endpoint = self.endpoints["sagemaker.api"]

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=glovebox.vpc,
            description="dataroom workbench: HTTPS to the room endpoints only",
            allow_all_outbound=False,
        )
        # By id, so the rule is inline in the group: one resource holds all the group says.
        self.security_group.add_egress_rule(
            ec2.Peer.security_group_id(glovebox.endpoint_security_group.security_group_id),
            ec2.Port.tcp(443),
            "HTTPS to the room endpoints",
        )
        if s3_prefix_list_id:
            self.security_group.add_egress_rule(
                ec2.Peer.prefix_list(s3_prefix_list_id),
                ec2.Port.tcp(443),
                "HTTPS to S3 through the room gateway endpoint",
            )

        self._mirror(stack, encryption_key, execution_role)
        self.lifecycle = sagemaker.CfnNotebookInstanceLifecycleConfig(
            self,
            "Lifecycle",
            notebook_instance_lifecycle_config_name=f"dataroom-{room_name}",
            on_start=[
                sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
                    content=Fn.base64(
                        self.on_start_script(stack.account, stack.region, constraints)
                    )
                )
            ],
        )
        self.lifecycle_config_arn = stack.format_arn(
            service="sagemaker",
            resource="notebook-instance-lifecycle-config",
            resource_name=f"dataroom-{room_name}",
        )

        subnets = glovebox.vpc.isolated_subnets
        self.subnet_ids = [s.subnet_id for s in subnets]
        self.notebooks: dict[str, sagemaker.CfnNotebookInstance] = {}
        policy = execution_role.node.try_find_child("DefaultPolicy")
        for index, user in enumerate(self.users):
            notebook = sagemaker.CfnNotebookInstance(
                self,
                f"Notebook-{notebook_slug(user)}",
                notebook_instance_name=self.notebook_name(user),
                instance_type=instance_type,
                role_arn=execution_role.role_arn,
                subnet_id=subnets[index % len(subnets)].subnet_id,
                security_group_ids=[self.security_group.security_group_id],
                direct_internet_access="Disabled",
                root_access="Disabled",
                kms_key_id=encryption_key.key_arn,
                volume_size_in_gb=volume_size_gb,
                platform_identifier=PLATFORM,
                instance_metadata_service_configuration=sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                    minimum_instance_metadata_service_version="2"
                ),
                lifecycle_config_name=self.lifecycle.attr_notebook_instance_lifecycle_config_name,
                tags=[CfnTag(key="dataroom:user", value=user)],
            )
            # Teardown order: CloudFormation deletes a notebook (and SageMaker its network
            # interface) before anything it depends on: the VPC, every subnet with its route
            # table, every endpoint, its security group and rules, and the role's policies.
            # (Not the VPC construct as a whole: that holds CDK's default-SG custom resource.)
            # (Its own subnet and security group are referenced, which orders them already.)
            own_subnet = subnets[index % len(subnets)]
            for dependency in (
                glovebox.vpc.node.default_child,
                *(s for s in subnets if s is not own_subnet),
                # its own subnet's route table and association, which are not referenced
                *(c for c in own_subnet.node.children if not isinstance(c, ec2.CfnSubnet)),
                glovebox.s3_endpoint,
                *glovebox.interface_endpoints.values(),
            ):
                assert dependency is not None
                notebook.node.add_dependency(dependency)
            if policy is not None:
                notebook.node.add_dependency(policy)
            notebook.node.add_dependency(self.access_policy)
            self.notebooks[user] = notebook
        # Endpoints other constructs add to the glovebox later (the airlock's) come first too.
        Aspects.of(glovebox).add(
            _NotebooksAfterEndpoints(list(self.notebooks.values())),
            priority=AspectPriority.MUTATING,
        )

        self._guardrails(stack, boundary, encryption_key)
        self.stop_rule = alerts.add_rule(
            "WorkbenchStopped",
            {
                "source": ["aws.sagemaker"],
                "detail-type": [NOTEBOOK_STATE_CHANGE],
                "detail": {
                    "NotebookInstanceStatus": ["Stopped"],
                    "NotebookInstanceName": [self.notebook_name(u) for u in self.users],
                },
            },
        )

        if remediation is not None:
            self._remediate(stack, remediation, alerts)
        self._acknowledge()

    def _remediate(self, stack: Stack, remediation: Remediation, alerts: RoomAlerts) -> None:
        """Any notebook of the account that starts outside the glovebox is stopped and reported."""
        statement = iam.PolicyStatement(
            sid="StopNotebooksOutsideTheGlovebox",
            actions=["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"],
            # Any notebook of the account: one made by hand has a name nobody chose in advance.
            resources=[
                stack.format_arn(
                    service="sagemaker", resource="notebook-instance", resource_name="*"
                )
            ],
        )
        # The function's boundary is its grant: both must name the new calls.
        remediation.permissions.add_statements(statement)
        remediation.boundary.add_statements(statement)
        remediation.function.add_environment("ROOM_SUBNETS", stack.to_json_string(self.subnet_ids))
        self.remediation_rule = events.Rule(
            self,
            "NotebookStarted",
            description="dataroom: a notebook started; remediation checks it is in the glovebox",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[NOTEBOOK_STATE_CHANGE],
                detail={"NotebookInstanceStatus": ["InService"]},
            ),
        )
        # MON-6: like the remediation trigger, an undelivered event lands in the function's
        # dead-letter queue and a failed invocation raises an alarm.
        self.remediation_rule.add_target(
            targets.LambdaFunction(
                remediation.function,
                dead_letter_queue=remediation.dead_letters,
                retry_attempts=2,
            )
        )
        alerts.delivery.watch_rule("NotebookStarted", self.remediation_rule)
        self._remediation = remediation

    def _acknowledge(self) -> None:
        """The nag findings this construct raises by design, each with its reason."""
        # As cdk-nag writes the ARNs: literal or pseudo-parameter partition, as the app's flags say.
        stack = Stack.of(self)
        notebook_logs = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/NotebookInstances:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        Validations.of(self.access_policy).acknowledge(
            Acknowledgment(
                id=f"{SOLUTIONS}IAM5[Resource::*]",
                reason="sts:GetServiceBearerToken supports no resource; the statement is bound to "
                "CodeArtifact by sts:AWSServiceName, which is how AWS documents it.",
            ),
            Acknowledgment(
                id=wildcard_resource(self, notebook_logs),
                reason="SageMaker names each notebook's log streams in its own log group; the "
                "wildcard covers that one group's streams.",
            ),
        )
        remediation = getattr(self, "_remediation", None)
        if remediation is not None:
            notebooks = stack.format_arn(
                service="sagemaker", resource="notebook-instance", resource_name="*"
            )
            for policy in (remediation.permissions, remediation.boundary):
                Validations.of(policy).acknowledge(
                    Acknowledgment(
                        id=wildcard_resource(self, notebooks),
                        reason="The function must stop any notebook of the room account that "
                        "starts outside the glovebox, whatever its name (WBN-1); only describe and "
                        "stop, on notebook instances only.",
                    )
                )

    # --- names ----------------------------------------------------------------------------------

    def notebook_name(self, user: str) -> str:
        """The notebook instance of ``user``: ``<room>-<user>``."""
        return f"{self.room_name}-{notebook_slug(user)}"

    def notebook_arn(self, user: str) -> str:
        """The ARN of ``user``'s notebook instance."""
        return Stack.of(self).format_arn(
            service="sagemaker",
            resource="notebook-instance",
            resource_name=self.notebook_name(user),
        )

    @property
    def domain_name(self) -> str:
        return f"dataroom-{self.room_name}"

    # --- the mirror (WBN-2) -----------------------------------------------------------------------

    def _mirror(self, stack: Stack, key: kms.IKey, role: iam.Role) -> None:
        codeartifact_endpoints = [
            self.endpoints["codeartifact.api"].vpc_endpoint_id,
            self.endpoints["codeartifact.repositories"].vpc_endpoint_id,
        ]

        def fence(reads: Sequence[str]) -> list[iam.PolicyStatement]:
            return [
                iam.PolicyStatement(
                    sid="OnlyTheRoomsWorkbenchRole",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(reads),
                    resources=["*"],
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": self.execution_role_arn}},
                ),
                iam.PolicyStatement(
                    sid="OnlyThroughTheRoomsEndpoints",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(reads),
                    resources=["*"],
                    conditions={"StringNotEquals": {"aws:SourceVpce": codeartifact_endpoints}},
                ),
                iam.PolicyStatement(
                    sid="TheRoomsWorkbenchRoleReads",
                    principals=[iam.ArnPrincipal(self.execution_role_arn)],
                    actions=list(reads),
                    resources=["*"],
                    conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}},
                ),
            ]

        self.domain = codeartifact.CfnDomain(
            self,
            "Domain",
            domain_name=self.domain_name,
            encryption_key=key.key_arn,
            permissions_policy_document=iam.PolicyDocument(
                statements=fence(["codeartifact:GetAuthorizationToken"])
            ).to_json(),
        )
        self.repository = codeartifact.CfnRepository(
            self,
            "Repository",
            domain_name=self.domain.attr_name,
            domain_owner=self.domain.attr_owner,
            repository_name=REPOSITORY,
            description=f"dataroom {self.room_name}: the allow-listed mirror of PyPI",
            external_connections=[PYPI],
            permissions_policy_document=iam.PolicyDocument(
                statements=fence(REPOSITORY_READS)
            ).to_json(),
        )
        restricted = codeartifact.CfnPackageGroup.RestrictionTypeProperty
        # PyPI is the only upstream; blocking it for every PyPI package is blocking it.
        self.package_groups = {
            "/pypi/*": codeartifact.CfnPackageGroup(
                self,
                "BlockPyPI",
                domain_name=self.domain.attr_name,
                domain_owner=self.domain.attr_owner,
                pattern="/pypi/*",
                description="dataroom: no PyPI package unless the manifest allows it",
                origin_configuration=codeartifact.CfnPackageGroup.OriginConfigurationProperty(
                    restrictions=codeartifact.CfnPackageGroup.RestrictionsProperty(
                        external_upstream=restricted(restriction_mode="BLOCK"),
                        internal_upstream=restricted(restriction_mode="BLOCK"),
                        publish=restricted(restriction_mode="BLOCK"),
                    )
                ),
            )
        }
        for name in self.packages:
            pattern = f"/pypi//{name}$"
            group = codeartifact.CfnPackageGroup(
                self,
                f"Allow-{name}",
                domain_name=self.domain.attr_name,
                domain_owner=self.domain.attr_owner,
                pattern=pattern,
                description=f"dataroom: {name} is on the room's allow-list",
                origin_configuration=codeartifact.CfnPackageGroup.OriginConfigurationProperty(
                    restrictions=codeartifact.CfnPackageGroup.RestrictionsProperty(
                        external_upstream=restricted(restriction_mode="ALLOW"),
                        internal_upstream=restricted(restriction_mode="BLOCK"),
                        publish=restricted(restriction_mode="BLOCK"),
                    )
                ),
            )
            # A package group's parent must exist first.
            group.node.add_dependency(self.package_groups["/pypi/*"])
            self.package_groups[pattern] = group

        repository_arn = stack.format_arn(
            service="codeartifact",
            resource="repository",
            resource_name=f"{self.domain_name}/{REPOSITORY}",
        )
        domain_arn = stack.format_arn(
            service="codeartifact", resource="domain", resource_name=self.domain_name
        )
        self.access_policy = iam.ManagedPolicy(
            self,
            "Access",
            description=f"dataroom {self.room_name}: the workbench's notebooks and package mirror",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="MirrorToken",
                    actions=["codeartifact:GetAuthorizationToken"],
                    resources=[domain_arn],
                ),
                iam.PolicyStatement(
                    sid="MirrorReads",
                    actions=[
                        "codeartifact:ReadFromRepository",
                        "codeartifact:GetRepositoryEndpoint",
                    ],
                    resources=[repository_arn],
                ),
                iam.PolicyStatement(
                    # GetServiceBearerToken supports no resource; the condition names the service.
                    sid="MirrorBearerToken",
                    actions=["sts:GetServiceBearerToken"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}
                    },
                ),
                iam.PolicyStatement(
                    sid="NotebookLogs",
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[
                        stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="/aws/sagemaker/NotebookInstances:*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                ),
            ],
        )
        key.grant_decrypt(role)

    # --- guardrails (WBN-1, WBN-4) ----------------------------------------------------------------

    def _guardrails(self, stack: Stack, boundary: iam.ManagedPolicy, key: kms.IKey) -> None:
        role = self.execution_role
        arns = {user: self.notebook_arn(user) for user in self.users}
        role.assume_role_policy.add_statements(  # type: ignore[union-attr]
            iam.PolicyStatement(
                sid="SageMakerRunsTheRoomsNotebooks",
                actions=["sts:AssumeRole"],
                principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        statements = [
            iam.PolicyStatement(
                sid="SeeTheRoomsNotebooks",
                actions=["sagemaker:DescribeNotebookInstance"],
                resources=list(arns.values()),
            ),
            iam.PolicyStatement(
                # The notebook stops itself when idle (WBN-3); a scientist may stop any.
                sid="StopTheRoomsNotebooks",
                actions=["sagemaker:StopNotebookInstance"],
                resources=list(arns.values()),
            ),
        ]
        for user, arn in arns.items():
            statements.append(
                iam.PolicyStatement(
                    # Only a scientist session whose source identity is the notebook's user.
                    sid=f"Open{_sid(notebook_slug(user))}",
                    actions=["sagemaker:StartNotebookInstance", PRESIGNED_URL],
                    resources=[arn],
                    conditions={"StringEquals": {"aws:SourceIdentity": user}},
                )
            )
        statements.append(self.presigned_url_fence("WorkbenchOnlyFromTheRoomsPath"))
        for statement in statements:
            self.access_policy.add_statements(statement)

        # The settings are checked by a Deny policy on the one role the boundary lets create
        # notebooks: the boundary is one managed policy of at most 6,144 characters, shared by
        # every control of the room, and the settings' conditions alone take half of that.
        self.guardrails = iam.ManagedPolicy(
            self,
            "Guardrails",
            description=f"dataroom {self.room_name}: notebooks only inside the glovebox (WBN-1)",
            roles=[role],
            statements=self.setting_statements(key),
        )
        boundary.add_statements(*self.boundary_statements())

    def presigned_url_fence(self, sid: str) -> iam.PolicyStatement:
        """WBN-4: no notebook URL but through the room's API endpoint or from access_cidrs."""
        conditions: dict[str, dict[str, object]] = {
            "StringNotEquals": {"aws:SourceVpce": self.api_endpoint.vpc_endpoint_id}
        }
        if self.access_cidrs:
            conditions["NotIpAddressIfExists"] = {"aws:SourceIp": list(self.access_cidrs)}
        return iam.PolicyStatement(
            sid=sid,
            effect=iam.Effect.DENY,
            actions=[PRESIGNED_URL],
            resources=["*"],
            conditions=conditions,
        )

    def boundary_statements(self) -> list[iam.PolicyStatement]:
        """The room boundary's workbench statements (WBN-1, WBN-4), for every room role."""
        return [
            iam.PolicyStatement(
                sid="WbnOnlyTheWorkbenchRole",
                effect=iam.Effect.DENY,
                actions=[CREATE, UPDATE],
                resources=["*"],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": self.execution_role_arn}},
            ),
            iam.PolicyStatement(
                sid="WbnNoStudioNoScripts",
                effect=iam.Effect.DENY,
                actions=list(STUDIO_AND_LIFECYCLE),
                resources=["*"],
            ),
            self.presigned_url_fence("WbnUrlPath"),
        ]

    def setting_statements(self, key: kms.IKey) -> list[iam.PolicyStatement]:
        """What no notebook may be (WBN-1): the Deny statements of the workbench role."""

        def deny(
            sid: str, actions: Sequence[str], conditions: dict[str, object]
        ) -> iam.PolicyStatement:
            return iam.PolicyStatement(
                sid=sid,
                effect=iam.Effect.DENY,
                actions=list(actions),
                resources=["*"],
                conditions=conditions,
            )

        # A key absent from CreateNotebookInstance means SageMaker's default, which is the open
        # setting (internet, root, no key, no VPC, IMDSv1): negated operators match absent keys.
        return [
            deny(
                "NoInternet",
                [CREATE],
                {"StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}},
            ),
            deny("NoRoot", [CREATE], {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}}),
            deny("NoRootLater", [UPDATE], {"StringEquals": {"sagemaker:RootAccess": "Enabled"}}),
            deny("RoomKey", [CREATE], {"ArnNotEquals": {"sagemaker:VolumeKmsKeyArn": key.key_arn}}),
            deny("InAVpc", [CREATE], {"Null": {"sagemaker:VpcSubnets": "true"}}),
            deny(
                "RoomSubnets",
                [CREATE],
                {"ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": self.subnet_ids}},
            ),
            deny(
                "AllowListedTypes",
                [CREATE, UPDATE],
                {
                    "ForAnyValue:StringNotEquals": {
                        "sagemaker:InstanceTypes": list(self.instance_types)
                    }
                },
            ),
            deny(
                "ImdsV2",
                [CREATE],
                {"StringNotEquals": {"sagemaker:MinimumInstanceMetadataServiceVersion": "2"}},
            ),
            deny(
                "WithLifecycle",
                [CREATE],
                {"Null": {"sagemaker:NotebookInstanceLifecycleConfigArns": "true"}},
            ),
            deny(
                "RoomLifecycle",
                [CREATE, UPDATE],
                {
                    "ForAnyValue:ArnNotEquals": {
                        "sagemaker:NotebookInstanceLifecycleConfigArns": self.lifecycle_config_arn
                    }
                },
            ),
        ]

    # --- the lifecycle script -------------------------------------------------------------------

    def on_start_script(self, account: str, region: str, constraints: Sequence[str]) -> str:
        """The OnStart script, assembled from the package's script files (may contain tokens)."""
        script = (SCRIPTS_DIR / "on_start.sh").read_text(encoding="utf-8")
        parts = {
            "@@PIP_CONFIG@@": (SCRIPTS_DIR / "pip_config.sh").read_text(encoding="utf-8").rstrip(),
            "@@AUTOSTOP@@": (SCRIPTS_DIR / "autostop.py").read_text(encoding="utf-8").rstrip(),
            "@@DOMAIN@@": self.domain_name,
            "@@DOMAIN_OWNER@@": account,
            "@@REPOSITORY@@": REPOSITORY,
            "@@REGION@@": region,
            "@@IDLE_MINUTES@@": str(self.idle_stop_minutes),
            "@@CONSTRAINTS@@": "\n".join(constraints),
        }
        for placeholder, value in parts.items():
            script = script.replace(placeholder, value)
        return script

    # --- validation -----------------------------------------------------------------------------

    def _validate(
        self,
        users: Sequence[str],
        instance_types: Sequence[str],
        instance_type: str,
        volume_size_gb: int,
        idle_stop_minutes: int,
        access_cidrs: Sequence[str],
    ) -> None:
        problems = []
        if not users:
            problems.append("users=[]: expected at least one user (one notebook each)")
        slugs = [notebook_slug(u) for u in users]
        if len(set(slugs)) != len(slugs):
            problems.append(f"users={list(users)!r}: expected distinct notebook names, got {slugs}")
        if instance_type not in instance_types:
            problems.append(
                f"instance_type={instance_type!r}: expected one of instance_types "
                f"{list(instance_types)}"
            )
        low, high = VOLUME_SIZE_GB
        if not low <= volume_size_gb <= high:
            problems.append(f"volume_size_gb={volume_size_gb}: expected {low} to {high}")
        low, high = IDLE_STOP_MINUTES
        if not low <= idle_stop_minutes <= high:
            problems.append(f"idle_stop_minutes={idle_stop_minutes}: expected {low} to {high}")
        for cidr in access_cidrs:
            try:
                net = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                problems.append(f"access_cidrs: {cidr!r}: expected an IPv4 CIDR block")
                continue
            if net.prefixlen < MIN_ACCESS_PREFIX:
                problems.append(
                    f"access_cidrs: {cidr!r}: expected /{MIN_ACCESS_PREFIX} or narrower"
                )
        if problems:
            raise ValueError(f"{self.node.path}: " + "; ".join(problems))


def _sid(text: str) -> str:
    return "".join(part.capitalize() for part in text.split("-") if part.isalnum())


def no_workbench_statement() -> iam.PolicyStatement:
    """The boundary statement of a room without a workbench: no notebook, Studio or URL at all."""
    return iam.PolicyStatement(
        sid="WbnNoWorkbench",
        effect=iam.Effect.DENY,
        actions=[CREATE, UPDATE, PRESIGNED_URL, *STUDIO_AND_LIFECYCLE],
        resources=["*"],
    )


@jsii.implements(IAspect)
class _NotebooksAfterEndpoints:
    """Makes every notebook depend on every VPC endpoint of the glovebox, whenever added."""

    def __init__(self, notebooks: list[CfnResource]) -> None:
        self._notebooks = notebooks

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, ec2.CfnVPCEndpoint):
            for notebook in self._notebooks:
                notebook.node.add_dependency(node)
