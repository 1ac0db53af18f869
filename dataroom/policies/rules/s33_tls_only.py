"""S3-3: every bucket refuses requests that are not over TLS."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import refers_to, statements


def check(ctx: RuleContext) -> Verdict:
    for _, policy in ctx.resources("AWS::S3::BucketPolicy"):
        props = policy.get("Properties", {})
        if not refers_to(props.get("Bucket"), ctx.logical_id):
            continue
        for statement in statements(props.get("PolicyDocument")):
            condition = statement.get("Condition", {}).get("Bool", {})
            if statement.get("Effect") == "Deny" and condition.get("aws:SecureTransport") in (
                "false",
                False,
            ):
                return True
    return False


RULE = Rule(
    rule_id="S33TlsOnly",
    control="S3-3",
    info="A bucket's policy does not deny requests made without TLS.",
    explanation="Production-derived data never crosses a network in clear text.",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    check=check,
)
