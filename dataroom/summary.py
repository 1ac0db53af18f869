"""Reads a cloud assembly (``cdk.out``) and says what was synthesized and what the gate found."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataroom.cloud_assembly import stack_artifacts
from dataroom.policies.pack_names import NAG_PACK_NAMES


@dataclass(frozen=True)
class StackSummary:
    """One synthesized stack."""

    artifact_id: str
    stack_name: str
    environment: str
    template: Path
    resources: int
    resource_types: Counter[str]


@dataclass(frozen=True)
class GateSummary:
    """What the nag gate reported."""

    violations: tuple[tuple[str, str], ...]
    acknowledged: tuple[tuple[str, str, str], ...] = field(default=())


def read_stacks(assembly: Path) -> list[StackSummary]:
    """Every CloudFormation stack of the assembly, nested stages included."""
    out: list[StackSummary] = []
    for artifact in stack_artifacts(assembly):
        resources = artifact.template().get("Resources", {})
        out.append(
            StackSummary(
                artifact_id=artifact.display_name,
                stack_name=artifact.stack_name,
                environment=artifact.environment,
                template=artifact.template_file,
                resources=len(resources),
                resource_types=Counter(r["Type"] for r in resources.values()),
            )
        )
    return out


def read_gate(assembly: Path) -> GateSummary | None:
    """The validation report CDK writes when plugins ran; ``None`` when there is none."""
    path = assembly / "validation-report.json"
    if not path.exists():
        return None
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    violations, acknowledged = [], []
    for plugin in report.get("pluginReports", []):
        for v in plugin.get("violations", []):
            for c in v.get("violatingConstructs", []):
                violations.append((v["ruleName"], c["constructPath"]))
        for v in plugin.get("suppressedViolations", []):
            for c in v.get("violatingConstructs", []):
                acknowledged.append((v["ruleName"], c["constructPath"], v.get("reason", "")))
    return GateSummary(tuple(violations), tuple(acknowledged))


def render(assembly: Path, manifest_path: str, gate: GateSummary | None) -> str:
    """The short summary ``make synth`` prints; ``gate`` is :func:`read_gate`'s answer."""
    stacks = read_stacks(assembly)
    lines = [f"dataroom: {len(stacks)} stack(s) synthesized from {manifest_path} into {assembly}/"]
    for s in stacks:
        lines.append(
            f"  {s.artifact_id:<28} stack {s.stack_name} in {s.environment}: "
            f"{s.resources} resources -> {s.template}"
        )
    if gate is None:
        lines.append("nag gate: NO validation report found; the gate did not run")
    else:
        lines.append(
            f"nag gate: {', '.join(NAG_PACK_NAMES)}: "
            f"{len(gate.violations)} unacknowledged finding(s), "
            f"{len(gate.acknowledged)} acknowledged (by the constructs that raise them)"
        )
        by_rule = Counter(rule for rule, _path, _reason in gate.acknowledged)
        for rule, count in sorted(by_rule.items()):
            lines.append(f"  acknowledged {rule} x{count}")
        for rule, path in gate.violations:
            lines.append(f"  UNACKNOWLEDGED {rule} on {path}")
    lines.extend(deploy_hints(assembly))
    return "\n".join(lines)


def deploy_hints(assembly: Path, evidence: str = "review/evidence.json") -> list[str]:
    """Deploy commands for this very assembly (whatever manifest it was synthesized from), in
    dependency order: room accounts before production. ``cdk deploy --app <assembly>`` deploys
    the templates that were reviewed, without synthesizing again."""
    from dataroom.deploy_plan import PlanError, plan

    try:
        waves = plan(assembly).waves
    except PlanError as exc:
        return [f"deploy: no plan ({exc})"]
    lines = [f"deploy the reviewed assembly (template digests in {evidence}), room accounts first:"]
    for wave in waves:
        for account, planned in sorted(wave.by_account.items()):
            region = planned[0].region
            names = " ".join(s.artifact_id for s in planned)
            lines.append(
                f"  wave {wave.number}: cdk deploy --app {assembly} --exclusively {names}  "
                f"(credentials for {account}/{region})"
            )
    lines.append(
        f"  or, by account with bounded concurrency: dataroom deploy-plan --assembly {assembly} "
        f"--evidence {evidence}"
    )
    return lines
