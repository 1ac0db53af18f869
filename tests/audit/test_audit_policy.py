"""The audit's permissions (``dataroom/audit/policy.json``) judged by iam-simulate (tests/iam).

Every read the audit makes is allowed; the nearest write of each service is denied (every deny
has its twin). ``policy-probe.json`` admits only the probe's own rule, queue and event source.
``test_audit_classes.py`` checks that every operation the audit really calls on moto is one of
the policy's actions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.iam.evaluator import assert_no_errors, decisions, evaluate

POLICY_DIR = Path(__file__).resolve().parents[2] / "dataroom" / "audit"
READ = json.loads((POLICY_DIR / "policy.json").read_text())
PROBE = json.loads((POLICY_DIR / "policy-probe.json").read_text())
ACCOUNT, REGION = "333333333333", "us-east-1"
AUDITOR = f"arn:aws:iam::{ACCOUNT}:role/dataroom-audit"
BUCKET = "arn:aws:s3:::room-results"

#: (allowed read, its denied write twin, resource).
TWINS = [
    (
        "cloudtrail:GetTrailStatus",
        "cloudtrail:StopLogging",
        f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/t",
    ),
    ("s3:GetBucketPolicy", "s3:PutBucketPolicy", BUCKET),
    ("s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", BUCKET),
    ("s3:GetBucketLogging", "s3:PutBucketLogging", BUCKET),
    ("iam:GetRole", "iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/r"),
    ("iam:ListAccessKeys", "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/u"),
    ("events:DescribeRule", "events:DisableRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r"),
    (
        "guardduty:GetFilter",
        "guardduty:UpdateFilter",
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/d/filter/f",
    ),
    ("kms:ListGrants", "kms:CreateGrant", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"),
    ("kms:DescribeKey", "kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"),
    ("config:DescribeConfigurationRecorderStatus", "config:StopConfigurationRecorder", "*"),
    (
        "ec2:DescribeRouteTables",
        "ec2:CreateRoute",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/rtb-1",
    ),
    (
        "ec2:DescribeSecurityGroups",
        "ec2:AuthorizeSecurityGroupIngress",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1",
    ),
    (
        "lambda:GetFunctionConcurrency",
        "lambda:PutFunctionConcurrency",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f",
    ),
    ("sns:ListSubscriptionsByTopic", "sns:Unsubscribe", f"arn:aws:sns:{REGION}:{ACCOUNT}:t"),
    (
        "athena:GetWorkGroup",
        "athena:UpdateWorkGroup",
        f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/w",
    ),
    ("route53resolver:ListFirewallRules", "route53resolver:UpdateFirewallRule", "*"),
    (
        "logs:DescribeLogGroups",
        "logs:PutRetentionPolicy",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g",
    ),
    (
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/n",
    ),
]


def request(id_: str, action: str, resource: str, policy: Any, **context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": id_,
        "principal": AUDITOR,
        "action": action,
        "resource": resource,
        "identityPolicies": [policy],
    }
    if resource.startswith("arn:aws:s3:::") or resource == "*":
        out["resourceAccount"] = ACCOUNT
    if ":kms:" in resource:
        # KMS asks the key policy too: the default one, which lets IAM policies decide.
        out["resourcePolicy"] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    if context:
        out["context"] = context
    return out


def WILDCARD_ONLY(action: str) -> bool:  # noqa: N802 - reads like the constant it replaces
    """Describe/list operations IAM authorizes only on ``*``."""
    return action in {
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "logs:DescribeLogGroups",
    }


def read_actions() -> list[str]:
    return sorted({a for s in READ["Statement"] for a in s["Action"]})


def test_the_read_policy_only_reads() -> None:
    for statement in READ["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            verb = action.split(":", 1)[1]
            assert verb.startswith(("Describe", "Get", "List")), action
            assert "*" not in action, "no wildcard actions: each read is named"


def test_every_read_is_allowed_and_its_write_twin_denied() -> None:
    requests = [
        request(f"allow {read}", read, "*" if WILDCARD_ONLY(read) else resource, READ)
        for read, _, resource in TWINS
    ] + [request(f"deny {write}", write, resource, READ) for _, write, resource in TWINS]
    requests += [request(f"action {a}", a, "*", READ) for a in read_actions()]
    results = evaluate(requests)
    assert_no_errors(results)
    got = decisions(results)
    for read, write, _ in TWINS:
        assert got[f"allow {read}"] == "Allowed", read
        assert got[f"deny {write}"] == "ImplicitlyDenied", write
    assert all(got[f"action {a}"] == "Allowed" for a in read_actions())


def test_the_data_itself_is_not_readable() -> None:
    (result,) = evaluate([request("object", "s3:GetObject", f"{BUCKET}/results/x.csv", READ)])
    assert_no_errors([result])
    assert result["result"] == "ImplicitlyDenied"


@pytest.mark.parametrize(
    ("action", "resource", "context", "decision"),
    [
        (
            "events:PutRule",
            f"arn:aws:events:{REGION}:{ACCOUNT}:rule/dataroom-audit-probe-1",
            {},
            "Allowed",
        ),
        (
            "events:PutRule",
            f"arn:aws:events:{REGION}:{ACCOUNT}:rule/AlertsTampering",
            {},
            "ImplicitlyDenied",
        ),
        (
            "events:PutEvents",
            f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
            {"events:source": ["dataroom.audit.probe"]},
            "Allowed",
        ),
        (
            "events:PutEvents",
            f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
            {"events:source": ["aws.guardduty"]},
            "ImplicitlyDenied",
        ),
        (
            "sqs:DeleteQueue",
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:dataroom-audit-probe-1",
            {},
            "Allowed",
        ),
        (
            "sqs:DeleteQueue",
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:RemediationDeadLetters",
            {},
            "ImplicitlyDenied",
        ),
        (
            "sns:Subscribe",
            f"arn:aws:sns:{REGION}:{ACCOUNT}:dataroom-room-AlertsE664-X",
            {},
            "Allowed",
        ),
        (
            "sns:DeleteTopic",
            f"arn:aws:sns:{REGION}:{ACCOUNT}:dataroom-room-AlertsE664-X",
            {},
            "ImplicitlyDenied",
        ),
    ],
)
def test_the_probe_policy_admits_only_the_probe(
    action: str, resource: str, context: dict[str, Any], decision: str
) -> None:
    (result,) = evaluate([request("probe", action, resource, PROBE, **context)])
    assert_no_errors([result])
    assert result["result"] == decision
