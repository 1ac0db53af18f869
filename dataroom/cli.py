"""The ``dataroom`` command: validate a manifest, summarize, review, plan the deploy, audit."""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def _audit(args: argparse.Namespace) -> int:
    # Imported here: boto3 costs startup time that ``validate`` and ``summary`` do not need.
    from dataroom.audit import AuditError, audit_assembly, render_table
    from dataroom.baseline import BaselineError, load_baseline

    try:
        baseline = load_baseline(args.baseline)
        report = audit_assembly(
            Path(args.assembly),
            baseline,
            endpoint_url=args.endpoint_url,
            stacks=args.stack or (),
        )
    except (AuditError, BaselineError) as exc:
        print(f"dataroom audit: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render_table(report))
    if report.exit_code == 2:
        print(
            "dataroom audit: no stack was audited: every stack is in another account than the "
            "credentials'",
            file=sys.stderr,
        )
    return report.exit_code


def _review(args: argparse.Namespace) -> int:
    # Imported here: the review reads an assembly without jsii, and other commands need none of it.
    from dataroom.review import ReviewError, build_review, write_review

    try:
        review = build_review(
            args.assembly,
            args.manifest,
            today=args.today,
            previous_evidence=args.previous_evidence,
        )
    except ReviewError as exc:
        print(f"dataroom review: {exc}", file=sys.stderr)
        return 2
    paths = write_review(review, args.out)
    print(f"dataroom review: wrote {', '.join(str(p) for p in paths)}")
    for gap in review.gaps:
        print(f"  GAP {gap}")
    print(f"dataroom review: {len(review.gaps)} gap(s)")
    return review.exit_code


def _deploy_plan(args: argparse.Namespace) -> int:
    # jsii-free: reads the assembly's manifest.json and templates only.
    from dataroom.deploy_plan import PlanError, plan, render

    try:
        result = plan(
            args.assembly,
            concurrency=args.concurrency,
            max_accounts=args.max_accounts,
            evidence=args.evidence,
        )
    except PlanError as exc:
        print(f"dataroom deploy-plan: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), indent=2) if args.json else render(result))
    return 0


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used as the console script)."""
    from dataroom import __version__

    parser = argparse.ArgumentParser(
        prog="dataroom",
        description=__doc__,
        epilog="Control ids (NET-1, IAM-5, ...): docs/controls.md. Fleets: docs/fleet.md.",
    )
    parser.add_argument("--version", action="version", version=f"dataroom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser("validate", help="check a room manifest without synthesizing")
    validate.add_argument("path")
    validate.set_defaults(func=_validate)
    summary = sub.add_parser("summary", help="summarize a synthesized cloud assembly")
    summary.add_argument("assembly", nargs="?", default="cdk.out")
    summary.add_argument("--manifest", default="examples/rooms.yaml")
    summary.set_defaults(func=_summary)
    audit = sub.add_parser(
        "audit",
        help="compare deployed accounts with the cloud assembly and the baseline (DRF-3)",
        description="Exit 0: no drift; 1: drift or missing resources; 2: usage problem.",
    )
    audit.add_argument("--assembly", default="cdk.out", help="cloud assembly (default cdk.out)")
    audit.add_argument(
        "--baseline",
        default="examples/baseline.yaml",
        help="the production baseline (default examples/baseline.yaml)",
    )
    audit.add_argument(
        "--stack",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="stack name, artifact id or display name (default: every stack of the assembly)",
    )
    audit.add_argument("--json", action="store_true", help="one JSON document on stdout")
    audit.add_argument(
        "--endpoint-url", help="a local AWS endpoint such as moto (or set AWS_ENDPOINT_URL)"
    )
    audit.set_defaults(func=_audit)
    review = sub.add_parser(
        "review",
        help="write the reviewer's report and SOC 2 CC8.1 evidence of a cloud assembly",
        description="Writes REVIEW.md, review.json and evidence.json. "
        "Exit 0: no gap; 1: at least one gap; 2: usage problem.",
    )
    review.add_argument("--assembly", default="cdk.out", help="cloud assembly (default cdk.out)")
    review.add_argument("--manifest", default="examples/rooms.yaml")
    review.add_argument("--out", default="review", help="output directory (default review)")
    review.add_argument(
        "--previous-evidence", metavar="PATH", help="an earlier evidence.json to diff against"
    )
    review.add_argument(
        "--today", type=_date, help="judge expiry against this day, YYYY-MM-DD (default today)"
    )
    review.set_defaults(func=_review)
    deploy_plan = sub.add_parser(
        "deploy-plan",
        help="print the deploy waves of a cloud assembly: room accounts first, by account",
        description="One `cdk deploy --app ASSEMBLY --exclusively` per account and wave; a wave "
        "starts when the previous one succeeded. Exit 0: planned; 2: not an assembly, a "
        "dependency cycle, or templates that differ from the reviewed evidence.",
    )
    deploy_plan.add_argument("--assembly", default="cdk.out", help="cloud assembly (cdk.out)")
    deploy_plan.add_argument(
        "--evidence",
        metavar="PATH",
        help="review/evidence.json: refuse templates whose sha256 differs from the reviewed ones",
    )
    deploy_plan.add_argument(
        "--concurrency", type=int, default=4, help="stacks at once per account (default 4)"
    )
    deploy_plan.add_argument(
        "--max-accounts", type=int, default=4, help="accounts at once per wave (default 4)"
    )
    deploy_plan.add_argument("--json", action="store_true", help="one JSON document on stdout")
    deploy_plan.set_defaults(func=_deploy_plan)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
