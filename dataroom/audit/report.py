"""The audit report for people: a table, drift first, with the details a truncated cell hides."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from dataroom.audit.findings import AuditReport


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(report: AuditReport, *, width: int = 60) -> str:
    """The report for people: skipped stacks, a table (drift first), details, the summary."""
    lines = [
        f"{s.stack_name} ({s.artifact_id}): {s.status}: {s.reason}"
        for s in report.stacks
        if s.status != "audited"
    ]
    headers = ("stack", "control", "resource", "check", "expected", "actual", "status")
    rows = [
        (f.stack, f.control, f.resource, f.check, f.expected, f.actual, f.status)
        for f in report.sorted_findings()
    ]
    if rows:
        cells = [tuple(_cell(value, width) for value in row) for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines.extend(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
        )
    # A truncated cell would hide exactly what a person must act on: say it in full.
    details = [
        f"{f.stack} {f.resource} {f.check}:\n  expected: {f.expected}\n  actual:   {f.actual}"
        for f in report.sorted_findings()
        if f.status in ("drift", "missing") and (len(f.expected) > width or len(f.actual) > width)
    ]
    if details:
        lines.append("")
        lines.extend(details)
    lines.append(report.summary_line())
    return "\n".join(lines)


def render_fleet_summary(report: AuditReport) -> str:
    """One line per account: stacks, and findings per status (what a fleet run ends with)."""
    accounts = sorted({s.account for s in report.stacks})
    lines = ["fleet:"]
    for account in accounts:
        stacks = [s for s in report.stacks if s.account == account]
        findings = [f for f in report.findings if f.account == account]
        counts = {
            status: sum(1 for f in findings if f.status == status)
            for status in ("missing", "drift", "unverifiable", "ok")
        }
        states = ", ".join(f"{s.stack_name} {s.status}" for s in stacks)
        lines.append(
            f"  {account}: {states}; {counts['missing']} missing, {counts['drift']} drift, "
            f"{counts['unverifiable']} unverifiable, {counts['ok']} ok"
        )
    return "\n".join(lines)


def progress_printer(stream: TextIO) -> Callable[[int, int, str], None]:
    """Progress for a terminal: one rewritten line, ``[done/total] what``."""

    def show(done: int, total: int, what: str) -> None:
        end = "\n" if done == total else ""
        stream.write(f"\r\033[K[{done}/{total}] {what}{end}")
        stream.flush()

    return show
