"""DataRoomGate: the synth-time refusals no acknowledgement can lift (a CDK validation plugin).

CDK lets any construct acknowledge a plugin's finding, except a finding whose severity is
``fatal``. This plugin reports, as fatal, on the cloud assembly (no construct-tree walk):

- every finding of a never-suppressible DataRoomChecks rule, in every stack of the app, nested
  stacks included (judged once by the shared :class:`~dataroom.policies.judge.AssemblyJudge`);
- every acknowledgement of a never-suppressible rule (it would be a lie in the report);
- every acknowledgement made on a whole stack, stage or app rather than on the construct at
  fault, and every acknowledgement whose reason a reviewer cannot check (see
  :func:`reason_problem`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)
from constructs import IConstruct

from dataroom.policies.judge import AssemblyJudge, StackInfo
from dataroom.policies.rules.catalog import NEVER_SUPPRESSIBLE, PACK_NAME, RULES

__all__ = ["ACKNOWLEDGED_RULES", "MIN_REASON_CHARS", "MIN_REASON_WORDS", "DataRoomGate",
           "reason_problem"]  # fmt: skip

GATE_NAME = "DataRoomGate"
#: Metadata entry type under which CDK records ``Validations.of(x).acknowledge(...)``.
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
#: A reason a reviewer can check says what is accepted and why: at least this long...
MIN_REASON_CHARS = 40
#: ... in at least this many words.
MIN_REASON_WORDS = 6
#: Reasons that say nothing a reviewer could check.
_GENERIC = re.compile(
    r"^\W*(false positive|not applicable|n/?a|todo|tbd|fixme|wontfix|accepted?|ignored?|ok|"
    r"by design|as designed|intended|expected|known issue|suppress(ed)?|test(ing)?)\W*$",
    re.IGNORECASE,
)


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` is not one a reviewer can check (None: it is)."""
    words = re.findall(r"[A-Za-z0-9][\w:/.*-]*", reason)
    if _GENERIC.match(reason.strip()):
        return f"the reason {reason!r} is generic"
    if len(reason.strip()) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS:
        return (
            f"the reason {reason!r} is too short: say what is accepted and why, in at least "
            f"{MIN_REASON_WORDS} words and {MIN_REASON_CHARS} characters"
        )
    return None


def _bare(rule_id: str) -> str:
    return str(rule_id).split("::", 1)[-1].split("[", 1)[0]


