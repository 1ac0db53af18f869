"""S3-4: every bucket logs access, except the buckets access logs are delivered to."""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import refers_to


def is_log_target(ctx: RuleContext) -> bool:
    """Whether another bucket of the template delivers its access logs to this one."""
    for _, bucket in ctx.resources("AWS::S3::Bucket"):
        logging: Any = bucket.get("Properties", {}).get("LoggingConfiguration", {})
        if refers_to(logging.get("DestinationBucketName"), ctx.logical_id):
            return True
    return False


def check(ctx: RuleContext) -> Verdict:
    if ctx.properties.get("LoggingConfiguration", {}).get("DestinationBucketName"):
        return True
    return True if is_log_target(ctx) else ["no server access logging"]


RULE = Rule(
    rule_id="S34AccessLogging",
    control="S3-4",
    info="A bucket does not log access (and is not itself an access-log destination).",
    explanation="Access logs attribute every request to a room bucket, including the ones "
    "CloudTrail data events do not cover (e.g. refused requests).",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
    never_suppressible=True,
    guarded_only=True,
)
