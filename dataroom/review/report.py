"""Builds the review (``review.json``, ``REVIEW.md``) and the evidence (``evidence.json``).

The review reads two inputs and keeps their roles apart:

- the **cloud assembly**: every statement about access, network and monitoring is derived from
  the synthesized templates (and the gate's report and construct metadata in the assembly);
- the **manifest**: only the people and process facts (hypothesis, ticket, owner, approvers,
  expiry, dataset justifications, classification and tenancy, mixing justification), plus what
  the phase says should exist (IAM-6) and which production locations a room is approved for.

A *gap* is anything a reviewer must not wave through: a control of the threat map that is
missing, a flagged edge of an access graph (a non-read action on production, a trust beyond the
room, a grant wider than a prefix, a prefix the manifest does not approve), an unacknowledged
nag finding, or an assembly that does not match the manifest. Any gap makes the command exit 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataroom.baseline import Baseline, BaselineError, load_baseline
from dataroom.manifest import Manifest, ManifestError, Room, load_manifest
from dataroom.review.airlock import (
    airlock_facts,
    diff_exports,
    exports_by_room,
    load_exports,
    render_airlock,
)
from dataroom.review.assembly import Assembly, AssemblyError, StackTemplate, read_assembly
from dataroom.review.evidence import (
    EVIDENCE_KIND,
    EvidenceError,
    GitProbe,
    diff_evidence,
    git_state,
    load_evidence,
    sha256_file,
)
from dataroom.review.facts import monitoring_facts, network_facts
from dataroom.review.gate_verdicts import beside_room_gaps
from dataroom.review.graph import bound_labels, build_room_graph, render_mermaid
from dataroom.review.nag import nag_results
from dataroom.review.phases import phase_findings, phases_section, publication_facts
from dataroom.review.threats import (
    BY_MANIFEST,
    CONTROL_TITLES,
    MISSING,
    NOT_APPLICABLE,
    PRESENT,
    RoomContext,
    detect_controls,
    threat_map,
)
from dataroom.review.workbench import render_workbench, workbench_facts

__all__ = ["Review", "ReviewError", "build_review", "render_markdown", "write_review"]

SCHEMA_VERSION = 1
REVIEW_KIND = "dataroom-review"
OUTPUT_FILES = ("REVIEW.md", "review.json", "evidence.json")


class ReviewError(Exception):
    """The review cannot run on these inputs (a usage error: exit 2)."""


@dataclass(frozen=True)
class Review:
    """The three outputs of one review."""

    review: dict[str, Any]
    evidence: dict[str, Any]
    markdown: str

    @property
    def gaps(self) -> list[str]:
        return list(self.review["result"]["gaps"])

    @property
    def exit_code(self) -> int:
        """0 when nothing needs attention, 1 when there is at least one gap."""
        return 1 if self.gaps else 0


def _utc(now: dt.datetime | None) -> str:
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _account_roles(assembly: Assembly) -> dict[str, str]:
    out: dict[str, set[str]] = {}
    for stack in assembly.stacks:
        role = "room" if stack.kind == "room" else "production"
        out.setdefault(stack.account, set()).add(role)
    return {a: " + ".join(sorted(r, reverse=True)) for a, r in out.items()}


def _approved(manifest: Manifest, room: Room, label: str) -> bool:
    """Whether a dataset node of the graph lies inside a location the room was approved for."""
    location = label.removeprefix("s3://")
    if " " in location:  # "bucket (bucket)": a whole-bucket grant, never approved as such
        return False
    bucket, _, prefix = location.partition("/")
    return any(
        d.bucket == bucket and prefix.startswith(d.prefix) for d in manifest.room_datasets(room)
    )


def _room_facts(manifest: Manifest, room: Room, today: dt.date) -> dict[str, Any]:
    return {
        "name": room.name,
        "phase": room.phase.value,
        "reads_production": room.reads_production,
        "hypothesis": room.hypothesis,
        "ticket": room.ticket,
        "owner": room.owner,
        "approvers": list(room.approvers),
        "security_approvers": sorted(set(room.approvers) & set(manifest.security_approvers)),
        "expires": room.expires.isoformat(),
        "days_left": (room.expires - today).days,
        "tenancy": room.tenancy.value,
        "mixing_justification": room.mixing_justification,
        "datasets": [
            {
                "name": d.name,
                "classification": d.classification.value,
                "tenancy": d.tenancy.value,
                "contains": list(d.contains),
                "justification": grant.justification,
                "catalog_location": f"s3://{d.bucket}/{d.prefix}",
            }
            for grant, d in zip(room.datasets, manifest.room_datasets(room), strict=True)
        ],
    }


def _review_room(
    manifest: Manifest,
    room: Room,
    stack: StackTemplate | None,
    assembly: Assembly,
    today: dt.date,
    baseline: Baseline | None = None,
) -> dict[str, Any]:
    facts = _room_facts(manifest, room, today)
    if stack is None:
        gap = (
            f"room {room.name}: the assembly has no template for this room "
            "(synthesized from another manifest?)"
        )
        return {**facts, "stack": None, "gaps": [gap]}
    production = tuple(assembly.production_stacks())
    graph = build_room_graph(stack, production)
    for node in graph.of_kind("dataset"):
        if not _approved(manifest, room, node.label):
            node.flags.append("production location the manifest does not approve for this room")
    network = network_facts(stack)
    monitoring = monitoring_facts(stack)
    ctx = RoomContext(manifest, room, stack, production, graph, network, monitoring, baseline)
    controls = detect_controls(ctx)
    gaps = [
        f"room {room.name}: {c.control} missing: {detail}"
        for c in controls.values()
        for detail in c.missing
    ]
    gaps.extend(f"room {room.name}: access graph: {flag}" for flag in graph.flags)
    return {
        **facts,
        "stack": {
            "artifact_id": stack.artifact_id,
            "stack_name": stack.stack_name,
            "account": stack.account,
            "region": stack.region,
        },
        "access_graph": graph.to_json(),
        "mermaid": render_mermaid(graph, _account_roles(assembly)),
        "network": network,
        "monitoring": monitoring,
        "workbench": workbench_facts(stack),
        "controls": {k: v.to_json() for k, v in controls.items()},
        "threat_map": threat_map(controls),
        "publication": publication_facts(stack),
        "airlock": airlock_facts(stack),
        "gaps": gaps,
    }


def _orphan_production_roles(assembly: Assembly, reached: set[str]) -> list[str]:
    """Production roles trusted by an AWS principal that no room of the manifest reaches."""
    gaps = []
    for stack in assembly.production_stacks():
        for lid, resource in stack.resources("AWS::IAM::Role"):
            trust = resource.get("Properties", {}).get("AssumeRolePolicyDocument", {})
            statements = trust.get("Statement", []) if isinstance(trust, dict) else []
            principals = [
                s.get("Principal", {}).get("AWS")
                for s in statements
                if isinstance(s, dict) and isinstance(s.get("Principal"), dict)
            ]
            if any(principals) and f"role:{stack.role_arn(lid)}" not in reached:
                gaps.append(
                    f"{stack.display_name}: role {stack.role_name(lid)} is assumable by "
                    f"{', '.join(sorted({stack.text(p) for p in principals if p}))} but belongs to "
                    "no room of the manifest"
                )
    return gaps


def _evidence(
    *,
    manifest_path: Path,
    manifest_sha: str,
    assembly: Assembly,
    rooms: Sequence[dict[str, Any]],
    nag: dict[str, Any],
    gaps: Sequence[str],
    generated_at: str,
    git: dict[str, Any],
) -> dict[str, Any]:
    evidence_rooms = []
    for room in rooms:
        controls = room.get("controls", {})
        graph = room.get("access_graph", {"nodes": []})
        nodes = graph["nodes"]
        evidence_rooms.append(
            {
                "name": room["name"],
                "phase": room["phase"],
                "ticket": room["ticket"],
                "owner": room["owner"],
                "approvers": room["approvers"],
                "hypothesis": room["hypothesis"],
                "expires": room["expires"],
                "datasets": [d["name"] for d in room["datasets"]],
                "principals": sorted(n["label"] for n in nodes if n["kind"] == "principal"),
                "read_roles": sorted(n["label"] for n in nodes if n["kind"] == "read-role"),
                "prefixes": sorted(n["label"] for n in nodes if n["kind"] == "dataset"),
                "controls_present": sorted(
                    c for c, r in controls.items() if r["status"] in (PRESENT, BY_MANIFEST)
                ),
                "controls_missing": sorted(
                    c for c, r in controls.items() if r["status"] == MISSING
                ),
                "controls_not_applicable": sorted(
                    c for c, r in controls.items() if r["status"] == NOT_APPLICABLE
                ),
                "gaps": len(room["gaps"]),
                "publication": room.get("publication"),
            }
        )
    checks = [
        {
            "name": "manifest validation (CHG-2)",
            "result": "pass",
            "detail": f"{manifest_path}: {len(rooms)} room(s), every rule of the manifest held",
        }
    ]
    for pack in nag["packs"]:
        checks.append(
            {
                "name": f"nag {pack['pack']}",
                "result": pack["status"],
                "detail": f"{pack['violations']} unacknowledged, {pack['suppressed']} acknowledged",
            }
        )
    checks.append(
        {
            "name": "threat map and access graph review",
            "result": "fail" if gaps else "pass",
            "detail": f"{len(gaps)} gap(s)",
        }
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": EVIDENCE_KIND,
        "framework": "SOC 2 CC8.1",
        "generated_at": generated_at,
        "change": git,
        "manifest": {"path": str(manifest_path), "sha256": manifest_sha},
        "templates": [
            {
                "artifact_id": s.artifact_id,
                "stack_name": s.stack_name,
                "environment": f"{s.account}/{s.region}",
                "file": s.path.name,
                "sha256": s.sha256,
            }
            for s in assembly.stacks
        ],
        "rooms": evidence_rooms,
        "acknowledgements": sorted(a["key"] for a in nag["acknowledgements"]),
        "checks": checks,
        "gaps": len(gaps),
        "difference": None,
    }


def build_review(
    assembly_path: str | Path,
    manifest_path: str | Path,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    previous_evidence: str | Path | dict[str, Any] | None = None,
    git: GitProbe | None = None,
    exports: str | Path | None = None,
    baseline: str | Path | None = None,
) -> Review:
    """Review a cloud assembly against its manifest.

    :param today: the day expiry is judged against (default: today).
    :param now: the generation time recorded in the outputs (default: now, UTC).
    :param previous_evidence: a previous ``evidence.json`` (path or loaded record) to diff against.
    :param git: probe of the repository state (default: :func:`git_state`); tests inject one.
    :param exports: released exports written by ``dataroom export evidence`` (EXP-2).
    :param baseline: the production baseline file the gate compares with (DRF-2); default:
        production's strict in-memory defaults.
    :raises ReviewError: the assembly, the manifest or the previous evidence cannot be used.
    """
    today = today or dt.date.today()
    manifest_file = Path(manifest_path)
    try:
        assembly = read_assembly(assembly_path)
    except AssemblyError as exc:
        raise ReviewError(str(exc)) from None
    try:
        manifest = load_manifest(manifest_file, today=today)
    except ManifestError as exc:
        raise ReviewError(str(exc)) from None
    try:
        parity = load_baseline(baseline) if baseline is not None else Baseline()
    except BaselineError as exc:
        raise ReviewError(str(exc)) from None
    previous: dict[str, Any] | None
    try:
        if isinstance(previous_evidence, dict):
            previous = previous_evidence
        elif previous_evidence is not None:
            previous = load_evidence(previous_evidence)
        else:
            previous = None
    except EvidenceError as exc:
        raise ReviewError(str(exc)) from None

    generated_at = _utc(now)
    rooms = [
        _review_room(manifest, room, assembly.room_stack(room.name), assembly, today, parity)
        for room in manifest.rooms
    ]
    gaps = [g for r in rooms for g in r["gaps"]]
    declared = {r.name for r in manifest.rooms}
    for stack in assembly.room_stacks():
        if stack.room_name not in declared:
            gaps.append(
                f"{stack.display_name}: template of room {stack.room_name}, which the manifest "
                "does not declare (synthesized from another manifest?)"
            )
    # Stacks beside the rooms (siblings, nested stacks) in a room's or production's account.
    gaps.extend(
        beside_room_gaps(
            assembly_path,
            room_accounts={r.account for r in manifest.rooms},
            production_accounts={manifest.production.account},
            baseline=parity,
        )
    )
    reached = {n["key"] for r in rooms for n in r.get("access_graph", {"nodes": []})["nodes"]}
    gaps.extend(_orphan_production_roles(assembly, reached))
    nag = nag_results(assembly)
    for pack in nag["packs"]:
        gaps.extend(f"nag {pack['pack']}: unacknowledged {v}" for v in pack["unacknowledged"])

    production = [
        {
            "artifact_id": s.artifact_id,
            "stack_name": s.stack_name,
            "account": s.account,
            "region": s.region,
            "monitoring": monitoring_facts(s),
        }
        for s in assembly.production_stacks()
    ]
    manifest_sha = sha256_file(manifest_file)
    evidence = _evidence(
        manifest_path=manifest_file,
        manifest_sha=manifest_sha,
        assembly=assembly,
        rooms=rooms,
        nag=nag,
        gaps=gaps,
        generated_at=generated_at,
        git=(git or git_state)(manifest_file.resolve().parent),
    )
    findings = phase_findings(
        previous,
        evidence["rooms"],
        {r.name: r.results.phase_b_justification if r.results else None for r in manifest.rooms},
    )
    gaps.extend(f"room {f['room']}: PHS-3 {f['kind']}: {f['detail']}" for f in findings if f["gap"])
    evidence["gaps"] = len(gaps)
    evidence["phase_findings"] = findings
    try:
        released = exports_by_room(load_exports(exports)) if exports is not None else {}
    except EvidenceError as exc:
        raise ReviewError(str(exc)) from None
    for evidence_room in evidence["rooms"]:
        evidence_room["exports"] = released.get(evidence_room["name"], [])
    if previous is not None:
        evidence["difference"] = diff_evidence(previous, evidence)
        evidence["difference"]["exports_released"] = diff_exports(previous, evidence)
    review = {
        "schema_version": SCHEMA_VERSION,
        "kind": REVIEW_KIND,
        "generated_at": generated_at,
        "today": today.isoformat(),
        "assembly": {"path": str(assembly.path)},
        "manifest": {"path": str(manifest_file), "sha256": manifest_sha},
        "result": {"gap_count": len(gaps), "gaps": gaps, "exit_code": 1 if gaps else 0},
        "stacks": [
            {
                "artifact_id": s.artifact_id,
                "stack_name": s.stack_name,
                "account": s.account,
                "region": s.region,
                "kind": s.kind,
                "room": s.room_name,
                "template": s.path.name,
                "sha256": s.sha256,
            }
            for s in assembly.stacks
        ],
        "rooms": rooms,
        "production": production,
        "nag": nag,
    }
    return Review(review=review, evidence=evidence, markdown=render_markdown(review, evidence))


def write_review(review: Review, out: str | Path) -> list[Path]:
    """Write ``REVIEW.md``, ``review.json`` and ``evidence.json`` into ``out`` (created)."""
    import json

    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / name for name in OUTPUT_FILES]
    paths[0].write_text(review.markdown, encoding="utf-8")
    paths[1].write_text(json.dumps(review.review, indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(json.dumps(review.evidence, indent=2) + "\n", encoding="utf-8")
    return paths


# --- Markdown ------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or " "


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return [*lines, ""]


def _code(text: Any) -> str:
    # A backtick would end the code span early; the value stays readable with a quote instead.
    return "`" + str(text).replace("`", "'") + "`"


_STATUS = {
    PRESENT: "present",
    MISSING: "**MISSING**",
    NOT_APPLICABLE: "n/a",
    BY_MANIFEST: "checked by manifest validation",
}


def _days(days: int) -> str:
    return f"{days} days left" if days >= 0 else f"EXPIRED {-days} days ago"


def _header(review: dict[str, Any], evidence: dict[str, Any]) -> list[str]:
    result = review["result"]
    verdict = (
        "**PASS: no gaps** (exit 0)"
        if not result["gaps"]
        else f"**{result['gap_count']} GAP(S)** (exit 1)"
    )
    git = evidence["change"]
    commit = (
        f"{_code(git['commit'])}{' (dirty tree)' if git['dirty'] else ''}"
        if git.get("commit")
        else f"unknown ({git.get('error')})"
    )
    gate = "; ".join(
        f"{p['pack']} {p['status']} "
        f"({p['violations']} unacknowledged, {p['suppressed']} acknowledged)"
        for p in review["nag"]["packs"]
    )
    lines = ["# Data room review", ""]
    lines += _table(
        ["", ""],
        [
            ["result", verdict],
            ["generated", f"{review['generated_at']} (expiry judged on {review['today']})"],
            ["assembly", f"{_code(review['assembly']['path'])} ({len(review['stacks'])} stacks)"],
            [
                "manifest",
                f"{_code(review['manifest']['path'])} "
                f"sha256 {_code(review['manifest']['sha256'][:16])}…",
            ],
            ["commit", commit],
            ["nag gate", gate],
        ],
    )
    lines += [
        "Access, network boundary and monitoring are read from the synthesized templates. The "
        "manifest supplies only the people and process facts: hypothesis, ticket, owner, "
        "approvers, expiry, dataset justifications, classification and tenancy.",
        "",
        "## Gaps",
        "",
    ]
    lines += [f"- {g}" for g in result["gaps"]] or ["None."]
    lines += ["", "## Rooms", ""]
    lines += _table(
        ["room", "phase", "ticket", "owner", "expires", "datasets", "read roles", "gaps"],
        [
            [
                r["name"],
                r["phase"],
                r["ticket"],
                r["owner"],
                f"{r['expires']} ({_days(r['days_left'])})",
                ", ".join(d["name"] for d in r["datasets"]) or "none",
                ", ".join(
                    n["label"]
                    for n in r.get("access_graph", {"nodes": []})["nodes"]
                    if n["kind"] == "read-role"
                )
                or "none",
                len(r["gaps"]),
            ]
            for r in review["rooms"]
        ],
    )
    return lines


def _room_section(room: dict[str, Any]) -> list[str]:
    lines = [f"## Room `{room['name']}`", "", "### Change facts (manifest)", ""]
    lines += _table(
        ["field", "value"],
        [
            ["phase", room["phase"]],
            ["hypothesis", room["hypothesis"]],
            ["ticket", room["ticket"]],
            ["owner", room["owner"]],
            ["approvers", ", ".join(room["approvers"])],
            ["security approvers", ", ".join(room["security_approvers"]) or "none"],
            ["expires", f"{room['expires']} ({_days(room['days_left'])})"],
            ["room tenancy", room["tenancy"]],
            ["mixing justification", room["mixing_justification"] or "none given"],
        ],
    )
    lines += ["### Datasets (manifest)", ""]
    lines += _table(
        ["dataset", "classification", "tenancy", "contains", "catalog location", "justification"],
        [
            [
                d["name"],
                d["classification"],
                d["tenancy"],
                ", ".join(d["contains"]) or "-",
                _code(d["catalog_location"]),
                d["justification"],
            ]
            for d in room["datasets"]
        ],
    )
    if room["stack"] is None:
        return [*lines, "**No template for this room in the assembly.**", ""]
    stack = room["stack"]
    lines += [
        f"Template: {_code(stack['artifact_id'])} (stack {_code(stack['stack_name'])} in "
        f"{stack['account']}/{stack['region']}).",
        "",
    ]
    lines += _graph_section(room)
    lines += _network_section(room["network"])
    lines += ["### Monitoring (room template)", ""]
    lines += _monitoring_section(room["monitoring"])
    lines += render_workbench(room.get("workbench"))
    lines += _threat_section(room)
    return lines


def _graph_section(room: dict[str, Any]) -> list[str]:
    graph = room["access_graph"]
    nodes = {n["key"]: n for n in graph["nodes"]}
    lines = ["### Access graph (templates' IAM and resource policies)", ""]
    flags = graph["flags"]
    if flags:
        lines += ["**Flagged:**", ""] + [f"- **{f}**" for f in flags] + [""]
    lines += ["```mermaid", room["mermaid"], "```", ""]
    rows = []
    for e in graph["edges"]:
        rows.append(
            [
                nodes[e["source"]]["label"],
                nodes[e["target"]]["label"],
                "production" if e["production"] else "room",
                ", ".join(e["actions"]),
                "; ".join(bound_labels(e["bounds"])) or "none",
                "; ".join(e["flags"] + e["notes"]) or "-",
            ]
        )
    lines += _table(["from", "to", "side", "actions", "bounded by", "flags / notes"], rows)
    for node in graph["nodes"]:
        if node["kind"] != "read-role":
            continue
        denies = node["details"].get("denies", [])
        lines.append(
            f"Read role {_code(node['label'])}: sessions ≤ "
            f"{node['details'].get('max_session_seconds')} s; denies: "
            + (
                "; ".join(
                    f"{d['sid'] or d['policy']} ("
                    + (
                        f"NotAction {', '.join(d['not_actions'])}"
                        if d["not_actions"]
                        else ", ".join(d["actions"])
                    )
                    + (", conditioned" if d["conditions"] else ", unconditional")
                    + ")"
                    for d in denies
                )
                or "none"
            )
        )
        lines.append("")
    return lines


def _network_section(network: dict[str, Any]) -> list[str]:
    lines = ["### Network boundary (room template)", ""]
    vpcs = ", ".join(f"{v['logical_id']} {v['cidr']}" for v in network["vpcs"]) or "none"
    subnets = network["subnets"]
    public = [s["logical_id"] for s in subnets if s["public_ip_on_launch"]]
    lines += [
        f"- VPC: {vpcs}; {len(subnets)} subnet(s)"
        + (f", PUBLIC IPs on {', '.join(public)}" if public else ", no public IPs on launch"),
    ]
    paths = network["internet_paths"]
    lines.append(
        "- Internet paths: **" + "; ".join(paths) + "**"
        if paths
        else "- Internet paths: none (no IGW, NAT, egress-only IGW, peering, transit/VPN "
        "attachment, default route, EIP or public IP)"
    )
    dns = network["dns_firewall"]
    lines.append(
        "- DNS firewall: "
        + (
            "; ".join(
                f"{d['logical_id']} on {d['vpc']} "
                f"(mutation protection {d['mutation_protection']}): "
                + ", then ".join(
                    f"{r['action']} {', '.join(r['domains'][:5])}"
                    + ("…" if len(r["domains"]) > 5 else "")
                    for r in d["rules"]
                )
                for d in dns
            )
            if dns
            else "**none**"
        )
    )
    flow = network["flow_logs"]
    lines.append(
        "- Flow logs: "
        + (
            "; ".join(
                f"{f['logical_id']} {f['traffic']} on {f['vpc'] or f['resource']} to "
                f"{f['log_group'] or f['destination_type']} (KMS {f['log_group_kms'] or 'none'}, "
                f"retention {f['retention_days'] or 'none'} days)"
                for f in flow
            )
            or "**none**"
        )
    )
    restrict = network["restrict_default_security_group"]
    lines.append(
        "- Default security group: "
        + (
            ", ".join(f"stripped on {r['vpc']} ({r['logical_id']})" for r in restrict)
            or "**not restricted**"
        )
    )
    lines += ["", "VPC endpoints:", ""]
    rows = []
    for e in network["endpoints"]:
        policy = []
        for s in e["policy"]:
            what = (
                f"{s['effect']} {len(s['actions'])} action(s)"
                if len(s["actions"]) > 1
                else (f"{s['effect']} {', '.join(s['actions'])}")
            )
            where = ", ".join(s["resources"])
            who = (
                f" if principal account {s['principal_account']}" if s["principal_account"] else ""
            )
            policy.append(f"{s['sid'] or '-'}: {what} on {where}{who}")
        ingress = ", ".join(
            f"{i['protocol']} {i['from_port']}-{i['to_port']} from {i['source']}"
            for i in e["ingress"]
        )
        rows.append(
            [
                e["service"],
                e["type"],
                "yes" if e["private_dns"] else ("-" if e["type"] == "Gateway" else "NO"),
                ingress or "-",
                "; ".join(policy) or "**no policy (full access)**",
            ]
        )
    lines += _table(["service", "type", "private DNS", "ingress", "policy"], rows)
    return lines


def _monitoring_section(monitoring: dict[str, Any]) -> list[str]:
    lines = []
    trails = monitoring["trails"]
    if trails:
        lines += _table(
            [
                "trail",
                "logging",
                "validation",
                "KMS",
                "multi-region",
                "object lock",
                "data resources",
            ],
            [
                [
                    t["name"],
                    "yes" if t["logging"] else "**NO**",
                    "yes" if t["log_file_validation"] else "**NO**",
                    t["kms_key"] or "**none**",
                    "yes" if t["multi_region"] else "no",
                    t["object_lock"] or "none",
                    ", ".join(t["data_resources"]) or "none",
                ]
                for t in trails
            ],
        )
    else:
        lines += ["- Trails: none in this template", ""]
    guardduty = monitoring["guardduty"]
    if guardduty["adopted"]:
        lines.append(f"- GuardDuty: adopted existing detector {_code(guardduty['adopted'])}")
    for d in guardduty["detectors"]:
        features = ", ".join(f"{k} {v}" for k, v in d["features"].items()) or "none listed"
        lines.append(
            f"- GuardDuty: detector {d['logical_id']} "
            f"{'enabled' if d['enabled'] else '**DISABLED**'}, publishing {d['publishing']}; "
            f"features: {features}"
        )
    config = monitoring["config"]
    if config["recorders"] or config["adopted_recorder"] or config["rules"]:
        recorder = (
            "adopted the account's recorder"
            if config["adopted_recorder"]
            else f"recorder {', '.join(config['recorders']) or 'none'}"
        )
        lines.append(
            f"- AWS Config: {recorder}; {len(config['rules'])} rule(s): "
            + ", ".join(r["source"] for r in config["rules"])
        )
    for w in monitoring["athena_workgroups"]:
        cutoff = f"{int(w['cutoff_bytes']) / 2**30:g} GiB" if w["cutoff_bytes"] else "**none**"
        lines.append(
            f"- Athena workgroup {_code(w['name'])}: cut-off {cutoff} per query, "
            f"{'enforced' if w['enforced'] else '**not enforced**'}, "
            f"results {w['encryption'] or '**unencrypted**'}"
        )
    for r in monitoring["remediation"]:
        lines.append(
            f"- Remediation: {r['function']} triggered by {r['rule']} on "
            f"{len(r['event_names'])} event name(s): {', '.join(r['event_names'])}"
        )
    topics = monitoring["topics"]
    if topics:
        lines.append(
            "- Alert topics: "
            + ", ".join(
                f"{t['logical_id']} ({'encrypted' if t['encrypted'] else 'NOT encrypted'})"
                for t in topics
            )
        )
    lines.append("")
    rules = monitoring["alert_rules"]
    if rules:
        lines += _table(
            ["EventBridge rule", "description", "sources", "matches", "targets"],
            [
                [
                    r["logical_id"],
                    r["description"],
                    ", ".join(r["sources"]),
                    f"{len(r['event_names'])} event name(s)"
                    if r["event_names"]
                    else ", ".join(r["detail_types"]) or "-",
                    ", ".join(r["targets"]),
                ]
                for r in rules
            ],
        )
    alarms = monitoring["alarms"]
    if alarms:
        lines += _table(
            ["CloudWatch alarm", "description", "metric", "threshold", "actions"],
            [
                [
                    a["logical_id"],
                    a["description"],
                    a["metric"],
                    a["threshold"],
                    ", ".join(a["actions"]),
                ]
                for a in alarms
            ],
        )
    return lines


def _threat_section(room: dict[str, Any]) -> list[str]:
    lines = ["### Threat map (STRIDE, DESIGN.md)", ""]
    rows = []
    for row in room["threat_map"]:
        cells = []
        for c in row["controls"]:
            label = c["control"] + (f" ({c['note']})" if c["note"] else "")
            cells.append(f"{label}: {_STATUS[c['status']]}")
        rows.append([row["threat"], "; ".join(cells), "yes" if row["covered"] else "**NO**"])
    lines += _table(["threat", "controls found in the templates", "covered"], rows)
    rows = []
    for control, result in room["controls"].items():
        found = [c["detail"] for c in result["checks"] if c["ok"]]
        missing = result["missing"]
        detail = "; ".join([f"**{m}**" for m in missing] + found) or result["note"]
        if result["note"] and result["checks"]:
            detail += f" ({result['note']})"
        rows.append([control, CONTROL_TITLES[control], _STATUS[result["status"]], detail])
    lines += _table(["control", "what", "status", "evidence"], rows)
    return lines


def _production_section(review: dict[str, Any]) -> list[str]:
    lines = []
    for stack in review["production"]:
        lines += [
            f"## Production stack `{stack['artifact_id']}`",
            "",
            f"Stack {_code(stack['stack_name'])} in {stack['account']}/{stack['region']}.",
            "",
        ]
        lines += _monitoring_section(stack["monitoring"])
    return lines


def _nag_section(nag: dict[str, Any]) -> list[str]:
    lines = ["## Nag results", ""]
    if not nag["report_present"]:
        lines += [
            "No `validation-report.json` in the assembly: either no pack reported anything or the "
            "gate did not run; the assembly cannot tell which. Acknowledgements below come from "
            "the stacks' construct metadata.",
            "",
        ]
    lines += _table(
        ["pack", "status", "unacknowledged", "acknowledged"],
        [[p["pack"], p["status"], p["violations"], p["suppressed"]] for p in nag["packs"]],
    )
    lines += [f"Reasons are read from {nag['reasons_source']}.", ""]
    lines += _table(
        ["pack", "finding", "acknowledged on", "matched", "reason"],
        [
            [
                a["pack"],
                a["rule"],
                a["acknowledged_at"],
                f"yes ({len(a['constructs'])})" if a["matched"] else "no finding this synthesis",
                a["reason"],
            ]
            for a in nag["acknowledgements"]
        ],
    )
    return lines


def _evidence_section(evidence: dict[str, Any]) -> list[str]:
    git = evidence["change"]
    lines = ["## SOC 2 CC8.1 evidence", "", "Also written to `evidence.json`.", ""]
    lines += _table(
        ["", ""],
        [
            ["generated at", evidence["generated_at"]],
            ["commit", git.get("commit") or f"unknown ({git.get('error')})"],
            [
                "working tree",
                "dirty" if git.get("dirty") else ("clean" if git.get("commit") else "unknown"),
            ],
            ["manifest", f"{evidence['manifest']['path']} sha256 {evidence['manifest']['sha256']}"],
        ]
        + [[f"template {t['file']}", t["sha256"]] for t in evidence["templates"]],
    )
    lines += _table(
        ["room", "phase", "ticket", "owner", "approvers", "expires", "controls present", "missing"],
        [
            [
                r["name"],
                r["phase"],
                r["ticket"],
                r["owner"],
                ", ".join(r["approvers"]),
                r["expires"],
                ", ".join(r["controls_present"]),
                ", ".join(r["controls_missing"]) or "none",
            ]
            for r in evidence["rooms"]
        ],
    )
    lines += _table(
        ["check", "result", "detail"],
        [[c["name"], c["result"], c["detail"]] for c in evidence["checks"]],
    )
    diff = evidence["difference"]
    lines += ["### Difference from the previous evidence", ""]
    if diff is None:
        return [*lines, "No previous evidence given (`--previous-evidence`).", ""]
    previous = diff["previous"]
    lines += [
        f"Previous: generated {previous['generated_at']}, commit {previous['commit']}, manifest "
        f"{'changed' if diff['manifest_changed'] else 'unchanged'}, templates changed: "
        f"{', '.join(diff['templates_changed']) or 'none'}.",
        "",
    ]

    def items(key: str, fmt: Callable[[Any], str]) -> list[str]:
        return [f"- {key.replace('_', ' ')}: {fmt(v)}" for v in diff[key]]

    changes = (
        items("rooms_added", str)
        + items("rooms_removed", str)
        + items("phase_transitions", lambda v: f"{v['room']}: {v['from']} -> {v['to']}")
        + items("datasets_added", lambda v: f"{v['room']}: {v['dataset']}")
        + items("datasets_removed", lambda v: f"{v['room']}: {v['dataset']}")
        + items("prefixes_added", lambda v: f"{v['room']}: {v['prefix']}")
        + items("prefixes_removed", lambda v: f"{v['room']}: {v['prefix']}")
        + items("principals_added", lambda v: f"{v['room']}: {v['principal']}")
        + items("principals_removed", lambda v: f"{v['room']}: {v['principal']}")
        + items(
            "expiry_changes",
            lambda v: f"{v['room']}: {v['change']} {v['from']} -> {v['to']} ({v['days']:+d} days)",
        )
        + items("acknowledgements_added", str)
        + items("acknowledgements_removed", str)
        + items("controls_disappeared", lambda v: f"**{v['room']}: {v['control']}**")
        + items(
            "exports_released",
            lambda v: (
                f"{v['room']}: {v['request_id']} by {v['requester']}, approved by "
                f"{', '.join(v['approvers'])}: {', '.join(v['objects'])}"
            ),
        )
    )
    return lines + (changes or ["No reviewed fact changed."]) + [""]


def render_markdown(review: dict[str, Any], evidence: dict[str, Any]) -> str:
    """``REVIEW.md``: the reviewer's document, generated from the two JSON records."""
    lines = _header(review, evidence)
    exports = {r["name"]: r.get("exports", []) for r in evidence["rooms"]}
    for room in review["rooms"]:
        lines += _room_section(room)
        lines += render_airlock(room, exports.get(room["name"], []))
    lines += _production_section(review)
    lines += _nag_section(review["nag"])
    lines += _evidence_section(evidence)
    lines += phases_section(review, evidence)
    return "\n".join(lines).rstrip() + "\n"
