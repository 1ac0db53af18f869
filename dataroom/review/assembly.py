"""Reads a cloud assembly (``cdk.out``) without jsii: stacks, templates, gate report, metadata.

Everything the review says about access, network and monitoring comes from the synthesized
templates read here, never from the manifest: the templates are what CloudFormation deploys, so a
change made in code (an escape hatch, a widened grant) shows up even when the manifest did not
change.

CloudFormation intrinsics are rendered to readable strings with :meth:`StackTemplate.render`:
``{"Ref": "X"}`` becomes ``<X>``, ``{"Fn::GetAtt": ["X", "Arn"]}`` becomes ``<X.Arn>``, pseudo
parameters become the stack's account and region, and ``Fn::Join``/``Fn::Sub`` are joined. This is
the notation cdk-nag uses in its finding ids, so the two reports read alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from dataroom.cloud_assembly import CloudAssemblyError, load_json, stack_artifacts
from dataroom.template_policy import as_list, partition_of, refers_to, statements

__all__ = [
    "Acknowledgement",
    "Assembly",
    "AssemblyError",
    "StackTemplate",
    "action_matches",
    "as_list",
    "read_assembly",
    "refers_to",
    "statements",
]

Json = Any
Resource = dict[str, Any]

#: Template metadata key under which the dataroom stacks say what they are (room or production).
KIND_KEY = "dataroom"
#: Metadata entry type under which CDK records ``Validations.of(x).acknowledge(...)``.
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"


class AssemblyError(Exception):
    """The path is not a readable cloud assembly (a usage error, not a finding)."""


@dataclass(frozen=True)
class Acknowledgement:
    """A nag finding acknowledged on a construct, as the assembly's stack metadata records it."""

    acknowledged_id: str
    construct_path: str
    reason: str

    @property
    def pack(self) -> str:
        """The pack part of ``Pack::Rule`` (empty when the id has no pack)."""
        return self.acknowledged_id.split("::", 1)[0] if "::" in self.acknowledged_id else ""

    @property
    def rule(self) -> str:
        """The rule part of ``Pack::Rule``."""
        return self.acknowledged_id.split("::", 1)[-1]

    @property
    def key(self) -> str:
        """Stable identity of the acknowledgement: where and what (used by the evidence diff)."""
        return f"{self.construct_path}: {self.acknowledged_id}"


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized CloudFormation stack and its template."""

    artifact_id: str
    display_name: str
    stack_name: str
    account: str
    region: str
    path: Path
    template: dict[str, Any]
    sha256: str

    @property
    def metadata(self) -> dict[str, Any]:
        """The template's ``Metadata.dataroom`` block (kind, room, adopted singletons)."""
        value = self.template.get("Metadata", {}).get(KIND_KEY, {})
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def kind(self) -> str:
        """``room``, ``production-access``, or ``other`` (a stack the app did not tag)."""
        return str(self.metadata.get("kind", "other"))

    @property
    def room_name(self) -> str | None:
        """The room a room stack belongs to."""
        name = self.metadata.get("room")
        return str(name) if name is not None and self.kind == "room" else None

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    @property
    def resources_by_id(self) -> dict[str, Resource]:
        resources = self.template.get("Resources", {})
        return resources if isinstance(resources, dict) else {}

    def resources(self, *types: str) -> Iterator[tuple[str, Resource]]:
        """``(logical id, resource)`` of every resource of one of ``types`` (all when empty)."""
        for logical_id, resource in self.resources_by_id.items():
            if not types or resource.get("Type") in types:
                yield logical_id, resource

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources_by_id.get(logical_id, {})
        props = resource.get("Properties", {})
        return props if isinstance(props, dict) else {}

    def resource_type(self, logical_id: str) -> str | None:
        resource = self.resources_by_id.get(logical_id)
        return str(resource.get("Type")) if resource else None

    # --- intrinsics ------------------------------------------------------------------------

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": self.stack_name,
        }.get(name)

    def render(self, value: Json) -> Json:
        """``value`` with every intrinsic this module knows replaced by a readable string."""
        if isinstance(value, list):
            return [self.render(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            rendered = self._intrinsic(key, arg)
            if rendered is not None:
                return rendered
        return {k: self.render(v) for k, v in value.items()}

    def text(self, value: Json) -> str:
        """:meth:`render` as one string (JSON for whatever is not a string)."""
        rendered = self.render(value)
        if isinstance(rendered, str):
            return rendered
        return json.dumps(rendered, sort_keys=True, separators=(",", ":"))

    def _intrinsic(self, key: str, arg: Json) -> Json | None:
        if key == "Ref" and isinstance(arg, str):
            return self._pseudo(arg) or f"<{arg}>"
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list) and len(parts) == 2:
                return f"<{parts[0]}.{self.text(parts[1])}>"
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            separator, parts = arg
            items = self.render(parts)
            if isinstance(separator, str) and isinstance(items, list):
                return separator.join(self.text(p) for p in items)
        if key == "Fn::Sub":
            template, variables = (arg, {}) if isinstance(arg, str) else [*arg, {}][:2]
            if isinstance(template, str) and isinstance(variables, dict):

                def substitute(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return self.text(variables[name])
                    if "." in name:
                        return f"<{name}>"
                    return self._pseudo(name) or f"<{name}>"

                return re.sub(r"\$\{([^!}][^}]*)\}", substitute, template)
        if key == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            index, items = arg[0], self.render(arg[1])
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return items[int(index)]
            return f"<{self.text(items)}[{index}]>"
        if key == "Fn::GetAZs":
            return "<availability zones>"
        if key == "Fn::ImportValue":
            return f"<import {self.text(arg)}>"
        if key.startswith("Fn::"):
            return f"<{key} {self.text(arg)}>"
        return None

    # --- IAM ----------------------------------------------------------------------------------

    def role_arn(self, logical_id: str) -> str:
        """The role's ARN when it has a ``RoleName``; ``<LogicalId.Arn>`` otherwise."""
        props = self.properties(logical_id)
        name = props.get("RoleName")
        if name is None:
            return f"<{logical_id}.Arn>"
        path = self.text(props.get("Path", "/"))
        return f"arn:{self.partition}:iam::{self.account}:role{path}{self.text(name)}"

    def role_name(self, logical_id: str) -> str:
        """The ``RoleName`` (rendered), or the logical id of a role CloudFormation names."""
        name = self.properties(logical_id).get("RoleName")
        return self.text(name) if name is not None else logical_id

    def identity_statements(self, role_id: str) -> list[tuple[str, dict[str, Any]]]:
        """``(policy name, statement)`` of every identity policy of a role found in the template.

        Inline ``Policies``, ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy`` resources naming
        the role, and managed policies of this template listed in ``ManagedPolicyArns``.
        """
        found: list[tuple[str, dict[str, Any]]] = []
        props = self.properties(role_id)
        for policy in as_list(props.get("Policies")):
            if isinstance(policy, dict):
                name = f"{role_id}/{self.text(policy.get('PolicyName', 'inline'))}"
                found.extend((name, s) for s in statements(policy.get("PolicyDocument")))
        managed_here = {
            lid
            for arn in as_list(props.get("ManagedPolicyArns"))
            for lid, _ in self.resources("AWS::IAM::ManagedPolicy")
            if refers_to(arn, lid)
        }
        for lid, policy in self.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            policy_props = policy.get("Properties", {})
            attached = any(refers_to(r, role_id) for r in as_list(policy_props.get("Roles")))
            if attached or lid in managed_here:
                found.extend((lid, s) for s in statements(policy_props.get("PolicyDocument")))
        return found

    def external_managed_policies(self, role_id: str) -> list[str]:
        """Managed policies of a role that are not in this template (their grants are unknown)."""
        out = []
        for arn in as_list(self.properties(role_id).get("ManagedPolicyArns")):
            if not any(refers_to(arn, lid) for lid, _ in self.resources("AWS::IAM::ManagedPolicy")):
                out.append(self.text(arn))
        return out


@dataclass(frozen=True)
class Assembly:
    """A cloud assembly: its stacks, the gate's report and the declared acknowledgements."""

    path: Path
    stacks: tuple[StackTemplate, ...]
    validation_report: dict[str, Any] | None
    acknowledgements: tuple[Acknowledgement, ...] = field(default=())

    def room_stacks(self) -> list[StackTemplate]:
        return [s for s in self.stacks if s.kind == "room"]

    def production_stacks(self) -> list[StackTemplate]:
        """Every stack that is not a room: where production read roles live."""
        return [s for s in self.stacks if s.kind != "room"]

    def room_stack(self, room_name: str) -> StackTemplate | None:
        for stack in self.room_stacks():
            if stack.room_name == room_name:
                return stack
        return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AssemblyError(f"{path}: cannot read it as JSON ({exc})") from None


def _acknowledgements(metadata: Mapping[str, Any]) -> list[Acknowledgement]:
    out = []
    for construct_path, entries in metadata.items():
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("type") != ACKNOWLEDGED_RULES:
                continue
            data = entry.get("data", {})
            for ack_id, reason in data.items() if isinstance(data, dict) else ():
                out.append(
                    Acknowledgement(str(ack_id), str(construct_path).lstrip("/"), str(reason))
                )
    return out


def _read(root: Path, stacks: list[StackTemplate], acks: list[Acknowledgement]) -> None:
    try:
        artifacts = stack_artifacts(root)
        for artifact in artifacts:
            template = load_json(artifact.template_file)
            stacks.append(
                StackTemplate(
                    artifact_id=artifact.artifact_id,
                    display_name=artifact.display_name,
                    stack_name=artifact.stack_name,
                    account=artifact.environment.partition("/")[0],
                    region=artifact.environment.partition("/")[2],
                    path=artifact.template_file,
                    template=template if isinstance(template, dict) else {},
                    sha256=_sha256(artifact.template_file),
                )
            )
            acks.extend(_acknowledgements(artifact.construct_metadata()))
    except CloudAssemblyError as exc:
        raise AssemblyError(str(exc)) from None


def read_assembly(path: str | Path) -> Assembly:
    """Read the cloud assembly at ``path``; :class:`AssemblyError` when there is none."""
    root = Path(path)
    if not (root / "manifest.json").is_file():
        raise AssemblyError(
            f"{root} holds no cloud assembly (no manifest.json); run `make synth` or "
            f"`cdk synth -o {root}` first"
        )
    stacks: list[StackTemplate] = []
    acks: list[Acknowledgement] = []
    try:
        _read(root, stacks, acks)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AssemblyError(
            f"{root}: not a cloud assembly this command understands ({exc!r})"
        ) from None
    if not stacks:
        raise AssemblyError(f"{root}: the cloud assembly holds no CloudFormation stack")
    report_path = root / "validation-report.json"
    report = _load_json(report_path) if report_path.is_file() else None
    return Assembly(
        path=root,
        stacks=tuple(stacks),
        validation_report=report if isinstance(report, dict) else None,
        acknowledgements=tuple(acks),
    )


# --- policy helpers ----------------------------------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards."""
    return fnmatchcase(action.lower(), pattern.lower())
