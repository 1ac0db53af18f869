"""The CI files users copy are checked: the workflow against GitHub's schema and our order."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"
PRE_COMMIT = ROOT / "examples" / "ci" / "pre-commit-config.yaml"


def _schema() -> dict[str, Any]:
    # SchemaStore's GitHub workflow schema, vendored by check-jsonschema (a dev dependency).
    path = (
        resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "github-workflows.json"
    )
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
    if True in data:
        data["on"] = data.pop(True)
    return data


def _errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_workflow_matches_githubs_schema() -> None:
    assert _errors(_workflow()) == []


def test_the_schema_check_catches_a_broken_workflow() -> None:
    broken = _workflow()
    del broken["jobs"]["review"]["runs-on"]
    broken["jobs"]["deploy-rooms"]["strategy"]["max-parallel"] = "many"
    assert len(_errors(broken)) >= 1


def _steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_the_pipeline_deploys_the_reviewed_assembly_rooms_first() -> None:
    jobs = _workflow()["jobs"]
    review = _steps_text(jobs["review"])
    assert (
        review.index("dataroom validate") < review.index("make synth") < review.index("deploy-plan")
    )
    assert "--evidence review/evidence.json" in review
    assert "gh pr comment" in review
    rooms, production = jobs["deploy-rooms"], jobs["deploy-production"]
    assert rooms["needs"] == "review"
    assert "deploy-rooms" in production["needs"]
    for job in (rooms, production):
        text = _steps_text(job)
        assert "aws-actions/configure-aws-credentials@" in text
        assert job["permissions"]["id-token"] == "write"
        assert "cdk deploy --app cdk.out --exclusively" in text
        assert "synth" not in text, "deploy jobs must not re-synthesize"
        assert "reviewed-assembly" in json.dumps(job["steps"])
    assert "waves[0]" in json.dumps(rooms["strategy"]) and "waves[1]" in json.dumps(
        production["strategy"]
    )


def test_pre_commit_config_runs_dataroom_validate_on_a_manifest() -> None:
    config = yaml.safe_load(PRE_COMMIT.read_text())
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    assert set(hook) >= {"id", "name", "entry", "language"}
    assert hook["entry"] == "dataroom validate" and hook["language"] == "system"
    assert hook["pass_filenames"] is False
    assert all((ROOT / path).is_file() for path in hook["args"])
    import re

    assert re.search(hook["files"], "examples/rooms.yaml")


def test_ci_runs_the_gate() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert script.index("make test") < script.index("make synth")


@pytest.mark.parametrize("path", [WORKFLOW, PRE_COMMIT])
def test_examples_are_plain_yaml(path) -> None:
    assert isinstance(yaml.safe_load(path.read_text()), dict)
