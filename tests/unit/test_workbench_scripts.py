"""The workbench's lifecycle scripts (WBN-2, WBN-3), run for real with a stubbed ``aws``.

``pip_config.sh`` is the file the OnStart script embeds; here it runs under bash in a temporary
home, with an ``aws`` on PATH that answers CodeArtifact's two calls the way the CLI does (and
records them), so the test checks the pip configuration the notebook would get.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import stat
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from dataroom.constructs.workbench import SCRIPTS_DIR

BASH = shutil.which("bash")
TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.token"
ENDPOINT = "https://dataroom-r-222222222222.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi/"

pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def _stub_aws(directory: Path, *, token: str = TOKEN, endpoint: str = ENDPOINT) -> Path:
    """An ``aws`` that logs its arguments and prints what ``--query ... --output text`` would."""
    log = directory / "aws.log"
    script = directory / "aws"
    script.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> "{log}"\n'
        'case "$2" in\n'
        f"  get-authorization-token) echo '{token}' ;;\n"
        f"  get-repository-endpoint) echo '{endpoint}' ;;\n"
        "  *) exit 2 ;;\n"
        "esac\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


def _bin(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    return bin_dir


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = _bin(tmp_path)
    environment = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DATAROOM_DOMAIN": "dataroom-r",
        "DATAROOM_DOMAIN_OWNER": "222222222222",
        "DATAROOM_REPOSITORY": "pypi",
        "DATAROOM_PIP_HOME": str(tmp_path / "home"),
        **env,
    }
    return subprocess.run(
        [str(BASH), str(SCRIPTS_DIR / "pip_config.sh")],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_pip_uses_the_rooms_mirror_with_a_token_and_the_manifests_constraints(
    tmp_path: Path,
) -> None:
    # GIVEN CodeArtifact answering through the (stubbed) CLI
    log = _stub_aws(_bin(tmp_path))
    # WHEN the on-start part that configures pip runs
    result = _run(tmp_path, DATAROOM_CONSTRAINTS="pandas<3,>=2.2\n\nscikit-learn<2,>=1.5\n")
    # THEN pip's index is the room's repository, authenticated with the token, and nothing else
    assert result.returncode == 0, result.stderr
    pip_dir = tmp_path / "home" / ".config" / "pip"
    conf = (pip_dir / "pip.conf").read_text(encoding="utf-8")
    host = ENDPOINT.removeprefix("https://")
    assert f"index-url = https://aws:{TOKEN}@{host}simple/" in conf.splitlines()
    assert "extra-index-url" not in conf
    assert f"constraint = {pip_dir}/constraints.txt" in conf.splitlines()
    assert (pip_dir / "constraints.txt").read_text(encoding="utf-8").splitlines() == [
        "pandas<3,>=2.2",
        "scikit-learn<2,>=1.5",
    ]
    # the token is a credential: only the notebook user may read the file
    assert stat.S_IMODE((pip_dir / "pip.conf").stat().st_mode) == 0o600
    # and both calls named the room's domain, owner and repository
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("codeartifact get-authorization-token --domain dataroom-r ")
    assert "--domain-owner 222222222222" in calls[0]
    assert "--repository pypi --format pypi" in calls[1]


def test_token_renewal_keeps_the_constraints(tmp_path: Path) -> None:
    _stub_aws(_bin(tmp_path))
    assert _run(tmp_path, DATAROOM_CONSTRAINTS="numpy<3").returncode == 0
    # the hourly renewal (cron) runs without DATAROOM_CONSTRAINTS
    assert _run(tmp_path).returncode == 0
    constraints = tmp_path / "home" / ".config" / "pip" / "constraints.txt"
    assert constraints.read_text(encoding="utf-8") == "numpy<3\n"


def test_no_token_means_no_pip_configuration(tmp_path: Path) -> None:
    _stub_aws(_bin(tmp_path), token="")
    result = _run(tmp_path)
    assert result.returncode != 0
    assert "pip is not configured" in result.stderr
    assert not (tmp_path / "home" / ".config" / "pip" / "pip.conf").exists()


def _autostop() -> ModuleType:
    spec = importlib.util.spec_from_file_location("autostop", SCRIPTS_DIR / "autostop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def test_idle_since_is_the_last_activity_and_none_while_busy() -> None:
    autostop = _autostop()
    kernels = [
        {"execution_state": "idle", "last_activity": "2026-12-01T09:00:00.000000Z"},
        {"execution_state": "idle", "last_activity": "2026-12-01T09:30:00Z"},
    ]
    assert autostop.idle_since(kernels, [], T0) == dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    assert autostop.idle_since([], [], T0) == T0  # nothing ever ran: idle since start
    busy = [*kernels, {"execution_state": "busy", "last_activity": "2026-12-01T08:00:00Z"}]
    assert autostop.idle_since(busy, [], T0) is None
