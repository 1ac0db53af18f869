"""RoomLifecycle: expiry warnings and freeze, the room's budget, evidence storage (LCY-1..3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import (
    ArnFormat,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    TimeZone,
)
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from dataroom import alert_events
from dataroom.constructs.access_logs import log_server_access
from dataroom.constructs.acknowledge import (
    NIST,
    NO_REPLICATION,
    SOLUTIONS,
    acknowledge,
    wildcard_resource,
)
from dataroom.constructs.alert_delivery import AlertDelivery
from dataroom.constructs.bounded_grant import grant_within_own_boundary
from dataroom.spec.lifecycle import (
    DEFAULT_BUDGET_USD_MONTH,
    freeze_instant,
    warning_instants,
)

#: The freeze function's directory, shipped as its code as-is (plain Python + boto3).
HANDLER_DIR = Path(__file__).resolve().parent.parent / "lifecycle"
#: The cost-allocation tag a budget filters on when rooms share an account. It must be activated
#: as a cost-allocation tag in the management account's Billing console.
ROOM_TAG = "dataroom:room"
#: Budget notifications: (notification type, percent of the monthly limit).
BUDGET_NOTIFICATIONS: tuple[tuple[str, int], ...] = (
    ("ACTUAL", 80),
    ("ACTUAL", 100),
    ("FORECASTED", 90),
)
#: The percent of actual spend at which the budget action freezes the room.
BUDGET_FREEZE_PERCENT = 100
#: Changes to the lifecycle's own machinery; each is an alert (the boundary denies them to rooms).
LIFECYCLE_TAMPERING: dict[str, tuple[str, ...]] = {
    "scheduler.amazonaws.com": (
        "CreateSchedule",
        "UpdateSchedule",
        "DeleteSchedule",
        "DeleteScheduleGroup",
    ),
    "budgets.amazonaws.com": (
        "UpdateBudget",
        "DeleteBudget",
        "CreateNotification",
        "UpdateNotification",
        "DeleteNotification",
        "UpdateSubscriber",
        "DeleteSubscriber",
        "UpdateBudgetAction",
        "DeleteBudgetAction",
        "ExecuteBudgetAction",
    ),
}
#: IAM calls that would loosen the freeze policy or take it off a role.
FREEZE_POLICY_CHANGES = (
    "DetachRolePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "DeletePolicy",
)


class RoomLifecycle(Construct):
    """A room's end of life, deployed with the room (LCY-1, LCY-2, LCY-3).

    - **Freeze policy** (``FreezePolicy``, named ``dataroom-<room>-freeze``): a managed policy
      denying every action. Attached to every room role in ``roles`` it stops all their work;
      only someone outside the room (``dataroom unfreeze``) can take it off again.
    - **Freeze function** (``Resource``): attaches the freeze policy to every room role, stops
      every SageMaker notebook instance tagged ``dataroom:room=<room>`` and reports to the alert
      topic. Its role may do exactly that, capped by a boundary of its own.
    - **Expiry schedules** (LCY-1): one-shot EventBridge Scheduler schedules in the schedule group
      ``dataroom-<room>``: warnings to the alert topic 14, 7 and 1 day before expiry (those due
      before ``today`` are left out) and, at expiry, the freeze function. The times are derived
      from ``expires``: extending it in the manifest moves them on the next deploy.
    - **Budget** (LCY-2): a monthly cost budget of ``budget_usd_month`` dollars, filtered to the
      room's account or, where rooms share one, to the ``dataroom:room`` cost-allocation tag;
      notifications at 80 % and 100 % actual and 90 % forecast spend; a budget action that
      attaches the freeze policy to the room roles automatically at 100 % actual spend.
    - **Evidence bucket** (LCY-3, ``Evidence``): object-locked in compliance mode, retained when
      the stack is deleted; ``dataroom retire`` writes the room's final evidence there.
    - **Guardrails**: ``boundary`` (the room's permissions boundary) gets a
      ``DenyLifecycleTampering`` statement: no room role can touch the schedules, the budget and
      its action, or take the freeze policy off; EventBridge rules alert on those calls.
    - **Unfreeze policy** (``dataroom-<room>-unfreeze``): what ``dataroom unfreeze`` needs, for
      the platform operators' role (it is attached to nothing here).

    :param room_name: the room; used in names.
    :param expires: the room's last day (inclusive, UTC).
    :param alert_topic: where warnings, budget notifications and freeze reports go.
    :param encryption_key: the room key, which encrypts ``alert_topic``; its policy is extended
        for AWS Budgets.
    :param roles: the room roles the freeze applies to (``add_role`` adds more before synthesis).
    :param boundary: the room's permissions boundary; it gets the lifecycle guardrail statement.
    :param access_logs_bucket: where the evidence bucket's server access logs go: an SSE-S3
        ``s3.Bucket`` of the same stack (its policy admits S3 log delivery for this bucket only;
        ``log_server_access``).
    :param budget_usd_month: the monthly budget. Default: 200 US dollars.
    :param linked_account: filter the budget to this account (the room has an account of its
        own). Default: filter on the ``dataroom:room`` cost-allocation tag.
    :param evidence_retention: compliance-mode retention of evidence objects. Default: 365 days.
    :param notify_emails: addresses to subscribe to ``alert_topic`` for the warnings and budget
        notifications (the owner and approvers it does not reach yet). Default: none.
    :param today: the day synthesis judges warnings against. Default: today (UTC).
    :param alert_delivery: the room's alert delivery (``RoomAlerts.delivery``): tampering rules
        then reach the topic admitted per rule, with retries and a watched dead-letter queue.
        Default: aws-cdk-lib's SNS target, which DataRoomChecks refuses in a room (PER-1).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        room_name: str,
        expires: dt.date,
        alert_topic: sns.ITopic,
        encryption_key: kms.IKey,
        roles: Sequence[iam.IRole],
        boundary: iam.ManagedPolicy,
        access_logs_bucket: s3.IBucket,
        budget_usd_month: int = DEFAULT_BUDGET_USD_MONTH,
        linked_account: str | None = None,
        evidence_retention: Duration | None = None,
        notify_emails: Sequence[str] = (),
        today: dt.date | None = None,
        alert_delivery: AlertDelivery | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if budget_usd_month < 1:
            raise ValueError(
                f"{self.node.path}: budget_usd_month={budget_usd_month}: expected a positive "
                "number of US dollars"
            )
        if not roles:
            raise ValueError(
                f"{self.node.path}: roles=[]: expected at least one room role to freeze"
            )
        stack = Stack.of(self)
        today = today or dt.datetime.now(dt.UTC).date()
        self.room_name = room_name
        self.expires = expires
        self._roles: list[iam.IRole] = []
        #: Statements whose resources are the room roles' ARNs (extended by ``add_role``).
        self._role_statements: list[iam.PolicyStatement] = []
        self._topic = alert_topic
        self._delivery = alert_delivery
        # Expiry warnings and budget notifications must reach the room's owner and approvers.
        # MON-6: an undeliverable notification lands in the alert delivery's watched queue.
        dead_letters = alert_delivery.dead_letters if alert_delivery is not None else None
        for email in dict.fromkeys(notify_emails):
            alert_topic.add_subscription(
                subscriptions.EmailSubscription(email, dead_letter_queue=dead_letters)
            )

        self.freeze_policy = iam.ManagedPolicy(
            self,
            "FreezePolicy",
            managed_policy_name=f"dataroom-{room_name}-freeze",
            description=f"dataroom {room_name}: frozen (expired or over budget); deny everything",
            statements=[
                iam.PolicyStatement(
                    sid="DataRoomFrozen",
                    effect=iam.Effect.DENY,
                    actions=["*"],
                    resources=["*"],
                )
            ],
        )
        # Named, so the room boundary can name it without a reference: the boundary is on roles
        # the room key's policy names, and the queue is encrypted with that key.
        self.dead_letters_name = f"dataroom-{room_name}-lifecycle-dead-letters"
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            queue_name=self.dead_letters_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=encryption_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.function = self._freeze_function(stack, encryption_key)

        self.schedule_group = scheduler.ScheduleGroup(
            self,
            "Schedules",
            schedule_group_name=f"dataroom-{room_name}",
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="scheduler",
                            resource="schedule",
                            resource_name=f"dataroom-{room_name}/*",
                        )
                    },
                },
            ),
            description=f"dataroom {room_name}: expiry warnings and the freeze at expiry",
        )
        self.warnings: dict[int, scheduler.Schedule] = {}
        for days, at in warning_instants(expires, today=today).items():
            self.warnings[days] = scheduler.Schedule(
                self,
                f"Warning{days}d",
                schedule_name=f"dataroom-{room_name}-expires-in-{days}d",
                schedule_group=self.schedule_group,
                schedule=scheduler.ScheduleExpression.at(at, TimeZone.ETC_UTC),
                time_window=scheduler.TimeWindow.off(),
                description=f"dataroom {room_name}: expires in {days} day(s)",
                target=scheduler_targets.SnsPublish(
                    alert_topic,
                    input=scheduler.ScheduleTargetInput.from_object(
                        _warning(room_name, expires, days)
                    ),
                    role=self.scheduler_role,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=3,
                ),
            )
        self.freeze_at = freeze_instant(expires, today=today)
        self.freeze_schedule = scheduler.Schedule(
            self,
            "FreezeAtExpiry",
            schedule_name=f"dataroom-{room_name}-freeze",
            schedule_group=self.schedule_group,
            schedule=scheduler.ScheduleExpression.at(self.freeze_at, TimeZone.ETC_UTC),
            time_window=scheduler.TimeWindow.off(),
            description=f"dataroom {room_name}: freeze at expiry ({expires.isoformat()})",
            target=scheduler_targets.LambdaInvoke(
                self.function,
                input=scheduler.ScheduleTargetInput.from_object(
                    {
                        "action": "freeze",
                        "reason": "expired",
                        "room": room_name,
                        "expires": expires.isoformat(),
                        "scheduleArn": scheduler.ContextAttribute.schedule_arn,
                        "scheduledTime": scheduler.ContextAttribute.scheduled_time,
                    }
                ),
                role=self.scheduler_role,
                dead_letter_queue=self.dead_letters,
                retry_attempts=3,
            ),
        )

        self.budget = self._budget(
            stack, encryption_key, budget_usd_month=budget_usd_month, linked_account=linked_account
        )
        self.evidence_bucket = s3.Bucket(
            self,
            "Evidence",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(
                evidence_retention or Duration.days(365)
            ),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            removal_policy=RemovalPolicy.RETAIN,
        )
        log_server_access(self.evidence_bucket, destination=access_logs_bucket, prefix="evidence/")
        self.evidence_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyPrincipalsOutsideTheRoomAccount",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[
                    self.evidence_bucket.bucket_arn,
                    self.evidence_bucket.arn_for_objects("*"),
                ],
                conditions={
                    "StringNotEquals": {"aws:PrincipalAccount": stack.account},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            )
        )
        detach = iam.PolicyStatement(
            sid="DetachTheFreezeOnly",
            actions=["iam:DetachRolePolicy"],
            conditions={"ArnEquals": {"iam:PolicyARN": self.freeze_policy.managed_policy_arn}},
        )
        self._role_statements.append(detach)
        self.unfreeze_policy = iam.ManagedPolicy(
            self,
            "UnfreezePolicy",
            managed_policy_name=f"dataroom-{room_name}-unfreeze",
            description=f"dataroom {room_name}: what `dataroom unfreeze` needs (for operators)",
            statements=[
                iam.PolicyStatement(
                    sid="FindFrozenRoles",
                    actions=["iam:ListEntitiesForPolicy", "iam:GetPolicy"],
                    resources=[self.freeze_policy.managed_policy_arn],
                ),
                detach,
                iam.PolicyStatement(
                    sid="ReadTheRoomStack",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[stack.stack_id],
                ),
            ],
        )
        for schedule in (*self.warnings.values(), self.freeze_schedule):
            # The group is named, not referenced: the schedule must wait for it.
            schedule.node.add_dependency(self.schedule_group)
        self._guard(stack, boundary)
        for role in roles:
            self.add_role(role)

        for output_id, value, description in (
            ("FreezePolicyArn", self.freeze_policy.managed_policy_arn, "the room's freeze"),
            ("UnfreezePolicyArn", self.unfreeze_policy.managed_policy_arn, "for operators"),
            ("FreezeFunctionName", self.function.function_name, "freezes the room"),
            ("EvidenceBucketName", self.evidence_bucket.bucket_name, "object-locked evidence"),
            ("ScheduleGroupName", self.schedule_group.schedule_group_name, "expiry schedules"),
            ("BudgetName", self.budget_name, "the room's monthly budget"),
        ):
            output = CfnOutput(self, output_id, value=value, description=description)
            # Read by `dataroom rooms`, `unfreeze` and `retire` by these exact keys.
            output.override_logical_id(output_id)

        self._acknowledge(stack)

    # --- public API ----------------------------------------------------------------------------

    @property
    def roles(self) -> tuple[iam.IRole, ...]:
        """The room roles the freeze applies to."""
        return tuple(self._roles)

    def add_role(self, role: iam.IRole) -> None:
        """Freeze ``role`` with the room (e.g. a workbench role added after this construct)."""
        self._roles.append(role)
        for statement in self._role_statements:
            statement.add_resources(role.role_arn)
        stack = Stack.of(self)
        names = stack.to_json_string([r.role_name for r in self._roles])
        self.function.add_environment("ROOM_ROLES", names)
        self.budget_action.definition = budgets.CfnBudgetsAction.DefinitionProperty(
            iam_action_definition=budgets.CfnBudgetsAction.IamActionDefinitionProperty(
                policy_arn=self.freeze_policy.managed_policy_arn,
                roles=[r.role_name for r in self._roles],
            )
        )

    @property
    def budget_name(self) -> str:
        """The budget's name, ``dataroom-<room>``."""
        return f"dataroom-{self.room_name}"

    # --- parts ---------------------------------------------------------------------------------

    def _acknowledge(self, stack: Stack) -> None:
        """The findings a RoomLifecycle raises by design, each on the child that raises it."""
        for policy in (self.freeze_permissions, self.freeze_boundary):
            acknowledge(
                policy,
                (
                    wildcard_resource(self, self._own_log_streams),
                    "Lambda names the log streams it creates; the wildcard covers the streams "
                    "of the freeze function's own log group and nothing else.",
                ),
                (
                    f"{SOLUTIONS}IAM5[Resource::*]",
                    "Only sagemaker:ListNotebookInstances, which supports no resource-level "
                    "permission; attaching is confined to the room roles and the freeze policy.",
                ),
                (
                    wildcard_resource(self, notebook_arns(stack)),
                    "SageMaker notebook instances are found by their dataroom:room tag, whoever "
                    "created them, so the stop names the notebook-instance type by wildcard; "
                    "StopNotebookInstance is further confined by aws:ResourceTag/dataroom:room "
                    "to this room's notebooks.",
                ),
            )
        acknowledge(
            self.scheduler_role,
            (
                f"{SOLUTIONS}IAM5[Action::kms:GenerateDataKey*]",
                "Emitted by aws-cdk-lib's grant to publish to the alert topic and send to the "
                "dead-letter queue, both encrypted with the room key; the resource is that key "
                "only.",
            ),
            (
                wildcard_resource(self, f"{self.function.function_arn}:*"),
                "Emitted by aws-cdk-lib's grant to invoke the freeze function: its versions "
                "and aliases, of that one function.",
            ),
        )
        for role in (self.freeze_role, self.scheduler_role):
            acknowledge(role, (f"{NIST}IAMNoInlinePolicy", SERVICE_ROLE_INLINE))
        acknowledge(
            self.function,
            (
                f"{NIST}LambdaConcurrency",
                "Lambda keeps 10 unreserved executions per account, so reserving any in a new "
                "account fails the deployment; the function runs once, at expiry, with a "
                "dead-letter queue for what it could not handle.",
            ),
            (
                f"{NIST}LambdaInsideVPC",
                "The function only calls AWS control-plane APIs (IAM, SageMaker, SNS); inside "
                "the glovebox it would need more interface endpoints in the room's perimeter, "
                "and the freeze must work even when the glovebox is broken. It holds no data and "
                "is capped by its own boundary.",
            ),
        )
        acknowledge(self.evidence_bucket, (f"{NIST}S3BucketReplicationEnabled", NO_REPLICATION))

    def _freeze_function(self, stack: Stack, key: kms.IKey) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_YEAR,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.log_group = log_group
        self._own_log_streams = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{log_group.log_group_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = iam.Role(
            self,
            "FreezeRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"dataroom {self.room_name}: freezes the room",
        )
        freeze_arn = self.freeze_policy.managed_policy_arn
        # Lazy: roles may be added (``add_role``) until synthesis.
        attach = iam.PolicyStatement(
            sid="AttachTheFreeze",
            actions=["iam:AttachRolePolicy"],
            conditions={"ArnEquals": {"iam:PolicyARN": freeze_arn}},
        )
        see = iam.PolicyStatement(
            sid="SeeAttachedPolicies", actions=["iam:ListAttachedRolePolicies"]
        )
        self._role_statements += [attach, see]
        statements = [
            attach,
            see,
            iam.PolicyStatement(
                # ListNotebookInstances supports no resource-level permission.
                sid="FindNotebooks",
                actions=["sagemaker:ListNotebookInstances"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="ReadNotebookTags",
                actions=["sagemaker:ListTags"],
                resources=[notebook_arns(stack)],
            ),
            iam.PolicyStatement(
                sid="StopTheRoomsNotebooks",
                actions=["sagemaker:StopNotebookInstance"],
                resources=[notebook_arns(stack)],
                conditions={"StringEquals": {f"aws:ResourceTag/{ROOM_TAG}": self.room_name}},
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                # The group's streams, named from the group's name (as its Arn attribute reads).
                resources=[self._own_log_streams],
            ),
            iam.PolicyStatement(
                sid="Report", actions=["sns:Publish"], resources=[self._topic.topic_arn]
            ),
            iam.PolicyStatement(
                sid="UseTheRoomKey",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
            ),
            iam.PolicyStatement(
                sid="DeadLetters",
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
            ),
        ]
        # The ceiling equals the grant, as for the remediation function: the room boundary denies
        # iam:Attach*, which is the freeze itself.
        self.freeze_permissions, self.freeze_boundary = grant_within_own_boundary(
            self,
            role,
            statements,
            permissions_id="FreezePermissions",
            boundary_id="FreezeBoundary",
            boundary_description="dataroom: permissions ceiling of the freeze function",
        )
        self.freeze_role = role
        return lambda_.Function(
            self,
            "Resource",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"]),
            role=role,
            timeout=Duration.seconds(120),
            memory_size=256,
            log_group=log_group,
            environment_encryption=key,
            dead_letter_queue=self.dead_letters,
            description=f"dataroom {self.room_name}: freezes the room at expiry",
            environment={
                "ROOM_NAME": self.room_name,
                "ALERT_TOPIC_ARN": self._topic.topic_arn,
                "FREEZE_POLICY_ARN": freeze_arn,
                "ROOM_ROLES": "[]",  # set by add_role
            },
        )

    def _budget(
        self,
        stack: Stack,
        key: kms.IKey,
        *,
        budget_usd_month: int,
        linked_account: str | None,
    ) -> budgets.CfnBudget:
        # AWS Budgets publishes to the (KMS-encrypted) topic as itself, for this account only.
        budgets_principal = iam.ServicePrincipal("budgets.amazonaws.com")
        source = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="budgets", region="", resource="budget", resource_name="*"
                )
            },
        }
        self._topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsOfThisAccountPublish",
                principals=[budgets_principal],
                actions=["sns:Publish"],
                resources=[self._topic.topic_arn],
                conditions=source,
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsOfThisAccount",
                principals=[budgets_principal],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        cost_filters: dict[str, list[str]] = (
            {"LinkedAccount": [linked_account]}
            if linked_account
            else {"TagKeyValue": [f"user:{ROOM_TAG}${self.room_name}"]}
        )
        subscriber = budgets.CfnBudget.SubscriberProperty(
            subscription_type="SNS", address=self._topic.topic_arn
        )
        budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=self.budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=budget_usd_month, unit="USD"),
                cost_filters=cost_filters,
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[subscriber],
                )
                for kind, percent in BUDGET_NOTIFICATIONS
            ],
        )

        # The budget action's execution role: attach (and, when Budgets reverses the action,
        # detach) the freeze policy on the room roles; nothing else, capped by its own boundary.
        freeze_arn = self.freeze_policy.managed_policy_arn
        apply = iam.PolicyStatement(
            sid="ApplyTheFreeze",
            actions=["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            conditions={"ArnEquals": {"iam:PolicyARN": freeze_arn}},
        )
        self._role_statements.append(apply)
        statements = [apply]
        self.budget_action_role = iam.Role(
            self,
            "BudgetActionRole",
            assumed_by=iam.ServicePrincipal(
                "budgets.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"dataroom {self.room_name}: the budget action's freeze",
        )
        self.budget_action_permissions, self.budget_action_boundary = grant_within_own_boundary(
            self,
            self.budget_action_role,
            statements,
            permissions_id="BudgetActionPermissions",
            boundary_id="BudgetActionBoundary",
            boundary_description="dataroom: permissions ceiling of the budget action's role",
        )
        self.budget_action = budgets.CfnBudgetsAction(
            self,
            "BudgetAction",
            budget_name=self.budget_name,
            action_type="APPLY_IAM_POLICY",
            notification_type="ACTUAL",
            action_threshold=budgets.CfnBudgetsAction.ActionThresholdProperty(
                type="PERCENTAGE", value=BUDGET_FREEZE_PERCENT
            ),
            approval_model="AUTOMATIC",
            execution_role_arn=self.budget_action_role.role_arn,
            definition=budgets.CfnBudgetsAction.DefinitionProperty(
                iam_action_definition=budgets.CfnBudgetsAction.IamActionDefinitionProperty(
                    policy_arn=freeze_arn,
                    roles=[],  # set by add_role
                )
            ),
            subscribers=[
                budgets.CfnBudgetsAction.SubscriberProperty(
                    type="SNS", address=self._topic.topic_arn
                )
            ],
        )
        self.budget_action.add_resource_dependency(budget)
        # The action's role must exist (with its policy) before Budgets validates it.
        self.budget_action.node.add_dependency(self.budget_action_permissions)
        return budget

    def _guard(self, stack: Stack, boundary: iam.ManagedPolicy) -> None:
        """No room role touches the lifecycle; every attempt (by anyone) is an alert."""
        # By name, as the queue above: the boundary refers to nothing of this construct.
        named_freeze_arn = stack.format_arn(
            service="iam",
            region="",
            resource="policy",
            resource_name=f"dataroom-{self.room_name}-freeze",
        )
        freeze_arn = self.freeze_policy.managed_policy_arn
        boundary.add_statements(
            iam.PolicyStatement(
                sid="DenyLifecycleTampering",
                effect=iam.Effect.DENY,
                actions=["scheduler:*", "budgets:*"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="DenyRemovingTheFreeze",
                effect=iam.Effect.DENY,
                actions=["iam:DetachRolePolicy", "iam:DeleteRolePolicy"],
                resources=["*"],
                conditions={"ArnEquals": {"iam:PolicyARN": named_freeze_arn}},
            ),
            iam.PolicyStatement(
                sid="DenyChangingTheFreeze",
                effect=iam.Effect.DENY,
                actions=[
                    f"iam:{name}" for name in FREEZE_POLICY_CHANGES if name != "DetachRolePolicy"
                ],
                resources=[named_freeze_arn],
            ),
            iam.PolicyStatement(
                sid="DenyEmptyingLifecycleDeadLetters",
                effect=iam.Effect.DENY,
                actions=["sqs:PurgeQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes"],
                resources=[stack.format_arn(service="sqs", resource=self.dead_letters_name)],
            ),
        )
        self.rules: dict[str, events.Rule] = {}
        pattern = alert_events.api_call_pattern(LIFECYCLE_TAMPERING)
        freeze_pattern = alert_events.api_call_pattern({"iam.amazonaws.com": FREEZE_POLICY_CHANGES})
        freeze_pattern["detail"]["requestParameters"] = {"policyArn": [freeze_arn]}
        for name, description, raw in (
            ("LifecycleTampering", "expiry schedules or the budget changed", pattern),
            ("FreezeTampering", "the freeze policy changed or taken off a role", freeze_pattern),
        ):
            rule = events.Rule(
                self,
                name,
                description=f"dataroom alert: {description}",
                event_pattern=events.EventPattern(
                    source=raw.get("source"),
                    detail_type=raw.get("detail-type"),
                    detail=raw.get("detail"),
                ),
            )
            if self._delivery is not None:
                # PER-1 and MON-6: admitted for this rule only, retried, dead letters alarmed.
                rule.add_target(self._delivery.target())
                self._delivery.watch_rule(name, rule)
            else:
                rule.add_target(events_targets.SnsTopic(self._topic))
            self.rules[name] = rule
        self._budget_freeze_completes_the_freeze()

    def _budget_freeze_completes_the_freeze(self) -> None:
        """When the budget action has attached the freeze, run the rest of it (notebooks, report).

        Budgets only attaches the policy; the same freeze function then stops the room's
        notebooks and reports. IAM's CloudTrail events reach EventBridge in us-east-1 only.
        """
        pattern = alert_events.api_call_pattern({"iam.amazonaws.com": ("AttachRolePolicy",)})
        pattern["detail"]["requestParameters"] = {
            "policyArn": [self.freeze_policy.managed_policy_arn]
        }
        pattern["detail"]["userIdentity"] = {
            "sessionContext": {"sessionIssuer": {"arn": [self.budget_action_role.role_arn]}}
        }
        self.budget_freeze_rule = events.Rule(
            self,
            "BudgetFreeze",
            description="dataroom: the budget action froze the room; stop its notebooks, report",
            event_pattern=events.EventPattern(
                source=pattern["source"],
                detail_type=pattern["detail-type"],
                detail=pattern["detail"],
            ),
        )
        self.budget_freeze_rule.add_target(
            events_targets.LambdaFunction(
                self.function,
                event=events.RuleTargetInput.from_object(
                    {"action": "freeze", "reason": "over budget", "room": self.room_name}
                ),
                dead_letter_queue=self.dead_letters,
                retry_attempts=2,
            )
        )
        if self._delivery is not None:
            # MON-6: a freeze that EventBridge cannot start raises an alarm, as every rule's.
            self._delivery.watch_rule("BudgetFreeze", self.budget_freeze_rule)
            self._delivery.watch_queue("LifecycleDeadLetters", self.dead_letters)


def read_role_freeze_policy(scope: Construct, *, room_name: str) -> iam.ManagedPolicy:
    """The production read role's freeze: a deny-all policy, ready to attach (attached to none).

    The read role already stops working at expiry through ``aws:CurrentTime`` (IAM-4); this
    policy is for freezing it earlier (overspend, an incident) with one command, and taking it off
    with ``dataroom unfreeze --production``: it lives in the production account, where the room's
    budget action cannot reach.
    """
    policy = iam.ManagedPolicy(
        scope,
        f"Freeze-{room_name}",
        managed_policy_name=f"dataroom-{room_name}-read-freeze",
        description=f"dataroom {room_name}: production read role frozen; deny everything",
        statements=[
            iam.PolicyStatement(
                sid="DataRoomFrozen", effect=iam.Effect.DENY, actions=["*"], resources=["*"]
            )
        ],
    )
    CfnOutput(scope, f"ReadFreezePolicyArn-{room_name}", value=policy.managed_policy_arn)
    return policy


def _warning(room_name: str, expires: dt.date, days: int) -> dict[str, Any]:
    return {
        "room": room_name,
        "event": "dataroom expiry warning",
        "expires": expires.isoformat(),
        "daysLeft": days,
        "message": (
            f"Data room {room_name} expires at the end of {expires.isoformat()} (UTC), in "
            f"{days} day(s). At expiry every room role is frozen and its notebooks are stopped. "
            "To keep working, extend 'expires' in the manifest with a new approval and deploy: "
            "the schedules move with it. To finish, run `dataroom retire`."
        ),
    }


#: Why the lifecycle's service roles carry aws-cdk-lib's inline policies (NIST IAMNoInlinePolicy).
SERVICE_ROLE_INLINE = (
    "Generated by aws-cdk-lib for this role's dead-letter queue, encrypted environment or "
    "schedule targets: sqs:SendMessage on the lifecycle's queue, kms on the room key, "
    "sns:Publish on the alert topic and lambda:InvokeFunction on the freeze function only."
)


def notebook_arns(stack: Stack) -> str:
    """Every SageMaker notebook instance of the stack's account and region."""
    return stack.format_arn(
        service="sagemaker",
        resource="notebook-instance",
        resource_name="*",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
