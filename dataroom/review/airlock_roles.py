"""The airlock's roles as the review reads them (EXP-1): kept apart from ``airlock`` so the access
graph can tell the airlock's internal trust without importing the airlock's detectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroom.policies.rules.base import tags
from dataroom.policies.rules.exp_airlock_policy import ROLE_TAG

if TYPE_CHECKING:
    from dataroom.review.assembly import StackTemplate


def tagged(stack: StackTemplate, kind: str, tag: str, value: str) -> str | None:
    """The first resource of ``kind`` whose ``tag`` is ``value``."""
    for lid, resource in stack.resources(kind):
        if tags(resource).get(tag) == value:
            return lid
    return None


def airlock_internal_trust(stack: StackTemplate, role: str, principal: str) -> bool:
    """Whether ``role`` is the airlock's release role and ``principal`` its state machine's role.

    That trust is no way into the room: the pipeline role is assumable by Step Functions of the
    room account only, and it assumes the release role for the release step alone. EXP-1 checks
    the release role trusts nothing else.
    """
    resources = stack.resources_by_id
    pipeline = tagged(stack, "AWS::IAM::Role", ROLE_TAG, "pipeline")
    return (
        tags(resources.get(role, {})).get(ROLE_TAG) == "release"
        and pipeline is not None
        and principal == stack.role_arn(pipeline)
    )
