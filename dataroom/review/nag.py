"""What the nag gate reported, and every acknowledgement with its reason, from the assembly.

CDK writes ``validation-report.json`` only when a validation plugin reported something, and leaves
out a pack with no finding at all; each ``suppressedViolations`` entry carries the
acknowledgement's ``reason``. Independently, every ``Validations.of(x).acknowledge(...)`` is
recorded in the stack's construct metadata (``<Stack>.metadata.json``, entry type
``aws:cdk:acknowledged-rules``, ``{id: reason}``), whether or not it matched a finding. Both are in
the assembly, so the review lists each acknowledgement with its reason and says whether it
matched a finding of this synthesis.
"""

from __future__ import annotations

from typing import Any

from dataroom.policies.pack_names import NAG_PACK_NAMES
from dataroom.review.assembly import Assembly

__all__ = ["nag_results"]


def _findings(entries: Any) -> list[dict[str, Any]]:
    out = []
    for v in entries if isinstance(entries, list) else []:
        constructs = v.get("violatingConstructs", []) or [{"constructPath": "?"}]
        for c in constructs:
            out.append(
                {
                    "rule": str(v.get("ruleName", "")),
                    "construct": str(c.get("constructPath", "?")),
                    "acknowledged_id": v.get("acknowledgedId"),
                    "acknowledged_at": v.get("acknowledgedAt"),
                    "reason": v.get("reason"),
                }
            )
    return out


def nag_results(assembly: Assembly) -> dict[str, Any]:
    """Per pack: status and counts; every acknowledgement with its reason and whether it matched.

    Pack status: ``pass`` (report present, no unacknowledged finding), ``fail`` (unacknowledged
    findings), ``no-findings`` (the report leaves the pack out: it found nothing), ``no-report``
    (no ``validation-report.json``: either nothing was found or the gate did not run; the
    assembly cannot tell which).
    """
    report = assembly.validation_report
    plugins = {
        str(p.get("pluginName")): p
        for p in (report or {}).get("pluginReports", [])
        if isinstance(p, dict)
    }
    names = list(NAG_PACK_NAMES) + sorted(set(plugins) - set(NAG_PACK_NAMES))
    packs = []
    violations: list[dict[str, Any]]
    suppressed: list[dict[str, Any]]
    matched: dict[str, dict[str, Any]] = {}
    for name in names:
        plugin = plugins.get(name)
        if report is None:
            status, violations, suppressed = "no-report", [], []
        elif plugin is None:
            status, violations, suppressed = "no-findings", [], []
        else:
            violations = _findings(plugin.get("violations"))
            suppressed = _findings(plugin.get("suppressedViolations"))
            status = "fail" if violations else "pass"
        for s in suppressed:
            where = str(s["acknowledged_at"] or s["construct"].rsplit("/", 1)[0])
            key = f"{where}: {s['acknowledged_id'] or s['rule']}"
            entry = matched.setdefault(
                key,
                {
                    "key": key,
                    "pack": name,
                    "rule": s["rule"],
                    "acknowledged_at": where,
                    "constructs": [],
                    "reason": s["reason"] or "",
                    "matched": True,
                },
            )
            entry["constructs"].append(s["construct"])
        packs.append(
            {
                "pack": name,
                "status": status,
                "violations": len(violations),
                "suppressed": len(suppressed),
                "unacknowledged": [f"{v['rule']} on {v['construct']}" for v in violations],
            }
        )
    acknowledgements = list(matched.values())
    for ack in assembly.acknowledgements:
        if ack.key in matched:
            if not matched[ack.key]["reason"]:
                matched[ack.key]["reason"] = ack.reason
            continue
        # Declared on a construct but matched no finding of this synthesis (or no report).
        acknowledgements.append(
            {
                "key": ack.key,
                "pack": ack.pack,
                "rule": ack.rule,
                "acknowledged_at": ack.construct_path,
                "constructs": [],
                "reason": ack.reason,
                "matched": False,
            }
        )
    acknowledgements.sort(key=lambda a: (a["pack"], a["acknowledged_at"], a["rule"]))
    return {
        "report_present": report is not None,
        "reasons_source": (
            "validation-report.json (suppressedViolations[].reason) and the stacks' construct "
            "metadata (aws:cdk:acknowledged-rules)"
        ),
        "packs": packs,
        "acknowledgements": acknowledgements,
    }
