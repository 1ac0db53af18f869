"""The workbench of the example room, control by control (WBN-1..4), on its synthesized template.

The example room declares a workbench (examples/rooms.yaml), so these tests reuse the session's
example app: no extra synthesis.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from dataroom.constructs.workbench import Workbench
from dataroom.template_policy import refers_to

Template = dict[str, Any]
USER = "scientist@example.com"
NOTEBOOK = "abnormal-process-exec-scientist"
#: IAM's limit on a managed policy document, whitespace excluded.
MANAGED_POLICY_LIMIT = 6144


def _text(value: Any) -> Any:
    """A value with the partition and CDK's joins rendered (the stacks name their account)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_text(p)) for p in parts)
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    return value


def _of_type(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def _one(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    (item,) = _of_type(template, kind).items()
    return item


@pytest.fixture(scope="module")
def notebook(room_template_json: Template) -> tuple[str, dict[str, Any]]:
    return _one(room_template_json, "AWS::SageMaker::NotebookInstance")


# --- WBN-1 ---------------------------------------------------------------------------------------


def test_one_notebook_per_user_inside_the_glovebox(room_template_json, notebook) -> None:
    _, resource = notebook
    props = resource["Properties"]
    assert props["NotebookInstanceName"] == NOTEBOOK
    assert props["DirectInternetAccess"] == "Disabled"
    assert props["RootAccess"] == "Disabled"
    assert props["InstanceType"] == "ml.t3.medium"
    assert props["VolumeSizeInGB"] == 20
    assert props["PlatformIdentifier"] == "notebook-al2-v3"
    assert props["InstanceMetadataServiceConfiguration"] == {
        "MinimumInstanceMetadataServiceVersion": "2"
    }
    key_id, _ = _one(room_template_json, "AWS::KMS::Key")
    assert props["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    subnets = _of_type(room_template_json, "AWS::EC2::Subnet")
    assert props["SubnetId"]["Ref"] in subnets
    assert not subnets[props["SubnetId"]["Ref"]]["Properties"]["MapPublicIpOnLaunch"]
    role = room_template_json["Resources"][props["RoleArn"]["Fn::GetAtt"][0]]
    assert role["Properties"]["RoleName"] == "dataroom-abnormal-process-exec-scientist"
    assert {"Key": "dataroom:user", "Value": USER} in props["Tags"]


def test_security_group_reaches_the_rooms_endpoints_only(room_template_json, notebook) -> None:
    _, resource = notebook
    (group_ref,) = resource["Properties"]["SecurityGroupIds"]
    group_id = group_ref["Fn::GetAtt"][0]
    group = room_template_json["Resources"][group_id]["Properties"]
    assert "SecurityGroupIngress" not in group
    assert not [
        r
        for r in _of_type(room_template_json, "AWS::EC2::SecurityGroupEgress").values()
        if refers_to(r["Properties"]["GroupId"], group_id)
    ]
    (rule,) = group["SecurityGroupEgress"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    assert "CidrIp" not in rule
    target = rule["DestinationSecurityGroupId"]["Fn::GetAtt"][0]
    endpoints = _of_type(room_template_json, "AWS::EC2::VPCEndpoint")
    assert any(
        refers_to(e["Properties"].get("SecurityGroupIds"), target) for e in endpoints.values()
    )


def test_guardrails_deny_every_open_setting_to_the_workbench_role(room_template_json) -> None:
    policies = [
        p["Properties"]
        for p in _of_type(room_template_json, "AWS::IAM::ManagedPolicy").values()
        if "WBN-1" in p["Properties"].get("Description", "")
    ]
    (guardrails,) = policies
    keys = {
        key
        for s in guardrails["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny"
        for block in s["Condition"].values()
        for key in block
    }
    assert {
        "sagemaker:DirectInternetAccess",
        "sagemaker:RootAccess",
        "sagemaker:VolumeKmsKeyArn",
        "sagemaker:VpcSubnets",
        "sagemaker:InstanceTypes",
        "sagemaker:MinimumInstanceMetadataServiceVersion",
        "sagemaker:NotebookInstanceLifecycleConfigArns",
    } <= keys
    (role,) = guardrails["Roles"]
    assert room_template_json["Resources"][role["Ref"]]["Properties"]["RoleName"].endswith(
        "-scientist"
    )


def _boundary(template: Template) -> dict[str, Any]:
    (boundary,) = [
        r["Properties"]["PolicyDocument"]
        for r in _of_type(template, "AWS::IAM::ManagedPolicy").values()
        if r["Properties"].get("Description", "").startswith("dataroom permissions boundary")
    ]
    return boundary


def test_boundary_lets_only_the_workbench_role_create_notebooks(room_template_json) -> None:
    sids = {s.get("Sid"): s for s in _boundary(room_template_json)["Statement"]}
    only = sids["WbnOnlyTheWorkbenchRole"]
    assert only["Effect"] == "Deny"
    assert set(only["Action"]) == {
        "sagemaker:CreateNotebookInstance",
        "sagemaker:UpdateNotebookInstance",
    }
    assert "dataroom-abnormal-process-exec-scientist" in json.dumps(only["Condition"])
    assert "sagemaker:CreateDomain" in sids["WbnNoStudioNoScripts"]["Action"]
    assert (
        "sagemaker:CreateNotebookInstanceLifecycleConfig"
        in (sids["WbnNoStudioNoScripts"]["Action"])
    )
    assert sids["WbnUrlPath"]["Action"] == "sagemaker:CreatePresignedNotebookInstanceUrl"


def _resolved_length(template: Template, document: Any) -> int:
    """The document's length once deployed: references become ids of their real length."""
    lengths = {
        "AWS::EC2::Subnet": len("subnet-0123456789abcdef0"),
        "AWS::EC2::VPCEndpoint": len("vpce-0123456789abcdef0"),
        "AWS::EC2::SecurityGroup": len("sg-0123456789abcdef0"),
    }

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if "Ref" in value:
                kind = template["Resources"].get(value["Ref"], {}).get("Type")
                return "x" * lengths.get(kind, 40)
            if "Fn::GetAtt" in value:
                return "x" * 90  # an ARN
            if "Fn::Join" in value:
                separator, parts = value["Fn::Join"]
                return separator.join(str(walk(p)) for p in parts)
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return len(json.dumps(walk(document), separators=(",", ":")))


def test_room_boundary_fits_iams_limit(room_template_json) -> None:
    """The boundary is one managed policy shared by every control: it must deploy."""
    boundary = _boundary(room_template_json)
    assert _resolved_length(room_template_json, boundary) < MANAGED_POLICY_LIMIT


# --- WBN-2 ---------------------------------------------------------------------------------------


def test_mirror_blocks_pypi_except_the_allow_list(room_template_json, example_manifest) -> None:
    _domain_id, domain = _one(room_template_json, "AWS::CodeArtifact::Domain")
    key_id, _ = _one(room_template_json, "AWS::KMS::Key")
    assert domain["Properties"]["EncryptionKey"] == {"Fn::GetAtt": [key_id, "Arn"]}
    _, repository = _one(room_template_json, "AWS::CodeArtifact::Repository")
    assert repository["Properties"]["ExternalConnections"] == ["public:pypi"]
    groups = {
        g["Properties"]["Pattern"]: g["Properties"]["OriginConfiguration"]["Restrictions"]
        for g in _of_type(room_template_json, "AWS::CodeArtifact::PackageGroup").values()
    }
    assert groups.pop("/pypi/*") == {
        "ExternalUpstream": {"RestrictionMode": "BLOCK"},
        "InternalUpstream": {"RestrictionMode": "BLOCK"},
        "Publish": {"RestrictionMode": "BLOCK"},
    }
    workbench = example_manifest.rooms[0].workbench
    assert set(groups) == {f"/pypi//{name}$" for name in workbench.package_names}
    assert all(g["ExternalUpstream"] == {"RestrictionMode": "ALLOW"} for g in groups.values())
    assert all(g["Publish"] == {"RestrictionMode": "BLOCK"} for g in groups.values())


@pytest.mark.parametrize("kind", ["AWS::CodeArtifact::Domain", "AWS::CodeArtifact::Repository"])
def test_mirror_admits_the_room_role_through_the_room_endpoints_only(
    room_template_json, kind: str
) -> None:
    _, resource = _one(room_template_json, kind)
    statements = resource["Properties"]["PermissionsPolicyDocument"]["Statement"]
    denies = {s["Sid"]: s for s in statements if s["Effect"] == "Deny"}
    condition = denies["OnlyTheRoomsWorkbenchRole"]["Condition"]["ArnNotEquals"]
    assert _text(condition["aws:PrincipalArn"]) == (
        "arn:aws:iam::222222222222:role/dataroom-abnormal-process-exec-scientist"
    )
    vpces = denies["OnlyThroughTheRoomsEndpoints"]["Condition"]["StringNotEquals"]["aws:SourceVpce"]
    endpoints = _of_type(room_template_json, "AWS::EC2::VPCEndpoint")
    names = {json.dumps(endpoints[v["Ref"]]["Properties"]["ServiceName"]) for v in vpces}
    assert names == {
        '"com.amazonaws.us-east-1.codeartifact.api"',
        '"com.amazonaws.us-east-1.codeartifact.repositories"',
    }


def _on_start(template: Template) -> str:
    _, lifecycle = _one(template, "AWS::SageMaker::NotebookInstanceLifecycleConfig")
    (hook,) = lifecycle["Properties"]["OnStart"]
    content = hook["Content"]["Fn::Base64"]
    assert isinstance(content, str), "the script is a literal: the stack's environment is"
    return content


def test_lifecycle_configures_pip_and_the_idle_stop(room_template_json, notebook) -> None:
    script = _on_start(room_template_json)
    assert len(base64.b64encode(script.encode())) <= 16384  # SageMaker's limit per script
    assert 'DATAROOM_DOMAIN="dataroom-abnormal-process-exec"' in script
    assert 'DATAROOM_DOMAIN_OWNER="222222222222"' in script
    assert "aws codeartifact get-authorization-token" in script
    assert "autostop.py --idle-minutes 60" in script
    assert "pandas<3,>=2.2" in script
    if shutil.which("bash"):
        syntax = subprocess.run(
            ["bash", "-n"], input=script, capture_output=True, text=True, check=False
        )
        assert syntax.returncode == 0, syntax.stderr
    _, resource = notebook
    assert "LifecycleConfigName" in resource["Properties"]


# --- WBN-3 ---------------------------------------------------------------------------------------


def test_a_stopped_notebook_is_alerted_once(room_template_json) -> None:
    rules = [
        r["Properties"]
        for r in _of_type(room_template_json, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail", {}).get("NotebookInstanceStatus")
        == ["Stopped"]
    ]
    (rule,) = rules
    assert rule["EventPattern"]["source"] == ["aws.sagemaker"]
    assert rule["EventPattern"]["detail-type"] == ["SageMaker Notebook Instance State Change"]
    assert rule["EventPattern"]["detail"]["NotebookInstanceName"] == [NOTEBOOK]
    (target,) = rule["Targets"]
    topic_id, _ = _one(room_template_json, "AWS::SNS::Topic")
    assert target["Arn"] == {"Ref": topic_id}


# --- WBN-4 ---------------------------------------------------------------------------------------


def test_every_endpoint_the_workbench_needs_joins_the_glovebox(room_template_json) -> None:
    services = {
        r["Properties"]["ServiceName"]: r["Properties"]
        for r in _of_type(room_template_json, "AWS::EC2::VPCEndpoint").values()
        if isinstance(r["Properties"]["ServiceName"], str)  # the S3 gateway's is a join
    }
    for name in (
        "com.amazonaws.us-east-1.sagemaker.api",
        "com.amazonaws.us-east-1.sagemaker.runtime",
        "aws.sagemaker.us-east-1.notebook",
        "com.amazonaws.us-east-1.codeartifact.api",
        "com.amazonaws.us-east-1.codeartifact.repositories",
        "com.amazonaws.us-east-1.sts",
        "com.amazonaws.us-east-1.logs",
    ):
        assert services[name]["PrivateDnsEnabled"] is True, name
        assert services[name]["VpcEndpointType"] == "Interface"
    for name in ("sagemaker.api", "codeartifact.repositories"):
        policy = services[f"com.amazonaws.us-east-1.{name}"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and "aws:PrincipalArn" in s["Condition"]["ArnNotEquals"]
            for s in policy
        ), name


def test_a_notebook_url_only_for_its_user_from_the_rooms_path(room_template_json) -> None:
    (access,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in _of_type(room_template_json, "AWS::IAM::ManagedPolicy").values()
        if "package mirror" in r["Properties"].get("Description", "")
    ]
    sids = {s["Sid"]: s for s in access}
    opening = sids["OpenScientist"]
    assert opening["Condition"] == {"StringEquals": {"aws:SourceIdentity": USER}}
    assert _text(opening["Resource"]) == (
        f"arn:aws:sagemaker:us-east-1:222222222222:notebook-instance/{NOTEBOOK}"
    )
    fence = sids["WorkbenchOnlyFromTheRoomsPath"]
    assert fence["Effect"] == "Deny"
    assert fence["Condition"]["NotIpAddressIfExists"] == {"aws:SourceIp": ["203.0.113.0/24"]}
    assert "Ref" in fence["Condition"]["StringNotEquals"]["aws:SourceVpce"]


# --- teardown ------------------------------------------------------------------------------------


def _depends_on(template: Template, logical_id: str) -> Iterator[str]:
    resource = template["Resources"][logical_id]
    yield from resource.get("DependsOn", [])
    for other in template["Resources"]:
        if other != logical_id and refers_to(resource.get("Properties", {}), other):
            yield other


def _deletion_order(template: Template) -> list[str]:
    """CloudFormation's deletion order: a resource goes before everything it depends on."""
    remaining = set(template["Resources"])
    needed_by: dict[str, set[str]] = {lid: set() for lid in remaining}
    for lid in remaining:
        for dependency in _depends_on(template, lid):
            needed_by[dependency].add(lid)
    order: list[str] = []
    while remaining:
        ready = sorted(lid for lid in remaining if not needed_by[lid] & remaining)
        assert ready, f"dependency cycle among {sorted(remaining)}"
        order.extend(ready)
        remaining -= set(ready)
    return order


def test_teardown_deletes_the_notebook_before_its_network(room_template_json, notebook) -> None:
    """No network interface of a notebook blocks the deletion of its subnet, group or VPC."""
    notebook_id, _ = notebook
    order = _deletion_order(room_template_json)
    position = {lid: i for i, lid in enumerate(order)}
    resources = room_template_json["Resources"]
    later = [
        lid
        for lid, r in resources.items()
        if r["Type"]
        in (
            "AWS::EC2::Subnet",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupEgress",
            "AWS::EC2::VPC",
            "AWS::EC2::VPCEndpoint",
            "AWS::KMS::Key",
            "AWS::SageMaker::NotebookInstanceLifecycleConfig",
        )
        or r["Properties"].get("RoleName", "").endswith("-scientist")
    ]
    assert later
    assert all(position[notebook_id] < position[lid] for lid in later), [
        lid for lid in later if position[lid] < position[notebook_id]
    ]
    # and there is no file system to leave behind: no EFS, no Studio domain
    kinds = {r["Type"] for r in resources.values()}
    assert not kinds & {"AWS::EFS::FileSystem", "AWS::SageMaker::Domain"}


# --- construct validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"users": []}, "users=\\[\\]: expected at least one user"),
        ({"instance_type": "ml.m5.xlarge"}, "instance_type='ml.m5.xlarge': expected one of"),
        ({"volume_size_gb": 1000}, "volume_size_gb=1000: expected 5 to 100"),
        ({"idle_stop_minutes": 1}, "idle_stop_minutes=1: expected 10 to 480"),
        ({"access_cidrs": ["0.0.0.0/0"]}, "access_cidrs: '0.0.0.0/0': expected /8 or narrower"),
    ],
)
def test_construct_rejects_bad_props(props: dict[str, Any], expected: str) -> None:
    from aws_cdk import App, Stack

    stack = Stack(App(), "S")
    arguments: dict[str, Any] = {"users": ["jdoe"], **props}
    with pytest.raises(ValueError, match=expected):
        Workbench(
            stack,
            "Workbench",
            room_name="r",
            glovebox=None,  # type: ignore[arg-type]
            encryption_key=None,  # type: ignore[arg-type]
            execution_role=None,  # type: ignore[arg-type]
            boundary=None,  # type: ignore[arg-type]
            alerts=None,  # type: ignore[arg-type]
            **arguments,
        )


def test_a_room_without_workbench_refuses_every_notebook() -> None:
    from dataroom.constructs.workbench import no_workbench_statement

    statement = no_workbench_statement().to_statement_json()
    assert statement["Effect"] == "Deny" and statement["Resource"] == "*"
    assert "Condition" not in statement
    assert {
        "sagemaker:CreateNotebookInstance",
        "sagemaker:UpdateNotebookInstance",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        "sagemaker:CreateDomain",
        "sagemaker:CreatePresignedDomainUrl",
        "sagemaker:CreateNotebookInstanceLifecycleConfig",
    } <= set(statement["Action"])
