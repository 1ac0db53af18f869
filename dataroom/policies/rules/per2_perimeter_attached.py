"""PER-2: every role of a room stack carries the room's perimeter policy.

The perimeter is a deny-only managed policy of its own (``add_room_perimeter``), attached to
every role of the stack from the policy's side (``attach_to_every_role``). It is recognised by
its statements' Sids (:data:`~dataroom.policies.data_perimeter.PERIMETER_SIDS`, each a Deny);
a role is covered when such a policy's ``Roles`` refer to it, or the role's
``ManagedPolicyArns`` refer to the policy.
"""

from __future__ import annotations

from dataroom.policies.data_perimeter import PERIMETER_SIDS
from dataroom.policies.rules.base import Resource, Rule, RuleContext, Verdict
from dataroom.policies.rules.policy_documents import documents
from dataroom.template_policy import as_list, refers_to, statements


def is_perimeter(policy: Resource) -> bool:
    """Whether ``policy`` (a managed policy) denies with every PER-2 statement of the room."""
    denied = {
        str(s.get("Sid"))
        for _, document in documents(policy)
        for s in statements(document)
        if s.get("Effect") == "Deny"
    }
    return set(PERIMETER_SIDS) <= denied


def check(ctx: RuleContext) -> Verdict:
    attached = as_list(ctx.properties.get("ManagedPolicyArns"))
    for logical_id, policy in ctx.resources("AWS::IAM::ManagedPolicy"):
        if not is_perimeter(policy):
            continue
        roles = as_list(policy.get("Properties", {}).get("Roles"))
        if any(refers_to(r, ctx.logical_id) for r in roles) or any(
            refers_to(a, logical_id) for a in attached
        ):
            return True
    return ["no managed policy with the room's PER-2 deny statements is attached to the role"]


RULE = Rule(
    rule_id="PER2PerimeterAttached",
    control="PER-2",
    info="A room role is not attached to the room's perimeter (PER-2) policy.",
    explanation="The perimeter policy denies every way data leaves the room without a network "
    "path (sharing, exports, subscriptions, writes to other accounts, queries outside the "
    "room's workgroup); a role without it can use all of them.",
    resource_types=frozenset({"AWS::IAM::Role"}),
    check=check,
    never_suppressible=True,
    rooms_only=True,
)
