"""The STRIDE threat map of DESIGN.md, with one detector per control id.

A detector decides, from the synthesized templates only, whether a control is present in a room:
it returns the individual checks it made, each with what it found, so the report can say *why*
a control is missing. The manifest is used only where the control is about the manifest (CHG-2)
or where it says what to expect (IAM-6 compares the manifest's phases with the production
template's roles; IAM-1 expects ``aws:PrincipalOrgID`` when the manifest names an organization).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dataroom.controls import CONTROLS, STRIDE_THREATS, controls_for_threat
from dataroom.controls.identity import BOUNDARY_DENY_FAMILIES
from dataroom.controls.judge import boundary_escapes
from dataroom.controls.storage import ACLS_DISABLED, PUBLIC_ACCESS_FLAGS
from dataroom.review.airlock import detect_exp1, detect_exp2
from dataroom.review.assembly import StackTemplate, as_list, refers_to, statements
from dataroom.review.facts import monitoring_facts
from dataroom.review.gate_verdicts import GATE_ONLY_CONTROLS, gate_findings
from dataroom.review.graph import READ_ACTIONS
from dataroom.review.results import (
    BY_MANIFEST,
    MISSING,
    NOT_APPLICABLE,
    PRESENT,
    Check,
    ControlResult,
    RoomContext,
)
from dataroom.review.workbench import wbn1, wbn2, wbn3, wbn4

__all__ = [
    "BY_MANIFEST",
    "CONTROL_TITLES",
    "MISSING",
    "NOT_APPLICABLE",
    "PRESENT",
    "STRIDE",
    "Check",
    "ControlResult",
    "RoomContext",
    "detect_controls",
    "threat_map",
]

#: Cells that show one aspect of a control under a threat, in place of the whole control.
ASPECTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Tampering": (("MON-1", "validation", "log file validation"),),
    "Repudiation": (("IAM-1", "source-identity", "SourceIdentity required on every hop"),),
    "Elevation of privilege": (("WBN-1", "root", "no root on notebooks"),),
}


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    block = statement.get("Condition", {})
    if not isinstance(block, dict):
        return set()
    return {k.lower() for keys in block.values() if isinstance(keys, dict) for k in keys}


# --- detectors ---------------------------------------------------------------------------------


def _iam1(ctx: RoomContext, r: ControlResult) -> None:
    entry_edges = [e for e in ctx.graph.edges if e.kind == "assume" and not e.production]
    for edge in entry_edges:
        bounds = edge.bounds("trust")
        target = ctx.graph.nodes[edge.target].label
        r.check(
            "source-identity",
            bounds["source_identity_required"],
            f"{target} trust requires sts:SourceIdentity from {ctx.graph.nodes[edge.source].label}"
            if bounds["source_identity_required"]
            else f"{target} can be assumed by {ctx.graph.nodes[edge.source].label} "
            "without a SourceIdentity",
        )
    if not ctx.read_roles:
        r.checks.clear()
        r.note = "no production read role for this room in the assembly"
        return
    org = ctx.manifest.production.organization_id
    for role in ctx.read_roles:
        name = role.label
        incoming = [e for e in ctx.graph.edges_to(role.key) if e.kind == "assume"]
        trusted = [e for e in incoming if any(g.side == "trust" for g in e.grants)]
        r.check("trust", bool(trusted), f"{name}: trust policy names a room role")
        for edge in trusted:
            source = ctx.graph.nodes[edge.source]
            who = source.label
            r.check(
                "exact-principal",
                source.kind == "room-role" and not source.flags,
                f"{name} trusts {who}"
                + ("" if source.kind == "room-role" else " which is not a role of the room"),
            )
            bounds = edge.bounds("trust")
            r.check(
                "external-id",
                bool(bounds["external_id"]),
                f"{name} trust of {who}: ExternalId {bounds['external_id'] or 'NOT required'}",
            )
            r.check(
                "source-identity",
                bounds["source_identity_required"],
                f"{name} trust of {who}: SourceIdentity "
                + ("required" if bounds["source_identity_required"] else "NOT required"),
            )
            r.check(
                "expiry",
                bool(bounds["expires"]),
                f"{name} trust of {who}: "
                + (f"until {bounds['expires']}" if bounds["expires"] else "NO expiry condition"),
            )
            if org:
                r.check(
                    "organization",
                    bounds["principal_org_id"] == org,
                    f"{name} trust of {who}: aws:PrincipalOrgID "
                    f"{bounds['principal_org_id'] or 'NOT required'} (manifest: {org})",
                )
        session = int(role.details.get("max_session_seconds") or 3600)
        r.check("session", session <= 3600, f"{name}: sessions of at most {session} s")


def _iam3(ctx: RoomContext, r: ControlResult) -> None:
    if not ctx.read_roles:
        r.note = "no production read role for this room in the assembly"
        return
    for role in ctx.read_roles:
        guards = [
            g
            for g in role.details.get("denies", [])
            if g["not_actions"]
            and not g["conditions"]
            and g["resources"] == ["*"]
            and all(a.lower() in READ_ACTIONS for a in g["not_actions"])
        ]
        r.check(
            "deny",
            bool(guards),
            f"{role.label}: unconditional Deny NotAction [{', '.join(guards[0]['not_actions'])}] "
            f"({guards[0]['sid'] or guards[0]['policy']})"
            if guards
            else f"{role.label}: NO unconditional Deny of every non-read action",
        )


def _iam5(ctx: RoomContext, r: ControlResult) -> None:
    roles = list(ctx.stack.resources("AWS::IAM::Role"))
    boundaries = set()
    for lid, resource in roles:
        boundary = resource.get("Properties", {}).get("PermissionsBoundary")
        if boundary is None:
            r.check(
                "boundary", False, f"role {ctx.stack.role_name(lid)} has NO permissions boundary"
            )
        else:
            boundaries.add(ctx.stack.text(boundary))
    if roles and len(boundaries) and all(c.ok for c in r.checks):
        r.check(
            "boundary",
            True,
            f"all {len(roles)} room roles bounded by {', '.join(sorted(boundaries))}",
        )
    for boundary in sorted(boundaries):
        lid = boundary.strip("<>")
        document = ctx.stack.properties(lid).get("PolicyDocument")
        if document is None:
            # As the gate (IAM5Boundary): what a boundary outside the template denies is unknown.
            r.check("boundary-ceiling", False, f"{boundary}: NOT a policy of the template")
            continue
        # A boundary is a ceiling: an allow-list, or Allow */* with denies. Either way the
        # actions that break out of the glovebox must fall outside it.
        escapes = boundary_escapes(_without_freeze_grants(ctx.stack, statements(document)))
        allowed = [a for actions in escapes.values() for a in actions]
        r.check(
            "boundary-ceiling",
            not allowed,
            f"{lid} keeps out {', '.join(BOUNDARY_DENY_FAMILIES)}"
            if not allowed
            else f"{lid} ALLOWS {', '.join(allowed)}",
        )
    if not roles:
        r.note = "the room template has no role"


def _without_freeze_grants(
    stack: StackTemplate, document: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``document`` less the Allows that can only attach a deny-only policy (LCY-1, LCY-2).

    The freeze function and the budget action may attach the room's freeze policy, a Deny of
    everything, and nothing else (``iam:PolicyARN`` pinned to it): no escape, so not counted.
    """

    def deny_only(ref: Any) -> bool:
        lid = stack.text(ref).strip("<>")
        if stack.resource_type(lid) != "AWS::IAM::ManagedPolicy":
            return False
        found = statements(stack.properties(lid).get("PolicyDocument") or {})
        return bool(found) and all(s.get("Effect") == "Deny" for s in found)

    def freeze_only(statement: dict[str, Any]) -> bool:
        condition = statement.get("Condition") or {}
        pinned = condition.get("ArnEquals", {}).get("iam:PolicyARN")
        return (
            statement.get("Effect") == "Allow"
            and set(condition) == {"ArnEquals"}
            and pinned is not None
            and all(deny_only(p) for p in as_list(pinned))
        )

    return [s for s in document if not freeze_only(s)]


