"""The access graph of a room, read from the synthesized IAM and resource policies.

principals --(room role trust)--> room roles --(identity policy + production trust)--> production
read roles --(read role identity policy)--> dataset prefixes and keys.

Each edge keeps the policy statements ("grants") that create it, and a summary of the conditions
that bound it: ExternalId, SourceIdentity required, ``aws:PrincipalOrgID``, expiry
(``DateLessThan aws:CurrentTime``), ``kms:ViaService``, ``s3:prefix``. A bound counts only when
*every* statement granting the edge's main action carries it, and never with an ``...IfExists``
operator (which passes when the key is absent): one unconditioned statement is enough to open
the edge, so a bound on only some of them bounds nothing.

Any action on a production edge that is not one of the four reads is flagged, even when the read
role's unconditional deny (IAM-3) still refuses it: a reviewer must see that a grant was widened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataroom.controls.identity import READ_ACTIONS as CATALOGUE_READ_ACTIONS
from dataroom.review.airlock_roles import airlock_internal_trust
from dataroom.review.assembly import StackTemplate, action_matches, as_list, statements

__all__ = [
    "READ_ACTIONS",
    "AccessGraph",
    "Condition",
    "Edge",
    "Grant",
    "Node",
    "build_room_graph",
    "render_mermaid",
]

#: The only actions a production read role may be left with (IAM-2, IAM-3).
READ_ACTIONS: frozenset[str] = frozenset(a.lower() for a in CATALOGUE_READ_ACTIONS)
_ASSUME = "sts:AssumeRole"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/(.+)$")
_PRINCIPAL_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
_S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)(?:/(.*))?$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):(key|alias)/(.+)$")


@dataclass(frozen=True)
class Condition:
    """One condition of a statement: ``{operator: {key: values}}``, rendered."""

    operator: str
    key: str
    values: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"operator": self.operator, "key": self.key, "values": list(self.values)}

    @property
    def binding(self) -> bool:
        """False for ``...IfExists`` operators: they pass when the key is missing."""
        return not self.operator.endswith("IfExists")


@dataclass(frozen=True)
class Grant:
    """One policy statement's contribution to an edge."""

    side: str  # "trust" (resource policy of the target role) or "identity" (of the source)
    policy: str
    sid: str | None
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "policy": self.policy,
            "sid": self.sid,
            "actions": list(self.actions),
            "resources": list(self.resources),
            "conditions": [c.to_json() for c in self.conditions],
        }

    def grants(self, action: str) -> bool:
        return any(action_matches(pattern, action) for pattern in self.actions)


@dataclass
class Node:
    """A principal, a role, a dataset prefix, a key or another resource."""

    key: str
    kind: str  # principal | room-role | read-role | external-role | dataset | key | resource
    label: str
    account: str | None = None
    stack: str | None = None
    logical_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "account": self.account,
            "stack": self.stack,
            "logical_id": self.logical_id,
            "details": self.details,
            "flags": list(self.flags),
        }


@dataclass
class Edge:
    """Who may reach what, through which statements, bounded by which conditions."""

    source: str
    target: str
    kind: str  # "assume" or "access"
    production: bool
    grants: list[Grant] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[str]:
        return sorted({a for g in self.grants for a in g.actions}, key=str.lower)

    @property
    def non_read_actions(self) -> list[str]:
        """Actions beyond the four production reads (wildcards count: they are not exact)."""
        return [a for a in self.actions if a.lower() not in READ_ACTIONS]

    def bounds(self, side: str | None = None) -> dict[str, Any]:
        """The conditions every statement granting the edge's main action carries.

        Both sides of a cross-account assume must allow it, so a bound on either side bounds
        the edge; ``side`` restricts the answer to the ``trust`` or ``identity`` statements.
        """
        if self.kind == "assume":
            primary = [g for g in self.grants if g.grants(_ASSUME)]
        else:
            primary = list(self.grants)
        out: dict[str, Any] = {
            "external_id": None,
            "source_identity_required": False,
            "principal_org_id": None,
            "expires": None,
            "kms_via_service": None,
            "s3_prefixes": [],
        }
        for one_side in (side,) if side else ("trust", "identity"):
            grants = [g for g in primary if g.side == one_side]
            if not grants:
                continue
            for name in out:
                value = _common(grants, name)
                if value and not out[name]:
                    out[name] = value
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "production": self.production,
            "actions": self.actions,
            # Only an edge to production data can carry a write; an assume edge has none.
            "non_read_actions": (
                self.non_read_actions if self.production and self.kind == "access" else []
            ),
            "bounds": self.bounds(),
            "grants": [g.to_json() for g in self.grants],
            "flags": list(self.flags),
            "notes": list(self.notes),
        }


