"""The freeze, unfreeze, ``dataroom rooms`` and ``retire`` against moto (LCY-1..3).

EventBridge Scheduler stores schedules but never fires them (in moto or anywhere in a test), so
the freeze function is invoked here with the event its schedule sends. The room is made with
boto3 in moto's default account, where the handler's own clients (no account header) act: two
room roles, the deny-all freeze policy, notebook instances of this room and of another, an alert
topic read through an SQS queue, and a CloudFormation stack ``dataroom-<room>`` with the outputs
the CLI reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dataroom.cli import main
from dataroom.lifecycle import handler as lifecycle
from tests.moto.conftest import iam_enforced

pytestmark = pytest.mark.moto

ACCOUNT = "123456789012"
REGION = "us-east-1"
TODAY = dt.date(2026, 12, 1)
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "DataRoomFrozen", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}


@dataclass
class MotoRoom:
    name: str
    client: Callable[[str], Any]
    roles: tuple[str, ...]
    freeze_arn: str
    topic_arn: str
    queue_url: str
    bucket: str
    notebooks: dict[str, str]

    def attached(self, role: str) -> set[str]:
        policies = self.client("iam").list_attached_role_policies(RoleName=role)
        return {p["PolicyArn"] for p in policies["AttachedPolicies"]}

    def alerts(self) -> list[dict[str, Any]]:
        sqs = self.client("sqs")
        out = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = batch.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def notebook_status(self, name: str) -> str:
        described = self.client("sagemaker").describe_notebook_instance(NotebookInstanceName=name)
        return str(described["NotebookInstanceStatus"])


@pytest.fixture(scope="module")
def client(aws_client: Callable[..., Any]) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in clients:
            clients[service] = aws_client(service, account=ACCOUNT, region=REGION)
        return clients[service]

    return make


def _stack_template(name: str, bucket: str) -> str:
    return json.dumps(
        {
            "Resources": {
                "Marker": {
                    "Type": "AWS::SSM::Parameter",
                    "Properties": {
                        "Name": f"/dataroom/{name}/deployed",
                        "Type": "String",
                        "Value": name,
                    },
                }
            },
            "Outputs": {
                "FreezePolicyArn": {
                    "Value": f"arn:aws:iam::{ACCOUNT}:policy/dataroom-{name}-freeze"
                },
                "EvidenceBucketName": {"Value": bucket},
                "BudgetName": {"Value": f"dataroom-{name}"},
            },
        }
    )


def _make_room(client: Callable[[str], Any], name: str, *, deploy: bool) -> MotoRoom:
    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    roles = (f"dataroom-{name}-scientist", f"dataroom-{name}-notebook")
    for role in roles:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName=role,
            PolicyName="work",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
                    ],
                }
            ),
        )
    freeze_arn = iam.create_policy(
        PolicyName=f"dataroom-{name}-freeze", PolicyDocument=json.dumps(DENY_ALL)
    )["Policy"]["Arn"]
    sns, sqs = client("sns"), client("sqs")
    topic_arn = sns.create_topic(Name=f"{name}-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    sagemaker = client("sagemaker")
    notebooks = {}
    for owner in (name, "someone-else"):
        notebook = f"{owner}-nb-{uuid.uuid4().hex[:6]}"
        sagemaker.create_notebook_instance(
            NotebookInstanceName=notebook,
            InstanceType="ml.t3.medium",
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{roles[1]}",
            Tags=[{"Key": "dataroom:room", "Value": owner}],
        )
        notebooks[owner] = notebook
    bucket = f"{name}-evidence"
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}},
        },
    )
    if deploy:
        client("cloudformation").create_stack(
            StackName=f"dataroom-{name}", TemplateBody=_stack_template(name, bucket)
        )
        client("budgets").create_budget(
            AccountId=ACCOUNT,
            Budget={
                "BudgetName": f"dataroom-{name}",
                "BudgetLimit": {"Amount": "200", "Unit": "USD"},
                "TimeUnit": "MONTHLY",
                "BudgetType": "COST",
            },
        )
    return MotoRoom(name, client, roles, freeze_arn, topic_arn, queue_url, bucket, notebooks)


@pytest.fixture
def environment(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handler's and the CLI's own clients talk to moto with fake credentials."""
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(variable, value)
    yield


