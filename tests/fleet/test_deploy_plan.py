"""`dataroom deploy-plan`: waves by account from the reviewed assembly, digests checked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dataroom.cli import main
from dataroom.deploy_plan import PlanError, plan, render


def _assembly(tmp_path: Path, stacks: dict[str, tuple[str, list[str]]]) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir()
    artifacts = {}
    for artifact_id, (account, deps) in stacks.items():
        (out / f"{artifact_id}.template.json").write_text(json.dumps({"Resources": {}}))
        artifacts[artifact_id] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://{account}/us-east-1",
            "properties": {
                "templateFile": f"{artifact_id}.template.json",
                "stackName": f"dataroom-{artifact_id.lower()}",
            },
            "dependencies": [*deps, f"{artifact_id}.assets"],
        }
    (out / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    return out


FLEET = {
    "DataRoomStack-a": ("222222222222", []),
    "DataRoomStack-b": ("222222222222", []),
    "DataRoomStack-c": ("333333333333", []),
    "ProductionAccessStack": (
        "111111111111",
        ["DataRoomStack-a", "DataRoomStack-b", "DataRoomStack-c"],
    ),
}


def test_room_accounts_come_first_grouped_by_account(tmp_path: Path) -> None:
    result = plan(_assembly(tmp_path, FLEET), concurrency=2, max_accounts=3)
    data = result.to_dict()
    assert [[a["account"] for a in w["accounts"]] for w in data["waves"]] == [
        ["222222222222", "333333333333"],
        ["111111111111"],
    ]
    first = data["waves"][0]["accounts"][0]
    assert first["stacks"] == ["DataRoomStack-a", "DataRoomStack-b"]
    assert first["command"][:4] == ["cdk", "deploy", "--app", str(tmp_path / "cdk.out")]
    assert "--exclusively" in first["command"]
    assert first["command"][first["command"].index("--concurrency") + 1] == "2"
    text = render(result)
    assert "wave 1:" in text and "wave 2:" in text
    assert text.index("account 222222222222") < text.index("account 111111111111")


def test_a_cycle_is_refused(tmp_path: Path) -> None:
    stacks = {"A": ("222222222222", ["B"]), "B": ("222222222222", ["A"])}
    with pytest.raises(PlanError, match="dependency cycle among A, B"):
        plan(_assembly(tmp_path, stacks))


def test_an_assembly_changed_after_review_is_refused(tmp_path: Path) -> None:
    out = _assembly(tmp_path, FLEET)
    templates = [
        {
            "artifact_id": a,
            "sha256": hashlib.sha256((out / f"{a}.template.json").read_bytes()).hexdigest(),
        }
        for a in FLEET
    ]
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps({"templates": templates}))
    assert plan(out, evidence=evidence).evidence == evidence
    (out / "ProductionAccessStack.template.json").write_text('{"Resources": {"X": {}}}')
    with pytest.raises(PlanError, match=r"ProductionAccessStack: template sha256 .* differs"):
        plan(out, evidence=evidence)


def test_cli_plans_the_example_assembly_rooms_first(
    example_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy-plan", "--assembly", str(example_assembly), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [[a["stacks"] for a in w["accounts"]] for w in data["waves"]] == [
        [["DataRoomStack"]],
        [["ProductionAccessStack"]],
    ]
    assert main(["deploy-plan", "--assembly", str(example_assembly / "nothing")]) == 2
    assert "holds no cloud assembly" in capsys.readouterr().err
