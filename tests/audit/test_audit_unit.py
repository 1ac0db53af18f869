"""``dataroom.audit`` without AWS: intrinsics, policy comparison, assemblies, reports, failures.

The moto tests (``test_audit.py``) show the audit against deployed stacks; these pin the pieces
it is built from, with stub clients where a call must fail in a way moto does not.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from dataroom.audit import (
    AssemblyError,
    AuditError,
    AuditReport,
    DeployedResource,
    Finding,
    Resolver,
    StackOutcome,
    UnresolvableError,
    audit_assembly,
    canonical_policy,
    parse_policy,
    policy_difference,
    read_assembly,
    render_table,
    select_stacks,
)
from dataroom.baseline import Baseline

ACCOUNT, REGION = "123456789012", "eu-west-1"
TEMPLATE: dict[str, Any] = {
    "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/rooms/"}},
        "Key": {"Type": "AWS::KMS::Key"},
        "Logs": {"Type": "AWS::Logs::LogGroup"},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Function": {"Type": "AWS::Lambda::Function"},
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Vpc": {"Type": "AWS::EC2::VPC"},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {"TrailName": "the-trail"}},
        "Detector": {"Type": "AWS::GuardDuty::Detector"},
    },
}
PHYSICAL = {
    "Bucket": "room-bucket-1",
    "Role": "room-role",
    "Key": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "Logs": "room-logs",
    "Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/room-queue",
    "Function": "room-function",
    "Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:room-topic",
    "Vpc": "vpc-0abc",
}


def make_resolver(**hooks: Any) -> Resolver:
    deployed = {
        logical_id: DeployedResource(
            logical_id, physical, TEMPLATE["Resources"][logical_id]["Type"]
        )
        for logical_id, physical in PHYSICAL.items()
    }
    return Resolver(
        account=ACCOUNT,
        region=REGION,
        stack_name="room",
        stack_id="arn:aws:cloudformation:eu-west-1:123456789012:stack/room/1",
        template=TEMPLATE,
        deployed=deployed,
        **hooks,
    )


# --- resolving ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Bucket"}, "room-bucket-1"),
        ({"Ref": "AWS::AccountId"}, ACCOUNT),
        ({"Ref": "AWS::Region"}, REGION),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "Env"}, "dev"),
        ({"Ref": "Trail"}, "the-trail"),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, "arn:aws:s3:::room-bucket-1"),
        ({"Fn::GetAtt": ["Role", "Arn"]}, f"arn:aws:iam::{ACCOUNT}:role/rooms/room-role"),
        (
            {"Fn::GetAtt": ["Key", "Arn"]},
            f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        ({"Fn::GetAtt": ["Logs", "Arn"]}, f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:room-logs:*"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, f"arn:aws:sqs:{REGION}:{ACCOUNT}:room-queue"),
        ({"Fn::GetAtt": "Queue.QueueName"}, "room-queue"),
        (
            {"Fn::GetAtt": ["Function", "Arn"]},
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:room-function",
        ),
        ({"Ref": "Topic"}, f"arn:aws:sns:{REGION}:{ACCOUNT}:room-topic"),
        (
            {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]},
            "arn:aws:s3:::room-bucket-1/*",
        ),
        (
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!literal}"},
            "arn:aws:s3:::room-bucket-1/${literal}",
        ),
        ({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Env"}}]}, "dev-x"),
        ({"Fn::Sub": "${Role.Arn}"}, f"arn:aws:iam::{ACCOUNT}:role/rooms/room-role"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        (["a", {"Ref": "AWS::NoValue"}, "b"], ["a", "b"]),
        ({"Resource": {"Ref": "AWS::NoValue"}, "Effect": "Allow"}, {"Effect": "Allow"}),
    ],
)
def test_resolver_computes_template_values(value: Any, expected: Any) -> None:
    assert make_resolver().resolve(value) == expected


def test_deployed_parameter_values_win_over_defaults() -> None:
    resolver = make_resolver()
    resolver.parameters["Env"] = "prod"
    assert resolver.resolve({"Ref": "Env"}) == "prod"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"Fn::GetAZs": ""}, "Fn::GetAZs"),
        ({"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "Fn::GetAZs"),
        ({"Fn::ImportValue": "shared-key"}, "Fn::ImportValue"),
        ({"Fn::If": ["IsProd", "a", "b"]}, "Fn::If"),
        ({"Ref": "Detector"}, "Detector: CloudFormation lists no such deployed resource"),
        ({"Ref": "Nothing"}, "Nothing is not a resource of the template"),
        ({"Ref": "AWS::NotificationARNs"}, "AWS::NotificationARNs"),
        ({"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}, "Vpc.DefaultSecurityGroup"),
    ],
)
def test_what_cannot_be_resolved_is_named(value: Any, named: str) -> None:
    with pytest.raises(UnresolvableError, match=named.replace(".", r"\.")):
        make_resolver().resolve(value)


def test_hooks_read_what_the_template_cannot_say() -> None:
    resolver = make_resolver(
        locate=lambda logical_id: "detector-0" if logical_id == "Detector" else None,
        lookup=lambda logical_id, kind, physical, attribute: f"sg-of-{physical}",
    )
    assert resolver.resolve({"Ref": "Detector"}) == "detector-0"
    assert resolver.resolve({"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}) == "sg-of-vpc-0abc"


# --- comparing policies -----------------------------------------------------------------------

BASE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Principal": {"AWS": "123456789012"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
        },
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
    ],
}


@pytest.mark.parametrize(
    "same",
    [
        # statements in another order
        {**BASE, "Statement": list(reversed(BASE["Statement"]))},
        # a one-element list for a string, actions in another order and case
        {
            **BASE,
            "Statement": [
                {
                    **BASE["Statement"][0],
                    "Action": ["S3:ListBucket", "s3:getobject"],
                    "Resource": ["arn:aws:s3:::b/*"],
                    "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
                {**BASE["Statement"][1], "Principal": {"AWS": "*"}},
            ],
        },
        # as IAM returns it (URL-encoded) and as moto returns endpoint policies (a repr)
        urllib.parse.quote(json.dumps(BASE)),
        repr(BASE),
    ],
    ids=["order", "shapes", "url-encoded", "python-repr"],
)
def test_policies_that_mean_the_same_are_equal(same: Any) -> None:
    assert policy_difference(BASE, same) is None
    assert canonical_policy(same) == canonical_policy(BASE)


def test_a_policy_difference_says_what_was_added_and_lost() -> None:
    wider = json.loads(json.dumps(BASE))
    wider["Statement"][0]["Principal"] = {"AWS": ["123456789012", "999999999999"]}
    difference = policy_difference(BASE, wider)
    assert difference is not None
    assert difference.startswith("extra statement(s): ")
    assert "arn:aws:iam::999999999999:root" in difference
    assert "lacking statement(s): " in difference


def test_a_repeated_statement_is_a_difference() -> None:
    doubled = {**BASE, "Statement": [*BASE["Statement"], BASE["Statement"][1]]}
    assert policy_difference(BASE, doubled) is not None


def test_what_is_not_a_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="not a policy document"):
        parse_policy("<html>500</html>")
    with pytest.raises(ValueError, match="not a policy document"):
        parse_policy("[1, 2]")


# --- assemblies -------------------------------------------------------------------------------


def write_assembly(directory: Path, artifacts: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return directory


def stack_artifact(environment: str, template: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": environment,
        "properties": {"templateFile": template, **properties},
    }


def test_stacks_are_read_from_nested_stage_assemblies(tmp_path: Path) -> None:
    write_assembly(
        tmp_path / "assembly-Prod",
        {
            "ProdRoom": {
                **stack_artifact("aws://111111111111/us-west-2", "ProdRoom.template.json"),
                "displayName": "Prod/Room",
            }
        },
    )
    assembly = write_assembly(
        tmp_path,
        {
            "Room": stack_artifact("aws://unknown-account/unknown-region", "Room.template.json"),
            "Prod": {
                "type": "cdk:cloud-assembly",
                "properties": {"directoryName": "assembly-Prod"},
            },
            "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
        },
    )
    room, prod = read_assembly(assembly)
    assert (room.stack_name, room.account, room.region) == ("Room", None, None)
    assert (prod.display_name, prod.account, prod.region) == (
        "Prod/Room",
        "111111111111",
        "us-west-2",
    )
    assert prod.template_file == tmp_path / "assembly-Prod" / "ProdRoom.template.json"
    assert select_stacks([room, prod], ["Prod/Room"]) == [prod]
    assert select_stacks([room, prod], []) == [room, prod]
    with pytest.raises(AssemblyError, match="no stack named Nope in the assembly"):
        select_stacks([room, prod], ["Nope"])


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "absent", "no such directory"),
        (lambda p: p, "not a cloud assembly"),
        (lambda p: write_assembly(p, {}), "holds no CloudFormation stack"),
        (
            lambda p: write_assembly(p, {"S": stack_artifact("aws://1/r", "missing.json")}),
            "cannot read the template",
        ),
    ],
    ids=["no directory", "no manifest", "no stack", "no template"],
)
def test_a_broken_assembly_is_a_usage_error(setup: Any, message: str, tmp_path: Path) -> None:
    assembly = setup(tmp_path)
    with pytest.raises(AssemblyError, match=message):
        audit_assembly(assembly, Baseline(), client_factory=lambda *_: StubClient({}))


# --- reports ----------------------------------------------------------------------------------


def finding(status: str, check: str = "check", actual: str = "x") -> Finding:
    return Finding("stack", "NET-1", "Vpc", "vpc-1", "AWS::EC2::VPC", check, "none", actual, status)  # type: ignore[arg-type]


def report(*findings: Finding, skipped: int = 0) -> AuditReport:
    stacks = [StackOutcome("S", "stack", ACCOUNT, REGION, "audited")] if findings else []
    stacks += [
        StackOutcome(f"T{i}", "other", "2", REGION, "skipped", "why") for i in range(skipped)
    ]
    return AuditReport("cdk.out", "baseline.yaml", tuple(stacks), tuple(findings))


@pytest.mark.parametrize(
    ("statuses", "skipped", "code"),
    [
        (["ok", "unverifiable"], 0, 0),
        (["ok", "drift"], 0, 1),
        (["missing"], 0, 1),
        (["ok"], 1, 0),
        ([], 2, 2),
    ],
)
def test_exit_codes(statuses: list[str], skipped: int, code: int) -> None:
    assert report(*(finding(s) for s in statuses), skipped=skipped).exit_code == code


def test_the_table_puts_drift_first_and_spells_it_out() -> None:
    long_actual = "extra statement(s): " + "x" * 200
    text = render_table(
        report(
            finding("ok", "first"), finding("unverifiable"), finding("drift", "policy", long_actual)
        )
    )
    lines = text.splitlines()
    assert lines[0].split() == [
        "stack",
        "control",
        "resource",
        "check",
        "expected",
        "actual",
        "status",
    ]
    assert (
        lines[2].endswith("drift") and lines[3].endswith("unverifiable") and lines[4].endswith("ok")
    )
    assert f"  actual:   {long_actual}" in lines
    assert lines[-1] == "3 checks: 1 ok, 1 drift, 0 missing, 1 unverifiable"


def test_the_json_document() -> None:
    document = report(finding("ok"), finding("drift"), skipped=1).to_dict()
    assert [f["status"] for f in document["findings"]] == ["drift", "ok"]
    assert document["findings"][0]["resource"] == "Vpc (vpc-1)"
    assert document["summary"] == {
        "checks": 2,
        "ok": 1,
        "drift": 1,
        "missing": 0,
        "unverifiable": 0,
        "stacks_audited": 1,
        "stacks_missing": 0,
        "stacks_skipped": 1,
        "stacks_failed": 0,
        "exit_code": 1,
    }
    json.dumps(document)


# --- failures, with stub clients --------------------------------------------------------------


class StubClient:
    """Answers each operation from ``answers``: a value, or an exception to raise."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def can_paginate(self, operation: str) -> bool:
        return False

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> Any:
            answer = self.answers[operation]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def client_error(code: str, status: int, operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def one_bucket(tmp_path: Path, policy: Any) -> Path:
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": policy},
            },
        }
    }
    (tmp_path / "S.template.json").write_text(json.dumps(template))
    return write_assembly(
        tmp_path, {"S": stack_artifact(f"aws://{ACCOUNT}/{REGION}", "S.template.json")}
    )


