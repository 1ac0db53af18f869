"""EXP-1: nothing in an airlock's review bucket is readable before GuardDuty scanned it clean.

Two denies, to everyone: reading an object version whose ``GuardDutyMalwareScanStatus`` tag is
not ``NO_THREATS_FOUND`` (the scanner alone spared), and setting tags (the scanner alone spared).
"""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.exp_airlock_policy import (
    airlock_kind,
    applies_to_everyone,
    bucket_statements,
    covers_actions,
    covers_objects,
    role_kind,
    spared_roles,
)

SCAN_TAG = "GuardDutyMalwareScanStatus"
CLEAN = "NO_THREATS_FOUND"
READS = ("s3:GetObject", "s3:GetObjectVersion")
TAGGING = ("s3:PutObjectTagging", "s3:PutObjectVersionTagging")


def _scanner_only(ctx: RuleContext, statement: dict[str, Any], allowed: set[str]) -> str | None:
    roles, other = spared_roles(statement)
    extra = [k for k in other if k not in allowed]
    if extra:
        return f"narrowed by {extra}"
    if any(role_kind(ctx, r) != "scanner" for r in roles):
        return f"spares {roles} (expected the scanner only)"
    return None


def _read_gate(ctx: RuleContext, statement: dict[str, Any]) -> str | None:
    tag = (statement.get("Condition") or {}).get("StringNotEquals", {})
    if tag.get(f"s3:ExistingObjectTag/{SCAN_TAG}") != CLEAN:
        return "missing"
    return _scanner_only(ctx, statement, {f"StringNotEquals:s3:ExistingObjectTag/{SCAN_TAG}"})


def _read_gate_keys(statement: dict[str, Any]) -> bool:
    return f"s3:ExistingObjectTag/{SCAN_TAG}" in (statement.get("Condition") or {}).get(
        "StringNotEquals", {}
    )


def check(ctx: RuleContext) -> Verdict:
    if airlock_kind(ctx) != "review":
        return None
    read_problems: list[str] = []
    tag_problems: list[str] = []
    read_ok = tag_ok = False
    for statement in bucket_statements(ctx):
        if statement.get("Effect") != "Deny" or not applies_to_everyone(statement):
            continue
        if not covers_objects(ctx, statement):
            continue
        roles, other = spared_roles(statement)
        if not roles and other and not _read_gate_keys(statement):
            continue  # not about who reads or tags (e.g. the TLS-only deny)
        if not covers_actions(statement, READS):
            problem = _read_gate(ctx, statement)
            if problem is None:
                read_ok = True
            elif problem != "missing":
                read_problems.append(f"the read-before-scan deny is {problem}")
        if not covers_actions(statement, TAGGING):
            problem = _scanner_only(ctx, statement, set())
            if problem is None:
                tag_ok = True
            else:
                tag_problems.append(f"the tagging deny is {problem}")
    findings = []
    if not read_ok:
        findings += read_problems or [
            f"no statement denies reads of versions not tagged {SCAN_TAG}={CLEAN}"
        ]
    if not tag_ok:
        findings += tag_problems or ["no statement denies tagging to all but the scanner"]
    return findings


RULE = Rule(
    rule_id="EXP1ReviewScanGate",
    control="EXP-1",
    info="The airlock's review bucket is readable before the malware scan, or taggable by more "
    "than the scanner.",
    explanation="Objects under review may be malicious or not yet approved: only GuardDuty's "
    "scanner reads them before it tags them clean, and only it sets the scan tag.",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
