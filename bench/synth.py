"""Synthesis benchmark: wall seconds for 1, 10 and 50 generated rooms, with and without the gate.

Prints figures; asserts nothing. Run with `make bench` (or `python bench/synth.py 1 10`).
Each measurement builds a fresh App in this process (jsii's node process is started once, before
the first measurement, and its start-up is reported separately).
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

t0 = time.perf_counter()
from aws_cdk import App  # noqa: E402

from dataroom.application import build_app, cdk_context  # noqa: E402
from dataroom.manifest import Manifest, parse_manifest  # noqa: E402

JSII_START = time.perf_counter() - t0


def generated_manifest(rooms: int) -> Manifest:
    data = yaml.safe_load((ROOT / "examples" / "rooms.yaml").read_text())
    template = data["rooms"][0]
    data["rooms"] = []
    for i in range(rooms):
        room = copy.deepcopy(template)
        room["name"] = f"room-{i:03d}"
        # A room per account: one GuardDuty detector and Config recorder per account and region.
        room["account"] = f"{222222222222 + i:012d}"
        room["principals"] = [f"arn:aws:iam::{room['account']}:role/DataScientist"]
        room["vpc_cidr"] = f"10.{80 + i // 64}.{(i % 64) * 4}.0/22"
        data["rooms"].append(room)
    return parse_manifest(yaml.safe_dump(data), source=f"<generated {rooms} rooms>")


def measure(rooms: int, *, nag: bool, repeat: int = 2) -> float:
    """Best of ``repeat`` runs: the machine has two cores and other work can intrude."""
    manifest = generated_manifest(rooms)
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            app = App(context=cdk_context(ROOT / "cdk.json"), outdir=out)
            build_app(manifest, app=app, nag=nag)
            app.synth()
            best = min(best, time.perf_counter() - start)
    return best


def main(sizes: list[int]) -> None:
    print(f"jsii start-up (import aws_cdk): {JSII_START:.2f} s")
    # The first synth loads most of aws-cdk-lib's modules into node: report it apart.
    warm = measure(1, nag=True, repeat=1)
    print(f"first synth (warm-up, 1 room, gate): {warm:.2f} s")
    print(f"{'rooms':>5}  {'no gate (s)':>11}  {'with gate (s)':>13}  {'s/room (gate)':>13}")
    previous: tuple[int, float] | None = None
    for n in sizes:
        bare = measure(n, nag=False)
        gated = measure(n, nag=True)
        per_room = (gated - previous[1]) / (n - previous[0]) if previous else gated / n
        print(f"{n:>5}  {bare:>11.2f}  {gated:>13.2f}  {per_room:>13.3f}")
        previous = (n, gated)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10, 50])