def _bound_value(grant: Grant, name: str) -> Any:
    """The value of one kind of bound in a statement, or None when it does not carry it."""
    for c in grant.conditions:
        if not c.binding:
            continue
        key, op = c.key.lower(), c.operator.lower()
        if name == "external_id" and key == "sts:externalid" and "stringequals" in op:
            return ", ".join(c.values)
        if name == "source_identity_required" and key == "sts:sourceidentity":
            if op == "null" and c.values == ("false",):
                return True
            if op.startswith(("stringequals", "stringlike")):
                return True
        if name == "principal_org_id" and key == "aws:principalorgid" and "stringequals" in op:
            return ", ".join(c.values)
        if name == "expires" and key == "aws:currenttime" and op in ("datelessthan",):
            return ", ".join(c.values)
        if name == "kms_via_service" and key == "kms:viaservice" and op.startswith("string"):
            return ", ".join(c.values)
        if name == "s3_prefixes" and key == "s3:prefix" and op.startswith("string"):
            return list(c.values)
    return None


def _common(grants: Sequence[Grant], name: str) -> Any:
    values = [_bound_value(g, name) for g in grants]
    if any(v is None for v in values):
        return None
    if name == "s3_prefixes":
        return sorted({p for v in values for p in v})
    return values[0] if len(set(map(str, values))) == 1 else " | ".join(map(str, values))


