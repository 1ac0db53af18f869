"""The room's resource perimeter (PER-2) in its permission boundary, and endpoint-pinned grants."""

from __future__ import annotations

import json

import jsii
from aws_cdk import AspectPriority, Aspects, CfnResource, IAspect, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import IConstruct, IValidation

from dataroom.policies.data_perimeter import (
    MANAGED_POLICY_MAX_CHARS,
    QUERIES_OUTSIDE_THE_WORKGROUP_SID,
    QUERY_RUNNING_ACTIONS,
    WAYS_OUT,
    WRITES_OUTSIDE_THE_ACCOUNT,
    WRITES_OUTSIDE_THE_ACCOUNT_SID,
)


def perimeter_statements(*, account: str, workgroup_arn: str) -> list[iam.PolicyStatement]:
    """The PER-2 statements of a room's permission boundary, one per way out (see the Sids).

    Appended to the boundary, after its IAM-5 statements, so whatever a room role is granted
    later it cannot share, export, subscribe or write anything outside ``account``, and runs
    queries only in the workgroup ``workgroup_arn`` (whose enforced settings keep results in
    the room).
    """
    statements = [
        iam.PolicyStatement(
            sid=way.sid, effect=iam.Effect.DENY, actions=list(way.actions), resources=["*"]
        )
        for way in WAYS_OUT
    ]
    statements.append(
        iam.PolicyStatement(
            sid=WRITES_OUTSIDE_THE_ACCOUNT_SID,
            effect=iam.Effect.DENY,
            actions=list(WRITES_OUTSIDE_THE_ACCOUNT),
            resources=["*"],
            # No aws:ViaAWSService exemption on purpose: Athena writes query output with the
            # caller's own permissions, and that is the write this statement must stop.
            conditions={"StringNotEquals": {"aws:ResourceAccount": account}},
        )
    )
    statements.append(
        iam.PolicyStatement(
            sid=QUERIES_OUTSIDE_THE_WORKGROUP_SID,
            effect=iam.Effect.DENY,
            actions=list(QUERY_RUNNING_ACTIONS),
            # The primary workgroup (no enforced output location) and any other are refused.
            not_resources=[workgroup_arn],
        )
    )
    return statements


def add_room_perimeter(boundary: iam.ManagedPolicy, *, workgroup_arn: str) -> None:
    """Append the PER-2 statements to ``boundary`` (a room's permission boundary policy).

    Also refuses to synthesize a boundary larger than AWS accepts for a managed policy
    (:class:`BoundaryFits`): every statement added to the boundary spends the same budget.
    """
    boundary.add_statements(
        *perimeter_statements(account=Stack.of(boundary).account, workgroup_arn=workgroup_arn)
    )
    boundary.node.add_validation(BoundaryFits(boundary))


@jsii.implements(IAspect)
class _AttachToEveryRole:
    """Attaches a policy to every role of the scope it visits, present and future."""

    def __init__(self, policy: iam.ManagedPolicy) -> None:
        self._policy = policy
        self._attached: set[str] = set()

    def visit(self, node: IConstruct) -> None:
        # Every AWS::IAM::Role resource: the L1 of an iam.Role and the raw role of a
        # CustomResourceProvider (aws-cdk-lib's restrict-default-SG provider) alike.
        if not isinstance(node, CfnResource) or node.cfn_resource_type != "AWS::IAM::Role":
            return
        if node.node.path in self._attached:
            return
        self._attached.add(node.node.path)
        role = iam.Role.from_role_name(
            self._policy, f"Attached{len(self._attached)}", node.ref, mutable=False
        )
        self._policy.attach_to_role(role)


def attach_to_every_role(policy: iam.ManagedPolicy) -> iam.ManagedPolicy:
    """Attach ``policy`` (a deny-only guardrail) to every role of its stack, as an aspect.

    Attached from the policy's side (its ``Roles``), so a role's own ``ManagedPolicyArns`` stay
    exactly what its construct granted.
    """
    Aspects.of(Stack.of(policy)).add(_AttachToEveryRole(policy), priority=AspectPriority.MUTATING)
    return policy


@jsii.implements(IValidation)
class BoundaryFits:
    """IAM refuses a managed policy over 6,144 characters (whitespace not counted): the deploy
    would fail late, in CloudFormation. The count is of the synthesized document, whose
    intrinsics (``Fn::Join`` of the partition) are a little longer than the deployed text."""

    def __init__(self, policy: iam.ManagedPolicy) -> None:
        self._policy = policy

    def validate(self) -> list[str]:
        document = Stack.of(self._policy).resolve(self._policy.document)
        size = len("".join(json.dumps(document, separators=(",", ":")).split()))
        if size <= MANAGED_POLICY_MAX_CHARS:
            return []
        return [
            f"IAM-5/PER-2: the permission boundary is {size} characters; IAM accepts at most "
            f"{MANAGED_POLICY_MAX_CHARS} for a managed policy. Merge or shorten statements "
            "(action wildcards) before adding more (docs/perimeter.md, 'Boundary budget')."
        ]


def grant_secret_read_through_endpoint(
    secret: secretsmanager.Secret,
    grantee: iam.IGrantable,
    *,
    endpoint: ec2.IVpcEndpoint,
    key: kms.IKey,
) -> iam.Grant:
    """Read ``secret`` only through the room's Secrets Manager endpoint (PER-3, CHG-4).

    The identity grant requires the endpoint; the secret's own policy refuses reads from
    anywhere else, so a later, broader grant does not reopen it. Writing the value
    (``put-secret-value``) stays possible from outside the glovebox: that is how the owner sets
    the prior. Decryption is admitted only as Secrets Manager's call for the grantee.
    """
    stack = Stack.of(secret)
    through_endpoint = {"StringEquals": {"aws:SourceVpce": endpoint.vpc_endpoint_id}}
    grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        resource_arns=[secret.secret_arn],
        conditions=through_endpoint,
    )
    grant = grant.combine(
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:Decrypt"],
            resource_arns=[key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}
            },
        )
    )
    secret.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyReadsOutsideTheRoomsEndpoint",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["secretsmanager:GetSecretValue"],
            resources=["*"],
            conditions={
                "StringNotEquals": {"aws:SourceVpce": endpoint.vpc_endpoint_id},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
        )
    )
    return grant
