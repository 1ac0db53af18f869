"""The airlock in the review: who can request, approve and consume; EXP controls in the STRIDE
map; released exports in evidence.json and, against previous evidence, the new releases."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dataroom.review import SCHEMA_DIR, Review
from dataroom.review.airlock import detect_exp1
from tests.review.conftest import ROOM, review_of

RELEASE = {
    "room": ROOM,
    "request_id": "20261201T120000Z-1a2b3c4d",
    "requester": "scientist@example.com",
    "reason": "clusters for the detection team",
    "requested_at": "2026-12-01T12:00:00+00:00",
    "released_at": "2026-12-02T09:30:00+00:00",
    "approvers": ["data-protection@example.com", "security-lead@example.com"],
    "decisions": [],
    "objects": [
        {
            "key": "out/clusters.csv",
            "version_id": "v1",
            "export_version_id": "e1",
            "sha256": "SS1epJYFbxpqZZIkEDL6t2TDIVljF5MLT6Dh6Lw7dHA=",
        }
    ],
}


def _room(review: Review) -> dict[str, Any]:
    (room,) = review.review["rooms"]
    return room  # type: ignore[no-any-return]


def test_the_review_says_who_requests_approves_and_consumes(example_review: Review) -> None:
    airlock = _room(example_review)["airlock"]
    assert airlock["requesters"] == ["dataroom-abnormal-process-exec-scientist"]
    assert airlock["approvers"] == ["data-protection@example.com", "security-lead@example.com"]
    assert airlock["consumers"] == ["arn:aws:iam::333333333333:role/ThreatResearchConsumer"]
    assert airlock["malware_scan"] is True
    assert "### Export airlock (EXP-1, EXP-2)" in example_review.markdown


def test_exp_controls_are_present_in_the_stride_map(example_review: Review) -> None:
    room = _room(example_review)
    assert room["controls"]["EXP-1"]["status"] == "present", room["controls"]["EXP-1"]
    assert room["controls"]["EXP-2"]["status"] == "present", room["controls"]["EXP-2"]
    cells = {
        (row["threat"], cell["control"]): cell["status"]
        for row in room["threat_map"]
        for cell in row["controls"]
    }
    assert cells[("Information disclosure", "EXP-1")] == "present"
    assert cells[("Repudiation", "EXP-2")] == "present"


def test_a_weakened_export_bucket_is_a_gap(example_review: Review) -> None:
    from dataroom.review.assembly import read_assembly
    from dataroom.review.threats import ControlResult, RoomContext

    ctx_review = _room(example_review)
    assert ctx_review["airlock"]["export_bucket"]
    # Judge the same template with the write deny turned into an allow.
    assembly = read_assembly(example_review.review["assembly"]["path"])
    stack = assembly.room_stack(ROOM)
    assert stack is not None
    template = copy.deepcopy(stack.template)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == "DenyWritesByAnyoneButTheReleaseRole":
                    statement["Effect"] = "Allow"
    weakened = type(stack)(**{**stack.__dict__, "template": template})
    from dataroom.manifest import load_manifest
    from tests.conftest import EXAMPLE, TODAY

    manifest = load_manifest(EXAMPLE, today=TODAY)
    ctx = RoomContext(manifest, manifest.rooms[0], weakened, (), None, {}, {})  # type: ignore[arg-type]
    result = ControlResult("EXP-1")
    detect_exp1(ctx, result)
    assert result.status == "missing"
    # The write deny turned into an allow to everyone: the bucket is writable, and "*" reads it.
    assert result.missing == [
        "export bucket writable by the release role only",
        "export bucket readable by exactly the manifest's consumers",
    ]


def test_released_exports_are_evidence_and_new_ones_are_the_difference(
    example_outdir: Path, example_review: Review, tmp_path: Path
) -> None:
    exports = tmp_path / "exports.json"
    exports.write_text(
        json.dumps({"kind": "dataroom-exports", "room": ROOM, "exports": [RELEASE]}),
        encoding="utf-8",
    )
    review = review_of(example_outdir, exports=exports, previous_evidence=example_review.evidence)
    (room,) = review.evidence["rooms"]
    assert room["exports"] == [RELEASE]
    (new,) = review.evidence["difference"]["exports_released"]
    assert new["request_id"] == RELEASE["request_id"]
    assert new["approvers"] == RELEASE["approvers"]
    assert "exports released: abnormal-process-exec: 20261201T120000Z-1a2b3c4d" in review.markdown
    assert "| 20261201T120000Z-1a2b3c4d | scientist@example.com |" in review.markdown

    for name, record in (("evidence", review.evidence), ("review", review.review)):
        schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(record)

    again = review_of(example_outdir, exports=exports, previous_evidence=review.evidence)
    assert again.evidence["difference"]["exports_released"] == []


def test_an_unusable_exports_file_is_a_usage_error(example_outdir: Path, tmp_path: Path) -> None:
    from dataroom.review import ReviewError

    bad = tmp_path / "exports.json"
    bad.write_text('{"kind": "something-else"}', encoding="utf-8")
    with pytest.raises(ReviewError, match="not a `dataroom export evidence` file"):
        review_of(example_outdir, exports=bad)
