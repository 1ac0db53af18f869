"""A moto server on 127.0.0.1 for the whole session, and boto3 clients that talk only to it.

The server runs as a subprocess of ``moto_server`` from this interpreter's environment, on a free
port of the loopback interface. Clients get fake credentials and an explicit region and endpoint,
so the developer's credentials and region are never used. Each client names the account it acts in with
moto's ``x-moto-account-id`` request header, so one server holds any number of accounts; the
server is started without ``MOTO_ACCOUNT_ID``, which would override the header.
"""

from __future__ import annotations

import contextlib
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
from aws_cdk import App, Stack
from botocore.config import Config

from tests.moto.deploy import DeployedStack, deploy_stack

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


@contextlib.contextmanager
def iam_enforced(moto_endpoint: str) -> Iterator[None]:
    """Make the moto server check every request against IAM policies, until the block ends.

    moto then authenticates each request's access key and evaluates the caller's identity
    policies (Allow/Deny, Action/NotAction, Resource). It ignores permissions boundaries,
    resource policies, session policies and every condition but ``StringEquals`` on keys it
    knows (only ``sts:ExternalId``). The server is process-wide, so nothing else may run meanwhile.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def set_count(value: str) -> None:
        request = urllib.request.Request(
            f"{moto_endpoint}/moto-api/reset-auth",
            data=value.encode(),
            method="POST",
            # Not a form: moto reads the raw body, which a form content type would consume.
            headers={"Content-Type": "text/plain"},
        )
        with opener.open(request, timeout=5) as response:
            assert response.status == 200

    set_count("0")
    try:
        yield
    finally:
        set_count("inf")


@pytest.fixture(scope="session")
def aws_client(moto_endpoint: str) -> ClientFactory:
    """A factory of boto3 clients bound to the moto server, in the account and region given."""

    def make(
        service: str,
        *,
        account: str,
        region: str = "us-east-1",
        credentials: dict[str, str] | None = None,
    ) -> Any:
        """``credentials``: an STS ``Credentials`` answer, to act as that session instead."""
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        else:
            keys = {"aws_access_key_id": FAKE_KEY_ID, "aws_secret_access_key": FAKE_SECRET}
        # boto3-stubs types client() per literal service name; ``service`` is any name here.
        client = boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=moto_endpoint,
            region_name=region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
            **keys,
        )

        def name_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign", name_account)
        return client

    return make


@pytest.fixture(scope="session")
def deployed(example_app: App, aws_client: ClientFactory) -> Callable[[Stack], DeployedStack]:
    """``deployed(stack)``: the example app's ``stack``, created in moto once per session."""
    done: dict[str, DeployedStack] = {}

    def deploy(stack: Stack) -> DeployedStack:
        if stack.artifact_id not in done:
            done[stack.artifact_id] = deploy_stack(aws_client, example_app, stack)
        return done[stack.artifact_id]

    return deploy
