"""Local try-out: deploy the example rooms into a moto server with the real ``cdk`` CLI, then audit.

    make local                                   # or: .venv/bin/python scripts/local_tryout.py
    make local LOCAL_FLAGS="--change v2.yaml"    # then change the rooms: cdk diff, deploy v2
    make local LOCAL_FLAGS="--extend-expiry 30 --keep-server"

1. starts ``moto_server`` on a free port of 127.0.0.1;
2. synthesizes the manifest in local mode (``-c dataroom:local=true``, see dataroom/local.py);
3. for each account of the assembly, takes credentials of that account from moto's STS (moto
   lets anyone assume a role in any account), runs ``cdk bootstrap`` and ``cdk deploy`` of that
   account's stacks from the synthesized assembly, room accounts before production;
4. runs ``dataroom audit`` against each account;
5. with ``--change`` (another manifest) or ``--extend-expiry DAYS`` (the same rooms, expiring
   later): synthesizes v2, prints ``cdk diff`` against what is deployed, deploys v2 into the
   same server and audits again;
6. prints what was verified, separating what moto cannot model from real drift.

Deploys use ``--method=direct`` (CreateStack / UpdateStack): moto's change sets cannot describe
a change set of an existing stack by name, so the CLI's default method fails on any update.
``--keep-server`` leaves the server running (its endpoint is printed) for your own ``aws`` or
``cdk`` commands; stop it with the printed ``kill``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
PYTHON = Path(sys.executable)

#: Resource types moto's CloudFormation does not create: the audit finds them missing
#: (kept equal to tests/audit/test_local_tryout.py's SKIPPED).
MOTO_SKIPPED_TYPES = frozenset(
    {
        "AWS::CloudTrail::Trail",
        "AWS::GuardDuty::Detector",
        "AWS::Config::ConfigRule",
        "AWS::Config::ConfigurationRecorder",
        "AWS::Athena::WorkGroup",
        "AWS::SNS::Subscription",
    }
)
#: Audit checks that fail only because moto's CloudFormation drops the property or policy.
MOTO_DROPPED_CHECKS = frozenset(
    {
        "bucket policy",
        "versioning",
        "public access block",
        "object ownership (ACLs disabled)",
        "object lock",
        "attached managed policies",
        # moto drops bucket lifecycle and logging, and security groups' egress rules (it leaves
        # AWS's default allow-all egress); topic policies come back with its own statements.
        "lifecycle (expiry)",
        "access logging",
        "egress rules",
        "topic policy",
    }
)
#: (resource type, check) that moto makes fail: it drops log groups' keys, and skips the trail,
#: so the account has none the baseline's ``trail`` accepts.
MOTO_DROPPED_TYPED_CHECKS = frozenset(
    {
        ("AWS::Logs::LogGroup", "KMS encryption"),
        ("baseline", "baseline trail"),
        # moto creates the workbench notebook from its type and role only: SageMaker's default
        # DirectInternetAccess (Enabled), not the template's Disabled.
        (
            "AWS::SageMaker::NotebookInstance",
            "no undeclared SageMaker notebook with direct internet",
        ),
    }
)


def moto_cannot_model(finding: dict[str, Any]) -> bool:
    """Whether an audit finding is a known moto limitation rather than real drift."""
    if finding.get("check") in MOTO_DROPPED_CHECKS:
        return True
    if (finding.get("resource_type"), finding.get("check")) in MOTO_DROPPED_TYPED_CHECKS:
        return True
    if finding.get("status") == "missing" and finding.get("resource_type") in MOTO_SKIPPED_TYPES:
        return True
    # moto's Fn::GetAtt LogGroup.Arn lacks CloudFormation's ':*', so policies naming it differ.
    return (
        finding.get("check") == "policy document"
        and finding.get("resource_type") == "AWS::IAM::ManagedPolicy"
        and "log" in str(finding.get("logical_id", "")).lower()
    )


def _template_property(assembly: Path, stack_name: str, logical_id: str, name: str) -> Any:
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    for artifact in manifest.get("artifacts", {}).values():
        properties = artifact.get("properties", {})
        if properties.get("stackName") == stack_name and "templateFile" in properties:
            template = json.loads((assembly / properties["templateFile"]).read_text())
            resource = template.get("Resources", {}).get(logical_id, {})
            return resource.get("Properties", {}).get(name)
    return None


def moto_kept_the_old_trust(finding: dict[str, Any], before: Path | None, after: Path) -> bool:
    """moto's UpdateStack leaves an existing role's trust policy as it was: a trust-policy
    finding on a role whose trust v2 changed is that limitation, not drift."""
    if before is None or finding.get("check") != "trust policy":
        return False
    if finding.get("resource_type") != "AWS::IAM::Role":
        return False
    stack, logical_id = str(finding.get("stack")), str(finding.get("logical_id"))
    old = _template_property(before, stack, logical_id, "AssumeRolePolicyDocument")
    new = _template_property(after, stack, logical_id, "AssumeRolePolicyDocument")
    return old is not None and old != new


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"moto_server exited with {process.returncode}")
        try:
            with opener.open(f"{url}/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"moto_server did not answer on {url}")


def _credentials(endpoint: str, account: str) -> dict[str, str]:
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    answer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/dataroom-local-tryout", RoleSessionName="tryout"
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": answer["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": answer["SecretAccessKey"],
        "AWS_SESSION_TOKEN": answer["SessionToken"],
    }


def _run(command: list[str], env: dict[str, str]) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def _extended(manifest: Path, days: int, out: Path) -> Path:
    """A copy of ``manifest`` whose rooms expire ``days`` later: the most common change."""
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    for room in data["rooms"]:
        room["expires"] = (
            dt.date.fromisoformat(str(room["expires"])) + dt.timedelta(days)
        ).isoformat()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


class TryOut:
    """One moto server, one or two versions of the manifest deployed into it."""

    def __init__(self, endpoint: str, env: dict[str, str], baseline: str) -> None:
        self.endpoint = endpoint
        self.env = env
        self.baseline = baseline
        self.bootstrapped: set[str] = set()

    def synth(self, manifest: str, out: Path) -> list[tuple[str, list[str]]]:
        """Synthesize in local mode; the accounts and their stacks, in deploy-plan order."""
        from dataroom.deploy_plan import plan

        shutil.rmtree(out, ignore_errors=True)
        context = [
            "-c", f"manifest={manifest}",
            "-c", f"baseline={self.baseline}",
            "-c", "dataroom:local=true",
        ]  # fmt: skip
        _run(["cdk", "synth", "--quiet", "--no-notices", "-o", str(out), *context], self.env)
        order: list[tuple[str, list[str]]] = []
        for wave in plan(out).waves:
            for account, stacks in sorted(wave.by_account.items()):
                order.append((account, [s.artifact_id for s in stacks]))
        return order

    def account_env(self, account: str) -> dict[str, str]:
        return {**self.env, **_credentials(self.endpoint, account)}

    def deploy(self, out: Path, order: list[tuple[str, list[str]]], *, diff: bool) -> None:
        for account, stacks in order:
            account_env = self.account_env(account)
            if account not in self.bootstrapped:
                _run(
                    ["cdk", "bootstrap", f"aws://{account}/us-east-1", "--no-notices"], account_env
                )
                self.bootstrapped.add(account)
            if diff:
                # A template diff: moto cannot create the change set a full diff would use.
                _run(
                    ["cdk", "diff", "--app", str(out), "--no-notices", "--method=template",
                     "--exclusively", *stacks],
                    account_env,
                )  # fmt: skip
            _run(
                ["cdk", "deploy", "--app", str(out), "--require-approval", "never", "--no-notices",
                 "--method=direct", "--exclusively", *stacks],
                account_env,
            )  # fmt: skip

    def audit(self, out: Path, order: list[tuple[str, list[str]]]) -> dict[str, dict[str, Any]]:
        reports = {}
        for account, stacks in order:
            selection = [a for s in stacks for a in ("--stack", s)]
            command = [str(PYTHON), "-m", "dataroom.cli", "audit", "--assembly", str(out)]
            result = subprocess.run(
                [*command, "--baseline", self.baseline, *selection, "--json"],
                cwd=ROOT,
                env=self.account_env(account),
                check=False,
                capture_output=True,
                text=True,
            )
            try:
                reports[account] = json.loads(result.stdout)
            except json.JSONDecodeError:
                reports[account] = {"error": result.stderr.strip() or f"exit {result.returncode}"}
        return reports


def _report(
    label: str,
    order: list[tuple[str, list[str]]],
    reports: dict[str, Any],
    assembly: Path,
    previous: Path | None = None,
) -> int:
    """Print one version's verdict per account; the number of real findings."""

    def moto(finding: dict[str, Any]) -> bool:
        return moto_cannot_model(finding) or moto_kept_the_old_trust(finding, previous, assembly)

    real_total = 0
    print(f"\n{label}:")
    for account, stacks in order:
        report = reports.get(account, {})
        if "error" in report:
            print(f"  account {account}: audit failed: {report['error']}")
            real_total += 1
            continue
        findings = [
            f for f in report.get("findings", []) if f.get("status") in ("drift", "missing")
        ]
        limited = [f for f in findings if moto(f)]
        real = [f for f in findings if not moto(f)]
        ok = report.get("summary", {}).get("ok", 0)
        print(
            f"  account {account}: deployed {', '.join(stacks)}; {ok} check(s) ok; "
            f"{len(limited)} finding(s) moto cannot model; {len(real)} REAL drift finding(s)"
        )
        for finding in real:
            print(
                f"    REAL {finding.get('status')}: {finding.get('stack')} "
                f"{finding.get('logical_id')} ({finding.get('resource_type')}): "
                f"{finding.get('check')}: expected {finding.get('expected')}, "
                f"found {finding.get('actual')}"
            )
        real_total += len(real)
    return real_total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--manifest", default="examples/rooms.yaml")
    parser.add_argument("--baseline", default="examples/baseline.yaml")
    parser.add_argument("--out", default="cdk.out.local")
    parser.add_argument(
        "--report-dir", help="also write each account's audit as JSON here (used by the tests)"
    )
    change = parser.add_mutually_exclusive_group()
    change.add_argument("--change", metavar="MANIFEST", help="then deploy this manifest as v2")
    change.add_argument(
        "--extend-expiry",
        type=int,
        metavar="DAYS",
        help="then deploy v2: the same rooms, expiring DAYS later",
    )
    parser.add_argument(
        "--keep-server", action="store_true", help="leave moto running at the end (prints how)"
    )
    args = parser.parse_args()

    port = _free_port()
    endpoint = f"http://localhost:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{PYTHON.parent}{os.pathsep}{env.get('PATH', '')}",
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DISABLE_CLI_TELEMETRY="true",
    )
    server_env = {k: v for k, v in env.items() if k != "MOTO_ACCOUNT_ID"}
    server = subprocess.Popen(
        [str(PYTHON.parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=server_env,
        start_new_session=args.keep_server,
    )
    keep = False
    try:
        _wait(f"http://127.0.0.1:{port}", server)
        print(f"moto server on {endpoint}")
        tryout = TryOut(endpoint, env, args.baseline)
        out = ROOT / args.out
        order = tryout.synth(args.manifest, out)
        tryout.deploy(out, order, diff=False)
        reports = tryout.audit(out, order)
        if args.report_dir:
            Path(args.report_dir).mkdir(parents=True, exist_ok=True)
            for account, report in reports.items():
                (Path(args.report_dir) / f"audit-{account}.json").write_text(json.dumps(report))
        real = _report(f"v1 ({args.manifest})", order, reports, out)

        v2_manifest = args.change
        if args.extend_expiry is not None:
            v2_manifest = str(
                _extended(
                    Path(args.manifest),
                    args.extend_expiry,
                    out.with_name(out.name + ".v2-manifest") / "rooms.yaml",
                )
            )
        if v2_manifest:
            out2 = out.with_name(out.name + ".v2")
            order2 = tryout.synth(v2_manifest, out2)
            tryout.deploy(out2, order2, diff=True)
            reports2 = tryout.audit(out2, order2)
            if args.report_dir:
                for account, report in reports2.items():
                    (Path(args.report_dir) / f"v2-audit-{account}.json").write_text(
                        json.dumps(report)
                    )
            real += _report(
                f"v2 ({v2_manifest}), updated in place", order2, reports2, out2, previous=out
            )

        print(
            "\nWhat moto cannot model is counted apart above: its CloudFormation skips trails, "
            "GuardDuty detectors, Config rules, bucket policies, DNS firewall, Athena "
            "workgroups, alarms and subscriptions, and drops bucket versioning, public-access "
            "blocks, ownership controls, object lock, managed-policy attachments and the "
            "notebook's network settings (so it has direct internet); moto also "
            "names log-group ARNs without ':*' and, on an update, keeps a role's old trust "
            "policy. A REAL finding is anything else: a resource "
            "that differs from its template or the baseline, as it would against a real "
            "account. tests/audit creates the skipped resources with boto3 to show a clean audit."
        )
        if args.keep_server:
            keep = True
            print(
                f"\nmoto keeps running: export AWS_ENDPOINT_URL={endpoint} (pid {server.pid}; "
                f"stop it with: kill {server.pid})"
            )
        return 1 if real else 0
    finally:
        if not keep:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
