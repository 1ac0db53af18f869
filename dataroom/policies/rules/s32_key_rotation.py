"""S3-2/DRF-2: customer keys rotate at least as often as production's, and wait before deletion."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    baseline = ctx.baseline.kms
    findings = []
    if baseline.rotation and props.get("EnableKeyRotation") is not True:
        findings.append("rotation: room=off production=on")
    period = int(props.get("RotationPeriodInDays", 365))
    if period > baseline.max_rotation_period_days:
        findings.append(
            f"rotation period: room={period}d production={baseline.max_rotation_period_days}d"
        )
    window = int(props.get("PendingWindowInDays", 30))
    if window < baseline.min_pending_window_days:
        findings.append(
            f"deletion window: room={window}d production={baseline.min_pending_window_days}d"
        )
    return findings


RULE = Rule(
    rule_id="S32KeyRotation",
    control="S3-2",
    info="A KMS key rotates less often, or can be deleted sooner, than production's keys.",
    explanation="A room key is held to the production baseline's rotation period and deletion "
    "waiting period (named with both values).",
    resource_types=frozenset({"AWS::KMS::Key"}),
    check=check,
    never_suppressible=True,
)
