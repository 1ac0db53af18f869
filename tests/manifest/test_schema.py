"""The shipped JSON Schema is the one the model generates, and the example satisfies it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema
import yaml

from dataroom.manifest_schema import SCHEMA_PATH, main, manifest_schema, render
from tests.conftest import EXAMPLE


def test_committed_schema_equals_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "stale: run `python -m dataroom.manifest_schema`"
    )
    assert main(["--check"]) == 0


def test_check_notices_a_stale_schema(tmp_path) -> None:
    stale = tmp_path / "manifest.schema.json"
    stale.write_text("{}\n")
    assert main(["--check", "--out", str(stale)]) == 1
    assert main(["--out", str(stale)]) == 0 and main(["--check", "--out", str(stale)]) == 0


def test_the_example_names_the_schema_on_its_first_line() -> None:
    first = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../dataroom/schemas/manifest.schema.json"
    assert (EXAMPLE.parent / first.split("$schema=")[1]).resolve() == SCHEMA_PATH


def _as_editor_reads(value: Any) -> Any:
    # Editors read YAML 1.2, where 2027-05-15 is a string, not a date.
    if isinstance(value, dict):
        return {k: _as_editor_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editor_reads(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_the_example_satisfies_the_schema_and_a_wrong_field_does_not() -> None:
    validator = jsonschema.Draft202012Validator(manifest_schema())
    data = _as_editor_reads(yaml.safe_load(EXAMPLE.read_text()))
    validator.validate(data)
    data["rooms"][0]["account"] = 222222222222
    data["rooms"][0]["colour"] = "blue"
    data["rooms"][0]["phase"] = "explore"
    messages = sorted(e.message for e in validator.iter_errors(data))
    assert any("'colour' was unexpected" in m for m in messages), messages
    assert any("'explore' is not one of" in m for m in messages), messages
    assert any("222222222222 is not of type 'string'" in m for m in messages), messages
    assert "source" not in json.loads(render())["properties"]
