"""PHS-3 in the review: phase transitions judged against previous evidence; publication shown."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aws_cdk import App

from dataroom.review.report import build_review
from tests.conftest import TODAY
from tests.phases.conftest import PHASES, ROOM_A, ROOM_B

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)


def _git(_: Path) -> dict[str, Any]:
    return {"commit": "0" * 40, "dirty": False, "error": None}


def _review(app: App, previous: dict[str, Any] | None = None, manifest: Path = PHASES) -> Any:
    return build_review(
        app.outdir, manifest, today=TODAY, now=NOW, previous_evidence=previous, git=_git
    )


@pytest.fixture(scope="module")
def baseline_review(phases_app: App) -> Any:
    return _review(phases_app)


def _previous(review: Any, **rooms: dict[str, str]) -> dict[str, Any]:
    evidence = copy.deepcopy(review.evidence)
    for room in evidence["rooms"]:
        room.update(rooms.get(room["name"].replace("-", "_"), {}))
    return evidence  # type: ignore[no-any-return]


def _kinds(review: Any) -> dict[tuple[str, str], bool]:
    return {(f["room"], f["kind"]): f["gap"] for f in review.evidence["phase_findings"]}


def test_publication_is_shown_per_room(baseline_review: Any) -> None:
    rooms = {r["name"]: r for r in baseline_review.review["rooms"]}
    a, b = rooms[ROOM_A]["publication"], rooms[ROOM_B]["publication"]
    assert a["end_user_flag"] is False and b["end_user_flag"] is True
    assert [p["kind"] for p in a["access_points"]] == ["consumer"]
    dal = [p for p in b["access_points"] if p["kind"] == "dal"]
    assert dal and dal[0]["tenant_scoped"] and dal[0]["network"] == "VPC vpc-0123456789abcdef0"
    assert "## Production phases and results publication" in baseline_review.markdown
    schema = json.loads(
        (
            Path(build_review.__code__.co_filename).parent / "schemas" / "evidence.schema.json"
        ).read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(baseline_review.evidence)


def test_justified_phase_b_without_previous_evidence_is_a_note(baseline_review: Any) -> None:
    assert _kinds(baseline_review) == {(ROOM_B, "phase-b-without-a"): False}
    assert not [g for g in baseline_review.review["result"]["gaps"] if "PHS-3" in g]


def test_unjustified_phase_b_is_a_gap(phases_app: App, tmp_path: Path) -> None:
    text = PHASES.read_text(encoding="utf-8")
    unjustified = tmp_path / "phases.yaml"
    unjustified.write_text(
        "\n".join(line for line in text.splitlines() if "phase_b_justification" not in line),
        encoding="utf-8",
    )
    review = _review(phases_app, manifest=unjustified)
    assert _kinds(review) == {(ROOM_B, "phase-b-without-a"): True}
    assert any("PHS-3 phase-b-without-a" in g for g in review.review["result"]["gaps"])


def test_skipped_step_and_same_ticket_are_gaps(phases_app: App, baseline_review: Any) -> None:
    # Room A was in exploration under the same ticket, now production-a: skips two phases.
    previous = _previous(baseline_review, exec_anomaly_a={"phase": "exploration"})
    review = _review(phases_app, previous)
    kinds = _kinds(review)
    assert kinds[(ROOM_A, "skipped-step")] is True
    assert kinds[(ROOM_A, "same-ticket")] is True
    assert review.review["result"]["exit_code"] == 1


def test_a_to_b_with_a_new_ticket_is_clean(phases_app: App, baseline_review: Any) -> None:
    # The twin: B follows A, under a new ticket.
    previous = _previous(
        baseline_review, exec_anomaly_b={"phase": "production-a", "ticket": "SEC-1999"}
    )
    review = _review(phases_app, previous)
    assert (ROOM_B, "phase-b-without-a") not in _kinds(review)
    assert not [f for f in review.evidence["phase_findings"] if f["room"] == ROOM_B]


def test_back_to_exploration_is_highlighted_not_a_gap(baseline_review: Any) -> None:
    from dataroom.review.phases import phase_findings

    findings = phase_findings(
        {"rooms": [{"name": "r", "phase": "production-a", "ticket": "SEC-1"}]},
        [{"name": "r", "phase": "exploration", "ticket": "SEC-2"}],
        {},
    )
    assert [(f["kind"], f["gap"]) for f in findings] == [("back-to-exploration", False)]
    assert baseline_review  # the module fixture keeps the shared app warm
