"""Production phases in the review (PHS-1..3): who reads a room's results, and how it got there.

``publication_facts`` describes, from a room's template, the access points its results leave
through, who each admits, from which network, and the end-user feature flag. ``phase_findings``
judges phase transitions against the previous evidence (PHS-3): a skipped step, a change of
phase under the same ticket, and phase B without phase A first (unless justified) are gaps; a
move from production back to exploration (the brief's costly "transition 6") is allowed and
highlighted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dataroom.review.assembly import StackTemplate, statements

__all__ = ["PHASE_ORDER", "phase_findings", "publication_facts"]

#: The lifecycle in order; a step forward moves to the next phase only.
PHASE_ORDER = (
    "definition",
    "exploration",
    "implementation",
    "preprod",
    "production-a",
    "production-b",
)
_PRODUCTION = ("production-a", "production-b")


def publication_facts(stack: StackTemplate) -> dict[str, Any] | None:
    """Access points, their readers and networks, and the flag; ``None`` when nothing publishes."""
    results = stack.metadata.get("results")
    points = []
    for _, resource in stack.resources("AWS::S3::AccessPoint"):
        props = resource.get("Properties", {})
        readers: list[str] = []
        network = "any network"
        tenant_scoped = False
        for statement in statements(props.get("Policy")):
            principal = statement.get("Principal")
            if statement.get("Effect") == "Allow" and isinstance(principal, dict):
                readers.append(stack.text(principal.get("AWS")))
                tenant_scoped |= "${aws:PrincipalTag/" in json.dumps(statement.get("Resource"))
            condition = statement.get("Condition") or {}
            vpce = (condition.get("StringNotEquals") or {}).get("aws:SourceVpce")
            if statement.get("Effect") == "Deny" and vpce:
                network = f"endpoint {stack.text(vpce)}"
        vpc = (props.get("VpcConfiguration") or {}).get("VpcId")
        if vpc:
            network = f"VPC {stack.text(vpc)}"
        name = str(props.get("Name"))
        kind = ((results or {}).get("access_points") or {}).get(name, {}).get("kind", "undeclared")
        points.append(
            {
                "name": name,
                "kind": kind,
                "readers": sorted(set(readers)),
                "network": network,
                "tenant_scoped": tenant_scoped,
            }
        )
    flag = None
    for _, resource in stack.resources("AWS::AppConfig::HostedConfigurationVersion"):
        try:
            content = json.loads(str(resource.get("Properties", {}).get("Content")))
            flag = bool(content["values"]["end_user_results"]["enabled"])
        except (ValueError, KeyError, TypeError):
            flag = None
    if not points and results is None:
        return None
    return {
        "phase": (results or {}).get("phase"),
        "access_points": sorted(points, key=lambda p: p["name"]),
        "end_user_flag": flag,
    }


def _finding(room: str, old: Any, new: Any, kind: str, gap: bool, detail: str) -> dict[str, Any]:
    return {"room": room, "from": old, "to": new, "kind": kind, "gap": gap, "detail": detail}


def phase_findings(
    previous: Mapping[str, Any] | None,
    current_rooms: Sequence[Mapping[str, Any]],
    justifications: Mapping[str, str | None],
) -> list[dict[str, Any]]:
    """PHS-3: each phase change (or phase-B room) judged against the previous evidence.

    :param previous: the previous evidence record, or ``None`` (then only phase B is judged).
    :param current_rooms: this evidence's rooms (``name``, ``phase``, ``ticket``).
    :param justifications: room -> its ``results.phase_b_justification``.
    """
    before = {str(r["name"]): r for r in (previous or {}).get("rooms", [])}
    out = []
    for room in current_rooms:
        name, new = str(room["name"]), str(room["phase"])
        old_room = before.get(name)
        old = str(old_room["phase"]) if old_room else None
        justified = bool(justifications.get(name))
        if new == "production-b" and old != "production-b" and old != "production-a":
            seen = "no previous evidence was given" if previous is None else f"it was {old}"
            out.append(
                _finding(
                    name,
                    old,
                    new,
                    "phase-b-without-a",
                    not justified,
                    f"phase B needs phase A first ({seen})"
                    + ("; justified in results.phase_b_justification" if justified else ""),
                )
            )
        if old is None or old == new:
            continue
        if old in PHASE_ORDER and new in PHASE_ORDER:
            step = PHASE_ORDER.index(new) - PHASE_ORDER.index(old)
            if step > 1:
                skipped = PHASE_ORDER[PHASE_ORDER.index(old) + 1 : PHASE_ORDER.index(new)]
                excused = new == "production-b" and justified
                out.append(
                    _finding(
                        name,
                        old,
                        new,
                        "skipped-step",
                        not excused,
                        f"skips {', '.join(skipped)}"
                        + ("; justified in results.phase_b_justification" if excused else ""),
                    )
                )
            if old in _PRODUCTION and new == "exploration":
                out.append(
                    _finding(
                        name,
                        old,
                        new,
                        "back-to-exploration",
                        False,
                        "production back to exploration (transition 6): allowed; the model "
                        "leaves production and its results stop being published",
                    )
                )
        if old_room and old_room.get("ticket") == room.get("ticket"):
            out.append(
                _finding(
                    name,
                    old,
                    new,
                    "same-ticket",
                    True,
                    f"phase changed under the same ticket {room.get('ticket')}: a phase change "
                    "is a change of its own and needs a new ticket",
                )
            )
    return out


def phases_section(review: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[str]:
    """REVIEW.md: results publication per room and the phase findings (PHS-1..3)."""
    lines = ["## Production phases and results publication", ""]
    published = [r for r in review.get("rooms", []) if r.get("publication")]
    if not published:
        lines += ["No room publishes results (only production-a and production-b rooms do).", ""]
    for room in published:
        publication = room["publication"]
        flag = publication.get("end_user_flag")
        lines += [
            f"### {room['name']} ({room['phase']})",
            "",
            f"End-user feature flag `dataroom-{room['name']}`: "
            f"{'on' if flag else 'off' if flag is not None else 'absent'}.",
            "",
            "| access point | serves | readers | reachable from | tenant-scoped |",
            "|---|---|---|---|---|",
        ]
        for point in publication["access_points"]:
            lines.append(
                f"| `{point['name']}` | {point['kind']} | "
                f"{', '.join(f'`{r}`' for r in point['readers'])} | {point['network']} | "
                f"{'yes' if point['tenant_scoped'] else 'no'} |"
            )
        lines.append("")
    findings = evidence.get("phase_findings") or []
    lines += ["### Phase transitions (PHS-3)", ""]
    if not findings:
        lines += ["No phase finding.", ""]
        return lines
    for f in findings:
        mark = "**gap**" if f["gap"] else "note"
        lines.append(f"- {mark} {f['room']}: {f['from']} -> {f['to']} ({f['kind']}): {f['detail']}")
    return [*lines, ""]
