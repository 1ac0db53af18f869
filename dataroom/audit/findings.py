"""Findings, stack outcomes and the report of one audit run (the exit status it calls for)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "drift", "missing", "unverifiable"]

#: Status order of the report: what needs a person first.
STATUS_ORDER: dict[str, int] = {"missing": 0, "drift": 1, "unverifiable": 2, "ok": 3}
#: The control of rows about a stack as a whole.
AUDIT_CONTROL = "DRF-3"


@dataclass(frozen=True)
class Finding:
    """One comparison of one deployed resource (or stack) with the template and the baseline."""

    stack: str
    control: str
    logical_id: str
    physical_id: str
    resource_type: str
    check: str
    expected: str
    actual: str
    status: Status
    #: Where the resource is (a fleet report spans accounts and regions).
    account: str = ""
    region: str = ""

    @property
    def resource(self) -> str:
        """The logical id, with the physical id when there is one."""
        return f"{self.logical_id} ({self.physical_id})" if self.physical_id else self.logical_id

    def to_dict(self) -> dict[str, str]:
        """The finding as a JSON object."""
        return {
            "stack": self.stack,
            "control": self.control,
            "resource": self.resource,
            "logical_id": self.logical_id,
            "physical_id": self.physical_id,
            "resource_type": self.resource_type,
            "check": self.check,
            "expected": self.expected,
            "actual": self.actual,
            "status": self.status,
            "account": self.account,
            "region": self.region,
        }

    def line(self) -> str:
        """The finding as one line: ``STATUS control stack resource check: expected; actual``."""
        return (
            f"{self.status.upper()} {self.control} {self.stack} {self.resource} {self.check}: "
            f"expected {self.expected}; actual {self.actual}"
        )


@dataclass(frozen=True)
class StackOutcome:
    """What happened to one stack: audited, missing (not deployed) or skipped (and why)."""

    artifact_id: str
    stack_name: str
    account: str
    region: str
    #: ``failed``: in a fleet run, this stack's account could not be read (the others were).
    status: Literal["audited", "missing", "skipped", "failed"]
    reason: str = ""
    #: How long the stack's audit took (0 when it was not audited).
    seconds: float = 0.0

    def to_dict(self) -> dict[str, str | float]:
        """The outcome as a JSON object."""
        return {
            "artifact_id": self.artifact_id,
            "stack_name": self.stack_name,
            "account": self.account,
            "region": self.region,
            "status": self.status,
            "reason": self.reason,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class AuditReport:
    """Every finding of one audit run, and the exit status it calls for."""

    assembly: str
    baseline: str
    stacks: tuple[StackOutcome, ...]
    findings: tuple[Finding, ...]

    def count(self, status: Status) -> int:
        """How many findings have ``status``."""
        return sum(1 for f in self.findings if f.status == status)

    @property
    def exit_code(self) -> int:
        """1 on any drift or missing resource; 2 when no stack could be audited; else 0."""
        if self.count("drift") or self.count("missing"):
            return 1
        if any(s.status == "failed" for s in self.stacks):
            return 2  # part of the fleet was not read: not a green result
        if self.stacks and all(s.status == "skipped" for s in self.stacks):
            # Nothing was read: a green result here would be a lie (wrong credentials).
            return 2
        return 0

    def summary(self) -> dict[str, int]:
        """Counts per status, per stack outcome, and the exit status."""
        return {
            "checks": len(self.findings),
            "ok": self.count("ok"),
            "drift": self.count("drift"),
            "missing": self.count("missing"),
            "unverifiable": self.count("unverifiable"),
            "stacks_audited": sum(1 for s in self.stacks if s.status == "audited"),
            "stacks_missing": sum(1 for s in self.stacks if s.status == "missing"),
            "stacks_skipped": sum(1 for s in self.stacks if s.status == "skipped"),
            "stacks_failed": sum(1 for s in self.stacks if s.status == "failed"),
            "exit_code": self.exit_code,
        }

    def summary_line(self) -> str:
        """``N checks: X ok, Y drift, M missing, Z unverifiable`` (and skipped stacks)."""
        line = (
            f"{len(self.findings)} checks: {self.count('ok')} ok, {self.count('drift')} drift, "
            f"{self.count('missing')} missing, {self.count('unverifiable')} unverifiable"
        )
        skipped = sum(1 for s in self.stacks if s.status == "skipped")
        return f"{line}; {skipped} stack(s) skipped" if skipped else line

    def sorted_findings(self) -> list[Finding]:
        """Missing and drift first, then unverifiable, then ok; stable within each."""
        return sorted(self.findings, key=lambda f: STATUS_ORDER[f.status])

    def to_dict(self) -> dict[str, Any]:
        """The report as one JSON document (``dataroom audit --json``)."""
        return {
            "assembly": self.assembly,
            "baseline": self.baseline,
            "stacks": [s.to_dict() for s in self.stacks],
            "findings": [f.to_dict() for f in self.sorted_findings()],
            "summary": self.summary(),
        }
