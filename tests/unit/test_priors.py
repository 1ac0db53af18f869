"""CHG-4: priors are declared in the manifest, live only in encrypted secrets, never in plain."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from aws_cdk import App
from aws_cdk.assertions import Template

from dataroom.application import build_app, priors_in_context
from dataroom.manifest import ManifestError, parse_manifest
from tests.conftest import EXAMPLE, ROOT, TODAY

PRIOR = {"name": "deploy-rate", "description": "Expected deploys per host per day, by fleet"}


def _manifest(priors: list[dict[str, str]]) -> str:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["rooms"][0]["priors"] = priors
    return yaml.safe_dump(data)


def test_a_prior_value_in_the_manifest_is_refused_with_the_reason() -> None:
    with pytest.raises(ManifestError) as error:
        parse_manifest(_manifest([{**PRIOR, "value": "0.3"}]), today=TODAY)
    (message,) = error.value.messages
    assert "rooms[0].priors[0].value" in message
    assert "never goes in the manifest (CHG-4)" in message


def test_a_prior_declared_twice_is_refused() -> None:
    with pytest.raises(ManifestError, match=r"priors\[1\]\.name: 'deploy-rate' is listed twice"):
        parse_manifest(_manifest([PRIOR, PRIOR]), today=TODAY)


@pytest.fixture(scope="module")
def with_prior(context) -> dict:
    manifest = parse_manifest(_manifest([PRIOR]), today=TODAY)
    app = build_app(manifest, app=App(context=context), nag=False)
    stack = app.node.find_child("DataRoomStack")
    return {"stack": stack, "template": Template.from_stack(stack).to_json()}


def test_each_prior_is_a_room_key_encrypted_secret_the_scientist_may_read(with_prior) -> None:
    stack, template = with_prior["stack"], with_prior["template"]
    secrets = {
        k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::SecretsManager::Secret"
    }
    (secret_id,) = secrets
    props = secrets[secret_id]["Properties"]
    assert props["Name"] == "dataroom/abnormal-process-exec/priors/deploy-rate"
    key_id = stack.get_logical_id(stack.room_key.key.node.default_child)
    assert props["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert "SecretString" not in props  # a random placeholder: the value is set out of band
    assert secrets[secret_id]["DeletionPolicy"] == "Retain"
    scientist = stack.get_logical_id(stack.scientist_role.node.default_child)
    reads = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": scientist} in r["Properties"]["Roles"]
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if {"Ref": secret_id} == s.get("Resource")
    ]
    assert reads and "secretsmanager:GetSecretValue" in reads[0]["Action"]
    endpoints = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::VPCEndpoint"]
    assert any("secretsmanager" in json.dumps(e["Properties"]["ServiceName"]) for e in endpoints)


def test_no_secret_and_no_endpoint_without_priors(room_template_json) -> None:
    types = [r["Type"] for r in room_template_json["Resources"].values()]
    assert "AWS::SecretsManager::Secret" not in types


@pytest.mark.parametrize(
    ("context", "plain"),
    [
        ({"model_prior": "0.3", "manifest": "x"}, ["model_prior"]),
        ({"dataroom:priors": "{}"}, ["dataroom:priors"]),
        ({"priority": "high", "manifest": "x"}, []),
    ],
)
def test_priors_in_plain_context_are_found(context: dict[str, str], plain: list[str]) -> None:
    assert priors_in_context(context) == plain


def test_cdk_synth_refuses_a_prior_in_context(tmp_path) -> None:
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["cdk", "synth", "--quiet", "--no-notices", "-c", "model_prior=0.3", "-o", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "model_prior carry a model prior in plain text" in result.stderr
    assert "Traceback" not in result.stderr


def _verdict(resource: dict) -> object:
    from dataroom.baseline import Baseline
    from dataroom.policies.rules.base import RuleContext
    from dataroom.policies.rules.chg4_no_plain_priors import check

    template = {"Resources": {"R": resource}}
    return check(RuleContext("R", resource, template, Baseline(), "222222222222", "us-east-1"))


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/room/model-prior", "Type": "String", "Value": "0.3"},
            },
            ["a prior in a plain String parameter"],
        ),
        (
            {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Environment": {"Variables": {"DEPLOY_PRIOR": "0.3"}}},
            },
            ["Environment.Variables.DEPLOY_PRIOR is a literal prior value"],
        ),
        (
            {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Environment": {"Variables": {"DEPLOY_PRIOR": {"Ref": "Secret"}}}},
            },
            [],
        ),
        (
            {
                "Type": "AWS::Route53Resolver::FirewallRuleGroup",
                "Properties": {"FirewallRules": [{"Priority": 100}]},
            },
            [],
        ),
        ({"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "priors/x"}}, None),
    ],
)
def test_chg4_rule_on_resources(resource: dict, expected: object) -> None:
    assert _verdict(resource) == expected
