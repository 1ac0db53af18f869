"""Template helpers the airlock rules (EXP-1) share: which bucket is which, who a deny spares.

The airlock tags its buckets ``dataroom:airlock = review | export`` and its roles
``dataroom:airlock-role = scanner | release | pipeline | approver``; the rules read those tags
from the synthesized template.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from dataroom.policies.rules.base import RuleContext, tags
from dataroom.template_policy import as_list, refers_to, statements

BUCKET_TAG = "dataroom:airlock"
ROLE_TAG = "dataroom:airlock-role"


def airlock_kind(ctx: RuleContext) -> str | None:
    """``review``, ``export`` or None for the bucket the context is about."""
    return tags(ctx.resource).get(BUCKET_TAG)


def bucket_statements(ctx: RuleContext) -> list[dict[str, Any]]:
    """The statements of the bucket policy attached to the context's bucket."""
    out: list[dict[str, Any]] = []
    for _, policy in ctx.resources("AWS::S3::BucketPolicy"):
        props = policy.get("Properties", {})
        if refers_to(props.get("Bucket"), ctx.logical_id):
            out.extend(statements(props.get("PolicyDocument")))
    return out


def applies_to_everyone(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))


def covers_actions(statement: dict[str, Any], actions: tuple[str, ...]) -> list[str]:
    """The ``actions`` the statement's Action does not cover (wildcards understood)."""
    patterns = [str(a).lower() for a in as_list(statement.get("Action"))]
    return [a for a in actions if not any(fnmatchcase(a.lower(), p) for p in patterns)]


def covers_objects(ctx: RuleContext, statement: dict[str, Any]) -> bool:
    """Whether the statement's Resource names every object of the context's bucket."""
    for resource in as_list(statement.get("Resource")):
        if isinstance(resource, dict) and "Fn::Join" in resource:
            _, parts = resource["Fn::Join"]
            if refers_to(parts, ctx.logical_id) and parts and parts[-1] == "/*":
                return True
        if resource == "*":
            return True
    return False


def spared_roles(statement: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(role logical ids, other principals) the deny's conditions exempt, and the keys used.

    Returns the role logical ids named by ``ArnNotEquals``/``ArnNotLike`` on
    ``aws:PrincipalArn`` and, as the second item, every *other* condition key (each of which
    narrows the deny, so a rule must decide whether it is acceptable).
    """
    roles: list[str] = []
    other: list[str] = []
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, dict):
            other.append(str(operator))
            continue
        for key, value in block.items():
            if operator in ("ArnNotEquals", "ArnNotLike") and key.lower() == "aws:principalarn":
                for item in as_list(value):
                    get_att = item.get("Fn::GetAtt") if isinstance(item, dict) else None
                    if isinstance(get_att, list) and get_att[1:] == ["Arn"]:
                        roles.append(str(get_att[0]))
                    else:
                        roles.append(f"?{item}")
            else:
                other.append(f"{operator}:{key}")
    return roles, other


def role_kind(ctx: RuleContext, logical_id: str) -> str | None:
    resource = ctx.template.get("Resources", {}).get(logical_id)
    if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::Role":
        return None
    return tags(resource).get(ROLE_TAG)