def _tagged_read_roles(ctx: RoomContext) -> list[str]:
    """Production roles tagged with this room, found whether or not the graph reaches them."""
    out = []
    for stack in ctx.production:
        for lid, resource in stack.resources("AWS::IAM::Role"):
            tags = resource.get("Properties", {}).get("Tags", [])
            if any(
                isinstance(t, dict)
                and t.get("Key") == "dataroom:room"
                and t.get("Value") == ctx.room.name
                for t in as_list(tags)
            ):
                out.append(stack.role_name(lid))
    return out


def _iam6(ctx: RoomContext, r: ControlResult) -> None:
    roles = sorted({n.label for n in ctx.read_roles} | set(_tagged_read_roles(ctx)))
    phase = ctx.room.phase.value
    if ctx.room.reads_production:
        r.check(
            "gating",
            True,
            f"phase {phase} reads production: read role(s) "
            + (", ".join(roles) or "none synthesized"),
        )
    else:
        r.check(
            "gating",
            not roles,
            f"phase {phase} must not read production: "
            + (f"read role(s) FOUND: {', '.join(roles)}" if roles else "no production read role"),
        )
        assumes = [e for e in ctx.graph.edges if e.kind == "assume" and e.production]
        r.check(
            "no-assume",
            not assumes,
            f"phase {phase}: no room role may assume a production role"
            + (f" (FOUND {len(assumes)})" if assumes else ""),
        )


