"""PER-2: no copy of room data or logs leaves the room's account.

Two ways a template copies out without any call a role makes: a bucket's
``ReplicationConfiguration`` (S3 replicates with its own role, to any account or region; room
data stays in the room's account and region, so any replication is refused), and a log group's
``AWS::Logs::SubscriptionFilter`` whose destination is not a resource of the same template nor
an ARN of the stack's own account.
"""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict, ref_target
from dataroom.policies.rules.policy_documents import literal_text, of_account


def destination_is_own(destination: Any, ctx: RuleContext) -> bool:
    """Whether a subscription's destination is of the template or of the stack's account."""
    target = ref_target(destination)
    if target is not None:
        return target in ctx.template.get("Resources", {})
    return of_account(destination, ctx.account)


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    if ctx.resource.get("Type") == "AWS::S3::Bucket":
        if props.get("ReplicationConfiguration"):
            return ["the bucket replicates its objects (ReplicationConfiguration)"]
        return True
    destination = props.get("DestinationArn")
    if destination_is_own(destination, ctx):
        return True
    return [f"the subscription delivers to {literal_text(destination) or destination!r}"]


RULE = Rule(
    rule_id="PER2NoCopiesOut",
    control="PER-2",
    info="A bucket replicates, or a log subscription delivers outside the stack's account.",
    explanation="Replication and log subscriptions copy room data and logs with a service's "
    "own credentials, past every deny on the room's roles: in a room's account a bucket does "
    "not replicate, and a subscription delivers only to the room's own resources.",
    resource_types=frozenset({"AWS::S3::Bucket", "AWS::Logs::SubscriptionFilter"}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
