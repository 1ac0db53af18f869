"""The gate's verdicts on a room's template, as review checks: one definition, two reports.

The review's detectors describe a control to a reviewer; the gate's rules
(``dataroom/policies/rules``) decide whether ``cdk synth`` fails. So that the two can never
disagree, every detector also reports, as failing checks, the findings the gate's rules of the
same control make on the room's template — and controls the review has no detector of its own
for (S3-1, S3-4, MON-3..6, DRF-2, CHG-4, PER-1..3, PHS-1/2, LCY-1/2) are reported
from the gate's rules alone.
jsii-free.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dataroom.baseline import Baseline
from dataroom.policies.judge import AssemblyJudge, judge_template
from dataroom.policies.rules.base import Rule
from dataroom.policies.rules.catalog import RULES

__all__ = ["GATE_ONLY_CONTROLS", "beside_room_gaps", "gate_findings"]

#: Controls the review reports from the gate's rules only.
GATE_ONLY_CONTROLS: tuple[str, ...] = (
    "CHG-1",
    "S3-1",
    "S3-4",
    "MON-3",
    "MON-4",
    "MON-5",
    "MON-6",
    "DRF-2",
    "CHG-4",
    "PER-1",
    "PER-2",
    "PER-3",
    "PHS-1",
    "PHS-2",
    "LCY-1",
    "LCY-2",
)


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


def beside_room_gaps(
    assembly_dir: str | Path,
    *,
    room_accounts: Iterable[str],
    production_accounts: Iterable[str],
    baseline: Baseline | None = None,
) -> list[str]:
    """The gate's findings in stacks beside the rooms: what the review must report as well.

    Every stack of the assembly that is neither a room's nor the production-access stack, nested
    stacks and stages included, is judged as ``cdk synth`` judges it (a stack in a room's or
    production's account, or with an unresolved account, is guarded).
    """
    judge = AssemblyJudge(
        baseline=baseline or Baseline(),
        room_accounts=room_accounts,
        production_accounts=production_accounts,
    )
    gaps = []
    for directory in _assembly_dirs(Path(assembly_dir)):
        for info in judge.stacks(directory):
            if info.kind in ("room", "production-access") or not info.guarded:
                continue
            for logical_id, failures in judge.failures(info.template_path).items():
                for failure in failures:
                    details = "; ".join(failure.details) or "non-compliant"
                    gaps.append(
                        f"{info.display_name} (beside the rooms): {failure.rule.control} "
                        f"missing: gate {failure.rule.rule_id}: {logical_id}: {details}"
                    )
    return gaps


def _assembly_dirs(directory: Path) -> list[Path]:
    """``directory`` and the nested assemblies of its stages, at any depth."""
    out = [directory]
    manifest = directory / "manifest.json"
    if not manifest.is_file():
        return out
    artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {})
    for artifact in artifacts.values():
        if artifact.get("type") == "cdk:cloud-assembly":
            nested = artifact.get("properties", {}).get("directoryName")
            if nested:
                out.extend(_assembly_dirs(directory / nested))
    return out
