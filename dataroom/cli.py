"""The ``dataroom`` command: ``dataroom validate PATH`` and ``dataroom summary CDK_OUT``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dataroom.manifest import ManifestError, load_manifest


def _validate(args: argparse.Namespace) -> int:
    try:
        manifest = load_manifest(args.path)
    except ManifestError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        print(f"{args.path}: not valid ({len(exc.problems)} problem(s))", file=sys.stderr)
        return 1
    rooms = ", ".join(
        f"{r.name} ({r.phase.value}, expires {r.expires.isoformat()}, {len(r.datasets)} dataset(s))"
        for r in manifest.rooms
    )
    print(
        f"{args.path}: valid: {len(manifest.rooms)} room(s): {rooms}; "
        f"{len(manifest.datasets)} dataset(s) in the catalog"
    )
    return 0


def _summary(args: argparse.Namespace) -> int:
    from dataroom.summary import read_gate, render

    assembly = Path(args.assembly)
    if not (assembly / "manifest.json").exists():
        print(
            f"dataroom: {assembly} holds no cloud assembly; run `make synth` first", file=sys.stderr
        )
        return 1
    gate = read_gate(assembly)
    print(render(assembly, args.manifest, gate))
    return 0 if gate is not None and not gate.violations else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used as the console script)."""
    parser = argparse.ArgumentParser(prog="dataroom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check a room manifest without synthesizing")
    validate.add_argument("path")
    validate.set_defaults(func=_validate)
    summary = sub.add_parser("summary", help="summarize a synthesized cloud assembly")
    summary.add_argument("assembly", nargs="?", default="cdk.out")
    summary.add_argument("--manifest", default="examples/rooms.yaml")
    summary.set_defaults(func=_summary)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
