"""A narrow permissions boundary for aws-cdk-lib's restrict-default-security-group provider.

``ec2.Vpc(restrict_default_security_group=True)`` adds a provider whose role revokes the default
group's rules on create and re-authorizes them on delete. The room boundary denies security
group changes (IAM-5), which would leave the stack stuck in DELETE_FAILED, so the provider role
gets this boundary instead: the four ingress/egress calls on the VPC's default security group
and its own logs, nothing else. Every role of a room then has a boundary, without exception.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Stack, Token, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from dataroom.controls.network import RESTRICT_DEFAULT_SG_ACTIONS, RESTRICT_DEFAULT_SG_PROVIDER


class DefaultSecurityGroupProviderBoundary(Construct):
    """The boundary of the restrict-default-SG provider role of ``vpc``'s stack (NET-4, IAM-5).

    Applies itself to the provider when the stack has one (a VPC created with
    ``restrict_default_security_group``); ``applied`` says whether it did.

    :param vpc: the VPC whose default security group the provider strips.
    """

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.Vpc) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        group_arn = stack.format_arn(
            service="ec2",
            resource="security-group",
            resource_name=vpc.vpc_default_security_group,
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Resource",
            description="dataroom: boundary of CDK's restrict-default-security-group provider",
            statements=[
                iam.PolicyStatement(
                    sid="DefaultSecurityGroupRulesOnly",
                    actions=list(RESTRICT_DEFAULT_SG_ACTIONS),
                    resources=[group_arn],
                ),
                iam.PolicyStatement(
                    sid="OwnLogs",
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[
                        stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="/aws/lambda/*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                ),
            ],
        )
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:{_nag(stack.partition)}:logs:"
                f"{_nag(stack.region)}:{_nag(stack.account)}:log-group:/aws/lambda/*]",
                reason="A boundary, not a grant: CDK names the provider function, so its own "
                "log group is only known by prefix; the provider role's own policy decides, and "
                "this ceiling admits nothing but Lambda log writes in this account and region.",
            )
        )
        provider = stack.node.try_find_child(RESTRICT_DEFAULT_SG_PROVIDER)
        self.applied = provider is not None
        if provider is not None:
            # Replaces the room boundary the stack-wide aspect would give it (the nearest wins).
            iam.PermissionsBoundary.of(provider).apply(self.policy)


def _nag(value: str) -> str:
    """``value`` as cdk-nag spells it in a finding id (a pseudo parameter when unresolved)."""
    if not Token.is_unresolved(value):
        return value
    return {"Partition": "<AWS::Partition>", "Region": "<AWS::Region>"}.get(
        next((k for k in ("Partition", "Region") if k in value), ""), "<AWS::AccountId>"
    )
