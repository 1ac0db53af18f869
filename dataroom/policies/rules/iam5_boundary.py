"""IAM-5: every role in a room's account has a boundary, and the boundary denies what it must.

No exemption by logical id: aws-cdk-lib's own provider roles carry a narrow boundary of their
own (:mod:`dataroom.constructs.cdk_roles`). A boundary is judged by its effect: each deny family
the catalogue requires (:data:`dataroom.controls.identity.BOUNDARY_DENY_FAMILIES`) must be kept
out, not merely some boundary be attached.
"""

from __future__ import annotations

from dataroom.controls.judge import boundary_escapes
from dataroom.policies.rules.base import Rule, RuleContext, Verdict, ref_target
from dataroom.template_policy import statements


def check(ctx: RuleContext) -> Verdict:
    boundary = ctx.properties.get("PermissionsBoundary")
    if not boundary:
        return ["no permissions boundary"]
    policy_id = ref_target(boundary)
    policy = ctx.template.get("Resources", {}).get(policy_id or "", {})
    if policy.get("Type") != "AWS::IAM::ManagedPolicy":
        return [
            f"boundary {boundary} is not a managed policy of this template: what it denies "
            "cannot be checked at synth"
        ]
    document = policy.get("Properties", {}).get("PolicyDocument")
    escapes = boundary_escapes(statements(document))
    return [
        f"boundary {policy_id} lets through {family}: {', '.join(actions)}"
        for family, actions in escapes.items()
    ]


RULE = Rule(
    rule_id="IAM5Boundary",
    control="IAM-5",
    info="A role in a room's account has no permissions boundary, or its boundary does not deny "
    "IAM changes, network egress and guardrail tampering.",
    explanation="The boundary is what stops a room role, whatever it is later granted, from "
    "changing IAM, opening an egress path or blinding the trail, detector, flow logs, endpoints "
    "and bucket and key policies; a boundary that allows them caps nothing.",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
    room_accounts_only=True,
)
