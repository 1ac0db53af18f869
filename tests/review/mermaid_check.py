"""A strict structural check of the Mermaid ``flowchart`` syntax the review generates.

``@mermaid-js/parser`` (npm, 2.0.1) parses only info, packet, pie, treeView, architecture,
gitGraph, radar, treemap and a few more diagram types, not ``flowchart``: its ``parse("flowchart",
...)`` answers "Unknown diagram type". The full ``mermaid`` package's flowchart parser needs a DOM
(DOMPurify) and ~200 MB of dependencies. So this module checks the *subset* of the syntax the
review writes, strictly: every line must be one of the forms below, node ids are defined once and
before use, labels are quoted and contain no raw quote, pipe or angle bracket (only ``<br/>``),
subgraphs are balanced, ``linkStyle`` indexes name existing edges. It does not prove that Mermaid
renders the diagram; it proves the generator stays inside a subset Mermaid documents.
"""

from __future__ import annotations

import re

#: Node shapes the review uses: (opening, closing). Longer openings first.
SHAPES = (
    ('(["', '"])'),  # stadium: principals
    ('[["', '"]]'),  # subroutine: roles in production
    ('[("', '")]'),  # cylinder: dataset prefixes
    ('{{"', '"}}'),  # hexagon: keys
    ('>"', '"]'),  # asymmetric: other resources
    ('["', '"]'),  # rectangle: room roles
)
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_EDGE = re.compile(rf'^({_ID}) (-->|==>)\|"(.*)"\| ({_ID})$')
_SUBGRAPH = re.compile(rf'^subgraph ({_ID})\["(.*)"\]$')
_LINKSTYLE = re.compile(r"^linkStyle (\d+) [a-z-]+:[^ ;]+(,[a-z-]+:[^ ;]+)*$")
_CLASSDEF = re.compile(rf"^classDef ({_ID}) [a-z-]+:[^ ;]+(,[a-z-]+:[^ ;]+)*$")
_CLASS = re.compile(rf"^class ({_ID}(?:,{_ID})*) ({_ID})$")
_ENTITY = re.compile(r"#(?:[a-z]+|\d+);")


def _label_problems(label: str, where: str) -> list[str]:
    problems = []
    plain = _ENTITY.sub("", label.replace("<br/>", ""))
    for char in ('"', "<", ">", "|"):
        if char in plain:
            problems.append(f"{where}: raw {char!r} in label {label!r}")
    if "#" in plain:
        problems.append(f"{where}: '#' that is not an entity code in {label!r}")
    return problems


def _node(line: str) -> tuple[str, str] | None:
    match = re.match(rf"^({_ID})(.*)$", line)
    if not match:
        return None
    node_id, rest = match.groups()
    for opening, closing in SHAPES:
        if (
            rest.startswith(opening)
            and rest.endswith(closing)
            and len(rest) > len(opening + closing)
        ):
            return node_id, rest[len(opening) : -len(closing)]
    return None


def check_flowchart(text: str) -> list[str]:
    """Every problem of ``text`` as a Mermaid flowchart of the review's subset; [] when valid."""
    lines = text.split("\n")
    problems: list[str] = []
    if not lines or lines[0] != "flowchart LR":
        problems.append(f"line 1: expected 'flowchart LR', got {lines[0]!r}")
    nodes: set[str] = set()
    subgraphs: set[str] = set()
    classes: set[str] = set()
    edges = 0
    link_styles: list[int] = []
    depth = 0
    for number, raw in enumerate(lines[1:], start=2):
        where = f"line {number}"
        if not raw.startswith("  ") or raw != raw.rstrip():
            problems.append(f"{where}: expected two-space indentation and no trailing space")
        line = raw.strip()
        if (m := _SUBGRAPH.match(line)) is not None:
            if m.group(1) in nodes | subgraphs:
                problems.append(f"{where}: id {m.group(1)} defined twice")
            subgraphs.add(m.group(1))
            problems += _label_problems(m.group(2), where)
            depth += 1
        elif line == "end":
            depth -= 1
            if depth < 0:
                problems.append(f"{where}: 'end' without 'subgraph'")
        elif (m := _EDGE.match(line)) is not None:
            source, _arrow, label, target = m.groups()
            for endpoint in (source, target):
                if endpoint not in nodes:
                    problems.append(f"{where}: edge to undefined node {endpoint}")
            problems += _label_problems(label, where)
            edges += 1
        elif (m := _LINKSTYLE.match(line)) is not None:
            link_styles.append(int(m.group(1)))
        elif (m := _CLASSDEF.match(line)) is not None:
            classes.add(m.group(1))
        elif (m := _CLASS.match(line)) is not None:
            for node_id in m.group(1).split(","):
                if node_id not in nodes:
                    problems.append(f"{where}: class on undefined node {node_id}")
            if m.group(2) not in classes:
                problems.append(f"{where}: class {m.group(2)} used before classDef")
        elif (node := _node(line)) is not None:
            node_id, label = node
            if node_id in nodes | subgraphs or node_id in ("end", "subgraph", "graph"):
                problems.append(f"{where}: node id {node_id} defined twice or reserved")
            nodes.add(node_id)
            problems += _label_problems(label, where)
        else:
            problems.append(f"{where}: not a line of the review's flowchart subset: {line!r}")
    if depth != 0:
        problems.append(f"{depth} subgraph(s) not closed with 'end'")
    problems += [f"linkStyle {i}: there are only {edges} edges" for i in link_styles if i >= edges]
    return problems
