"""The manifest's JSON Schema, generated from the pydantic models and shipped with the package.

Editors that speak the YAML language server complete and check ``rooms.yaml`` when its first
line is::

    # yaml-language-server: $schema=../dataroom/schemas/manifest.schema.json

The schema describes the shape of each field (types, names, patterns, enumerations); the rules
that relate fields to each other (catalogue, approvals, partitions, duration) are only in
``dataroom validate``. Regenerate after changing a model::

    python -m dataroom.manifest_schema          # writes dataroom/schemas/manifest.schema.json
    python -m dataroom.manifest_schema --check  # exit 1 when the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataroom.manifest import Manifest

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "manifest.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of a manifest file (without ``source``, which the loader sets)."""
    schema = Manifest.model_json_schema(mode="validation")
    schema["properties"].pop("source", None)
    schema["title"] = "dataroom manifest"
    schema["description"] = (
        "The room manifest (docs/manifest.md). The schema checks each field's shape; "
        "`dataroom validate` also checks the rules between fields."
    )
    return {"$schema": DRAFT, **schema}


def render() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(manifest_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema file, or with ``--check`` say whether the committed one is current."""
    parser = argparse.ArgumentParser(prog="python -m dataroom.manifest_schema", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--out", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(
                f"{args.out}: stale; regenerate with `python -m dataroom.manifest_schema`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out}: current")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