@pytest.fixture
def room(client, environment, monkeypatch: pytest.MonkeyPatch) -> MotoRoom:
    moto_room = _make_room(client, f"lcy-{uuid.uuid4().hex[:8]}", deploy=True)
    monkeypatch.setenv("ROOM_NAME", moto_room.name)
    monkeypatch.setenv("ALERT_TOPIC_ARN", moto_room.topic_arn)
    monkeypatch.setenv("FREEZE_POLICY_ARN", moto_room.freeze_arn)
    monkeypatch.setenv("ROOM_ROLES", json.dumps(list(moto_room.roles)))
    return moto_room


def scheduler_event(room: str) -> dict[str, Any]:
    """The input the freeze schedule gives the function, context attributes filled in."""
    return {
        "action": "freeze",
        "reason": "expired",
        "room": room,
        "expires": "2026-11-30",
        "scheduleArn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/dataroom-{room}/"
        f"dataroom-{room}-freeze",
        "scheduledTime": "2026-12-01T00:00:00Z",
    }


def test_freeze_attaches_the_policy_stops_the_rooms_notebooks_and_alerts(room: MotoRoom) -> None:
    result = lifecycle.handler(scheduler_event(room.name), None)
    assert result["status"] == "frozen", result
    assert sorted(result["rolesFrozen"]) == sorted(room.roles)
    for role in room.roles:
        assert room.freeze_arn in room.attached(role)
    assert room.notebook_status(room.notebooks[room.name]) == "Stopped"
    assert room.notebook_status(room.notebooks["someone-else"]) == "InService"
    (alert,) = room.alerts()
    assert alert["Subject"] == f"dataroom {room.name}: frozen (expired)"
    message = json.loads(alert["Message"])
    assert message["notebooksStopped"] == [room.notebooks[room.name]]
    assert message["event"]["scheduledTime"] == "2026-12-01T00:00:00Z"


def test_the_budget_actions_event_completes_the_freeze(room: MotoRoom) -> None:
    # Budgets attached the policy to the scientist role; the rule's input names the reason.
    room.client("iam").attach_role_policy(RoleName=room.roles[0], PolicyArn=room.freeze_arn)
    event = {"action": "freeze", "reason": "over budget", "room": room.name}
    result = lifecycle.handler(event, None)
    assert result["rolesAlreadyFrozen"] == [room.roles[0]]
    assert result["rolesFrozen"] == [room.roles[1]]
    assert result["notebooksStopped"] == [room.notebooks[room.name]]
    (alert,) = room.alerts()
    assert alert["Subject"] == f"dataroom {room.name}: frozen (over budget)"


def test_freezing_twice_changes_nothing(room: MotoRoom) -> None:
    lifecycle.handler(scheduler_event(room.name), None)
    again = lifecycle.handler(scheduler_event(room.name), None)
    assert again["rolesFrozen"] == [] and sorted(again["rolesAlreadyFrozen"]) == sorted(room.roles)
    assert again["notebooksNotRunning"] == [room.notebooks[room.name]]


def test_an_event_for_another_room_freezes_nothing(room: MotoRoom) -> None:
    result = lifecycle.handler(scheduler_event("another-room"), None)
    assert result["status"] == "error"
    assert all(room.freeze_arn not in room.attached(role) for role in room.roles)
    assert room.alerts() == []


