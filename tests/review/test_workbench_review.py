"""``dataroom review`` shows the workbench and judges WBN-1..4 from the templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dataroom.review import Review
from dataroom.review.report import render_markdown
from tests.review.conftest import review_of
from tests.review.test_weakened import room_of


def test_the_review_shows_who_opens_the_workbench_from_where_and_what_it_reaches(
    example_review: Review,
) -> None:
    room = room_of(example_review)
    workbench = room["workbench"]
    (notebook,) = workbench["notebooks"]
    assert notebook["name"] == "abnormal-process-exec-scientist"
    assert notebook["opened_by"] == ["scientist@example.com"]
    assert (notebook["direct_internet_access"], notebook["root_access"]) == ("Disabled", "Disabled")
    paths = {p["sid"]: p for p in workbench["url_paths"]}
    assert paths["WbnUrlPath"]["source_ips"] == ["203.0.113.0/24"]
    assert paths["WbnUrlPath"]["endpoints"] == ["sagemaker.api"]
    assert len(workbench["reaches"]) == 1 and workbench["reaches"][0].startswith("tcp 443-443")
    assert "scikit-learn" in workbench["allowed_packages"]
    for control in ("WBN-1", "WBN-2", "WBN-3", "WBN-4"):
        assert room["controls"][control]["status"] == "present", room["controls"][control]
    threats = {row["threat"]: row for row in room["threat_map"]}
    cells = {c["control"] for c in threats["Information disclosure"]["controls"]}
    assert {"WBN-1", "WBN-2", "WBN-4"} <= cells
    markdown = render_markdown(example_review.review, example_review.evidence)
    assert "### Workbench (room template)" in markdown
    assert "or from 203.0.113.0/24" in markdown


def _open_notebook(room: dict[str, Any]) -> None:
    for resource in room["Resources"].values():
        if resource["Type"] == "AWS::SageMaker::NotebookInstance":
            resource["Properties"]["DirectInternetAccess"] = "Enabled"


def _no_stop_alert(room: dict[str, Any]) -> None:
    for resource in room["Resources"].values():
        pattern = resource.get("Properties", {}).get("EventPattern", {})
        if resource["Type"] == "AWS::Events::Rule" and "Stopped" in json.dumps(pattern):
            pattern["detail"]["NotebookInstanceStatus"] = ["Failed"]


def _upstream_open(room: dict[str, Any]) -> None:
    for resource in room["Resources"].values():
        if resource["Type"] == "AWS::CodeArtifact::PackageGroup":
            restrictions = resource["Properties"]["OriginConfiguration"]["Restrictions"]
            restrictions["ExternalUpstream"]["RestrictionMode"] = "ALLOW"


EDITS = {
    "notebook with internet": (_open_notebook, "WBN-1", "direct internet Enabled"),
    "upstream open": (_upstream_open, "WBN-2", "block the public upstream"),
    "stops not alerted": (_no_stop_alert, "WBN-3", "an alert rule for notebooks that stopped"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_a_weakened_workbench_is_a_gap(name: str, example_outdir: Path, tmp_path: Path) -> None:
    edit, control, message = EDITS[name]
    copy = tmp_path / "cdk.out"
    shutil.copytree(example_outdir, copy, ignore=shutil.ignore_patterns("asset.*"))
    room_file = copy / "DataRoomStack.template.json"
    room = json.loads(room_file.read_text())
    edit(room)
    room_file.write_text(json.dumps(room))

    review = review_of(copy)
    result = room_of(review)["controls"][control]
    assert result["status"] == "missing", result
    assert any(message in m for m in result["missing"]), result["missing"]
    assert review.exit_code == 1
