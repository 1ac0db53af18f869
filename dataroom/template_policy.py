"""Small readers of synthesized CloudFormation and IAM JSON, shared by the rules and the review.

jsii-free: importing this never starts a node process.
"""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: IAM and CloudFormation accept one item where a list is meant."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (none when it is not one)."""
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def refers_to(value: Any, logical_id: str) -> bool:
    """Whether ``value`` is (or joins) a ``Ref``/``Fn::GetAtt`` of ``logical_id``."""
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and get_att[0] == logical_id:
            return True
        if isinstance(get_att, str) and get_att.split(".", 1)[0] == logical_id:
            return True
        return any(refers_to(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(refers_to(v, logical_id) for v in value)
    return False


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
