"""``dataroom audit --probe``: a test event through each alert topic, seen arriving (MON-4).

For every SNS topic an alert rule of the stack targets, the probe

1. creates an SQS queue that only that topic may send to, and subscribes it to the topic;
2. creates an EventBridge rule matching only events of source ``dataroom.audit.probe`` carrying
   this run's id, targeting the topic;
3. sends one such event with ``events:PutEvents`` and waits for it on the queue;
4. if it does not arrive, publishes to the topic directly and waits again, to tell which leg
   is broken;
5. removes the rule, the subscription and the queue, whatever happened.

What an ``ok`` proves: EventBridge in that account and region delivers a matching event to the
alert topic (the topic policy admits EventBridge, the topic's KMS key lets EventBridge and SNS use
it) and the topic delivers to its subscribers. What it does not prove: that the real alert rules
match the real events (their patterns are compared with the templates' by the rule checker), that
an e-mail subscriber reads the mail, or that CloudTrail delivers API calls to EventBridge.
The probe writes: it needs ``policy-probe.json`` on top of the read-only policy.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import StackAudit
from dataroom.audit.errors import describe_failure, raise_if_fatal
from dataroom.audit.expectations import PROBE_SOURCE
from dataroom.audit.findings import Finding, Status

PROBE_DETAIL_TYPE = "dataroom audit probe"
#: How long the probe waits for each leg.
DEFAULT_WAIT_S = 20.0


def alert_topics(audit: StackAudit) -> list[tuple[str, str]]:
    """``(logical id, topic ARN)`` of every topic an EventBridge rule of the stack targets."""
    topics: dict[str, str] = {}
    for _, props in audit.of_type("AWS::Events::Rule"):
        for target in props.get("Targets", []):
            arn = target.get("Arn", {})
            logical_id = arn.get("Ref") if isinstance(arn, dict) else None
            if logical_id and audit.resource_type(logical_id) == "AWS::SNS::Topic":
                topics[logical_id] = audit.resolver.resolve_str(arn)
    return sorted(topics.items())


def _arrived(
    sqs: Any, queue_url: str, marker: str, wait_s: float, sleep: Callable[[float], None]
) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        if any(marker in str(m.get("Body", "")) for m in messages):
            return True
        if time.monotonic() >= deadline:
            return False
        sleep(0.5)


def probe_topic(
    clients: Callable[[str], Any],
    topic_arn: str,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, str, Status]:
    """Send a test event to one topic through EventBridge; (expected, actual, status)."""
    events, sns, sqs = clients("events"), clients("sns"), clients("sqs")
    run = uuid.uuid4().hex[:12]
    name = f"dataroom-audit-probe-{run}"
    expected = "a test event through EventBridge and the topic arrives"
    cleanup: list[Callable[[], Any]] = []
    try:
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        cleanup.append(lambda: sqs.delete_queue(QueueUrl=queue_url))
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
        subscription = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        cleanup.append(lambda: sns.unsubscribe(SubscriptionArn=subscription))
        pattern = {"source": [PROBE_SOURCE], "detail": {"probe": [run]}}
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        cleanup.append(lambda: events.delete_rule(Name=name))
        events.put_targets(Rule=name, Targets=[{"Id": "alerts", "Arn": topic_arn}])
        cleanup.append(lambda: events.remove_targets(Rule=name, Ids=["alerts"]))
        sent = events.put_events(
            Entries=[
                {
                    "Source": PROBE_SOURCE,
                    "DetailType": PROBE_DETAIL_TYPE,
                    "Detail": json.dumps({"probe": run}),
                }
            ]
        )
        if sent.get("FailedEntryCount"):
            return expected, f"PutEvents refused the test event: {sent.get('Entries')}", "drift"
        if _arrived(sqs, queue_url, run, wait_s, sleep):
            return expected, f"arrived (probe {run})", "ok"
        direct = f"direct-{run}"
        sns.publish(TopicArn=topic_arn, Message=json.dumps({"probe": direct}))
        if _arrived(sqs, queue_url, direct, wait_s, sleep):
            actual = (
                f"nothing arrived in {wait_s:.0f} s through EventBridge; a direct publish to "
                "the topic did arrive: EventBridge cannot deliver to the topic"
            )
        else:
            actual = f"nothing arrived in {wait_s:.0f} s, not even a direct publish to the topic"
        return expected, actual, "drift"
    finally:
        for undo in reversed(cleanup):
            # Best effort; the names carry the run id for a manual clean-up.
            with contextlib.suppress(ClientError, BotoCoreError):
                undo()


def probe_alert_path(audit: StackAudit, *, wait_s: float = DEFAULT_WAIT_S) -> list[Finding]:
    """One MON-4 finding per alert topic of the stack."""
    findings: list[Finding] = []
    for logical_id, topic in alert_topics(audit):
        try:
            expected, actual, status = probe_topic(audit.clients, topic, wait_s=wait_s)
        except (ClientError, BotoCoreError) as exc:
            raise_if_fatal(exc)
            expected = "a test event through EventBridge and the topic arrives"
            actual, status = describe_failure(exc), "unverifiable"
        findings.append(
            Finding(
                audit.artifact.stack_name,
                "MON-4",
                logical_id,
                topic,
                "AWS::SNS::Topic",
                "probe: test event delivered",
                expected,
                actual,
                status,
                audit.account,
                audit.region,
            )
        )
    return findings
