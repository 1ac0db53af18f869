"""CHG-1: the room VPC carries the room's change record as tags, consistent with the room.

Room, ticket, phase, owner, approvers and hypothesis are tags on every taggable resource of a room
(the expiry on what it governs: LCY-1 judges it). Judged on the VPC, the one resource every room
has: each tag present and non-empty, and the room and phase tags equal to what the room's
template metadata declares. The lifecycle's freeze finds the room's notebooks by the room tag.
"""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict, tags

#: The CHG-1 tags every room resource carries (the expiry is LCY-1's).
CHANGE_TAGS = (
    "dataroom:room",
    "dataroom:ticket",
    "dataroom:phase",
    "dataroom:owner",
    "dataroom:approvers",
    "dataroom:hypothesis",
)


def check(ctx: RuleContext) -> Verdict:
    found = tags(ctx.resource)
    findings = [f"no {key} tag" for key in CHANGE_TAGS if not str(found.get(key, "")).strip()]
    declared = ctx.metadata
    for key, field in (("dataroom:room", "room"), ("dataroom:phase", "phase")):
        if found.get(key) and declared.get(field) and found[key] != declared[field]:
            findings.append(f"{key} is {found[key]!r}, the room is {declared[field]!r}")
    return findings or True


RULE = Rule(
    rule_id="CHG1RoomTags",
    control="CHG-1",
    info="The room VPC lacks a change-record tag (room, ticket, phase, owner, approvers, "
    "hypothesis), or one contradicts the room.",
    explanation="Every room resource says which approved room, ticket and owner it belongs to; "
    "reviews, costs and the lifecycle's freeze find the room's resources by these tags.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
