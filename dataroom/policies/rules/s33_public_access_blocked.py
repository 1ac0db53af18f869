"""S3-3: every bucket blocks all public access and disables ACLs."""

from __future__ import annotations

from dataroom.controls.storage import ACLS_DISABLED, PUBLIC_ACCESS_FLAGS
from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    block = props.get("PublicAccessBlockConfiguration", {})
    findings = [
        f"{flag} is not true" for flag in PUBLIC_ACCESS_FLAGS if block.get(flag) is not True
    ]
    rules = props.get("OwnershipControls", {}).get("Rules", [])
    if not any(r.get("ObjectOwnership") == ACLS_DISABLED for r in rules):
        findings.append("ACLs are not disabled (ObjectOwnership BucketOwnerEnforced)")
    return findings


RULE = Rule(
    rule_id="S33PublicAccessBlocked",
    control="S3-3",
    info="A bucket does not block all public access, or still honours ACLs.",
    explanation="No room or production-access bucket is ever public; ACLs are a second, "
    "unreviewed way to share objects.",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
    never_suppressible=True,
)
