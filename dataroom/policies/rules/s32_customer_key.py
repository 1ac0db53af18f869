"""S3-2: data at rest is encrypted with a customer-managed key."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.s34_access_logging import is_log_target


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    kind = ctx.resource["Type"]
    if kind == "AWS::S3::Bucket":
        rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
        defaults = [r.get("ServerSideEncryptionByDefault", {}) for r in rules]
        if any(d.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and d.get("KMSMasterKeyID")
               for d in defaults):  # fmt: skip
            return True
        sse_s3 = any(d.get("SSEAlgorithm") == "AES256" for d in defaults)
        # S3 server access logging cannot deliver to SSE-KMS buckets: SSE-S3 is the strongest there.
        return sse_s3 and is_log_target(ctx)
    if kind == "AWS::Logs::LogGroup":
        return bool(props.get("KmsKeyId"))
    if kind == "AWS::SNS::Topic":
        master = props.get("KmsMasterKeyId")
        return bool(master) and master != "alias/aws/sns"
    if kind == "AWS::SQS::Queue":
        master = props.get("KmsMasterKeyId")
        return bool(master) and master != "alias/aws/sqs"
    return None


RULE = Rule(
    rule_id="S32CustomerKey",
    control="S3-2",
    info="A bucket, log group, topic or queue is not encrypted with a customer-managed KMS key.",
    explanation="Production-derived data and its logs are encrypted with a key whose policy the "
    "room controls and CloudTrail records; AWS-managed keys cannot be scoped or audited that way. "
    "Access-log buckets may use SSE-S3, the only encryption S3 access logging accepts.",
    resource_types=frozenset(
        {"AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::SNS::Topic", "AWS::SQS::Queue"}
    ),
    check=check,
)
