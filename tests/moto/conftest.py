"""A moto server on 127.0.0.1 for the whole session, and boto3 clients that talk only to it.

The server runs as a subprocess of ``moto_server`` from this interpreter's environment, on a free
port of the loopback interface. Clients get fake credentials and an explicit region and endpoint,
so the developer's credentials and region are never used. Each client names the account it acts in with
moto's ``x-moto-account-id`` request header, so one server holds any number of accounts; the
server is started without ``MOTO_ACCOUNT_ID``, which would override the header.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

HOST = "127.0.0.1"
#: How long the server may take to answer before the session gives up.
STARTUP_TIMEOUT_S = 30.0
#: Fake credentials: moto accepts any, and real AWS would refuse these.
FAKE_KEY_ID = "testing"
FAKE_SECRET = "testing"

#: ``aws_client(service, account=..., region=...)``: a boto3 client of the moto server.
ClientFactory = Callable[..., Any]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _server_command(port: int) -> list[str]:
    script = Path(sys.executable).parent / "moto_server"
    if script.is_file():
        return [str(script), "-H", HOST, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


def _answers(url: str) -> bool:
    # No proxy handler: the request must go straight to the loopback interface.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/moto-api/", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto server started for this session; the server ends with the session."""
    port = _free_port()
    url = f"http://{HOST}:{port}"
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "MOTO_ACCOUNT_ID"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _server_command(port),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            # Not the repository: with ``python -m moto.server``, a ``moto`` directory in the
            # working directory would shadow the package.
            cwd=log_path.parent,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _answers(url):
                if process.poll() is not None:
                    pytest.fail(
                        f"moto_server exited with {process.returncode} before answering:\n"
                        f"{log_path.read_text(errors='replace')}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"moto_server did not answer on {url} within {STARTUP_TIMEOUT_S:.0f} s:\n"
                        f"{log_path.read_text(errors='replace')}"
                    )
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def aws_client(moto_endpoint: str) -> ClientFactory:
    """A factory of boto3 clients bound to the moto server, in the account and region given."""

    def make(service: str, *, account: str, region: str = "us-east-1") -> Any:
        # boto3-stubs types client() per literal service name; ``service`` is any name here.
        client = boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=moto_endpoint,
            region_name=region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
        )

        def name_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign", name_account)
        return client

    return make