def _s32(ctx: RoomContext, r: ControlResult) -> None:
    keys = {lid: res.get("Properties", {}) for lid, res in ctx.stack.resources("AWS::KMS::Key")}
    targets = ctx.log_target_buckets()
    data = ctx.data_buckets()
    for bucket in ctx.buckets():
        if bucket in targets:
            continue  # S3 server access logging cannot deliver to SSE-KMS (acknowledged finding)
        rules = (
            ctx.stack.properties(bucket)
            .get("BucketEncryption", {})
            .get("ServerSideEncryptionConfiguration", [])
        )
        default = rules[0].get("ServerSideEncryptionByDefault", {}) if rules else {}
        key = next((k for k in keys if refers_to(default.get("KMSMasterKeyID"), k)), None)
        kms = str(default.get("SSEAlgorithm", "")).startswith("aws:kms")
        rotation = key is not None and keys[key].get("EnableKeyRotation") in (True, "true")
        algorithm = default.get("SSEAlgorithm", "none")
        named = key or ctx.stack.text(default.get("KMSMasterKeyID"))
        r.check(
            "encryption",
            kms and rotation,
            f"{bucket}: SSE-KMS with {key} (rotation on)"
            if kms and rotation
            else f"{bucket}: SSE {algorithm} key {named} rotation "
            + ("on" if rotation else "OFF or unknown"),
        )
    for bucket in data:
        refuses = any(
            s.get("Effect") == "Deny"
            and "s3:x-amz-server-side-encryption-aws-kms-key-id" in _condition_keys(s)
            for s in ctx.bucket_policy(bucket)
        )
        r.check(
            "uploads",
            refuses,
            f"{bucket}: uploads naming another key "
            + ("are refused by the bucket policy" if refuses else "are NOT refused"),
        )


def _s33(ctx: RoomContext, r: ControlResult) -> None:
    data = ctx.data_buckets()
    for bucket in ctx.buckets():
        props = ctx.stack.properties(bucket)
        block = props.get("PublicAccessBlockConfiguration", {})
        off = [f for f in PUBLIC_ACCESS_FLAGS if block.get(f) not in (True, "true")]
        r.check(
            "public-access-block",
            not off,
            f"{bucket}: public access block " + ("on" if not off else f"OFF: {', '.join(off)}"),
        )
        ownership = [
            rule.get("ObjectOwnership")
            for rule in props.get("OwnershipControls", {}).get("Rules", [])
        ]
        r.check(
            "acls",
            ACLS_DISABLED in ownership,
            f"{bucket}: ACLs " + ("disabled" if ACLS_DISABLED in ownership else "NOT disabled"),
        )
        policy = ctx.bucket_policy(bucket)
        tls = any(
            s.get("Effect") == "Deny" and "aws:securetransport" in _condition_keys(s)
            for s in policy
        )
        r.check("tls", tls, f"{bucket}: non-TLS requests " + ("denied" if tls else "NOT denied"))
        if bucket in data:
            vpce = any(
                s.get("Effect") == "Deny" and "aws:sourcevpce" in _condition_keys(s) for s in policy
            )
            r.check(
                "glovebox-only",
                vpce,
                f"{bucket}: data access from outside the room's endpoint "
                + ("denied" if vpce else "NOT denied"),
            )


def _room_trails(ctx: RoomContext) -> list[dict[str, Any]]:
    return list(ctx.monitoring["trails"])


