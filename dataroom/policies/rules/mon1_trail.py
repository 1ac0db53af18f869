"""MON-1/MON-2/DRF-2: a trail validates, encrypts and ships its logs at least as production does."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def _lock_days(ctx: RuleContext) -> int | None:
    bucket = ctx.properties.get("S3BucketName", {})
    bucket_id = bucket.get("Ref") if isinstance(bucket, dict) else None
    props = ctx.template["Resources"].get(bucket_id, {}).get("Properties", {})
    retention = props.get("ObjectLockConfiguration", {}).get("Rule", {}).get("DefaultRetention", {})
    if "Days" in retention:
        return int(retention["Days"])
    if "Years" in retention:
        return int(retention["Years"]) * 365
    return None


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    baseline = ctx.baseline.trail
    findings = []
    if props.get("IsLogging") is not True:
        findings.append("not logging")
    if baseline.log_file_validation and props.get("EnableLogFileValidation") is not True:
        findings.append("log-file validation: room=off production=on")
    if baseline.kms_encrypted and not props.get("KMSKeyId"):
        findings.append("encryption: room=none production=KMS")
    if baseline.cloudwatch_logs and not props.get("CloudWatchLogsLogGroupArn"):
        findings.append("CloudWatch Logs delivery: room=off production=on")
    if ctx.kind == "room" and baseline.multi_region and props.get("IsMultiRegionTrail") is not True:
        findings.append("multi-region: room=off production=on")
    days = _lock_days(ctx)
    if days is None or days < baseline.object_lock_days:
        findings.append(f"object lock: room={days or 0}d production={baseline.object_lock_days}d")
    return findings


RULE = Rule(
    rule_id="MON1Trail",
    control="MON-1",
    info="A trail is weaker than production's: not logging, not validated, not encrypted, not "
    "sent to CloudWatch Logs, single-region, or its logs are locked for less time.",
    explanation="The trail is the record a security review and an incident rely on; it is held "
    "to the production baseline (both values are named).",
    resource_types=frozenset({"AWS::CloudTrail::Trail"}),
    check=check,
    never_suppressible=True,
)
