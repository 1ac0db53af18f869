"""The stacks to audit, from the shared cloud assembly reader (:mod:`dataroom.cloud_assembly`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataroom.audit.errors import AssemblyError
from dataroom.cloud_assembly import CloudAssemblyError, StackArtifact, stack_artifacts

__all__ = ["StackArtifact", "read_assembly", "read_template", "select_stacks"]


def read_assembly(assembly: Path) -> list[StackArtifact]:
    """Every CloudFormation stack of the assembly, nested (stage) assemblies included."""
    try:
        return stack_artifacts(assembly)
    except CloudAssemblyError as exc:
        raise AssemblyError(str(exc)) from exc


def read_template(artifact: StackArtifact) -> dict[str, Any]:
    """A stack's synthesized template; :class:`AssemblyError` if it cannot be read."""
    try:
        return artifact.template()
    except CloudAssemblyError as exc:
        raise AssemblyError(f"{artifact.template_file}: cannot read the template: {exc}") from exc


def select_stacks(stacks: Sequence[StackArtifact], names: Sequence[str]) -> list[StackArtifact]:
    """The stacks named (artifact id, display name or stack name); all of them when none is."""
    if not names:
        return list(stacks)
    chosen: list[StackArtifact] = []
    unknown: list[str] = []
    for name in names:
        found = [s for s in stacks if name in (s.artifact_id, s.display_name, s.stack_name)]
        if not found:
            unknown.append(name)
        chosen.extend(s for s in found if s not in chosen)
    if unknown:
        known = ", ".join(f"{s.display_name} ({s.stack_name})" for s in stacks)
        raise AssemblyError(
            f"no stack named {', '.join(unknown)} in the assembly; it holds {known}"
        )
    return chosen
