"""MON-4/DRF-2: GuardDuty alerts fire for every finding from the room's minimum severity up.

The severity window is judged whole: its lower bound must be at most production's and the
room's own minimum (the manifest's ``min_finding_severity``), and it must have no upper bound
below GuardDuty's maximum (a window that stops at 7 silences high and critical findings).
Its ``detail-type``, when it names one, must include ``GuardDuty Finding`` (a rule that matches
only ``GuardDuty Finding (archived)`` or any other detail type never fires on a finding).
"""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict

#: GuardDuty's highest severity.
MAX_SEVERITY = 10.0
#: The EventBridge detail type of a GuardDuty finding.
FINDING_DETAIL_TYPE = "GuardDuty Finding"
#: The detail type of API calls recorded by CloudTrail (tampering rules list aws.guardduty too).
API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"


def detail_types(pattern: Any) -> list[Any] | None:
    """The ``detail-type`` values an event pattern names (None when it names none)."""
    value = pattern.get("detail-type") if isinstance(pattern, dict) else None
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def matches_findings(pattern: Any) -> bool:
    """Whether an event pattern with source aws.guardduty lets GuardDuty findings through."""
    types = detail_types(pattern)
    return types is None or FINDING_DETAIL_TYPE in types


def window(matcher: Any) -> tuple[float, float]:
    """The (lowest, highest) severity an EventBridge numeric matcher lets through."""
    low, high = 0.0, MAX_SEVERITY
    numeric = matcher.get("numeric", []) if isinstance(matcher, dict) else []
    for operator, value in zip(numeric[::2], numeric[1::2], strict=False):
        if operator in (">=", ">"):
            low = max(low, float(value))
        elif operator in ("<", "<="):
            high = min(high, float(value))
        elif operator == "=":
            low, high = float(value), float(value)
    return low, high


def check(ctx: RuleContext) -> Verdict:
    pattern = ctx.properties.get("EventPattern", {})
    if "aws.guardduty" not in pattern.get("source", []):
        return None
    types = detail_types(pattern)
    if types and all(t == API_CALL_DETAIL_TYPE for t in types):
        return None  # an alert on API calls (tampering), not on findings
    findings = []
    if not matches_findings(pattern):
        findings.append(
            f"detail-type {types!r} does not match {FINDING_DETAIL_TYPE!r}: findings never alert"
        )
    wanted = ctx.baseline.max_finding_severity_alerted
    room = ctx.expect.get("min_finding_severity")
    matchers = pattern.get("detail", {}).get("severity", [])
    if not matchers:
        return findings  # no severity filter: every finding alerts
    low = min(window(m)[0] for m in matchers)
    high = max(window(m)[1] for m in matchers)
    if low > wanted:
        findings.append(f"severity threshold: room={low:g} production={wanted:g}")
    if room is not None and low > float(room):
        findings.append(f"severity threshold {low:g} above the manifest's {float(room):g}")
    if high < MAX_SEVERITY:
        findings.append(f"severity window stops at {high:g}: higher findings never alert")
    return findings


RULE = Rule(
    rule_id="MON4AlertSeverity",
    control="MON-4",
    info="GuardDuty findings alert only above the severity production (or the manifest) alerts "
    "at, or not at all above some severity, or the rule matches no GuardDuty Finding.",
    explanation="A room must not stay silent about findings production would page on (both "
    "values are named).",
    resource_types=frozenset({"AWS::Events::Rule"}),
    check=check,
    never_suppressible=True,
)
