"""S3-1: every bucket in a guarded account keeps its object versions (results and logs survive)."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    status = ctx.properties.get("VersioningConfiguration", {}).get("Status")
    return True if status == "Enabled" else [f"versioning {status or 'off'}"]


RULE = Rule(
    rule_id="S31BucketVersioning",
    control="S3-1",
    info="A bucket does not keep object versions.",
    explanation="End results and logs must survive an overwrite or a delete; versioning is what "
    "makes the retained bucket's content retained too.",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
    never_suppressible=True,
    guarded_only=True,
)