@jsii.implements(IPolicyValidationPlugin)
class DataRoomGate:
    """The data room gate, judged on the synthesized assembly in one pass (no tree walk).

    By default it reports every DataRoom rule's findings (never-suppressible ones as fatal) under
    the pack name ``DataRoom``: the cdk-nag pack :class:`DataRoomChecks` is then not needed at
    synth, which spares a jsii callback per resource. With ``report_suppressible=False`` it is
    ``DataRoomGate`` and reports only the fatal findings, beside a registered DataRoomChecks.

    :param judge: the judge (shared with DataRoomChecks when both run).
    :param scope: the app or stage the gate is registered on; its own acknowledgements (a
        whole-app acknowledgement) are read from it directly.
    """

    def __init__(
        self,
        *,
        judge: AssemblyJudge,
        scope: IConstruct | None = None,
        report_suppressible: bool = True,
    ) -> None:
        self._judge = judge
        self._scope = scope
        self._all = report_suppressible

    @property
    def name(self) -> str:
        # Named as the rules' pack, so `DataRoom::DataRoom-<Rule>` acknowledges a suppressible
        # finding on its construct exactly as it did with the cdk-nag pack.
        return PACK_NAME if self._all else GATE_NAME

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        if self._all:
            return sorted(f"{PACK_NAME}-{r.rule_id}" for r in RULES)
        return sorted(NEVER_SUPPRESSIBLE)

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations: list[PolicyViolation] = []
        directories = sorted({Path(p).resolve().parent for p in context.template_paths})
        for directory in directories:
            for info in self._judge.stacks(directory):
                violations.extend(self._findings(info))
                violations.extend(self._acknowledgements(info))
        violations.extend(self._scope_acknowledgements())
        return PolicyValidationPluginReport(success=not violations, violations=violations)

    def _findings(self, info: StackInfo) -> list[PolicyViolation]:
        out = []
        for logical_id, failures in self._judge.failures(info.template_path).items():
            for failure in failures:
                rule = failure.rule
                if not rule.never_suppressible and not self._all:
                    continue
                out.append(
                    PolicyViolation(
                        rule_name=f"{PACK_NAME}-{rule.rule_id}",
                        description=f"[{rule.control}] {rule.info} In {info.display_name}, "
                        f"{logical_id}: {'; '.join(failure.details) or 'non-compliant'}. "
                        + (
                            "Never-suppressible: fix the resource; no acknowledgement lifts this."
                            if rule.never_suppressible
                            else f"Fix it, or acknowledge {PACK_NAME}::{PACK_NAME}-{rule.rule_id} "
                            "on the construct with a specific reason."
                        ),
                        severity="fatal" if rule.never_suppressible else "error",
                        fix=rule.explanation,
                        violating_resources=[
                            _resource(info, logical_id, f"Resources/{logical_id}")
                        ],
                    )
                )
        return out

    def _acknowledgements(self, info: StackInfo) -> list[PolicyViolation]:
        roots = _stack_roots(info.metadata)
        out = []
        for path, entries in info.metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or entry.get("type") != ACKNOWLEDGED_RULES:
                    continue
                data = entry.get("data")
                for rule_id, reason in data.items() if isinstance(data, dict) else ():
                    problem = _ack_problem(str(path), str(rule_id), str(reason), roots)
                    if problem:
                        out.append(_ack_violation(info, str(path), problem))
        return out

    def _scope_acknowledgements(self) -> list[PolicyViolation]:
        if self._scope is None:
            return []
        out = []
        for entry in self._scope.node.metadata:  # one jsii call: the app's own metadata
            if entry.type != ACKNOWLEDGED_RULES:
                continue
            for rule_id in dict(entry.data):
                out.append(
                    PolicyViolation(
                        rule_name=f"{GATE_NAME}-AcknowledgementScope",
                        description=f"/{self._scope.node.path}: {rule_id} is acknowledged for "
                        "the whole app: acknowledge a finding on the construct that raises it",
                        severity="fatal",
                        violating_resources=[],
                    )
                )
        return out


def _stack_roots(metadata: dict[str, Any]) -> set[str]:
    """Construct paths of the stacks a metadata file covers (entries naming a template file)."""
    roots = {
        str(path)
        for path, entries in metadata.items()
        if any(isinstance(e, dict) and e.get("type") == "aws:cdk:templateFile" for e in entries)
    }
    if not roots and metadata:
        roots.add(min(metadata, key=len))
    return roots


def _ack_problem(path: str, rule_id: str, reason: str, roots: set[str]) -> str | None:
    bare = _bare(rule_id)
    if bare in NEVER_SUPPRESSIBLE:
        return (
            f"{rule_id} cannot be acknowledged: it is never-suppressible (docs/controls.md); "
            "fix the resource"
        )
    if path in roots:
        return (
            f"{rule_id} is acknowledged for the whole stack: acknowledge a finding on the "
            "construct that raises it, so the same finding on a new resource still fails"
        )
    problem = reason_problem(reason)
    return f"{rule_id}: {problem}" if problem else None


def _ack_violation(info: StackInfo, path: str, problem: str) -> PolicyViolation:
    return PolicyViolation(
        rule_name=f"{GATE_NAME}-Acknowledgement",
        description=f"{path}: {problem}",
        severity="fatal",
        violating_resources=[_resource(info, _logical_id_under(info, path), "Metadata")],
    )


def _logical_id_under(info: StackInfo, path: str) -> str:
    for construct_path, entries in info.metadata.items():
        if construct_path == path or str(construct_path).startswith(path + "/"):
            for entry in entries:
                if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId":
                    return str(entry.get("data"))
    return next(iter(info.template.get("Resources", {})), "")


def _resource(info: StackInfo, logical_id: str, location: str) -> PolicyViolatingResource:
    return PolicyViolatingResource(
        resource_logical_id=logical_id,
        template_path=str(info.template_path),
        locations=[location],
    )