def test_a_missing_role_is_reported_and_the_rest_still_frozen(
    room: MotoRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOM_ROLES", json.dumps([*room.roles, "dataroom-gone"]))
    result = lifecycle.handler(scheduler_event(room.name), None)
    assert result["status"] == "failed"
    assert "dataroom-gone" in result["errors"][0]
    assert sorted(result["rolesFrozen"]) == sorted(room.roles)
    (alert,) = room.alerts()
    assert "FREEZE FAILED" in alert["Subject"]


def test_a_frozen_role_is_refused_what_it_could_do_before(
    room: MotoRoom, aws_client: Callable[..., Any], moto_endpoint: str
) -> None:
    credentials = room.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{room.roles[0]}", RoleSessionName="alice"
    )["Credentials"]
    as_scientist = aws_client("s3", account=ACCOUNT, credentials=credentials)
    with iam_enforced(moto_endpoint):
        as_scientist.list_buckets()  # the twin: allowed before the freeze
    lifecycle.handler(scheduler_event(room.name), None)
    with iam_enforced(moto_endpoint), pytest.raises(ClientError) as denied:
        as_scientist.list_buckets()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def manifest(tmp_path: Path, *rooms: tuple[str, str, str]) -> Path:
    """A manifest with ``(name, phase, expires)`` rooms in moto's default account."""
    lines = [
        "production: {account: '111111111111', region: us-east-1}",
        "datasets:",
        "  - {name: events, bucket: prod-telemetry, prefix: events/, classification: internal,"
        " tenancy: single-tenant}",
        "rooms:",
    ]
    for index, (name, phase, expires) in enumerate(rooms):
        if index:
            # One detector and one recorder per account and region: later rooms adopt them.
            lines += [
                f"  - name: {name}",
                "    monitoring: {existing_guardduty_detector_id: "
                "12abc34d567e8fa901bc2d34e56789f0, existing_config_recorder: true}",
            ]
        else:
            lines += [f"  - name: {name}"]
        lines += [
            f"    account: '{ACCOUNT}'",
            f"    phase: {phase}",
            "    hypothesis: Cluster analysis separates deploys from intrusions",
            "    ticket: SEC-1234",
            "    owner: scientist@example.com",
            "    approvers: [security-lead@example.com]",
            f"    expires: {expires}",
            f"    principals: ['arn:aws:iam::{ACCOUNT}:role/DataScientist']",
            "    budget_usd_month: 300",
        ]
        if phase == "exploration":
            lines += ["    datasets: [{name: events, justification: Process lineage features}]"]
    path = tmp_path / "rooms.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_unfreeze_detaches_the_freeze_from_every_role(
    room: MotoRoom, tmp_path: Path, moto_endpoint: str, capsys
) -> None:
    lifecycle.handler(scheduler_event(room.name), None)
    path = manifest(tmp_path, (room.name, "exploration", "2027-03-31"))
    code = main(["unfreeze", room.name, "--manifest", str(path), "--today", "2026-12-01"])
    assert code == 0
    assert all(room.freeze_arn not in room.attached(role) for role in room.roles)
    assert "detached" in capsys.readouterr().out
    # Nothing left to detach: said so, still success.
    assert main(["unfreeze", room.name, "--manifest", str(path), "--today", "2026-12-01"]) == 0


def test_unfreeze_refuses_an_expired_room(room: MotoRoom, tmp_path: Path, capsys) -> None:
    lifecycle.handler(scheduler_event(room.name), None)
    path = manifest(tmp_path, (room.name, "definition", "2026-11-30"))
    code = main(["unfreeze", room.name, "--manifest", str(path), "--today", "2026-12-01"])
    assert code == 2
    assert "extend 'expires'" in capsys.readouterr().err
    assert all(room.freeze_arn in room.attached(role) for role in room.roles)


