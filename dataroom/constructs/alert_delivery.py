"""AlertDelivery: an alert that cannot be delivered raises an alarm of its own (MON-6, PER-1)."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from dataroom.constructs.acknowledge import SOLUTIONS, acknowledge

#: How long and how often EventBridge keeps trying to deliver an alert before dead-lettering it.
MAX_EVENT_AGE = Duration.hours(24)
RETRY_ATTEMPTS = 185


@jsii.implements(events.IRuleTarget)
class AlertTopicTarget:
    """An encrypted alert topic as an EventBridge target, admitted for one rule only.

    aws-cdk-lib's ``targets.SnsTopic`` admits ``events.amazonaws.com`` to the topic with no
    condition, so any rule of any account could publish to it (confused deputy, PER-1). This
    target admits the service only for the rule it is bound to (``aws:SourceArn``) in this
    account (``aws:SourceAccount``), and gives the target a retry policy and a dead-letter queue
    (MON-6). The topic's key must already admit EventBridge of this account.
    """

    def __init__(
        self,
        topic: sns.ITopic,
        *,
        dead_letter_queue: sqs.IQueue,
        max_event_age: Duration = MAX_EVENT_AGE,
        retry_attempts: int = RETRY_ATTEMPTS,
    ) -> None:
        self.topic = topic
        self.dead_letter_queue = dead_letter_queue
        self.max_event_age = max_event_age
        self.retry_attempts = retry_attempts

    def bind(self, rule: Any, id: str | None = None) -> events.RuleTargetConfig:
        rule_arn = _rule_arn(rule)
        account = Stack.of(rule).account
        from_this_rule = {
            "ArnEquals": {"aws:SourceArn": rule_arn},
            "StringEquals": {"aws:SourceAccount": account},
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_this_rule,
            )
        )
        self.dead_letter_queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letter_queue.queue_arn],
                conditions=from_this_rule,
            )
        )
        return events.RuleTargetConfig(
            arn=self.topic.topic_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self.dead_letter_queue.queue_arn
            ),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=int(self.max_event_age.to_seconds()),
                maximum_retry_attempts=self.retry_attempts,
            ),
            target_resource=self.topic,
        )


def _rule_arn(rule: Any) -> str:
    arn = getattr(rule, "rule_arn", None)
    if arn is None:
        arn = rule.rule_ref.rule_arn
    return str(arn)


class AlertDelivery(Construct):
    """The dead-letter queue and failed-delivery alarms of one alert topic (MON-6).

    - ``DeadLetters``: an SQS queue encrypted with ``encryption_key``, TLS only, 14 days'
      retention; EventBridge targets (:meth:`target`) and the topic's subscriptions
      (:meth:`subscription_dead_letters`) put what they could not deliver there.
    - Alarms, each notifying ``topic``: the queue holds a message
      (``ApproximateNumberOfMessagesVisible`` > 0), the topic failed a notification
      (``NumberOfNotificationsFailed`` > 0), and, per watched rule, EventBridge failed an
      invocation (``FailedInvocations`` > 0). :meth:`watch_queue` adds the same alarm on another
      dead-letter queue (the remediation function's).

    An alarm about the topic that failed also goes to that topic: its state is in CloudWatch
    and in the audit (DRF-3) even when the message does not arrive.

    :param topic: the alert topic.
    :param encryption_key: the key of the topic and of the dead-letter queue; its policy is
        extended for SNS of this account (subscription dead letters).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        encryption_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.topic = topic
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        # MON-6: a DLQ, which cdk-nag recognises only when another queue's RedrivePolicy names it.
        acknowledge(
            self.dead_letters,
            (
                f"{SOLUTIONS}SQS3",
                "This queue is the dead-letter queue of the alert rules' targets "
                "(Targets[].DeadLetterConfig) and of the topic's subscriptions (RedrivePolicy); "
                "cdk-nag only recognises a DLQ named by another queue's RedrivePolicy. An alarm "
                "fires when it holds a message.",
            ),
        )
        added = encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowSnsDeadLettersOfThisAccount",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        if not added.statement_added:
            raise ValueError(
                f"{self.node.path}: encryption_key: expected a key defined in this app"
            )
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.watch_queue("DeadLetters", self.dead_letters)
        self._alarm(
            "NotificationsFailed",
            cloudwatch.Metric(
                namespace="AWS/SNS",
                metric_name="NumberOfNotificationsFailed",
                dimensions_map={"TopicName": topic.topic_name},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            "the alert topic failed to deliver a notification",
        )

    def target(self) -> AlertTopicTarget:
        """The topic as an EventBridge target with retries and this dead-letter queue."""
        return AlertTopicTarget(self.topic, dead_letter_queue=self.dead_letters)

    def watch_rule(self, name: str, rule: events.Rule) -> cloudwatch.Alarm:
        """Alarm when EventBridge fails to invoke a target of ``rule``."""
        return self._alarm(
            f"{name}FailedInvocations",
            cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="FailedInvocations",
                dimensions_map={"RuleName": rule.rule_name},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            f"EventBridge failed to deliver a {name} event",
        )

    def watch_queue(self, name: str, queue: sqs.IQueue) -> cloudwatch.Alarm:
        """Alarm when the dead-letter queue ``queue`` holds a message."""
        return self._alarm(
            f"{name}NotEmpty",
            queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=Duration.minutes(5)
            ),
            f"dead-letter queue {name} holds an alert that was not delivered",
        )

    def _alarm(self, name: str, metric: cloudwatch.IMetric, what: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=0,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"dataroom MON-6: {what}",
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        self.alarms[name] = alarm
        return alarm


def admit_alarms(topic: sns.ITopic, encryption_key: kms.IKey) -> None:
    """Let CloudWatch alarms of this account (and no other) publish to the encrypted ``topic``."""
    stack = Stack.of(topic)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AlarmsOfThisAccountPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="cloudwatch",
                        resource="alarm",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                },
            },
        )
    )
    added = encryption_key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowAlarmsOfThisAccount",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )
    if not added.statement_added:
        raise ValueError(f"{topic.node.path}: encryption_key: expected a key defined in this app")