def stub_factory(s3: dict[str, Any], stacks: Any = None, **services: dict[str, Any]) -> Any:
    """Stub clients: one stack listing ``bucket-1``, and what each service answers."""
    cloudformation = {
        "describe_stacks": stacks
        if stacks is not None
        else {"Stacks": [{"StackStatus": "CREATE_COMPLETE", "StackId": "id"}]},
        "list_stack_resources": {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": "Bucket",
                    "PhysicalResourceId": "bucket-1",
                    "ResourceType": "AWS::S3::Bucket",
                }
            ]
        },
    }
    answers = {"cloudformation": cloudformation, "s3": s3, **services}
    return lambda service, account, region: StubClient(answers[service])


POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
}


def test_an_unresolvable_template_value_makes_its_check_unverifiable(tmp_path: Path) -> None:
    policy = {
        **POLICY,
        "Statement": [{**POLICY["Statement"][0], "Resource": {"Fn::ImportValue": "x"}}],
    }
    factory = stub_factory({"head_bucket": {}, "get_bucket_policy": {"Policy": json.dumps(POLICY)}})
    result = audit_assembly(one_bucket(tmp_path, policy), Baseline(), client_factory=factory)
    (row,) = [f for f in result.findings if f.check == "bucket policy"]
    assert row.status == "unverifiable"
    assert "Fn::ImportValue" in row.actual
    assert result.exit_code == 0


