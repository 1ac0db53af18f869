"""Manifest validation benchmark: wall seconds to validate a generated manifest of N rooms.

Prints figures; asserts nothing (target: 5,000 rooms in at most 3 s on the project machine).
Run with `python bench/validate.py` (default 5000 rooms) or `python bench/validate.py 100 5000`.
The manifest is generated here, written to a temporary file and validated exactly as
`dataroom validate` does (read, decode, parse once, validate, cross-check), best of three runs.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from dataroom.manifest import load_manifest  # noqa: E402
from dataroom.manifest_yaml import Loader  # noqa: E402

TODAY = dt.date(2026, 11, 28)


def manifest_text(rooms: int) -> str:
    """A valid manifest of ``rooms`` rooms, each in its own account (one detector, one recorder
    and at most five trails per account and region), over a catalogue of 20 datasets."""
    lines = [
        "production:",
        '  account: "111111111111"',
        "  region: us-east-1",
        "  organization_id: o-exampleorg1",
        "security_approvers: [security-lead@example.com]",
        "datasets:",
    ]
    for d in range(20):
        lines += [
            f"  - name: dataset-{d:02d}",
            "    bucket: prod-telemetry",
            f"    prefix: events/kind-{d:02d}/",
            "    kms_key_arn: arn:aws:kms:us-east-1:111111111111:key/"
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "    classification: confidential",
            "    tenancy: multi-tenant",
            "    contains: [telemetry]",
        ]
    lines.append("rooms:")
    for i in range(rooms):
        account = f"{300000000000 + i:012d}"
        lines += [
            f"  - name: room-{i:05d}",
            f'    account: "{account}"',
            "    phase: exploration",
            "    hypothesis: Cluster analysis of process executions separates deploys from "
            "intrusions",
            f"    ticket: SEC-{1000 + i}",
            f"    owner: scientist-{i}@example.com",
            "    approvers: [security-lead@example.com]",
            "    expires: 2027-03-31",
            f"    principals: [arn:aws:iam::{account}:role/DataScientist]",
            "    tenancy: multi-tenant",
            "    datasets:",
            f"      - name: dataset-{i % 20:02d}",
            "        justification: Process lineage is the feature space of the hypothesis.",
            f"      - name: dataset-{(i + 1) % 20:02d}",
            "        justification: Outbound connections right after exec separate intrusions.",
            "    query_limit_gb: 50",
            "    monitoring:",
            "      alert_emails: [soc@example.com]",
            "      log_retention_days: 400",
        ]
    return "\n".join(lines) + "\n"


def measure(rooms: int, repeat: int = 3) -> tuple[float, float, int]:
    """Best wall and CPU seconds of ``repeat`` runs, and the file's size.

    The machine has two cores shared with other work: the CPU figure is what the validation
    itself costs, the wall figure what a user waited under the load of the moment.
    """
    text = manifest_text(rooms)
    best_wall = best_cpu = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rooms.yaml"
        path.write_text(text, encoding="utf-8")
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            manifest = load_manifest(path, today=TODAY)
            best_cpu = min(best_cpu, time.process_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - wall)
            assert len(manifest.rooms) == rooms
    return best_wall, best_cpu, len(text.encode())


def main(sizes: list[int]) -> None:
    print(f"loader: {Loader.__name__} (libyaml: {yaml.__with_libyaml__})")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for rooms in sizes:
        wall, cpu, size = measure(rooms)
        print(
            f"validate {rooms:>5} room(s) ({size / 1024 / 1024:.1f} MiB): {wall:.2f} s wall, "
            f"{cpu:.2f} s CPU ({cpu / rooms * 1000:.2f} ms CPU per room)"
        )


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [5000])