@dataclass
class AccessGraph:
    """Nodes and edges of one room's access, in insertion order."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def node(self, key: str, kind: str, label: str, **attrs: Any) -> Node:
        if key not in self.nodes:
            self.nodes[key] = Node(key=key, kind=kind, label=label, **attrs)
        return self.nodes[key]

    def edge(self, source: str, target: str, kind: str, production: bool) -> Edge:
        for edge in self.edges:
            if (edge.source, edge.target) == (source, target):
                return edge
        edge = Edge(source=source, target=target, kind=kind, production=production)
        self.edges.append(edge)
        return edge

    def of_kind(self, *kinds: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind in kinds]

    def edges_from(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.source == key]

    def edges_to(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.target == key]

    @property
    def flags(self) -> list[str]:
        """Every flag of the graph, each naming where it is."""
        out = [f"{n.label}: {f}" for n in self.nodes.values() for f in n.flags]
        for e in self.edges:
            where = f"{self.nodes[e.source].label} -> {self.nodes[e.target].label}"
            out.extend(f"{where}: {f}" for f in e.flags)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_json() for n in self.nodes.values()],
            "edges": [e.to_json() for e in self.edges],
            "flags": self.flags,
        }


# --- building -----------------------------------------------------------------------------------


def _conditions(stack: StackTemplate, statement: dict[str, Any]) -> tuple[Condition, ...]:
    block = statement.get("Condition", {})
    out = []
    for operator, keys in block.items() if isinstance(block, dict) else ():
        for key, values in keys.items() if isinstance(keys, dict) else ():
            rendered = tuple(stack.text(v) for v in as_list(values))
            out.append(Condition(str(operator), str(key), rendered))
    return tuple(out)


def _grant(stack: StackTemplate, side: str, policy: str, statement: dict[str, Any]) -> Grant:
    actions = [str(a) for a in as_list(statement.get("Action"))]
    if "NotAction" in statement:
        # An Allow with NotAction grants everything but the list: shown as such, never hidden.
        actions.append("NotAction:" + ",".join(str(a) for a in as_list(statement["NotAction"])))
    return Grant(
        side=side,
        policy=policy,
        sid=str(statement["Sid"]) if "Sid" in statement else None,
        actions=tuple(actions),
        resources=tuple(stack.text(r) for r in as_list(statement.get("Resource"))),
        conditions=_conditions(stack, statement),
    )


def _aws_principals(stack: StackTemplate, statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    return [stack.text(p) for p in as_list(principal.get("AWS"))]


def _trust(stack: StackTemplate, role_id: str) -> list[dict[str, Any]]:
    document = stack.properties(role_id).get("AssumeRolePolicyDocument")
    return [s for s in statements(document) if s.get("Effect") == "Allow"]


def _principal_flags(principal: str) -> list[str]:
    if principal == "*" or "*" in principal:
        return ["trusts a wildcard principal"]
    if principal.endswith(":root") or re.fullmatch(r"\d{12}", principal):
        return ["trusts a whole account (root), not an exact role"]
    if not _ROLE_ARN.match(principal):
        return ["trusts a principal that is not an IAM role ARN"]
    return []


def _account_of(arn: str) -> str | None:
    match = _PRINCIPAL_ACCOUNT.match(arn) or _KMS_ARN.match(arn)
    return match.group(1) if match else None


def build_room_graph(room: StackTemplate, production: Sequence[StackTemplate]) -> AccessGraph:
    """The access graph of the room whose template is ``room``.

    :param room: the room's synthesized stack.
    :param production: every other stack of the assembly; production read roles are matched to
        the room roles' ``sts:AssumeRole`` resources by ARN (account and ``RoleName``).
    """
    graph = AccessGraph()
    room_roles = [lid for lid, _ in room.resources("AWS::IAM::Role")]
    room_arns = {room.role_arn(lid): lid for lid in room_roles}
    prod_roles = {
        stack.role_arn(lid): (stack, lid)
        for stack in production
        for lid, _ in stack.resources("AWS::IAM::Role")
    }

    def room_role_node(lid: str) -> Node:
        props = room.properties(lid)
        return graph.node(
            f"role:{room.role_arn(lid)}",
            "room-role",
            room.role_name(lid),
            account=room.account,
            stack=room.display_name,
            logical_id=lid,
            details={
                "arn": room.role_arn(lid),
                "max_session_seconds": props.get("MaxSessionDuration", 3600),
                "permissions_boundary": (
                    room.text(props["PermissionsBoundary"])
                    if "PermissionsBoundary" in props
                    else None
                ),
            },
        )

    def read_role_node(stack: StackTemplate, lid: str) -> Node:
        props = stack.properties(lid)
        node = graph.node(
            f"role:{stack.role_arn(lid)}",
            "read-role",
            stack.role_name(lid),
            account=stack.account,
            stack=stack.display_name,
            logical_id=lid,
            details={
                "arn": stack.role_arn(lid),
                "max_session_seconds": props.get("MaxSessionDuration", 3600),
                "denies": [],
                "managed_policies": stack.external_managed_policies(lid),
            },
        )
        return node

    # 1. principals -> room roles, from each room role's trust policy.
    for lid in room_roles:
        for statement in _trust(room, lid):
            for principal in _aws_principals(room, statement):
                if airlock_internal_trust(room, lid, principal):
                    continue  # the airlock's state machine and its release role (EXP-1)
                source = graph.node(
                    f"principal:{principal}",
                    "principal",
                    principal,
                    account=_account_of(principal),
                    flags=_principal_flags(principal),
                )
                role = room_role_node(lid)
                edge = graph.edge(source.key, role.key, "assume", production=False)
                edge.grants.append(_grant(room, "trust", f"{lid} trust policy", statement))

    # 2. room roles -> production roles, from the room roles' identity policies.
    for lid in room_roles:
        for policy, statement in room.identity_statements(lid):
            if statement.get("Effect") != "Allow":
                continue
            grant = _grant(room, "identity", policy, statement)
            if not grant.grants(_ASSUME):
                continue
            for resource in grant.resources:
                targets = [
                    arn
                    for arn in prod_roles
                    if resource == arn or ("*" in resource and action_matches(resource, arn))
                ]
                if resource in room_arns or (not targets and not _ROLE_ARN.match(resource)):
                    continue  # a role of the room itself, or not a role at all
                source = room_role_node(lid)
                if not targets:
                    target = graph.node(
                        f"role:{resource}",
                        "external-role",
                        resource,
                        account=_account_of(resource),
                        flags=["assumable role not in the cloud assembly: its grants are unknown"],
                    )
                    edge = graph.edge(source.key, target.key, "assume", production=True)
                    edge.grants.append(grant)
                    continue
                for arn in targets:
                    target = read_role_node(*prod_roles[arn])
                    edge = graph.edge(source.key, target.key, "assume", production=True)
                    edge.grants.append(grant)
                    if "*" in resource:
                        edge.flags.append(f"sts:AssumeRole on a wildcard resource {resource}")

    # 3. the production side: roles whose trust names a room role.
    for arn, (stack, lid) in prod_roles.items():
        for statement in _trust(stack, lid):
            principals = _aws_principals(stack, statement)
            named = [p for p in principals if p in room_arns]
            if not named and f"role:{arn}" not in graph.nodes:
                continue
            target = read_role_node(stack, lid)
            grant = _grant(stack, "trust", f"{lid} trust policy", statement)
            for principal in principals:
                if principal in room_arns:
                    source = room_role_node(room_arns[principal])
                    edge = graph.edge(source.key, target.key, "assume", production=True)
                    edge.grants.append(grant)
                    continue
                # 4. anyone else the read role trusts reaches production data too.
                source = graph.node(
                    f"principal:{principal}",
                    "principal",
                    principal,
                    account=_account_of(principal),
                    flags=_principal_flags(principal),
                )
                edge = graph.edge(source.key, target.key, "assume", production=True)
                edge.grants.append(grant)
                edge.flags.append("production read role trusted by a principal outside the room")

    for edge in graph.edges:
        if edge.kind == "assume" and edge.production:
            sides = {g.side for g in edge.grants}
            if "trust" not in sides:
                edge.notes.append("the target role's trust policy does not name this role")
            if "identity" not in sides and graph.nodes[edge.source].kind == "room-role":
                edge.notes.append("the room role's own policies do not allow this assume")

    # 5. read roles -> what they may touch.
    for arn, (stack, lid) in prod_roles.items():
        node = graph.nodes.get(f"role:{arn}")
        if node is None:
            continue
        if node.details["managed_policies"]:
            node.flags.append(
                "managed policies attached whose grants are not in the assembly: "
                + ", ".join(node.details["managed_policies"])
            )
        _read_role_access(graph, node, stack, lid)
    return graph


def _guards(stack: StackTemplate, lid: str) -> list[dict[str, Any]]:
    out = []
    for policy, statement in stack.identity_statements(lid):
        if statement.get("Effect") != "Deny":
            continue
        out.append(
            {
                "policy": policy,
                "sid": statement.get("Sid"),
                "actions": [str(a) for a in as_list(statement.get("Action"))],
                "not_actions": [str(a) for a in as_list(statement.get("NotAction"))],
                "resources": [stack.text(r) for r in as_list(statement.get("Resource"))],
                "conditions": [c.to_json() for c in _conditions(stack, statement)],
            }
        )
    return out


def denied_by(guards: Iterable[dict[str, Any]], action: str) -> str | None:
    """The unconditional, every-resource deny that refuses ``action``, if any."""
    if "*" in action or action.startswith("NotAction:"):
        return None  # a wildcard may be only partly denied: never claim it is covered
    for guard in guards:
        if guard["conditions"] or guard["resources"] != ["*"]:
            continue
        if guard["not_actions"] and not any(
            action_matches(p, action) for p in guard["not_actions"]
        ):
            return str(guard["sid"] or guard["policy"])
        if any(action_matches(p, action) for p in guard["actions"]):
            return str(guard["sid"] or guard["policy"])
    return None


def _targets(grant: Grant) -> list[tuple[str, str, str, list[str]]]:
    """``(node key, kind, label, flags)`` of each resource of a read role's Allow statement."""
    out: list[tuple[str, str, str, list[str]]] = []
    prefixes = _bound_value(grant, "s3_prefixes")
    lists = any(action_matches(a, "s3:ListBucket") for a in grant.actions)
    for resource in grant.resources:
        s3 = _S3_ARN.match(resource)
        kms = _KMS_ARN.match(resource)
        if resource == "*":
            out.append(
                ("resource:*", "resource", "* (every resource)", ["grant on every resource"])
            )
        elif s3 and s3.group(2) is not None:
            bucket, key = s3.group(1), s3.group(2)
            prefix = key[:-1] if key.endswith("*") else key
            flags = []
            if "*" in bucket or prefix in ("", "/") or "*" in prefix:
                flags.append(f"object grant wider than a prefix: {resource}")
            out.append(
                (f"dataset:s3://{bucket}/{prefix}", "dataset", f"s3://{bucket}/{prefix}", flags)
            )
        elif s3:
            bucket = s3.group(1)
            if prefixes:
                for value in prefixes:
                    prefix = value[:-1] if value.endswith("*") else value
                    key = f"dataset:s3://{bucket}/{prefix}"
                    out.append((key, "dataset", f"s3://{bucket}/{prefix}", []))
            else:
                flags = ["bucket-level grant not limited to a prefix"] if lists else []
                out.append((f"dataset:s3://{bucket}", "dataset", f"s3://{bucket} (bucket)", flags))
        elif kms:
            out.append((f"key:{resource}", "key", f"kms {kms.group(2)}/{kms.group(3)}", []))
        else:
            out.append((f"resource:{resource}", "resource", resource, []))
    return out


