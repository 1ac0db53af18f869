"""An in-process moto holding an airlock (buckets, table, state machine) that really executes.

The state machine is the one the construct deploys (``dataroom.airlock.definition``), given to
moto's Step Functions interpreter (``execute_state_machine``) with concrete names and short
timings; moto runs its DynamoDB and S3 SDK integrations against the same in-process backends.
GuardDuty does not run in moto: :meth:`Airlock.scan` plays its part and tags review versions.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dataroom.airlock.definition import BY_REQUEST_INDEX, CLEAN, SCAN_TAG, definition, render
from dataroom.airlock.records import (
    BY_KIND_INDEX,
    ExportObject,
    decision_item,
    new_request_id,
    request_item,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
APPROVERS = ("bob@example.com", "carol@example.com", "alice@example.com")
NAMES = {
    "Table": "dataroom-room-airlock",
    "ResultsBucket": "room-results",
    "ReviewBucket": "room-review",
    "ExportBucket": "room-export",
    "ReleaseRoleArn": f"arn:aws:iam::{ACCOUNT}:role/release",
}
#: How long a test waits for the machine before failing (moto runs it in a thread).
DEADLINE_S = 60.0


@dataclass
class Airlock:
    """The airlock's AWS resources in moto, and the moves people (and GuardDuty) make."""

    s3: Any
    ddb: Any
    sfn: Any
    machines: dict[tuple[int, int], str] = field(default_factory=dict)

    def machine(self, *, poll_seconds: int = 0, ttl_seconds: int = 100_000) -> str:
        key = (poll_seconds, ttl_seconds)
        if key not in self.machines:
            text = render(
                definition(approvers=APPROVERS, poll_seconds=poll_seconds, ttl_seconds=ttl_seconds),
                NAMES,
            )
            self.machines[key] = self.sfn.create_state_machine(
                name=f"airlock-{poll_seconds}-{ttl_seconds}",
                definition=text,
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
            )["stateMachineArn"]
        return self.machines[key]

    def put_result(self, key: str, body: bytes, **kwargs: Any) -> str:
        response = self.s3.put_object(Bucket=NAMES["ResultsBucket"], Key=key, Body=body, **kwargs)
        return str(response["VersionId"])

    def request(
        self,
        objects: list[ExportObject],
        *,
        requester: str = "alice@example.com",
        decisions: tuple[tuple[str, str], ...] = (),
        **machine: int,
    ) -> tuple[str, str]:
        """Write the request row (and any decisions), start the machine: (id, execution arn)."""
        request_id = new_request_id()
        item = request_item(
            request_id=request_id,
            requester=requester,
            room="room",
            objects=objects,
            reason="clusters for the detection team",
            caller_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/scientist/{requester}",
        )
        self.ddb.put_item(TableName=NAMES["Table"], Item=item)
        for who, decision in decisions:
            self.decide(request_id, who, decision)
        execution = self.sfn.start_execution(
            stateMachineArn=self.machine(**machine),
            name=request_id,
            input=json.dumps({"request_id": request_id, "requester": requester}),
        )["executionArn"]
        return request_id, execution

    def decide(self, request_id: str, who: str, decision: str, *, sk: str | None = None) -> None:
        item = decision_item(request_id=request_id, approver=who, decision=decision, comment="")
        if sk is not None:
            item["sk"] = {"S": sk}
        self.ddb.put_item(TableName=NAMES["Table"], Item=item)

    def states(self, request_id: str) -> list[str]:
        items = self.ddb.query(
            TableName=NAMES["Table"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"airlock#{request_id}"}},
        )["Items"]
        return [i["state"]["S"] for i in sorted(items, key=lambda i: i["sk"]["S"])]

    def state_row(self, request_id: str, state: str) -> dict[str, Any]:
        items = self.ddb.query(
            TableName=NAMES["Table"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"airlock#{request_id}"}},
        )["Items"]
        (row,) = [i for i in items if i["state"]["S"] == state]
        return {k: next(iter(v.values())) for k, v in row.items()}

    def wait_for(self, request_id: str, state: str, execution: str) -> list[str]:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            states = self.states(request_id)
            if state in states:
                return states
            status = self.sfn.describe_execution(executionArn=execution)
            if status["status"] != "RUNNING":
                states = self.states(request_id)
                assert state in states, (states, status.get("error"), status.get("cause"))
                return states
            time.sleep(0.05)
        raise AssertionError(f"{request_id} never reached {state}: {self.states(request_id)}")

    def finish(self, execution: str) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            status = self.sfn.describe_execution(executionArn=execution)
            if status["status"] != "RUNNING":
                return dict(status)
            time.sleep(0.05)
        raise AssertionError(f"{execution} still running after {DEADLINE_S} s")

    def entered(self, execution: str, state: str) -> int:
        events = self.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        return sum(1 for e in events if e.get("stateEnteredEventDetails", {}).get("name") == state)

    def wait_entered(self, execution: str, state: str, times: int) -> None:
        """Until the machine has entered ``state`` at least ``times`` times."""
        deadline = time.monotonic() + DEADLINE_S
        while self.entered(execution, state) < times:
            assert time.monotonic() < deadline, f"{state} entered fewer than {times} times"
            time.sleep(0.1)

    def review_versions(self, request_id: str) -> list[dict[str, Any]]:
        listed = self.s3.list_object_versions(Bucket=NAMES["ReviewBucket"], Prefix=f"{request_id}/")
        return list(listed.get("Versions", []))

    def scan(self, request_id: str, verdict: str = CLEAN) -> None:
        """What GuardDuty does: tag each scanned version of the request with its verdict."""
        for version in self.review_versions(request_id):
            self.s3.put_object_tagging(
                Bucket=NAMES["ReviewBucket"],
                Key=version["Key"],
                VersionId=version["VersionId"],
                Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": verdict}]},
            )

    def exported(self, request_id: str, key: str) -> bytes:
        body = self.s3.get_object(Bucket=NAMES["ExportBucket"], Key=f"{request_id}/{key}")["Body"]
        return bytes(body.read())

    def export_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=NAMES["ExportBucket"])
        return [o["Key"] for o in listed.get("Contents", [])]


@pytest.fixture(scope="module")
def airlock() -> Iterator[Airlock]:
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        s3 = boto3.client("s3", region_name=REGION)
        ddb = boto3.client("dynamodb", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        for bucket in ("ResultsBucket", "ReviewBucket", "ExportBucket"):
            s3.create_bucket(Bucket=NAMES[bucket])
            s3.put_bucket_versioning(
                Bucket=NAMES[bucket], VersioningConfiguration={"Status": "Enabled"}
            )
        attributes = ("pk", "sk", "request_id", "kind", "at")
        ddb.create_table(
            TableName=NAMES["Table"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": name,
                    "KeySchema": [
                        {"AttributeName": hash_key, "KeyType": "HASH"},
                        {"AttributeName": range_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for name, hash_key, range_key in (
                    (BY_REQUEST_INDEX, "request_id", "sk"),
                    (BY_KIND_INDEX, "kind", "at"),
                )
            ],
        )
        yield Airlock(s3=s3, ddb=ddb, sfn=sfn)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
