"""Synthesis benchmark: wall seconds for generated fleets, whole and with one room selected.

Prints figures; asserts nothing. Run with `make bench` (or `python bench/synth.py 1 10 50 200`).
For each size N it synthesizes, with the gate (cdk-nag packs, DataRoomChecks, StackLimits):

- all: every room of an N-room manifest (what `cdk synth` does without ``-c room=``);
- one: the same manifest with ``-c room=room-000`` (what `cdk deploy DataRoomStack -c room=...`
  pays): one room stack and the production stack, whatever N is.

Each measurement builds a fresh App in this process (jsii's node process is started once, before
the first measurement, and its start-up is reported separately). The production stack grows with
N (a role, its policy and an output per room): the last column says when StackLimits would
refuse it; the timing is taken with the limits raised so that it can be measured at all.
"""

from __future__ import annotations

import copy
import json
import os
import re
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

from dataroom.application import PRODUCTION_STACK_ID, build_app, cdk_context  # noqa: E402
from dataroom.limits import StackLimits, measure  # noqa: E402
from dataroom.manifest import Manifest, parse_manifest  # noqa: E402

JSII_START = time.perf_counter() - t0
#: Measure synthesis, not the refusal: StackLimits' findings are reported apart.
UNLIMITED = StackLimits(max_resources=10**6, max_outputs=10**6, max_template_bytes=10**12)


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


def measure_synth(manifest: Manifest, *, room: str | None, repeat: int) -> tuple[float, str]:
    """Best of ``repeat`` runs (two shared cores: other work intrudes), and the limits verdict."""
    best = float("inf")
    verdict = ""
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            app = App(context=cdk_context(ROOT / "cdk.json"), outdir=out)
            build_app(manifest, app=app, room=room, limits=UNLIMITED)
            try:
                app.synth()
            except RuntimeError as exc:
                # aws-cdk-lib's own template validation (cdk.json) refuses e.g. > 200 outputs.
                best = min(best, time.perf_counter() - start)
                refusal = re.search(r"ERROR ([^\n]*)", str(exc))
                reason = refusal.group(1) if refusal else "aws-cdk-lib's validation, printed above"
                return best, f"refused at synth ({reason})"
            best = min(best, time.perf_counter() - start)
            assembly = json.loads((Path(out) / "manifest.json").read_text())
            stacks = [a for a in assembly["artifacts"].values() if a["type"].endswith(":stack")]
            production = Path(out) / f"{PRODUCTION_STACK_ID}.template.json"
            findings = StackLimits().findings(measure(production)) if production.exists() else []
            verdict = f"{len(stacks)} stacks; " + (
                "; ".join(rule for rule, _ in findings) + " refused" if findings else "ok"
            )
    return best, verdict


def main(sizes: list[int], repeat: int) -> None:
    print(f"jsii start-up (import aws_cdk): {JSII_START:.2f} s")
    warm, _ = measure_synth(generated_manifest(1), room=None, repeat=1)
    print(f"first synth (warm-up, 1 room, gate): {warm:.2f} s")
    print(f"{'rooms':>5}  {'all (s)':>8}  {'s/room':>7}  {'one (s)':>8}  limits (all)")
    for n in sizes:
        manifest = generated_manifest(n)
        whole, verdict = measure_synth(manifest, room=None, repeat=repeat if n <= 10 else 1)
        one, _ = measure_synth(manifest, room="room-000", repeat=repeat)
        print(f"{n:>5}  {whole:>8.2f}  {whole / n:>7.3f}  {one:>8.2f}  {verdict}", flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a.isdigit()]
    main([int(a) for a in args] or [1, 10, 50, 200], repeat=2)