def test_a_call_the_endpoint_cannot_answer_is_unverifiable(tmp_path: Path) -> None:
    factory = stub_factory(
        {
            "head_bucket": {},
            "get_bucket_policy": client_error("NotImplemented", 501, "GetBucketPolicy"),
        }
    )
    result = audit_assembly(one_bucket(tmp_path, POLICY), Baseline(), client_factory=factory)
    (row,) = [f for f in result.findings if f.check == "bucket policy"]
    assert (row.status, row.actual) == (
        "unverifiable",
        "the endpoint cannot answer GetBucketPolicy (NotImplemented)",
    )


def test_a_resource_that_cannot_be_read_is_not_ok(tmp_path: Path) -> None:
    factory = stub_factory({"head_bucket": client_error("AccessDenied", 403, "HeadBucket")})
    result = audit_assembly(one_bucket(tmp_path, POLICY), Baseline(), client_factory=factory)
    (row,) = [f for f in result.findings if f.logical_id == "Bucket"]
    assert (row.check, row.status) == ("exists", "unverifiable")
    assert "AccessDenied" in row.actual


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (NoCredentialsError(), "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID"),
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            "cannot reach the AWS endpoint",
        ),
        (client_error("ExpiredToken", 403, "DescribeStacks"), "the AWS credentials were refused"),
        (client_error("AccessDenied", 403, "DescribeStacks"), "cannot read stack S in"),
    ],
    ids=["no credentials", "no endpoint", "expired", "denied"],
)
def test_what_stops_every_check_is_a_usage_error(
    error: Exception, message: str, tmp_path: Path
) -> None:
    factory = stub_factory({}, stacks=error)
    with pytest.raises(AuditError, match=message):
        audit_assembly(one_bucket(tmp_path, POLICY), Baseline(), client_factory=factory)