def test_rooms_lists_phase_expiry_budget_deployed_and_frozen(
    room: MotoRoom, client, tmp_path: Path, capsys
) -> None:
    expired = _make_room(client, f"lcy-{uuid.uuid4().hex[:8]}", deploy=True)
    absent = f"lcy-{uuid.uuid4().hex[:8]}"
    lifecycle.handler(scheduler_event(room.name), None)
    path = manifest(
        tmp_path,
        (room.name, "exploration", "2026-12-15"),
        (expired.name, "definition", "2026-11-20"),
        (absent, "implementation", "2027-01-31"),
    )
    code = main(["rooms", "--manifest", str(path), "--json", "--today", "2026-12-01"])
    document = json.loads(capsys.readouterr().out)
    rows = {row["room"]: row for row in document["rooms"]}
    assert code == 1, "a room is expired but still deployed"
    assert rows[room.name]["daysLeft"] == 14 and rows[room.name]["expired"] is False
    assert rows[room.name]["deployed"] is True and rows[room.name]["frozen"] is True
    assert sorted(rows[room.name]["frozenRoles"]) == sorted(room.roles)
    assert rows[room.name]["budgetUsdMonth"] == 300
    assert rows[room.name]["budgetState"] != "unknown"
    assert rows[expired.name]["expiredButDeployed"] is True
    assert rows[expired.name]["frozen"] is False
    assert rows[absent]["deployed"] is False and rows[absent]["expiredButDeployed"] is False

    # The table says the same, and without the expired room the exit code is 0.
    main(["rooms", "--manifest", str(path), "--today", "2026-12-01"])
    table = capsys.readouterr().out
    assert "EXPIRED BUT STILL DEPLOYED" in table and expired.name in table
    client("cloudformation").delete_stack(StackName=f"dataroom-{expired.name}")
    assert main(["rooms", "--manifest", str(path), "--today", "2026-12-01"]) == 0


def test_rooms_without_credentials_shows_the_manifest_and_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    path = manifest(tmp_path, ("quiet-room", "definition", "2026-11-20"))
    assert main(["rooms", "--manifest", str(path), "--json", "--today", "2026-12-01"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rooms"]
    assert row["deployed"] is None and row["frozen"] is None and row["budgetState"] == "unknown"
    assert row["expired"] is True and row["notes"] == ["no AWS credentials"]
    main(["rooms", "--manifest", str(path), "--today", "2026-12-01"])
    assert "expired 11 day(s) ago" in capsys.readouterr().out


def test_retire_writes_locked_evidence_and_prints_the_destroy_command(
    room: MotoRoom, tmp_path: Path, capsys
) -> None:
    review = tmp_path / "review"
    review.mkdir()
    (review / "review.json").write_text('{"gaps": []}\n')
    (review / "evidence.json").write_text('{"controls": []}\n')
    exports = tmp_path / "exports"
    (exports / "2026").mkdir(parents=True)
    (exports / "2026" / "model.csv").write_text("feature,weight\nexec_depth,0.7\n")
    audit = tmp_path / "audit.json"
    audit.write_text('{"drift": []}\n')
    path = manifest(
        tmp_path,
        (room.name, "exploration", "2027-03-31"),
        ("other-room", "definition", "2027-01-01"),
    )
    code = main(
        [
            "retire",
            room.name,
            "--manifest",
            str(path),
            "--review",
            str(review),
            "--exports",
            str(exports),
            "--audit",
            str(audit),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"cdk destroy DataRoomStack-{room.name} -c manifest={path}" in out
    assert f"- name: {room.name}" in out and "retired:" in out
    s3 = room.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=room.bucket)["Contents"]]
    (digests_key,) = [k for k in keys if k.endswith("digests.json")]
    prefix = digests_key.removesuffix("digests.json")
    assert {k.removeprefix(prefix) for k in keys} == {
        "digests.json",
        "manifest/rooms.yaml",
        "review/review.json",
        "review/evidence.json",
        "exports/exports/2026/model.csv",
        "audit/audit.json",
    }
    digests = json.loads(s3.get_object(Bucket=room.bucket, Key=digests_key)["Body"].read())
    body = s3.get_object(Bucket=room.bucket, Key=prefix + "exports/exports/2026/model.csv")
    assert (
        digests["sha256"]["exports/exports/2026/model.csv"]
        == hashlib.sha256(body["Body"].read()).hexdigest()
    )
    head = s3.head_object(Bucket=room.bucket, Key=digests_key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=room.bucket, Key=digests_key, VersionId=head["VersionId"])


def test_retire_needs_the_review(room: MotoRoom, tmp_path: Path, capsys) -> None:
    path = manifest(tmp_path, (room.name, "exploration", "2027-03-31"))
    code = main(["retire", room.name, "--manifest", str(path), "--review", str(tmp_path / "x")])
    assert code == 2
    assert "dataroom review" in capsys.readouterr().err