def _mon1(ctx: RoomContext, r: ControlResult) -> None:
    trails = _room_trails(ctx)
    if not trails:
        r.check("trail", False, "the room template has NO CloudTrail trail")
        return
    # The room's trail: the one with the most of the controls (a room normally has one).
    trail = max(trails, key=lambda t: (t["log_file_validation"], bool(t["kms_key"]), t["logging"]))
    name = trail["name"]
    r.check("logging", trail["logging"], f"{name}: logging {'on' if trail['logging'] else 'OFF'}")
    r.check(
        "validation",
        trail["log_file_validation"],
        f"{name}: log file validation {'on' if trail['log_file_validation'] else 'OFF'}",
    )
    r.check("kms", bool(trail["kms_key"]), f"{name}: KMS key {trail['kms_key'] or 'NONE'}")
    r.check(
        "multi-region",
        trail["multi_region"],
        f"{name}: multi-region {'yes' if trail['multi_region'] else 'NO'}",
    )
    r.check(
        "object-lock",
        bool(trail["object_lock"]),
        f"{name}: log bucket object lock {trail['object_lock'] or 'NONE'}",
    )
    data = ctx.data_buckets()
    values = " ".join(trail["data_resources"])
    uncovered = [b for b in data if f"<{b}.Arn>" not in values]
    r.check(
        "data-events",
        not uncovered,
        f"{name}: data events on {', '.join(data) or 'no room bucket'}"
        if not uncovered
        else f"{name}: NO data events on {', '.join(uncovered)}",
    )


def _prefix_covered(prefix: str, values: list[str]) -> bool:
    # prefix is s3://bucket/key-prefix; values are trail data resource ARNs (a prefix match).
    location = prefix.removeprefix("s3://")
    for value in values:
        if value in ("arn:aws:s3", "arn:aws:s3:::", "<all data events>"):
            return True
        key = value.split(":::", 1)[-1]
        if key and location.startswith(key):
            return True
    return False


def _mon2(ctx: RoomContext, r: ControlResult) -> None:
    if not ctx.read_roles:
        r.note = "no production read role for this room in the assembly"
        return
    prefixes = [n.label for n in ctx.graph.of_kind("dataset")]
    accounts = {n.account for n in ctx.read_roles}
    trails = [
        t
        for stack in ctx.production
        if stack.account in accounts
        for t in _production_trails(stack)
    ]
    active = [t for t in trails if t["logging"]]
    r.check(
        "trail",
        bool(active),
        f"production trail(s): {', '.join(t['name'] for t in active)}"
        if active
        else "NO logging trail in the production stacks",
    )
    values = [v for t in active for v in t["data_resources"]]
    for prefix in prefixes:
        covered = _prefix_covered(prefix, values)
        r.check(
            "data-events",
            covered,
            f"{prefix}: data events " + ("recorded" if covered else "NOT recorded"),
        )
    for trail in active:
        r.check(
            "validation",
            trail["log_file_validation"],
            f"{trail['name']}: log file validation "
            + ("on" if trail["log_file_validation"] else "OFF"),
        )


def _production_trails(stack: StackTemplate) -> list[dict[str, Any]]:
    return list(monitoring_facts(stack)["trails"])


def _net1(ctx: RoomContext, r: ControlResult) -> None:
    r.check("vpc", bool(ctx.network["vpcs"]), f"{len(ctx.network['vpcs'])} VPC(s) in the room")
    paths = ctx.network["internet_paths"]
    if paths:
        for path in paths:
            r.check("no-path", False, f"internet path FOUND: {path}")
    else:
        r.check(
            "no-path",
            True,
            "no IGW, NAT, egress-only IGW, peering, transit/VPN attachment, default route or "
            "public IP",
        )


def _net2(ctx: RoomContext, r: ControlResult) -> None:
    interface = [e for e in ctx.network["endpoints"] if e["type"] == "Interface"]
    r.check(
        "endpoints",
        bool(interface),
        f"{len(interface)} interface endpoint(s): " + ", ".join(e["service"] for e in interface),
    )
    cidrs = {v["cidr"] for v in ctx.network["vpcs"]}
    for e in interface:
        r.check(
            "private-dns",
            e["private_dns"],
            f"{e['service']}: private DNS " + ("on" if e["private_dns"] else "OFF"),
        )
        r.check(
            "policy",
            e["has_policy"],
            f"{e['service']}: endpoint policy "
            + ("present" if e["has_policy"] else "MISSING (full access)"),
        )
        bad = [
            i
            for i in e["ingress"]
            if not (
                str(i["protocol"]) in ("tcp", "6")
                and i["from_port"] == 443
                and i["to_port"] == 443
                and i["source"] in cidrs
            )
        ]
        r.check(
            "https-from-vpc",
            bool(e["ingress"]) and not bad,
            f"{e['service']}: ingress "
            + (
                "443 from the VPC only"
                if e["ingress"] and not bad
                else f"NOT limited to 443 from the VPC: {bad or 'no security group rule'}"
            ),
        )