def _read_role_access(graph: AccessGraph, role: Node, stack: StackTemplate, lid: str) -> None:
    guards = _guards(stack, lid)
    role.details["denies"] = guards
    for policy, statement in stack.identity_statements(lid):
        if statement.get("Effect") != "Allow":
            continue
        grant = _grant(stack, "identity", policy, statement)
        for key, kind, label, flags in _targets(grant):
            account = _account_of(key.removeprefix("key:")) if kind == "key" else stack.account
            target = graph.node(key, kind, label, account=account, stack=stack.display_name)
            edge = graph.edge(role.key, target.key, "access", production=True)
            edge.grants.append(grant)
            for flag in flags:
                if flag not in edge.flags:
                    edge.flags.append(flag)
    for edge in graph.edges_from(role.key):
        writes = edge.non_read_actions
        if not writes:
            continue
        refused = {a: denied_by(guards, a) for a in writes}
        still = [f"{a} (still refused by {refused[a]})" for a in writes if refused[a]]
        open_ = [a for a in writes if not refused[a]]
        message = "NON-READ ACTION ON PRODUCTION: " + ", ".join(open_ + still)
        edge.flags.insert(0, message)


# --- Mermaid ------------------------------------------------------------------------------------

_SHAPES = {
    "principal": ('(["', '"])'),
    "room-role": ('["', '"]'),
    "read-role": ('[["', '"]]'),
    "external-role": ('[["', '"]]'),
    "dataset": ('[("', '")]'),
    "key": ('{{"', '"}}'),
    "resource": ('>"', '"]'),
}
_KIND_LABEL = {
    "principal": "principal",
    "room-role": "room role",
    "read-role": "production read role",
    "external-role": "role outside the assembly",
    "dataset": "dataset prefix",
    "key": "key",
    "resource": "resource",
}


