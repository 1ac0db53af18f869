"""``dataroom export``: the commands people run, against the airlock in moto, with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataroom.cli import main
from tests.airlock.conftest import NAMES, REGION, Airlock

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"


def _export(airlock: Airlock, *args: str) -> int:
    common = ["--room", "room", "--table", NAMES["Table"], "--region", REGION]
    return main(["export", *args[:1], *common, *args[1:]])


def test_a_request_from_the_command_line_goes_through(
    airlock: Airlock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    machine = airlock.machine(poll_seconds=1, ttl_seconds=600)
    version = airlock.put_result("cli/report.pdf", b"%PDF-1.7 report")
    code = _export(
        airlock,
        "request",
        "--object",
        f"cli/report.pdf@{version}",
        "--reason",
        "quarterly report for the detection team",
        "--as",
        ALICE,
        "--state-machine-arn",
        machine,
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    request_id = out.strip()
    execution = f"{machine.replace(':stateMachine:', ':execution:')}:{request_id}"
    airlock.wait_for(request_id, "Scanning", execution)
    airlock.scan(request_id)

    assert _export(airlock, "approve", request_id, "--as", ALICE) == 1
    assert "the requester's decision never counts" in capsys.readouterr().err
    assert _export(airlock, "approve", request_id, "--as", BOB, "--comment", "no PII") == 0
    assert _export(airlock, "approve", request_id, "--as", BOB) == 1
    assert "already exists" in capsys.readouterr().err
    assert _export(airlock, "approve", request_id, "--as", CAROL) == 0
    airlock.finish(execution)

    capsys.readouterr()
    assert _export(airlock, "status", request_id, "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "Released"
    assert status["requester"] == ALICE
    assert sorted(status["released"]["approvers"]) == [BOB, CAROL]
    assert [d["identity"] for d in status["decisions"]] == sorted([BOB, CAROL])

    assert _export(airlock, "list") == 0
    assert request_id in capsys.readouterr().out

    out_file = tmp_path / "exports.json"
    assert _export(airlock, "evidence", "--out", str(out_file)) == 0
    exports = json.loads(out_file.read_text())["exports"]
    (record,) = [e for e in exports if e["request_id"] == request_id]
    assert record["requester"] == ALICE and record["approvers"] == [BOB, CAROL]
    assert record["objects"][0]["version_id"] == version
    assert record["objects"][0]["sha256"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["request", "--object", "a.csv", "--reason", "a good reason", "--as", ALICE], 2, "KEY@"),
        (["request", "--object", "../a@v1", "--reason", "a good reason", "--as", ALICE], 2, "'..'"),
        (["request", "--object", "a@v1", "--reason", "short", "--as", ALICE], 2, "10 characters"),
        (["request", "--object", "a@v1", "--reason", "a good reason"], 2, "--as"),
        (["request", "--object", "a@v1", "--reason", "a good reason", "--as", "a#b"], 2, "--as"),
        (["approve", "not-an-id", "--as", BOB], 2, "request id"),
        (["reject", "20261201T120000Z-00000000", "--as", BOB], 1, "no request"),
        (["status", "20261201T120000Z-00000000"], 1, "no request"),
    ],
)
def test_bad_input_gets_a_clear_error(
    airlock: Airlock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.delenv("DATAROOM_SOURCE_IDENTITY", raising=False)
    assert _export(airlock, *args) == code
    assert message in capsys.readouterr().err


def test_a_missing_table_is_a_usage_error(airlock: Airlock, capsys) -> None:
    assert main(["export", "list", "--room", "no-such-room", "--region", REGION]) == 2
    assert "is the room's airlock deployed?" in capsys.readouterr().err
