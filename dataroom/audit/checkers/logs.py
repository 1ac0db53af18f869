"""CloudWatch Logs groups (NET-5 for flow logs, MON-1 for the trail's, DRF-3 otherwise): still
there, kept at least as long as the template and the baseline say, still KMS-encrypted."""

from __future__ import annotations

from typing import Any

from dataroom.audit.context import StackAudit
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def _control(audit: StackAudit, logical_id: str) -> str:
    """The control a log group serves: whoever delivers to it."""
    ref = {"Fn::GetAtt": [logical_id, "Arn"]}
    for _, props in audit.of_type("AWS::EC2::FlowLog"):
        if ref in (props.get("LogDestination"), props.get("LogGroupName")) or props.get(
            "LogGroupName"
        ) == {"Ref": logical_id}:
            return "NET-5"
    for _, props in audit.of_type("AWS::CloudTrail::Trail"):
        if props.get("CloudWatchLogsLogGroupArn") == ref:
            return "MON-1" if audit.room else "MON-2"
    return "DRF-3"


def check_log_group(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Exists, retention at least max(template, baseline), the template's KMS key."""
    if deployed is None:
        return
    kind, name = "AWS::Logs::LogGroup", deployed.physical_id
    target = (logical_id, name, kind)
    control = _control(audit, logical_id)
    logs = audit.clients("logs")

    def read() -> Any:
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return next((g for g in groups if g.get("logGroupName") == name), None)

    group = audit.fetch(control, target, read, lambda e: False, what=f"log group {name}")
    if group is None:
        return

    def retention() -> tuple[str, str, Status]:
        template_days = int(props.get("RetentionInDays") or 0)
        floor = max(template_days, audit.baseline.log_retention_days)
        have = group.get("retentionInDays")
        expected = f"at least {floor} days (template {template_days or 'never expires'}, "
        expected += f"baseline {audit.baseline.log_retention_days})"
        if have is None:
            return expected, "never expires", "ok"
        return expected, f"{have} days", "ok" if int(have) >= floor else "drift"

    audit.run(control, target, "retention", retention)
    if "KmsKeyId" in props:

        def key() -> tuple[str, str, Status]:
            want = audit.key_id(audit.resolver.resolve_str(props["KmsKeyId"]))
            have = str(group.get("kmsKeyId") or "")
            same = bool(have) and audit.key_id(have) == want
            return f"KMS key {want}", have or "not encrypted with KMS", "ok" if same else "drift"

        audit.run(control, target, "KMS encryption", key)


CHECKER = Checker("AWS::Logs::LogGroup", "NET-5", check_log_group)
