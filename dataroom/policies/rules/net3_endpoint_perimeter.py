"""NET-2/NET-3: every VPC endpoint has a policy that fences it (no open endpoint)."""

from __future__ import annotations

from dataroom.policies.rules.base import Rule, RuleContext, Verdict
from dataroom.template_policy import as_list, statements

_ANY_BUCKET = ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*")


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
        resources = [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]
        if gateway and any(r in _ANY_BUCKET for r in resources):
            findings.append(f"statement {index} allows every bucket")
        if not gateway and not statement.get("Condition"):
            findings.append(f"statement {index} admits principals of any account")
    return findings


RULE = Rule(
    rule_id="NET3EndpointPerimeter",
    control="NET-3",
    info="A VPC endpoint has no data-perimeter policy, or its policy admits any bucket or any "
    "account.",
    explanation="The S3 endpoint may reach only the room's buckets and approved dataset "
    "prefixes; interface endpoints only principals of the room account.",
    resource_types=frozenset({"AWS::EC2::VPCEndpoint"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
