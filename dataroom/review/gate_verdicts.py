"""The gate's verdicts on a room's template, as review checks: one definition, two reports.

The review's detectors describe a control to a reviewer; the gate's rules
(``dataroom/policies/rules``) decide whether ``cdk synth`` fails. So that the two can never
disagree, every detector also reports, as failing checks, the findings the gate's rules of the
same control make on the room's template — and controls the review has no detector of its own
for (S3-1, S3-4, MON-3, MON-4, MON-5, DRF-2, CHG-4) are reported from the gate's rules alone.
jsii-free.
"""

from __future__ import annotations

from typing import Any

from dataroom.baseline import Baseline
from dataroom.policies.judge import judge_template
from dataroom.policies.rules.base import Rule
from dataroom.policies.rules.catalog import RULES

__all__ = ["GATE_ONLY_CONTROLS", "gate_findings"]

#: Controls the review reports from the gate's rules only.
GATE_ONLY_CONTROLS: tuple[str, ...] = ("S3-1", "S3-4", "MON-3", "MON-4", "MON-5", "DRF-2", "CHG-4")


def gate_findings(
    template: dict[str, Any],
    control: str,
    *,
    account: str,
    region: str,
    baseline: Baseline | None = None,
    rules: tuple[Rule, ...] = RULES,
) -> list[str]:
    """Each finding the gate's rules of ``control`` make on a room's ``template``.

    The template is judged as the gate judges a room stack (guarded, in a room account), with
    the expectations the stack wrote into its metadata. ``baseline`` defaults to production's
    strict in-memory defaults, as the review is not given the baseline file.
    """
    selected = tuple(r for r in rules if r.control == control)
    failures = judge_template(
        template, baseline=baseline or Baseline(), account=account, region=region, rules=selected
    )
    return [
        f"gate {f.rule.rule_id}: {logical_id}" + (f": {'; '.join(f.details)}" if f.details else "")
        for logical_id, found in failures.items()
        for f in found
    ]
