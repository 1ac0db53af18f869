"""PHS-1 / PHS-2 on the synthesized phase A and B rooms (examples/phases.yaml)."""

from __future__ import annotations

import json
from typing import Any

from tests.phases.conftest import (
    ROOM_A,
    ROOM_B,
    access_points,
    resources,
    results_bucket_policy,
)

TRIAGE = "arn:aws:iam::111111111111:role/SocTriageConsole"


def _statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert found, f"no statement {sid}"
    return found[0]


def _flag(template: dict[str, Any]) -> dict[str, Any]:
    (version,) = resources(template, "AWS::AppConfig::HostedConfigurationVersion").values()
    return json.loads(version["Properties"]["Content"])  # type: ignore[no-any-return]


def test_phase_a_has_one_access_point_per_consumer_and_none_for_a_dal(
    template_a: dict[str, Any],
) -> None:
    points = access_points(template_a)
    assert set(points) == {f"{ROOM_A}-triage"}
    policy = points[f"{ROOM_A}-triage"]["Properties"]["Policy"]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert {json.dumps(s["Principal"]) for s in allows} == {json.dumps({"AWS": TRIAGE})}
    network = _statement(policy, "DenyOutsideTheReadersEndpoint")
    assert network["Condition"] == {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}
    assert _statement(policy, "DenyWrites")["Effect"] == "Deny"
    assert not [
        r
        for r in resources(template_a, "AWS::IAM::Role").values()
        if "dal-reader" in str(r["Properties"].get("RoleName", ""))
    ]


def test_phase_a_flag_is_off_for_end_users(template_a: dict[str, Any]) -> None:
    flag = _flag(template_a)
    assert flag["values"]["end_user_results"] == {"enabled": False, "phase": "production-a"}
    (profile,) = resources(template_a, "AWS::AppConfig::ConfigurationProfile").values()
    assert profile["Properties"]["Name"] == f"dataroom-{ROOM_A}"
    assert profile["Properties"]["Type"] == "AWS.AppConfig.FeatureFlags"
    assert resources(template_a, "AWS::AppConfig::Deployment")


def test_phase_b_flag_is_on_and_dal_point_is_per_tenant(template_b: dict[str, Any]) -> None:
    assert _flag(template_b)["values"]["end_user_results"]["enabled"] is True
    points = access_points(template_b)
    assert set(points) == {f"{ROOM_B}-triage", f"{ROOM_B}-dal"}
    dal = points[f"{ROOM_B}-dal"]["Properties"]
    assert dal["VpcConfiguration"] == {"VpcId": "vpc-0123456789abcdef0"}
    policy = dal["Policy"]
    read = json.dumps(_statement(policy, "ReadResults")["Resource"])
    assert "/object/tenant=${aws:PrincipalTag/tenant}/*" in read
    listing = _statement(policy, "ListResults")["Condition"]
    assert listing == {"StringLike": {"s3:prefix": ["tenant=${aws:PrincipalTag/tenant}/*"]}}
    untagged = _statement(policy, "DenyCallersWithoutATenant")
    assert untagged["Condition"] == {"Null": {"aws:PrincipalTag/tenant": "true"}}


def test_tenant_reader_trust_pins_the_session_tag_to_the_callers_own(
    template_b: dict[str, Any],
) -> None:
    (reader,) = [
        r
        for r in resources(template_b, "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == f"dataroom-{ROOM_B}-dal-reader"
    ]
    trust = reader["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    actions = {
        a for s in trust for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}
    dal = {"AWS": "arn:aws:iam::111111111111:role/CustomerDal"}
    by_action = {s["Action"]: s for s in trust}
    for action in ("sts:AssumeRole", "sts:TagSession"):
        statement = by_action[action]
        assert statement["Principal"] == dal
        condition = statement["Condition"]
        assert condition["Null"]["aws:RequestTag/tenant"] == "false"
        assert condition["StringEquals"]["aws:RequestTag/tenant"] == "${aws:PrincipalTag/tenant}"
        assert condition["ForAllValues:StringEquals"] == {"aws:TagKeys": ["tenant"]}
        assert condition["DateLessThan"] == {"aws:CurrentTime": "2027-05-16T00:00:00Z"}
    assume = by_action["sts:AssumeRole"]["Condition"]
    assert assume["StringEquals"]["sts:ExternalId"] == f"dataroom-{ROOM_B}-dal-SEC-2002"
    assert assume["Null"]["sts:SourceIdentity"] == "false"
    assert reader["Properties"]["MaxSessionDuration"] == 3600
    assert "PermissionsBoundary" in reader["Properties"]


def test_results_bucket_exempts_only_its_access_points_and_refuses_writes_through_them(
    template_b: dict[str, Any],
) -> None:
    policy = results_bucket_policy(template_b)
    for sid in ("DenyPrincipalsOutsideTheRoomAccount", "DenyDataAccessFromOutsideTheGlovebox"):
        exempt = _statement(policy, sid)["Condition"]["StringNotEquals"]["s3:DataAccessPointArn"]
        text = json.dumps(exempt)
        assert f"accesspoint/{ROOM_B}-triage" in text and f"accesspoint/{ROOM_B}-dal" in text
    writes = _statement(policy, "DenyWritesThroughAccessPoints")
    assert writes["Condition"] == {"Null": {"s3:DataAccessPointArn": "false"}}
    assert "s3:PutObject" in writes["Action"]
    consumer = _statement(policy, "ReadThroughAccessPointtriage")
    assert consumer["Principal"] == {"AWS": TRIAGE}
    assert "s3:DataAccessPointArn" in consumer["Condition"]["StringEquals"]


def test_boundary_denies_changing_who_reads_results(template_a: dict[str, Any]) -> None:
    boundaries = [
        p["Properties"]["PolicyDocument"]
        for p in resources(template_a, "AWS::IAM::ManagedPolicy").values()
        if any(
            s.get("Sid") == "DenyResultsPublicationChanges"
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    assert boundaries, "the room boundary lacks the results-publication deny"
    deny = _statement(boundaries[0], "DenyResultsPublicationChanges")
    assert {"s3:PutAccessPointPolicy", "appconfig:CreateDeployment"} <= set(deny["Action"])


def test_exploration_rooms_publish_nothing(room_template_json: dict[str, Any]) -> None:
    assert not resources(room_template_json, "AWS::S3::AccessPoint")
    assert not resources(room_template_json, "AWS::AppConfig::Application")
