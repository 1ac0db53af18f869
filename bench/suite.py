"""Benchmark: wall time of the test suite, whole and per directory, with pytest's slowest tests.

    .venv/bin/python bench/suite.py          # or: make bench

It prints figures; it asserts nothing (tests never assert on wall time). Each directory runs in
its own pytest process, so the per-directory figures include that process's start-up (jsii, the
moto server, the example synth), which is what a developer running one directory pays. The
whole suite runs as ``make test`` runs it (files spread over every core) and in one process.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTORIES = ("unit", "nag", "iam", "moto", "remediation", "audit", "review")


def _run(*targets: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=5", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    summary = [
        line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)
    ]
    return elapsed, (summary[-1].strip("= ") if summary else f"exit {result.returncode}")


def main() -> None:
    total, summary = _run("tests")
    print(f"whole suite: {total:6.1f} s  ({summary})  [-n auto --dist loadfile, as make test]")
    serial, summary = _run("tests", "-n", "0")
    print(f"one process: {serial:6.1f} s  ({summary})  [ratio {serial / total:.2f}]")
    for directory in DIRECTORIES:
        elapsed, summary = _run(f"tests/{directory}")
        print(f"  tests/{directory:<12} {elapsed:6.1f} s  ({summary})")


if __name__ == "__main__":
    main()
