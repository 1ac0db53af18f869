"""SNS subscriptions of the alert topics (MON-4): the security team is subscribed, and the
subscription is confirmed (an unconfirmed e-mail subscription delivers nothing)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dataroom.audit.context import StackAudit, paginate
from dataroom.audit.errors import UnresolvableError, describe_failure, raise_if_fatal
from dataroom.audit.expectations import PENDING_SUBSCRIPTION
from dataroom.audit.findings import Status
from dataroom.audit.registry import Checker
from dataroom.audit.resolver import DeployedResource


def check_subscription(
    audit: StackAudit, logical_id: str, props: dict[str, Any], deployed: DeployedResource | None
) -> None:
    """Found on its topic by protocol and endpoint; confirmed."""
    kind = "AWS::SNS::Subscription"
    sns = audit.clients("sns")
    protocol = str(props.get("Protocol", ""))
    try:
        topic = audit.resolver.resolve_str(props["TopicArn"])
        endpoint = audit.resolver.resolve_str(props.get("Endpoint", ""))
        listed = paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
    except (ClientError, BotoCoreError, UnresolvableError, KeyError) as exc:
        raise_if_fatal(exc)
        audit.add(
            "MON-4", logical_id, "", kind, "subscribed", "a subscription",
            describe_failure(exc) if not isinstance(exc, UnresolvableError) else str(exc),
            "unverifiable",
        )  # fmt: skip
        return
    expected = f"{protocol} {endpoint} on {topic}"
    matching = [
        s for s in listed if s.get("Protocol") == protocol and s.get("Endpoint") == endpoint
    ]
    if not matching:
        audit.add(
            "MON-4", logical_id, "", kind, "subscribed", expected, "not subscribed", "missing"
        )
        return
    subscription = str(matching[0].get("SubscriptionArn", ""))
    target = (logical_id, subscription, kind)
    audit.add("MON-4", *target, "subscribed", expected, "subscribed", "ok")

    def confirmed() -> tuple[str, str, Status]:
        if subscription == PENDING_SUBSCRIPTION:
            return "confirmed", "pending confirmation", "drift"
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
        pending = str(attributes.get("PendingConfirmation", "false")).lower() == "true"
        return (
            "confirmed",
            "pending confirmation" if pending else "confirmed",
            ("drift" if pending else "ok"),
        )

    audit.run("MON-4", target, "confirmed", confirmed)


CHECKER = Checker("AWS::SNS::Subscription", "MON-4", check_subscription, finds_unlisted=True)
