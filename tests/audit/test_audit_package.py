"""The audit package's wiring, without AWS: the checker catalogue, the expectations table,
the fleet runner (concurrency, progress, assumed roles) and the shared assembly reader."""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest

import dataroom.audit.checkers as checkers_package
from dataroom.audit import audit_assembly
from dataroom.audit.checkers.catalog import BY_TYPE, CHECKERS
from dataroom.audit.discovery import KINDS, foreign_principals
from dataroom.audit.expectations import CONTROLS, EXPECTATIONS, expectation
from dataroom.audit.report import progress_printer
from dataroom.audit.runner import assume_role_factory
from dataroom.baseline import Baseline
from dataroom.cloud_assembly import CloudAssemblyError, stack_artifacts
from tests.audit.test_audit_unit import (
    ACCOUNT,
    POLICY,
    REGION,
    StubClient,
    stack_artifact,
    write_assembly,
)


def test_every_checker_module_is_in_the_catalogue() -> None:
    listed = {c.check.__module__ for c in CHECKERS}
    modules = {
        f"{checkers_package.__name__}.{m.name}"
        for m in pkgutil.iter_modules(checkers_package.__path__)
        if m.name != "catalog"
    }
    assert modules == listed
    assert len(BY_TYPE) == len(CHECKERS), "one checker per resource type"


def test_every_control_the_audit_reports_is_in_the_table() -> None:
    for checker in CHECKERS:
        assert checker.control in CONTROLS, checker
        # Each type's own control has a row saying what it compares.
        assert any(e.resource_type == checker.resource_type for e in EXPECTATIONS), checker
    for kind in KINDS:
        assert expectation(kind.control, "account").properties, kind
    with pytest.raises(KeyError, match="no expectation for NET-9"):
        expectation("NET-9", "AWS::EC2::VPC")


@pytest.mark.parametrize(
    ("principal", "foreign"),
    [
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, []),
        ({"AWS": ACCOUNT}, []),
        ({"AWS": "999999999999"}, ["999999999999"]),
        ({"AWS": ["arn:aws:iam::999999999999:role/x", f"arn:aws:iam::{ACCOUNT}:role/y"]},
         ["arn:aws:iam::999999999999:role/x"]),
        ("*", ["*"]),
        ({"AWS": "*"}, ["*"]),
        ({"Service": "lambda.amazonaws.com"}, []),
    ],
)  # fmt: skip
def test_foreign_principals_in_every_spelling(principal: Any, foreign: list[str]) -> None:
    trust = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}
    assert foreign_principals(trust, ACCOUNT) == foreign
    # A trusted account (--trusted-account) is not foreign; anyone still is.
    trusted = foreign_principals(trust, ACCOUNT, ["999999999999"])
    assert trusted == [p for p in foreign if "999999999999" not in p]


def two_stacks(tmp_path: Path) -> Path:
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": POLICY},
            },
        }
    }
    (tmp_path / "S.template.json").write_text(json.dumps(template))
    return write_assembly(
        tmp_path,
        {
            "A": stack_artifact(f"aws://{ACCOUNT}/{REGION}", "S.template.json", stackName="a"),
            "B": stack_artifact(f"aws://222222222222/{REGION}", "S.template.json", stackName="b"),
        },
    )


def factory(calls: list[tuple[str, str]]) -> Any:
    def make(service: str, account: str, region: str) -> Any:
        calls.append((service, account))
        answers = {
            "cloudformation": {
                "describe_stacks": {"Stacks": [{"StackStatus": "CREATE_COMPLETE", "StackId": "i"}]},
                "list_stack_resources": {
                    "StackResourceSummaries": [
                        {
                            "LogicalResourceId": "Bucket",
                            "PhysicalResourceId": f"bucket-{account}",
                            "ResourceType": "AWS::S3::Bucket",
                        }
                    ]
                },
            },
            "s3": {"head_bucket": {}, "get_bucket_policy": {"Policy": json.dumps(POLICY)}},
        }
        return StubClient(answers[service])

    return make


def test_a_fleet_in_parallel_reports_as_it_would_one_by_one(tmp_path: Path) -> None:
    assembly = two_stacks(tmp_path)
    one_by_one = audit_assembly(assembly, Baseline(), client_factory=factory([]), discover=False)
    progress: list[tuple[int, int, str]] = []
    calls: list[tuple[str, str]] = []
    parallel = audit_assembly(
        assembly, Baseline(), client_factory=factory(calls), concurrency=4, discover=False,
        progress=lambda done, total, what: progress.append((done, total, what)),
    )  # fmt: skip
    assert [f.line() for f in parallel.findings] == [f.line() for f in one_by_one.findings]
    assert {f.account for f in parallel.findings} == {ACCOUNT, "222222222222"}
    assert sorted(p[0] for p in progress) == [1, 2] and {p[1] for p in progress} == {2}
    assert {what for _, _, what in progress} == {
        f"a ({ACCOUNT}/{REGION})",
        f"b (222222222222/{REGION})",
    }
    assert {account for _, account in calls} == {ACCOUNT, "222222222222"}


