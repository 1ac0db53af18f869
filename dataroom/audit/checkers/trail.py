"""CloudTrail trails: MON-1 in a room, MON-2 in production (data events on the datasets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import StackAudit, flag
from dataroom.audit.errors import UnresolvableError, describe_error, error_code, raise_if_fatal
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_trail(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    control = "MON-1" if audit.room else "MON-2"
    kind = "AWS::CloudTrail::Trail"
    cloudtrail = audit.clients("cloudtrail")
    try:
        name = deployed.physical_id if deployed else audit.locate(logical_id)
    except (UnresolvableError, ClientError, BotoCoreError) as exc:
        raise_if_fatal(exc)
        reason = describe_error(exc) if isinstance(exc, ClientError) else str(exc)
        audit.add(control, logical_id, "", kind, "exists", "a trail", reason, "unverifiable")
        return
    if name is None:
        audit.add(control, logical_id, "", kind, "exists", "a trail", "not found", "missing")
        return
    target = (logical_id, name, kind)

    def read() -> Any:
        trails = cloudtrail.describe_trails(trailNameList=[name], includeShadowTrails=False)
        matching = [
            t for t in trails.get("trailList", []) if name in (t.get("Name"), t.get("TrailARN"))
        ]
        return matching[0] if matching else None

    trail = audit.fetch(
        control,
        target,
        read,
        lambda e: error_code(e) in ("TrailNotFoundException", "TrailNotFound"),
        what=f"trail {name}",
    )
    if trail is None:
        return
    arn = str(trail.get("TrailARN", name))
    trail_baseline = audit.baseline.trail

    def logging() -> tuple[str, str, Status]:
        want = bool(props.get("IsLogging", True))
        have = bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging"))
        return flag(want, have)

    audit.run(control, target, "logging", logging)
    audit.run(
        control,
        target,
        "log file validation",
        lambda: flag(
            bool(props.get("EnableLogFileValidation")) or trail_baseline.log_file_validation,
            bool(trail.get("LogFileValidationEnabled")),
        ),
    )
    audit.run(
        control,
        target,
        "multi-region",
        lambda: flag(
            bool(props.get("IsMultiRegionTrail")) or trail_baseline.multi_region,
            bool(trail.get("IsMultiRegionTrail")),
        ),
    )

    def kms() -> tuple[str, str, Status]:
        have = str(trail.get("KmsKeyId") or "")
        if "KMSKeyId" in props:
            want = audit.key_id(audit.resolver.resolve_str(props["KMSKeyId"]))
            status: Status = "ok" if have and audit.key_id(have) == want else "drift"
            return f"KMS key {want}", have or "not encrypted with KMS", status
        if trail_baseline.kms_encrypted:
            status = "ok" if have else "drift"
            return "a KMS key (baseline)", have or "not encrypted with KMS", status
        return "no requirement", have or "none", "ok"

    audit.run(control, target, "KMS encryption", kms)

    if "CloudWatchLogsLogGroupArn" in props or trail_baseline.cloudwatch_logs:

        def logs() -> tuple[str, str, Status]:
            have = str(trail.get("CloudWatchLogsLogGroupArn") or "")
            if "CloudWatchLogsLogGroupArn" in props:
                want = audit.resolver.resolve_str(props["CloudWatchLogsLogGroupArn"])
                same = have.removesuffix(":*") == want.removesuffix(":*")
                return want, have or "no log group", "ok" if same and have else "drift"
            return "a log group (baseline)", have or "no log group", "ok" if have else "drift"

        audit.run(control, target, "CloudWatch Logs delivery", logs)

    template_selectors = props.get("EventSelectors", [])

    def read_selectors() -> dict[str, Any]:
        return dict(
            audit.cached(f"selectors:{arn}", lambda: cloudtrail.get_event_selectors(TrailName=arn))
        )

    if any(s.get("DataResources") for s in template_selectors):
        audit.run(
            control,
            target,
            "data events cover the template's resources",
            lambda: _data_event_coverage(
                audit.resolver.resolve(template_selectors), read_selectors()
            ),
        )
    audit.run(
        control,
        target,
        "management events",
        lambda: _management_coverage(template_selectors, read_selectors()),
    )

    def bucket() -> tuple[str, str, Status]:
        want = audit.resolver.resolve_str(props["S3BucketName"])
        have = str(trail.get("S3BucketName") or "none")
        prefix = str(props.get("S3KeyPrefix") or "")
        have_prefix = str(trail.get("S3KeyPrefix") or "")
        return (
            want + (f"/{prefix}" if prefix else ""),
            have + (f"/{have_prefix}" if have_prefix else ""),
            "ok" if have == want and have_prefix == prefix else "drift",
        )

    if "S3BucketName" in props:
        audit.run(control, target, "destination bucket", bucket)
    audit.run(
        control,
        target,
        "global service events",
        lambda: flag(
            bool(props.get("IncludeGlobalServiceEvents", True)),
            bool(trail.get("IncludeGlobalServiceEvents")),
        ),
    )


def _data_event_coverage(
    template_selectors: Sequence[Mapping[str, Any]], response: Mapping[str, Any]
) -> tuple[str, str, Status]:
    """Whether the trail's (basic or advanced) selectors still record each template data value."""
    wanted = [
        (str(resource["Type"]), str(value), str(selector.get("ReadWriteType", "All")))
        for selector in template_selectors
        for resource in selector.get("DataResources", [])
        for value in resource.get("Values", [])
    ]
    expected = ", ".join(f"{t} {v} ({rw})" for t, v, rw in wanted)
    uncovered = []
    for kind, value, read_write in wanted:
        basic = any(
            selector.get("ReadWriteType", "All") in ("All", read_write)
            and resource.get("Type") == kind
            and any(value.startswith(str(v)) for v in resource.get("Values", []))
            for selector in response.get("EventSelectors", [])
            for resource in selector.get("DataResources", [])
        )
        advanced = any(
            _advanced_covers(selector, kind, value, read_write)
            for selector in response.get("AdvancedEventSelectors", [])
        )
        if not (basic or advanced):
            uncovered.append(f"{kind} {value} ({read_write})")
    if uncovered:
        return expected, "not recorded: " + ", ".join(uncovered), "drift"
    return expected, "all recorded", "ok"


