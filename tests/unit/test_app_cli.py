"""The README's main path: the real `cdk` CLI runs app.py offline; bad input ends without a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataroom.application import SINGLE_ROOM_STACK_ID, build_app, room_stack_id
from dataroom.manifest import parse_manifest
from tests.conftest import EXAMPLE, ROOT, TODAY

CDK = ROOT / "node_modules" / ".bin" / "cdk"


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = (
        f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    )
    # No credentials at all: a look-up would fail the synth instead of silently using a profile.
    env.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DISABLE_CLI_TELEMETRY="true",
    )
    return env


def _synth(manifest: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CDK),
            "synth",
            "--quiet",
            "--no-notices",
            "-c",
            f"manifest={manifest}",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        env=_offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(not CDK.exists(), reason="npm packages not installed (make setup)")
def test_cdk_cli_synthesizes_the_example_offline_without_credentials(tmp_path: Path) -> None:
    result = _synth(EXAMPLE, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out" / "DataRoomStack.template.json").exists()
    assert "end-of-life" not in result.stderr, "the pinned Node.js 22 must run, not an EOL one"
    summary = subprocess.run(
        [sys.executable, "-m", "dataroom.cli", "summary", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert summary.returncode == 0, summary.stderr
    assert (
        "nag gate: AwsSolutions, NIST.800.53.R5, DataRoom: 0 unacknowledged finding(s)"
        in summary.stdout
    )
    # Room: intermediate, results, access-log, trail-log, Config, evidence, airlock review and
    # export buckets; production: trail log and its access log.
    assert "acknowledged NIST.800.53.R5-S3BucketReplicationEnabled x10" in summary.stdout
    # Deploy hints name the reviewed assembly, room accounts first.
    out = tmp_path / "out"
    rooms_first = (
        f"  wave 1: cdk deploy --app {out} --exclusively DataRoomStack  "
        "(credentials for 222222222222/us-east-1)",
        f"  wave 2: cdk deploy --app {out} --exclusively ProductionAccessStack  "
        "(credentials for 111111111111/us-east-1)",
    )
    lines = summary.stdout.splitlines()
    assert lines.index(rooms_first[0]) < lines.index(rooms_first[1])


@pytest.mark.skipif(not CDK.exists(), reason="npm packages not installed (make setup)")
def test_cdk_cli_reports_a_bad_manifest_without_traceback(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0]["account"] = "12345"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    result = _synth(bad, tmp_path / "out")
    assert result.returncode != 0
    assert (
        f"{bad}:" in result.stderr
        and "rooms[0].account: '12345' is not a 12-digit AWS account id" in result.stderr
    )
    assert "Traceback" not in result.stderr and "jsii" not in result.stderr.lower()


@pytest.mark.skipif(not CDK.exists(), reason="npm packages not installed (make setup)")
def test_cdk_cli_refuses_an_unknown_room_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "--no-notices", "-c", "room=nope", "-o", str(tmp_path)],
        cwd=ROOT,
        env=_offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "-c room=nope: " in result.stderr and "expected one of: abnormal-process-exec" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_several_rooms_get_predictable_stack_names(context) -> None:
    from aws_cdk import App

    data = yaml.safe_load(EXAMPLE.read_text())
    second = dict(
        data["rooms"][0],
        name="lateral-movement",
        vpc_cidr="10.81.0.0/22",
        # One detector and one recorder per account and region: the second room adopts them.
        monitoring={"existing_guardduty_detector_id": "a" * 32, "existing_config_recorder": True},
    )
    data["rooms"].append(second)
    manifest = parse_manifest(yaml.safe_dump(data), today=TODAY)
    assert (
        room_stack_id(manifest, manifest.rooms[0])
        == f"{SINGLE_ROOM_STACK_ID}-abnormal-process-exec"
    )
    app = build_app(manifest, app=App(context=context), nag=False)
    names = sorted((s.node.id, s.stack_name) for s in app.node.children)  # type: ignore[attr-defined]
    assert names == [
        ("DataRoomStack-abnormal-process-exec", "dataroom-abnormal-process-exec"),
        ("DataRoomStack-lateral-movement", "dataroom-lateral-movement"),
        ("ProductionAccessStack", "dataroom-production-access"),
    ]


def test_no_package_shadows_a_library() -> None:
    for name in ("constructs", "aws_cdk", "cdk_nag"):
        assert not (ROOT / name).exists() and not (ROOT / "tests" / name).exists()
        assert not (ROOT / "dataroom" / f"{name}.py").exists()
    assert shutil.which("node", path=str(ROOT / "node_modules" / ".bin")) or not CDK.exists()
