"""checkov and cfn-lint findings over a synthesized assembly, against the committed exceptions.

``scripts/scan.sh`` runs both tools over ``cdk synth``'s output and then this module
(``python -m dataroom.policies.scanners CHECKOV_JSON CFN_LINT_JSON``): every failed check must be
fixed or listed, with its reason, in ``dataroom/policies/scanner_exceptions.yaml`` (the nag
acknowledgements' counterpart for these two tools). A finding nobody listed exits 1; a listed
exception that no longer matches anything is reported, so the file does not rot. jsii-free.

An exception names the tool, the check id, the stacks (template file names without
``.template.json``, shell-style patterns) and the resources: logical ids without aws-cdk-lib's
8-character hash suffix (``Remediation9708FCA6`` is ``Remediation``), also patterns. Never a
whole check for every resource.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

EXCEPTIONS = Path(__file__).resolve().with_name("scanner_exceptions.yaml")
TOOLS = ("checkov", "cfn-lint")
_HASH = re.compile(r"[0-9A-F]{8}$")


class ScannerError(ValueError):
    """The exceptions file or a tool's report is not what this module expects."""


@dataclass(frozen=True)
class Finding:
    """One failed check on one resource of one stack."""

    tool: str
    check: str
    stack: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.tool} {self.check} {self.stack}/{self.resource}: {self.message}"


@dataclass(frozen=True)
class ListedFinding:
    """A listed finding and the reason it is accepted."""

    tool: str
    check: str
    stacks: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str

    def matches(self, finding: Finding) -> bool:
        return (
            finding.tool == self.tool
            and finding.check == self.check
            and any(fnmatchcase(finding.stack, s) for s in self.stacks)
            and any(fnmatchcase(finding.resource, r) for r in self.resources)
        )


def resource_name(logical_id: str) -> str:
    """A logical id without aws-cdk-lib's hash suffix: the stable, path-derived part."""
    return _HASH.sub("", logical_id)


def _stack(path: str) -> str:
    return Path(path).name.removesuffix(".template.json")


def load_exceptions(path: Path = EXCEPTIONS) -> list[ListedFinding]:
    """The committed exceptions; each needs a tool, a check, stacks, resources and a reason."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("exceptions")
    if not isinstance(entries, list):
        raise ScannerError(f"{path}: exceptions: expected a list")
    found = []
    for index, entry in enumerate(entries):
        where = f"{path}: exceptions[{index}]"
        if not isinstance(entry, dict):
            raise ScannerError(f"{where}: expected a mapping")
        missing = [
            k for k in ("tool", "check", "stacks", "resources", "reason") if not entry.get(k)
        ]
        if missing:
            raise ScannerError(f"{where}: missing {', '.join(missing)}")
        if entry["tool"] not in TOOLS:
            raise ScannerError(f"{where}.tool: {entry['tool']!r}: expected one of {TOOLS}")
        if "*" in entry["resources"]:
            raise ScannerError(f"{where}.resources: '*': name the resources, never all of them")
        if len(str(entry["reason"]).split()) < 8:
            raise ScannerError(f"{where}.reason: say why in a sentence a reviewer would accept")
        found.append(
            ListedFinding(
                tool=entry["tool"],
                check=str(entry["check"]),
                stacks=tuple(str(s) for s in entry["stacks"]),
                resources=tuple(str(r) for r in entry["resources"]),
                reason=str(entry["reason"]),
            )
        )
    return found


def checkov_findings(report: Any) -> list[Finding]:
    """Failed checks of a ``checkov -o json`` report (one framework or several)."""
    reports = report if isinstance(report, list) else [report]
    found = []
    for single in reports:
        if not isinstance(single, dict) or "results" not in single:
            if isinstance(single, dict) and single.get("failed", 0) == 0 and "passed" in single:
                continue  # checkov's bare summary when nothing was scanned or failed
            raise ScannerError(f"not a checkov report: {str(single)[:200]}")
        for check in single["results"].get("failed_checks", []):
            found.append(
                Finding(
                    tool="checkov",
                    check=str(check["check_id"]),
                    stack=_stack(str(check["file_path"])),
                    resource=resource_name(str(check["resource"]).split(".", 1)[-1]),
                    message=str(check.get("check_name", "")),
                )
            )
    return found


def cfn_lint_findings(report: Any) -> list[Finding]:
    """Matches of a ``cfn-lint --format json`` report, every level (warnings included)."""
    if not isinstance(report, list):
        raise ScannerError(f"not a cfn-lint report: {str(report)[:200]}")
    found = []
    for match in report:
        path = match.get("Location", {}).get("Path") or []
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else "-"
        found.append(
            Finding(
                tool="cfn-lint",
                check=str(match["Rule"]["Id"]),
                stack=_stack(str(match["Filename"])),
                resource=resource_name(resource),
                message=str(match.get("Message", "")),
            )
        )
    return found


def judge(
    findings: list[Finding], exceptions: list[ListedFinding]
) -> tuple[list[Finding], list[ListedFinding]]:
    """(findings no exception lists, exceptions that match no finding)."""
    unlisted = [f for f in findings if not any(e.matches(f) for e in exceptions)]
    stale = [e for e in exceptions if not any(e.matches(f) for f in findings)]
    return unlisted, stale


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m dataroom.policies.scanners CHECKOV_JSON CFN_LINT_JSON")
        return 2
    checkov_path, cfn_lint_path = (Path(a) for a in args)
    try:
        findings = checkov_findings(json.loads(checkov_path.read_text(encoding="utf-8")))
        findings += cfn_lint_findings(json.loads(cfn_lint_path.read_text(encoding="utf-8")))
        exceptions = load_exceptions()
    except (OSError, ValueError, KeyError) as exc:
        print(f"dataroom scan: {exc}", file=sys.stderr)
        return 2
    unlisted, stale = judge(findings, exceptions)
    listed = len(findings) - len(unlisted)
    print(f"dataroom scan: {len(findings)} finding(s), {listed} listed in {EXCEPTIONS.name}")
    for exception in stale:
        print(
            f"dataroom scan: stale exception {exception.tool} {exception.check} "
            f"{list(exception.resources)}: nothing matches it any more; remove it"
        )
    for finding in unlisted:
        print(f"dataroom scan: NOT LISTED: {finding}", file=sys.stderr)
    if unlisted:
        print(
            f"dataroom scan: fix each finding above, or list it with its reason in {EXCEPTIONS}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
