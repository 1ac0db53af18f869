"""Local try-out: deploy the example rooms into a moto server with the real ``cdk`` CLI, then audit.

    make local            # or: .venv/bin/python scripts/local_tryout.py [--keep]

1. starts ``moto_server`` on a free port of 127.0.0.1;
2. synthesizes the manifest in local mode (``-c dataroom:local=true``, see dataroom/local.py);
3. for each account of the assembly, takes credentials of that account from moto's STS (moto
   lets anyone assume a role in any account), runs ``cdk bootstrap`` and ``cdk deploy`` of that
   account's stacks from the synthesized assembly, exactly as against real AWS;
4. runs ``dataroom audit`` against each account and prints what was verified.

moto's CloudFormation skips several resource types (trails, GuardDuty, Config, bucket policies,
DNS firewall, Athena workgroups...): the audit reports those as missing, which is what this
try-out shows plainly; the moto-backed tests create them with boto3 to test the audit itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
PYTHON = Path(sys.executable)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--manifest", default="examples/rooms.yaml")
    parser.add_argument("--baseline", default="examples/baseline.yaml")
    parser.add_argument("--out", default="cdk.out.local")
    parser.add_argument(
        "--report-dir", help="also write each account's audit as JSON here (used by the tests)"
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
    )
    try:
        _wait(f"http://127.0.0.1:{port}", server)
        print(f"moto server on {endpoint}")
        out = ROOT / args.out
        shutil.rmtree(out, ignore_errors=True)
        context = [
            "-c", f"manifest={args.manifest}",
            "-c", f"baseline={args.baseline}",
            "-c", "dataroom:local=true",
        ]  # fmt: skip
        _run(["cdk", "synth", "--quiet", "--no-notices", "-o", str(out), *context], env)

        assembly = json.loads((out / "manifest.json").read_text())
        by_account: dict[str, list[str]] = {}
        for artifact_id, artifact in assembly["artifacts"].items():
            if artifact.get("type") == "aws:cloudformation:stack":
                account = artifact["environment"].split("/")[2]
                by_account.setdefault(account, []).append(artifact_id)

        results = {}
        for account, stacks in sorted(by_account.items()):
            account_env = {**env, **_credentials(endpoint, account)}
            _run(["cdk", "bootstrap", f"aws://{account}/us-east-1", "--no-notices"], account_env)
            deploy = ["cdk", "deploy", "--app", str(out), "--require-approval", "never"]
            _run([*deploy, "--no-notices", *stacks], account_env)
            selection = [a for s in stacks for a in ("--stack", s)]
            audit_command = [str(PYTHON), "-m", "dataroom.cli", "audit", "--assembly", str(out)]
            audit = subprocess.run(
                [*audit_command, "--baseline", args.baseline, *selection],
                cwd=ROOT,
                env=account_env,
                check=False,
            )
            results[account] = audit.returncode
            if args.report_dir:
                report = subprocess.run(
                    [*audit_command, "--baseline", args.baseline, *selection, "--json"],
                    cwd=ROOT,
                    env=account_env,
                    check=False,
                    capture_output=True,
                    text=True,
                )
                Path(args.report_dir).mkdir(parents=True, exist_ok=True)
                (Path(args.report_dir) / f"audit-{account}.json").write_text(report.stdout)
        print()
        for account, code in results.items():
            verdict = {0: "no drift", 1: "drift or missing resources (see above)"}.get(
                code, f"audit failed ({code})"
            )
            print(f"account {account}: deployed {', '.join(by_account[account])}; audit: {verdict}")
        print(
            "\nWhat moto cannot model shows up above as 'missing' or 'drift': its CloudFormation "
            "skips trails, GuardDuty detectors, Config rules, bucket policies, DNS firewall, "
            "Athena workgroups, alarms and subscriptions, and drops bucket versioning, "
            "public-access blocks, ownership controls, object lock, managed-policy "
            "attachments and the notebook's network settings (so it has direct internet). "
            "Against a real account the same command reports only real drift; "
            "tests/audit creates the skipped resources with boto3 to show a clean audit."
        )
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
