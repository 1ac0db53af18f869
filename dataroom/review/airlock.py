"""The airlock in the review (EXP-1, EXP-2): who can request, approve and consume; released exports.

Read from the synthesized room template only (the airlock tags its buckets and roles), plus, for
the evidence, a file of released exports written by ``dataroom export evidence`` from the table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataroom.baseline import Baseline
from dataroom.policies.rules import exp1_export_writers, exp1_review_scan_gate
from dataroom.policies.rules.base import RuleContext, tags
from dataroom.policies.rules.exp_airlock_policy import BUCKET_TAG, ROLE_TAG
from dataroom.review.airlock_roles import airlock_internal_trust
from dataroom.review.airlock_roles import tagged as _tagged
from dataroom.template_policy import as_list, statements

if TYPE_CHECKING:
    from dataroom.review.assembly import StackTemplate
    from dataroom.review.results import ControlResult, RoomContext

__all__ = [
    "EXPORTS_KIND",
    "airlock_facts",
    "detect_exp1",
    "detect_exp2",
    "diff_exports",
    "load_exports",
    "render_airlock",
]

EXPORTS_KIND = "dataroom-exports"


def _role_names(stack: StackTemplate) -> dict[str, str]:
    """Logical id -> a readable name (RoleName or the airlock kind) of every role."""
    out = {}
    for lid, role in stack.resources("AWS::IAM::Role"):
        props = role.get("Properties", {})
        kind = tags(role).get(ROLE_TAG)
        out[lid] = str(props.get("RoleName") or (f"airlock {kind} role" if kind else lid))
    return out


def _release_trusts_only_the_pipeline(stack: StackTemplate) -> bool:
    release = _tagged(stack, "AWS::IAM::Role", ROLE_TAG, "release")
    if release is None:
        return False
    trust = statements(stack.properties(release).get("AssumeRolePolicyDocument"))
    principals = [
        stack.text(p)
        for statement in trust
        for p in as_list((statement.get("Principal") or {}).get("AWS"))
    ]
    services = [p for s in trust for p in as_list((s.get("Principal") or {}).get("Service"))]
    return (
        bool(principals)
        and not services
        and all(airlock_internal_trust(stack, release, p) for p in principals)
    )


def airlock_facts(stack: StackTemplate) -> dict[str, Any] | None:
    """Who can request, approve and consume, read from the template; None without an airlock."""
    export = _tagged(stack, "AWS::S3::Bucket", BUCKET_TAG, "export")
    review = _tagged(stack, "AWS::S3::Bucket", BUCKET_TAG, "review")
    if export is None and review is None:
        return None
    names: dict[str, str] = _role_names(stack)
    requesters: set[str] = set()
    for _, policy in stack.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        props = policy.get("Properties", {})
        for statement in statements(props.get("PolicyDocument")):
            if statement.get("Effect") == "Allow" and "states:StartExecution" in as_list(
                statement.get("Action")
            ):
                for role in as_list(props.get("Roles")):
                    if isinstance(role, dict) and "Ref" in role:
                        requesters.add(str(names.get(role["Ref"], role["Ref"])))
    approvers: list[str] = []
    approver_role = _tagged(stack, "AWS::IAM::Role", ROLE_TAG, "approver")
    if approver_role is not None:
        trust = stack.properties(approver_role).get("AssumeRolePolicyDocument")
        for statement in statements(trust):
            for block in (statement.get("Condition") or {}).values():
                if isinstance(block, dict) and "sts:SourceIdentity" in block:
                    approvers.extend(str(v) for v in as_list(block["sts:SourceIdentity"]))
    consumers: list[str] = []
    for _, policy in stack.resources("AWS::S3::BucketPolicy"):
        props = policy.get("Properties", {})
        if props.get("Bucket") != {"Ref": export}:
            continue
        for statement in statements(props.get("PolicyDocument")):
            if statement.get("Effect") == "Allow":
                principal = statement.get("Principal", {})
                if isinstance(principal, dict):
                    consumers.extend(str(p) for p in as_list(principal.get("AWS")))
    plans = [
        p.get("Properties", {}) for _, p in stack.resources("AWS::GuardDuty::MalwareProtectionPlan")
    ]
    return {
        "requesters": sorted(requesters),
        "approvers": sorted(set(approvers)),
        "approver_role": names.get(approver_role or ""),
        "quorum": 2,
        "consumers": sorted(set(consumers)),
        "review_bucket": review,
        "export_bucket": export,
        "malware_scan": bool(plans)
        and all(p.get("Actions", {}).get("Tagging", {}).get("Status") == "ENABLED" for p in plans),
    }


def _rule_context(stack: StackTemplate, logical_id: str) -> RuleContext:
    return RuleContext(
        logical_id=logical_id,
        resource=stack.resources_by_id[logical_id],
        template=stack.template,
        baseline=Baseline(),  # the airlock rules do not read the baseline
        account=stack.account,
        region=stack.region,
    )


def _verdict_ok(verdict: Any) -> bool:
    return verdict is True or verdict == []


def detect_exp1(ctx: RoomContext, r: ControlResult) -> None:
    """EXP-1: the airlock exists when the manifest asks for it, and its IAM gates hold."""
    facts = airlock_facts(ctx.stack)
    if ctx.room.airlock is None and facts is None:
        r.note = "the room declares no airlock: nothing can be exported through it"
        return
    if facts is None:
        r.check("present", False, "the manifest declares an airlock; the template has none")
        return
    export, review = facts["export_bucket"], facts["review_bucket"]
    r.check(
        "export-writers",
        export is not None
        and _verdict_ok(exp1_export_writers.check(_rule_context(ctx.stack, export))),
        "export bucket writable by the release role only",
    )
    r.check(
        "scan-gate",
        review is not None
        and _verdict_ok(exp1_review_scan_gate.check(_rule_context(ctx.stack, review))),
        "review bucket unreadable before a clean scan; only the scanner tags",
    )
    r.check("malware-scan", facts["malware_scan"], "GuardDuty Malware Protection tags reviews")
    r.check(
        "release-role",
        _release_trusts_only_the_pipeline(ctx.stack),
        "the release role is assumable by the state machine's role only",
    )
    r.check(
        "two-person",
        len(facts["approvers"]) >= 2,
        f"approver role limited to {len(facts['approvers'])} manifest approver(s), at least 2",
    )
    expected = set(ctx.room.airlock.consumers) if ctx.room.airlock else set()
    r.check(
        "consumers",
        set(facts["consumers"]) == expected,
        "export bucket readable by exactly the manifest's consumers",
    )


def detect_exp2(ctx: RoomContext, r: ControlResult) -> None:
    """EXP-2: every release is recorded, in a table nobody can rewrite."""
    if ctx.room.airlock is None and airlock_facts(ctx.stack) is None:
        r.note = "the room declares no airlock"
        return
    tables = list(ctx.stack.resources("AWS::DynamoDB::Table"))
    append_only = False
    recoverable = False
    for _, table in tables:
        props = table.get("Properties", {})
        policy = (props.get("ResourcePolicy") or {}).get("PolicyDocument")
        for statement in statements(policy):
            actions = set(as_list(statement.get("Action")))
            if (
                statement.get("Effect") == "Deny"
                and {
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                }
                <= actions
                and not statement.get("Condition")
            ):
                append_only = True
        pitr = props.get("PointInTimeRecoverySpecification", {})
        recoverable = recoverable or (
            pitr.get("PointInTimeRecoveryEnabled") is True
            and table.get("DeletionPolicy") == "Retain"
        )
    machines = [m for _, m in ctx.stack.resources("AWS::StepFunctions::StateMachine")]
    records = any(
        "RecordReleased" in json.dumps(m.get("Properties", {}).get("DefinitionString", ""))
        for m in machines
    )
    r.check("append-only", append_only, "airlock table denies every update and delete")
    r.check("retained", recoverable, "airlock table retained with point-in-time recovery")
    r.check("release-record", records, "the state machine records each release")


def load_exports(path: str | Path) -> list[dict[str, Any]]:
    """Released exports written by ``dataroom export evidence`` (one file per room, or a list)."""
    from dataroom.review.evidence import EvidenceError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read the exports ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path}: the exports file is not JSON ({exc})") from None
    documents = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    for document in documents:
        if not isinstance(document, Mapping) or document.get("kind") != EXPORTS_KIND:
            raise EvidenceError(f"{path}: not a `dataroom export evidence` file ({EXPORTS_KIND})")
        out.extend(e for e in document.get("exports", []) if isinstance(e, dict))
    return out


def exports_by_room(exports: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for export in exports:
        out.setdefault(str(export.get("room")), []).append(export)
    return out


def diff_exports(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Exports released since ``previous`` (by room and request id): what a reviewer must see."""
    seen = {
        (str(r.get("name")), str(e.get("request_id")))
        for r in previous.get("rooms", [])
        for e in r.get("exports", [])
    }
    return [
        {
            "room": str(r.get("name")),
            "request_id": e.get("request_id"),
            "requester": e.get("requester"),
            "approvers": e.get("approvers", []),
            "released_at": e.get("released_at"),
            "objects": [o.get("key") for o in e.get("objects", [])],
        }
        for r in current.get("rooms", [])
        for e in r.get("exports", [])
        if (str(r.get("name")), str(e.get("request_id"))) not in seen
    ]


