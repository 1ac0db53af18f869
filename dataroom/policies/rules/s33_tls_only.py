"""S3-3: every bucket refuses requests that are not over TLS.

Judged by effect: the deny must apply to everyone (``Principal: *``), for every S3 action, on
the bucket's objects, with no condition but ``aws:SecureTransport`` = false; a deny narrowed to
one principal or one action, or to the bucket alone, refuses nobody's clear-text reads.
"""

from __future__ import annotations

from typing import Any

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.policies.rules.exp_airlock_policy import (
    applies_to_everyone,
    covers_actions,
    covers_objects,
)
from dataroom.template_policy import refers_to, statements

#: Requests the TLS deny must cover: reads and writes of objects, and the bucket's own calls.
TLS_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject")


def _tls_deny(ctx: RuleContext, statement: dict[str, Any]) -> str | None:
    """None when ``statement`` refuses every clear-text request to the bucket, else why not."""
    condition = statement.get("Condition", {})
    if statement.get("Effect") != "Deny" or condition.get("Bool", {}).get(
        "aws:SecureTransport"
    ) not in ("false", False):
        return "no deny of aws:SecureTransport = false"
    if not applies_to_everyone(statement):
        return f"the TLS deny applies to {statement.get('Principal')!r}, not to everyone"
    if condition != {"Bool": {"aws:SecureTransport": condition["Bool"]["aws:SecureTransport"]}}:
        return f"the TLS deny is narrowed by other conditions: {sorted(condition)}"
    missing = covers_actions(statement, TLS_ACTIONS)
    if missing:
        return f"the TLS deny leaves {missing} out"
    if not covers_objects(ctx, statement):
        return "the TLS deny does not name the bucket's objects"
    return None


def check(ctx: RuleContext) -> Verdict:
    problems: list[str] = []
    for _, policy in ctx.resources("AWS::S3::BucketPolicy"):
        props = policy.get("Properties", {})
        if not refers_to(props.get("Bucket"), ctx.logical_id):
            continue
        for statement in statements(props.get("PolicyDocument")):
            problem = _tls_deny(ctx, statement)
            if problem is None:
                return True
            if not problem.startswith("no deny"):
                problems.append(problem)
    return problems or ["the bucket policy does not deny requests without TLS"]


RULE = Rule(
    rule_id="S33TlsOnly",
    control="S3-3",
    info="A bucket's policy does not deny requests made without TLS.",
    explanation="Production-derived data never crosses a network in clear text.",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
)
