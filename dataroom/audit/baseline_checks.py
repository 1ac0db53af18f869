"""The baseline's own fields, checked against each deployed account (class 3 of issue 18, DRF-3).

The checkers already use the baseline as a floor for what the templates declare (a declared
log group kept at least ``log_retention_days``, the declared trail multi-region, ...). These
checks read the account itself, so a field holds even for what no template declares:

- ``allowed_regions``: every stack is in an allowed region, and no VPC (other than a default
  one), Lambda function or SageMaker notebook exists in another enabled region;
- ``log_retention_days``: every log group of the stacks' regions keeps its events that long;
- ``trail``: a room account has a trail that is logging, multi-region, validated, KMS-encrypted
  and delivering to CloudWatch Logs, as the baseline asks;
- ``kms``: every customer-managed symmetric key of the stacks' regions rotates, at most every
  ``max_rotation_period_days``;
- ``max_finding_severity_alerted``: an enabled EventBridge rule with a target sends GuardDuty
  findings of that severity (or lower) on.

``guardduty`` and ``config_rules`` are checked on the declared detector and rules (and the
baseline's rules no template rule stands for) by their checkers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import paginate
from dataroom.audit.errors import describe_failure, raise_if_fatal
from dataroom.audit.findings import AUDIT_CONTROL, Finding, Status
from dataroom.baseline import Baseline

Clients = Callable[[str, str], Any]
MapRegions = Callable[[Callable[[str], Any], list[str]], list[Any]]


class _Rows:
    def __init__(self, stack: str, account: str) -> None:
        self.stack, self.account = stack, account
        self.findings: list[Finding] = []

    def add(
        self,
        check: str,
        expected: str,
        actual: str,
        status: Status,
        *,
        physical: str = "",
        resource_type: str = "baseline",
        region: str = "",
    ) -> None:
        self.findings.append(
            Finding(
                self.stack,
                AUDIT_CONTROL,
                "/".join(
                    part
                    for part in (
                        "baseline",
                        region,
                        physical,
                        "not read" if status == "unverifiable" else "",
                    )
                    if part
                ),
                physical,
                resource_type,
                check,
                expected,
                actual,
                status,
                self.account,
                region,
            )
        )

    def guarded(self, check: str, expected: str, region: str, work: Callable[[], None]) -> None:
        try:
            work()
        except (ClientError, BotoCoreError) as exc:
            raise_if_fatal(exc)
            self.add(check, expected, describe_failure(exc), "unverifiable", region=region)
        except (KeyError, TypeError, ValueError) as exc:
            self.add(check, expected, describe_failure(exc), "unverifiable", region=region)


def _regions_allowed(
    rows: _Rows,
    baseline: Baseline,
    clients: Clients,
    stack_regions: list[str],
    regions: list[str],
    map_regions: MapRegions,
    room: bool,
) -> None:
    allowed = set(baseline.allowed_regions)
    expected = ", ".join(sorted(allowed))
    check = "baseline allowed_regions"
    for region in stack_regions:
        status: Status = "ok" if region in allowed else "drift"
        rows.add(check, expected, f"stack in {region}", status, region=region)
    if not room:
        return  # production's own regions are production's audit, not the room's
    others = [r for r in regions if r not in allowed]

    def scan(region: str) -> tuple[str, list[str] | str]:
        try:
            found = [
                f"VPC {v['VpcId']}"
                for v in paginate(clients("ec2", region), "describe_vpcs", "Vpcs")
                if not v.get("IsDefault")
            ]
            lambdas = clients("lambda", region)
            found += [
                f"function {f['FunctionName']}"
                for f in paginate(lambdas, "list_functions", "Functions")
            ]
            notebooks = clients("sagemaker", region)
            found += [
                f"notebook {n['NotebookInstanceName']}"
                for n in paginate(notebooks, "list_notebook_instances", "NotebookInstances")
            ]
            return region, found
        except (ClientError, BotoCoreError, KeyError, TypeError, ValueError) as exc:
            raise_if_fatal(exc)
            return region, describe_failure(exc)

    results = map_regions(scan, others)
    check = "nothing in a region the baseline does not allow"
    failed = sorted(r for r, found in results if isinstance(found, str))
    bad = [(r, found) for r, found in results if isinstance(found, list) and found]
    for region, found in bad:
        rows.add(check, f"only {expected}", ", ".join(found), "drift", region=region)
    if failed:
        reasons = {found for _, found in results if isinstance(found, str)}
        rows.add(
            check, f"only {expected}", f"not read in {', '.join(failed)}: {'; '.join(reasons)}",
            "unverifiable",
        )  # fmt: skip
    if not bad and len(failed) < len(others):
        read = len(others) - len(failed)
        rows.add(check, f"only {expected}", f"none in {read} other region(s)", "ok")


def _log_retention(rows: _Rows, baseline: Baseline, clients: Clients, region: str) -> None:
    floor = baseline.log_retention_days
    check = "baseline log_retention_days"
    expected = f"every log group keeps at least {floor} days"

    def work() -> None:
        groups = paginate(clients("logs", region), "describe_log_groups", "logGroups")
        short = [g for g in groups if g.get("retentionInDays") and g["retentionInDays"] < floor]
        for group in short:
            rows.add(
                check, expected, f"{group['logGroupName']}: {group['retentionInDays']} days",
                "drift", physical=str(group["logGroupName"]),
                resource_type="AWS::Logs::LogGroup", region=region,
            )  # fmt: skip
        if not short:
            rows.add(check, expected, f"{len(groups)} log group(s), none shorter", "ok",
                     region=region)  # fmt: skip

    rows.guarded(check, expected, region, work)


def _trail(rows: _Rows, baseline: Baseline, clients: Clients, region: str) -> None:
    want = baseline.trail
    check = "baseline trail"
    asked = [
        name
        for name, on in (
            ("multi-region", want.multi_region),
            ("log file validation", want.log_file_validation),
            ("KMS", want.kms_encrypted),
            ("CloudWatch Logs", want.cloudwatch_logs),
        )
        if on
    ]
    expected = "a logging trail with " + ", ".join(asked)

    def work() -> None:
        cloudtrail = clients("cloudtrail", region)
        seen = []
        for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
            has = {
                "multi-region": bool(trail.get("IsMultiRegionTrail")),
                "log file validation": bool(trail.get("LogFileValidationEnabled")),
                "KMS": bool(trail.get("KmsKeyId")),
                "CloudWatch Logs": bool(trail.get("CloudWatchLogsLogGroupArn")),
            }
            lacking = [name for name in asked if not has[name]]
            logging = cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging")
            if not logging:
                lacking.append("logging")
            if not lacking:
                rows.add(check, expected, f"trail {trail['Name']}", "ok", region=region)
                return
            seen.append(f"{trail['Name']} lacks {', '.join(lacking)}")
        rows.add(check, expected, "; ".join(seen) or "no trail", "drift", region=region)

    rows.guarded(check, expected, region, work)


def _key_rotation(
    rows: _Rows, baseline: Baseline, clients: Clients, region: str, declared: set[str]
) -> None:
    if not baseline.kms.rotation:
        return
    check = "baseline kms rotation"
    limit = baseline.kms.max_rotation_period_days
    expected = f"every customer-managed symmetric key rotates, at most every {limit} days"

    def work() -> None:
        kms = clients("kms", region)
        lacking, unread = [], []
        keys = paginate(kms, "list_keys", "Keys")
        for key in keys:
            key_id = str(key["KeyId"])
            if key_id in declared:
                continue  # the key checker judges it, with the baseline as its floor
            try:
                status = kms.get_key_rotation_status(KeyId=key_id)
                if (
                    status.get("KeyRotationEnabled")
                    and int(status.get("RotationPeriodInDays") or 0) <= limit
                ):
                    continue
                metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            except ClientError as exc:
                raise_if_fatal(exc)
                unread.append(f"{key_id} ({describe_failure(exc)})")
                continue
            if (
                metadata.get("KeyManager") == "CUSTOMER"
                and metadata.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
                and metadata.get("KeyState") == "Enabled"
                and metadata.get("Origin", "AWS_KMS") == "AWS_KMS"
            ):
                period = status.get("RotationPeriodInDays")
                lacking.append(
                    f"{key_id}: rotation every {period} days"
                    if status.get("KeyRotationEnabled")
                    else f"{key_id}: no rotation"
                )
        for line in lacking:
            rows.add(check, expected, line, "drift", physical=line.split(":")[0],
                     resource_type="AWS::KMS::Key", region=region)  # fmt: skip
        if unread:
            rows.add(check, expected, "not read: " + "; ".join(unread), "unverifiable",
                     region=region)  # fmt: skip
        if not lacking and not unread:
            rows.add(check, expected, f"{len(keys)} key(s), all rotating", "ok", region=region)

    rows.guarded(check, expected, region, work)


def _alert_threshold(rows: _Rows, baseline: Baseline, clients: Clients, region: str) -> None:
    threshold = baseline.max_finding_severity_alerted
    check = "baseline max_finding_severity_alerted"
    expected = f"an enabled rule with a target sends GuardDuty findings of severity >= {threshold}"

    def work() -> None:
        events = clients("events", region)
        found = []
        for rule in paginate(events, "list_rules", "Rules"):
            if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
                continue
            pattern = json.loads(rule["EventPattern"])
            kinds = pattern.get("detail-type", ["GuardDuty Finding"])
            if "aws.guardduty" not in pattern.get("source", []) or "GuardDuty Finding" not in kinds:
                continue  # not about findings (API calls to GuardDuty, say)
            floor = _severity_floor(pattern.get("detail", {}).get("severity"))
            targets = events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
            if floor is not None and floor <= threshold and targets:
                rows.add(check, expected, f"rule {rule['Name']} (>= {floor})", "ok",
                         region=region)  # fmt: skip
                return
            found.append(f"{rule['Name']} (>= {floor}, {len(targets)} target(s))")
        rows.add(check, expected, "; ".join(found) or "no GuardDuty rule", "drift", region=region)

    rows.guarded(check, expected, region, work)


def _severity_floor(matchers: Any) -> float | None:
    """The lowest severity a pattern's ``severity`` matcher lets through (0 when unfiltered)."""
    if matchers is None:
        return 0.0
    floors = []
    for matcher in matchers if isinstance(matchers, list) else [matchers]:
        if isinstance(matcher, dict) and "numeric" in matcher:
            numeric = matcher["numeric"]
            for operator, value in zip(numeric[::2], numeric[1::2], strict=False):
                if operator in (">=", ">"):
                    floors.append(float(value))
        elif isinstance(matcher, int | float):
            floors.append(float(matcher))
    return min(floors) if floors else None


def check_baseline(
    baseline: Baseline,
    clients: Clients,
    *,
    stack: str,
    account: str,
    room: bool,
    stack_regions: list[str],
    regions: list[str],
    map_regions: MapRegions,
    declared: set[str],
) -> list[Finding]:
    """Every baseline field against one account (a production account: regions and logs)."""
    rows = _Rows(stack, account)
    if baseline.allowed_regions:
        _regions_allowed(rows, baseline, clients, stack_regions, regions, map_regions, room)
    for region in stack_regions:
        _log_retention(rows, baseline, clients, region)
        if room:
            _trail(rows, baseline, clients, region)
            _key_rotation(rows, baseline, clients, region, declared)
            _alert_threshold(rows, baseline, clients, region)
    return rows.findings
