"""The README's `make synth` sample output is the real output (counts normalized): never stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dataroom.cli import main
from tests.conftest import ROOT

README = ROOT / "README.md"
_COUNT = re.compile(r"\b\d{1,3}\b")


def _normalize(line: str) -> str:
    return _COUNT.sub("N", line.rstrip())


def _sample() -> list[str]:
    text = README.read_text(encoding="utf-8")
    marker = "`make synth` prints, for the example (abridged):"
    assert marker in text, "the README lost its sample of `make synth`"
    block = text[text.index(marker) :].split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def _real_output(assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["validate", "examples/rooms.yaml"]) == 0
    # `make synth` writes into cdk.out and review/; the session's assembly lives elsewhere.
    assert main(["summary", str(assembly), "--manifest", "examples/rooms.yaml"]) == 0
    review = tmp_path / "review"
    assert (
        main(
            [
                "review",
                "--assembly",
                str(assembly),
                "--manifest",
                "examples/rooms.yaml",
                "--baseline",
                "examples/baseline.yaml",
                "--out",
                str(review),
                "--today",
                "2026-11-28",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    out = out.replace(f"{review}/", "review/").replace(str(assembly), "cdk.out")
    return out.splitlines()


def test_readme_sample_is_the_real_output(
    example_assembly: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    real = [_normalize(line) for line in _real_output(example_assembly, tmp_path, capsys)]
    position = 0
    for line in _sample():
        if line.strip() == "...":
            continue
        wanted = _normalize(line)
        assert wanted in real[position:], (
            f"README sample line not in `make synth`'s output (in order):\n  {line}\n"
            "real output:\n" + "\n".join(real)
        )
        position = real.index(wanted, position) + 1


def test_the_check_catches_a_stale_line(
    example_assembly: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    real = [_normalize(line) for line in _real_output(example_assembly, tmp_path, capsys)]
    # The deploy hint as it was before the reviewed-assembly form: no longer printed.
    assert (
        _normalize(
            "deploy: cdk deploy DataRoomStack  (with credentials for 222222222222/us-east-1)"
        )
        not in real
    )