def _advanced_covers(selector: Mapping[str, Any], kind: str, value: str, read_write: str) -> bool:
    fields = {str(f.get("Field")): f for f in selector.get("FieldSelectors", [])}
    category = fields.get("eventCategory", {}).get("Equals", [])
    if "Data" not in category:
        return False
    if kind not in fields.get("resources.type", {}).get("Equals", []):
        return False
    read_only = fields.get("readOnly", {}).get("Equals")
    if read_only and read_write == "All":
        return False
    arn = fields.get("resources.ARN")
    if arn is None:
        return True
    return value in arn.get("Equals", []) or any(
        value.startswith(str(p)) for p in arn.get("StartsWith", [])
    )


def _management_coverage(
    template_selectors: Sequence[Mapping[str, Any]], response: Mapping[str, Any]
) -> tuple[str, str, Status]:
    """Management events are recorded (CloudFormation's default without selectors)."""
    read_write = next(
        (
            str(s.get("ReadWriteType", "All"))
            for s in template_selectors
            if s.get("IncludeManagementEvents", True)
        ),
        "All" if not template_selectors else None,
    )
    if read_write is None:
        return "not required by the template", "not compared", "ok"
    expected = f"management events ({read_write})"
    basic = any(
        s.get("IncludeManagementEvents", True)
        and s.get("ReadWriteType", "All") in ("All", read_write)
        for s in response.get("EventSelectors", [])
    )
    advanced = any(
        "Management"
        in {
            str(v)
            for f in s.get("FieldSelectors", [])
            if f.get("Field") == "eventCategory"
            for v in f.get("Equals", [])
        }
        for s in response.get("AdvancedEventSelectors", [])
    )
    if basic or advanced:
        return expected, "recorded", "ok"
    return expected, "not recorded", "drift"


CHECKER = Checker("AWS::CloudTrail::Trail", "MON-1", check_trail, finds_unlisted=True)
