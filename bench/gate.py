"""Gate benchmark: what the data room gate adds to `cdk synth`, at 1, 10 and 50 generated rooms.

Prints figures; asserts nothing. Run with `python bench/gate.py` (or `python bench/gate.py 1 10`).
Three syntheses per size, best of two each:

- ``bare``: the app without any validation plugin;
- ``packs``: with cdk-nag's AwsSolutions and NIST 800-53 R5 packs only;
- ``gate``: with the whole gate (the packs and DataRoomGate), as `cdk synth` runs.

``ours`` = gate - packs is what DataRoomGate adds; the target is at most 0.1 s
per room at 50 rooms. ``judge`` is the Python-side judging alone (AssemblyJudge over the written
assembly: every rule on every template, nested stacks and acknowledgements included).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
sys.path.insert(0, str(ROOT))

from aws_cdk import App, Validations  # noqa: E402

from bench.synth import generated_manifest  # noqa: E402
from dataroom.application import build_app, cdk_context  # noqa: E402
from dataroom.baseline import load_baseline  # noqa: E402
from dataroom.policies.judge import AssemblyJudge  # noqa: E402
from dataroom.policies.nag import apply_nag_gate, nag_packs  # noqa: E402

BASELINE = load_baseline(ROOT / "examples" / "baseline.yaml")


def synth(rooms: int, mode: str, repeat: int = 2) -> float:
    manifest = generated_manifest(rooms)
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            app = App(context=cdk_context(ROOT / "cdk.json"), outdir=out)
            build_app(manifest, app=app, nag=False)
            if mode == "packs":
                Validations.of(app).add_plugins(*nag_packs(app))
            elif mode == "gate":
                apply_nag_gate(
                    app,
                    baseline=BASELINE,
                    room_accounts={r.account for r in manifest.rooms},
                    production_accounts={manifest.production.account},
                )
            app.synth()
            best = min(best, time.perf_counter() - start)
    return best


def judge_only(rooms: int) -> float:
    manifest = generated_manifest(rooms)
    with tempfile.TemporaryDirectory() as out:
        app = App(context=cdk_context(ROOT / "cdk.json"), outdir=out)
        build_app(manifest, app=app, nag=False)
        app.synth()
        start = time.perf_counter()
        judge = AssemblyJudge(baseline=BASELINE)
        for info in judge.stacks(out):
            judge.failures(info.template_path)
        return time.perf_counter() - start


def main(sizes: list[int]) -> None:
    synth(1, "gate", repeat=1)  # warm-up: node loads aws-cdk-lib and cdk-nag
    print(f"{'rooms':>5} {'bare':>7} {'packs':>7} {'gate':>7} {'ours':>7} {'ours/room':>9} "
          f"{'judge':>7}")  # fmt: skip
    for n in sizes:
        # Alternated, best of each: other work on the machine intrudes on any single run.
        bare, packs, gate = synth(n, "bare"), synth(n, "packs"), synth(n, "gate")
        packs, gate = min(packs, synth(n, "packs", repeat=1)), min(gate, synth(n, "gate", repeat=1))
        ours = gate - packs
        print(f"{n:>5} {bare:>7.2f} {packs:>7.2f} {gate:>7.2f} {ours:>7.2f} {ours / n:>9.3f} "
              f"{judge_only(n):>7.3f}")  # fmt: skip


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10, 50])
