"""SOC 2 CC8.1 evidence: the difference from a previous record, one test per kind of change.

Most tests diff evidence records directly (fast); one goes through the command line with
``--previous-evidence``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dataroom.review import SCHEMA_DIR, Review
from dataroom.review.evidence import diff_evidence, difference_is_empty, git_state
from tests.conftest import EXAMPLE, ROOT, TODAY
from tests.review.conftest import ROOM

CHANGE_KEYS = (
    "rooms_added",
    "rooms_removed",
    "phase_transitions",
    "datasets_added",
    "datasets_removed",
    "prefixes_added",
    "prefixes_removed",
    "principals_added",
    "principals_removed",
    "expiry_changes",
    "acknowledgements_added",
    "acknowledgements_removed",
    "controls_disappeared",
)


@pytest.fixture
def before(example_review: Review) -> dict[str, Any]:
    return copy.deepcopy(example_review.evidence)


@pytest.fixture
def after(example_review: Review) -> dict[str, Any]:
    return copy.deepcopy(example_review.evidence)


def room(evidence: dict[str, Any], name: str = ROOM) -> dict[str, Any]:
    return next(r for r in evidence["rooms"] if r["name"] == name)


def only(difference: dict[str, Any], key: str) -> list[Any]:
    """The one kind of change that must be there; every other kind must be empty."""
    others = {k: difference[k] for k in CHANGE_KEYS if k != key and difference[k]}
    assert others == {}, others
    assert difference[key], f"{key} expected"
    return list(difference[key])


def test_no_change(before: dict[str, Any], after: dict[str, Any]) -> None:
    difference = diff_evidence(before, after)
    assert difference_is_empty(difference)
    assert difference["templates_changed"] == [] and not difference["manifest_changed"]


def test_room_added(before: dict[str, Any], after: dict[str, Any]) -> None:
    new = copy.deepcopy(room(after))
    new["name"] = "second-room"
    after["rooms"].append(new)
    assert only(diff_evidence(before, after), "rooms_added") == ["second-room"]


def test_room_removed(before: dict[str, Any], after: dict[str, Any]) -> None:
    after["rooms"] = []
    assert only(diff_evidence(before, after), "rooms_removed") == [ROOM]


def test_phase_transition(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(before)["phase"] = "definition"
    assert only(diff_evidence(before, after), "phase_transitions") == [
        {"room": ROOM, "from": "definition", "to": "exploration"}
    ]


def test_dataset_added(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(before)["datasets"] = ["process-events"]
    assert only(diff_evidence(before, after), "datasets_added") == [
        {"room": ROOM, "dataset": "network-flows"}
    ]


def test_dataset_removed(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(after)["datasets"].remove("network-flows")
    assert only(diff_evidence(before, after), "datasets_removed") == [
        {"room": ROOM, "dataset": "network-flows"}
    ]


def test_prefix_added(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(after)["prefixes"].append("s3://prod-telemetry/events/dns/")
    assert only(diff_evidence(before, after), "prefixes_added") == [
        {"room": ROOM, "prefix": "s3://prod-telemetry/events/dns/"}
    ]


def test_principal_added(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(after)["principals"].append("arn:aws:iam::222222222222:role/Analyst")
    assert only(diff_evidence(before, after), "principals_added") == [
        {"room": ROOM, "principal": "arn:aws:iam::222222222222:role/Analyst"}
    ]


def test_principal_removed(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(after)["principals"] = []
    assert only(diff_evidence(before, after), "principals_removed") == [
        {"room": ROOM, "principal": "arn:aws:iam::222222222222:role/DataScientist"}
    ]


def test_expiry_extended(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(before)["expires"] = "2027-03-31"
    assert only(diff_evidence(before, after), "expiry_changes") == [
        {"room": ROOM, "from": "2027-03-31", "to": "2027-05-15", "change": "extended", "days": 45}
    ]


def test_expiry_shortened(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(after)["expires"] = "2027-01-31"
    (change,) = only(diff_evidence(before, after), "expiry_changes")
    assert change["change"] == "shortened" and change["days"] == -104


def test_acknowledgement_added(before: dict[str, Any], after: dict[str, Any]) -> None:
    new = "DataRoomStack/Storage/Results: AwsSolutions::AwsSolutions-S1"
    after["acknowledgements"] = sorted([*after["acknowledgements"], new])
    assert only(diff_evidence(before, after), "acknowledgements_added") == [new]


def test_acknowledgement_removed(before: dict[str, Any], after: dict[str, Any]) -> None:
    gone = after["acknowledgements"].pop(0)
    assert only(diff_evidence(before, after), "acknowledgements_removed") == [gone]


def test_control_disappeared(before: dict[str, Any], after: dict[str, Any]) -> None:
    room(after)["controls_present"].remove("NET-1")
    room(after)["controls_missing"].append("NET-1")
    assert only(diff_evidence(before, after), "controls_disappeared") == [
        {"room": ROOM, "control": "NET-1"}
    ]


def test_template_change_is_recorded(before: dict[str, Any], after: dict[str, Any]) -> None:
    after["templates"][0]["sha256"] = "0" * 64
    difference = diff_evidence(before, after)
    assert difference_is_empty(difference)
    assert difference["templates_changed"] == [after["templates"][0]["artifact_id"]]


def test_git_is_optional(tmp_path: Path) -> None:
    state = git_state(tmp_path)  # not a repository (tmp_path lives outside the checkout)
    assert state["commit"] is None and state["dirty"] is None and state["error"]


def test_previous_evidence_through_the_command_line(
    example_review: Review, example_outdir: Path, tmp_path: Path
) -> None:
    previous = copy.deepcopy(example_review.evidence)
    older = room(previous)
    # A phase change comes with a ticket of its own (PHS-3), so the difference is clean.
    older.update(
        phase="definition", ticket="SEC-1000", expires="2027-03-31", datasets=["process-events"]
    )
    older["principals"] = []
    dropped = previous["acknowledgements"].pop()
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(previous))

    out = tmp_path / "review"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dataroom.cli",
            "review",
            "--assembly",
            str(example_outdir),
            "--manifest",
            str(EXAMPLE),
            "--out",
            str(out),
            "--previous-evidence",
            str(path),
            "--today",
            TODAY.isoformat(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    evidence = json.loads((out / "evidence.json").read_text())
    schema = json.loads((SCHEMA_DIR / "evidence.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(evidence)
    difference = evidence["difference"]
    assert difference["phase_transitions"] == [
        {"room": ROOM, "from": "definition", "to": "exploration"}
    ]
    assert difference["datasets_added"] == [{"room": ROOM, "dataset": "network-flows"}]
    assert difference["principals_added"] == [
        {"room": ROOM, "principal": "arn:aws:iam::222222222222:role/DataScientist"}
    ]
    assert [c["change"] for c in difference["expiry_changes"]] == ["extended"]
    assert difference["acknowledgements_added"] == [dropped]
    assert difference["controls_disappeared"] == [] and difference["rooms_added"] == []
    markdown = (out / "REVIEW.md").read_text()
    assert "- phase transitions: abnormal-process-exec: definition -> exploration" in markdown
    assert (
        "- expiry changes: abnormal-process-exec: extended 2027-03-31 -> 2027-05-15 (+45 days)"
        in markdown
    )


def test_unusable_previous_evidence_is_a_usage_error(example_outdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "previous.json"
    path.write_text('{"kind": "something-else"}')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dataroom.cli",
            "review",
            "--assembly",
            str(example_outdir),
            "--out",
            str(tmp_path / "out"),
            "--previous-evidence",
            str(path),
            "--today",
            TODAY.isoformat(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "not a dataroom evidence file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
