"""Audit benchmark: seconds of `dataroom audit` per room stack, on a local moto server.

Prints figures; asserts nothing. Run with `python bench/audit.py [ROOMS]` (default 1).

It synthesizes the example, deploys ROOMS copies of its room stack (each in an account of its
own) and one production stack into a moto server it starts on 127.0.0.1, completes what moto's
CloudFormation skips (as tests/audit/conftest.py does), then times:

- each room stack's declared checks (``--stacks-only``), one stack at a time;
- each account's discovery and baseline fields (every enabled region), cold (the first read of
  each region: moto builds its per-region backends then) and warm;
- the whole fleet in one run with ``--concurrency 4``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
sys.path.insert(0, str(ROOT))

import datetime as dt  # noqa: E402

import boto3  # noqa: E402
from aws_cdk import App  # noqa: E402
from botocore.config import Config  # noqa: E402

from dataroom.application import build_app, cdk_context  # noqa: E402
from dataroom.audit import audit_assembly  # noqa: E402
from dataroom.baseline import load_baseline  # noqa: E402
from dataroom.manifest import load_manifest  # noqa: E402
from tests.audit.conftest import (  # noqa: E402
    EXAMPLE_PROD_ACCOUNT,
    EXAMPLE_ROOM_ACCOUNT,
    audit_client_factory,
    copy_assembly,
    deploy_copy,
)


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(150):
        try:
            with opener.open(f"{url}/moto-api/", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("moto_server did not start")


def deploy_factory(endpoint: str) -> Any:
    def make(service: str, *, account: str, region: str = "us-east-1", **_: Any) -> Any:
        client = boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint,
            region_name=region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.meta.events.register(
            "before-sign",
            lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
        )
        return client

    return make


def main() -> None:
    rooms = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    baseline = load_baseline(ROOT / "examples" / "baseline.yaml")
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    started = time.perf_counter()
    manifest = load_manifest(ROOT / "examples" / "rooms.yaml", today=dt.date(2026, 11, 28))
    app = App(context=cdk_context(ROOT / "cdk.json"), outdir=str(work / "cdk.out"))
    build_app(manifest, app=app)
    app.synth()
    print(f"synth: {time.perf_counter() - started:.1f} s")
    process, endpoint = start_moto()
    try:
        clients = audit_client_factory(endpoint)
        copies = []
        for i in range(rooms):
            room, prod = f"{700000000000 + i:012d}", f"{800000000000 + i:012d}"
            assembly = copy_assembly(
                work / "cdk.out", work / f"room-{i}",
                {EXAMPLE_ROOM_ACCOUNT: room, EXAMPLE_PROD_ACCOUNT: prod},
            )  # fmt: skip
            stacks = ["DataRoomStack"] + (["ProductionAccessStack"] if i == 0 else [])
            t = time.perf_counter()
            copies.append(deploy_copy(deploy_factory(endpoint), clients, assembly, stacks))
            print(f"deploy room {i + 1}/{rooms}: {time.perf_counter() - t:.1f} s")
        for i, copy in enumerate(copies):
            t = time.perf_counter()
            report = audit_assembly(
                copy.assembly, baseline, client_factory=clients, stacks=["DataRoomStack"],
                discover=False,
            )  # fmt: skip
            stack_s = time.perf_counter() - t
            timings = []
            for _ in ("cold", "warm"):
                t = time.perf_counter()
                full = audit_assembly(
                    copy.assembly, baseline, client_factory=clients, stacks=["DataRoomStack"]
                )
                timings.append(time.perf_counter() - t)
            print(
                f"room {i + 1}: declared checks {stack_s:.1f} s ({len(report.findings)} checks, "
                f"exit {report.exit_code}); with account discovery and baseline: "
                f"cold {timings[0]:.1f} s, warm {timings[1]:.1f} s ({len(full.findings)} checks)"
            )
        t = time.perf_counter()
        report = audit_assembly(copies[0].assembly, baseline, client_factory=clients, concurrency=4)
        print(
            f"example (room + production stacks, concurrency 4): {time.perf_counter() - t:.1f} s,"
            f" {report.summary_line()}"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