def render_airlock(room: Mapping[str, Any], exports: list[dict[str, Any]]) -> list[str]:
    """The REVIEW.md lines of a room's airlock (none without one)."""
    facts = room.get("airlock")
    if not facts:
        return []
    lines = [
        "### Export airlock (EXP-1, EXP-2)",
        "",
        f"- **who can request**: {', '.join(facts['requesters']) or 'nobody'}",
        f"- **who can approve** (two distinct, never the requester): "
        f"{', '.join(facts['approvers']) or 'nobody'} via {facts['approver_role']}",
        f"- **who can consume**: {', '.join(facts['consumers']) or 'nobody'}",
        f"- **malware scan before anyone reads**: {'yes' if facts['malware_scan'] else 'NO'}",
        "",
    ]
    if exports:
        lines += ["Released exports (earlier requests of this room, for differencing attacks):", ""]
        lines += [
            "| request | requester | approvers | released | objects |",
            "|---|---|---|---|---|",
        ]
        for e in exports:
            objects = ", ".join(f"`{o.get('key')}`" for o in e.get("objects", []))
            lines.append(
                f"| {e.get('request_id')} | {e.get('requester')} | "
                f"{', '.join(e.get('approvers', []))} | {e.get('released_at')} | {objects} |"
            )
        lines.append("")
    return lines