def mermaid_text(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: quotes and angle brackets as entity codes."""
    return (
        text.replace("#", "#35;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
    )


def bound_labels(bounds: dict[str, Any]) -> list[str]:
    """Short human-readable labels of an edge's bounds."""
    out = []
    if bounds.get("external_id"):
        out.append(f"ExternalId {bounds['external_id']}")
    if bounds.get("source_identity_required"):
        out.append("SourceIdentity required")
    if bounds.get("principal_org_id"):
        out.append(f"org {bounds['principal_org_id']}")
    if bounds.get("expires"):
        out.append(f"until {bounds['expires']}")
    if bounds.get("kms_via_service"):
        out.append(f"via {bounds['kms_via_service']}")
    if bounds.get("s3_prefixes"):
        out.append("s3:prefix " + ", ".join(bounds["s3_prefixes"]))
    return out


def render_mermaid(graph: AccessGraph, account_roles: dict[str, str]) -> str:
    """The graph as a Mermaid ``flowchart LR``; one subgraph per account, flagged edges in red.

    :param account_roles: account id -> what it is (``room``, ``production``), for titles.
    """
    ids = {key: f"n{i}" for i, key in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    by_account: dict[str | None, list[Node]] = {}
    for node in graph.nodes.values():
        by_account.setdefault(node.account, []).append(node)

    def node_line(node: Node, indent: str) -> str:
        opening, closing = _SHAPES[node.kind]
        label = f"{mermaid_text(node.label)}<br/>{_KIND_LABEL[node.kind]}"
        return f"{indent}{ids[node.key]}{opening}{label}{closing}"

    for account, nodes in by_account.items():
        if account is None:
            lines.extend(node_line(n, "  ") for n in nodes)
            continue
        title = f"account {account}"
        if account in account_roles:
            title += f" ({account_roles[account]})"
        lines.append(f'  subgraph acct_{account}["{mermaid_text(title)}"]')
        lines.extend(node_line(n, "    ") for n in nodes)
        lines.append("  end")
    flagged = []
    for index, edge in enumerate(graph.edges):
        parts = [mermaid_text(", ".join(edge.actions))]
        parts.extend(mermaid_text(b) for b in bound_labels(edge.bounds()))
        if edge.flags:
            flagged.append(index)
            parts.insert(0, mermaid_text("FLAG: " + "; ".join(edge.flags)))
        arrow = "==>" if edge.flags else "-->"
        label = "<br/>".join(parts)
        lines.append(f'  {ids[edge.source]} {arrow}|"{label}"| {ids[edge.target]}')
    for index in flagged:
        lines.append(f"  linkStyle {index} stroke:#d00,stroke-width:3px")
    flagged_nodes = [ids[n.key] for n in graph.nodes.values() if n.flags]
    if flagged_nodes:
        lines.append("  classDef flagged fill:#fdd,stroke:#d00")
        lines.append(f"  class {','.join(flagged_nodes)} flagged")
    return "\n".join(lines)
