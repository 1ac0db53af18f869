"""The try-out's closing report tells what moto cannot model from real drift (no moto needed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from tests.conftest import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "local_tryout", ROOT / "scripts" / "local_tryout.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assembly(path: Path, expires: str) -> Path:
    path.mkdir()
    trust = {"Statement": [{"Condition": {"DateLessThan": {"aws:CurrentTime": expires}}}]}
    template = {
        "Resources": {
            "ReadRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": trust},
            }
        }
    }
    (path / "P.template.json").write_text(json.dumps(template))
    manifest = {
        "artifacts": {
            "P": {
                "type": "aws:cloudformation:stack",
                "properties": {
                    "templateFile": "P.template.json",
                    "stackName": "dataroom-production-access",
                },
            }
        }
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


TRUST = {
    "stack": "dataroom-production-access",
    "logical_id": "ReadRole",
    "resource_type": "AWS::IAM::Role",
    "check": "trust policy",
    "status": "drift",
}


def test_a_trust_moto_did_not_update_is_not_drift(tmp_path: Path) -> None:
    tryout = _script()
    v1 = _assembly(tmp_path / "v1", "2027-06-01T00:00:00Z")
    v2 = _assembly(tmp_path / "v2", "2027-07-01T00:00:00Z")
    assert tryout.moto_kept_the_old_trust(TRUST, v1, v2)


def test_a_trust_that_differs_without_a_change_is_real_drift(tmp_path: Path) -> None:
    tryout = _script()
    v1 = _assembly(tmp_path / "v1", "2027-06-01T00:00:00Z")
    v2 = _assembly(tmp_path / "v2", "2027-06-01T00:00:00Z")
    assert not tryout.moto_kept_the_old_trust(TRUST, v1, v2)
    assert not tryout.moto_kept_the_old_trust(TRUST, None, v2)
    assert not tryout.moto_cannot_model(TRUST)


def test_known_moto_gaps_are_recognized() -> None:
    tryout = _script()
    assert tryout.moto_cannot_model({"check": "versioning", "status": "drift"})
    assert tryout.moto_cannot_model(
        {"status": "missing", "resource_type": "AWS::CloudTrail::Trail"}
    )
    assert not tryout.moto_cannot_model({"status": "missing", "resource_type": "AWS::S3::Bucket"})
