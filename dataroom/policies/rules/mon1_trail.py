"""MON-1/MON-2/DRF-2: a trail validates, encrypts and ships its logs at least as production does."""

from __future__ import annotations

from typing import Any

from dataroom.controls.storage import OBJECT_LOCK_MODE
from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def _retention(ctx: RuleContext) -> dict[str, Any]:
    bucket = ctx.properties.get("S3BucketName", {})
    bucket_id = bucket.get("Ref") if isinstance(bucket, dict) else None
    props = ctx.template["Resources"].get(bucket_id, {}).get("Properties", {})
    lock = props.get("ObjectLockConfiguration", {})
    return dict(lock.get("Rule", {}).get("DefaultRetention", {}))


def _lock_days(retention: dict[str, Any]) -> int | None:
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
    if props.get("IncludeGlobalServiceEvents") in (False, "false"):
        findings.append("global service events (IAM, STS): room=off production=on")
    retention = _retention(ctx)
    days = _lock_days(retention)
    if days is None or days < baseline.object_lock_days:
        findings.append(f"object lock: room={days or 0}d production={baseline.object_lock_days}d")
    if days is not None and retention.get("Mode") != OBJECT_LOCK_MODE:
        findings.append(
            f"object lock mode: room={retention.get('Mode')} production={OBJECT_LOCK_MODE} "
            "(any other mode lets a privileged principal shorten it)"
        )
    return findings


RULE = Rule(
    rule_id="MON1Trail",
    control="MON-1",
    info="A trail is weaker than production's: not logging, not validated, not encrypted, not "
    "sent to CloudWatch Logs, single-region, without global events, or its logs are locked for "
    "less time or not in compliance mode.",
    explanation="The trail is the record a security review and an incident rely on; it is held "
    "to the production baseline (both values are named).",
    resource_types=frozenset({"AWS::CloudTrail::Trail"}),
    check=check,
    never_suppressible=True,
)
