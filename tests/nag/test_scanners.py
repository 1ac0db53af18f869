"""scripts/scan.sh's judge: checkov and cfn-lint findings against the committed exceptions.

The tools themselves run in CI (``make scan``); here their JSON report shapes are judged as small
fragments: a listed finding passes, a new unlisted one fails, a stale exception is reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dataroom.policies import scanners
from dataroom.policies.scanners import (
    ScannerError,
    cfn_lint_findings,
    checkov_findings,
    judge,
    load_exceptions,
    resource_name,
)


def _checkov(*failed: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "check_type": "cloudformation",
        "results": {
            "failed_checks": [
                {
                    "check_id": check,
                    "check_name": "a check",
                    "file_path": f"/{stack}.template.json",
                    "resource": f"AWS::Lambda::Function.{logical_id}",
                }
                for check, stack, logical_id in failed
            ]
        },
        "summary": {"failed": len(failed)},
    }


def _cfn_lint(rule: str, stack: str, logical_id: str) -> list[dict[str, Any]]:
    return [
        {
            "Rule": {"Id": rule},
            "Level": "Warning",
            "Filename": f"cdk.out/{stack}.template.json",
            "Location": {"Path": ["Resources", logical_id, "DependsOn", 0]},
            "Message": "dependency already enforced",
        }
    ]


def test_hash_suffix_is_dropped_only_when_it_is_one() -> None:
    assert resource_name("Remediation9708FCA6") == "Remediation"
    assert resource_name("PermissionBoundary9D85CA78") == "PermissionBoundary"
    assert resource_name("Remediation") == "Remediation"


def test_committed_exceptions_load_and_each_has_a_reason() -> None:
    exceptions = load_exceptions()
    assert exceptions
    assert all(len(e.reason.split()) >= 8 for e in exceptions)


def test_listed_finding_passes_and_unlisted_fails() -> None:
    exceptions = load_exceptions()
    listed = checkov_findings(_checkov(("CKV_AWS_117", "DataRoomStack", "Remediation9708FCA6")))
    listed += cfn_lint_findings(_cfn_lint("W3005", "DataRoomStack", "Remediation9708FCA6"))
    unlisted, _ = judge(listed, exceptions)
    assert unlisted == []
    new = checkov_findings(_checkov(("CKV_AWS_117", "DataRoomStack", "Workbench0A1B2C3D")))
    unlisted, _ = judge(listed + new, exceptions)
    assert [str(f) for f in unlisted] == ["checkov CKV_AWS_117 DataRoomStack/Workbench: a check"]
    # The same check on a listed resource of a stack the exception does not name fails too.
    elsewhere = checkov_findings(_checkov(("CKV_AWS_117", "ProductionAccessStack", "Remediation")))
    assert judge(elsewhere, exceptions)[0] == elsewhere


def test_stale_exception_is_reported() -> None:
    _, stale = judge([], load_exceptions())
    assert {e.check for e in stale} >= {"CKV_AWS_117", "W3005"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"tool": "checkov", "check": "X", "stacks": ["S"], "resources": ["R"]}, "missing reason"),
        (
            {
                "tool": "tfsec",
                "check": "X",
                "stacks": ["S"],
                "resources": ["R"],
                "reason": "r " * 9,
            },
            "expected one of",
        ),
        (
            {
                "tool": "checkov",
                "check": "X",
                "stacks": ["S"],
                "resources": ["*"],
                "reason": "r " * 9,
            },
            "never all of them",
        ),
        (
            {"tool": "checkov", "check": "X", "stacks": ["S"], "resources": ["R"], "reason": "ok"},
            "say why",
        ),
    ],
)
def test_bad_exception_is_refused(entry: dict[str, Any], message: str, tmp_path: Path) -> None:
    path = tmp_path / "exceptions.yaml"
    path.write_text(json.dumps({"exceptions": [entry]}))
    with pytest.raises(ScannerError, match=message):
        load_exceptions(path)


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkov = tmp_path / "checkov.json"
    cfn_lint = tmp_path / "cfn-lint.json"
    cfn_lint.write_text("[]")
    checkov.write_text(json.dumps(_checkov(("CKV_AWS_117", "DataRoomStack", "Remediation"))))
    assert scanners.main([str(checkov), str(cfn_lint)]) == 0
    checkov.write_text(json.dumps(_checkov(("CKV_AWS_1", "DataRoomStack", "Key1A2B3C4D"))))
    assert scanners.main([str(checkov), str(cfn_lint)]) == 1
    assert "NOT LISTED: checkov CKV_AWS_1 DataRoomStack/Key" in capsys.readouterr().err
    checkov.write_text('{"oops": 1}')
    assert scanners.main([str(checkov), str(cfn_lint)]) == 2
