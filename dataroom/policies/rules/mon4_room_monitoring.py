"""MON-1, MON-3, MON-4: a room has its trail, a threat detector and alerts."""

from __future__ import annotations

from dataroom.controls.monitoring import REQUIRED_ALERTS
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.mon4_alert_severity import matches_findings
from dataroom.template_policy import refers_to


def _has_trail_on_room_buckets(ctx: RuleContext) -> bool:
    for _, trail in ctx.resources("AWS::CloudTrail::Trail"):
        selectors = trail.get("Properties", {}).get("EventSelectors", [])
        if any(s.get("DataResources") for s in selectors) or trail.get("Properties", {}).get(
            "AdvancedEventSelectors"
        ):
            return True
    return False


def _has_detector(ctx: RuleContext) -> bool:
    for _, detector in ctx.resources("AWS::GuardDuty::Detector"):
        if detector.get("Properties", {}).get("Enable") is True:
            return True
    # An adopted detector is believed only when the manifest names it (existing_guardduty_
    # detector_id, handed to the gate by build_app): template metadata alone proves nothing.
    adopted = ctx.metadata.get("adopted", {}).get("guardduty_detector")
    return bool(adopted) and adopted == ctx.manifest_expect.get("guardduty_detector")


def _alert_topics(ctx: RuleContext) -> list[str]:
    return [
        lid
        for lid, topic in ctx.resources("AWS::SNS::Topic")
        if topic.get("Properties", {}).get("KmsMasterKeyId")
    ]


def _alerted(ctx: RuleContext, topics: list[str]) -> set[str]:
    covered: set[str] = set()
    for _, rule in ctx.resources("AWS::Events::Rule"):
        props = rule.get("Properties", {})
        if not any(
            refers_to(t.get("Arn"), topic) for t in props.get("Targets", []) for topic in topics
        ):
            continue
        pattern = props.get("EventPattern", {})
        sources = set(pattern.get("source", []))
        if not matches_findings(pattern):
            sources.discard("aws.guardduty")  # API calls of GuardDuty, not its findings
        covered.update(sources)
        covered.update(pattern.get("detail", {}).get("eventName", []))
    return covered


def check(ctx: RuleContext) -> Verdict:
    findings = []
    if not _has_trail_on_room_buckets(ctx):
        findings.append("MON-1: no trail with data events")
    if not _has_detector(ctx):
        findings.append("MON-3: no enabled GuardDuty detector (created, or adopted per manifest)")
    topics = _alert_topics(ctx)
    if not topics:
        findings.append("MON-4: no encrypted alert topic")
    else:
        missing = [name for name in REQUIRED_ALERTS if name not in _alerted(ctx, topics)]
        if missing:
            findings.append(f"MON-4: no alert for {', '.join(missing)}")
    return findings


RULE = Rule(
    rule_id="MON4RoomMonitoring",
    control="MON-4",
    info="The room lacks its trail with data events, a GuardDuty detector, or alerts to an "
    "encrypted topic for findings and tampering.",
    explanation="A room without monitoring is the weaker environment the article warns about; "
    "checked once per room, on its VPC.",
    resource_types=frozenset({"AWS::EC2::VPC"}),
    check=check,
    rooms_only=True,
)
