"""AWS Config (MON-5): each template rule present, active and evaluating everything (no scope
or parameters added), the baseline's rules running, and the recorder recording every type."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import StackAudit, equal, flag
from dataroom.audit.errors import UnresolvableError, describe_error, raise_if_fatal
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_config_rule(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    kind = "AWS::Config::ConfigRule"
    source = props.get("Source", {})
    identifier = str(source.get("SourceIdentifier", ""))
    in_baseline = identifier in audit.baseline.config_rules
    expected = f"{source.get('Owner')} {identifier}, ACTIVE" + (
        " (baseline)" if in_baseline else ""
    )
    try:
        rules = {str(r["ConfigRuleName"]): r for r in audit.account_config_rules()}
        name = deployed.physical_id if deployed else audit.locate(logical_id)
    except (ClientError, BotoCoreError, UnresolvableError) as exc:
        raise_if_fatal(exc)
        reason = describe_error(exc) if isinstance(exc, ClientError) else str(exc)
        audit.add("MON-5", logical_id, "", kind, "rule present", expected, reason, "unverifiable")
        return
    rule = rules.get(name) if name else None
    if rule is None or name is None:
        audit.add(
            "MON-5", logical_id, name or "", kind, "rule present", expected, "absent", "missing"
        )
        return
    have_source = rule.get("Source", {})
    actual = (
        f"{have_source.get('Owner')} {have_source.get('SourceIdentifier')}, "
        f"{rule.get('ConfigRuleState', 'ACTIVE')}"
    )
    same = (
        have_source.get("Owner") == source.get("Owner")
        and have_source.get("SourceIdentifier") == identifier
        and rule.get("ConfigRuleState", "ACTIVE") == "ACTIVE"
    )
    audit.add(
        "MON-5",
        logical_id,
        name,
        kind,
        "rule present",
        expected,
        actual,
        "ok" if same else "drift",
    )
    target = (logical_id, name, kind)
    audit.run("MON-5", target, "scope", lambda: _scope(props, rule))
    audit.run("MON-5", target, "input parameters", lambda: _parameters(props, rule))
    if "MaximumExecutionFrequency" in props:
        audit.run(
            "MON-5",
            target,
            "maximum execution frequency",
            lambda: equal(
                str(props["MaximumExecutionFrequency"]),
                str(rule.get("MaximumExecutionFrequency", "TwentyFour_Hours")),
            ),
        )


def _scope(props: dict[str, Any], rule: dict[str, Any]) -> tuple[str, str, Status]:
    """A scope the template did not set narrows what the rule evaluates (perhaps to nothing)."""
    want = {k: v for k, v in props.get("Scope", {}).items() if v}
    have = {k: v for k, v in rule.get("Scope", {}).items() if v}
    expected = json.dumps(want, sort_keys=True) if want else "every resource"
    actual = json.dumps(have, sort_keys=True) if have else "every resource"
    return expected, actual, "ok" if want == have else "drift"


def _parameters(props: dict[str, Any], rule: dict[str, Any]) -> tuple[str, str, Status]:
    raw_want = props.get("InputParameters") or {}
    raw_have = rule.get("InputParameters") or "{}"
    want = json.loads(raw_want) if isinstance(raw_want, str) else dict(raw_want)
    have = json.loads(raw_have) if isinstance(raw_have, str) else dict(raw_have)
    canonical = {str(k): str(v) for k, v in want.items()}
    actual = {str(k): str(v) for k, v in have.items()}
    expected = json.dumps(canonical, sort_keys=True) if canonical else "none"
    shown = json.dumps(actual, sort_keys=True) if actual else "none"
    return expected, shown, "ok" if canonical == actual else "drift"


def check_baseline_config_rules(audit: StackAudit) -> None:
    """Baseline rules no template rule stands for must still run in the account."""
    covered = {
        str(r.get("Properties", {}).get("Source", {}).get("SourceIdentifier"))
        for r in audit.resources.values()
        if r.get("Type") == "AWS::Config::ConfigRule"
    }
    for identifier in audit.baseline.config_rules:
        if identifier in covered:
            continue

        def present(identifier: str = identifier) -> tuple[str, str, Status]:
            rules = audit.account_config_rules()
            names = [
                str(r["ConfigRuleName"])
                for r in rules
                if r.get("Source", {}).get("SourceIdentifier") == identifier
            ]
            status: Status = "ok" if names else "missing"
            return f"a rule {identifier} (baseline)", ", ".join(names) or "absent", status

        audit.run(
            "MON-5", ("baseline", "", "AWS::Config::ConfigRule"), f"rule {identifier}", present
        )


def locate_recorder(audit: StackAudit, logical_id: str, props: dict[str, Any]) -> str | None:
    """One recorder per account and region: by name, else the region's only one."""
    del logical_id
    recorders = audit.clients("config").describe_configuration_recorders()
    names = [str(r["name"]) for r in recorders.get("ConfigurationRecorders", [])]
    if "Name" in props:
        want = audit.resolver.resolve_str(props["Name"])
        return want if want in names else None
    return names[0] if names else None


def check_recorder(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """The recorder exists, records, and records every supported type (global ones too)."""
    kind = "AWS::Config::ConfigurationRecorder"
    config = audit.clients("config")
    try:
        name = deployed.physical_id if deployed else audit.locate(logical_id)
    except (ClientError, BotoCoreError, UnresolvableError) as exc:
        raise_if_fatal(exc)
        reason = describe_error(exc) if isinstance(exc, ClientError) else str(exc)
        audit.add("MON-5", logical_id, "", kind, "exists", "a recorder", reason, "unverifiable")
        return
    if name is None:
        audit.add("MON-5", logical_id, "", kind, "exists", "a recorder", "none", "missing")
        return
    target = (logical_id, name, kind)
    recorders = config.describe_configuration_recorders(ConfigurationRecorderNames=[name])
    recorder = recorders["ConfigurationRecorders"][0]
    audit.add("MON-5", *target, "exists", f"recorder {name}", "found", "ok")

    def recording() -> tuple[str, str, Status]:
        statuses = config.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])[
            "ConfigurationRecordersStatus"
        ]
        return flag(True, bool(statuses and statuses[0].get("recording")))

    audit.run("MON-5", target, "recording", recording)
    group = props.get("RecordingGroup", {})
    for key in ("AllSupported", "IncludeGlobalResourceTypes"):
        if group.get(key):
            api_key = key[0].lower() + key[1:]

            def recorded(api_key: str = api_key) -> tuple[str, str, Status]:
                return flag(True, bool(recorder.get("recordingGroup", {}).get(api_key)))

            audit.run("MON-5", target, f"recording group {key}", recorded)


CHECKERS = (
    Checker("AWS::Config::ConfigRule", "MON-5", check_config_rule, finds_unlisted=True),
    Checker(
        "AWS::Config::ConfigurationRecorder",
        "MON-5",
        check_recorder,
        finds_unlisted=True,
        locate=locate_recorder,
    ),
)
