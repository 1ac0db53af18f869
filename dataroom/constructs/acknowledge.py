"""How a construct acknowledges the nag findings it raises by design, with the reason.

Each construct of :mod:`dataroom.constructs` calls :func:`acknowledge` on the one child that raises
a finding, so a team that uses the construct in its own app (with the dataroom gate or
:class:`dataroom.ProductionBaseline`) needs no copy of our acknowledgements, and the same finding
on any other resource still fails synthesis.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

#: cdk-nag 3 rule ids as CDK's validation report names them.
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
SOLUTIONS = "AwsSolutions::AwsSolutions-"

INLINE_ON_PURPOSE = (
    "The policy belongs to this one role and is deleted with it; an inline policy cannot be "
    "attached to another principal by mistake, which is what a room's grant must guarantee."
)
NO_REPLICATION = (
    "Room data is production-derived and must stay in the room's account and region; replication "
    "would create a second copy outside the glovebox's perimeter and review. Durability comes from "
    "S3 itself, versioning and a retain-on-delete policy."
)
ACCESS_LOGS_SSE_S3 = (
    "S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS (an "
    "AWS limitation); this bucket holds only access logs, uses SSE-S3, blocks public access and "
    "admits principals of its own account only."
)


def acknowledge(construct: IConstruct, *findings: tuple[str, str]) -> None:
    """Acknowledge ``(rule id, reason)`` pairs on ``construct`` only."""
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=reason) for rule, reason in findings)
    )


def nag_text(stack: Stack, value: Any) -> str:
    """A value as cdk-nag writes it in a finding id: literals as-is, ``Ref`` as ``<Name>``.

    The partition, region and account of a stack are literals or pseudo parameters depending on
    the app's environment and feature flags; the finding id follows, so ours must too.
    """
    resolved = stack.resolve(value)
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        target, attribute = resolved["Fn::GetAtt"]
        return f"<{target}.{attribute}>"
    raise ValueError(f"cannot render {resolved!r} as a cdk-nag finding id")


def arn_prefix(stack: Stack, service: str, *, region: bool = True) -> str:
    """``arn:<partition>:<service>:<region>:<account>:`` as cdk-nag writes it for ``stack``."""
    partition = nag_text(stack, stack.partition)
    where = nag_text(stack, stack.region) if region else ""
    return f"arn:{partition}:{service}:{where}:{nag_text(stack, stack.account)}:"


#: aws-cdk-lib's flag: server access logs are admitted by the target bucket's policy, not an ACL.
ACCESS_LOGS_BY_POLICY_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def use_bucket_policy_for_access_logs(construct: IConstruct) -> None:
    """Admit server access logs by bucket policy in ``construct``'s subtree, whatever the app says.

    Our log buckets disable ACLs (``BUCKET_OWNER_ENFORCED``), so the ACL aws-cdk-lib grants
    without this flag fails synthesis. Call it first thing in ``__init__``: context can only be
    set on a construct that has no children yet.
    """
    construct.node.set_context(ACCESS_LOGS_BY_POLICY_FLAG, True)
