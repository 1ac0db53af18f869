"""The example's review: no gap, the access graph of the example, schemas, Markdown, Mermaid."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt

from dataroom.policies.pack_names import NAG_PACK_NAMES
from dataroom.review import SCHEMA_DIR, Review
from dataroom.review.threats import STRIDE
from tests.conftest import EXAMPLE, ROOT
from tests.review.conftest import COMMIT, NOW, ROOM
from tests.review.mermaid_check import check_flowchart

PRINCIPAL = "arn:aws:iam::222222222222:role/DataScientist"
SCIENTIST = f"dataroom-{ROOM}-scientist"
READ_ROLE = f"dataroom-{ROOM}-read"
PREFIXES = ("s3://prod-telemetry/events/process/", "s3://prod-telemetry/events/network/")
EXPIRES = "2027-05-16T00:00:00Z"


def room_of(review: Review, name: str = ROOM) -> dict[str, Any]:
    return next(r for r in review.review["rooms"] if r["name"] == name)


def node(room: dict[str, Any], label: str) -> dict[str, Any]:
    return next(n for n in room["access_graph"]["nodes"] if n["label"] == label)


def edge(room: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    graph = room["access_graph"]
    keys = {n["label"]: n["key"] for n in graph["nodes"]}
    return next(
        e for e in graph["edges"] if (e["source"], e["target"]) == (keys[source], keys[target])
    )


def validate(document: dict[str, Any], schema_name: str) -> None:
    schema = json.loads((SCHEMA_DIR / schema_name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def test_example_has_no_gap_and_every_threat_is_covered(example_review: Review) -> None:
    assert example_review.gaps == []
    assert example_review.exit_code == 0
    room = room_of(example_review)
    assert [row["threat"] for row in room["threat_map"]] == [t for t, _ in STRIDE]
    assert all(row["covered"] for row in room["threat_map"])
    statuses = {c: r["status"] for c, r in room["controls"].items()}
    assert statuses.pop("CHG-2") == "checked-by-manifest"
    assert set(statuses.values()) == {"present"}, statuses


def test_access_graph_of_the_example(example_review: Review) -> None:
    room = room_of(example_review)
    assert node(room, PRINCIPAL)["kind"] == "principal"
    assert node(room, SCIENTIST)["kind"] == "room-role"
    assert node(room, READ_ROLE)["kind"] == "read-role"
    assert node(room, READ_ROLE)["account"] == "111111111111"

    entry = edge(room, PRINCIPAL, SCIENTIST)
    assert entry["bounds"]["source_identity_required"] is True
    assert not entry["production"]

    cross = edge(room, SCIENTIST, READ_ROLE)
    assert cross["production"]
    assert "sts:AssumeRole" in cross["actions"]
    assert {g["side"] for g in cross["grants"]} == {"trust", "identity"}
    assert cross["non_read_actions"] == []
    assert cross["bounds"] == {
        "external_id": f"dataroom-{ROOM}-SEC-1234",
        "source_identity_required": True,
        "principal_org_id": "o-exampleorg1",
        "expires": EXPIRES,
        "kms_via_service": None,
        "s3_prefixes": [],
    }
    for prefix in PREFIXES:
        read = edge(room, READ_ROLE, prefix)
        assert read["actions"] == ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
        assert read["non_read_actions"] == [] and read["flags"] == []
        assert read["bounds"]["expires"] == EXPIRES
        listing = [g for g in read["grants"] if "s3:ListBucket" in g["actions"]]
        assert [
            c["values"] for g in listing for c in g["conditions"] if c["key"] == "s3:prefix"
        ] == [[prefix.removeprefix("s3://prod-telemetry/") + "*"]]
    datasets = [n["label"] for n in room["access_graph"]["nodes"] if n["kind"] == "dataset"]
    assert sorted(datasets) == sorted(PREFIXES), "no location beyond the two approved prefixes"
    key = next(n for n in room["access_graph"]["nodes"] if n["kind"] == "key")
    decrypt = edge(room, READ_ROLE, key["label"])
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["bounds"]["kms_via_service"] == "s3.us-east-1.amazonaws.com"
    assert room["access_graph"]["flags"] == []


def test_read_role_guards_are_shown(example_review: Review) -> None:
    denies = node(room_of(example_review), READ_ROLE)["details"]["denies"]
    guard = next(d for d in denies if d["sid"] == "DenyEverythingButReads")
    assert guard["conditions"] == [] and guard["resources"] == ["*"]
    assert sorted(guard["not_actions"]) == sorted(
        ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt"]
    )


def test_network_boundary_from_the_template(example_review: Review) -> None:
    network = room_of(example_review)["network"]
    assert network["internet_paths"] == []
    services = {e["service"]: e for e in network["endpoints"]}
    assert services["s3"]["type"] == "Gateway"
    assert not any(r == "*" for s in services["s3"]["policy"] for r in s["resources"])
    for name in ("sts", "kms", "logs"):
        assert services[name]["type"] == "Interface" and services[name]["private_dns"]
        assert services[name]["policy"][0]["principal_account"] == "222222222222"
    assert network["dns_firewall"] and network["dns_firewall"][0]["rules"][-1]["action"] == "BLOCK"
    assert [f["traffic"] for f in network["flow_logs"]] == ["ALL"]


def test_monitoring_from_the_templates(example_review: Review) -> None:
    monitoring = room_of(example_review)["monitoring"]
    (trail,) = monitoring["trails"]
    assert trail["log_file_validation"] and trail["multi_region"] and trail["kms_key"]
    (detector,) = monitoring["guardduty"]["detectors"]
    assert detector["features"]["S3_DATA_EVENTS"] == "ENABLED"
    assert monitoring["guardduty"]["adopted"] is None
    (workgroup,) = monitoring["athena_workgroups"]
    assert workgroup["cutoff_bytes"] == 50 * 2**30  # query_limit_gb: 50
    assert workgroup["enforced"] and workgroup["encryption"] == "SSE_KMS"
    assert "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED" in {
        r["source"] for r in monitoring["config"]["rules"]
    }
    # the CloudTrail-triggered remediation; the workbench adds a notebook-state trigger (no
    # eventName) and the lifecycle the budget freeze's trigger (LCY-2)
    (freeze,) = [r for r in monitoring["remediation"] if r["function"].startswith("Lifecycle")]
    (remediation,) = [
        r
        for r in monitoring["remediation"]
        if r["event_names"] and not r["function"].startswith("Lifecycle")
    ]
    assert "StopLogging" in remediation["event_names"]
    # LCY-2: the budget action's freeze runs the lifecycle's freeze function.
    assert freeze["function"].startswith("Lifecycle") and freeze["rule"].startswith("Lifecycle")
    alerts = {r["description"]: r for r in monitoring["alert_rules"]}
    assert len(alerts["dataroom alert: Tampering"]["event_names"]) > 10
    (production,) = example_review.review["production"]
    (read_trail,) = production["monitoring"]["trails"]
    assert sorted(read_trail["data_resources"]) == sorted(
        p.replace("s3://", "arn:aws:s3:::") for p in PREFIXES
    )


def test_nag_results_list_every_acknowledgement_with_its_reason(example_review: Review) -> None:
    nag = example_review.review["nag"]
    assert nag["report_present"]
    packs = {p["pack"]: p for p in nag["packs"]}
    assert list(packs)[: len(NAG_PACK_NAMES)] == list(NAG_PACK_NAMES)
    assert all(
        p["violations"] == 0 and p["status"] in ("pass", "no-findings") for p in packs.values()
    )
    assert packs["AwsSolutions"]["suppressed"] > 0 and packs["NIST.800.53.R5"]["suppressed"] > 0
    acks = nag["acknowledgements"]
    assert sum(len(a["constructs"]) for a in acks) == sum(p["suppressed"] for p in packs.values())
    assert all(a["reason"].strip() and a["matched"] for a in acks)
    prefix_ack = next(
        a
        for a in acks
        if a["rule"] == "AwsSolutions-IAM5[Resource::arn:aws:s3:::prod-telemetry/events/process/*]"
    )
    assert prefix_ack["acknowledged_at"] == f"ProductionAccessStack/Room-{ROOM}/Resource"
    assert "prefix" in prefix_ack["reason"]


def test_evidence_of_the_example(example_review: Review, example_outdir: Path) -> None:
    evidence = example_review.evidence
    assert evidence["generated_at"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert evidence["change"] == {"commit": COMMIT, "dirty": False, "error": None}
    assert evidence["manifest"]["sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    for template in evidence["templates"]:
        data = (example_outdir / template["file"]).read_bytes()
        assert template["sha256"] == hashlib.sha256(data).hexdigest()
    (room,) = evidence["rooms"]
    assert room["ticket"] == "SEC-1234" and room["approvers"] == [
        "security-lead@example.com",
        "data-protection@example.com",
    ]
    assert room["principals"] == [PRINCIPAL]
    assert room["prefixes"] == sorted(PREFIXES)
    assert room["datasets"] == ["process-events", "network-flows"]
    threat_controls = {c for _, entries in STRIDE for c, _, _ in entries}
    # Plus the controls the review reports from the gate's rules (dataroom/review/gate_verdicts.py).
    from dataroom.review.gate_verdicts import GATE_ONLY_CONTROLS

    assert set(room["controls_present"]) == threat_controls | set(GATE_ONLY_CONTROLS)
    assert evidence["gaps"] == 0 and evidence["difference"] is None
    assert {c["result"] for c in evidence["checks"]} <= {"pass", "no-findings"}
    assert len(evidence["acknowledgements"]) == len(
        example_review.review["nag"]["acknowledgements"]
    )


def test_outputs_validate_against_the_published_schemas(example_written: Path) -> None:
    validate(json.loads((example_written / "review.json").read_text()), "review.schema.json")
    validate(json.loads((example_written / "evidence.json").read_text()), "evidence.schema.json")


def test_schema_rejects_a_malformed_record(example_review: Review) -> None:
    broken = json.loads(json.dumps(example_review.evidence))
    broken["rooms"][0]["expires"] = "31/05/2027"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "evidence.schema.json")
    broken = json.loads(json.dumps(example_review.review))
    broken["rooms"][0]["controls"]["IAM-1"]["status"] = "probably"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "review.schema.json")


def test_markdown_renders_with_headings_tables_and_a_mermaid_fence(
    example_written: Path, example_review: Review
) -> None:
    text = (example_written / "REVIEW.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    for expected in (
        "Data room review",
        "Gaps",
        f"Room `{ROOM}`",
        "Access graph (templates' IAM and resource policies)",
        "Network boundary (room template)",
        "Threat map (STRIDE, DESIGN.md)",
        "Nag results",
        "SOC 2 CC8.1 evidence",
    ):
        assert expected in headings, headings
    assert sum(t.type == "table_open" for t in tokens) >= 10
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) > 50
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.info for f in fences] == ["mermaid"]
    assert fences[0].content == room_of(example_review)["mermaid"] + "\n"
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<td>Spoofing</td>" in html and "<th>threat</th>" in html


def test_mermaid_block_is_structurally_valid(example_review: Review) -> None:
    diagram = room_of(example_review)["mermaid"]
    assert check_flowchart(diagram) == []
    assert diagram.count(" -->|") == len(room_of(example_review)["access_graph"]["edges"])
    assert "==>" not in diagram and "linkStyle" not in diagram  # nothing flagged


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ('flowchart LR\n  a["x"]\n  a --> b', "not a line"),
        ('flowchart LR\n  a["x"]\n  a -->|"y"| b', "undefined node b"),
        ('flowchart LR\n  a["x"y"]', "raw '\"'"),
        ('flowchart LR\n  subgraph s["t"]\n  a["x"]', "not closed"),
        ('flowchart LR\n  a["x"]\n  b["<b>"]\n  a -->|"y"| b', "raw '<'"),
        ('flowchart LR\n  a["x"]\n  a -->|"y"| a\n  linkStyle 3 stroke:#d00', "only 1 edges"),
        ('graph TD\n  a["x"]', "expected 'flowchart LR'"),
    ],
)
def test_mermaid_check_rejects_broken_syntax(broken: str, problem: str) -> None:
    assert any(problem in p for p in check_flowchart(broken)), check_flowchart(broken)


MERMAID = ROOT / "node_modules" / "mermaid" / "package.json"


@pytest.mark.skipif(
    not MERMAID.exists() or shutil.which("node") is None,
    reason="the mermaid npm package is not installed (~200 MB; not a devDependency)",
)
def test_mermaid_parses_with_the_real_flowchart_parser(
    example_review: Review, tmp_path: Path
) -> None:
    source = tmp_path / "diagram.mmd"
    source.write_text(room_of(example_review)["mermaid"], encoding="utf-8")
    script = Path(__file__).with_name("mermaid_parse.mjs")
    result = subprocess.run(
        ["node", str(script), str(source)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
