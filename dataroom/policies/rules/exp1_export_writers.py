"""EXP-1: an airlock's export bucket is writable by its release role and by nobody else."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.exp_airlock_policy import (
    airlock_kind,
    applies_to_everyone,
    bucket_statements,
    covers_actions,
    covers_objects,
    role_kind,
    spared_roles,
)

#: Writes the release role alone may make (objects and their tags).
WRITES = ("s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:RestoreObject")


def check(ctx: RuleContext) -> Verdict:
    if airlock_kind(ctx) != "export":
        return None
    reasons = []
    for statement in bucket_statements(ctx):
        if statement.get("Effect") != "Deny" or not applies_to_everyone(statement):
            continue
        if covers_actions(statement, WRITES) or not covers_objects(ctx, statement):
            continue
        roles, other = spared_roles(statement)
        if all(r.startswith("?") for r in roles):
            continue  # not about the room's writers (the TLS-only or the perimeter deny)
        kinds = [role_kind(ctx, r) for r in roles]
        if other:
            reasons.append(f"the write deny is narrowed by {other}")
        elif kinds != ["release"]:
            reasons.append(f"the write deny spares {roles} (expected the release role only)")
        else:
            return True
    return reasons or [
        "no statement denies writes (" + ", ".join(WRITES) + ") to everyone but the release role"
    ]


RULE = Rule(
    rule_id="EXP1ExportWriters",
    control="EXP-1",
    info="The airlock's export bucket is writable by someone other than its release role.",
    explanation="Results leave a room only through the airlock: the release role copies approved, "
    "scanned versions into the export bucket, and no other principal may write there.",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
