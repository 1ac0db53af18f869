"""A control-plane role's grant, capped by a boundary of the very same statements."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

__all__ = ["grant_within_own_boundary"]


def grant_within_own_boundary(
    scope: Construct,
    role: iam.IRole,
    statements: Sequence[iam.PolicyStatement],
    *,
    permissions_id: str,
    boundary_id: str,
    boundary_description: str,
    attach_from_policy: bool = False,
) -> tuple[iam.ManagedPolicy, iam.ManagedPolicy]:
    """Grant ``statements`` to ``role`` as a managed policy, and make a managed policy of the
    same statements its permissions boundary: the role's ceiling equals its grant, so nothing
    granted to it elsewhere (an inline policy, aws-cdk-lib's own grants beyond these) takes
    effect. The remediation function, the lifecycle's freeze and budget action, and the
    airlock's scanner are built this way; the room boundary could not serve them, as it denies
    what they exist to do (restoring guardrails, attaching the freeze policy).

    :param attach_from_policy: attach from the policy's side (its ``Roles``) rather than the
        role's ``ManagedPolicyArns`` (for a role whose policy list must stay as built).
    :returns: the permissions policy and the boundary policy.
    """
    if attach_from_policy:
        permissions = iam.ManagedPolicy(
            scope, permissions_id, statements=list(statements), roles=[role]
        )
    else:
        permissions = iam.ManagedPolicy(scope, permissions_id, statements=list(statements))
        role.add_managed_policy(permissions)
    boundary = iam.ManagedPolicy(
        scope, boundary_id, description=boundary_description, statements=list(statements)
    )
    iam.PermissionsBoundary.of(role).apply(boundary)
    return permissions, boundary
