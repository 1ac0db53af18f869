"""Judges every stack of a synthesized cloud assembly against the rules, without jsii.

The gate reads what synthesis wrote: ``manifest.json`` (each stack's environment), the templates
(nested stack templates included, found through their ``aws:asset:path``) and each stack's
``<Stack>.metadata.json`` (acknowledgements). It decides which stacks are *guarded* — those that
target a room's account or production's, or an unresolved account in an app that has rooms — so
a sibling or nested stack beside a room is judged like the room itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataroom.baseline import Baseline
from dataroom.policies.rules.base import KIND_KEY, Rule, RuleContext, Verdict
from dataroom.policies.rules.catalog import RULES

__all__ = ["AssemblyJudge", "Failure", "StackInfo", "judge_template"]

_ACCOUNT = re.compile(r"^\d{12}$")
_ENVIRONMENT = re.compile(r"^aws://(?P<account>[^/]*)/(?P<region>.*)$")


@dataclass(frozen=True)
class StackInfo:
    """One stack of the assembly (top-level or nested) and what the gate knows of it."""

    template_path: Path
    template: dict[str, Any]
    display_name: str
    account: str
    region: str
    kind: str
    guarded: bool
    room_account: bool
    #: The stack's ``<Stack>.metadata.json`` (construct path -> entries); nested stacks: none.
    metadata: dict[str, Any] = field(default_factory=dict)
    nested: bool = False


@dataclass(frozen=True)
class Failure:
    """A rule a resource fails, with what is wrong."""

    rule: Rule
    context: RuleContext
    details: tuple[str, ...]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _failed(verdict: Verdict) -> tuple[str, ...] | None:
    if verdict is False:
        return ()
    if isinstance(verdict, list) and verdict:
        return tuple(str(v) for v in verdict)
    return None


class AssemblyJudge:
    """Reads an assembly once and judges each of its templates once (results are cached).

    :param baseline: production's controls (DRF-2).
    :param room_accounts: accounts rooms live in (besides those room stacks declare).
    :param production_accounts: production's accounts (besides production-access stacks').
    :param expectations: room name -> what the manifest asks of it (see ``room_expectations``).
    :param guard_everything: judge every stack as guarded (a production app: every stack is
        production's).
    :param local: the app is synthesized in local mode for a loopback moto server; rules that
        need what moto cannot deploy are waived (``Rule.waived_locally``).
    """

    def __init__(
        self,
        *,
        baseline: Baseline,
        room_accounts: Iterable[str] = (),
        production_accounts: Iterable[str] = (),
        expectations: Mapping[str, Mapping[str, Any]] | None = None,
        rules: tuple[Rule, ...] = RULES,
        guard_everything: bool = False,
        local: bool = False,
    ) -> None:
        self.baseline = baseline
        self.local = local
        self._room_accounts = frozenset(room_accounts)
        self._production_accounts = frozenset(production_accounts)
        self._rules = rules
        self._expectations = dict(expectations or {})
        self._guard_everything = guard_everything
        self._stacks: dict[Path, list[StackInfo]] = {}
        self._by_path: dict[Path, StackInfo] = {}
        self._failures: dict[Path, dict[str, list[Failure]]] = {}

    # --- the assembly --------------------------------------------------------------------------

    def stacks(self, outdir: str | Path) -> list[StackInfo]:
        """Every stack of the assembly in ``outdir`` (nested stacks after their parent)."""
        directory = Path(outdir).resolve()
        cached = self._stacks.get(directory)
        if cached is not None:
            return cached
        raw = self._read(directory)
        rooms = set(self._room_accounts)
        production = set(self._production_accounts)
        for entry in raw:
            kind = entry["kind"]
            if kind == "room" and _ACCOUNT.match(entry["account"]):
                rooms.add(entry["account"])
            elif kind == "production-access" and _ACCOUNT.match(entry["account"]):
                production.add(entry["account"])
        infos = []
        for entry in raw:
            account = entry["account"]
            if entry["kind"] == "room":
                room_account = guarded = True
            elif _ACCOUNT.match(account):
                room_account = account in rooms
                guarded = room_account or account in production
            else:  # environment-agnostic: it may deploy anywhere, so it is judged with the rooms
                room_account = guarded = bool(rooms)
            info = StackInfo(
                guarded=guarded or self._guard_everything, room_account=room_account, **entry
            )
            infos.append(info)
            self._by_path[info.template_path] = info
        self._stacks[directory] = infos
        return infos

    def _read(self, directory: Path) -> list[dict[str, Any]]:
        manifest_path = directory / "manifest.json"
        if not manifest_path.is_file():
            raise RuntimeError(
                f"the gate reads the cloud assembly, and {manifest_path} does not exist: "
                "synthesize the app before validating it"
            )
        out: list[dict[str, Any]] = []
        artifacts = _load(manifest_path).get("artifacts", {})
        for artifact_id, artifact in artifacts.items():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            props = artifact.get("properties", {})
            match = _ENVIRONMENT.match(str(artifact.get("environment", "")))
            account = match.group("account") if match else ""
            region = match.group("region") if match else ""
            path = (directory / props["templateFile"]).resolve()
            metadata_file = artifact.get("additionalMetadataFile")
            metadata = _load(directory / metadata_file) if metadata_file else {}
            metadata.update(artifact.get("metadata", {}))
            name = str(artifact.get("displayName", artifact_id))
            out.append(self._entry(path, name, account, region, metadata, nested=False))
            # Nested stacks are assets of their top-level stack (at any depth): their templates
            # are listed in its asset manifest, whatever the CLI's asset-metadata setting.
            for nested in self._nested_templates(directory, artifacts, artifact):
                out.append(
                    self._entry(nested, f"{name}/{nested.name}", account, region, {}, nested=True)
                )
        return out

    @staticmethod
    def _nested_templates(
        directory: Path, artifacts: dict[str, Any], artifact: dict[str, Any]
    ) -> list[Path]:
        found = []
        for dependency in artifact.get("dependencies", []):
            assets = artifacts.get(dependency, {})
            if assets.get("type") != "cdk:asset-manifest":
                continue
            manifest = _load(directory / assets["properties"]["file"])
            for entry in manifest.get("files", {}).values():
                source = str(entry.get("source", {}).get("path", ""))
                if source.endswith(".nested.template.json") and (directory / source).is_file():
                    found.append((directory / source).resolve())
        return sorted(set(found))

    @staticmethod
    def _entry(
        path: Path,
        name: str,
        account: str,
        region: str,
        metadata: dict[str, Any],
        *,
        nested: bool,
    ) -> dict[str, Any]:
        template = _load(path)
        meta = template.get("Metadata", {}).get(KIND_KEY, {})
        return {
            "template_path": path,
            "template": template,
            "display_name": name,
            "account": account,
            "region": region,
            "kind": str(meta.get("kind", "nested" if nested else "other")),
            "metadata": metadata,
            "nested": nested,
        }

    def info(self, template_path: str | Path) -> StackInfo:
        """The stack whose template is ``template_path`` (its assembly is read on first use)."""
        path = Path(template_path).resolve()
        if path not in self._by_path:
            self.stacks(path.parent)
        try:
            return self._by_path[path]
        except KeyError:
            raise RuntimeError(f"{path}: not a template of the assembly in {path.parent}") from None

    # --- judging -------------------------------------------------------------------------------

    def failures(self, template_path: str | Path) -> dict[str, list[Failure]]:
        """logical id -> the rules its resource fails, judged once per template."""
        info = self.info(template_path)
        cached = self._failures.get(info.template_path)
        if cached is not None:
            return cached
        room = str(info.template.get("Metadata", {}).get(KIND_KEY, {}).get("room", ""))
        found = judge_template(
            info.template,
            baseline=self.baseline,
            account=info.account,
            region=info.region,
            guarded=info.guarded,
            room_account=info.room_account,
            manifest_expect=self._expectations.get(room, {}),
            rules=self._rules,
            local=self.local,
        )
        self._failures[info.template_path] = found
        return found


def judge_template(
    template: dict[str, Any],
    *,
    baseline: Baseline,
    account: str,
    region: str,
    guarded: bool = True,
    room_account: bool = True,
    manifest_expect: Mapping[str, Any] | None = None,
    rules: tuple[Rule, ...] = RULES,
    local: bool = False,
) -> dict[str, list[Failure]]:
    """logical id -> the rules its resource fails in ``template`` (one stack, in memory)."""
    found: dict[str, list[Failure]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        context = RuleContext(
            logical_id=logical_id,
            resource=resource,
            template=template,
            baseline=baseline,
            account=account,
            region=region,
            guarded=guarded,
            room_account=room_account,
            manifest_expect=dict(manifest_expect or {}),
            local=local,
        )
        for rule in rules:
            if not rule.applies(context):
                continue
            details = _failed(rule.check(context))
            if details is not None:
                found.setdefault(logical_id, []).append(Failure(rule, context, details))
    return found
