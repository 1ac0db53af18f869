"""The one reader of a cloud assembly's manifest (``cdk.out/manifest.json``), jsii-free.

``dataroom audit``, ``dataroom review`` and ``dataroom summary`` all start from the same list:
every ``aws:cloudformation:stack`` artifact of the assembly, nested (stage) assemblies included,
with its environment and its template file. Each command builds its own view on top (the audit
its deployed-account comparison, the review its typed stack model, the summary its counts);
none of them parses the manifest itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The manifest's artifact types this reader follows.
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"


class CloudAssemblyError(ValueError):
    """The directory is not a readable cloud assembly; the message names the path."""


@dataclass(frozen=True)
class StackArtifact:
    """One ``aws:cloudformation:stack`` artifact of a cloud assembly."""

    artifact_id: str
    display_name: str
    stack_name: str
    #: ``None`` for an environment-agnostic stack (``unknown-account``).
    account: str | None
    region: str | None
    template_file: Path
    #: The directory of the (possibly nested) assembly that lists this artifact.
    directory: Path
    #: The artifact's manifest entry as written by the CDK.
    artifact: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def environment(self) -> str:
        """``account/region`` as the manifest writes it (``unknown-...`` parts kept)."""
        return str(self.artifact.get("environment", "")).removeprefix("aws://")

    def template(self) -> dict[str, Any]:
        """The synthesized template; :class:`CloudAssemblyError` if it cannot be read."""
        data = load_json(self.template_file)
        if not isinstance(data, dict):
            raise CloudAssemblyError(f"{self.template_file}: not a CloudFormation template")
        return data

    def construct_metadata(self) -> dict[str, Any]:
        """Construct metadata (inline, or in the side file recent CDK versions write)."""
        metadata = self.artifact.get("metadata", {})
        side_file = self.artifact.get("additionalMetadataFile")
        if side_file:
            metadata = load_json(self.directory / str(side_file))
        return dict(metadata) if isinstance(metadata, Mapping) else {}


def load_json(path: Path) -> Any:
    """A JSON file's content; :class:`CloudAssemblyError` naming the file when unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CloudAssemblyError(f"{path}: cannot read it as JSON ({exc})") from None


def _environment(value: str) -> tuple[str | None, str | None]:
    account, _, region = value.removeprefix("aws://").partition("/")
    return (
        None if not account or account.startswith("unknown-") else account,
        None if not region or region.startswith("unknown-") else region,
    )


def stack_artifacts(assembly: str | Path) -> list[StackArtifact]:
    """Every CloudFormation stack of the assembly, nested (stage) assemblies included.

    :class:`CloudAssemblyError` when the directory or its manifest is missing or unreadable.
    An assembly without stacks yields an empty list (each command says what that means to it).
    """
    root = Path(assembly)
    if not root.is_dir():
        raise CloudAssemblyError(f"{root}: no such directory; synthesize first (`make synth`)")
    if not (root / "manifest.json").is_file():
        raise CloudAssemblyError(f"{root}: not a cloud assembly (no manifest.json)")
    stacks: list[StackArtifact] = []
    _read(root, stacks)
    return stacks


def _read(directory: Path, stacks: list[StackArtifact]) -> None:
    manifest_path = directory / "manifest.json"
    manifest = load_json(manifest_path)
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise CloudAssemblyError(f"{manifest_path}: not a cloud assembly manifest (no artifacts)")
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties", {})
        if artifact.get("type") == NESTED_ASSEMBLY:
            _read(directory / str(properties["directoryName"]), stacks)
        elif artifact.get("type") == STACK_ARTIFACT:
            account, region = _environment(str(artifact.get("environment", "")))
            stacks.append(
                StackArtifact(
                    artifact_id=str(artifact_id),
                    display_name=str(artifact.get("displayName", artifact_id)),
                    stack_name=str(properties.get("stackName", artifact_id)),
                    account=account,
                    region=region,
                    template_file=directory / str(properties.get("templateFile", "")),
                    directory=directory,
                    artifact=artifact,
                )
            )
