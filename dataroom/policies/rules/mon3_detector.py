"""MON-3/DRF-2: a detector has at least production's features and publishes as often."""

from __future__ import annotations

from dataroom.controls.monitoring import FREQUENCIES
from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    baseline = ctx.baseline.guardduty
    findings = []
    if props.get("Enable") is not True:
        findings.append("detector: room=disabled production=enabled")
    enabled = {f.get("Name") for f in props.get("Features", []) if f.get("Status") == "ENABLED"}
    missing = [f for f in baseline.features if f not in enabled]
    if missing:
        findings.append(f"features: room lacks {','.join(missing)} that production has")
    frequency = str(props.get("FindingPublishingFrequency", "SIX_HOURS"))
    wanted = baseline.finding_publishing_frequency
    if frequency in FREQUENCIES and FREQUENCIES.index(frequency) > FREQUENCIES.index(wanted):
        findings.append(f"finding frequency: room={frequency} production={wanted}")
    return findings


RULE = Rule(
    rule_id="MON3Detector",
    control="MON-3",
    info="A GuardDuty detector is disabled, lacks features production has, or publishes "
    "findings less often.",
    explanation="S3 protection and the other detector features production runs are the floor "
    "for every room (both values are named).",
    resource_types=frozenset({"AWS::GuardDuty::Detector"}),
    check=check,
    never_suppressible=True,
)
