"""EventBridge rules (MON-4): every alert rule, the remediation trigger and production's
denied-writes rule are there, ENABLED, matching the template's pattern, with every target."""

from __future__ import annotations

import json
from typing import Any

from dataroom.audit.context import StackAudit, equal
from dataroom.audit.errors import error_code
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def canonical_pattern(pattern: Any) -> Any:
    """An event pattern (JSON text or parsed) where list order does not matter (it never does
    in EventBridge)."""
    return _canonical(json.loads(pattern) if isinstance(pattern, str) else pattern)


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        # A numeric matcher is an ordered list of operator/value pairs.
        return {str(k): v if k == "numeric" else _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def check_rule(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Exists, ENABLED, the template's pattern, every template target."""
    if deployed is None:
        return
    kind = "AWS::Events::Rule"
    # CloudFormation's physical id of a rule on the default bus is its name.
    name = deployed.physical_id.rsplit("|", 1)[-1]
    bus = str(audit.resolver.resolve(props.get("EventBusName", "default")) or "default")
    target = (logical_id, name, kind)
    events = audit.clients("events")
    rule = audit.fetch(
        "MON-4",
        target,
        lambda: events.describe_rule(Name=name, EventBusName=bus),
        lambda e: error_code(e) == "ResourceNotFoundException",
        what=f"rule {name}",
    )
    if rule is None:
        return
    audit.run(
        "MON-4",
        target,
        "state",
        lambda: equal(str(props.get("State", "ENABLED")), str(rule.get("State"))),
    )
    if "EventPattern" in props:

        def pattern() -> tuple[str, str, Status]:
            want = canonical_pattern(audit.resolver.resolve(props["EventPattern"]))
            have = canonical_pattern(rule.get("EventPattern") or "{}")
            if want == have:
                return "the template's pattern", "the same", "ok"
            return json.dumps(want, sort_keys=True), json.dumps(have, sort_keys=True), "drift"

        audit.run("MON-4", target, "event pattern", pattern)

    def targets() -> tuple[str, str, Status]:
        want = sorted(
            audit.resolver.resolve_str(t["Arn"]) for t in props.get("Targets", []) if "Arn" in t
        )
        listed = events.list_targets_by_rule(Rule=name, EventBusName=bus).get("Targets", [])
        have = sorted(str(t.get("Arn")) for t in listed)
        lacking = [arn for arn in want if arn not in have]
        expected = ", ".join(want) or "none"
        if lacking:
            return expected, "lacking: " + ", ".join(lacking), "drift"
        return expected, ", ".join(have) or "none", "ok"

    audit.run("MON-4", target, "targets", targets)


CHECKER = Checker("AWS::Events::Rule", "MON-4", check_rule)