def test_baseline_rules_no_template_rule_stands_for_must_run(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Rule": {
                "Type": "AWS::Config::ConfigRule",
                "Properties": {
                    "ConfigRuleName": "room-a",
                    "Source": {"Owner": "AWS", "SourceIdentifier": "A"},
                },
            }
        }
    }
    (tmp_path / "S.template.json").write_text(json.dumps(template))
    assembly = write_assembly(
        tmp_path, {"S": stack_artifact(f"aws://{ACCOUNT}/{REGION}", "S.template.json")}
    )
    rules = [
        {"ConfigRuleName": "room-a", "Source": {"Owner": "AWS", "SourceIdentifier": "A"}},
        {"ConfigRuleName": "production-b", "Source": {"Owner": "AWS", "SourceIdentifier": "B"}},
    ]
    factory = stub_factory({}, config={"describe_config_rules": {"ConfigRules": rules}})
    baseline = Baseline(config_rules=("A", "B", "C"))
    result = audit_assembly(assembly, baseline, client_factory=factory)
    rows = {f.check: (f.physical_id, f.status) for f in result.findings}
    assert rows["rule present"] == ("room-a", "ok")
    assert rows["rule B"] == ("", "ok")
    assert rows["rule C"] == ("", "missing")
    assert "rule A" not in rows, "the template's rule stands for the baseline's A"
    assert result.exit_code == 1
