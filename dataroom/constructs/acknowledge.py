"""How a construct acknowledges the nag findings it raises by design, each with its reason.

Every construct of :mod:`dataroom.constructs` acknowledges its own by-design findings on the one
child that raises them (a bucket, a policy, a role), in ``__init__`` or in the method that
creates the resource. A team that uses the constructs in its own app (with
:class:`dataroom.ProductionBaseline` or the dataroom gate) needs no copy of our
acknowledgements, and the same finding on any other resource still fails synthesis.

Constructs import this module, never :mod:`dataroom.policies` (which may import constructs).
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

#: cdk-nag 3 rule ids as CDK's validation report names them (``<pack>::<pack>-<rule>``).
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
SOLUTIONS = "AwsSolutions::AwsSolutions-"

BOUNDARY_CEILING = (
    "This is a permissions boundary, not a grant: its Allow */* is the ceiling a boundary needs "
    "so that the role's own policies decide; it grants nothing by itself. Its Deny statements "
    "(IAM changes, egress, guardrail tampering) are the control."
)
INLINE_ON_PURPOSE = (
    "The policy belongs to this one role and is deleted with it; an inline policy cannot be "
    "attached to another principal by mistake, which is what a room's grant must guarantee."
)
#: Why room buckets are not replicated. Shared by the room's buckets, as the reason is the same.
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
    """Acknowledge ``(rule id, reason)`` pairs on ``construct`` (and its subtree) only."""
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=reason) for rule, reason in findings)
    )


def acknowledge_grantee(grantee: iam.IGrantable, *findings: tuple[str, str]) -> None:
    """Acknowledge a grant's by-design findings on its grantee, when it is a construct (a role
    of the app); a grant to a principal that is not one creates no policy here."""
    if Construct.is_construct(grantee):
        acknowledge(grantee, *findings)  # type: ignore[arg-type]


def nag_text(scope: IConstruct, value: Any) -> str:
    """``value`` (an ARN, a name) as cdk-nag writes it in a finding id, for ``scope``'s stack.

    The same flattening as cdk-nag's ``flattenCfnReference``: ``Ref`` becomes ``<Name>``,
    ``Fn::GetAtt`` ``<Name.Attribute>``, ``Fn::Join`` is joined. So an acknowledgement follows
    the app: ``aws`` or ``<AWS::Partition>`` depending on its feature flags, a literal account or
    ``<AWS::AccountId>`` depending on its stack's environment, a bucket's logical id as it is.
    """
    return _flatten(Stack.of(scope).resolve(value))


def _flatten(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            target, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(target)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flatten(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def wildcard_resource(scope: IConstruct, resource: Any) -> str:
    """The AwsSolutions-IAM5 rule id of a wildcard ``resource`` (an ARN, maybe a token)."""
    return f"{SOLUTIONS}IAM5[Resource::{nag_text(scope, resource)}]"