def _net3(ctx: RoomContext, r: ControlResult) -> None:
    s3 = [e for e in ctx.network["endpoints"] if e["service"] == "s3" and e["type"] == "Gateway"]
    r.check("endpoint", bool(s3), f"{len(s3)} S3 gateway endpoint(s)")
    room_buckets = set(ctx.buckets())
    datasets = {n.label.removeprefix("s3://").split(" ")[0] for n in ctx.graph.of_kind("dataset")}
    dataset_buckets = {d.split("/", 1)[0] for d in datasets}
    for e in s3:
        r.check(
            "policy",
            e["has_policy"],
            f"{e['logical_id']}: policy "
            + ("present" if e["has_policy"] else "MISSING (every bucket reachable)"),
        )
        for statement in e["policy"]:
            if statement["effect"] != "Allow":
                continue
            for resource in statement["resources"]:
                location = resource.split(":::", 1)[-1] if resource.startswith("arn:") else resource
                own = any(resource.startswith(f"<{b}.Arn>") for b in room_buckets)
                wildcard = resource == "*" or "*" in location.split("/", 1)[0]
                approved = location.rstrip("*") in datasets or location in dataset_buckets
                ok = own or (approved and not wildcard)
                r.check(
                    "perimeter",
                    ok,
                    f"{statement['sid'] or 'statement'}: {resource} "
                    + (
                        "(room bucket)"
                        if own
                        else "(approved dataset)"
                        if ok
                        else "is NEITHER a room bucket NOR an approved dataset of this room"
                    ),
                )


def _net4(ctx: RoomContext, r: ControlResult) -> None:
    vpcs = {v["logical_id"] for v in ctx.network["vpcs"]}
    restricted = {x["vpc"] for x in ctx.network["restrict_default_security_group"]}
    for vpc in sorted(vpcs):
        r.check(
            "default-sg",
            vpc in restricted,
            f"{vpc}: default security group "
            + (
                "stripped by Custom::VpcRestrictDefaultSG"
                if vpc in restricted
                else "NOT restricted"
            ),
        )


def _net5(ctx: RoomContext, r: ControlResult) -> None:
    for vpc in ctx.network["vpcs"]:
        logs = [f for f in ctx.network["flow_logs"] if f["vpc"] == vpc["logical_id"]]
        all_traffic = [f for f in logs if f["traffic"] == "ALL"]
        r.check(
            "all-traffic",
            bool(all_traffic),
            f"{vpc['logical_id']}: flow log of "
            + (
                f"ALL traffic ({all_traffic[0]['logical_id']})"
                if all_traffic
                else f"{', '.join(str(f['traffic']) for f in logs) or 'NO'} traffic"
            ),
        )
        for f in all_traffic:
            if f["destination_type"] != "cloud-watch-logs":
                continue
            r.check(
                "encrypted-retained",
                bool(f["log_group_kms"]) and bool(f["retention_days"]),
                f"{f['log_group']}: KMS {f['log_group_kms'] or 'NONE'}, retention "
                f"{f['retention_days'] or 'NONE'} days",
            )


def _net6(ctx: RoomContext, r: ControlResult) -> None:
    for vpc in ctx.network["vpcs"]:
        associations = [d for d in ctx.network["dns_firewall"] if d["vpc"] == vpc["logical_id"]]
        blocking = [
            d
            for d in associations
            if any(rule["action"] == "BLOCK" and "*" in rule["domains"] for rule in d["rules"])
        ]
        r.check(
            "association",
            bool(blocking),
            f"{vpc['logical_id']}: DNS firewall "
            + (
                f"{blocking[0]['logical_id']} blocks '*' after its allow list"
                if blocking
                else "association with a BLOCK '*' rule NOT found"
            ),
        )


def _qry1(ctx: RoomContext, r: ControlResult) -> None:
    groups = ctx.monitoring["athena_workgroups"]
    if not groups:
        r.check("workgroup", False, "NO Athena workgroup in the room")
    for g in groups:
        r.check(
            "enforced",
            g["enforced"],
            f"{g['name']}: settings " + ("enforced" if g["enforced"] else "NOT enforced"),
        )
        cutoff = g["cutoff_bytes"]
        r.check(
            "cutoff",
            bool(cutoff),
            f"{g['name']}: cut-off "
            + (f"{int(cutoff) / 2**30:g} GiB per query" if cutoff else "NONE"),
        )
        r.check(
            "encryption",
            g["encryption"] in ("SSE_KMS", "CSE_KMS"),
            f"{g['name']}: results encrypted with {g['encryption'] or 'NOTHING'}",
        )


