"""The ``dataroom`` command: validate, summarize, review, plan the deploy, audit, run rooms."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dataroom.airlock.cli import add_export_parser
from dataroom.lifecycle_commands import add_lifecycle_commands
from dataroom.manifest import ManifestError, load_manifest


def _validate(args: argparse.Namespace) -> int:
    from dataroom.baseline import DEFAULT_BASELINE, Baseline, BaselineError, load_baseline

    # The same baseline `cdk synth` reads by default, for the same room-duration limit.
    baseline = Baseline()
    if args.baseline or Path(DEFAULT_BASELINE).exists():
        try:
            baseline = load_baseline(args.baseline or DEFAULT_BASELINE)
        except BaselineError as exc:
            print(f"dataroom validate: {exc}", file=sys.stderr)
            return 1
    try:
        manifest = load_manifest(args.path, today=args.today, max_room_days=baseline.max_room_days)
    except ManifestError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        print(f"{args.path}: not valid ({len(exc.problems)} problem(s))", file=sys.stderr)
        return 1
    rooms = ", ".join(
        f"{r.name} ({r.phase.value}, expires {r.expires.isoformat()}, {len(r.datasets)} dataset(s))"
        for r in manifest.rooms[:10]
    )
    if len(manifest.rooms) > 10:
        rooms += f" and {len(manifest.rooms) - 10} more"
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
    from dataroom.audit.report import progress_printer, render_fleet_summary
    from dataroom.baseline import BaselineError, load_baseline

    progress = progress_printer(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    try:
        baseline = load_baseline(args.baseline)
        report = audit_assembly(
            Path(args.assembly),
            baseline,
            endpoint_url=args.endpoint_url,
            stacks=args.stack or (),
            role_name=args.role_name,
            concurrency=args.concurrency,
            progress=progress,
            discover=not args.stacks_only,
            probe=args.probe,
            trusted_accounts=args.trusted_account or (),
        )
    except (AuditError, BaselineError) as exc:
        print(f"dataroom audit: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render_table(report))
        if len({s.account for s in report.stacks if s.status != "skipped"}) > 1:
            print(render_fleet_summary(report))
    if report.exit_code == 2:
        print(
            "dataroom audit: no stack was audited: every stack is in another account than the "
            "credentials'",
            file=sys.stderr,
        )
    return report.exit_code


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return number


def _review(args: argparse.Namespace) -> int:
    # Imported here: the review reads an assembly without jsii, and other commands need none of it.
    from dataroom.review import ReviewError, build_review, write_review

    try:
        review = build_review(
            args.assembly,
            args.manifest,
            today=args.today,
            previous_evidence=args.previous_evidence,
            exports=args.exports,
            baseline=args.baseline,
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
    validate.add_argument(
        "--baseline",
        help="the production baseline (default: the packaged copy of examples/baseline.yaml)",
    )
    validate.add_argument(
        "--today", type=_date, help="judge expiry against this day, YYYY-MM-DD (default today)"
    )
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
    audit.add_argument(
        "--role-name",
        metavar="NAME",
        help="audit a fleet: assume arn:<partition>:iam::<account>:role/NAME in each stack's "
        "account (see dataroom/audit/policy.json)",
    )
    audit.add_argument(
        "--concurrency",
        type=_positive,
        default=4,
        metavar="N",
        help="stacks (and accounts) audited at once (default 4)",
    )
    audit.add_argument(
        "--stacks-only",
        action="store_true",
        help="only what the templates declare: no account-wide discovery or baseline checks",
    )
    audit.add_argument(
        "--probe",
        action="store_true",
        help="send a test event through each alert topic and wait for it (writes, then removes, "
        "a probe rule, queue and subscription)",
    )
    audit.add_argument(
        "--trusted-account",
        action="append",
        metavar="ACCOUNT",
        help="an account roles may trust and keys grant to (a deployment pipeline's, the "
        "auditors'); repeatable",
    )
    audit.add_argument("--quiet", action="store_true", help="no progress on a terminal")
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
        "--baseline",
        default="examples/baseline.yaml",
        help="production baseline the gate compared with (DRF-2; default examples/baseline.yaml)",
    )
    review.add_argument(
        "--previous-evidence", metavar="PATH", help="an earlier evidence.json to diff against"
    )
    review.add_argument(
        "--exports",
        metavar="PATH",
        help="released exports from `dataroom export evidence`, recorded in evidence.json",
    )
    review.add_argument(
        "--today", type=_date, help="judge expiry against this day, YYYY-MM-DD (default today)"
    )
    review.set_defaults(func=_review)
    from dataroom.workbench_lock import add_parser as add_workbench_parser

    add_workbench_parser(sub)
    add_lifecycle_commands(sub)
    add_export_parser(sub)
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
