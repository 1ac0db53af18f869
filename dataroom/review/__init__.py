"""``dataroom review``: the reviewer's report and the SOC 2 CC8.1 evidence of a synthesis.

Reads a cloud assembly and its manifest, never jsii (it runs in well under a second on an
assembly), and writes ``REVIEW.md``, ``review.json`` and ``evidence.json``:

- per room, the people and process facts of the manifest;
- the access graph (principals -> room roles -> production read roles -> dataset prefixes and
  keys), the network boundary and the monitoring, all read from the synthesized templates;
- DESIGN.md's STRIDE threat map, each control decided by a detector on the templates;
- the nag gate's results with every acknowledgement and its reason;
- the change evidence, and its difference from a previous evidence file.

JSON Schemas (draft 2020-12) of the two JSON outputs are in ``dataroom/review/schemas/``.
"""

from __future__ import annotations

from pathlib import Path

from dataroom.review.report import Review, ReviewError, build_review, render_markdown, write_review

__all__ = [
    "SCHEMA_DIR",
    "Review",
    "ReviewError",
    "build_review",
    "render_markdown",
    "write_review",
]

#: Where ``review.schema.json`` and ``evidence.schema.json`` live.
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