def _chg2(ctx: RoomContext, r: ControlResult) -> None:
    r.by_manifest = True
    datasets = ctx.manifest.room_datasets(ctx.room)
    classes = sorted({d.classification.value for d in datasets})
    tenancies = sorted({d.tenancy.value for d in datasets})
    sensitive = [d.name for d in datasets if d.sensitive]
    needs = len(classes) > 1 or len(tenancies) > 1 or bool(sensitive)
    r.note = (
        "checked by manifest validation (the manifest loaded, so its rules held): "
        f"classifications {classes or ['none']}, tenancies {tenancies or ['none']}"
        + (f", sensitive {sensitive}" if sensitive else "")
        + (
            f"; mixing justified: {ctx.room.mixing_justification!r}"
            if needs
            else "; no mixing, no justification needed"
        )
    )


DETECTORS: dict[str, Callable[[RoomContext, ControlResult], None]] = {
    "IAM-1": _iam1,
    "IAM-3": _iam3,
    "IAM-5": _iam5,
    "IAM-6": _iam6,
    "S3-2": _s32,
    "S3-3": _s33,
    "MON-1": _mon1,
    "MON-2": _mon2,
    "NET-1": _net1,
    "NET-2": _net2,
    "NET-3": _net3,
    "NET-4": _net4,
    "NET-5": _net5,
    "NET-6": _net6,
    "QRY-1": _qry1,
    "CHG-2": _chg2,
    "WBN-1": wbn1,
    "WBN-2": wbn2,
    "WBN-3": wbn3,
    "WBN-4": wbn4,
    "EXP-1": detect_exp1,
    "EXP-2": detect_exp2,
}


def _stride() -> tuple[tuple[str, tuple[tuple[str, str | None, str], ...]], ...]:
    """The catalogue's threats, each with every reported control that answers it (catalogue
    order), an aspect cell standing in for its control where :data:`ASPECTS` names one."""
    reported = {*DETECTORS, *GATE_ONLY_CONTROLS}
    rows = []
    for threat in STRIDE_THREATS:
        aspects = {control: (aspect, note) for control, aspect, note in ASPECTS.get(threat, ())}
        cells: list[tuple[str, str | None, str]] = []
        for control in controls_for_threat(threat):
            if control in aspects:
                cells.append((control, *aspects.pop(control)))
            elif control in reported:
                cells.append((control, None, ""))
        cells += [(control, aspect, note) for control, (aspect, note) in aspects.items()]
        rows.append((threat, tuple(cells)))
    return tuple(rows)


#: DESIGN.md's threat map, from the catalogue: threat -> (control id, aspect or None, note).
STRIDE = _stride()

#: The catalogue's title of each control the review reports.
CONTROL_TITLES: dict[str, str] = {c: CONTROLS[c].title for c in (*DETECTORS, *GATE_ONLY_CONTROLS)}


def detect_controls(ctx: RoomContext) -> dict[str, ControlResult]:
    """Run every detector on one room, in catalogue order, with the gate's verdicts added."""
    out = {}
    for control in (*DETECTORS, *GATE_ONLY_CONTROLS):
        result = ControlResult(control)
        detector = DETECTORS.get(control)
        if detector is not None:
            detector(ctx, result)
        if not result.by_manifest:
            # The same verdicts `cdk synth` reaches (gate_verdicts.py): never fewer.
            for finding in gate_findings(
                ctx.stack.template,
                control,
                account=ctx.stack.account,
                region=ctx.stack.region,
                baseline=ctx.baseline,
            ):
                result.check("gate", False, finding)
        if detector is None and not result.checks:
            result.check("gate", True, "the gate's rules of this control find nothing")
        out[control] = result
    return out


def threat_map(controls: dict[str, ControlResult]) -> list[dict[str, Any]]:
    """DESIGN.md's STRIDE rows with each control's status in this room."""
    rows = []
    for threat, entries in STRIDE:
        cells = []
        for control, aspect, note in entries:
            result = controls[control]
            cells.append(
                {
                    "control": control,
                    "aspect": aspect,
                    "note": note,
                    "status": result.aspect_status(aspect),
                }
            )
        rows.append(
            {
                "threat": threat,
                "controls": cells,
                "covered": all(c["status"] != MISSING for c in cells),
            }
        )
    return rows
