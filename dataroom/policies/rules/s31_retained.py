"""S3-1/MON-1: buckets, log groups and keys survive the room's teardown."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    findings = []
    for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
        if ctx.resource.get(attribute) != "Retain":
            findings.append(f"{attribute}={ctx.resource.get(attribute, 'Delete')}, expected Retain")
    return findings


RULE = Rule(
    rule_id="S31Retained",
    control="S3-1",
    info="A bucket, log group or key would be deleted with the stack.",
    explanation="End results, audit logs and the key that decrypts them outlive the room: "
    "tearing a room down must never lose evidence or results.",
    resource_types=frozenset({"AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::KMS::Key"}),
    check=check,
)
