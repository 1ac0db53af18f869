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


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _selector_findings(props: dict[str, Any]) -> list[str]:
    """What the event selectors leave out of management events (none: every read and write)."""
    findings = []
    for index, selector in enumerate(props.get("EventSelectors") or []):
        if not isinstance(selector, dict):
            continue
        if _is_false(selector.get("IncludeManagementEvents", True)):
            findings.append(f"event selector {index}: management events excluded")
        read_write = selector.get("ReadWriteType", "All")
        if read_write != "All":
            findings.append(f"event selector {index}: ReadWriteType={read_write} (expected All)")
        if selector.get("ExcludeManagementEventSources"):
            findings.append(
                f"event selector {index}: management events of "
                f"{selector['ExcludeManagementEventSources']} excluded"
            )
    advanced = [s for s in props.get("AdvancedEventSelectors") or [] if isinstance(s, dict)]
    if advanced:
        # With advanced selectors, management events are logged only by a selector that matches
        # eventCategory Management and filters it no further (no readOnly, no eventSource).
        whole = False
        for selector in advanced:
            fields = [f for f in selector.get("FieldSelectors") or [] if isinstance(f, dict)]
            category = [f for f in fields if f.get("Field") == "eventCategory"]
            if not any("Management" in (f.get("Equals") or []) for f in category):
                continue
            others = [f for f in fields if f.get("Field") != "eventCategory"]
            if not others and all(set(f) == {"Field", "Equals"} for f in category):
                whole = True
            else:
                findings.append(
                    f"advanced event selector {selector.get('Name', '')!r}: management events "
                    "filtered (readOnly, eventSource or other field)"
                )
        if not whole:
            findings.append("advanced event selectors: no selector logs all management events")
    return findings


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
    findings.extend(_selector_findings(props))
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
    "sent to CloudWatch Logs, single-region, without global events, leaves out management events "
    "(read or write), or its logs are locked for less time or not in compliance mode.",
    explanation="The trail is the record a security review and an incident rely on; it is held "
    "to the production baseline (both values are named).",
    resource_types=frozenset({"AWS::CloudTrail::Trail"}),
    check=check,
    never_suppressible=True,
)
