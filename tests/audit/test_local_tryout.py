"""The README's local try-out: the real cdk CLI deploys both example accounts into moto, then audits.

This runs ``scripts/local_tryout.py`` end to end (moto server, ``cdk bootstrap`` and ``cdk deploy``
per account with credentials from moto's STS, ``dataroom audit``). What the audit then reports
as missing or drifted must be exactly what moto's CloudFormation is known not to create or to
drop (listed below, and in the script's closing message); anything else is a real finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.moto

#: Resource types moto's CloudFormation skips, so the audit finds them missing.
SKIPPED = {
    "AWS::CloudTrail::Trail",
    "AWS::GuardDuty::Detector",
    "AWS::Config::ConfigRule",
    "AWS::Config::ConfigurationRecorder",
    "AWS::Athena::WorkGroup",
    "AWS::SNS::Subscription",
}
#: Checks moto's CloudFormation makes fail by dropping properties or policies.
DROPPED_CHECKS = {
    "bucket policy",
    "versioning",
    "public access block",
    "object ownership (ACLs disabled)",
    "object lock",
    "attached managed policies",
    # moto's CloudFormation drops bucket lifecycle and logging, log groups' KMS keys and
    # security groups' egress rules (it leaves AWS's default allow-all egress).
    "lifecycle (expiry)",
    "access logging",
    "egress rules",
    "topic policy",
}
#: (resource type, check) that moto's CloudFormation makes fail: it drops log groups' keys.
#: It also skips the trail, so the room account has none the baseline's ``trail`` accepts.
DROPPED_TYPED_CHECKS = {
    ("AWS::Logs::LogGroup", "KMS encryption"),
    ("baseline", "baseline trail"),
    # moto's CloudFormation creates the workbench notebook with its type and role only, so
    # with SageMaker's default DirectInternetAccess (Enabled) rather than the template's Disabled.
    ("AWS::SageMaker::NotebookInstance", "no undeclared SageMaker notebook with direct internet"),
}


def _moto_log_group_arn(finding: dict) -> bool:
    """moto's Fn::GetAtt LogGroup.Arn lacks CloudFormation's ':*', so policies naming it differ."""
    return (
        finding.get("check") == "policy document"
        and finding.get("resource_type") == "AWS::IAM::ManagedPolicy"
        and "log" in finding["logical_id"].lower()
    )


@pytest.fixture(scope="module")
def tryout(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    reports = tmp_path_factory.mktemp("tryout")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [
            sys.executable,
            "scripts/local_tryout.py",
            "--out",
            str(reports / "cdk.out.local"),
            "--report-dir",
            str(reports),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "What moto cannot model" in result.stdout
    return {
        path.stem.removeprefix("audit-"): json.loads(path.read_text())
        for path in Path(reports).glob("audit-*.json")
    }


def test_both_accounts_were_deployed_and_audited(tryout) -> None:
    assert set(tryout) == {"111111111111", "222222222222"}
    for account, report in tryout.items():
        stacks = report["stacks"]
        assert stacks and all(s.get("status") != "skipped" for s in stacks), (account, stacks)
        assert report["summary"]["ok"] > 20, report["summary"]


def test_only_what_moto_cannot_model_is_reported(tryout) -> None:
    unexplained = [
        f
        for report in tryout.values()
        for f in report["findings"]
        if f["status"] in ("drift", "missing")
        and f.get("check") not in DROPPED_CHECKS
        and (f.get("resource_type"), f.get("check")) not in DROPPED_TYPED_CHECKS
        and not (f["status"] == "missing" and f.get("resource_type") in SKIPPED)
        and not _moto_log_group_arn(f)
    ]
    assert unexplained == []