def test_progress_on_a_terminal_rewrites_one_line() -> None:
    stream = io.StringIO()
    show = progress_printer(stream)
    show(1, 2, "a")
    show(2, 2, "b")
    assert stream.getvalue() == "\r\033[K[1/2] a\r\033[K[2/2] b\n"


def test_the_assumed_role_is_named_per_account_and_partition() -> None:
    assumed: list[str] = []

    class Sts:
        def assume_role(self, RoleArn: str, **_: Any) -> dict[str, Any]:  # noqa: N803
            assumed.append(RoleArn)
            return {
                "Credentials": {"AccessKeyId": "a", "SecretAccessKey": "s", "SessionToken": "t"}
            }

    make = assume_role_factory("dataroom-audit", base=lambda *_: Sts())
    make("s3", ACCOUNT, "us-east-1")
    make("ec2", ACCOUNT, "us-east-1")  # the same session: assumed once per account
    make("s3", "222222222222", "cn-north-1")
    assert assumed == [
        f"arn:aws:iam::{ACCOUNT}:role/dataroom-audit",
        "arn:aws-cn:iam::222222222222:role/dataroom-audit",
    ]


def test_concurrency_below_one_is_a_usage_error(tmp_path: Path) -> None:
    from dataroom.audit import AuditError

    with pytest.raises(AuditError, match="concurrency must be 1 or more"):
        audit_assembly(two_stacks(tmp_path), Baseline(), client_factory=factory([]), concurrency=0)


def test_one_assembly_reader_for_audit_review_and_summary(tmp_path: Path) -> None:
    """The three commands read the same stacks from the same reader."""
    from dataroom.review.assembly import read_assembly as review_read
    from dataroom.summary import read_stacks

    assembly = two_stacks(tmp_path)
    shared = [(s.artifact_id, s.stack_name, s.account) for s in stack_artifacts(assembly)]
    assert shared == [("A", "a", ACCOUNT), ("B", "b", "222222222222")]
    assert [
        (s.artifact_id, s.stack_name, s.account) for s in review_read(assembly).stacks
    ] == shared
    assert [s.stack_name for s in read_stacks(assembly)] == ["a", "b"]
    for module in ("dataroom.audit.assembly", "dataroom.review.assembly", "dataroom.summary"):
        source = Path(importlib.import_module(module).__file__ or "").read_text()
        assert "dataroom.cloud_assembly" in source and '"artifacts"' not in source, module
    with pytest.raises(CloudAssemblyError, match="no such directory"):
        stack_artifacts(tmp_path / "absent")


def test_an_account_of_the_fleet_that_cannot_be_entered_fails_alone(tmp_path: Path) -> None:
    from botocore.exceptions import ClientError

    good = factory([])

    def make(service: str, account: str, region: str) -> Any:
        if account == "222222222222":
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}
            raise ClientError(error, "AssumeRole")  # type: ignore[arg-type]
        return good(service, account, region)

    report = audit_assembly(
        two_stacks(tmp_path), Baseline(), client_factory=make, role_name="dataroom-audit",
        discover=False,
    )  # fmt: skip
    assert [(s.stack_name, s.status) for s in report.stacks] == [("a", "audited"), ("b", "failed")]
    assert report.stacks[1].reason == (
        f"cannot read stack b in 222222222222/{REGION}: not permitted to call AssumeRole "
        "(AccessDenied): not authorized"
    )
    assert report.count("ok") > 0 and report.exit_code == 2


def test_the_fleet_summary_has_one_line_per_account(tmp_path: Path) -> None:
    from dataroom.audit.report import render_fleet_summary

    report = audit_assembly(
        two_stacks(tmp_path), Baseline(), client_factory=factory([]), discover=False
    )
    lines = render_fleet_summary(report).splitlines()
    assert lines[0] == "fleet:"
    assert lines[1].startswith(f"  {ACCOUNT}: a audited; 0 missing, 0 drift, 0 unverifiable, ")
    assert lines[2].startswith("  222222222222: b audited; 0 missing, 0 drift, 0 unverifiable, ")


@pytest.mark.parametrize("value", ["0", "-2", "four"])
def test_the_command_refuses_a_concurrency_below_one(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataroom.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--concurrency", value])
    assert exit_info.value.code == 2
    assert f"{value!r} is not a whole number of 1 or more" in capsys.readouterr().err
