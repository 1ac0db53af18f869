"""``python -m dataroom.cli review``: the three files, exit codes, usage errors without traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from dataroom.review import SCHEMA_DIR
from tests.conftest import EXAMPLE, ROOT, TODAY


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataroom.cli", "review", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_review_of_the_example_writes_three_files_and_exits_0(
    example_outdir: Path, tmp_path: Path
) -> None:
    result = run(
        "--assembly",
        str(example_outdir),
        "--manifest",
        "examples/rooms.yaml",
        "--out",
        str(tmp_path),
        "--today",
        TODAY.isoformat(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "REVIEW.md",
        "evidence.json",
        "review.json",
    ]
    assert "0 gap(s)" in result.stdout
    review = json.loads((tmp_path / "review.json").read_text())
    assert review["result"] == {"gap_count": 0, "gaps": [], "exit_code": 0}
    assert review["today"] == TODAY.isoformat()


def test_review_does_not_start_jsii() -> None:
    # Reviewing an assembly must not load aws_cdk (which starts a node process per run).
    probe = (
        "import sys, dataroom.cli, dataroom.review.report, dataroom.review.evidence; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsii', 'aws_cdk')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_missing_assembly_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--assembly", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "holds no cloud assembly" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_invalid_manifest_is_a_usage_error(example_outdir: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "rooms.yaml"
    manifest.write_text(EXAMPLE.read_text().replace("ticket: SEC-1234", "ticket: nope"))
    result = run(
        "--assembly", str(example_outdir), "--manifest", str(manifest), "--out", str(tmp_path / "o")
    )
    assert result.returncode == 2
    assert "rooms[0].ticket" in result.stderr and "Traceback" not in result.stderr


def test_the_assembly_must_match_the_manifest(example_outdir: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "rooms.yaml"
    manifest.write_text(EXAMPLE.read_text().replace("abnormal-process-exec", "another-room"))
    result = run(
        "--assembly",
        str(example_outdir),
        "--manifest",
        str(manifest),
        "--out",
        str(tmp_path / "o"),
        "--today",
        TODAY.isoformat(),
    )
    assert result.returncode == 1
    assert "room another-room: the assembly has no template for this room" in result.stdout
    schema = json.loads((SCHEMA_DIR / "review.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(
        json.loads((tmp_path / "o" / "review.json").read_text())
    )
    assert (
        "template of room abnormal-process-exec, which the manifest does not declare"
        in result.stdout
    )


def test_bad_today_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--today", "2026-13-01", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is not a date" in result.stderr and "Traceback" not in result.stderr
