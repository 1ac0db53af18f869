"""NET-2/NET-3: every VPC endpoint has a policy that fences it to the room.

The S3 gateway endpoint names each bucket it lets through (no ``*``, no ``prod-*``); an interface
endpoint's Allow statements must pin principals (or resources) to the room's own account — a
condition on some other key, or on another account, does not fence anything.
"""

from __future__ import annotations

from typing import Any

from dataroom.controls.judge import principal_text
from dataroom.controls.network import ANY_BUCKET, ENDPOINT_PIN_KEYS
from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, statements

_EQUALS = ("StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringEquals")


def _own_account(value: Any, account: str) -> bool:
    return bool(value == account or value == {"Ref": "AWS::AccountId"})


def pinned_to(statement: dict[str, Any], account: str) -> bool:
    """Whether an Allow is confined to ``account`` by an equality on an account key."""
    condition = statement.get("Condition", {})
    for operator, keys in condition.items() if isinstance(condition, dict) else ():
        if operator not in _EQUALS or not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            if (
                key.lower() in ENDPOINT_PIN_KEYS
                and as_list(values)
                and all(_own_account(v, account) for v in as_list(values))
            ):
                return True
    return False


def _wildcard_bucket(resource: Any) -> bool:
    """Whether ``resource`` names buckets by pattern (``*``, ``prod-*``, ``*-public``): the
    endpoint must name each bucket it lets through."""
    text = principal_text(resource)  # references become markers, joins are joined
    if text in ANY_BUCKET:
        return True
    _, separator, rest = text.partition(":s3:::")
    bucket = rest.split("/", 1)[0]
    return bool(separator) and ("*" in bucket or "?" in bucket)


def check(ctx: RuleContext) -> Verdict:
    props = ctx.properties
    policy = props.get("PolicyDocument")
    if not statements(policy):
        return ["no endpoint policy: the endpoint admits every principal and resource"]
    findings = []
    gateway = props.get("VpcEndpointType", "Gateway") == "Gateway"
    for index, statement in enumerate(statements(policy)):
        if statement.get("Effect") != "Allow":
            continue
        resources = as_list(statement.get("Resource"))
        if gateway and any(_wildcard_bucket(r) for r in resources):
            findings.append(f"statement {index} allows buckets by pattern, not by name")
        if not gateway and not pinned_to(statement, ctx.account):
            findings.append(
                f"statement {index} is not pinned to the room account {ctx.account} "
                f"({'/'.join(ENDPOINT_PIN_KEYS)} equal to it)"
            )
    return findings


RULE = Rule(
    rule_id="NET3EndpointPerimeter",
    control="NET-3",
    info="A VPC endpoint has no data-perimeter policy, or its policy admits any bucket or is not "
    "pinned to the room account.",
    explanation="The S3 endpoint may reach only the room's buckets and approved dataset "
    "prefixes; interface endpoints only principals of the room account.",
    resource_types=frozenset({"AWS::EC2::VPCEndpoint"}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
