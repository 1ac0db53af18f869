"""MON-5: the Config recorder records every supported resource type, global types included."""

from __future__ import annotations

from dataroom.controls.monitoring import CONFIG_RECORDING_GROUP
from dataroom.policies.rules.base import Rule, RuleContext, Verdict


def check(ctx: RuleContext) -> Verdict:
    group = ctx.properties.get("RecordingGroup", {})
    return [
        f"RecordingGroup.{key} is {group.get(key)!r}, expected {wanted}"
        for key, wanted in CONFIG_RECORDING_GROUP.items()
        if group.get(key) not in (wanted, str(wanted).lower())
    ]


RULE = Rule(
    rule_id="MON5ConfigRecorder",
    control="MON-5",
    info="The Config recorder does not record every supported resource type, or global ones.",
    explanation="Config rules only evaluate what the recorder records: a narrowed recorder "
    "silently blinds the rules that mirror production's (IAM is a global type).",
    resource_types=frozenset({"AWS::Config::ConfigurationRecorder"}),
    check=check,
    never_suppressible=True,
    guarded_only=True,
)
