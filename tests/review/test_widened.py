"""A widened production grant is shown on the access graph and flagged (one fresh synth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dataroom.review import Review
from tests.review.conftest import ROOM, review_of
from tests.review.mermaid_check import check_flowchart

PROCESS = "s3://prod-telemetry/events/process/"
NETWORK = "s3://prod-telemetry/events/network/"


@pytest.fixture(scope="module")
def widened(widened_outdir: Path) -> Review:
    return review_of(widened_outdir)


def edge_to(review: Review, label: str) -> dict[str, Any]:
    room = next(r for r in review.review["rooms"] if r["name"] == ROOM)
    keys = {n["label"]: n["key"] for n in room["access_graph"]["nodes"]}
    return next(e for e in room["access_graph"]["edges"] if e["target"] == keys[label])


def test_the_write_is_on_the_graph_and_flagged(widened: Review) -> None:
    process = edge_to(widened, PROCESS)
    assert "s3:PutObject" in process["actions"]
    assert process["non_read_actions"] == ["s3:PutObject"]
    assert process["flags"][0] == (
        "NON-READ ACTION ON PRODUCTION: s3:PutObject (still refused by DenyEverythingButReads)"
    )
    # The added statement has no expiry condition: the edge is no longer bounded by one.
    assert process["bounds"]["expires"] is None
    network = edge_to(widened, NETWORK)
    assert network["flags"] == [] and network["bounds"]["expires"] == "2027-05-16T00:00:00Z"


def test_the_write_is_a_gap_and_the_command_would_exit_1(widened: Review) -> None:
    assert widened.exit_code == 1
    assert any("NON-READ ACTION ON PRODUCTION: s3:PutObject" in g for g in widened.gaps)
    # IAM-3's deny is still there: the gap is the grant, not a missing control.
    room = next(r for r in widened.review["rooms"] if r["name"] == ROOM)
    assert room["controls"]["IAM-3"]["status"] == "present"


def test_markdown_and_mermaid_show_the_flag(widened: Review) -> None:
    text = widened.markdown
    assert "**Flagged:**" in text
    assert (
        "- **dataroom-abnormal-process-exec-read -> s3://prod-telemetry/events/process/: NON-READ"
        in text
    )
    room = next(r for r in widened.review["rooms"] if r["name"] == ROOM)
    diagram = room["mermaid"]
    assert check_flowchart(diagram) == []
    flagged = [line for line in diagram.splitlines() if "==>" in line]
    assert len(flagged) == 1 and "FLAG: NON-READ ACTION ON PRODUCTION: s3:PutObject" in flagged[0]
    assert "linkStyle" in diagram
