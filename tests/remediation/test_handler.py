"""The remediation function against moto: tamper with a room's guardrail, deliver the event, look.

The module builds one room in moto (trail, detector, bucket with its public-access block, policy
and intended policy in SSM, VPC with its flow log, an alert topic read through an SQS queue); each
test starts from it with every guardrail as deployed and an empty alert queue, and points the
handler's own boto3 clients at the moto server with ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dataroom import alert_events
from dataroom.controls.monitoring import REMEDIABLE_EVENTS
from dataroom.controls.storage import PUBLIC_ACCESS_FLAGS
from dataroom.remediation import handler as remediation
from tests.remediation.conftest import (
    ACCOUNT,
    ACTOR_ARN,
    REGION,
    api_call_event,
    delete_bucket_policy,
    delete_flow_logs,
    delete_public_access_block,
    put_bucket_policy,
    put_public_access_block,
    stop_logging,
    update_detector,
)

pytestmark = pytest.mark.moto

LOGGER_NAME = "dataroom.remediation.handler"
ALL_BLOCKED = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)


def _tls_only_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def _public_read_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Exfiltrate",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


@dataclass
class MotoRoom:
    """A room's guardrails, created in moto, and clients to read them back."""

    name: str
    client: Callable[[str], Any]
    trail: str
    trail_arn: str
    detector: str
    bucket: str
    parameter: str
    vpc: str
    log_group: str
    flow_log_role_arn: str
    flow_log: str
    topic_arn: str
    queue_url: str

    @property
    def intended_policy(self) -> dict[str, Any]:
        return _tls_only_policy(self.bucket)

    def is_logging(self, trail: str | None = None) -> bool:
        status = self.client("cloudtrail").get_trail_status(Name=trail or self.trail)
        return bool(status["IsLogging"])

    def detector_status(self, detector: str | None = None) -> str:
        response = self.client("guardduty").get_detector(DetectorId=detector or self.detector)
        return str(response["Status"])

    def public_access_block(self, bucket: str | None = None) -> dict[str, bool] | None:
        try:
            response = self.client("s3").get_public_access_block(Bucket=bucket or self.bucket)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"
            return None
        return dict(response["PublicAccessBlockConfiguration"])

    def bucket_policy(self, bucket: str | None = None) -> dict[str, Any] | None:
        try:
            policy = self.client("s3").get_bucket_policy(Bucket=bucket or self.bucket)["Policy"]
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NoSuchBucketPolicy"
            return None
        return dict(json.loads(policy))

    def flow_logs(self) -> list[dict[str, Any]]:
        response = self.client("ec2").describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [self.vpc]}]
        )
        return list(response["FlowLogs"])

    def alerts(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (subject, message) published to the alert topic since the last call."""
        sqs = self.client("sqs")
        alerts = []
        while True:
            received = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not received.get("Messages"):
                return alerts
            for message in received["Messages"]:
                notification = json.loads(message["Body"])
                alerts.append((notification["Subject"], json.loads(notification["Message"])))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def reset(self) -> None:
        """Put every guardrail back as deployed, and empty the alert queue."""
        self.client("cloudtrail").start_logging(Name=self.trail)
        self.client("guardduty").update_detector(DetectorId=self.detector, Enable=True)
        s3 = self.client("s3")
        s3.put_public_access_block(Bucket=self.bucket, PublicAccessBlockConfiguration=ALL_BLOCKED)
        policy = json.dumps(self.intended_policy)
        s3.put_bucket_policy(Bucket=self.bucket, Policy=policy)
        self.client("ssm").put_parameter(
            Name=self.parameter, Value=policy, Type="String", Overwrite=True
        )
        ec2 = self.client("ec2")
        flow_logs = [f["FlowLogId"] for f in self.flow_logs()]
        if flow_logs != [self.flow_log]:
            if flow_logs:
                ec2.delete_flow_logs(FlowLogIds=flow_logs)
            self.flow_log = ec2.create_flow_logs(
                ResourceIds=[self.vpc],
                ResourceType="VPC",
                TrafficType="ALL",
                LogDestinationType="cloud-watch-logs",
                LogGroupName=self.log_group,
                DeliverLogsPermissionArn=self.flow_log_role_arn,
            )["FlowLogIds"][0]
        self.alerts()

    def assert_intact(self) -> None:
        """Every guardrail is as deployed."""
        assert self.is_logging()
        assert self.detector_status() == "ENABLED"
        assert self.public_access_block() == ALL_BLOCKED
        assert self.bucket_policy() == self.intended_policy
        assert [f["FlowLogId"] for f in self.flow_logs()] == [self.flow_log]


@pytest.fixture(scope="module")
def client(aws_client: Callable[..., Any]) -> Callable[[str], Any]:
    """Clients in moto's default account, where the handler's own clients act; one per service."""
    clients: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in clients:
            clients[service] = aws_client(service, account=ACCOUNT, region=REGION)
        return clients[service]

    return make


@pytest.fixture(scope="module")
def moto_room(client: Callable[[str], Any]) -> MotoRoom:
    """A room in moto, shared by this module's tests; ``room`` puts it back in shape for each."""
    name = f"remediation-test-{uuid.uuid4().hex[:8]}"
    s3, ec2, sns, sqs = client("s3"), client("ec2"), client("sns"), client("sqs")

    trail_bucket = f"{name}-trail"
    s3.create_bucket(Bucket=trail_bucket)
    trail = client("cloudtrail").create_trail(Name=f"dataroom-{name}", S3BucketName=trail_bucket)
    detector = client("guardduty").create_detector(Enable=True)["DetectorId"]
    bucket = f"{name}-results"
    s3.create_bucket(Bucket=bucket)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    log_group = f"/dataroom/{name}/flow-logs"
    client("logs").create_log_group(logGroupName=log_group)

    topic_arn = sns.create_topic(Name=f"{name}-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return MotoRoom(
        name=name,
        client=client,
        trail=trail["Name"],
        trail_arn=trail["TrailARN"],
        detector=detector,
        bucket=bucket,
        parameter=f"/dataroom/{name}/bucket-policy/{bucket}",
        vpc=vpc,
        log_group=log_group,
        flow_log_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{name}-flow-logs",
        flow_log="",
        topic_arn=topic_arn,
        queue_url=queue_url,
    )


@pytest.fixture
def room(moto_room: MotoRoom, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> MotoRoom:
    """The room with every guardrail as deployed, described to the handler by its environment."""
    moto_room.reset()
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    environment = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "ALERT_TOPIC_ARN": moto_room.topic_arn,
        "ROOM_NAME": moto_room.name,
        "TRAIL_NAME": moto_room.trail,
        "DETECTOR_ID": moto_room.detector,
        "ROOM_BUCKETS": json.dumps([moto_room.bucket]),
        "BUCKET_POLICY_PARAMETER_PREFIX": moto_room.parameter.removesuffix(moto_room.bucket),
        "VPC_ID": moto_room.vpc,
        "FLOW_LOG_GROUP_NAME": moto_room.log_group,
        "FLOW_LOG_ROLE_ARN": moto_room.flow_log_role_arn,
        # As the Remediation construct sets them, from the control catalogue.
        "REMEDIATED_EVENTS": json.dumps(REMEDIABLE_EVENTS),
        "PUBLIC_ACCESS_FLAGS": json.dumps(PUBLIC_ACCESS_FLAGS),
    }
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    return moto_room


def invoke(event: Any) -> dict[str, Any]:
    result = remediation.handler(event, None)
    assert set(result) == {"status", "action", "detail"}
    return result


def assert_one_alert(room: MotoRoom, event: dict[str, Any], status: str) -> dict[str, Any]:
    """Exactly one alert was published, and it names ``event``; returns its message."""
    alerts = room.alerts()
    assert len(alerts) == 1, alerts
    subject, message = alerts[0]
    assert subject.startswith(f"dataroom {room.name}: ")
    assert len(subject) < 100 and subject.isascii() and subject.isprintable()
    detail = event["detail"]
    assert message["room"] == room.name
    assert message["status"] == status
    assert message["event"]["eventSource"] == detail["eventSource"]
    assert message["event"]["eventName"] == detail["eventName"]
    assert message["event"]["eventID"] == detail["eventID"]
    assert message["event"]["who"] == ACTOR_ARN
    return message


# --- The contract with the alert rules -------------------------------------------------------


def test_remediated_events_are_the_remediable_ones() -> None:
    assert alert_events.REMEDIABLE is REMEDIABLE_EVENTS


def test_every_remediated_event_has_a_remedy() -> None:
    names = {n for names in REMEDIABLE_EVENTS.values() for n in names}
    assert set(remediation._REMEDIES) == names


# --- Tampering is undone, and reported once ---------------------------------------------------


@pytest.mark.parametrize("by", ["name", "arn"])
def test_stopped_trail_logs_again(room: MotoRoom, by: str) -> None:
    room.client("cloudtrail").stop_logging(Name=room.trail)
    assert not room.is_logging()
    event = stop_logging(room.trail if by == "name" else room.trail_arn)

    result = invoke(event)

    assert result["status"] == "remediated"
    assert result["action"] == "StartLogging"
    assert room.is_logging()
    message = assert_one_alert(room, event, "remediated")
    assert "sourceIdentity" not in message["event"]
    room.assert_intact()


def test_the_alert_names_the_source_identity(room: MotoRoom) -> None:
    room.client("cloudtrail").stop_logging(Name=room.trail)
    event = stop_logging(room.trail)
    event["detail"]["userIdentity"]["sessionContext"]["sourceIdentity"] = "mallory@example.com"

    assert invoke(event)["status"] == "remediated"

    assert assert_one_alert(room, event, "remediated")["event"]["sourceIdentity"] == (
        "mallory@example.com"
    )


def test_disabled_detector_is_enabled_again(room: MotoRoom) -> None:
    room.client("guardduty").update_detector(DetectorId=room.detector, Enable=False)
    assert room.detector_status() == "DISABLED"
    event = update_detector(room.detector, enable=False)

    result = invoke(event)

    assert result["status"] == "remediated"
    assert result["action"] == "UpdateDetector"
    assert room.detector_status() == "ENABLED"
    assert_one_alert(room, event, "remediated")
    room.assert_intact()


def test_deleted_public_access_block_is_put_back(room: MotoRoom) -> None:
    room.client("s3").delete_public_access_block(Bucket=room.bucket)
    assert room.public_access_block() is None
    event = delete_public_access_block(room.bucket)

    result = invoke(event)

    assert result["status"] == "remediated"
    assert result["action"] == "PutPublicAccessBlock"
    assert room.public_access_block() == ALL_BLOCKED
    assert_one_alert(room, event, "remediated")
    room.assert_intact()


@pytest.mark.parametrize("flag", PUBLIC_ACCESS_FLAGS)
def test_weakened_public_access_block_is_put_back(room: MotoRoom, flag: str) -> None:
    weakened = {**ALL_BLOCKED, flag: False}
    room.client("s3").put_public_access_block(
        Bucket=room.bucket, PublicAccessBlockConfiguration=weakened
    )
    assert room.public_access_block() == weakened
    event = put_public_access_block(room.bucket, **{flag: False})

    result = invoke(event)

    assert result["status"] == "remediated"
    assert room.public_access_block() == ALL_BLOCKED
    assert_one_alert(room, event, "remediated")
    room.assert_intact()


def test_replaced_bucket_policy_is_restored(room: MotoRoom) -> None:
    public = _public_read_policy(room.bucket)
    room.client("s3").put_bucket_policy(Bucket=room.bucket, Policy=json.dumps(public))
    assert room.bucket_policy() == public
    event = put_bucket_policy(room.bucket, public)

    result = invoke(event)

    assert result["status"] == "remediated"
    assert result["action"] == "PutBucketPolicy"
    assert room.bucket_policy() == room.intended_policy
    assert_one_alert(room, event, "remediated")
    room.assert_intact()


def test_deleted_bucket_policy_is_restored(room: MotoRoom) -> None:
    room.client("s3").delete_bucket_policy(Bucket=room.bucket)
    assert room.bucket_policy() is None
    event = delete_bucket_policy(room.bucket)

    result = invoke(event)

    assert result["status"] == "remediated"
    assert room.bucket_policy() == room.intended_policy
    assert_one_alert(room, event, "remediated")
    room.assert_intact()


def test_deleted_flow_log_is_created_again(room: MotoRoom) -> None:
    room.client("ec2").delete_flow_logs(FlowLogIds=[room.flow_log])
    assert room.flow_logs() == []
    event = delete_flow_logs(room.flow_log)

    result = invoke(event)

    assert result["status"] == "remediated"
    assert result["action"] == "CreateFlowLogs"
    [flow_log] = room.flow_logs()
    assert flow_log["ResourceId"] == room.vpc
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert flow_log["LogGroupName"] == room.log_group
    assert flow_log["DeliverLogsPermissionArn"] == room.flow_log_role_arn
    assert flow_log["FlowLogId"] in assert_one_alert(room, event, "remediated")["detail"]


def test_deleted_flow_log_is_created_again_beside_a_foreign_one(room: MotoRoom) -> None:
    """Another flow log on the VPC (here: rejected traffic only) does not stand in for the room's."""
    ec2 = room.client("ec2")
    ec2.create_flow_logs(
        ResourceIds=[room.vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=f"{room.log_group}-other",
        DeliverLogsPermissionArn=room.flow_log_role_arn,
    )
    ec2.delete_flow_logs(FlowLogIds=[room.flow_log])
    event = delete_flow_logs(room.flow_log)

    assert invoke(event)["status"] == "remediated"

    rooms = [f for f in room.flow_logs() if f["LogGroupName"] == room.log_group]
    assert [f["TrafficType"] for f in rooms] == ["ALL"]
    assert_one_alert(room, event, "remediated")


# --- What is not the room's, or not tampering, is left alone and not reported -------------


def test_another_trail_is_left_alone(room: MotoRoom) -> None:
    cloudtrail = room.client("cloudtrail")
    other = cloudtrail.create_trail(Name=f"{room.name}-other", S3BucketName=f"{room.name}-trail")
    cloudtrail.start_logging(Name=other["Name"])
    cloudtrail.stop_logging(Name=other["Name"])

    for trail in (other["Name"], other["TrailARN"]):
        result = invoke(stop_logging(trail))
        assert result["status"] == "ignored", result
        assert result["action"] == "none"

    assert not room.is_logging(other["Name"])
    assert room.alerts() == []
    room.assert_intact()


def test_another_detector_is_left_alone(room: MotoRoom) -> None:
    guardduty = room.client("guardduty")
    other = guardduty.create_detector(Enable=True)["DetectorId"]
    guardduty.update_detector(DetectorId=other, Enable=False)

    assert invoke(update_detector(other, enable=False))["status"] == "ignored"

    assert room.detector_status(other) == "DISABLED"
    assert room.alerts() == []
    room.assert_intact()


def test_another_bucket_is_left_alone(room: MotoRoom) -> None:
    other = f"{room.name}-elsewhere"
    room.client("s3").create_bucket(Bucket=other)
    public = _public_read_policy(other)
    room.client("s3").put_bucket_policy(Bucket=other, Policy=json.dumps(public))

    for event in (
        delete_public_access_block(other),
        put_public_access_block(other, BlockPublicPolicy=False),
        put_bucket_policy(other, public),
        delete_bucket_policy(other),
    ):
        assert invoke(event)["status"] == "ignored"

    assert room.public_access_block(other) is None
    assert room.bucket_policy(other) == public
    assert room.alerts() == []
    room.assert_intact()


NOT_TAMPERING: dict[str, Callable[[MotoRoom], dict[str, Any]]] = {
    "detector enabled": lambda r: update_detector(r.detector, enable=True),
    "detector frequency changed": lambda r: update_detector(
        r.detector, findingPublishingFrequency="FIFTEEN_MINUTES"
    ),
    "public access block put fully on": lambda r: put_public_access_block(r.bucket),
    "bucket policy put as intended": lambda r: put_bucket_policy(r.bucket, r.intended_policy),
    "another flow log deleted": lambda r: delete_flow_logs("fl-0123456789abcdef0"),
    "StartLogging": lambda r: api_call_event(
        "cloudtrail.amazonaws.com", "StartLogging", {"name": r.trail}
    ),
    "DescribeTrails": lambda r: api_call_event(
        "cloudtrail.amazonaws.com", "DescribeTrails", None, read_only=True
    ),
    "GetBucketPolicy": lambda r: api_call_event(
        "s3.amazonaws.com", "GetBucketPolicy", {"bucketName": r.bucket}, read_only=True
    ),
    "DeleteTrail (alerted, not remediated)": lambda r: api_call_event(
        "cloudtrail.amazonaws.com", "DeleteTrail", {"name": r.trail}
    ),
    "StopLogging from another service": lambda r: api_call_event(
        "s3.amazonaws.com", "StopLogging", {"name": r.trail}
    ),
}


@pytest.mark.parametrize("make_event", NOT_TAMPERING.values(), ids=NOT_TAMPERING.keys())
def test_what_is_not_tampering_is_ignored(
    room: MotoRoom, make_event: Callable[[MotoRoom], dict[str, Any]]
) -> None:
    result = invoke(make_event(room))

    assert result["status"] == "ignored", result
    assert result["action"] == "none"
    assert room.alerts() == []
    room.assert_intact()


def test_a_refused_call_is_ignored(room: MotoRoom, caplog: pytest.LogCaptureFixture) -> None:
    """A refused StopLogging changed nothing, so nothing is undone: here the trail stays stopped."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    room.client("cloudtrail").stop_logging(Name=room.trail)
    event = api_call_event(
        "cloudtrail.amazonaws.com", "StopLogging", {"name": room.trail}, error_code="AccessDenied"
    )

    result = invoke(event)

    assert result["status"] == "ignored"
    assert "AccessDenied" in result["detail"]
    assert not room.is_logging()
    assert room.alerts() == []
    assert any(
        r.levelno == logging.INFO and "AccessDenied" in r.getMessage() for r in caplog.records
    )


def test_a_deployment_changing_a_bucket_policy_is_not_undone(room: MotoRoom) -> None:
    """CloudFormation writes the new intended policy; restoring the old one would race it."""
    new_policy = _public_read_policy(room.bucket)
    room.client("s3").put_bucket_policy(Bucket=room.bucket, Policy=json.dumps(new_policy))
    event = put_bucket_policy(room.bucket, new_policy)
    event["detail"]["userIdentity"]["invokedBy"] = "cloudformation.amazonaws.com"

    result = invoke(event)

    assert result["status"] == "ignored"
    assert "CloudFormation" in result["detail"]
    assert room.bucket_policy() == new_policy
    assert room.alerts() == []
    room.client("s3").put_bucket_policy(Bucket=room.bucket, Policy=json.dumps(room.intended_policy))


# --- Malformed events: logged, answered with "error", never raised ----------------------------


def _with_detail(**detail: Any) -> dict[str, Any]:
    event = stop_logging("dataroom-anything")
    event["detail"] = detail
    return event


def _with_parameters(event: dict[str, Any], parameters: Any) -> dict[str, Any]:
    event["detail"]["requestParameters"] = parameters
    return event


MALFORMED: dict[str, Callable[[MotoRoom], Any]] = {
    "None": lambda r: None,
    "empty": lambda r: {},
    "a list": lambda r: [stop_logging(r.trail)],
    "a string": lambda r: json.dumps(stop_logging(r.trail)),
    "detail a string": lambda r: {"detail": "x"},
    "detail empty": lambda r: {"detail": {}},
    "no eventName": lambda r: _with_detail(eventSource="cloudtrail.amazonaws.com"),
    "eventName a number": lambda r: _with_detail(eventSource="s3.amazonaws.com", eventName=7),
    "eventSource a list": lambda r: _with_detail(eventSource=["x"], eventName="StopLogging"),
    "requestParameters a string": lambda r: _with_parameters(stop_logging(r.trail), "name=x"),
    "userIdentity a list": lambda r: _with_detail(
        eventSource="cloudtrail.amazonaws.com",
        eventName="StopLogging",
        requestParameters={"name": r.trail},
        userIdentity=["arn:aws:iam::123456789012:root"],
    ),
    "StopLogging without parameters": lambda r: _with_parameters(stop_logging(r.trail), None),
    "bucketName a number": lambda r: _with_parameters(
        delete_bucket_policy(r.bucket), {"bucketName": 42}
    ),
    "enable a string": lambda r: update_detector(r.detector, enable="false"),
    "access block configuration a list": lambda r: _with_parameters(
        put_public_access_block(r.bucket),
        {"bucketName": r.bucket, "PublicAccessBlockConfiguration": []},
    ),
}


@pytest.mark.parametrize("make_event", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_event_is_logged_and_answered_with_error(
    room: MotoRoom, make_event: Callable[[MotoRoom], Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    result = invoke(make_event(room))

    assert result["status"] == "error", result
    errors = [r for r in caplog.records if r.name == LOGGER_NAME and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "malformed" in errors[0].getMessage()
    assert room.alerts() == []
    room.assert_intact()


# --- Failures: reported as FAILED, never raised ------------------------------------------------


def test_a_missing_intended_policy_is_reported_as_failed(
    room: MotoRoom, caplog: pytest.LogCaptureFixture
) -> None:
    room.client("ssm").delete_parameter(Name=room.parameter)
    public = _public_read_policy(room.bucket)
    room.client("s3").put_bucket_policy(Bucket=room.bucket, Policy=json.dumps(public))
    event = put_bucket_policy(room.bucket, public)

    result = invoke(event)

    assert result["status"] == "failed"
    assert result["action"] == "PutBucketPolicy"
    assert room.parameter in result["detail"]
    assert room.bucket_policy() == public
    message = assert_one_alert(room, event, "failed")
    assert room.parameter in message["detail"]
    assert any(r.levelno == logging.ERROR for r in caplog.records if r.name == LOGGER_NAME)


def test_an_error_response_is_reported_as_failed(
    room: MotoRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trail the environment names is gone: StartLogging answers TrailNotFoundException."""
    gone = f"dataroom-{room.name}-gone"
    monkeypatch.setenv("TRAIL_NAME", gone)
    event = stop_logging(gone)

    result = invoke(event)

    assert result["status"] == "failed"
    assert result["action"] == "StartLogging"
    assert "TrailNotFoundException" in result["detail"]
    alerts = room.alerts()
    assert len(alerts) == 1
    subject, message = alerts[0]
    assert "FAILED" in subject
    assert "TrailNotFoundException" in message["detail"]


def test_the_subject_is_short_printable_ascii_whatever_the_room_name(
    room: MotoRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOM_NAME", "r\u00e9sum\u00e9-" + "x" * 120)
    room.client("guardduty").update_detector(DetectorId=room.detector, Enable=False)

    assert invoke(update_detector(room.detector, enable=False))["status"] == "remediated"

    [(subject, message)] = room.alerts()
    assert subject.startswith("dataroom r?sum?-xxx")
    assert len(subject) == 99 and subject.isascii() and subject.isprintable()
    assert message["room"] == "r\u00e9sum\u00e9-" + "x" * 120


def test_a_report_that_cannot_be_published_is_logged(
    room: MotoRoom, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ALERT_TOPIC_ARN", f"arn:aws:sns:{REGION}:{ACCOUNT}:{room.name}-gone")
    room.client("guardduty").update_detector(DetectorId=room.detector, Enable=False)

    result = invoke(update_detector(room.detector, enable=False))

    assert result["status"] == "remediated"
    assert room.detector_status() == "ENABLED"
    assert any(
        r.levelno == logging.ERROR and "could not publish" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize(
    ("variable", "value"), [("VPC_ID", None), ("ROOM_BUCKETS", "not json"), ("ROOM_BUCKETS", "{}")]
)
def test_a_broken_configuration_is_logged_and_answered_with_error(
    room: MotoRoom,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variable: str,
    value: str | None,
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)

    result = invoke(delete_bucket_policy(room.bucket))

    assert result["status"] == "error"
    assert "configuration" in result["detail"]
    assert any(r.levelno == logging.ERROR for r in caplog.records if r.name == LOGGER_NAME)
    assert room.alerts() == []
