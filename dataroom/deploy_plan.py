"""Deploy waves of a synthesized assembly: room accounts first, by account, bounded. jsii-free.

``dataroom deploy-plan`` reads ``cdk.out`` (the assembly that was reviewed) and prints, wave by
wave, one ``cdk deploy --app cdk.out --exclusively`` command per account. A wave holds the stacks
whose dependencies are in earlier waves (the production stack depends on the room stacks whose
scientist roles its read roles trust), so every trust policy names a role that exists. Within a
wave, accounts may run side by side (at most ``max_accounts`` at once) and each command deploys
at most ``concurrency`` stacks at once (``cdk deploy --concurrency``), which keeps CloudFormation
API rates and new accounts' quotas out of reach. With ``evidence``, the templates must still have
the digests the review recorded: a plan for an assembly that changed after review is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PlanError(ValueError):
    """Not an assembly, a dependency cycle, or templates that differ from the reviewed ones."""


@dataclass(frozen=True)
class PlannedStack:
    """One stack of the assembly."""

    artifact_id: str
    stack_name: str
    account: str
    region: str
    template: Path
    dependencies: tuple[str, ...]


@dataclass
class Wave:
    """Stacks deployable together: every dependency is in an earlier wave."""

    number: int
    by_account: dict[str, list[PlannedStack]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The waves, and how to run them."""

    assembly: Path
    waves: tuple[Wave, ...]
    concurrency: int
    max_accounts: int
    evidence: Path | None

    def command(self, stacks: list[PlannedStack]) -> list[str]:
        """The ``cdk deploy`` of one account's stacks in one wave, from the reviewed assembly."""
        return [
            "cdk",
            "deploy",
            "--app",
            str(self.assembly),
            "--exclusively",
            "--require-approval",
            "never",
            "--concurrency",
            str(self.concurrency),
            *(s.artifact_id for s in stacks),
        ]

    def to_dict(self) -> dict[str, Any]:
        """The plan for machines (e.g. a CI matrix per wave)."""
        return {
            "assembly": str(self.assembly),
            "evidence": str(self.evidence) if self.evidence else None,
            "concurrency": self.concurrency,
            "max_accounts": self.max_accounts,
            "waves": [
                {
                    "wave": wave.number,
                    "accounts": [
                        {
                            "account": account,
                            "regions": sorted({s.region for s in stacks}),
                            "stacks": [s.artifact_id for s in stacks],
                            "stack_names": [s.stack_name for s in stacks],
                            "command": self.command(stacks),
                        }
                        for account, stacks in sorted(wave.by_account.items())
                    ],
                }
                for wave in self.waves
            ],
        }


def read_stacks(assembly: Path) -> list[PlannedStack]:
    """Every CloudFormation stack of the top-level assembly, with its dependencies."""
    path = assembly / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise PlanError(f"{assembly} holds no cloud assembly; run `make synth` first") from None
    artifacts: dict[str, Any] = manifest.get("artifacts", {})
    stacks = {k: a for k, a in artifacts.items() if a.get("type") == "aws:cloudformation:stack"}
    out = []
    for artifact_id, artifact in stacks.items():
        environment = artifact.get("environment", "aws://unknown-account/unknown-region")
        _, _, account, region = [*environment.split("/"), "", "", "", ""][:4]
        out.append(
            PlannedStack(
                artifact_id=artifact_id,
                stack_name=artifact.get("properties", {}).get("stackName", artifact_id),
                account=account,
                region=region,
                template=assembly / artifact["properties"]["templateFile"],
                # Asset and other artifacts are deployed with their stack; only stacks order.
                dependencies=tuple(d for d in artifact.get("dependencies", []) if d in stacks),
            )
        )
    return out


def check_digests(stacks: list[PlannedStack], evidence_path: Path) -> None:
    """Refuse when a template is not byte for byte the one the review's evidence recorded."""
    try:
        evidence = json.loads(evidence_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PlanError(f"{evidence_path}: cannot read the review's evidence ({exc})") from None
    reviewed = {t.get("artifact_id"): t.get("sha256") for t in evidence.get("templates", [])}
    problems = []
    for stack in stacks:
        digest = hashlib.sha256(stack.template.read_bytes()).hexdigest()
        if stack.artifact_id not in reviewed:
            problems.append(f"{stack.artifact_id}: not in the reviewed evidence")
        elif reviewed[stack.artifact_id] != digest:
            problems.append(
                f"{stack.artifact_id}: template sha256 {digest[:12]}... differs from the "
                f"reviewed {str(reviewed[stack.artifact_id])[:12]}..."
            )
    if problems:
        raise PlanError(
            f"the assembly is not the one {evidence_path} records: "
            + "; ".join(problems)
            + "; review it again (make synth) before deploying"
        )


def plan(
    assembly: str | Path,
    *,
    concurrency: int = 4,
    max_accounts: int = 4,
    evidence: str | Path | None = None,
) -> Plan:
    """Waves of ``assembly``'s stacks: topological levels, grouped by account."""
    if concurrency < 1 or max_accounts < 1:
        raise PlanError(
            f"concurrency={concurrency}, max_accounts={max_accounts}: expected at least 1"
        )
    assembly = Path(assembly)
    stacks = read_stacks(assembly)
    evidence_path = Path(evidence) if evidence else None
    if evidence_path is not None:
        check_digests(stacks, evidence_path)
    remaining = {s.artifact_id: s for s in stacks}
    placed: set[str] = set()
    waves: list[Wave] = []
    while remaining:
        ready = sorted(
            (s for s in remaining.values() if set(s.dependencies) <= placed),
            key=lambda s: s.artifact_id,
        )
        if not ready:
            raise PlanError(f"dependency cycle among {', '.join(sorted(remaining))}")
        wave = Wave(number=len(waves) + 1)
        for stack in ready:
            wave.by_account.setdefault(stack.account, []).append(stack)
            del remaining[stack.artifact_id]
        placed.update(s.artifact_id for s in ready)
        waves.append(wave)
    return Plan(assembly, tuple(waves), concurrency, max_accounts, evidence_path)


def render(plan: Plan) -> str:
    """The plan for people: waves, accounts and the command of each."""
    total = sum(len(stacks) for w in plan.waves for stacks in w.by_account.values())
    checked = (
        f"templates match the reviewed digests in {plan.evidence}"
        if plan.evidence
        else "digests not checked (pass --evidence review/evidence.json)"
    )
    lines = [
        f"dataroom deploy-plan: {total} stack(s) of {plan.assembly} in {len(plan.waves)} "
        f"wave(s); {checked}",
        f"each wave: up to {plan.max_accounts} account(s) at once, up to {plan.concurrency} "
        "stack(s) at once per account; a wave starts when the previous one succeeded",
    ]
    for wave in plan.waves:
        lines.append(f"wave {wave.number}:")
        for account, stacks in sorted(wave.by_account.items()):
            names = ", ".join(f"{s.artifact_id} ({s.stack_name})" for s in stacks)
            lines.append(f"  account {account}: {names}")
            lines.append(f"    {' '.join(plan.command(stacks))}")
    return "\n".join(lines)
