"""RoomAlerts: a room's encrypted alert topic, the events that feed it and its alarms (MON-4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from dataroom import alert_events
from dataroom.constructs.alert_delivery import AlertDelivery

#: CloudWatch Logs filters on the trail's log group (CIS AWS Foundations 4.1 and 4.3).
METRIC_FILTERS: Mapping[str, str] = {
    "UnauthorizedApiCalls": (
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
    ),
    "RootAccountUsage": (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }'
    ),
}


class RoomAlerts(Construct):
    """Everything that should wake the security team about a room, sent to one encrypted topic.

    - ``GuardDutyFindings``: findings at or above ``min_severity``.
    - ``Tampering``: attempts to stop or change the trail, detector, Config, bucket policies and
      public-access blocks, key policies, the DNS firewall, log groups, alarms or these rules.
    - ``NetworkChanges``: gateways, peering, routes, endpoints, flow logs, egress rules.
    - ``IamChanges``: any IAM write (IAM events reach EventBridge in us-east-1 only; elsewhere
      the rule exists but cannot fire, and the ``UnauthorizedApiCalls`` alarm still counts
      refused IAM calls).
    - CloudWatch alarms on the trail's log group: unauthorized API calls and root use.

    The topic (``Resource``) is encrypted with ``encryption_key``, refuses non-TLS publishers and
    admits EventBridge and CloudWatch of this account only.

    :param encryption_key: the room key; its policy is extended for EventBridge and CloudWatch.
    :param emails: addresses subscribed to the topic (each must confirm by e-mail).
    :param trail_log_group: the room trail's CloudWatch Logs group, for the metric filters.
    :param metric_namespace: CloudWatch namespace of the filters' metrics.
    :param min_severity: lowest GuardDuty severity alerted on. Default: 4.0 (medium).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        emails: Sequence[str],
        trail_log_group: logs.ILogGroup,
        metric_namespace: str,
        min_severity: float = alert_events.DEFAULT_MIN_SEVERITY,
    ) -> None:
        super().__init__(scope, construct_id)
        if not emails:
            raise ValueError(
                f"{self.node.path}: emails=[]: expected at least one address; an alert nobody "
                "receives is not an alert"
            )
        stack = Stack.of(self)
        self.topic = sns.Topic(
            self,
            "Resource",
            display_name="dataroom alerts",
            master_key=encryption_key,
            enforce_ssl=True,
        )
        # MON-6: retries, a dead-letter queue and failed-delivery alarms for everything below.
        self.delivery = AlertDelivery(
            self, "Delivery", topic=self.topic, encryption_key=encryption_key
        )
        for email in emails:
            self.topic.add_subscription(
                subscriptions.EmailSubscription(email, dead_letter_queue=self.delivery.dead_letters)
            )
        # The alarms below publish as CloudWatch of this account; the topic policy must say so.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsOfThisAccountPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
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
        self._allow_publishers(encryption_key, stack)

        self.rules: dict[str, events.Rule] = {}
        patterns: dict[str, dict[str, Any]] = {
            "GuardDutyFindings": alert_events.guardduty_pattern(min_severity),
            "Tampering": alert_events.api_call_pattern(alert_events.TAMPERING),
            "NetworkChanges": alert_events.api_call_pattern(alert_events.NETWORK),
            "IamChanges": alert_events.api_call_pattern(alert_events.IAM),
        }
        for name, pattern in patterns.items():
            self.rules[name] = self.add_rule(name, pattern)

        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for name, filter_pattern in METRIC_FILTERS.items():
            metric_filter = logs.MetricFilter(
                self,
                f"{name}Filter",
                log_group=trail_log_group,
                filter_pattern=logs.FilterPattern.literal(filter_pattern),
                metric_namespace=metric_namespace,
                metric_name=name,
                metric_value="1",
                default_value=0,
            )
            alarm = cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                metric=metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"dataroom: {name} in the room account",
            )
            alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
            self.alarms[name] = alarm

    def add_rule(self, name: str, pattern: Mapping[str, Any]) -> events.Rule:
        """An EventBridge rule sending events that match ``pattern`` to the topic."""
        rule = events.Rule(
            self,
            name,
            description=f"dataroom alert: {name}",
            event_pattern=events.EventPattern(
                source=pattern.get("source"),
                detail_type=pattern.get("detail-type"),
                detail=pattern.get("detail"),
            ),
        )
        rule.add_target(self.delivery.target())
        self.delivery.watch_rule(name, rule)
        return rule

    @property
    def topic_arn(self) -> str:
        """The topic's ARN."""
        return self.topic.topic_arn

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Publish to the topic (and use its key)."""
        return self.topic.grant_publish(grantee)

    @staticmethod
    def _allow_publishers(key: kms.IKey, stack: Stack) -> None:
        # EventBridge and CloudWatch publish to an encrypted topic only if the key admits them.
        added = key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlertPublishersOfThisAccount",
                principals=[
                    iam.ServicePrincipal("events.amazonaws.com"),
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                ],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        if not added.statement_added:
            raise ValueError("encryption_key: expected a key defined in this app")
